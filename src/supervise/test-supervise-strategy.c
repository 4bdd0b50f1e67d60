/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strategies and restart types: which children a failure restarts, and the
 * exact order of the STOP / SPAWN / RESTARTED actions for it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv-test-util.h"

static void append(char *buf, size_t size, const char *type, const char *name, const char *suffix) {
        size_t len = strlen(buf);

        snprintf(buf + len, size - len, "%s%s:%s%s", len > 0 ? " " : "", type, name, suffix);
}

/* n running agents a0..a(n-1) under `strategy`; a(k) crashes. Checks the
 * sequence the strategy prescribes, reporting exits in the order of the
 * STOPs. */
static void check_strategy(Strategy strategy, unsigned n, unsigned k) {
        SvParams p = test_params(strategy);
        World *w = world_new(&p);
        SvAgent *agents[5];
        char names[5][8], stops[256] = "", spawns[256] = "";
        unsigned first = strategy == STRATEGY_ONE_FOR_ALL ? 0 : k;
        const usec_t *times;

        assert_true(n <= 5 && k < n);

        for (unsigned i = 0; i < n; i++) {
                snprintf(names[i], sizeof names[i], "a%u", i);
                agents[i] = world_add_running(w, w->root, RESTART_PERMANENT, names[i]);
        }

        world_crash(w, agents[k]);

        if (strategy == STRATEGY_ONE_FOR_ONE) {
                snprintf(spawns, sizeof spawns, "spawn:%s restarted:%s", names[k], names[k]);
                expect_actions(w, spawns);
                for (unsigned i = 0; i < n; i++)
                        assert_int_equal(sv_agent_restart_count(agents[i]), i == k ? 1 : 0);
                world_free(w);
                return;
        }

        /* Afterwards the whole group starts again in start order. */
        for (unsigned i = first; i < n; i++) {
                append(spawns, sizeof spawns, "spawn", names[i], "");
                append(spawns, sizeof spawns, "restarted", names[i], "");
        }

        /* The others of the group stop, last started first, and nothing
         * starts before the last of them is down. */
        if (n - first > 1) {
                unsigned last = k == first ? first + 1 : first;

                for (unsigned i = n; i-- > first;)
                        if (i != k)
                                append(stops, sizeof stops, "stop", names[i], "(restart)");
                expect_actions(w, stops);

                for (unsigned i = n; i-- > first;)
                        if (i != k) {
                                expect_state(w, agents[i], SV_AGENT_STOPPING);
                                world_exit_ok(w, agents[i]);
                                if (i != last)
                                        expect_actions(w, "");
                        }
        }
        expect_actions(w, spawns);

        for (unsigned i = 0; i < n; i++) {
                expect_state(w, agents[i], SV_AGENT_RUNNING);
                assert_int_equal(sv_agent_restart_count(agents[i]), i >= first ? 1 : 0);
        }
        /* A group restart counts once against intensity. */
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 1);

        world_free(w);
}

static void test_one_for_one_sizes(void **state) {
        check_strategy(STRATEGY_ONE_FOR_ONE, 1, 0);
        check_strategy(STRATEGY_ONE_FOR_ONE, 2, 0);
        check_strategy(STRATEGY_ONE_FOR_ONE, 2, 1);
        check_strategy(STRATEGY_ONE_FOR_ONE, 5, 2);
}

static void test_one_for_all_sizes(void **state) {
        check_strategy(STRATEGY_ONE_FOR_ALL, 1, 0);
        check_strategy(STRATEGY_ONE_FOR_ALL, 2, 0);
        check_strategy(STRATEGY_ONE_FOR_ALL, 2, 1);
        check_strategy(STRATEGY_ONE_FOR_ALL, 5, 2);
        check_strategy(STRATEGY_ONE_FOR_ALL, 5, 4);
}

static void test_rest_for_one_sizes(void **state) {
        check_strategy(STRATEGY_REST_FOR_ONE, 1, 0);
        check_strategy(STRATEGY_REST_FOR_ONE, 2, 0);
        check_strategy(STRATEGY_REST_FOR_ONE, 2, 1);
        check_strategy(STRATEGY_REST_FOR_ONE, 5, 2);
        check_strategy(STRATEGY_REST_FOR_ONE, 5, 0);
}

