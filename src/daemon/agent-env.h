/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's environment, built from scratch for each spawn: a minimal
 * PATH/HOME/USER/LOGNAME, the type's and the caller's Environment, and the
 * daemon's own STATE_DIRECTORY, NOTIFY_SOCKET and WATCHDOG_* last. Pure. */
#pragma once

#include "macro.h"

typedef struct AgentEnvParams {
        const char *home;
        const char *user;
        char * const *environment;     /* KEY=VALUE from the type and the caller */
        const char *notify_socket;     /* NULL: none */
        usec_t watchdog_usec;          /* 0 or USEC_INFINITY: none */
        const char *state_directory;   /* $STATE_DIRECTORY; NULL: none */
} AgentEnvParams;

/* The digits the child may write into the WATCHDOG_PID= slot (a pid, NUL
 * included): see SpawnParams.pid_env_slot. */
#define AGENT_ENV_PID_SLOT_SIZE 11

/* *ret_pid_slot points into the WATCHDOG_PID= entry this function allocated
 * itself (NULL when there is no watchdog); entries of `environment` with a
 * name the daemon sets (env_name_is_daemons()) are left out. */
int agent_env_build(const AgentEnvParams *p, char ***ret, char **ret_pid_slot);
