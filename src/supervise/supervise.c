/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervision state machine: the tree of supervisors and agents, what
 * each report and request does to it, and the actions it queues. The
 * semantics are in supervise.h. */

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv-internal.h"

typedef struct SvNode SvNode;

/* A child in its supervisor's start order: an agent or a nested supervisor. */
struct SvNode {
        SvSupervisor *parent;           /* NULL only for the root */
        SvNode *prev, *next;
        uint64_t order;                 /* grows along the start order; children are never reordered */
        bool is_supervisor;
        bool group_member;              /* restart it when the pending group restart completes */
        bool counts_group_stop;         /* the parent's group restart waits for it to be down */
        unsigned consecutive;           /* consecutive restarts, for the backoff */
        usec_t started_at;
        SvTimer timer;                  /* backoff before a one-for-one restart */
};

struct SvAgent {
        SvNode node;
        SvAgentState state;
        RestartType restart;
        void *userdata;
        unsigned restart_count;
        bool held;                      /* stopped by request or ended: the supervisor starts it no more */
        bool respawn;                   /* start it again as soon as it is down */
        bool remove_on_exit;            /* a temporary stopped by a group restart */
};

/* A one-for-all or rest-for-one restart between the failure and the moment
 * the whole group is down and its backoff has passed. */
typedef struct SvGroup {
        bool active;
        bool committed;                 /* counted against intensity */
        uint64_t first_order;           /* members: the children with order >= this */
        SvNode *failed;                 /* named if the delayed count escalates */
        unsigned stopping;              /* members not yet down */
        SvTimer timer;
} SvGroup;

struct SvSupervisor {
        SvNode node;                    /* as a child of its parent */
        char *name;
        SvParams params;
        SvNode *head, *tail;
        unsigned n_up;                  /* own agents not DOWN */
        size_t n_alive;                 /* agents of the subtree STARTING, RUNNING or STOPPING */
        bool escalated;
        bool notify_parent;             /* fail in the parent once the subtree is down */
        bool exit_pending;              /* root: queue EXIT once the subtree is down */
        char reason[256];
        SvRestartLog restarts;
        SvGroup group;
};

struct Sv {
        SvSupervisor **supervisors;     /* root first, parents before children */
        size_t n_supervisors;
        size_t n_agents;
        size_t n_not_down;
        uint64_t next_order;
        SvActionQueue actions;
        SvTimerHeap timers;
        const char *(*name_cb)(void *userdata);
        bool shutting_down;
};

typedef enum StopMode {
        STOP_MODE_RESTART,              /* the subtree comes back when its supervisor is restarted */
        STOP_MODE_ESCALATION,
        STOP_MODE_SHUTDOWN,
} StopMode;

static void child_failed(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now);
static void sup_settled(Sv *sv, SvSupervisor *s, usec_t now);

static SvAgent *node_agent(SvNode *n) {
        assert(!n->is_supervisor);
        return container_of(n, SvAgent, node);
}

static SvSupervisor *node_supervisor(SvNode *n) {
        assert(n->is_supervisor);
        return container_of(n, SvSupervisor, node);
}

static bool state_alive(SvAgentState st) {
        return st == SV_AGENT_STARTING || st == SV_AGENT_RUNNING || st == SV_AGENT_STOPPING;
}

static bool node_alive(SvNode *n) {
        return n->is_supervisor ? node_supervisor(n)->n_alive > 0 : state_alive(node_agent(n)->state);
}

static usec_t usec_add(usec_t a, usec_t b) {
        return a > USEC_INFINITY - b ? USEC_INFINITY : a + b;
}

static bool stayed_up(usec_t started_at, usec_t now, usec_t window) {
        return now >= started_at && now - started_at >= window;
}

static void queue(Sv *sv, SvActionType type, SvAgent *a, SvSupervisor *s, SvStopReason reason) {
        sv_action_queue_push(&sv->actions, &(SvAction) {
                .type = type,
                .agent = a,
                .userdata = a ? a->userdata : NULL,
                .supervisor = a ? a->node.parent : s,
                .stop_reason = reason,
        });
}

