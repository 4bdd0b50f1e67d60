/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervision core's entry points: building the tree, the daemon's
 * reports and requests, timers and the action queue. Each turns into events
 * for the agent table (sv-agent.c) and decisions of the tree (sv-tree.c). The
 * semantics are in supervise.h. */

#include <stdlib.h>
#include <string.h>

#include "string-table.h"
#include "sv-internal.h"

Sv *sv_new(void) {
        return calloc(1, sizeof(Sv));
}

static void sup_free(SvSupervisor *s) {
        SvNode *n = s->head;

        while (n) {
                SvNode *next = n->next;

                if (!n->is_supervisor)
                        free(node_agent(n));
                n = next;
        }

        sv_restart_log_done(&s->restarts);
        free(s->name);
        free(s);
}

Sv *sv_free(Sv *sv) {
        if (!sv)
                return NULL;

        sv_timer_heap_done(&sv->timers);
        for (size_t i = 0; i < sv->n_supervisors; i++)
                sup_free(sv->supervisors[i]);
        free(sv->supervisors);
        sv_action_queue_done(&sv->actions);
        return mfree(sv);
}

void sv_set_name_callback(Sv *sv, const char *(*cb)(void *userdata)) {
        assert(sv);
        sv->name_cb = cb;
}

static bool params_valid(const SvParams *p) {
        return p->strategy >= 0 && p->strategy < _STRATEGY_MAX &&
                p->restart >= 0 && p->restart < _RESTART_MAX &&
                p->on_escalation >= 0 && p->on_escalation < _ON_ESCALATION_MAX;
}

int sv_supervisor_add(Sv *sv, const char *name, SvSupervisor *parent, const SvParams *p, void *userdata,
                      SvSupervisor **ret) {
        SvSupervisor **array, *s;
        int r;

        assert(sv);
        assert(p);

        if (!name || !*name || !params_valid(p))
                return -EINVAL;
        if (!parent && sv->n_supervisors > 0)
                return -EEXIST;
        if (sv_supervisor_find(sv, name))
                return -EEXIST;

        array = reallocarray(sv->supervisors, sv->n_supervisors + 1, sizeof(SvSupervisor *));
        if (!array)
                return -ENOMEM;
        sv->supervisors = array;

        r = sv_reserve(sv, sv->n_agents, sv->n_supervisors + 1);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(SvSupervisor));
        if (!s)
                return -ENOMEM;
        s->name = strdup(name);
        if (!s->name) {
                free(s);
                return -ENOMEM;
        }

        s->userdata = userdata;
        s->params = *p;
        s->node.is_supervisor = true;
        sv_timer_init(&s->node.timer, SV_TIMER_CHILD);
        sv_timer_init(&s->group.timer, SV_TIMER_GROUP);
        if (parent)
                sv_node_append(sv, parent, &s->node);

        sv->supervisors[sv->n_supervisors++] = s;
        if (ret)
                *ret = s;
        return 0;
}

SvSupervisor *sv_supervisor_find(Sv *sv, const char *name) {
        assert(sv);

        if (!name)
                return NULL;
        for (size_t i = 0; i < sv->n_supervisors; i++)
                if (strcmp(sv->supervisors[i]->name, name) == 0)
                        return sv->supervisors[i];
        return NULL;
}

SvSupervisor *sv_root(Sv *sv) {
        assert(sv);
        return sv->n_supervisors > 0 ? sv->supervisors[0] : NULL;
}

const char *sv_supervisor_name(const SvSupervisor *s) {
        assert(s);
        return s->name;
}

void *sv_supervisor_userdata(const SvSupervisor *s) {
        assert(s);
        return s->userdata;
}

SvSupervisor *sv_supervisor_parent(const SvSupervisor *s) {
        assert(s);
        return s->node.parent;
}

const SvParams *sv_supervisor_params(const SvSupervisor *s) {
        assert(s);
        return &s->params;
}

bool sv_supervisor_escalated(const SvSupervisor *s) {
        assert(s);
        return s->escalated;
}

