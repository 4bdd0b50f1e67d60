/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Requests (stop, start, restart, remove), limits, shutdown, the tree's
 * bookkeeping, and a 10,000-agent supervisor. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sv-test-util.h"

/* Stop: held down, not restarted; start brings it back without counting a
 * restart. */
static void test_stop_and_start(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        const usec_t *times;

        assert_int_equal(sv_agent_start(w->sv, a, w->now), -EALREADY);
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), 0);
        expect_actions(w, "stop:a(requested)");
        expect_state(w, a, SV_AGENT_STOPPING);
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), -EALREADY);
        world_crash(w, a);              /* killed by the stop: still no restart */
        expect_actions(w, "");
        expect_state(w, a, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), -EALREADY);
        assert_int_equal(sv_supervisor_n_agents(w->root), 0);

        assert_int_equal(sv_agent_start(w->sv, a, w->now), 0);
        expect_actions(w, "spawn:a");
        expect_state(w, a, SV_AGENT_RUNNING);
        assert_int_equal(sv_agent_restart_count(a), 0);
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 0);
        world_free(w);
}

/* Restart: STOP(restart), then SPAWN once down; no intensity, no RESTARTED. */
static void test_restart_request(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL);
        World *w;
        SvAgent *a, *b;
        const usec_t *times;

        p.max_restarts = 0;
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");

        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(sv_agent_restart(w->sv, a, w->now), 0);
                expect_actions(w, "stop:a(restart)");
                assert_int_equal(sv_agent_restart(w->sv, a, w->now), -EALREADY);
                world_crash(w, a);
                expect_actions(w, "spawn:a");
        }
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 0);
        assert_int_equal(sv_agent_restart_count(a), 0);
        expect_state(w, b, SV_AGENT_RUNNING);

        /* A DOWN agent is simply started. */
        assert_int_equal(sv_agent_stop(w->sv, b, w->now), 0);
        world_exit_ok(w, b);
        expect_actions(w, "stop:b(requested)");
        assert_int_equal(sv_agent_restart(w->sv, b, w->now), 0);
        expect_actions(w, "spawn:b");

        /* Stop then restart before it is down: comes back once down. */
        assert_int_equal(sv_agent_stop(w->sv, b, w->now), 0);
        assert_int_equal(sv_agent_restart(w->sv, b, w->now), 0);
        world_exit_ok(w, b);
        expect_actions(w, "stop:b(requested) spawn:b");
        world_free(w);
}

/* A restart request cuts a backoff wait short. */
static void test_restart_request_during_backoff(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a;

        p.restart_delay_usec = SEC(10);
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        world_crash(w, a);
        expect_state(w, a, SV_AGENT_WAITING);
        assert_int_equal(sv_agent_restart(w->sv, a, w->now), 0);
        expect_actions(w, "spawn:a");
        assert_true(sv_next_deadline(w->sv) == USEC_INFINITY);

        /* And a stop request cancels it. */
        world_crash(w, a);
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), 0);
        expect_state(w, a, SV_AGENT_DOWN);
        world_advance(w, SEC(60));
        expect_actions(w, "");
        world_free(w);
}

static void test_remove(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *t = world_add_running(w, w->root, RESTART_TEMPORARY, "t");

        assert_int_equal(sv_agent_remove(w->sv, a), -EBUSY);
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), 0);
        assert_int_equal(sv_agent_remove(w->sv, a), -EBUSY);
        world_exit_ok(w, a);
        assert_int_equal(sv_agent_remove(w->sv, a), 0);
        expect_actions(w, "stop:a(requested)");

        /* An ended temporary stays as a record until removed. */
        world_crash(w, t);
        expect_state(w, t, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_remove(w->sv, t), 0);
        expect_actions(w, "");
        assert_int_equal(sv_supervisor_n_agents(w->root), 0);
        world_free(w);
}

/* MaxChildren counts the supervisor's agents that are not DOWN. */
static void test_max_children(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE), np = p;
        World *w;
        SvSupervisor *n;
        SvAgent *a, *b, *c = NULL;

        p.max_children = 2;
        w = world_new(&p);
        n = world_supervisor(w, "n", w->root, &np);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        world_add_running(w, n, RESTART_PERMANENT, "other");    /* another supervisor's */

        assert_int_equal(sv_agent_add(w->sv, w->root, RESTART_PERMANENT, (void *) "c", w->now, &c), -E2BIG);
        assert_null(c);
        expect_actions(w, "");

        /* A crashed agent waiting for its restart still counts. */
        p.restart_delay_usec = SEC(1);
        world_free(w);
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        world_crash(w, a);
        assert_int_equal(sv_supervisor_n_agents(w->root), 2);
        assert_int_equal(sv_agent_add(w->sv, w->root, RESTART_PERMANENT, (void *) "c", w->now, &c), -E2BIG);

        /* A stopped one does not; starting it again needs room. */
        assert_int_equal(sv_agent_stop(w->sv, b, w->now), 0);
        world_exit_ok(w, b);
        expect_actions(w, "stop:b(requested)");
        world_add_running(w, w->root, RESTART_PERMANENT, "c");
        assert_int_equal(sv_agent_start(w->sv, b, w->now), -E2BIG);
        world_free(w);
}

