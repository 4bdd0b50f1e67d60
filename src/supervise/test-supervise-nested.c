/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Nested supervisors: escalation climbing the tree, nested supervisors that
 * stay escalated, and nested supervisors inside a parent's group restart. */

#include <stdlib.h>
#include <string.h>

#include "sv-test-util.h"

/* root > mid > leaf, one agent in leaf. leaf (MaxRestarts=0) escalates on
 * every crash; mid restarts it (MaxRestarts=1) until that is too often, then
 * mid escalates and root restarts mid, leaf with it. */
static void test_escalation_climbs_two_levels(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ONE), mp = rp, lp = rp;
        World *w;
        SvSupervisor *mid, *leaf;
        SvAgent *x, *y;
        const usec_t *times;

        mp.max_restarts = 1;
        lp.max_restarts = 0;
        w = world_new(&rp);
        mid = world_supervisor(w, "mid", w->root, &mp);
        leaf = world_supervisor(w, "leaf", mid, &lp);
        x = world_add_running(w, leaf, RESTART_PERMANENT, "x");
        y = world_add_running(w, mid, RESTART_PERMANENT, "y");

        world_crash(w, x);
        expect_actions(w, "escalated:leaf reset:leaf spawn:x restarted:x");
        assert_string_equal(sv_supervisor_escalation_reason(leaf), "");
        assert_int_equal(sv_supervisor_restart_times(mid, &times), 1);
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 0);

        world_advance(w, SEC(1));
        world_crash(w, x);
        expect_actions(w, "escalated:leaf stop:y(escalation) escalated:mid");
        assert_string_equal(sv_supervisor_escalation_reason(mid),
                            "supervisor leaf escalated 2 times in 5s (MaxRestarts=1)");
        assert_true(sv_supervisor_escalated(leaf));

        /* Once mid's agents are all down, root restarts mid afresh. */
        world_exit_ok(w, y);
        expect_actions(w, "reset:mid reset:leaf spawn:x restarted:x spawn:y restarted:y");
        assert_false(sv_supervisor_escalated(mid));
        assert_false(sv_supervisor_escalated(leaf));
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 1);
        assert_int_equal(sv_supervisor_restart_times(mid, &times), 0);
        assert_int_equal(sv_agent_restart_count(x), 2);
        assert_int_equal(sv_agent_restart_count(y), 1);
        world_free(w);
}

/* Climbing all the way: the root escalates too. */
static void test_escalation_reaches_root(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ONE), np;
        World *w;
        SvSupervisor *n;
        SvAgent *x, *r;

        rp.max_restarts = 0;
        np = rp;
        w = world_new(&rp);
        n = world_supervisor(w, "n", w->root, &np);
        x = world_add_running(w, n, RESTART_PERMANENT, "x");
        r = world_add_running(w, w->root, RESTART_PERMANENT, "r");

        world_crash(w, x);
        expect_actions(w, "escalated:n stop:r(escalation) escalated:root");
        world_exit_ok(w, r);
        expect_actions(w, "");

        /* Resetting the root clears the nested escalation as well. */
        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), 0);
        expect_actions(w, "reset:root reset:n spawn:x spawn:r");
        world_free(w);
}

/* Transient and temporary nested supervisors stay escalated (SPEC); the
 * parent is not disturbed and counts nothing. */
