/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervision core: Erlang/OTP supervisor semantics as a pure state
 * machine. It makes no syscalls and reads no clock: every entry point takes
 * `now` (CLOCK_MONOTONIC usec, injected), events go in through the functions
 * below and the work to do comes out as a queue of SvActions that the daemon
 * carries out, in order, after each call.
 *
 * Semantics (OTP, plus what the SPEC adds):
 * - A supervisor has an ordered list of children: agents and nested
 *   supervisors, in start order. Dynamically added agents are appended; a
 *   restarted child keeps its position.
 * - Restart types: permanent always restarted; transient restarted only after
 *   an abnormal end; temporary never restarted. A child that ends and is not
 *   restarted does not disturb its siblings.
 * - Strategies on a restartable failure of child C:
 *     one-for-one:  restart C;
 *     one-for-all:  stop every other running child in reverse start order,
 *                   then (when all are down) start all in start order;
 *     rest-for-one: the same for C and the children after C in start order.
 *   Temporary children that a group restart stops are removed (SV_ACTION_REMOVE).
 *   Children held down by sv_agent_stop() are not restarted by a group restart.
 * - Intensity, per supervisor: a sliding window of restart times. A restart
 *   counts when it happens (after any backoff delay); if it would make more
 *   than max_restarts restarts within restart_window, the supervisor escalates
 *   instead. A group restart counts once. max_restarts = 0: the first restart
 *   escalates. A spawn failure is reported by the daemon as an abnormal exit
 *   and so counts and is retried under the same rules.
 * - Backoff: the n-th consecutive restart of a child waits
 *   min(restart_delay * 2^(n-1), max(restart_max_delay, restart_delay)); the
 *   count resets once the child has stayed up for restart_window.
 * - Escalation: stop all children (reverse start order, nested supervisors'
 *   agents too), mark escalated, SV_ACTION_ESCALATED; start nothing until
 *   sv_supervisor_reset(). A nested supervisor whose own restart type is
 *   permanent counts as a failed child of its parent once its agents are
 *   down: the parent applies its strategy (restarting a child supervisor =
 *   clearing its escalation and starting its agents afresh) and its own
 *   intensity. A transient or temporary nested supervisor stays escalated and
 *   does not disturb its parent (SPEC "Supervision rules"). The root's
 *   escalation with OnEscalation=exit also queues SV_ACTION_EXIT once its
 *   agents are down.
 * - OnEscalation=freeze (any supervisor): the escalation freezes the agents
 *   of the subtree that run (SV_ACTION_FREEZE; their processes are kept for
 *   inspection) instead of stopping them; the ones already down or stopping
 *   go down as with stop. Such a supervisor stays escalated whatever its
 *   restart type, and its parent is not disturbed: restarting it would kill
 *   what it keeps. sv_supervisor_reset() stops the frozen agents (the daemon
 *   kills a frozen group at once) and starts them afresh once down, as it
 *   starts the others; frozen temporary agents are stopped and stay down.
 *   Anything that stops a frozen agent otherwise (a request, the parent's
 *   escalation or restart, shutdown) stops it as it would a running one.
 * - After sv_shutdown(), requests that would start something fail with
 *   -ESHUTDOWN.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "otp.h"

typedef struct Sv Sv;
typedef struct SvSupervisor SvSupervisor;
typedef struct SvAgent SvAgent;

typedef struct SvParams {
        Strategy strategy;
        unsigned max_restarts;
        usec_t restart_window_usec;
        usec_t restart_delay_usec;
        usec_t restart_max_delay_usec;
        RestartType restart;          /* a nested supervisor's own restart type */
        unsigned max_children;        /* agents (not nested supervisors) */
        OnEscalation on_escalation;   /* exit: root only */
} SvParams;

typedef enum SvActionType {
        SV_ACTION_SPAWN,        /* start a fresh invocation of `agent` */
        SV_ACTION_STOP,         /* stop `agent` (SIGTERM, then cgroup.kill); report with `stop_reason` */
        SV_ACTION_RESTARTED,    /* `agent` was restarted by its supervisor: emit AgentRestarted (after its SPAWN) */
        SV_ACTION_REMOVE,       /* forget `agent` (a temporary one stopped by a group restart); the core has freed it */
        SV_ACTION_ESCALATED,    /* `supervisor` escalated, reason in sv_supervisor_escalation_reason() */
        SV_ACTION_RESET,        /* `supervisor` left the escalated state (reset, or restarted by its parent) */
        SV_ACTION_EXIT,         /* root escalated with OnEscalation=exit: the daemon exits non-zero */
        SV_ACTION_FREEZE,       /* freeze `agent`: its supervisor escalated with OnEscalation=freeze */
        _SV_ACTION_MAX,
} SvActionType;

typedef enum SvStopReason {
        SV_STOP_REQUESTED,      /* sv_agent_stop(): report "stopped" */
        SV_STOP_RESTART,        /* a group restart or sv_agent_restart(): "stopped" */
        SV_STOP_ESCALATION,     /* its supervisor escalated: "stopped" */
        SV_STOP_SHUTDOWN,       /* sv_shutdown(): "shutdown" */
        _SV_STOP_REASON_MAX,
} SvStopReason;

