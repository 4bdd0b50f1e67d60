/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Walks every (state, event) entry of the agent table (sv-table.c): each
 * state is reached through the table itself from a fresh agent, the event is
 * fired, and the outcome is checked against what the entry declares. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv-internal.h"
#include "sv-test-util.h"

#define MAX_PATH 8
#define BACKOFF_OFFSET SEC(7)           /* longer than the 5s window of test_params() */
#define STALE_COUNT 5U

typedef struct Path {
        bool found;
        size_t n;
        SvEvent events[MAX_PATH];
} Path;

static void test_table_complete(void **state) {
        for (SvState s = 0; s < _SV_STATE_MAX; s++) {
                assert_non_null(sv_state_to_string(s));
                for (SvEvent e = 0; e < _SV_EVENT_MAX; e++) {
                        const SvTransition *t = sv_transition(s, e);

                        if (t->kind == SV_ENTRY_UNSET)
                                fail_msg("no entry for (%s, %s)", sv_state_to_string(s), sv_event_to_string(e));
                        if (t->kind == SV_ENTRY_MOVE) {
                                assert_true(t->next >= 0 && t->next < _SV_STATE_MAX);
                                assert_non_null(sv_step_to_string(t->step));
                        } else {
                                if (!t->why || !*t->why)
                                        fail_msg("(%s, %s) gives no reason", sv_state_to_string(s),
                                                 sv_event_to_string(e));
                                assert_true(t->rc <= 0);
                        }
                }
        }
        for (SvEvent e = 0; e < _SV_EVENT_MAX; e++)
                assert_non_null(sv_event_to_string(e));
        assert_null(sv_state_to_string(_SV_STATE_MAX));
        assert_int_equal(sv_transition(_SV_STATE_MAX, 0)->kind, SV_ENTRY_IMPOSSIBLE);
        assert_int_equal(sv_transition(0, _SV_EVENT_MAX)->kind, SV_ENTRY_IMPOSSIBLE);
}

/* Shortest event sequences from STARTING (a fresh agent) along transitions
 * that keep the agent. */
static void find_paths(Path paths[_SV_STATE_MAX]) {
        SvState queue[_SV_STATE_MAX];
        size_t head = 0, tail = 0;

        memset(paths, 0, sizeof(Path) * _SV_STATE_MAX);
        paths[SV_STATE_STARTING].found = true;
        queue[tail++] = SV_STATE_STARTING;

        while (head < tail) {
                SvState s = queue[head++];

                for (SvEvent e = 0; e < _SV_EVENT_MAX; e++) {
                        const SvTransition *t = sv_transition(s, e);
                        Path *p;

                        if (t->kind != SV_ENTRY_MOVE || t->step == SV_STEP_FREE || t->step == SV_STEP_REMOVE)
                                continue;
                        p = &paths[t->next];
                        if (p->found)
                                continue;
                        assert_true(paths[s].n < MAX_PATH);
                        *p = paths[s];
                        p->events[p->n++] = e;
                        queue[tail++] = t->next;
                }
        }
}

static void test_every_state_reachable(void **state) {
        Path paths[_SV_STATE_MAX];

        find_paths(paths);
        for (SvState s = 0; s < _SV_STATE_MAX; s++)
                if (!paths[s].found)
                        fail_msg("state %s cannot be reached", sv_state_to_string(s));
}

static size_t pop_all(Sv *sv, SvAction *out, size_t max) {
        SvAction a;
        size_t n = 0;

        while (sv_pop_action(sv, &a))
                if (n < max)
                        out[n++] = a;
                else
                        fail_msg("more than %zu actions queued", max);
        return n;
}

static SvStopReason expected_stop_reason(SvEvent e) {
        return e == SV_EVENT_STOP ? SV_STOP_REQUESTED :
               e == SV_EVENT_ESCALATION_STOP ? SV_STOP_ESCALATION :
               e == SV_EVENT_SHUTDOWN_STOP ? SV_STOP_SHUTDOWN : SV_STOP_RESTART;
}