const char *sv_supervisor_escalation_reason(const SvSupervisor *s) {
        assert(s);
        return s->reason;
}

unsigned sv_supervisor_n_agents(const SvSupervisor *s) {
        assert(s);
        return s->n_up;
}

size_t sv_supervisor_restart_times(const SvSupervisor *s, const usec_t **ret) {
        assert(s);
        assert(ret);

        *ret = s->restarts.n > 0 ? s->restarts.times + s->restarts.start : NULL;
        return s->restarts.n;
}

size_t sv_supervisors(Sv *sv, SvSupervisor ***ret) {
        assert(sv);
        assert(ret);

        *ret = sv->supervisors;
        return sv->n_supervisors;
}

int sv_supervisor_reset(Sv *sv, SvSupervisor *s, usec_t now) {
        assert(sv);
        assert(s);

        if (sv->shutting_down)
                return -ESHUTDOWN;
        if (!s->escalated)
                return -EALREADY;
        /* Its parent is escalated too, or is about to restart it anyway. */
        if (s->group_member || sv_sup_check_startable(s->node.parent) < 0)
                return -EBUSY;

        sv_timer_heap_disarm(&sv->timers, &s->node.timer);
        sv_sup_restart(sv, s, now, false);
        return 0;
}

int sv_agent_add(Sv *sv, SvSupervisor *s, RestartType restart, void *userdata, usec_t now, SvAgent **ret) {
        SvAgent *a;
        int r;

        assert(sv);
        assert(s);

        if (restart < 0 || restart >= _RESTART_MAX)
                return -EINVAL;
        if (sv->shutting_down)
                return -ESHUTDOWN;
        r = sv_sup_check_startable(s);
        if (r < 0)
                return r;
        if (s->n_up >= s->params.max_children)
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
        sv_timer_init(&a->node.timer, SV_TIMER_CHILD);
        sv_node_append(sv, s, &a->node);
        sv->n_agents++;

        /* Room and startability were checked above: this cannot be refused. */
        r = sv_agent_fire(sv, a, SV_EVENT_START, now);
        assert(r == 0);
        (void) r;

        if (ret)
                *ret = a;
        return 0;
}

void *sv_agent_userdata(const SvAgent *a) {
        assert(a);
        return a->userdata;
}

SvSupervisor *sv_agent_supervisor(const SvAgent *a) {
        assert(a);
        return a->node.parent;
}

SvAgentState sv_agent_state(const SvAgent *a) {
        assert(a);
        return sv_state_class(a->state);
}

RestartType sv_agent_restart_type(const SvAgent *a) {
        assert(a);
        return a->restart;
}

unsigned sv_agent_restart_count(const SvAgent *a) {
        assert(a);
        return a->restart_count;
}

void sv_agent_spawned(Sv *sv, SvAgent *a, usec_t now) {
        assert(sv);
        assert(a);

        (void) sv_agent_fire(sv, a, SV_EVENT_SPAWNED, now);
}

static SvEvent exit_event(const Sv *sv, const SvAgent *a, bool normal) {
        if (a->restart == RESTART_TEMPORARY || (a->restart == RESTART_TRANSIENT && normal))
                return SV_EVENT_EXITED_FINAL;
        if (sv->shutting_down || sv_sup_blocked(a->node.parent))
                return SV_EVENT_EXITED_BLOCKED;
        return SV_EVENT_EXITED_RESTARTABLE;
}

bool sv_agent_exited(Sv *sv, SvAgent *a, bool normal, usec_t now) {
        SvSupervisor *s;
        bool counted;
        int r;

        assert(sv);
        assert(a);

        /* Nothing of it was running: a repeated report (the table ignores
         * it too), and nothing in the tree moves. */
        if (!sv_state_alive(a->state))
                return true;

        s = a->node.parent;
        counted = a->node.counts_group_stop;
        a->node.counts_group_stop = false;

        r = sv_agent_fire(sv, a, exit_event(sv, a, normal), now);
        if (r != SV_FIRE_FREED && a->state == SV_STATE_FAILED)
                sv_child_failed(sv, s, &a->node, now);

        if (counted) {
                s->group.stopping--;
                sv_group_try_complete(sv, s, now);
        }

        sv_settle_upwards(sv, s, now);
        return r != SV_FIRE_FREED;
}