/* Shutdown: STOP(shutdown) for everything up, reverse start order across the
 * tree; crashes restart nothing; done when all are down. */
static void test_shutdown(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL), np = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvSupervisor *n;
        SvAgent *n1, *n2, *a1, *a2, *held, *waiting, *z = NULL;

        np.restart_delay_usec = SEC(5);
        w = world_new(&p);
        n = world_supervisor(w, "n", w->root, &np);
        n1 = world_add_running(w, n, RESTART_PERMANENT, "n1");
        a1 = world_add_running(w, w->root, RESTART_PERMANENT, "a1");
        n2 = world_add_running(w, n, RESTART_PERMANENT, "n2");
        held = world_add_running(w, w->root, RESTART_PERMANENT, "held");
        a2 = world_add_running(w, w->root, RESTART_PERMANENT, "a2");
        waiting = world_add_running(w, n, RESTART_PERMANENT, "waiting");
        assert_int_equal(sv_agent_stop(w->sv, held, w->now), 0);
        world_exit_ok(w, held);
        world_crash(w, waiting);
        expect_actions(w, "stop:held(requested)");
        expect_state(w, waiting, SV_AGENT_WAITING);

        sv_shutdown(w->sv, w->now);
        expect_actions(w, "stop:a2(shutdown) stop:a1(shutdown) stop:n2(shutdown) stop:n1(shutdown)");
        expect_state(w, waiting, SV_AGENT_DOWN);
        assert_true(sv_next_deadline(w->sv) == USEC_INFINITY);
        assert_false(sv_shutdown_done(w->sv));

        world_crash(w, a1);
        world_exit_ok(w, a2);
        world_crash(w, n2);
        expect_actions(w, "");
        assert_false(sv_shutdown_done(w->sv));
        assert_int_equal(sv_agent_add(w->sv, w->root, RESTART_PERMANENT, (void *) "z", w->now, &z), -ESHUTDOWN);
        assert_int_equal(sv_agent_start(w->sv, held, w->now), -ESHUTDOWN);
        world_exit_ok(w, n1);
        expect_actions(w, "");
        assert_true(sv_shutdown_done(w->sv));
        world_free(w);
}

static void test_supervisor_tree(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE), bad = p;
        World *w = world_new(&p);
        SvSupervisor *a, *b, *s = NULL, **all;

        a = world_supervisor(w, "a", w->root, &p);
        b = world_supervisor(w, "b", a, &p);
        assert_int_equal(sv_supervisor_add(w->sv, "a", w->root, &p, NULL, &s), -EEXIST);
        assert_int_equal(sv_supervisor_add(w->sv, "other-root", NULL, &p, NULL, &s), -EEXIST);
        bad.strategy = _STRATEGY_MAX;
        assert_int_equal(sv_supervisor_add(w->sv, "bad", w->root, &bad, NULL, &s), -EINVAL);
        assert_null(s);

        assert_ptr_equal(sv_root(w->sv), w->root);
        assert_ptr_equal(sv_supervisor_find(w->sv, "b"), b);
        assert_null(sv_supervisor_find(w->sv, "c"));
        assert_ptr_equal(sv_supervisor_parent(b), a);
        assert_null(sv_supervisor_parent(w->root));
        assert_string_equal(sv_supervisor_name(a), "a");
        assert_int_equal(sv_supervisor_params(b)->max_restarts, 3);
        assert_int_equal(sv_supervisors(w->sv, &all), 3);
        assert_ptr_equal(all[0], w->root);
        assert_ptr_equal(all[1], a);
        assert_ptr_equal(all[2], b);

        SvAgent *x = world_add_running(w, b, RESTART_TRANSIENT, "x");
        assert_ptr_equal(sv_agent_supervisor(x), b);
        assert_int_equal(sv_agent_restart_type(x), RESTART_TRANSIENT);
        assert_string_equal(world_name(x), "x");
        assert_int_equal(sv_agent_add(w->sv, b, _RESTART_MAX, NULL, w->now, NULL), -EINVAL);

        assert_string_equal(sv_action_type_to_string(SV_ACTION_RESTARTED), "restarted");
        assert_null(sv_action_type_to_string(_SV_ACTION_MAX));
        assert_string_equal(sv_agent_state_to_string(SV_AGENT_WAITING), "waiting");
        assert_null(sv_agent_state_to_string(_SV_AGENT_STATE_MAX));
        world_free(w);
}