static void expect_types(const SvAction *acts, size_t n, const SvActionType *types, size_t n_types,
                         const char *what) {
        if (n != n_types)
                fail_msg("%s: %zu actions queued, expected %zu", what, n, n_types);
        for (size_t i = 0; i < n; i++)
                if (acts[i].type != types[i])
                        fail_msg("%s: action %zu is %s, expected %s", what, i,
                                 sv_action_type_to_string(acts[i].type), sv_action_type_to_string(types[i]));
}

/* The effects of a MOVE entry that kept the agent. */
static void check_move(World *w, SvAgent *a, const SvTransition *t, SvState from, SvEvent e,
                       const SvAction *acts, size_t n, unsigned count_before, const char *what) {
        usec_t when = w->now + BACKOFF_OFFSET;
        bool forgets = t->step == SV_STEP_SPAWN_AFRESH || t->step == SV_STEP_START ||
                t->step == SV_STEP_STOP_AFRESH || t->step == SV_STEP_FORGET_BACKOFF;

        if (sv_agent_fine_state(a) != t->next)
                fail_msg("%s: ended %s, the table says %s", what, sv_state_to_string(sv_agent_fine_state(a)),
                         sv_state_to_string(t->next));
        assert_int_equal(sv_agent_state(a), sv_state_class(t->next));
        assert_int_equal(sv_supervisor_n_agents(w->root), sv_state_class(t->next) == SV_AGENT_DOWN ? 0 : 1);

        switch (t->step) {
        case SV_STEP_SPAWN:
        case SV_STEP_SPAWN_AFRESH:
        case SV_STEP_START:
                expect_types(acts, n, (SvActionType[]) { SV_ACTION_SPAWN }, 1, what);
                break;
        case SV_STEP_SPAWN_RESTARTED:
                expect_types(acts, n, (SvActionType[]) { SV_ACTION_SPAWN, SV_ACTION_RESTARTED }, 2, what);
                break;
        case SV_STEP_FREEZE:
                expect_types(acts, n, (SvActionType[]) { SV_ACTION_FREEZE }, 1, what);
                break;
        case SV_STEP_STOP:
        case SV_STEP_STOP_AFRESH:
                expect_types(acts, n, (SvActionType[]) { SV_ACTION_STOP }, 1, what);
                assert_int_equal(acts[0].stop_reason, expected_stop_reason(e));
                assert_ptr_equal(acts[0].agent, a);
                break;
        default:
                expect_types(acts, n, NULL, 0, what);
        }
        for (size_t i = 0; i < n; i++) {
                assert_ptr_equal(acts[i].agent, a);
                assert_ptr_equal(acts[i].supervisor, w->root);
        }

        assert_int_equal(sv_agent_restart_count(a), count_before + (t->step == SV_STEP_SPAWN_RESTARTED));

        if (t->step == SV_STEP_FAIL)
                /* Up for longer than the window, if it was ever reported up. */
                forgets = from == SV_STATE_RUNNING;
        if (a->node.consecutive != (forgets ? 0 : STALE_COUNT))
                fail_msg("%s: backoff count %u after step %s", what, a->node.consecutive, sv_step_to_string(t->step));

        if (t->step == SV_STEP_MARK_STARTED)
                assert_int_equal(a->node.started_at, when);
        assert_int_equal(sv_next_deadline(w->sv), t->next == SV_STATE_WAITING_FOR_BACKOFF ? when : USEC_INFINITY);
}