/* Keeps the counters behind max_children, shutdown and "subtree is down". */
static void agent_set_state(Sv *sv, SvAgent *a, SvAgentState st) {
        SvSupervisor *s = a->node.parent;

        if ((a->state == SV_AGENT_DOWN) != (st == SV_AGENT_DOWN)) {
                if (st == SV_AGENT_DOWN) {
                        s->n_up--;
                        sv->n_not_down--;
                } else {
                        s->n_up++;
                        sv->n_not_down++;
                }
        }

        if (state_alive(a->state) != state_alive(st))
                for (SvSupervisor *x = s; x; x = x->node.parent) {
                        if (state_alive(st))
                                x->n_alive++;
                        else
                                x->n_alive--;
                }

        a->state = st;
}

/* Escalated itself, or below an escalated supervisor, or about to be
 * restarted by its parent: nothing may start in it now. */
static int sup_check_startable(const SvSupervisor *s) {
        for (; s; s = s->node.parent)
                if (s->escalated || s->node.group_member)
                        return -EBUSY;
        return 0;
}

static bool sup_blocked(const SvSupervisor *s) {
        for (; s; s = s->node.parent)
                if (s->escalated)
                        return true;
        return false;
}

/* Whether its escalation makes it a failed child of its parent. SPEC: only a
 * permanent one; transient and temporary ones stay escalated. */
static bool sup_climbs(const SvSupervisor *s) {
        return s->node.parent && s->params.restart == RESTART_PERMANENT;
}

static void node_append(Sv *sv, SvSupervisor *s, SvNode *n) {
        n->parent = s;
        n->order = sv->next_order++;
        n->prev = s->tail;
        n->next = NULL;
        if (s->tail)
                s->tail->next = n;
        else
                s->head = n;
        s->tail = n;
}

static void node_unlink(SvNode *n) {
        SvSupervisor *s = n->parent;

        if (n->prev)
                n->prev->next = n->next;
        else
                s->head = n->next;
        if (n->next)
                n->next->prev = n->prev;
        else
                s->tail = n->prev;
        n->prev = n->next = NULL;
}

static void agent_free(Sv *sv, SvAgent *a) {
        SvSupervisor *s = a->node.parent;

        assert(a->state == SV_AGENT_DOWN);

        if (s->group.failed == &a->node)
                s->group.failed = NULL;
        sv_timer_heap_disarm(&sv->timers, &a->node.timer);
        node_unlink(&a->node);
        sv->n_agents--;
        free(a);
}

/* Room for every action one call can queue: at most three per agent (STOP or
 * SPAWN+RESTARTED, REMOVE) and three per supervisor (ESCALATED, RESET,
 * EXIT); at most one timer per agent and two per supervisor. */
static int sv_reserve(Sv *sv, size_t agents, size_t supervisors) {
        int r;

        r = sv_action_queue_reserve(&sv->actions, sv->actions.n + 3 * (agents + supervisors));
        if (r < 0)
                return r;
        return sv_timer_heap_reserve(&sv->timers, agents + 2 * supervisors);
}

static void format_window(usec_t w, char *buf, size_t size) {
        if (w == USEC_INFINITY)
                snprintf(buf, size, "infinity");
        else if (w % USEC_PER_SEC == 0)
                snprintf(buf, size, "%" PRIu64 "s", w / USEC_PER_SEC);
        else if (w % USEC_PER_MSEC == 0)
                snprintf(buf, size, "%" PRIu64 "ms", w / USEC_PER_MSEC);
        else
                snprintf(buf, size, "%" PRIu64 "us", w);
}

static void set_escalation_reason(Sv *sv, SvSupervisor *s, SvNode *culprit, unsigned count) {
        const char *times = count == 1 ? "time" : "times";
        char window[32];

        format_window(s->params.restart_window_usec, window, sizeof window);

        if (culprit && culprit->is_supervisor) {
                snprintf(s->reason, sizeof s->reason, "supervisor %s escalated %u %s in %s (MaxRestarts=%u)",
                         node_supervisor(culprit)->name, count, times, window, s->params.max_restarts);
                return;
        }

        const char *name = NULL;
        if (culprit && sv->name_cb)
                name = sv->name_cb(node_agent(culprit)->userdata);

        snprintf(s->reason, sizeof s->reason, "%s crashed %u %s in %s (MaxRestarts=%u)",
                 name ?: "an agent", count, times, window, s->params.max_restarts);
}

