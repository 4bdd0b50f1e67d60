/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Restart intensity, escalation of one supervisor, reset, and backoff; plus
 * the timer heap and the backoff formula on their own. */

#include <stdlib.h>
#include <string.h>

#include "sv-internal.h"
#include "sv-test-util.h"

/* MaxRestarts=3, 5s: started once and restarted 3 times; the 4th crash
 * inside the window escalates. */
static void test_intensity_boundary(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        const usec_t *times;

        expect_state(w, b, SV_AGENT_RUNNING);
        for (unsigned i = 0; i < 3; i++) {
                world_advance(w, SEC(1));
                world_crash(w, a);
                expect_actions(w, "spawn:a restarted:a");
        }
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 3);
        assert_true(times[0] == w->now - SEC(2) && times[2] == w->now);
        assert_false(sv_supervisor_escalated(w->root));

        world_advance(w, SEC(1));
        world_crash(w, a);
        expect_actions(w, "stop:b(escalation) escalated:root");
        assert_true(sv_supervisor_escalated(w->root));
        assert_string_equal(sv_supervisor_escalation_reason(w->root), "a crashed 4 times in 5s (MaxRestarts=3)");
        expect_state(w, a, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_restart_count(a), 3);
        world_free(w);
}

/* A restart exactly one window old no longer counts. */
static void test_intensity_window_edge(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a;

        p.max_restarts = 1;
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");

        world_crash(w, a);
        expect_actions(w, "spawn:a restarted:a");
        world_advance(w, SEC(5));
        world_crash(w, a);
        expect_actions(w, "spawn:a restarted:a");
        world_advance(w, SEC(5) - 1);
        world_crash(w, a);
        expect_actions(w, "escalated:root");
        assert_string_equal(sv_supervisor_escalation_reason(w->root), "a crashed 2 times in 5s (MaxRestarts=1)");
        world_free(w);
}

/* Crashes every 2s with MaxRestarts=3 in 5s never put 4 in one window. */
static void test_intensity_spread_never_escalates(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        const usec_t *times;

        for (unsigned i = 0; i < 50; i++) {
                world_advance(w, SEC(2));
                world_crash(w, a);
                expect_actions(w, "spawn:a restarted:a");
        }
        assert_false(sv_supervisor_escalated(w->root));
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 3);
        assert_int_equal(sv_agent_restart_count(a), 50);
        world_free(w);
}

/* Intensity is per supervisor: crashes of different agents add up. */
static void test_intensity_counts_all_agents(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        world_crash(w, a);
        world_crash(w, b);
        world_crash(w, a);
        expect_actions(w, "spawn:a restarted:a spawn:b restarted:b spawn:a restarted:a");
        world_crash(w, b);
        expect_actions(w, "stop:a(escalation) escalated:root");
        assert_string_equal(sv_supervisor_escalation_reason(w->root), "b crashed 4 times in 5s (MaxRestarts=3)");
        world_free(w);
}

/* A group restart counts once, however many agents it restarts. */
static void test_group_restart_counts_once(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL);
        World *w;
        SvAgent *a, *b, *c;
        const usec_t *times;

        p.max_restarts = 1;
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        c = world_add_running(w, w->root, RESTART_PERMANENT, "c");

        world_crash(w, a);
        expect_actions(w, "stop:c(restart) stop:b(restart)");
        world_exit_ok(w, c);
        world_exit_ok(w, b);
        expect_actions(w, "spawn:a restarted:a spawn:b restarted:b spawn:c restarted:c");
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 1);

        world_crash(w, b);
        expect_actions(w, "stop:c(escalation) stop:a(escalation) escalated:root");
        world_free(w);
}

/* MaxRestarts=0: the first crash escalates. */
static void test_max_restarts_zero(void **state) {
        for (Strategy s = 0; s < _STRATEGY_MAX; s++) {
                SvParams p = test_params(s);
                World *w;
                SvAgent *a, *b;

                p.max_restarts = 0;
                w = world_new(&p);
                a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
                b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

                world_crash(w, a);
                expect_actions(w, "stop:b(escalation) escalated:root");
                expect_state(w, b, SV_AGENT_STOPPING);
                assert_string_equal(sv_supervisor_escalation_reason(w->root),
                                    "a crashed 1 time in 5s (MaxRestarts=0)");
                world_free(w);
        }
}

