/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent-spec schema table (see agent-schema.h) and its getters. To add
 * a key: one row here, its parser in agent-key-file.c if no existing one
 * fits (and its bus setter in agent-key-bus.c if it is an option), and the
 * field in AgentSpec; test-agent-schema then asks for a sample of it. */
#include <stddef.h>
#include <string.h>

#include "agent-key.h"
#include "parse-util.h"

static int check_name(const char *s) {
        return name_is_valid(s) ? 0 : -EINVAL;
}

static int check_user(const char *s) {
        return user_name_is_valid(s) ? 0 : -EINVAL;
}

static int check_absolute(const char *s) {
        return s[0] == '/' ? 0 : -EINVAL;
}

static int check_restart(const char *s) {
        return restart_type_from_string(s);
}

static const char *restart_name(int v) {
        return restart_type_to_string(v);
}

static int check_service_type(const char *s) {
        return service_type_from_string(s);
}

static const char *service_type_name(int v) {
        return service_type_to_string(v);
}

static AGENT_KEY_GETTER(get_string) {
        ret->str = *AGENT_FIELD_CONST(s, k, char *);
}

static AGENT_KEY_GETTER(get_strv) {
        ret->strv = *AGENT_FIELD_CONST(s, k, char **);
}

static AGENT_KEY_GETTER(get_enum) {
        ret->str = k->to_string(*AGENT_FIELD_CONST(s, k, int));
}

static AGENT_KEY_GETTER(get_uint64) {
        ret->u64 = *AGENT_FIELD_CONST(s, k, uint64_t);
}

static AGENT_KEY_GETTER(get_unsigned) {
        ret->u64 = *AGENT_FIELD_CONST(s, k, unsigned);
}

static AGENT_KEY_GETTER(get_mode) {
        ret->u64 = *AGENT_FIELD_CONST(s, k, mode_t);
}

static AGENT_KEY_GETTER(get_int) {
        ret->i64 = *AGENT_FIELD_CONST(s, k, int);
}

/* The enum keys store their value as an int. */
_Static_assert(sizeof(RestartType) == sizeof(int) && sizeof(ServiceType) == sizeof(int), "enums are ints");
_Static_assert(sizeof(usec_t) == sizeof(uint64_t), "times are uint64_t");

#define SPEC(field) offsetof(AgentSpec, field)
#define TIME_SPAN_OR_NONE "a time span such as 30, 500ms, 1min 30s (at most 292,000 years), 0 or infinity"
#define RLIMIT_VALUE "a number, a number with K/M/G, or infinity"

/* Rows with an Agent property come first, in the interface's order within
 * each section. */