static void agent_spawn(Sv *sv, SvAgent *a, bool restarted) {
        sv_timer_heap_disarm(&sv->timers, &a->node.timer);
        a->node.group_member = false;
        a->respawn = false;

        agent_set_state(sv, a, SV_AGENT_STARTING);
        queue(sv, SV_ACTION_SPAWN, a, NULL, 0);
        if (restarted) {
                a->restart_count++;
                queue(sv, SV_ACTION_RESTARTED, a, NULL, 0);
        }
}

static void group_cancel(Sv *sv, SvSupervisor *s) {
        if (!s->group.active)
                return;

        sv_timer_heap_disarm(&sv->timers, &s->group.timer);
        s->group.active = s->group.committed = false;
        s->group.failed = NULL;
        s->group.stopping = 0;
        for (SvNode *n = s->head; n; n = n->next)
                n->counts_group_stop = n->group_member = false;
}

static void agent_stop(Sv *sv, SvAgent *a, StopMode mode) {
        static const SvStopReason reason[] = {
                [STOP_MODE_RESTART] = SV_STOP_RESTART,
                [STOP_MODE_ESCALATION] = SV_STOP_ESCALATION,
                [STOP_MODE_SHUTDOWN] = SV_STOP_SHUTDOWN,
        };
        bool comes_back = mode == STOP_MODE_RESTART;

        switch (a->state) {
        case SV_AGENT_STARTING:
        case SV_AGENT_RUNNING:
                if (comes_back) {
                        if (a->restart == RESTART_TEMPORARY)
                                a->remove_on_exit = true;
                        else
                                a->node.group_member = true;
                }
                agent_set_state(sv, a, SV_AGENT_STOPPING);
                queue(sv, SV_ACTION_STOP, a, NULL, reason[mode]);
                break;

        case SV_AGENT_STOPPING:
                /* Already on its way down: only what happens next changes. */
                if (!comes_back)
                        a->respawn = a->node.group_member = false;
                else if (a->respawn) {
                        a->respawn = false;
                        if (a->restart == RESTART_TEMPORARY)
                                a->remove_on_exit = true;
                        else
                                a->node.group_member = true;
                }
                break;

        case SV_AGENT_WAITING:
                if (comes_back)
                        a->node.group_member = true;
                else {
                        a->node.group_member = false;
                        agent_set_state(sv, a, SV_AGENT_DOWN);
                }
                break;

        case SV_AGENT_DOWN:
        case _SV_AGENT_STATE_MAX:
                break;
        }
}

/* Reverse start order, nested supervisors' agents at their supervisor's
 * place; pending restarts inside are dropped. */
static void subtree_stop(Sv *sv, SvSupervisor *s, StopMode mode) {
        group_cancel(sv, s);

        for (SvNode *n = s->tail; n; n = n->prev) {
                sv_timer_heap_disarm(&sv->timers, &n->timer);

                if (n->is_supervisor) {
                        SvSupervisor *c = node_supervisor(n);

                        c->notify_parent = false;
                        subtree_stop(sv, c, mode);
                } else
                        agent_stop(sv, node_agent(n), mode);
        }
}

/* Starts s afresh: clears escalation in the subtree and starts every agent
 * that the supervisor would run. */