/* The same, spelled out, so the expected order reads at a glance. */
static void test_one_for_all_explicit(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        SvAgent *c = world_add_running(w, w->root, RESTART_PERMANENT, "c");

        world_crash(w, b);
        expect_actions(w, "stop:c(restart) stop:a(restart)");
        expect_state(w, b, SV_AGENT_WAITING);
        world_exit_ok(w, a);            /* exits may come in any order */
        expect_actions(w, "");
        world_exit_ok(w, c);
        expect_actions(w, "spawn:a restarted:a spawn:b restarted:b spawn:c restarted:c");
        world_free(w);
}

static void test_rest_for_one_explicit(void **state) {
        SvParams p = test_params(STRATEGY_REST_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        SvAgent *c = world_add_running(w, w->root, RESTART_PERMANENT, "c");
        SvAgent *d = world_add_running(w, w->root, RESTART_PERMANENT, "d");

        world_crash(w, b);
        expect_actions(w, "stop:d(restart) stop:c(restart)");
        world_exit_ok(w, d);
        world_exit_ok(w, c);
        expect_actions(w, "spawn:b restarted:b spawn:c restarted:c spawn:d restarted:d");
        expect_state(w, a, SV_AGENT_RUNNING);
        assert_int_equal(sv_agent_restart_count(a), 0);
        world_free(w);
}

/* rest-for-one: while c's group restart waits, an earlier child failing
 * widens it and counts again. */
static void test_rest_for_one_widens(void **state) {
        SvParams p = test_params(STRATEGY_REST_FOR_ONE);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        SvAgent *c = world_add_running(w, w->root, RESTART_PERMANENT, "c");
        SvAgent *d = world_add_running(w, w->root, RESTART_PERMANENT, "d");
        const usec_t *times;

        world_crash(w, c);
        expect_actions(w, "stop:d(restart)");
        world_crash(w, a);
        expect_actions(w, "stop:b(restart)");
        assert_int_equal(sv_supervisor_restart_times(w->root, &times), 2);
        world_exit_ok(w, d);
        expect_actions(w, "");
        world_exit_ok(w, b);
        expect_actions(w, "spawn:a restarted:a spawn:b restarted:b spawn:c restarted:c spawn:d restarted:d");
        world_free(w);
}

typedef struct RestartCase {
        RestartType type;
        bool normal;
        bool restarted;
} RestartCase;

/* Every restart type and end under every strategy; a sibling after it shows
 * whether the group was disturbed. */
static void test_restart_types(void **state) {
        static const RestartCase cases[] = {
                { RESTART_PERMANENT, true, true },
                { RESTART_PERMANENT, false, true },
                { RESTART_TRANSIENT, true, false },
                { RESTART_TRANSIENT, false, true },
                { RESTART_TEMPORARY, true, false },
                { RESTART_TEMPORARY, false, false },
        };

        for (Strategy s = 0; s < _STRATEGY_MAX; s++)
                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        SvParams p = test_params(s);
                        World *w = world_new(&p);
                        SvAgent *x = world_add_running(w, w->root, cases[i].type, "x");
                        SvAgent *y = world_add_running(w, w->root, RESTART_PERMANENT, "y");

                        sv_agent_exited(w->sv, x, cases[i].normal, w->now);

                        print_message("strategy %s, %s agent, %s end\n", strategy_to_string(s),
                                      cases[i].type == RESTART_PERMANENT ? "permanent" :
                                      cases[i].type == RESTART_TRANSIENT ? "transient" : "temporary",
                                      cases[i].normal ? "normal" : "abnormal");

                        if (!cases[i].restarted) {
                                /* Ends quietly: a DOWN record, siblings untouched. */
                                expect_actions(w, "");
                                expect_state(w, x, SV_AGENT_DOWN);
                                expect_state(w, y, SV_AGENT_RUNNING);
                        } else if (s == STRATEGY_ONE_FOR_ONE) {
                                expect_actions(w, "spawn:x restarted:x");
                        } else {
                                expect_actions(w, "stop:y(restart)");
                                world_exit_ok(w, y);
                                expect_actions(w, "spawn:x restarted:x spawn:y restarted:y");
                        }
                        world_free(w);
                }
}

/* A temporary sibling that a group restart stops is removed, not restarted;
 * one before the failed child under rest-for-one is not touched. */