static void test_non_permanent_nested_stays_escalated(void **state) {
        for (RestartType t = RESTART_TRANSIENT; t <= RESTART_TEMPORARY; t++) {
                SvParams rp = test_params(STRATEGY_ONE_FOR_ALL), np = test_params(STRATEGY_ONE_FOR_ONE);
                World *w;
                SvSupervisor *n;
                SvAgent *x1, *x2, *r, *z = NULL;
                const usec_t *times;

                np.max_restarts = 0;
                np.restart = t;
                w = world_new(&rp);
                n = world_supervisor(w, "n", w->root, &np);
                x1 = world_add_running(w, n, RESTART_PERMANENT, "x1");
                x2 = world_add_running(w, n, RESTART_PERMANENT, "x2");
                r = world_add_running(w, w->root, RESTART_PERMANENT, "r");

                world_crash(w, x1);
                expect_actions(w, "stop:x2(escalation) escalated:n");
                world_exit_ok(w, x2);
                expect_actions(w, "");
                world_advance(w, SEC(60));
                expect_actions(w, "");
                assert_true(sv_supervisor_escalated(n));
                assert_false(sv_supervisor_escalated(w->root));
                assert_int_equal(sv_supervisor_restart_times(w->root, &times), 0);
                expect_state(w, r, SV_AGENT_RUNNING);

                /* Nothing starts in it until it is reset. */
                assert_int_equal(sv_agent_add(w->sv, n, RESTART_PERMANENT, (void *) "z", w->now, &z), -EBUSY);
                assert_int_equal(sv_agent_start(w->sv, x1, w->now), -EBUSY);

                /* The parent's group restart leaves it alone. */
                world_crash(w, r);
                expect_actions(w, "spawn:r restarted:r");
                assert_true(sv_supervisor_escalated(n));

                assert_int_equal(sv_supervisor_reset(w->sv, n, w->now), 0);
                expect_actions(w, "reset:n spawn:x1 spawn:x2");
                world_free(w);
        }
}

/* A nested supervisor is one child of its parent's group restart: its
 * agents stop at its place in reverse start order and start again at its
 * place in start order. */
static void test_nested_in_group_restart(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ALL), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&rp);
        SvSupervisor *n = world_supervisor(w, "n", w->root, &np);
        SvAgent *n1 = world_add_running(w, n, RESTART_PERMANENT, "n1");
        SvAgent *n2 = world_add_running(w, n, RESTART_PERMANENT, "n2");
        SvAgent *nt = world_add_running(w, n, RESTART_TEMPORARY, "nt");
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        world_crash(w, b);
        expect_actions(w, "stop:a(restart) stop:nt(restart) stop:n2(restart) stop:n1(restart)");
        world_exit_ok(w, nt);
        expect_actions(w, "remove:nt");
        world_exit_ok(w, n1);
        world_exit_ok(w, a);
        expect_actions(w, "");
        expect_state(w, n1, SV_AGENT_WAITING);
        world_exit_ok(w, n2);
        expect_actions(w, "spawn:n1 restarted:n1 spawn:n2 restarted:n2 spawn:a restarted:a spawn:b restarted:b");
        assert_int_equal(sv_supervisor_n_agents(n), 2);
        world_free(w);
}

/* A permanent nested supervisor's escalation is a failure of that child
 * under the parent's strategy: one-for-all restarts the siblings too. */
static void test_nested_escalation_under_one_for_all(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ALL), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *x, *y, *a;

        np.max_restarts = 0;
        w = world_new(&rp);
        (void) world_nested(w, &np, "a", &x, &y, &a);

        world_crash(w, x);
        expect_actions(w, "stop:y(escalation) escalated:n");
        world_exit_ok(w, y);
        expect_actions(w, "stop:a(restart)");
        world_exit_ok(w, a);
        expect_actions(w, "reset:n spawn:x restarted:x spawn:y restarted:y spawn:a restarted:a");
        world_free(w);
}

/* While a nested supervisor's escalation is still stopping its agents, a
 * sibling's failure starts the parent's group restart; the nested failure
 * then joins it instead of counting again. */
static void test_nested_escalation_joins_group(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ALL), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvSupervisor *n;
        SvAgent *x, *y, *a;
        const usec_t *times;

        np.max_restarts = 0;
        w = world_new(&rp);
        n = world_nested(w, &np, "a", &x, &y, &a);

        world_crash(w, x);
        expect_actions(w, "stop:y(escalation) escalated:n");
        world_crash(w, a);
        expect_actions(w, "");
        assert_int_equal(sv_supervisor_reset(w->sv, n, w->now), -EBUSY);
        world_exit_ok(w, y);
        expect_actions(w, "reset:n spawn:x restarted:x spawn:y restarted:y spawn:a restarted:a");
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 1);
        world_free(w);
}

