/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus names of agentvisord's API (SPEC "D-Bus API"): its service name,
 * object paths, interfaces and error names. Shared by the daemon, agentctl
 * and the benchmark, so that each is spelled once. */
#pragma once

#define BUS_NAME "org.agentvisor1"
#define BUS_PATH "/org/agentvisor1"
#define BUS_AGENT_PREFIX "/org/agentvisor1/agent"
#define BUS_SUPERVISOR_PREFIX "/org/agentvisor1/supervisor"
#define BUS_MANAGER_IFACE "org.agentvisor1.Manager"
#define BUS_AGENT_IFACE "org.agentvisor1.Agent"
#define BUS_SUPERVISOR_IFACE "org.agentvisor1.Supervisor"

#define BUS_ERROR_NO_SUCH_AGENT "org.agentvisor1.Error.NoSuchAgent"
#define BUS_ERROR_NO_SUCH_TYPE "org.agentvisor1.Error.NoSuchType"
#define BUS_ERROR_NO_SUCH_SUPERVISOR "org.agentvisor1.Error.NoSuchSupervisor"
#define BUS_ERROR_INVALID_SPEC "org.agentvisor1.Error.InvalidSpec"
#define BUS_ERROR_TOO_MANY_AGENTS "org.agentvisor1.Error.TooManyAgents"
#define BUS_ERROR_ESCALATED "org.agentvisor1.Error.Escalated"
#define BUS_ERROR_POLICY "org.agentvisor1.Error.PolicyError"
#define BUS_ERROR_ALREADY_EXISTS "org.agentvisor1.Error.AlreadyExists"
#define BUS_ERROR_NOT_STOPPED "org.agentvisor1.Error.NotStopped"
#define BUS_ERROR_NOT_RUNNING "org.agentvisor1.Error.NotRunning"
