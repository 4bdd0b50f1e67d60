/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's bus-visible State and Health, their names, and the pure
 * derivation of State from the facts the daemon and the supervision core
 * hold (no bus, no kernel: unit-tested in test-agent-state.c). */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "exit-reason.h"

typedef enum AgentState {
        AGENT_STARTING,
        AGENT_RUNNING,
        AGENT_STOPPING,
        AGENT_RESTARTING,
        AGENT_EXITED,
        AGENT_FAILED,
        AGENT_FROZEN,                    /* its cgroup frozen (agent-freeze.c) */
        _AGENT_STATE_MAX,
        _AGENT_STATE_INVALID = -EINVAL,
} AgentState;

typedef enum AgentHealth {
        AGENT_HEALTH_UNKNOWN,
        AGENT_HEALTH_HEALTHY,
        AGENT_HEALTH_UNHEALTHY,
        _AGENT_HEALTH_MAX,
        _AGENT_HEALTH_INVALID = -EINVAL,
} AgentHealth;

/* What the supervision core says of an agent, as far as State needs it. */
typedef enum AgentCoreView {
        AGENT_CORE_NONE,                 /* no core agent (dropped), or up/down */
        AGENT_CORE_STARTING,
        AGENT_CORE_STOPPING,
        AGENT_CORE_WAITING,              /* backoff before a restart */
} AgentCoreView;

typedef struct AgentFacts {
        bool active;                     /* an invocation's cgroup exists */
        bool ending;                     /* the daemon ends it, or its main process exited */
        bool ready;                      /* simple: at once; notify: READY=1 */
        bool frozen;                     /* a freeze is requested or done */
        AgentCoreView core;
        ExitReason exit_reason;          /* of the last end, EXIT_REASON_NONE when none */
        int exit_status;
} AgentFacts;

/* State is derived: from the invocation while one runs, from the core's
 * view while none does, and from the last end's record otherwise. */
AgentState agent_state_derive(const AgentFacts *f);

const char *agent_state_to_string(AgentState s);
AgentState agent_state_from_string(const char *s);
const char *agent_health_to_string(AgentHealth h);
AgentHealth agent_health_from_string(const char *s);