static void sup_restart(Sv *sv, SvSupervisor *s, usec_t now, bool restarted) {
        if (s->escalated) {
                s->escalated = false;
                s->reason[0] = '\0';
                queue(sv, SV_ACTION_RESET, NULL, s, 0);
        }
        s->notify_parent = s->exit_pending = false;
        sv_restart_log_clear(&s->restarts);
        group_cancel(sv, s);
        s->node.started_at = now;

        for (SvNode *n = s->head; n; n = n->next) {
                SvAgent *a;

                sv_timer_heap_disarm(&sv->timers, &n->timer);
                n->group_member = false;

                if (n->is_supervisor) {
                        sup_restart(sv, node_supervisor(n), now, restarted);
                        continue;
                }

                a = node_agent(n);
                if (a->held || a->restart == RESTART_TEMPORARY)
                        continue;
                if (a->state == SV_AGENT_DOWN || a->state == SV_AGENT_WAITING)
                        agent_spawn(sv, a, restarted);
                else if (a->state == SV_AGENT_STOPPING && !a->remove_on_exit)
                        a->respawn = true;
        }
}

static void respawn(Sv *sv, SvNode *n, usec_t now) {
        n->group_member = false;
        if (n->is_supervisor)
                sup_restart(sv, node_supervisor(n), now, true);
        else
                agent_spawn(sv, node_agent(n), true);
}

static void escalate(Sv *sv, SvSupervisor *s, SvNode *culprit, unsigned count, usec_t now) {
        s->escalated = true;
        set_escalation_reason(sv, s, culprit, count);

        subtree_stop(sv, s, STOP_MODE_ESCALATION);
        queue(sv, SV_ACTION_ESCALATED, NULL, s, 0);

        if (!s->node.parent)
                s->exit_pending = s->params.on_escalation == ON_ESCALATION_EXIT;
        else
                s->notify_parent = sup_climbs(s);

        if (s->n_alive == 0)
                sup_settled(sv, s, now);
}

/* Counts one restart of child n against p's intensity; escalates p instead
 * when that would exceed it. */
static bool intensity_admit(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now) {
        unsigned count;

        if (sv_restart_log_admit(&p->restarts, now, p->params.restart_window_usec, p->params.max_restarts,
                                 &count))
                return true;

        escalate(sv, p, n, count, now);
        return false;
}

static void restart_one(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now) {
        if (intensity_admit(sv, p, n, now))
                respawn(sv, n, now);
}

static void group_try_complete(Sv *sv, SvSupervisor *p, usec_t now) {
        SvGroup *g = &p->group;
        SvNode *start = NULL;

        if (!g->active || !g->committed || g->stopping > 0)
                return;

        for (SvNode *n = p->tail; n && n->order >= g->first_order; n = n->prev)
                start = n;

        g->active = false;
        g->failed = NULL;

        for (SvNode *n = start; n; n = n->next)
                if (n->group_member)
                        respawn(sv, n, now);
}

static void member_stop(Sv *sv, SvSupervisor *p, SvNode *n) {
        if (n->is_supervisor) {
                SvSupervisor *c = node_supervisor(n);

                /* A nested supervisor that stays escalated is not part of it. */
                if (c->escalated && !sup_climbs(c))
                        return;

                sv_timer_heap_disarm(&sv->timers, &n->timer);
                n->group_member = true;
                subtree_stop(sv, c, STOP_MODE_RESTART);
        } else {
                SvAgent *a = node_agent(n);

                switch (a->state) {
                case SV_AGENT_DOWN:
                        /* Held down or ended: a group restart does not bring it back. */
                        return;
                case SV_AGENT_WAITING:
                        sv_timer_heap_disarm(&sv->timers, &n->timer);
                        n->group_member = true;
                        return;
                default:
                        agent_stop(sv, a, STOP_MODE_RESTART);
                }
        }

        if (node_alive(n) && !n->counts_group_stop) {
                n->counts_group_stop = true;
                p->group.stopping++;
        }
}

/* Stops the members with from <= order < to, last first. */
static void group_stop_members(Sv *sv, SvSupervisor *p, uint64_t from, uint64_t to) {
        for (SvNode *n = p->tail; n && n->order >= from; n = n->prev)
                if (n->order < to)
                        member_stop(sv, p, n);
}