/* Escalated: stopped agents are not restarted, timers do nothing, nothing
 * new starts; ResetEscalation starts the agents that were running. */
static void test_escalated_then_reset(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a, *b, *held, *c = NULL;

        p.max_restarts = 0;
        w = world_new(&p);
        held = world_add_running(w, w->root, RESTART_PERMANENT, "held");
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_TRANSIENT, "b");
        assert_int_equal(sv_agent_stop(w->sv, held, w->now), 0);
        world_exit_ok(w, held);
        expect_actions(w, "stop:held(requested)");

        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), -EALREADY);

        world_crash(w, a);
        expect_actions(w, "stop:b(escalation) escalated:root");
        world_crash(w, b);              /* even an abnormal end while stopping */
        world_advance(w, SEC(60));
        expect_actions(w, "");
        expect_state(w, b, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_add(w->sv, w->root, RESTART_PERMANENT, (void *) "c", w->now, &c), -EBUSY);
        assert_null(c);
        assert_int_equal(sv_agent_start(w->sv, held, w->now), -EBUSY);
        assert_int_equal(sv_agent_restart(w->sv, b, w->now), -EBUSY);
        assert_int_equal(sv_supervisor_n_agents(w->root), 0);

        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), 0);
        expect_actions(w, "reset:root spawn:a spawn:b");
        assert_false(sv_supervisor_escalated(w->root));
        assert_string_equal(sv_supervisor_escalation_reason(w->root), "");
        expect_state(w, held, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_restart_count(a), 0);
        world_free(w);
}

/* Reset before the escalation's stops are done: each starts once down. */
static void test_reset_while_stopping(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a, *b;

        p.max_restarts = 0;
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        world_crash(w, a);
        expect_actions(w, "stop:b(escalation) escalated:root");
        assert_int_equal(sv_supervisor_reset(w->sv, w->root, w->now), 0);
        expect_actions(w, "reset:root spawn:a");
        world_exit_ok(w, b);
        expect_actions(w, "spawn:b");
        world_free(w);
}

/* OnEscalation=exit: EXIT once the root's agents are all down. */
static void test_on_escalation_exit(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvSupervisor *n;
        SvAgent *a, *b, *c;

        p.max_restarts = 0;
        p.on_escalation = ON_ESCALATION_EXIT;
        w = world_new(&p);
        n = world_supervisor(w, "n", w->root, &np);
        c = world_add_running(w, n, RESTART_PERMANENT, "c");
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        world_crash(w, a);
        expect_actions(w, "stop:b(escalation) stop:c(escalation) escalated:root");
        world_exit_ok(w, b);
        expect_actions(w, "");
        world_exit_ok(w, c);
        expect_actions(w, "exit:root");
        world_free(w);

        /* Nothing left running: EXIT right away. */
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        world_crash(w, a);
        expect_actions(w, "escalated:root exit:root");
        world_free(w);
}

/* Without a name callback the reason still reads. */
static void test_reason_without_names(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a;

        p.max_restarts = 0;
        p.restart_window_usec = MSEC(1500);
        w = world_new(&p);
        sv_set_name_callback(w->sv, NULL);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        world_crash(w, a);
        assert_string_equal(sv_supervisor_escalation_reason(w->root),
                            "an agent crashed 1 time in 1500ms (MaxRestarts=0)");
        world_free(w);
}

/* RestartDelaySec=1, RestartMaxDelaySec=4: waits of 1, 2, 4, 4s, counted
 * when the restart happens; back to 1s after a run as long as the window. */