static double elapsed(const struct timespec *since) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) (ts.tv_sec - since->tv_sec) + (double) (ts.tv_nsec - since->tv_nsec) / 1e9;
}

/* 10,000 agents in one one-for-one supervisor, each crashing once: each crash
 * restarts just that agent. Then again with a backoff, so all 10,000 wait in
 * the timer heap at once and come back in crash order. A scan of all agents
 * per event would make this take seconds instead of milliseconds. */
static void test_ten_thousand_agents(void **state) {
        enum { N = 10000 };
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        SvAgent **agents = calloc(N, sizeof(SvAgent *));
        struct timespec start;
        World *w;
        SvAction act;
        size_t n;

        assert_non_null(agents);
        p.max_children = N;
        p.max_restarts = 2 * N;
        p.restart_window_usec = SEC(1);
        w = world_new(&p);
        clock_gettime(CLOCK_MONOTONIC, &start);

        for (unsigned i = 0; i < N; i++) {
                char name[16];

                snprintf(name, sizeof name, "a%u", i);
                agents[i] = world_add(w, w->root, RESTART_PERMANENT, name);
        }
        for (n = 0; sv_pop_action(w->sv, &act); n++) {
                assert_int_equal(act.type, SV_ACTION_SPAWN);
                sv_agent_spawned(w->sv, act.agent, w->now);
        }
        assert_int_equal(n, N);
        assert_int_equal(sv_supervisor_n_agents(w->root), N);

        for (unsigned i = 0; i < N; i++) {
                world_crash(w, agents[i]);
                assert_true(sv_pop_action(w->sv, &act));
                assert_int_equal(act.type, SV_ACTION_SPAWN);
                assert_ptr_equal(act.agent, agents[i]);
                sv_agent_spawned(w->sv, act.agent, w->now);
                assert_true(sv_pop_action(w->sv, &act));
                assert_int_equal(act.type, SV_ACTION_RESTARTED);
                assert_false(sv_pop_action(w->sv, &act));
        }
        for (unsigned i = 0; i < N; i++) {
                expect_state(w, agents[i], SV_AGENT_RUNNING);
                assert_int_equal(sv_agent_restart_count(agents[i]), 1);
        }

        world_free(w);

        p.restart_delay_usec = SEC(1);
        p.restart_max_delay_usec = SEC(1);
        w = world_new(&p);
        for (unsigned i = 0; i < N; i++) {
                char name[16];

                snprintf(name, sizeof name, "a%u", i);
                agents[i] = world_add(w, w->root, RESTART_PERMANENT, name);
        }
        while (sv_pop_action(w->sv, &act))
                sv_agent_spawned(w->sv, act.agent, w->now);

        /* Crash in a scrambled order, 1us apart. */
        for (unsigned i = 0; i < N; i++) {
                world_crash(w, agents[(i * 7919u) % N]);
                w->now++;
        }
        assert_false(sv_pop_action(w->sv, &act));
        world_advance(w, SEC(1));
        for (unsigned i = 0; i < N; i++) {
                assert_true(sv_pop_action(w->sv, &act));
                assert_int_equal(act.type, SV_ACTION_SPAWN);
                assert_ptr_equal(act.agent, agents[(i * 7919u) % N]);
                assert_true(sv_pop_action(w->sv, &act));
                assert_int_equal(act.type, SV_ACTION_RESTARTED);
        }
        assert_false(sv_pop_action(w->sv, &act));
        assert_true(sv_next_deadline(w->sv) == USEC_INFINITY);

        print_message("10,000 agents: %.3fs\n", elapsed(&start));
        assert_true(elapsed(&start) < 5.0);

        sv_shutdown(w->sv, w->now);
        for (n = 0; sv_pop_action(w->sv, &act); n++) {
                assert_int_equal(act.type, SV_ACTION_STOP);
                assert_ptr_equal(act.agent, agents[N - 1 - n]);
        }
        assert_int_equal(n, N);
        for (unsigned i = 0; i < N; i++)
                world_exit_ok(w, agents[i]);
        assert_true(sv_shutdown_done(w->sv));

        world_free(w);
        free(agents);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stop_and_start),
                cmocka_unit_test(test_restart_request),
                cmocka_unit_test(test_restart_request_during_backoff),
                cmocka_unit_test(test_remove),
                cmocka_unit_test(test_max_children),
                cmocka_unit_test(test_shutdown),
                cmocka_unit_test(test_supervisor_tree),
                cmocka_unit_test(test_ten_thousand_agents),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
