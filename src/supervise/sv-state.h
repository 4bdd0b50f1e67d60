/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's state in the supervision core, as s6-supervise keeps it: one
 * explicit state that carries the reason it is in it, and a table that says
 * for every (state, event) pair what happens. Once an agent is created (DOWN,
 * then START), sv_agent_fire() is the only code that changes its state; the
 * supervisor-level logic (sv-tree.c)
 * and the requests (supervise.c) only choose which event to fire.
 *
 * What the table does not hold: the tree decisions that follow an event (an
 * agent that FAILED makes its supervisor choose backoff, group restart or
 * escalation, which come back as BACKOFF, JOIN_GROUP, RESPAWN or
 * ESCALATION_STOP), and the parent's count of group members still to go down
 * (SvNode.counts_group_stop), which is the group's bookkeeping, not the
 * agent's. */
#pragma once

#include "macro.h"

typedef struct Sv Sv;
typedef struct SvAgent SvAgent;

typedef enum SvState {
        SV_STATE_STARTING,                   /* SPAWN queued, not yet reported spawned */
        SV_STATE_RUNNING,
        SV_STATE_FAILED,                     /* ended restartably; its supervisor decides, in the same call */
        SV_STATE_WAITING_FOR_BACKOFF,        /* its backoff timer is armed; restarted when it fires */
        SV_STATE_WAITING_FOR_GROUP,          /* down; restarted when its supervisor's group restart completes */
        SV_STATE_STOPPING_FOR_REQUEST,       /* sv_agent_stop(): held down once down */
        SV_STATE_STOPPING_FOR_RESTART,       /* sv_agent_restart() or a supervisor start: spawned again once down */
        SV_STATE_STOPPING_FOR_GROUP,         /* a group restart: waits for the group once down */
        SV_STATE_STOPPING_FOR_REMOVAL,       /* a temporary a group restart stopped: removed once down */
        SV_STATE_STOPPING_FOR_REMOVAL_HELD,  /* the same, and a stop was requested meanwhile */
        SV_STATE_STOPPING_FOR_SUPERVISOR,    /* escalation, shutdown, or a cancelled group: down once down */
        SV_STATE_DOWN,                       /* down; its supervisor starts it when it starts afresh */
        SV_STATE_HELD,                       /* down, stopped on request or ended for good: only a request starts it */
        SV_STATE_FROZEN,                     /* its supervisor escalated with OnEscalation=freeze: kept, not running */
        _SV_STATE_MAX,
} SvState;

typedef enum SvEvent {
        /* The daemon's reports. EXITED_* is chosen by the restart type and
         * the exit (sv_agent_exited()); a stopping agent treats all alike. */
        SV_EVENT_SPAWNED,
        SV_EVENT_EXITED_FINAL,               /* its restart type does not restart it */
        SV_EVENT_EXITED_RESTARTABLE,         /* restartable, and its supervisor may start things */
        SV_EVENT_EXITED_BLOCKED,             /* restartable, but shutdown or an escalated supervisor */
        /* Requests. */
        SV_EVENT_STOP,
        SV_EVENT_START,                      /* also how sv_agent_add() starts it */
        SV_EVENT_RESTART,
        SV_EVENT_REMOVE,
        /* From its supervisor. */
        SV_EVENT_GROUP_STOP,                 /* a group restart stops it (not temporary) */
        SV_EVENT_GROUP_DROP,                 /* a group restart stops a temporary for good */
        SV_EVENT_GROUP_CANCEL,               /* its supervisor's pending group restart is dropped */
        SV_EVENT_ESCALATION_STOP,            /* its supervisor (or one above) escalated */
        SV_EVENT_SHUTDOWN_STOP,
        SV_EVENT_BACKOFF,                    /* wait until `when` before restarting it */
        SV_EVENT_JOIN_GROUP,                 /* a group restart will start it */
        SV_EVENT_RESPAWN,                    /* restart it now (counts as a restart) */
        SV_EVENT_SUPERVISOR_START,           /* its supervisor starts afresh (reset) */
        SV_EVENT_SUPERVISOR_RESTART,         /* its supervisor was restarted by its parent */
        SV_EVENT_ESCALATION_FREEZE,          /* its supervisor (or one above) escalated with OnEscalation=freeze */
        SV_EVENT_SUPERVISOR_DROP,            /* its supervisor starts afresh and it is temporary */
        _SV_EVENT_MAX,
} SvEvent;

/* What a defined transition does besides setting the next state. */
typedef enum SvStep {
        SV_STEP_NONE,
        SV_STEP_MARK_STARTED,                /* remember when it came up (backoff reset) */
        SV_STEP_SPAWN,                       /* queue SPAWN */
        SV_STEP_SPAWN_RESTARTED,             /* queue SPAWN and RESTARTED, count the restart */
        SV_STEP_SPAWN_AFRESH,                /* forget the backoff count, queue SPAWN */
        SV_STEP_START,                       /* -E2BIG at max_children, else as SPAWN_AFRESH */
        SV_STEP_STOP,                        /* queue STOP, reason from the event */
        SV_STEP_STOP_AFRESH,                 /* forget the backoff count, queue STOP(restart) */
        SV_STEP_FORGET_BACKOFF,              /* forget the backoff count */
        SV_STEP_FAIL,                        /* forget the backoff count if it ran a window long */
        SV_STEP_ARM_BACKOFF,                 /* arm its timer at `when` */
        SV_STEP_REMOVE,                      /* queue REMOVE and free it */
        SV_STEP_FREE,                        /* free it, queue nothing */
        SV_STEP_FREEZE,                      /* queue FREEZE */
        _SV_STEP_MAX,
} SvStep;

typedef enum SvEntryKind {
        SV_ENTRY_UNSET,                      /* a hole: the table test rejects any */
        SV_ENTRY_MOVE,                       /* a defined transition */
        SV_ENTRY_IGNORE,                     /* nothing changes; returns rc (0 or a refusal) */
        SV_ENTRY_IMPOSSIBLE,                 /* cannot happen; counted, nothing changes, -EINVAL */
} SvEntryKind;

typedef struct SvTransition {
        SvEntryKind kind;
        SvState next;                        /* MOVE */
        SvStep step;                         /* MOVE */
        int rc;                              /* IGNORE */
        const char *why;                     /* IGNORE, IMPOSSIBLE */
} SvTransition;

/* sv_agent_fire()'s result when the agent was freed. */
#define SV_FIRE_FREED 1

const SvTransition *sv_transition(SvState s, SvEvent e);
/* Applies the table entry of (a's state, ev). `when` is the deadline for
 * BACKOFF and the current time otherwise. Returns the entry's rc, -E2BIG,
 * -EINVAL for an impossible pair, or SV_FIRE_FREED. */
int sv_agent_fire(Sv *sv, SvAgent *a, SvEvent ev, usec_t when);
SvState sv_agent_fine_state(const SvAgent *a);
/* Impossible pairs fired so far: the tests expect none. */
size_t sv_impossible_count(const Sv *sv);

const char *sv_state_to_string(SvState s);
const char *sv_event_to_string(SvEvent e);
const char *sv_step_to_string(SvStep s);