const AgentKey agent_schema[] = {
        { .file = "Policy", .option = "Policy", .property = "Policy", .signature = "s", .offset = SPEC(policy),
          .flags = AGENT_KEY_RUN, .section = AGENT_PROPERTIES_EXEC, .expected = "a policy name",
          .bus_invalid = " is not a valid policy name.", .check = check_name,
          .parse = agent_parse_string, .bus_set = agent_bus_set_string, .get = get_string },
        /* Unset (NULL) is the daemon's DefaultUser=, which the property shows. */
        { .file = "User", .option = "User", .property = "User", .signature = "s", .offset = SPEC(user),
          .flags = AGENT_KEY_RUN, .section = AGENT_PROPERTIES_EXEC, .expected = "a user name or numeric uid",
          .bus_invalid = " is not a valid user name.", .check = check_user,
          .parse = agent_parse_user, .bus_set = agent_bus_set_string, .get = get_string },
        /* RunAgent's command is its argv argument, not a property. */
        { .file = "Exec", .property = "ExecStart", .signature = "as", .offset = SPEC(exec),
          .section = AGENT_PROPERTIES_EXEC, .parse = agent_parse_command, .get = get_strv },
        { .file = "Type", .option = "Type", .property = "ServiceType", .signature = "s", .offset = SPEC(type),
          .flags = AGENT_KEY_RUN, .section = AGENT_PROPERTIES_EXEC, .expected = "simple or notify",
          .bus_invalid = ": expected simple or notify.", .check = check_service_type, .to_string = service_type_name,
          .parse = agent_parse_enum, .bus_set = agent_bus_set_enum, .get = get_enum },
        { .file = "Restart", .option = "Restart", .property = "Restart", .signature = "s", .offset = SPEC(restart),
          .flags = AGENT_KEY_RUN, .section = AGENT_PROPERTIES_EXEC, .expected = "permanent, transient or temporary",
          .bus_invalid = ": expected permanent, transient or temporary.", .check = check_restart,
          .to_string = restart_name, .parse = agent_parse_enum, .bus_set = agent_bus_set_enum, .get = get_enum },

        { .file = "MemoryMax", .option = "MemoryMax", .property = "MemoryMax", .signature = "t",
          .offset = SPEC(limits.memory_max), .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .section = AGENT_PROPERTIES_LIMITS, .min = 1, .max = UINT64_MAX - 1,
          .expected = "a size above zero such as 512M, or infinity",
          .parse = agent_parse_memory, .bus_set = agent_bus_set_limit, .get = get_uint64 },
        { .file = "TasksMax", .option = "TasksMax", .property = "TasksMax", .signature = "t",
          .offset = SPEC(limits.tasks_max), .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .section = AGENT_PROPERTIES_LIMITS, .min = 1, .max = LIMIT_TASKS_MAX,
          .expected = "a number of tasks from 1 to 4194304 (the kernel's most) or infinity",
          .parse = agent_parse_tasks, .bus_set = agent_bus_set_limit, .get = get_uint64 },
        { .file = "CPUQuota", .option = "CPUQuotaPerSecUSec", .property = "CPUQuotaPerSecUSec", .signature = "t",
          .offset = SPEC(limits.cpu_quota_per_sec_usec), .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .section = AGENT_PROPERTIES_LIMITS, .min = LIMIT_CPU_QUOTA_MIN_USEC, .max = LIMIT_CPU_QUOTA_MAX_USEC,
          .expected = "a percentage from 1% to 10000% such as 50%",
          .parse = agent_parse_cpu_quota, .bus_set = agent_bus_set_limit, .get = get_uint64 },
        { .file = "RuntimeMaxSec", .option = "RuntimeMaxUSec", .property = "RuntimeMaxUSec", .signature = "t",
          .offset = SPEC(limits.runtime_max_usec), .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .section = AGENT_PROPERTIES_LIMITS, .min = 1, .max = LIMIT_TIME_MAX_USEC, .expected = TIME_SPAN_OR_NONE,
          .parse = agent_parse_time_limit, .bus_set = agent_bus_set_limit, .get = get_uint64 },
        { .file = "CPUTimeMaxSec", .option = "CPUTimeMaxUSec", .property = "CPUTimeMaxUSec", .signature = "t",
          .offset = SPEC(limits.cpu_time_max_usec), .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .section = AGENT_PROPERTIES_LIMITS, .min = 1, .max = LIMIT_TIME_MAX_USEC, .expected = TIME_SPAN_OR_NONE,
          .parse = agent_parse_time_limit, .bus_set = agent_bus_set_limit, .get = get_uint64 },
        /* 0 is none in the spec and the property; on the bus none is UINT64_MAX. */
        { .file = "WatchdogSec", .option = "WatchdogUSec", .property = "WatchdogUSec", .signature = "t",
          .offset = SPEC(watchdog_usec), .flags = AGENT_KEY_RUN, .section = AGENT_PROPERTIES_LIMITS,
          .min = 1, .max = LIMIT_TIME_MAX_USEC, .expected = "a time span such as 10s, or 0 for none",
          .parse = agent_parse_watchdog, .bus_set = agent_bus_set_watchdog, .get = get_uint64 },

        /* The Agent's Supervisor property is the supervisor it was added to. */
        { .file = "Supervisor", .option = "Supervisor", .signature = "s", .offset = SPEC(supervisor),
          .flags = AGENT_KEY_RUN, .expected = "a supervisor name", .bus_invalid = " is not a valid name.",
          .check = check_name, .parse = agent_parse_supervisor, .bus_set = agent_bus_set_string, .get = get_string },
        { .file = "Environment", .option = "Environment", .signature = "as", .offset = SPEC(environment),
          .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_PER_INVOCATION, .max_n = AGENT_ENV_MAX,
          .parse = agent_parse_environment, .bus_set = agent_bus_set_environment, .get = get_strv },
        { .file = "WorkingDirectory", .option = "WorkingDirectory", .signature = "s",
          .offset = SPEC(working_directory), .flags = AGENT_KEY_RUN, .expected = "an absolute path",
          .bus_invalid = " must be an absolute path.", .check = check_absolute,
          .parse = agent_parse_string, .bus_set = agent_bus_set_string, .get = get_string },
        { .file = "TimeoutStartSec", .option = "TimeoutStartUSec", .signature = "t",
          .offset = SPEC(timeout_start_usec), .flags = AGENT_KEY_RUN, .min = 1, .max = LIMIT_TIME_MAX_USEC,
          .expected = TIME_SPAN_OR_NONE,
          .parse = agent_parse_time_limit, .bus_set = agent_bus_set_limit, .get = get_uint64 },
        { .file = "HealthCheck", .signature = "as", .offset = SPEC(health_check),
          .parse = agent_parse_optional_command, .get = get_strv },
        /* The Agent's HealthCheckFailures property is the failures counted so far. */
        { .file = "HealthCheckFailures", .signature = "u", .offset = SPEC(health_check_failures),
          .expected = "a count of 1 or more", .parse = agent_parse_count, .get = get_unsigned },
        { .file = "HealthCheckIntervalSec", .signature = "t", .offset = SPEC(health_check_interval_usec),
          .expected = "a time span such as 30s, or 0 for the supervisor's",
          .parse = agent_parse_time, .get = get_uint64 },
        { .file = "HealthCheckTimeoutSec", .signature = "t", .offset = SPEC(health_check_timeout_usec),
          .expected = "a finite time span above zero such as 10s",
          .parse = agent_parse_finite_time, .get = get_uint64 },
        { .file = "LimitNOFILE", .signature = "t", .offset = SPEC(rlimits.nofile), .expected = RLIMIT_VALUE,
          .parse = agent_parse_rlimit, .get = get_uint64 },
        { .file = "LimitCORE", .signature = "t", .offset = SPEC(rlimits.core), .expected = RLIMIT_VALUE,
          .parse = agent_parse_rlimit, .get = get_uint64 },
        { .file = "LimitNPROC", .signature = "t", .offset = SPEC(rlimits.nproc), .expected = RLIMIT_VALUE,
          .parse = agent_parse_rlimit, .get = get_uint64 },
        { .file = "UMask", .signature = "u", .offset = SPEC(umask),
          .expected = "an octal mode from 0000 to 0777 such as 0077", .parse = agent_parse_umask, .get = get_mode },
        { .file = "OOMScoreAdjust", .signature = "i", .offset = SPEC(oom_score_adj),
          .expected = "an integer from -1000 to 1000", .parse = agent_parse_oom_score_adjust, .get = get_int },

        /* StartAgent only: words added to the type's command for this agent. */
        { .option = "Arguments", .signature = "as", .offset = SPEC(exec),
          .flags = AGENT_KEY_START | AGENT_KEY_PER_INVOCATION, .max_n = AGENT_ARGS_MAX,
          .bus_set = agent_bus_set_arguments, .get = get_strv },
};

const size_t agent_schema_n = ELEMENTSOF(agent_schema);
_Static_assert(ELEMENTSOF(agent_schema) <= AGENT_SCHEMA_MAX, "AGENT_SCHEMA_MAX is too small");

#define DEFINE_LOOKUP(function, member)                                         \
        const AgentKey *function(const char *name) {                            \
                for (size_t i = 0; i < agent_schema_n; i++)                     \
                        if (agent_schema[i].member && strcmp(agent_schema[i].member, name) == 0) \
                                return &agent_schema[i];                        \
                return NULL;                                                    \
        }

DEFINE_LOOKUP(agent_key_from_file, file)
DEFINE_LOOKUP(agent_key_from_option, option)
DEFINE_LOOKUP(agent_key_from_property, property)