static void test_temporary_removed_by_group_restart(void **state) {
        for (Strategy s = STRATEGY_ONE_FOR_ALL; s <= STRATEGY_REST_FOR_ONE; s++) {
                SvParams p = test_params(s);
                World *w = world_new(&p);
                SvAgent *t1 = world_add_running(w, w->root, RESTART_TEMPORARY, "t1");
                SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
                SvAgent *t2 = world_add_running(w, w->root, RESTART_TEMPORARY, "t2");

                world_crash(w, a);
                if (s == STRATEGY_ONE_FOR_ALL) {
                        expect_actions(w, "stop:t2(restart) stop:t1(restart)");
                        /* false: the core freed it, only the REMOVE's userdata is left */
                        assert_false(world_exit_ok(w, t2));
                        expect_actions(w, "remove:t2");
                        assert_false(world_exit_ok(w, t1));
                        expect_actions(w, "remove:t1 spawn:a restarted:a");
                        assert_int_equal(sv_supervisor_n_agents(w->root), 1);
                } else {
                        expect_actions(w, "stop:t2(restart)");
                        assert_false(world_exit_ok(w, t2));
                        expect_actions(w, "remove:t2 spawn:a restarted:a");
                        expect_state(w, t1, SV_AGENT_RUNNING);
                        assert_int_equal(sv_supervisor_n_agents(w->root), 2);
                }
                world_free(w);
        }
}

/* A temporary that ended before the group restart stays as a DOWN record. */
static void test_ended_temporary_kept_by_group_restart(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL);
        World *w = world_new(&p);
        SvAgent *t = world_add_running(w, w->root, RESTART_TEMPORARY, "t");
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");

        assert_true(world_exit_ok(w, t));
        world_crash(w, a);
        expect_actions(w, "spawn:a restarted:a");
        expect_state(w, t, SV_AGENT_DOWN);
        assert_int_equal(sv_agent_remove(w->sv, t), 0);
        world_free(w);
}

/* A failed spawn is reported as an abnormal exit while STARTING. */
static void test_spawn_failure_is_an_exit(void **state) {
        for (Strategy s = 0; s < _STRATEGY_MAX; s++) {
                SvParams p = test_params(s);
                World *w = world_new(&p);
                SvAgent *a = world_add(w, w->root, RESTART_PERMANENT, "a");
                const usec_t *times;

                expect_state(w, a, SV_AGENT_STARTING);
                world_crash(w, a);
                expect_actions(w, "spawn:a spawn:a restarted:a");
                assert_int_equal(sv_supervisor_restart_times(w->root, &times), 1);
                world_free(w);
        }
}

/* An agent held down by a request is waited for but not restarted by a
 * group restart. */
static void test_group_restart_skips_held_down(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ALL);
        World *w = world_new(&p);
        SvAgent *a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        SvAgent *b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        SvAgent *c = world_add_running(w, w->root, RESTART_PERMANENT, "c");

        assert_int_equal(sv_agent_stop(w->sv, b, w->now), 0);
        expect_actions(w, "stop:b(requested)");
        world_exit_ok(w, b);
        world_crash(w, a);
        expect_actions(w, "stop:c(restart)");
        world_exit_ok(w, c);
        expect_actions(w, "spawn:a restarted:a spawn:c restarted:c");
        expect_state(w, b, SV_AGENT_DOWN);

        /* Stopped by request while the group restart waits for it. */
        world_crash(w, c);
        expect_actions(w, "stop:a(restart)");
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), 0);
        expect_actions(w, "");
        world_exit_ok(w, a);
        expect_actions(w, "spawn:c restarted:c");
        expect_state(w, a, SV_AGENT_DOWN);
        world_free(w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_for_one_sizes),
                cmocka_unit_test(test_one_for_all_sizes),
                cmocka_unit_test(test_rest_for_one_sizes),
                cmocka_unit_test(test_one_for_all_explicit),
                cmocka_unit_test(test_rest_for_one_explicit),
                cmocka_unit_test(test_rest_for_one_widens),
                cmocka_unit_test(test_restart_types),
                cmocka_unit_test(test_temporary_removed_by_group_restart),
                cmocka_unit_test(test_ended_temporary_kept_by_group_restart),
                cmocka_unit_test(test_spawn_failure_is_an_exit),
                cmocka_unit_test(test_group_restart_skips_held_down),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