int sv_agent_stop(Sv *sv, SvAgent *a, usec_t now) {
        assert(sv);
        assert(a);

        return sv_agent_fire(sv, a, SV_EVENT_STOP, now);
}

int sv_agent_start(Sv *sv, SvAgent *a, usec_t now) {
        int r;

        assert(sv);
        assert(a);

        if (sv->shutting_down)
                return -ESHUTDOWN;
        r = sv_sup_check_startable(a->node.parent);
        if (r < 0)
                return r;

        return sv_agent_fire(sv, a, SV_EVENT_START, now);
}

int sv_agent_restart(Sv *sv, SvAgent *a, usec_t now) {
        int r;

        assert(sv);
        assert(a);

        if (sv->shutting_down)
                return -ESHUTDOWN;
        r = sv_sup_check_startable(a->node.parent);
        if (r < 0)
                return r;

        return sv_agent_fire(sv, a, SV_EVENT_RESTART, now);
}

int sv_agent_remove(Sv *sv, SvAgent *a) {
        int r;

        assert(sv);
        assert(a);

        r = sv_agent_fire(sv, a, SV_EVENT_REMOVE, 0);
        return r == SV_FIRE_FREED ? 0 : r;
}

void sv_shutdown(Sv *sv, usec_t now) {
        SvSupervisor *root;

        assert(sv);

        sv->shutting_down = true;

        root = sv_root(sv);
        if (!root)
                return;

        root->exit_pending = false;
        sv_subtree_stop(sv, root, STOP_MODE_SHUTDOWN);
}

bool sv_shutdown_done(const Sv *sv) {
        assert(sv);
        return sv->shutting_down && sv->n_not_down == 0;
}

usec_t sv_next_deadline(const Sv *sv) {
        SvTimer *t;

        assert(sv);

        t = sv_timer_heap_peek(&sv->timers);
        return t ? t->deadline : USEC_INFINITY;
}

void sv_run_timers(Sv *sv, usec_t now) {
        SvTimer *t;

        assert(sv);

        /* Firing never arms a timer at or before now, so this ends. */
        while ((t = sv_timer_heap_peek(&sv->timers)) && t->deadline <= now) {
                sv_timer_heap_disarm(&sv->timers, t);

                if (t->kind == SV_TIMER_GROUP)
                        sv_group_timer_fired(sv, container_of(t, SvSupervisor, group.timer), now);
                else {
                        SvNode *n = container_of(t, SvNode, timer);
                        sv_restart_one(sv, n->parent, n, now);
                }
        }
}

bool sv_pop_action(Sv *sv, SvAction *ret) {
        assert(sv);
        assert(ret);
        return sv_action_queue_pop(&sv->actions, ret);
}

static const char *const sv_action_type_table[_SV_ACTION_MAX] = {
        [SV_ACTION_SPAWN] = "spawn",
        [SV_ACTION_STOP] = "stop",
        [SV_ACTION_RESTARTED] = "restarted",
        [SV_ACTION_REMOVE] = "remove",
        [SV_ACTION_ESCALATED] = "escalated",
        [SV_ACTION_RESET] = "reset",
        [SV_ACTION_EXIT] = "exit",
        [SV_ACTION_FREEZE] = "freeze",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sv_action_type, SvActionType);

static const char *const sv_agent_state_table[_SV_AGENT_STATE_MAX] = {
        [SV_AGENT_STARTING] = "starting",
        [SV_AGENT_RUNNING] = "running",
        [SV_AGENT_STOPPING] = "stopping",
        [SV_AGENT_WAITING] = "waiting",
        [SV_AGENT_DOWN] = "down",
        [SV_AGENT_FROZEN] = "frozen",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sv_agent_state, SvAgentState);
