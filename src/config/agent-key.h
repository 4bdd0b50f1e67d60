/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The semantics behind the schema's rows (agent-schema.c): parsers from
 * text (agent-key-file.c), setters from bus values (agent-key-bus.c) and
 * getters (agent-schema.c). Internal to src/config. */
#pragma once

#include "agent-schema.h"

#define AGENT_FIELD(s, k, type) ((type *) (void *) ((uint8_t *) (s) + (k)->offset))
#define AGENT_FIELD_CONST(s, k, type) ((type const *) (const void *) ((const uint8_t *) (s) + (k)->offset))

#define AGENT_KEY_PARSER(name) \
        int name(const AgentKey *k, const char *value, AgentSpec *s, const AgentKeyContext *c, Diagnostic *diag)
#define AGENT_KEY_BUS_SETTER(name) \
        int name(const AgentKey *k, const AgentValue *v, bool start, AgentSpec *s, char **ret_message)
#define AGENT_KEY_GETTER(name) void name(const AgentKey *k, const AgentSpec *s, AgentValue *ret)

AGENT_KEY_PARSER(agent_parse_command);
AGENT_KEY_PARSER(agent_parse_optional_command);
AGENT_KEY_PARSER(agent_parse_string);
AGENT_KEY_PARSER(agent_parse_supervisor);
AGENT_KEY_PARSER(agent_parse_user);
AGENT_KEY_PARSER(agent_parse_enum);
AGENT_KEY_PARSER(agent_parse_environment);
AGENT_KEY_PARSER(agent_parse_time_limit);
AGENT_KEY_PARSER(agent_parse_memory);
AGENT_KEY_PARSER(agent_parse_tasks);
AGENT_KEY_PARSER(agent_parse_cpu_quota);
AGENT_KEY_PARSER(agent_parse_watchdog);
AGENT_KEY_PARSER(agent_parse_count);
AGENT_KEY_PARSER(agent_parse_time);
AGENT_KEY_PARSER(agent_parse_finite_time);
AGENT_KEY_PARSER(agent_parse_rlimit);
AGENT_KEY_PARSER(agent_parse_umask);
AGENT_KEY_PARSER(agent_parse_oom_score_adjust);

/* agent-key-sandbox.c */
AGENT_KEY_PARSER(agent_parse_sandbox);
AGENT_KEY_PARSER(agent_parse_list);
AGENT_KEY_PARSER(agent_parse_state_directory);
AGENT_KEY_BUS_SETTER(agent_bus_set_sandbox_preset);
AGENT_KEY_BUS_SETTER(agent_bus_set_sandbox_bool);
AGENT_KEY_BUS_SETTER(agent_bus_set_sandbox_word);
AGENT_KEY_BUS_SETTER(agent_bus_set_restricting_paths);
AGENT_KEY_BUS_SETTER(agent_bus_set_granting_paths);
AGENT_KEY_BUS_SETTER(agent_bus_set_state_directory);
AGENT_KEY_BUS_SETTER(agent_bus_set_ports);
int agent_check_path_entry(const char *s);
int agent_check_bind_entry(const char *s);
int agent_check_state_directory(const char *s);
int agent_check_port(const char *s);

AGENT_KEY_BUS_SETTER(agent_bus_set_limit);
AGENT_KEY_BUS_SETTER(agent_bus_set_watchdog);
AGENT_KEY_BUS_SETTER(agent_bus_set_string);
AGENT_KEY_BUS_SETTER(agent_bus_set_enum);
AGENT_KEY_BUS_SETTER(agent_bus_set_environment);
AGENT_KEY_BUS_SETTER(agent_bus_set_arguments);

int agent_replace_string(char **field, const char *value);
int agent_split_list(const AgentKey *k, const AgentKeyContext *c, const char *value, char ***field, char ***ret,
                     Diagnostic *diag);

/* A bus setter's refusal: the message for the caller (allocated into
 * *ret_message) and r, or -ENOMEM when the message cannot be made. */
int agent_key_fail(char **ret_message, int r, const char *format, ...) _printf_(3, 4);