static void group_start(Sv *sv, SvSupervisor *p, SvNode *c, usec_t delay, usec_t now) {
        SvGroup *g = &p->group;

        if (g->active) {
                /* rest-for-one: c precedes the pending group, so the restart
                 * widens to start at c, and this failure counts on its own. */
                if (!intensity_admit(sv, p, c, now))
                        return;

                c->group_member = true;
                group_stop_members(sv, p, c->order, g->first_order);
                g->first_order = c->order;
                g->failed = c;
                group_try_complete(sv, p, now);
                return;
        }

        /* Without a delay the restart happens now: count it before stopping
         * anything, so that an escalation stops the siblings as such. */
        if (delay == 0 && !intensity_admit(sv, p, c, now))
                return;

        g->active = true;
        g->committed = delay == 0;
        g->first_order = p->params.strategy == STRATEGY_ONE_FOR_ALL ? 0 : c->order;
        g->failed = c;
        g->stopping = 0;

        c->group_member = true;
        group_stop_members(sv, p, g->first_order, UINT64_MAX);
        if (delay > 0)
                sv_timer_heap_arm(&sv->timers, &g->timer, usec_add(now, delay));

        group_try_complete(sv, p, now);
}

static void group_timer_fired(Sv *sv, SvSupervisor *p, usec_t now) {
        SvGroup *g = &p->group;

        if (!g->committed) {
                if (!intensity_admit(sv, p, g->failed, now))
                        return;
                g->committed = true;
        }

        group_try_complete(sv, p, now);
}

/* Child n of p ended in a way its restart type restarts. */
static void child_failed(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now) {
        usec_t delay;

        if (sv->shutting_down || sup_blocked(p))
                return;

        if (p->group.active && n->order >= p->group.first_order) {
                /* Joins the restart that is already pending, without counting again. */
                n->group_member = true;
                return;
        }

        if (n->consecutive < UINT_MAX)
                n->consecutive++;
        delay = sv_backoff_delay(p->params.restart_delay_usec, p->params.restart_max_delay_usec, n->consecutive);

        if (p->params.strategy != STRATEGY_ONE_FOR_ONE) {
                group_start(sv, p, n, delay, now);
                return;
        }

        if (delay == 0)
                restart_one(sv, p, n, now);
        else
                sv_timer_heap_arm(&sv->timers, &n->timer, usec_add(now, delay));
}

/* Every agent below s is down (not STARTING, RUNNING or STOPPING). */
static void sup_settled(Sv *sv, SvSupervisor *s, usec_t now) {
        SvSupervisor *p = s->node.parent;

        if (s->exit_pending) {
                s->exit_pending = false;
                queue(sv, SV_ACTION_EXIT, NULL, s, 0);
        }

        if (s->notify_parent) {
                s->notify_parent = false;
                if (stayed_up(s->node.started_at, now, p->params.restart_window_usec))
                        s->node.consecutive = 0;
                child_failed(sv, p, &s->node, now);
        }

        /* child_failed() may have escalated p, which cancels its group. */
        if (s->node.counts_group_stop) {
                s->node.counts_group_stop = false;
                p->group.stopping--;
                group_try_complete(sv, p, now);
        }
}

static void settle_upwards(Sv *sv, SvSupervisor *s, usec_t now) {
        for (; s; s = s->node.parent)
                if (s->n_alive == 0)
                        sup_settled(sv, s, now);
}

/* A STARTING or RUNNING agent ended on its own. */
static void agent_ended(Sv *sv, SvAgent *a, bool normal, usec_t now) {
        SvSupervisor *s = a->node.parent;
        bool ran_long = a->state == SV_AGENT_RUNNING &&
                stayed_up(a->node.started_at, now, s->params.restart_window_usec);
        bool restartable = a->restart == RESTART_PERMANENT || (a->restart == RESTART_TRANSIENT && !normal);

        if (!restartable) {
                a->held = true;
                agent_set_state(sv, a, SV_AGENT_DOWN);
                return;
        }

        if (sv->shutting_down || sup_blocked(s)) {
                agent_set_state(sv, a, SV_AGENT_DOWN);
                return;
        }

        if (ran_long)
                a->node.consecutive = 0;
        agent_set_state(sv, a, SV_AGENT_WAITING);
        child_failed(sv, s, &a->node, now);
}