static void test_backoff_grows_caps_and_resets(void **state) {
        static const usec_t delays[] = { SEC(1), SEC(2), SEC(4), SEC(4), SEC(4) };
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a, *b;
        const usec_t *times;
        size_t n;

        p.max_restarts = 100;
        p.restart_window_usec = SEC(30);
        p.restart_delay_usec = SEC(1);
        p.restart_max_delay_usec = SEC(4);
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        assert_true(sv_next_deadline(w->sv) == USEC_INFINITY);
        for (size_t i = 0; i < ELEMENTSOF(delays); i++) {
                world_crash(w, a);
                expect_actions(w, "");
                expect_state(w, a, SV_AGENT_WAITING);
                assert_true(sv_next_deadline(w->sv) == w->now + delays[i]);
                world_advance(w, delays[i] - 1);
                expect_actions(w, "");
                world_advance(w, 1);
                expect_actions(w, "spawn:a restarted:a");
                n = sv_supervisor_restart_times(w->root, &times);
                assert_int_equal(n, i + 1);
                assert_true(times[n - 1] == w->now);
                world_advance(w, SEC(1));
        }

        /* b's own count is separate. */
        world_crash(w, b);
        assert_true(sv_next_deadline(w->sv) == w->now + SEC(1));
        world_advance(w, SEC(1));
        expect_actions(w, "spawn:b restarted:b");

        /* A run shorter than the window keeps the count... */
        world_crash(w, a);
        assert_true(sv_next_deadline(w->sv) == w->now + SEC(4));
        world_advance(w, SEC(4));
        expect_actions(w, "spawn:a restarted:a");

        /* ...one of the window's length resets it. */
        world_advance(w, SEC(30));
        world_crash(w, a);
        assert_true(sv_next_deadline(w->sv) == w->now + SEC(1));
        world_advance(w, SEC(1));
        expect_actions(w, "spawn:a restarted:a");
        world_free(w);
}

/* Backoff on a group restart: the others stop at once, the group starts
 * after the failed child's delay, counted then. */
static void test_backoff_group_restart(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL);
        World *w;
        SvAgent *a, *b;
        const usec_t *times;

        p.restart_delay_usec = SEC(2);
        p.restart_max_delay_usec = SEC(10);
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        world_crash(w, a);
        expect_actions(w, "stop:b(restart)");
        world_exit_ok(w, b);
        expect_actions(w, "");
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 0);
        world_advance(w, SEC(2));
        expect_actions(w, "spawn:a restarted:a spawn:b restarted:b");
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 1);
        assert_true(times[0] == w->now);

        /* The delay may pass before the others are down. */
        world_crash(w, a);
        expect_actions(w, "stop:b(restart)");
        world_advance(w, SEC(10));
        expect_actions(w, "");
        world_exit_ok(w, b);
        expect_actions(w, "spawn:a restarted:a spawn:b restarted:b");
        world_free(w);
}

/* A delayed restart that would exceed the intensity escalates when due. */
static void test_backoff_escalates_when_due(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a, *b;

        p.max_restarts = 0;
        p.restart_delay_usec = SEC(1);
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        world_crash(w, a);
        expect_actions(w, "");
        world_advance(w, SEC(1));
        expect_actions(w, "stop:b(escalation) escalated:root");
        expect_state(w, a, SV_AGENT_DOWN);
        expect_state(w, b, SV_AGENT_STOPPING);
        world_free(w);
}

/* A delayed group restart that would exceed the intensity escalates when
 * due; the others were already stopped for the restart. */
static void test_backoff_group_escalates_when_due(void **state) {
        SvParams p = test_params(STRATEGY_REST_FOR_ONE);
        World *w;
        SvAgent *a, *b, *c;

        p.max_restarts = 0;
        p.restart_delay_usec = SEC(1);
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        c = world_add_running(w, w->root, RESTART_PERMANENT, "c");

        world_crash(w, b);
        expect_actions(w, "stop:c(restart)");
        world_advance(w, SEC(1));
        expect_actions(w, "stop:a(escalation) escalated:root");
        assert_string_equal(sv_supervisor_escalation_reason(w->root), "b crashed 1 time in 5s (MaxRestarts=0)");
        world_exit_ok(w, c);
        world_exit_ok(w, a);
        expect_actions(w, "");
        expect_state(w, b, SV_AGENT_DOWN);
        expect_state(w, c, SV_AGENT_DOWN);
        world_free(w);
}