typedef struct SvAction {
        SvActionType type;
        SvAgent *agent;               /* SPAWN, STOP, RESTARTED, REMOVE */
        void *userdata;               /* the agent's userdata (valid for REMOVE too) */
        SvSupervisor *supervisor;     /* always: the agent's or the escalated one */
        SvStopReason stop_reason;     /* STOP */
} SvAction;

/* The coarse view of an agent's state, for the daemon; the core keeps a finer
 * one that carries the reason (sv-state.h). */
typedef enum SvAgentState {
        SV_AGENT_STARTING,            /* SPAWN queued, sv_agent_spawned() not yet called */
        SV_AGENT_RUNNING,
        SV_AGENT_STOPPING,            /* STOP queued, waiting for sv_agent_exited() */
        SV_AGENT_WAITING,             /* down, restart pending (group or backoff) */
        SV_AGENT_DOWN,                /* ended and not restarted (or held down) */
        SV_AGENT_FROZEN,              /* frozen by its supervisor's escalation, processes kept */
        _SV_AGENT_STATE_MAX,
} SvAgentState;

Sv *sv_new(void);
Sv *sv_free(Sv *sv);                  /* frees everything; userdata untouched */
DEFINE_TRIVIAL_CLEANUP_FUNC(Sv *, sv_free);
/* Names an agent in escalation reasons (default "an agent"). */
void sv_set_name_callback(Sv *sv, const char *(*cb)(void *userdata));

/* parent NULL: the root (exactly one, added first). Names are unique: -EEXIST.
 * userdata is the caller's object for it (sv_supervisor_userdata()). */
int sv_supervisor_add(Sv *sv, const char *name, SvSupervisor *parent, const SvParams *p, void *userdata,
                      SvSupervisor **ret);
SvSupervisor *sv_supervisor_find(Sv *sv, const char *name);
SvSupervisor *sv_root(Sv *sv);
const char *sv_supervisor_name(const SvSupervisor *s);
void *sv_supervisor_userdata(const SvSupervisor *s);
SvSupervisor *sv_supervisor_parent(const SvSupervisor *s);
const SvParams *sv_supervisor_params(const SvSupervisor *s);
bool sv_supervisor_escalated(const SvSupervisor *s);
const char *sv_supervisor_escalation_reason(const SvSupervisor *s); /* "" when not */
unsigned sv_supervisor_n_agents(const SvSupervisor *s);  /* agents not SV_AGENT_DOWN */
/* Restart times (monotonic) inside the window as of the last restart, oldest first. */
size_t sv_supervisor_restart_times(const SvSupervisor *s, const usec_t **ret);
/* Every supervisor, root first, parents before children. */
size_t sv_supervisors(Sv *sv, SvSupervisor ***ret);
/* Clears escalation of `s` (and of its escalated descendants) and starts
 * their agents again. -EALREADY when not escalated. */
int sv_supervisor_reset(Sv *sv, SvSupervisor *s, usec_t now);

/* A new agent, appended to s's start order, SPAWN queued.
 * -EBUSY: s (or an ancestor) is escalated; -E2BIG: max_children reached. */
int sv_agent_add(Sv *sv, SvSupervisor *s, RestartType restart, void *userdata, usec_t now,
                 SvAgent **ret);
void *sv_agent_userdata(const SvAgent *a);
SvSupervisor *sv_agent_supervisor(const SvAgent *a);
SvAgentState sv_agent_state(const SvAgent *a);
RestartType sv_agent_restart_type(const SvAgent *a);
unsigned sv_agent_restart_count(const SvAgent *a);    /* restarts done by the supervisor */

/* The daemon's reports. */
void sv_agent_spawned(Sv *sv, SvAgent *a, usec_t now);
/* The agent's cgroup is empty. normal: exited 0, stopped or shutdown (SPEC).
 * An agent that is not restarted stays as a DOWN record (temporary ones too)
 * until sv_agent_remove(); only group restarts remove temporaries. */
/* Returns false when the core removed the agent (a temporary one stopped by
 * a group restart): `a` is freed and a REMOVE action is queued for it. */
bool sv_agent_exited(Sv *sv, SvAgent *a, bool normal, usec_t now);

/* Requests. */
int sv_agent_stop(Sv *sv, SvAgent *a, usec_t now);     /* -EALREADY if not running; held down afterwards */
int sv_agent_start(Sv *sv, SvAgent *a, usec_t now);    /* start a DOWN agent again; -EBUSY if escalated, -EALREADY if up */
int sv_agent_restart(Sv *sv, SvAgent *a, usec_t now);  /* stop (if up) then start; does not count toward intensity */
int sv_agent_remove(Sv *sv, SvAgent *a);                /* -EBUSY unless DOWN; frees it, queues nothing */
/* Stop everything, reverse start order, restart nothing ever again. */
void sv_shutdown(Sv *sv, usec_t now);
/* True once sv_shutdown() was called and every agent is DOWN. */
bool sv_shutdown_done(const Sv *sv);

/* Backoff timers: the earliest deadline (USEC_INFINITY if none) and a call to
 * make at or after it. */
usec_t sv_next_deadline(const Sv *sv);
void sv_run_timers(Sv *sv, usec_t now);

bool sv_pop_action(Sv *sv, SvAction *ret);

const char *sv_action_type_to_string(SvActionType t);
const char *sv_agent_state_to_string(SvAgentState s);