/* Nothing starts in a supervisor below an escalated one. */
static void test_start_below_escalated(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ONE), np = rp;
        World *w;
        SvSupervisor *n;
        SvAgent *a, *x, *z = NULL;

        rp.max_restarts = 0;
        np.restart = RESTART_TEMPORARY;
        w = world_new(&rp);
        n = world_supervisor(w, "n", w->root, &np);
        x = world_add_running(w, n, RESTART_PERMANENT, "x");
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        assert_int_equal(sv_agent_stop(w->sv, x, w->now), 0);
        world_exit_ok(w, x);
        expect_actions(w, "stop:x(requested)");

        world_crash(w, a);
        expect_actions(w, "escalated:root");
        assert_false(sv_supervisor_escalated(n));
        assert_int_equal(sv_agent_add(w->sv, n, RESTART_PERMANENT, (void *) "z", w->now, &z), -EBUSY);
        assert_int_equal(sv_agent_start(w->sv, x, w->now), -EBUSY);
        assert_int_equal(sv_supervisor_reset(w->sv, n, w->now), -EALREADY);
        world_free(w);
}

/* Escalation stops the whole subtree in reverse start order. */
static void test_escalation_stop_order(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ONE), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvSupervisor *n, *m;
        SvAgent *a1, *a2;

        rp.max_restarts = 0;
        w = world_new(&rp);
        n = world_supervisor(w, "n", w->root, &np);
        m = world_supervisor(w, "m", n, &np);
        world_add_running(w, n, RESTART_PERMANENT, "n1");
        a1 = world_add_running(w, w->root, RESTART_PERMANENT, "a1");
        world_add_running(w, m, RESTART_PERMANENT, "m1");
        world_add_running(w, n, RESTART_PERMANENT, "n2");
        a2 = world_add_running(w, w->root, RESTART_PERMANENT, "a2");
        world_add_running(w, m, RESTART_PERMANENT, "m2");

        world_crash(w, a1);
        expect_actions(w, "stop:a2(escalation) stop:n2(escalation) stop:n1(escalation) "
                          "stop:m2(escalation) stop:m1(escalation) escalated:root");
        expect_state(w, a2, SV_AGENT_STOPPING);
        world_free(w);
}

/* The parent's backoff applies to restarting an escalated child supervisor. */
static void test_nested_restart_after_backoff(void **state) {
        SvParams rp = test_params(STRATEGY_ONE_FOR_ONE), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvSupervisor *n;
        SvAgent *x, *z = NULL;

        rp.restart_delay_usec = SEC(2);
        np.max_restarts = 0;
        w = world_new(&rp);
        n = world_supervisor(w, "n", w->root, &np);
        x = world_add_running(w, n, RESTART_PERMANENT, "x");

        world_crash(w, x);
        expect_actions(w, "escalated:n");
        assert_true(sv_next_deadline(w->sv) == w->now + SEC(2));
        assert_int_equal(sv_agent_add(w->sv, n, RESTART_PERMANENT, (void *) "z", w->now, &z), -EBUSY);
        world_advance(w, SEC(2));
        expect_actions(w, "reset:n spawn:x restarted:x");

        /* A reset during the wait restarts it at once, by request. */
        world_crash(w, x);
        expect_actions(w, "escalated:n");
        assert_int_equal(sv_supervisor_reset(w->sv, n, w->now), 0);
        expect_actions(w, "reset:n spawn:x");
        assert_true(sv_next_deadline(w->sv) == USEC_INFINITY);
        world_free(w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escalation_climbs_two_levels),
                cmocka_unit_test(test_escalation_reaches_root),
                cmocka_unit_test(test_non_permanent_nested_stays_escalated),
                cmocka_unit_test(test_nested_in_group_restart),
                cmocka_unit_test(test_nested_escalation_under_one_for_all),
                cmocka_unit_test(test_nested_escalation_joins_group),
                cmocka_unit_test(test_start_below_escalated),
                cmocka_unit_test(test_escalation_stop_order),
                cmocka_unit_test(test_nested_restart_after_backoff),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