/* A STOPPING agent is down. */
static void agent_stopped(Sv *sv, SvAgent *a, usec_t now) {
        SvSupervisor *s = a->node.parent;
        bool counted = a->node.counts_group_stop;

        a->node.counts_group_stop = false;

        if (a->remove_on_exit) {
                agent_set_state(sv, a, SV_AGENT_DOWN);
                queue(sv, SV_ACTION_REMOVE, a, NULL, 0);
                agent_free(sv, a);
        } else if (a->respawn)
                agent_spawn(sv, a, false);
        else if (a->node.group_member)
                agent_set_state(sv, a, SV_AGENT_WAITING);
        else
                agent_set_state(sv, a, SV_AGENT_DOWN);

        if (counted) {
                s->group.stopping--;
                group_try_complete(sv, s, now);
        }
}

void sv_params_from_config(const SupervisorConfig *c, SvParams *ret) {
        assert(c);
        assert(ret);

        *ret = (SvParams) {
                .strategy = c->strategy,
                .max_restarts = c->max_restarts,
                .restart_window_usec = c->restart_window_usec,
                .restart_delay_usec = c->restart_delay_usec,
                .restart_max_delay_usec = c->restart_max_delay_usec,
                .restart = c->restart,
                .max_children = c->max_children,
                .on_escalation = c->on_escalation,
        };
}

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

int sv_supervisor_add(Sv *sv, const char *name, SvSupervisor *parent, const SvParams *p, SvSupervisor **ret) {
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

        s->params = *p;
        s->node.is_supervisor = true;
        sv_timer_init(&s->node.timer, SV_TIMER_CHILD);
        sv_timer_init(&s->group.timer, SV_TIMER_GROUP);
        if (parent)
                node_append(sv, parent, &s->node);

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
        if (s->node.group_member || sup_check_startable(s->node.parent) < 0)
                return -EBUSY;

        sv_timer_heap_disarm(&sv->timers, &s->node.timer);
        sup_restart(sv, s, now, false);
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
        r = sup_check_startable(s);
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

        a->state = SV_AGENT_DOWN;
        a->restart = restart;
        a->userdata = userdata;
        sv_timer_init(&a->node.timer, SV_TIMER_CHILD);
        node_append(sv, s, &a->node);
        sv->n_agents++;

        agent_spawn(sv, a, false);

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
        return a->state;
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

        if (a->state != SV_AGENT_STARTING)
                return;

        a->node.started_at = now;
        agent_set_state(sv, a, SV_AGENT_RUNNING);
}

bool sv_agent_exited(Sv *sv, SvAgent *a, bool normal, usec_t now) {
        SvSupervisor *s;
        bool kept = true;

        assert(sv);
        assert(a);

        s = a->node.parent;

        switch (a->state) {
        case SV_AGENT_STOPPING:
                kept = !a->remove_on_exit;
                agent_stopped(sv, a, now);
                break;
        case SV_AGENT_STARTING:
        case SV_AGENT_RUNNING:
                agent_ended(sv, a, normal, now);
                break;
        default:
                /* Nothing of it was running: a repeated report. */
                return true;
        }

        settle_upwards(sv, s, now);
        return kept;
}

int sv_agent_stop(Sv *sv, SvAgent *a, usec_t now) {
        assert(sv);
        assert(a);

        switch (a->state) {
        case SV_AGENT_STARTING:
        case SV_AGENT_RUNNING:
                a->held = true;
                a->respawn = a->node.group_member = false;
                agent_set_state(sv, a, SV_AGENT_STOPPING);
                queue(sv, SV_ACTION_STOP, a, NULL, SV_STOP_REQUESTED);
                return 0;

        case SV_AGENT_STOPPING:
                if (a->held)
                        return -EALREADY;
                /* Being stopped for another reason: make it stay down. */
                a->held = true;
                a->respawn = a->node.group_member = false;
                return 0;

        case SV_AGENT_WAITING:
                sv_timer_heap_disarm(&sv->timers, &a->node.timer);
                a->held = true;
                a->node.group_member = false;
                agent_set_state(sv, a, SV_AGENT_DOWN);
                return 0;

        default:
                return -EALREADY;
        }
}

