/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OnEscalation=freeze: the escalation freezes the running agents instead of
 * stopping them and keeps them until the reset, which stops (kills) them
 * and starts them afresh; such a supervisor stays escalated and does not
 * disturb its parent; anything else that stops agents stops frozen ones. */

#include <stdlib.h>
#include <string.h>

#include "sv-state.h"
#include "sv-test-util.h"

static SvParams freeze_params(void) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);

        p.max_restarts = 0;
        p.on_escalation = ON_ESCALATION_FREEZE;
        return p;
}

/* The crash that escalates: the crasher is down, its siblings (the
 * temporary one too) frozen, the supervisor escalated; a reset stops the
 * frozen ones and starts them again once they are down, except the
 * temporary one, which stays down. */
static void test_root_freezes_and_reset_restarts(void **state) {
        SvParams p = freeze_params();
        World *w = world_new(&p);
        SvAgent *a, *b, *c;

        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        c = world_add_running(w, w->root, RESTART_TEMPORARY, "c");

        world_crash(w, a);
        expect_actions(w, "freeze:c freeze:b escalated:root");
        assert_true(sv_supervisor_escalated(w->root));
        expect_state(w, a, SV_AGENT_DOWN);
        expect_state(w, b, SV_AGENT_FROZEN);
        expect_state(w, c, SV_AGENT_FROZEN);
        /* Frozen agents hold their place (MaxChildren counts them). */
        assert_int_equal(sv_supervisor_n_agents(w->root), 2);
        /* Nothing else happens to them while frozen. */
        world_advance(w, SEC(60));
        expect_actions(w, "");
        assert_int_equal(sv_agent_start(w->sv, b, w->now), -EBUSY);
        assert_int_equal(sv_agent_restart(w->sv, b, w->now), -EBUSY);

        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), 0);
        expect_actions(w, "reset:root spawn:a stop:b(restart) stop:c(restart)");
        expect_state(w, b, SV_AGENT_STOPPING);
        world_exit_ok(w, b);
        expect_actions(w, "spawn:b");
        expect_state(w, b, SV_AGENT_RUNNING);
        world_exit_ok(w, c);
        expect_actions(w, "");
        expect_state(w, c, SV_AGENT_DOWN);
        assert_false(sv_supervisor_escalated(w->root));
        world_free(w);
}

/* A frozen agent that dies meanwhile (killed from outside) is down; the
 * reset then starts it as any other that is down. StopAgent on a frozen one
 * stops it and holds it down. */
static void test_frozen_agent_ends(void **state) {
        SvParams p = freeze_params();
        World *w = world_new(&p);
        SvAgent *a, *b, *c;

        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        c = world_add_running(w, w->root, RESTART_PERMANENT, "c");
        world_crash(w, a);
        expect_actions(w, "freeze:c freeze:b escalated:root");

        world_crash(w, b);
        expect_actions(w, "");
        expect_state(w, b, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_stop(w->sv, c, w->now), 0);
        expect_actions(w, "stop:c(requested)");
        world_exit_ok(w, c);
        expect_state(w, c, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_fine_state(c), SV_STATE_HELD);

        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), 0);
        expect_actions(w, "reset:root spawn:a spawn:b");
        expect_state(w, c, SV_AGENT_DOWN);
        world_free(w);
}

/* A permanent nested supervisor with OnEscalation=freeze stays escalated
 * with its agents frozen: its parent neither restarts it nor counts it. */
static void test_nested_freeze_does_not_climb(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ALL), np = freeze_params();
        World *w = world_new(&rp);
        SvSupervisor *n;
        SvAgent *x, *y, *r;
        const usec_t *times;

        n = world_nested(w, &np, "r", &x, &y, &r);

        world_crash(w, x);
        expect_actions(w, "freeze:y escalated:n");
        assert_true(sv_supervisor_escalated(n));
        assert_false(sv_supervisor_escalated(w->root));
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 0);
        expect_state(w, y, SV_AGENT_FROZEN);

        /* The root's one-for-all restart leaves the frozen subtree alone. */
        world_crash(w, r);
        expect_actions(w, "spawn:r restarted:r");
        expect_state(w, y, SV_AGENT_FROZEN);

        assert_int_equal(sv_supervisor_reset(w->sv, n, w->now), 0);
        expect_actions(w, "reset:n spawn:x stop:y(restart)");
        world_exit_ok(w, y);
        expect_actions(w, "spawn:y");
        world_free(w);
}

/* The parent's own escalation (stop) and the daemon's shutdown stop frozen
 * agents like running ones. */
static void test_frozen_agents_stopped_from_above(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ONE), np = freeze_params();
        World *w;
        SvAgent *x, *y, *r;

        rp.max_restarts = 0;
        w = world_new(&rp);
        (void) world_nested(w, &np, "r", &x, &y, &r);
        world_crash(w, x);
        expect_actions(w, "freeze:y escalated:n");

        world_crash(w, r);
        expect_actions(w, "stop:y(escalation) escalated:root");
        expect_state(w, y, SV_AGENT_STOPPING);
        world_exit_ok(w, y);
        expect_actions(w, "");
        expect_state(w, y, SV_AGENT_DOWN);

        /* The root's reset starts everything below it afresh. */
        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), 0);
        expect_actions(w, "reset:root reset:n spawn:x spawn:y spawn:r");
        world_crash(w, x);
        expect_actions(w, "freeze:y escalated:n");
        sv_shutdown(w->sv, w->now);
        expect_actions(w, "stop:r(shutdown) stop:y(shutdown)");
        world_exit_ok(w, r);
        world_exit_ok(w, y);
        assert_true(sv_shutdown_done(w->sv));
        world_free(w);
}

/* The name is the config's and the bus's. */
static void test_name(void **state) {
        assert_string_equal(on_escalation_to_string(ON_ESCALATION_FREEZE), "freeze");
        assert_int_equal(on_escalation_from_string("freeze"), ON_ESCALATION_FREEZE);
        assert_string_equal(sv_agent_state_to_string(SV_AGENT_FROZEN), "frozen");
        assert_string_equal(sv_action_type_to_string(SV_ACTION_FREEZE), "freeze");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_freezes_and_reset_restarts),
                cmocka_unit_test(test_frozen_agent_ends),
                cmocka_unit_test(test_nested_freeze_does_not_climb),
                cmocka_unit_test(test_frozen_agents_stopped_from_above),
                cmocka_unit_test(test_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
