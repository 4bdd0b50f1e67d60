/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent and a supervisor saved from one core and restored into another
 * (a daemon executed anew) carry on as if nothing happened: no action is
 * queued by the restore, the restart count and the backoff deadline are
 * kept, and restart times still count toward intensity. */
#include <stdlib.h>
#include <string.h>

#include "sv-restore.h"
#include "sv-test-util.h"

static SvAgent *restore(World *w, const char *name, RestartType restart, const SvAgentSaved *saved) {
        SvAgent *a = NULL;
        char *copy = strdup(name);

        assert_non_null(copy);
        w->names = reallocarray(w->names, w->n_names + 1, sizeof(char *));
        assert_non_null(w->names);
        w->names[w->n_names++] = copy;
        assert_int_equal(sv_agent_restore(w->sv, w->root, restart, copy, saved, &a), 0);
        return a;
}

static void test_running_keeps_count(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p), *w2 = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a"), *b;
        SvAgentSaved saved;

        world_crash(w, a);
        expect_actions(w, "spawn:a restarted:a");
        sv_agent_save(a, &saved);
        assert_int_equal(saved.state, SV_RESTORE_RUNNING);
        assert_int_equal(saved.restart_count, 1);

        w2->now = w->now;
        b = restore(w2, "a", RESTART_PERMANENT, &saved);
        expect_actions(w2, "");
        expect_state(w2, b, SV_AGENT_RUNNING);
        assert_int_equal(sv_agent_restart_count(b), 1);
        assert_int_equal(sv_supervisor_n_agents(w2->root), 1);
        world_crash(w2, b);
        expect_actions(w2, "spawn:a restarted:a");
        assert_int_equal(sv_agent_restart_count(b), 2);
        world_free(w);
        world_free(w2);
}

static void test_waiting_keeps_deadline(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a;
        SvAgentSaved saved = { .state = SV_RESTORE_WAITING, .restart_count = 4, .consecutive = 1 };

        p.restart_delay_usec = SEC(1);
        w = world_new(&p);
        saved.deadline = w->now + SEC(2);
        a = restore(w, "a", RESTART_PERMANENT, &saved);
        expect_actions(w, "");
        expect_state(w, a, SV_AGENT_WAITING);
        assert_int_equal(sv_next_deadline(w->sv), saved.deadline);
        world_advance(w, SEC(1));
        expect_actions(w, "");
        world_advance(w, SEC(1));
        expect_actions(w, "spawn:a restarted:a");
        assert_int_equal(sv_agent_restart_count(a), 5);
        world_free(w);
}

static void test_held_and_stopping(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgentSaved held = { .state = SV_RESTORE_HELD }, stopping = { .state = SV_RESTORE_STOPPING_REQUEST };
        SvAgent *a = restore(w, "a", RESTART_PERMANENT, &held);
        SvAgent *b = restore(w, "b", RESTART_PERMANENT, &stopping);

        expect_state(w, a, SV_AGENT_DOWN);
        expect_state(w, b, SV_AGENT_STOPPING);
        assert_int_equal(sv_supervisor_n_agents(w->root), 1);
        /* A stop requested before the re-exec ends held, not restarted. */
        world_exit_ok(w, b);
        expect_actions(w, "");
        expect_state(w, b, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_start(w->sv, a, w->now), 0);
        expect_actions(w, "spawn:a");
        world_free(w);
}

/* Frozen by an OnEscalation=freeze escalation: saved and restored frozen,
 * still held (a start is refused) until the reset kills and starts it. */
static void test_frozen_held_until_reset(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w, *w2;
        SvAgent *a, *b, *b2;
        SvAgentSaved saved;

        p.max_restarts = 0;
        p.on_escalation = ON_ESCALATION_FREEZE;
        w = world_new(&p);
        w2 = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        world_crash(w, a);
        expect_actions(w, "freeze:b escalated:root");
        sv_agent_save(b, &saved);
        assert_int_equal(saved.state, SV_RESTORE_FROZEN);

        assert_int_equal(sv_supervisor_restore(w2->sv, w2->root, true, "a crashed", NULL, 0), 0);
        b2 = restore(w2, "b", RESTART_PERMANENT, &saved);
        expect_actions(w2, "");
        expect_state(w2, b2, SV_AGENT_FROZEN);
        assert_int_equal(sv_agent_start(w2->sv, b2, w2->now), -EBUSY);
        assert_int_equal(sv_supervisor_reset(w2->sv, w2->root, w2->now), 0);
        expect_actions(w2, "reset:root stop:b(restart)");
        world_exit_ok(w2, b2);
        expect_actions(w2, "spawn:b");
        world_free(w);
        world_free(w2);
}

static void test_supervisor_history(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgentSaved running = { .state = SV_RESTORE_RUNNING };
        usec_t times[3];
        const usec_t *got;
        SvAgent *a;

        w->now = SEC(100);
        for (size_t i = 0; i < 3; i++)
                times[i] = w->now - SEC(3) + SEC(i);
        assert_int_equal(sv_supervisor_restore(w->sv, w->root, false, NULL, times, 3), 0);
        assert_int_equal(sv_supervisor_restart_times(w->root, &got), 3);
        a = restore(w, "a", RESTART_PERMANENT, &running);
        /* Three restarts in the window already: the next crash escalates. */
        world_crash(w, a);
        expect_actions(w, "escalated:root");
        assert_true(sv_supervisor_escalated(w->root));
        world_free(w);

        w = world_new(&p);
        assert_int_equal(sv_supervisor_restore(w->sv, w->root, true, "a crashed", NULL, 0), 0);
        assert_true(sv_supervisor_escalated(w->root));
        assert_string_equal(sv_supervisor_escalation_reason(w->root), "a crashed");
        world_free(w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_running_keeps_count),
                cmocka_unit_test(test_waiting_keeps_deadline),
                cmocka_unit_test(test_held_and_stopping),
                cmocka_unit_test(test_frozen_held_until_reset),
                cmocka_unit_test(test_supervisor_history),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