static void walk_one(SvState s, SvEvent e, const Path *path) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        const SvTransition *t = sv_transition(s, e);
        World *w = world_new(&p);
        SvAgent *a = world_add(w, w->root, RESTART_PERMANENT, "a");
        usec_t when = w->now + BACKOFF_OFFSET;
        SvAction acts[4];
        unsigned count_before;
        size_t n;
        char what[128];
        int r;

        snprintf(what, sizeof what, "(%s, %s)", sv_state_to_string(s), sv_event_to_string(e));

        for (size_t i = 0; i < path->n; i++) {
                SvEvent pe = path->events[i];
                assert_int_equal(sv_agent_fire(w->sv, a, pe, pe == SV_EVENT_BACKOFF ? when : w->now), 0);
        }
        assert_int_equal(sv_agent_fine_state(a), s);
        (void) pop_all(w->sv, acts, SIZE_MAX);
        a->node.consecutive = STALE_COUNT;
        count_before = sv_agent_restart_count(a);

        r = sv_agent_fire(w->sv, a, e, when);
        n = pop_all(w->sv, acts, 4);

        switch (t->kind) {
        case SV_ENTRY_IGNORE:
        case SV_ENTRY_IMPOSSIBLE:
                if (r != (t->kind == SV_ENTRY_IGNORE ? t->rc : -EINVAL))
                        fail_msg("%s returned %d", what, r);
                assert_int_equal(sv_agent_fine_state(a), s);
                expect_types(acts, n, NULL, 0, what);
                assert_int_equal(a->node.consecutive, STALE_COUNT);
                assert_int_equal(sv_impossible_count(w->sv), t->kind == SV_ENTRY_IMPOSSIBLE);
                w->sv->n_impossible = 0;
                break;
        case SV_ENTRY_MOVE:
                assert_int_equal(sv_impossible_count(w->sv), 0);
                if (t->step == SV_STEP_FREE || t->step == SV_STEP_REMOVE) {
                        if (r != SV_FIRE_FREED)
                                fail_msg("%s returned %d, expected the agent freed", what, r);
                        if (t->step == SV_STEP_REMOVE) {
                                expect_types(acts, n, (SvActionType[]) { SV_ACTION_REMOVE }, 1, what);
                                assert_string_equal(acts[0].userdata, "a");
                        } else
                                expect_types(acts, n, NULL, 0, what);
                        assert_null(w->root->head);
                        assert_int_equal(sv_supervisor_n_agents(w->root), 0);
                } else {
                        if (r != 0)
                                fail_msg("%s returned %d", what, r);
                        check_move(w, a, t, s, e, acts, n, count_before, what);
                }
                break;
        default:
                fail_msg("%s has no entry", what);
        }
        world_free(w);
}

static void test_walk_every_entry(void **state) {
        Path paths[_SV_STATE_MAX];
        size_t walked = 0;

        find_paths(paths);
        for (SvState s = 0; s < _SV_STATE_MAX; s++)
                for (SvEvent e = 0; e < _SV_EVENT_MAX; e++) {
                        walk_one(s, e, &paths[s]);
                        walked++;
                }
        assert_int_equal(walked, (size_t) _SV_STATE_MAX * _SV_EVENT_MAX);
}

/* START's room check happens before anything changes. */
static void test_start_without_room(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w;
        SvAgent *a, *b;

        p.max_children = 1;
        w = world_new(&p);
        a = world_add_running(w, w->root, RESTART_PERMANENT, "a");
        assert_int_equal(sv_agent_stop(w->sv, a, w->now), 0);
        world_exit_ok(w, a);
        expect_actions(w, "stop:a(requested)");
        assert_int_equal(sv_agent_fine_state(a), SV_STATE_HELD);
        b = world_add_running(w, w->root, RESTART_PERMANENT, "b");
        assert_int_equal(sv_agent_start(w->sv, a, w->now), -E2BIG);
        assert_int_equal(sv_agent_fine_state(a), SV_STATE_HELD);
        expect_actions(w, "");
        assert_int_equal(sv_agent_fine_state(b), SV_STATE_RUNNING);
        world_free(w);
}

/* The daemon finds its own object for a supervisor without a name lookup. */
static void test_supervisor_userdata(void **state) {
        SvParams p = test_params(STRATEGY_ONE_FOR_ONE);
        World *w = world_new(&p);
        SvSupervisor *s = NULL;
        SvAction act;
        int mine;

        assert_null(sv_supervisor_userdata(w->root));
        assert_int_equal(sv_supervisor_add(w->sv, "mine", w->root, &p, &mine, &s), 0);
        assert_ptr_equal(sv_supervisor_userdata(s), &mine);
        (void) world_add(w, s, RESTART_PERMANENT, "a");
        assert_true(sv_pop_action(w->sv, &act));
        assert_int_equal(act.type, SV_ACTION_SPAWN);
        assert_ptr_equal(sv_supervisor_userdata(act.supervisor), &mine);
        world_free(w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_complete),
                cmocka_unit_test(test_every_state_reachable),
                cmocka_unit_test(test_walk_every_entry),
                cmocka_unit_test(test_start_without_room),
                cmocka_unit_test(test_supervisor_userdata),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
