/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus face of violations and learn mode (dbus-violation.c): the
 * PolicyViolation signal, the Agent's PolicyViolations and
 * LastPolicyViolations properties and Manager.GetLearnedPolicy(). */
#pragma once

#include <systemd/sd-bus.h>

#include "agent-violation.h"

void bus_emit_policy_violation(Agent *a, const ViolationRecord *v);
int bus_agent_property_get_violations(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_method_get_learned_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error);