/* The action queue keeps FIFO order across wraparound and growth. */
static void test_action_queue_fifo(void **state) {
        SvActionQueue q = {};
        SvAction a;
        size_t pushed = 0, popped = 0;

        assert_int_equal(sv_action_queue_reserve(&q, 4), 0);
        for (unsigned round = 0; round < 50; round++) {
                for (unsigned i = 0; i < round % 7 + 1; i++)
                        sv_action_queue_push(&q, &(SvAction) { .userdata = (void *) (uintptr_t) pushed++ });
                for (unsigned i = 0; i < round % 5 + 1 && sv_action_queue_pop(&q, &a); i++)
                        assert_int_equal((uintptr_t) a.userdata, popped++);
        }
        while (sv_action_queue_pop(&q, &a))
                assert_int_equal((uintptr_t) a.userdata, popped++);
        assert_int_equal(pushed, popped);
        sv_action_queue_done(&q);
}

static void test_backoff_formula(void **state) {
        assert_true(sv_backoff_delay(0, SEC(10), 5) == 0);
        assert_true(sv_backoff_delay(SEC(1), 0, 1) == SEC(1));
        assert_true(sv_backoff_delay(SEC(1), 0, 9) == SEC(1));          /* cap below the delay: no growth */
        assert_true(sv_backoff_delay(SEC(1), SEC(10), 1) == SEC(1));
        assert_true(sv_backoff_delay(SEC(1), SEC(10), 4) == SEC(8));
        assert_true(sv_backoff_delay(SEC(1), SEC(10), 5) == SEC(10));
        assert_true(sv_backoff_delay(SEC(1), USEC_INFINITY, 70) == USEC_INFINITY);
        assert_true(sv_backoff_delay(3, USEC_INFINITY, UINT32_MAX) == USEC_INFINITY);
}

/* The heap against a sorted reference, with disarms in the middle. */
static void test_timer_heap_order(void **state) {
        enum { N = 500 };
        SvTimerHeap h = {};
        SvTimer *timers = calloc(N, sizeof(SvTimer));
        usec_t last = 0;
        uint64_t last_seq = 0;
        size_t fired = 0;

        assert_non_null(timers);
        srand(42);
        for (size_t i = 0; i < N; i++) {
                sv_timer_init(&timers[i], SV_TIMER_CHILD);
                sv_timer_heap_arm(&h, &timers[i], (usec_t) (rand() % 50));
        }
        for (size_t i = 0; i < N; i += 3)
                sv_timer_heap_disarm(&h, &timers[i]);
        for (size_t i = 0; i < N; i += 7)
                sv_timer_heap_arm(&h, &timers[i], (usec_t) (rand() % 50));

        for (SvTimer *t; (t = sv_timer_heap_peek(&h)); fired++) {
                /* Earliest first; equal deadlines in the order armed. */
                assert_true(t->deadline > last || (t->deadline == last && t->seq > last_seq) || fired == 0);
                last = t->deadline;
                last_seq = t->seq;
                sv_timer_heap_disarm(&h, t);
                assert_false(sv_timer_armed(t));
        }

        size_t expected = 0;
        for (size_t i = 0; i < N; i++)
                expected += i % 3 != 0 || i % 7 == 0;
        assert_int_equal(fired, expected);

        sv_timer_heap_done(&h);
        free(timers);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_intensity_boundary),
                cmocka_unit_test(test_intensity_window_edge),
                cmocka_unit_test(test_intensity_spread_never_escalates),
                cmocka_unit_test(test_intensity_counts_all_agents),
                cmocka_unit_test(test_group_restart_counts_once),
                cmocka_unit_test(test_max_restarts_zero),
                cmocka_unit_test(test_escalated_then_reset),
                cmocka_unit_test(test_reset_while_stopping),
                cmocka_unit_test(test_on_escalation_exit),
                cmocka_unit_test(test_reason_without_names),
                cmocka_unit_test(test_backoff_grows_caps_and_resets),
                cmocka_unit_test(test_backoff_group_restart),
                cmocka_unit_test(test_backoff_escalates_when_due),
                cmocka_unit_test(test_backoff_group_escalates_when_due),
                cmocka_unit_test(test_action_queue_fifo),
                cmocka_unit_test(test_backoff_formula),
                cmocka_unit_test(test_timer_heap_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
