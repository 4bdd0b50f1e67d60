/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The operations a caller asks of the manager: create, drive and remove
 * agents, reset an escalation, reload. Each returns 0 or a negative errno
 * and, when it refuses, fills err (error-detail.h) with the kind of refusal
 * and the message; the bus side (dbus-*.c) reads arguments, checks the
 * caller, calls these and maps (errno, detail) to an error name. What
 * changed reaches the bus as the rest of the logic's changes do, through the
 * bus_emit_*() queue; nothing here reads or answers a message. */
#pragma once

#include "agent.h"
#include "error-detail.h"
#include "manager.h"

/* "" (a name to pick) or a valid agent name. */
int manager_check_agent_name(const char *name, ErrorDetail *err);

/* StartAgent, before its options: checks the type and agent names, finds the
 * type and copies its spec into *ret (untouched on failure). */
int manager_start_spec(Manager *m, const char *type, const char *name, AgentSpec *ret, ErrorDetail *err);
/* RunAgent, before its argv: the spec a command line starts from. */
void manager_run_spec_init(Manager *m, AgentSpec *spec);
/* RunAgent's argv, before its properties: not empty, argv[0] absolute. */
int manager_check_run_argv(char *const *argv, ErrorDetail *err);

/* Creates the agent (name "" picks one: TYPE-N, or run-N for RunAgent) from
 * the spec, which the agent copies, and hands it to its supervisor, which
 * queues the spawn. */
int manager_start_agent(Manager *m, const char *type, const char *name, AgentSpec *spec, Agent **ret,
                        ErrorDetail *err);
int manager_run_agent(Manager *m, const char *name, AgentSpec *spec, Agent **ret, ErrorDetail *err);

Agent *manager_lookup_agent(Manager *m, const char *name, ErrorDetail *err);
Supervisor *manager_lookup_supervisor(Manager *m, const char *name, ErrorDetail *err); /* "" is root */

int manager_stop_agent(Agent *a, ErrorDetail *err);
int manager_restart_agent(Agent *a, ErrorDetail *err);
int manager_kill_agent(Agent *a, int sig, ErrorDetail *err);
int manager_remove_agent(Agent *a, ErrorDetail *err);
int manager_reset_escalation(Supervisor *s, ErrorDetail *err);
/* Reload() of the bus: all or nothing, logged when it fails. */
int manager_reload_request(Manager *m, ErrorDetail *err);
