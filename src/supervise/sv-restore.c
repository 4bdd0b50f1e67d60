/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saving and restoring agents and supervisors of the core (sv-restore.h).
 * The one place besides sv_agent_fire() that sets an agent's state: a
 * restored agent enters the tree in the state it left the earlier daemon's
 * tree in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv-internal.h"
#include "sv-restore.h"

void sv_agent_save(const SvAgent *a, SvAgentSaved *ret) {
        SvAgentSaved s = {
                .restart_count = a->restart_count,
                .consecutive = a->node.consecutive,
                .started_at = a->node.started_at,
        };

        switch (a->state) {
        case SV_STATE_STARTING:
        case SV_STATE_RUNNING:
                s.state = SV_RESTORE_RUNNING;
                break;
        case SV_STATE_WAITING_FOR_BACKOFF:
                s.state = SV_RESTORE_WAITING;
                s.deadline = sv_timer_armed(&a->node.timer) ? a->node.timer.deadline : 0;
                break;
        case SV_STATE_FAILED:
        case SV_STATE_WAITING_FOR_GROUP:
                s.state = SV_RESTORE_WAITING;
                break;
        case SV_STATE_STOPPING_FOR_REQUEST:
        case SV_STATE_STOPPING_FOR_REMOVAL_HELD:
                s.state = SV_RESTORE_STOPPING_REQUEST;
                break;
        case SV_STATE_STOPPING_FOR_RESTART:
        case SV_STATE_STOPPING_FOR_GROUP:
                s.state = SV_RESTORE_STOPPING_RESTART;
                break;
        case SV_STATE_STOPPING_FOR_REMOVAL:
                s.state = SV_RESTORE_STOPPING_REMOVAL;
                break;
        case SV_STATE_STOPPING_FOR_SUPERVISOR:
                s.state = SV_RESTORE_STOPPING_SUPERVISOR;
                break;
        case SV_STATE_HELD:
                s.state = SV_RESTORE_HELD;
                break;
        case SV_STATE_FROZEN:
                s.state = SV_RESTORE_FROZEN;
                break;
        default:
                s.state = SV_RESTORE_DOWN;
                break;
        }
        *ret = s;
}

static const SvState restore_state[_SV_RESTORE_MAX] = {
        [SV_RESTORE_RUNNING] = SV_STATE_RUNNING,
        [SV_RESTORE_DOWN] = SV_STATE_DOWN,
        [SV_RESTORE_HELD] = SV_STATE_HELD,
        [SV_RESTORE_WAITING] = SV_STATE_WAITING_FOR_BACKOFF,
        [SV_RESTORE_STOPPING_REQUEST] = SV_STATE_STOPPING_FOR_REQUEST,
        [SV_RESTORE_STOPPING_RESTART] = SV_STATE_STOPPING_FOR_RESTART,
        [SV_RESTORE_STOPPING_SUPERVISOR] = SV_STATE_STOPPING_FOR_SUPERVISOR,
        [SV_RESTORE_STOPPING_REMOVAL] = SV_STATE_STOPPING_FOR_REMOVAL,
        [SV_RESTORE_FROZEN] = SV_STATE_FROZEN,
};

int sv_agent_restore(Sv *sv, SvSupervisor *s, RestartType restart, void *userdata, const SvAgentSaved *saved,
                     SvAgent **ret) {
        SvState st;
        SvAgent *a;
        int r;

        assert(sv);
        assert(s);

        if (restart < 0 || restart >= _RESTART_MAX || saved->state < 0 || saved->state >= _SV_RESTORE_MAX)
                return -EINVAL;
        if (sv->shutting_down)
                return -ESHUTDOWN;
        st = restore_state[saved->state];
        if (sv_state_class(st) != SV_AGENT_DOWN && s->n_up >= s->params.max_children)
                return -E2BIG;
        r = sv_reserve(sv, sv->n_agents + 1, sv->n_supervisors);
        if (r < 0)
                return r;
        a = calloc(1, sizeof(SvAgent));
        if (!a)
                return -ENOMEM;
        a->state = SV_STATE_DOWN;
        a->restart = restart;
        a->userdata = userdata;
        a->restart_count = saved->restart_count;
        sv_timer_init(&a->node.timer, SV_TIMER_CHILD);
        sv_node_append(sv, s, &a->node);
        sv->n_agents++;
        a->node.consecutive = saved->consecutive;
        a->node.started_at = saved->started_at;
        sv_agent_set_state(sv, a, st);
        if (st == SV_STATE_WAITING_FOR_BACKOFF)
                sv_timer_heap_arm(&sv->timers, &a->node.timer, saved->deadline);
        *ret = a;
        return 0;
}

int sv_supervisor_restore(Sv *sv, SvSupervisor *s, bool escalated, const char *reason, const usec_t *times,
                          size_t n) {
        usec_t *copy = NULL;

        assert(sv);
        assert(s);

        if (n > 0) {
                copy = malloc(n * sizeof(usec_t));
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, times, n * sizeof(usec_t));
        }
        sv_restart_log_done(&s->restarts);
        s->restarts = (SvRestartLog) { .times = copy, .n = n, .cap = n };
        s->escalated = escalated;
        snprintf(s->reason, sizeof s->reason, "%s", escalated && reason ? reason : "");
        return 0;
}
