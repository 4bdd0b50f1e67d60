/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One agent's state machine: the driver of the (state, event) table in
 * sv-table.c and the steps its transitions take. The counters the tree keeps
 * (agents up, agents alive) follow every state change here. */

#include <stdlib.h>

#include "sv-internal.h"

SvAgentState sv_state_class(SvState st) {
        static const SvAgentState class[_SV_STATE_MAX] = {
                [SV_STATE_STARTING] = SV_AGENT_STARTING,
                [SV_STATE_RUNNING] = SV_AGENT_RUNNING,
                [SV_STATE_FAILED] = SV_AGENT_WAITING,
                [SV_STATE_WAITING_FOR_BACKOFF] = SV_AGENT_WAITING,
                [SV_STATE_WAITING_FOR_GROUP] = SV_AGENT_WAITING,
                [SV_STATE_STOPPING_FOR_REQUEST] = SV_AGENT_STOPPING,
                [SV_STATE_STOPPING_FOR_RESTART] = SV_AGENT_STOPPING,
                [SV_STATE_STOPPING_FOR_GROUP] = SV_AGENT_STOPPING,
                [SV_STATE_STOPPING_FOR_REMOVAL] = SV_AGENT_STOPPING,
                [SV_STATE_STOPPING_FOR_REMOVAL_HELD] = SV_AGENT_STOPPING,
                [SV_STATE_STOPPING_FOR_SUPERVISOR] = SV_AGENT_STOPPING,
                [SV_STATE_DOWN] = SV_AGENT_DOWN,
                [SV_STATE_HELD] = SV_AGENT_DOWN,
                [SV_STATE_FROZEN] = SV_AGENT_FROZEN,
        };

        assert((int) st >= 0 && st < _SV_STATE_MAX);
        return class[st];
}

bool sv_state_alive(SvState st) {
        SvAgentState c = sv_state_class(st);
        /* A frozen agent's processes are there, only stopped. */
        return c == SV_AGENT_STARTING || c == SV_AGENT_RUNNING || c == SV_AGENT_STOPPING || c == SV_AGENT_FROZEN;
}

void sv_queue(Sv *sv, SvActionType type, SvAgent *a, SvSupervisor *s, SvStopReason reason) {
        sv_action_queue_push(&sv->actions, &(SvAction) {
                .type = type,
                .agent = a,
                .userdata = a ? a->userdata : NULL,
                .supervisor = a ? a->node.parent : s,
                .stop_reason = reason,
        });
}

void sv_agent_free(Sv *sv, SvAgent *a) {
        SvSupervisor *s = a->node.parent;

        assert(sv_state_class(a->state) == SV_AGENT_DOWN);

        if (s->group.failed == &a->node)
                s->group.failed = NULL;
        sv_timer_heap_disarm(&sv->timers, &a->node.timer);
        /* Unlink from the start order. */
        if (a->node.prev)
                a->node.prev->next = a->node.next;
        else
                s->head = a->node.next;
        if (a->node.next)
                a->node.next->prev = a->node.prev;
        else
                s->tail = a->node.prev;
        sv->n_agents--;
        free(a);
}

/* Keeps the counters behind max_children, shutdown and "subtree is down",
 * and the backoff timer armed only while the state says so. */
static void agent_set_state(Sv *sv, SvAgent *a, SvState st) {
        SvSupervisor *s = a->node.parent;
        bool was_down = sv_state_class(a->state) == SV_AGENT_DOWN, down = sv_state_class(st) == SV_AGENT_DOWN;
        bool was_alive = sv_state_alive(a->state), alive = sv_state_alive(st);

        if (was_down != down) {
                if (down) {
                        s->n_up--;
                        sv->n_not_down--;
                } else {
                        s->n_up++;
                        sv->n_not_down++;
                }
        }

        if (was_alive != alive)
                for (SvSupervisor *x = s; x; x = x->node.parent) {
                        if (alive)
                                x->n_alive++;
                        else
                                x->n_alive--;
                }

        if (st != SV_STATE_WAITING_FOR_BACKOFF)
                sv_timer_heap_disarm(&sv->timers, &a->node.timer);
        a->state = st;
}

