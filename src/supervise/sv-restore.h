/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saving and restoring the core's view of an agent and a supervisor, for a
 * daemon that takes over the agents of an earlier one (Reexecute, or a
 * restart after a crash; see src/daemon/state-file.h). The restored agent
 * is in the state it was saved in, without an action queued: its process
 * (if any) runs already. */
#pragma once

#include "supervise.h"

typedef enum SvRestoreState {
        SV_RESTORE_RUNNING,             /* starting or running: the daemon adopts its process */
        SV_RESTORE_DOWN,                /* ended; its supervisor starts it when it starts afresh */
        SV_RESTORE_HELD,                /* ended for good, or stopped on request */
        SV_RESTORE_WAITING,             /* a restart is due at `deadline` */
        SV_RESTORE_STOPPING_REQUEST,    /* being stopped on request: held once down */
        SV_RESTORE_STOPPING_RESTART,    /* being stopped to start again */
        SV_RESTORE_STOPPING_SUPERVISOR, /* escalation or shutdown: down once down */
        SV_RESTORE_STOPPING_REMOVAL,    /* a temporary stopped by a group restart: removed once down */
        SV_RESTORE_FROZEN,              /* frozen by its supervisor's escalation (OnEscalation=freeze) */
        _SV_RESTORE_MAX,
} SvRestoreState;

typedef struct SvAgentSaved {
        SvRestoreState state;
        unsigned restart_count;
        unsigned consecutive;           /* consecutive restarts (backoff) */
        usec_t started_at;              /* CLOCK_MONOTONIC */
        usec_t deadline;                /* WAITING: when it restarts (0: at once) */
} SvAgentSaved;

/* What to save of a; a group restart in progress is saved as the nearest
 * state outside it (its members restart on their own afterwards). */
void sv_agent_save(const SvAgent *a, SvAgentSaved *ret);
/* Adds an agent to s in the saved state, appended to the start order.
 * -EINVAL for a bad restart type or state, -E2BIG at max_children (agents
 * that are not down), -ESHUTDOWN, -ENOMEM. */
int sv_agent_restore(Sv *sv, SvSupervisor *s, RestartType restart, void *userdata, const SvAgentSaved *saved,
                     SvAgent **ret);
/* Restart times (oldest first) and escalation. Call before any agent of s
 * is restored... or after: neither starts or stops anything. */
int sv_supervisor_restore(Sv *sv, SvSupervisor *s, bool escalated, const char *reason, const usec_t *times,
                          size_t n);
