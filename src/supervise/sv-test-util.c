/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake daemon behind the supervision core's tests (see sv-test-util.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv-state.h"
#include "sv-test-util.h"

SvParams test_params(Strategy strategy) {
        return (SvParams) {
                .strategy = strategy,
                .max_restarts = 3,
                .restart_window_usec = SEC(5),
                .restart_delay_usec = 0,
                .restart_max_delay_usec = 0,
                .restart = RESTART_PERMANENT,
                .max_children = 100,
                .on_escalation = ON_ESCALATION_STOP,
        };
}

static const char *name_of(void *userdata) {
        return userdata;
}

World *world_new(const SvParams *root_params) {
        World *w = calloc(1, sizeof(World));

        assert_non_null(w);
        w->sv = sv_new();
        assert_non_null(w->sv);
        sv_set_name_callback(w->sv, name_of);
        w->now = SEC(1000);
        assert_int_equal(sv_supervisor_add(w->sv, "root", NULL, root_params, NULL, &w->root), 0);
        return w;
}

void world_free(World *w) {
        if (!w)
                return;
        /* No test may drive an agent through a pair the table calls impossible. */
        assert_int_equal(sv_impossible_count(w->sv), 0);
        sv_free(w->sv);
        for (size_t i = 0; i < w->n_names; i++)
                free(w->names[i]);
        free(w->names);
        free(w);
}

SvSupervisor *world_supervisor(World *w, const char *name, SvSupervisor *parent, const SvParams *p) {
        SvSupervisor *s = NULL;

        assert_int_equal(sv_supervisor_add(w->sv, name, parent, p, NULL, &s), 0);
        return s;
}

SvAgent *world_add(World *w, SvSupervisor *s, RestartType restart, const char *name) {
        SvAgent *a = NULL;
        char *copy = strdup(name), **names;
        int r;

        assert_non_null(copy);
        names = reallocarray(w->names, w->n_names + 1, sizeof(char *));
        assert_non_null(names);
        w->names = names;
        w->names[w->n_names++] = copy;

        r = sv_agent_add(w->sv, s, restart, copy, w->now, &a);
        if (r != 0)
                fail_msg("sv_agent_add(%s) failed: %s", name, strerror(-r));
        return a;
}

SvAgent *world_add_running(World *w, SvSupervisor *s, RestartType restart, const char *name) {
        SvAgent *a = world_add(w, s, restart, name);

        free(world_drain(w));
        return a;
}

SvSupervisor *world_nested(World *w, const SvParams *np, const char *sibling, SvAgent **ret_x, SvAgent **ret_y,
                           SvAgent **ret_sibling) {
        SvSupervisor *n = world_supervisor(w, "n", w->root, np);

        *ret_x = world_add_running(w, n, RESTART_PERMANENT, "x");
        *ret_y = world_add_running(w, n, RESTART_PERMANENT, "y");
        *ret_sibling = world_add_running(w, w->root, RESTART_PERMANENT, sibling);
        return n;
}

const char *world_name(const SvAgent *a) {
        return sv_agent_userdata(a);
}

void world_advance(World *w, usec_t d) {
        w->now += d;
        sv_run_timers(w->sv, w->now);
}

bool world_crash(World *w, SvAgent *a) {
        return sv_agent_exited(w->sv, a, false, w->now);
}

bool world_exit_ok(World *w, SvAgent *a) {
        return sv_agent_exited(w->sv, a, true, w->now);
}

static const char *stop_reason(SvStopReason r) {
        switch (r) {
        case SV_STOP_REQUESTED:
                return "requested";
        case SV_STOP_RESTART:
                return "restart";
        case SV_STOP_ESCALATION:
                return "escalation";
        case SV_STOP_SHUTDOWN:
                return "shutdown";
        default:
                return "?";
        }
}

char *world_drain(World *w) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        SvAction a;
        bool first = true;

        assert_non_null(f);

        while (sv_pop_action(w->sv, &a)) {
                const char *type = sv_action_type_to_string(a.type);

                fputs(first ? "" : " ", f);
                first = false;

                switch (a.type) {
                case SV_ACTION_STOP:
                        fprintf(f, "%s:%s(%s)", type, (const char *) a.userdata, stop_reason(a.stop_reason));
                        break;
                case SV_ACTION_SPAWN:
                case SV_ACTION_RESTARTED:
                case SV_ACTION_REMOVE:
                case SV_ACTION_FREEZE:
                        fprintf(f, "%s:%s", type, (const char *) a.userdata);
                        break;
                default:
                        fprintf(f, "%s:%s", type, sv_supervisor_name(a.supervisor));
                }

                if (a.type == SV_ACTION_SPAWN)
                        sv_agent_spawned(w->sv, a.agent, w->now);
        }

        assert_int_equal(fclose(f), 0);
        return buf;
}

void world_expect_actions(World *w, const char *expected, const char *file, int line) {
        char *got = world_drain(w);

        if (strcmp(got, expected) != 0) {
                print_error("%s:%d: wrong actions from the supervision core\n"
                            "  expected: \"%s\"\n"
                            "  got:      \"%s\"\n",
                            file, line, expected, got);
                free(got);
                _fail(file, line);
        }
        free(got);
}

void world_expect_state(World *w, SvAgent *a, SvAgentState st, const char *file, int line) {
        if (sv_agent_state(a) != st) {
                print_error("%s:%d: agent %s is %s, expected %s\n", file, line, world_name(a),
                            sv_agent_state_to_string(sv_agent_state(a)), sv_agent_state_to_string(st));
                _fail(file, line);
        }
}
