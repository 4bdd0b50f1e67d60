/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor side of the core: strategies, group restarts, intensity and
 * escalation. It decides what happens to children and tells each agent by
 * firing an event into its table (sv-agent.c); nested supervisors are
 * handled here directly. The semantics are in supervise.h. */

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "sv-internal.h"
#include "time-util.h"

static void sup_settled(Sv *sv, SvSupervisor *s, usec_t now);

static bool node_alive(SvNode *n) {
        return n->is_supervisor ? node_supervisor(n)->n_alive > 0 : sv_state_alive(node_agent(n)->state);
}

/* Part of its supervisor's pending group restart. */
static bool node_group_member(SvNode *n) {
        if (n->is_supervisor)
                return node_supervisor(n)->group_member;

        SvState st = node_agent(n)->state;
        return st == SV_STATE_WAITING_FOR_GROUP || st == SV_STATE_STOPPING_FOR_GROUP;
}

static void node_fire(Sv *sv, SvNode *n, SvEvent ev, usec_t when) {
        (void) sv_agent_fire(sv, node_agent(n), ev, when);
}

void sv_node_append(Sv *sv, SvSupervisor *s, SvNode *n) {
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

/* Room for every action one call can queue: at most three per agent (STOP or
 * SPAWN+RESTARTED, REMOVE) and three per supervisor (ESCALATED, RESET,
 * EXIT); at most one timer per agent and two per supervisor. */
int sv_reserve(Sv *sv, size_t agents, size_t supervisors) {
        int r;

        r = sv_action_queue_reserve(&sv->actions, sv->actions.n + 3 * (agents + supervisors));
        if (r < 0)
                return r;
        return sv_timer_heap_reserve(&sv->timers, agents + 2 * supervisors);
}

/* Escalated itself, or below an escalated supervisor, or about to be
 * restarted by its parent: nothing may start in it now. */
int sv_sup_check_startable(const SvSupervisor *s) {
        for (; s; s = s->node.parent)
                if (s->escalated || s->group_member)
                        return -EBUSY;
        return 0;
}

bool sv_sup_blocked(const SvSupervisor *s) {
        for (; s; s = s->node.parent)
                if (s->escalated)
                        return true;
        return false;
}

/* Whether its escalation makes it a failed child of its parent. SPEC: only a
 * permanent one; transient and temporary ones stay escalated, and so does
 * one that froze its agents: its parent's restart would kill them. */
static bool sup_climbs(const SvSupervisor *s) {
        return s->node.parent && s->params.restart == RESTART_PERMANENT &&
               s->params.on_escalation != ON_ESCALATION_FREEZE;
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

static void group_cancel(Sv *sv, SvSupervisor *s) {
        if (!s->group.active)
                return;

        sv_timer_heap_disarm(&sv->timers, &s->group.timer);
        s->group.active = s->group.committed = false;
        s->group.failed = NULL;
        s->group.stopping = 0;
        for (SvNode *n = s->head; n; n = n->next) {
                n->counts_group_stop = false;
                if (n->is_supervisor)
                        node_supervisor(n)->group_member = false;
                else
                        node_fire(sv, n, SV_EVENT_GROUP_CANCEL, 0);
        }
}

static SvEvent stop_event(const SvAgent *a, StopMode mode) {
        switch (mode) {
        case STOP_MODE_RESTART:
                /* OTP: a group restart removes temporary children. */
                return a->restart == RESTART_TEMPORARY ? SV_EVENT_GROUP_DROP : SV_EVENT_GROUP_STOP;
        case STOP_MODE_ESCALATION:
                return SV_EVENT_ESCALATION_STOP;
        case STOP_MODE_FREEZE:
                return SV_EVENT_ESCALATION_FREEZE;
        default:
                return SV_EVENT_SHUTDOWN_STOP;
        }
}

/* Reverse start order, nested supervisors' agents at their supervisor's
 * place; pending restarts inside are dropped. */
void sv_subtree_stop(Sv *sv, SvSupervisor *s, StopMode mode) {
        group_cancel(sv, s);

        for (SvNode *n = s->tail; n; n = n->prev) {
                if (n->is_supervisor) {
                        SvSupervisor *c = node_supervisor(n);

                        sv_timer_heap_disarm(&sv->timers, &n->timer);
                        c->notify_parent = false;
                        sv_subtree_stop(sv, c, mode);
                } else
                        node_fire(sv, n, stop_event(node_agent(n), mode), 0);
        }
}

/* Starts s afresh: clears escalation in the subtree and starts every agent
 * that the supervisor would run. */
void sv_sup_restart(Sv *sv, SvSupervisor *s, usec_t now, bool restarted) {
        if (s->escalated) {
                s->escalated = false;
                s->reason[0] = '\0';
                sv_queue(sv, SV_ACTION_RESET, NULL, s, 0);
        }
        s->notify_parent = s->exit_pending = false;
        sv_restart_log_clear(&s->restarts);
        group_cancel(sv, s);
        s->node.started_at = now;

        for (SvNode *n = s->head; n; n = n->next) {
                if (n->is_supervisor) {
                        sv_timer_heap_disarm(&sv->timers, &n->timer);
                        node_supervisor(n)->group_member = false;
                        sv_sup_restart(sv, node_supervisor(n), now, restarted);
                } else if (node_agent(n)->restart != RESTART_TEMPORARY)
                        node_fire(sv, n, restarted ? SV_EVENT_SUPERVISOR_RESTART : SV_EVENT_SUPERVISOR_START, now);
                else
                        /* Not started again; a frozen one is ended. */
                        node_fire(sv, n, SV_EVENT_SUPERVISOR_DROP, now);
        }
}

static void respawn(Sv *sv, SvNode *n, usec_t now) {
        if (n->is_supervisor) {
                node_supervisor(n)->group_member = false;
                sv_sup_restart(sv, node_supervisor(n), now, true);
        } else
                node_fire(sv, n, SV_EVENT_RESPAWN, now);
}

static void escalate(Sv *sv, SvSupervisor *s, SvNode *culprit, unsigned count, usec_t now) {
        s->escalated = true;
        set_escalation_reason(sv, s, culprit, count);

        sv_subtree_stop(sv, s, s->params.on_escalation == ON_ESCALATION_FREEZE ? STOP_MODE_FREEZE
                                                                                 : STOP_MODE_ESCALATION);
        sv_queue(sv, SV_ACTION_ESCALATED, NULL, s, 0);

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

void sv_restart_one(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now) {
        if (intensity_admit(sv, p, n, now))
                respawn(sv, n, now);
}

void sv_group_try_complete(Sv *sv, SvSupervisor *p, usec_t now) {
        SvGroup *g = &p->group;
        SvNode *start = NULL;

        if (!g->active || !g->committed || g->stopping > 0)
                return;

        for (SvNode *n = p->tail; n && n->order >= g->first_order; n = n->prev)
                start = n;

        g->active = false;
        g->failed = NULL;

        for (SvNode *n = start; n; n = n->next)
                if (node_group_member(n))
                        respawn(sv, n, now);
}

static void member_stop(Sv *sv, SvSupervisor *p, SvNode *n) {
        if (n->is_supervisor) {
                SvSupervisor *c = node_supervisor(n);

                /* A nested supervisor that stays escalated is not part of it. */
                if (c->escalated && !sup_climbs(c))
                        return;

                sv_timer_heap_disarm(&sv->timers, &n->timer);
                c->group_member = true;
                sv_subtree_stop(sv, c, STOP_MODE_RESTART);
        } else
                /* Held down or ended: the table leaves it down. */
                node_fire(sv, n, stop_event(node_agent(n), STOP_MODE_RESTART), 0);

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

/* The failed child c becomes a member of its supervisor's group restart. */
static void node_join_group(Sv *sv, SvNode *c) {
        if (c->is_supervisor)
                node_supervisor(c)->group_member = true;
        else
                node_fire(sv, c, SV_EVENT_JOIN_GROUP, 0);
}

static void group_start(Sv *sv, SvSupervisor *p, SvNode *c, usec_t delay, usec_t now) {
        SvGroup *g = &p->group;

        if (g->active) {
                /* rest-for-one: c precedes the pending group, so the restart
                 * widens to start at c, and this failure counts on its own. */
                if (!intensity_admit(sv, p, c, now))
                        return;

                node_join_group(sv, c);
                group_stop_members(sv, p, c->order, g->first_order);
                g->first_order = c->order;
                g->failed = c;
                sv_group_try_complete(sv, p, now);
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

        node_join_group(sv, c);
        group_stop_members(sv, p, g->first_order, UINT64_MAX);
        if (delay > 0)
                sv_timer_heap_arm(&sv->timers, &g->timer, usec_add(now, delay));

        sv_group_try_complete(sv, p, now);
}

void sv_group_timer_fired(Sv *sv, SvSupervisor *p, usec_t now) {
        SvGroup *g = &p->group;

        if (!g->committed) {
                if (!intensity_admit(sv, p, g->failed, now))
                        return;
                g->committed = true;
        }

        sv_group_try_complete(sv, p, now);
}

/* Child n of p ended in a way its restart type restarts. */
void sv_child_failed(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now) {
        usec_t delay;

        if (sv->shutting_down || sv_sup_blocked(p))
                return;

        if (p->group.active && n->order >= p->group.first_order) {
                /* Joins the restart that is already pending, without counting again. */
                node_join_group(sv, n);
                return;
        }

        if (n->consecutive < UINT_MAX)
                n->consecutive++;
        delay = sv_backoff_delay(p->params.restart_delay_usec, p->params.restart_max_delay_usec, n->consecutive);

        if (p->params.strategy != STRATEGY_ONE_FOR_ONE)
                group_start(sv, p, n, delay, now);
        else if (delay == 0)
                sv_restart_one(sv, p, n, now);
        else if (n->is_supervisor)
                sv_timer_heap_arm(&sv->timers, &n->timer, usec_add(now, delay));
        else
                node_fire(sv, n, SV_EVENT_BACKOFF, usec_add(now, delay));
}

/* Every agent below s is down (not starting, running or stopping). */
static void sup_settled(Sv *sv, SvSupervisor *s, usec_t now) {
        SvSupervisor *p = s->node.parent;

        if (s->exit_pending) {
                s->exit_pending = false;
                sv_queue(sv, SV_ACTION_EXIT, NULL, s, 0);
        }

        if (s->notify_parent) {
                s->notify_parent = false;
                if (stayed_up(s->node.started_at, now, p->params.restart_window_usec))
                        s->node.consecutive = 0;
                sv_child_failed(sv, p, &s->node, now);
        }

        /* sv_child_failed() may have escalated p, which cancels its group. */
        if (s->node.counts_group_stop) {
                s->node.counts_group_stop = false;
                p->group.stopping--;
                sv_group_try_complete(sv, p, now);
        }
}

void sv_settle_upwards(Sv *sv, SvSupervisor *s, usec_t now) {
        for (; s; s = s->node.parent)
                if (s->n_alive == 0)
                        sup_settled(sv, s, now);
}
