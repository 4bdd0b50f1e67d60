/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State derivation and the State/Health names (see agent-state.h). */
#include "agent-state.h"
#include "string-table.h"

static const char *const agent_state_table[_AGENT_STATE_MAX] = {
        [AGENT_STARTING] = "starting",   [AGENT_RUNNING] = "running",
        [AGENT_STOPPING] = "stopping",   [AGENT_RESTARTING] = "restarting",
        [AGENT_EXITED] = "exited",       [AGENT_FAILED] = "failed",
        [AGENT_FROZEN] = "frozen",
};

static const char *const agent_health_table[_AGENT_HEALTH_MAX] = {
        [AGENT_HEALTH_UNKNOWN] = "unknown",
        [AGENT_HEALTH_HEALTHY] = "healthy",
        [AGENT_HEALTH_UNHEALTHY] = "unhealthy",
};

DEFINE_STRING_TABLE_LOOKUP(agent_state, AgentState);
DEFINE_STRING_TABLE_LOOKUP(agent_health, AgentHealth);

AgentState agent_state_derive(const AgentFacts *f) {
        if (f->active) {
                if (f->ending || f->core == AGENT_CORE_STOPPING)
                        return AGENT_STOPPING;
                /* A stop ends a frozen agent at once: stopping wins. */
                if (f->frozen)
                        return AGENT_FROZEN;
                return f->ready ? AGENT_RUNNING : AGENT_STARTING;
        }
        if (f->core == AGENT_CORE_WAITING)
                return AGENT_RESTARTING;
        if (f->core == AGENT_CORE_STARTING)
                return AGENT_STARTING;
        if (f->exit_reason == EXIT_REASON_NONE)
                return AGENT_EXITED;
        return exit_reason_is_normal(f->exit_reason, f->exit_status) ? AGENT_EXITED : AGENT_FAILED;
}