/* sv-restore.c: a restored agent enters in its saved state. */
void sv_agent_set_state(Sv *sv, SvAgent *a, SvState st) {
        agent_set_state(sv, a, st);
}

static SvStopReason stop_reason(SvEvent ev) {
        switch (ev) {
        case SV_EVENT_STOP:
                return SV_STOP_REQUESTED;
        case SV_EVENT_ESCALATION_STOP:
                return SV_STOP_ESCALATION;
        case SV_EVENT_SHUTDOWN_STOP:
                return SV_STOP_SHUTDOWN;
        default:
                return SV_STOP_RESTART;
        }
}

static void spawn(Sv *sv, SvAgent *a, bool restarted) {
        sv_queue(sv, SV_ACTION_SPAWN, a, NULL, 0);
        if (restarted) {
                a->restart_count++;
                sv_queue(sv, SV_ACTION_RESTARTED, a, NULL, 0);
        }
}

static int agent_step(Sv *sv, SvAgent *a, SvStep step, SvState prev, SvEvent ev, usec_t when) {
        SvSupervisor *s = a->node.parent;

        switch (step) {
        case SV_STEP_NONE:
                break;
        case SV_STEP_MARK_STARTED:
                a->node.started_at = when;
                break;
        case SV_STEP_SPAWN:
                spawn(sv, a, false);
                break;
        case SV_STEP_SPAWN_RESTARTED:
                spawn(sv, a, true);
                break;
        case SV_STEP_START:
        case SV_STEP_SPAWN_AFRESH:
                a->node.consecutive = 0;
                spawn(sv, a, false);
                break;
        case SV_STEP_STOP:
                sv_queue(sv, SV_ACTION_STOP, a, NULL, stop_reason(ev));
                break;
        case SV_STEP_STOP_AFRESH:
                a->node.consecutive = 0;
                sv_queue(sv, SV_ACTION_STOP, a, NULL, SV_STOP_RESTART);
                break;
        case SV_STEP_FORGET_BACKOFF:
                a->node.consecutive = 0;
                break;
        case SV_STEP_FAIL:
                /* Only a start that was reported up can have lasted. */
                if (prev == SV_STATE_RUNNING && stayed_up(a->node.started_at, when, s->params.restart_window_usec))
                        a->node.consecutive = 0;
                break;
        case SV_STEP_ARM_BACKOFF:
                sv_timer_heap_arm(&sv->timers, &a->node.timer, when);
                break;
        case SV_STEP_REMOVE:
                sv_queue(sv, SV_ACTION_REMOVE, a, NULL, 0);
                sv_agent_free(sv, a);
                return SV_FIRE_FREED;
        case SV_STEP_FREE:
                sv_agent_free(sv, a);
                return SV_FIRE_FREED;
        case SV_STEP_FREEZE:
                sv_queue(sv, SV_ACTION_FREEZE, a, NULL, 0);
                break;
        case _SV_STEP_MAX:
                assert(false);
        }
        return 0;
}

int sv_agent_fire(Sv *sv, SvAgent *a, SvEvent ev, usec_t when) {
        const SvTransition *t;
        SvState prev;

        assert(sv);
        assert(a);

        prev = a->state;
        t = sv_transition(prev, ev);
        switch (t->kind) {
        case SV_ENTRY_MOVE:
                break;
        case SV_ENTRY_IGNORE:
                return t->rc;
        default:
                /* A bug in the tree logic; changing nothing is the safest way on. */
                sv->n_impossible++;
                return -EINVAL;
        }

        if (t->step == SV_STEP_START && a->node.parent->n_up >= a->node.parent->params.max_children)
                return -E2BIG;

        agent_set_state(sv, a, t->next);
        return agent_step(sv, a, t->step, prev, ev, when);
}

SvState sv_agent_fine_state(const SvAgent *a) {
        assert(a);
        return a->state;
}

size_t sv_impossible_count(const Sv *sv) {
        assert(sv);
        return sv->n_impossible;
}