int sv_agent_start(Sv *sv, SvAgent *a, usec_t now) {
        SvSupervisor *s;
        int r;

        assert(sv);
        assert(a);

        s = a->node.parent;

        if (sv->shutting_down)
                return -ESHUTDOWN;
        r = sup_check_startable(s);
        if (r < 0)
                return r;
        if (a->state != SV_AGENT_DOWN)
                return -EALREADY;
        if (s->n_up >= s->params.max_children)
                return -E2BIG;

        a->held = false;
        a->node.consecutive = 0;
        agent_spawn(sv, a, false);
        return 0;
}

int sv_agent_restart(Sv *sv, SvAgent *a, usec_t now) {
        int r;

        assert(sv);
        assert(a);

        if (sv->shutting_down)
                return -ESHUTDOWN;
        r = sup_check_startable(a->node.parent);
        if (r < 0)
                return r;

        switch (a->state) {
        case SV_AGENT_DOWN:
                return sv_agent_start(sv, a, now);

        case SV_AGENT_WAITING:
                /* Only a backoff wait can be cut short; a group restart
                 * starts it together with its group. */
                if (!sv_timer_armed(&a->node.timer))
                        return -EALREADY;
                a->node.consecutive = 0;
                agent_spawn(sv, a, false);
                return 0;

        case SV_AGENT_STARTING:
        case SV_AGENT_RUNNING:
                a->respawn = true;
                a->node.consecutive = 0;
                agent_set_state(sv, a, SV_AGENT_STOPPING);
                queue(sv, SV_ACTION_STOP, a, NULL, SV_STOP_RESTART);
                return 0;

        case SV_AGENT_STOPPING:
                if (a->respawn || a->node.group_member || a->remove_on_exit)
                        return -EALREADY;
                a->held = false;
                a->respawn = true;
                a->node.consecutive = 0;
                return 0;

        default:
                return -EINVAL;
        }
}

int sv_agent_remove(Sv *sv, SvAgent *a) {
        assert(sv);
        assert(a);

        if (a->state != SV_AGENT_DOWN)
                return -EBUSY;

        agent_free(sv, a);
        return 0;
}

void sv_shutdown(Sv *sv, usec_t now) {
        SvSupervisor *root;

        assert(sv);

        sv->shutting_down = true;

        root = sv_root(sv);
        if (!root)
                return;

        root->exit_pending = false;
        subtree_stop(sv, root, STOP_MODE_SHUTDOWN);
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
                        group_timer_fired(sv, container_of(t, SvSupervisor, group.timer), now);
                else {
                        SvNode *n = container_of(t, SvNode, timer);
                        restart_one(sv, n->parent, n, now);
                }
        }
}

bool sv_pop_action(Sv *sv, SvAction *ret) {
        assert(sv);
        assert(ret);
        return sv_action_queue_pop(&sv->actions, ret);
}

static const char *const action_type_table[_SV_ACTION_MAX] = {
        [SV_ACTION_SPAWN] = "spawn",
        [SV_ACTION_STOP] = "stop",
        [SV_ACTION_RESTARTED] = "restarted",
        [SV_ACTION_REMOVE] = "remove",
        [SV_ACTION_ESCALATED] = "escalated",
        [SV_ACTION_RESET] = "reset",
        [SV_ACTION_EXIT] = "exit",
};

const char *sv_action_type_to_string(SvActionType t) {
        if (t < 0 || t >= _SV_ACTION_MAX)
                return NULL;
        return action_type_table[t];
}

static const char *const agent_state_table[_SV_AGENT_STATE_MAX] = {
        [SV_AGENT_STARTING] = "starting",
        [SV_AGENT_RUNNING] = "running",
        [SV_AGENT_STOPPING] = "stopping",
        [SV_AGENT_WAITING] = "waiting",
        [SV_AGENT_DOWN] = "down",
};

const char *sv_agent_state_to_string(SvAgentState s) {
        if (s < 0 || s >= _SV_AGENT_STATE_MAX)
                return NULL;
        return agent_state_table[s];
}
