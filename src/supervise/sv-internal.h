/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the supervision core's files share and supervise.h does not show: the
 * action queue, the backoff timer heap and the restart-intensity log (plain
 * data structures that know nothing about the tree), then the tree itself and
 * the functions its files call across. */
#pragma once

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervise.h"
#include "sv-state.h"

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))

/* FIFO of actions for the daemon, a ring buffer. The core reserves room as
 * agents and supervisors are added, so that a daemon which drains the queue
 * after every call never makes a push allocate. */
typedef struct SvActionQueue {
        SvAction *items;
        size_t head;
        size_t n;
        size_t cap;
} SvActionQueue;

int sv_action_queue_reserve(SvActionQueue *q, size_t total);
void sv_action_queue_push(SvActionQueue *q, const SvAction *a);
bool sv_action_queue_pop(SvActionQueue *q, SvAction *ret);
void sv_action_queue_done(SvActionQueue *q);

/* A deadline embedded in the object it belongs to; the heap holds pointers.
 * Equal deadlines fire in the order they were armed. */
typedef enum SvTimerKind {
        SV_TIMER_CHILD,         /* backoff before a one-for-one restart of a child */
        SV_TIMER_GROUP,         /* backoff before a supervisor's group restart */
} SvTimerKind;

#define SV_TIMER_IDLE SIZE_MAX

typedef struct SvTimer {
        usec_t deadline;
        uint64_t seq;
        size_t idx;             /* position in the heap, SV_TIMER_IDLE when not armed */
        SvTimerKind kind;
} SvTimer;

typedef struct SvTimerHeap {
        SvTimer **items;
        size_t n;
        size_t cap;
        uint64_t next_seq;
} SvTimerHeap;

void sv_timer_init(SvTimer *t, SvTimerKind kind);
static inline bool sv_timer_armed(const SvTimer *t) {
        return t->idx != SV_TIMER_IDLE;
}
int sv_timer_heap_reserve(SvTimerHeap *h, size_t total);
void sv_timer_heap_arm(SvTimerHeap *h, SvTimer *t, usec_t deadline);
void sv_timer_heap_disarm(SvTimerHeap *h, SvTimer *t);   /* no-op when not armed */
SvTimer *sv_timer_heap_peek(const SvTimerHeap *h);
void sv_timer_heap_done(SvTimerHeap *h);

/* A supervisor's restart times, oldest first, as a window over an array:
 * times[start .. start + n). Old entries are dropped when the log is used. */
typedef struct SvRestartLog {
        usec_t *times;
        size_t start;
        size_t n;
        size_t cap;
} SvRestartLog;

/* Drops the times that left the window ending at `now`. If one more restart
 * keeps the count within `max`, records `now` and returns true; otherwise
 * records nothing, returns false and sets *ret_count to the restarts the
 * window would have held. */
bool sv_restart_log_admit(SvRestartLog *l, usec_t now, usec_t window, unsigned max, unsigned *ret_count);
void sv_restart_log_clear(SvRestartLog *l);
void sv_restart_log_done(SvRestartLog *l);

/* The wait before the n-th consecutive restart (n >= 1). */
usec_t sv_backoff_delay(usec_t delay, usec_t max_delay, unsigned n);

/* Growth the core cannot report: pushes and timer arms happen inside void
 * event handlers. Reservations make it unreachable in normal use. */
_noreturn_ void sv_out_of_memory(void);

/* The tree. */
typedef struct SvNode SvNode;

/* A child in its supervisor's start order: an agent or a nested supervisor. */
struct SvNode {
        SvSupervisor *parent;           /* NULL only for the root */
        SvNode *prev, *next;
        uint64_t order;                 /* grows along the start order; children are never reordered */
        bool is_supervisor;
        bool counts_group_stop;         /* the parent's group restart waits for it to be down */
        unsigned consecutive;           /* consecutive restarts, for the backoff */
        usec_t started_at;
        SvTimer timer;                  /* backoff before a one-for-one restart; armed only while
                                         * an agent is SV_STATE_WAITING_FOR_BACKOFF */
};

struct SvAgent {
        SvNode node;
        SvState state;                  /* changed by sv_agent_fire() only */
        RestartType restart;
        void *userdata;
        unsigned restart_count;
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
        void *userdata;
        SvParams params;
        SvNode *head, *tail;
        unsigned n_up;                  /* own agents not down */
        size_t n_alive;                 /* agents of the subtree starting, running or stopping */
        bool escalated;
        bool group_member;              /* its parent's pending group restart will restart it */
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
        size_t n_impossible;            /* impossible table entries fired: a bug if not 0 */
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
        STOP_MODE_FREEZE,               /* an escalation with OnEscalation=freeze */
} StopMode;

static inline SvAgent *node_agent(SvNode *n) {
        assert(!n->is_supervisor);
        return container_of(n, SvAgent, node);
}

static inline SvSupervisor *node_supervisor(SvNode *n) {
        assert(n->is_supervisor);
        return container_of(n, SvSupervisor, node);
}

static inline bool stayed_up(usec_t started_at, usec_t now, usec_t window) {
        return now >= started_at && now - started_at >= window;
}

/* The public, coarse view of a state; and whether the agent's processes may
 * still exist (starting, running or stopping). */
SvAgentState sv_state_class(SvState st);
bool sv_state_alive(SvState st);

/* sv-agent.c */
void sv_queue(Sv *sv, SvActionType type, SvAgent *a, SvSupervisor *s, SvStopReason reason);
void sv_agent_free(Sv *sv, SvAgent *a);
void sv_agent_set_state(Sv *sv, SvAgent *a, SvState st);   /* sv-restore.c only */

/* sv-tree.c */
void sv_node_append(Sv *sv, SvSupervisor *s, SvNode *n);
int sv_reserve(Sv *sv, size_t agents, size_t supervisors);
int sv_sup_check_startable(const SvSupervisor *s);
bool sv_sup_blocked(const SvSupervisor *s);
void sv_subtree_stop(Sv *sv, SvSupervisor *s, StopMode mode);
void sv_sup_restart(Sv *sv, SvSupervisor *s, usec_t now, bool restarted);
void sv_restart_one(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now);
void sv_child_failed(Sv *sv, SvSupervisor *p, SvNode *n, usec_t now);
void sv_group_try_complete(Sv *sv, SvSupervisor *p, usec_t now);
void sv_group_timer_fired(Sv *sv, SvSupervisor *p, usec_t now);
void sv_settle_upwards(Sv *sv, SvSupervisor *s, usec_t now);
