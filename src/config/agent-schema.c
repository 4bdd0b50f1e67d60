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

static int check_policy_mode(const char *s) {
        return policy_mode_from_string(s);
}

static const char *policy_mode_name(int v) {
        return policy_mode_to_string(v);
}

static const char *service_type_name(int v) {
        return service_type_to_string(v);
}

static int check_standard_output(const char *s) {
        return standard_output_from_string(s);
}

static const char *standard_output_name(int v) {
        return standard_output_to_string(v);
}

static int check_sandbox_preset(const char *s) {
        return sandbox_preset_from_string(s);
}

static int check_protect_system(const char *s) {
        return sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_SYSTEM, s);
}

static int check_protect_home(const char *s) {
        return sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_HOME, s);
}

static int check_protect_proc(const char *s) {
        return sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_PROC, s);
}

static int check_proc_subset(const char *s) {
        return sandbox_key_value_from_string(SANDBOX_KEY_PROC_SUBSET, s);
}

/* Sandbox= and its keys: the word, NULL when unset; yes/no keys 0 or 1,
 * UINT64_MAX when unset. */
static AGENT_KEY_GETTER(get_sandbox) {
        int v = *AGENT_FIELD_CONST(s, k, int);

        if (k->signature[0] == 'b') {
                ret->u64 = v < 0 ? UINT64_MAX : (uint64_t) v;
                return;
        }
        if (k->offset == offsetof(AgentSpec, sandbox.preset))
                ret->str = v < 0 ? NULL : sandbox_preset_to_string(v);
        else
                ret->str = v < 0 ? NULL
                                 : sandbox_key_value_to_string(
                                           (SandboxKey) ((k->offset - offsetof(AgentSpec, sandbox.keys)) / sizeof(int)),
                                           v);
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
_Static_assert(sizeof(RestartType) == sizeof(int) && sizeof(ServiceType) == sizeof(int) &&
                       sizeof(StandardOutput) == sizeof(int),
               "enums are ints");
_Static_assert(sizeof(usec_t) == sizeof(uint64_t), "times are uint64_t");

#define SPEC(field) offsetof(AgentSpec, field)
#define TIME_SPAN_OR_NONE "a time span such as 30, 500ms, 1min 30s (at most 292,000 years), 0 or infinity"
#define RLIMIT_VALUE "a number, a number with K/M/G, or infinity"

#define SANDBOX_FLAGS (AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN)
#define SANDBOX_BOOL(name, key)                                                                         \
        { .file = name, .option = name, .signature = "b", .offset = SPEC(sandbox.keys[key]),            \
          .flags = SANDBOX_FLAGS, .expected = "yes or no", .parse = agent_parse_sandbox,                 \
          .bus_set = agent_bus_set_sandbox_bool, .get = get_sandbox }
#define SANDBOX_WORD(name, key, words, checker)                                                          \
        { .file = name, .option = name, .signature = "s", .offset = SPEC(sandbox.keys[key]),            \
          .flags = SANDBOX_FLAGS, .expected = words, .bus_invalid = ": expected " words ".",             \
          .check = checker, .parse = agent_parse_sandbox, .bus_set = agent_bus_set_sandbox_word,        \
          .get = get_sandbox }
#define SANDBOX_LIST(name, field, flag, what, checker, setter)                                           \
        { .file = name, .option = name, .signature = "as", .offset = SPEC(field),                       \
          .flags = AGENT_KEY_RUN | AGENT_KEY_START | flag, .max_n = AGENT_PATHS_MAX, .expected = what,   \
          .check = checker, .parse = agent_parse_list, .bus_set = setter, .get = get_strv }
#define PATH_ENTRY "an absolute path without \".\", \"..\" or a trailing /, with - in front if it may be missing"
#define BIND_ENTRY "SRC or SRC:DST, absolute paths without \".\", \"..\" or a trailing /"
#define PORT_ENTRY "a TCP port from 1 to 65535"

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
        /* Not a StartAgent option: where an agent's output goes is the
         * type's author's choice, as its Restart= and Type= are. */
        { .file = "StandardOutput", .option = "StandardOutput", .property = "StandardOutput", .signature = "s",
          .offset = SPEC(standard_output), .flags = AGENT_KEY_RUN, .section = AGENT_PROPERTIES_EXEC,
          .expected = "journal or null", .bus_invalid = ": expected journal or null.",
          .check = check_standard_output, .to_string = standard_output_name, .parse = agent_parse_enum,
          .bus_set = agent_bus_set_enum, .get = get_enum },

        { .file = "MemoryMax", .option = "MemoryMax", .property = "MemoryMax", .signature = "t",
          .offset = SPEC(limits.memory_max), .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .section = AGENT_PROPERTIES_LIMITS, .min = LIMIT_MEMORY_MIN, .max = UINT64_MAX - 1,
          .expected = "a size of 4M or more such as 512M, or infinity",
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
        /* Learn mode (agent-learn.c): no Agent property, GetLearnedPolicy()
         * gives what it found. */
        { .file = "PolicyMode", .option = "PolicyMode", .signature = "s", .offset = SPEC(policy_mode),
          .flags = AGENT_KEY_RUN, .expected = "enforce or learn", .bus_invalid = ": expected enforce or learn.",
          .check = check_policy_mode, .to_string = policy_mode_name, .parse = agent_parse_enum,
          .bus_set = agent_bus_set_enum, .get = get_enum },
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

        /* Isolation (SPEC): no Agent property of their own; the Agent's
         * Sandbox property is the effective preset (dbus-agent.c). */
        { .file = "Sandbox", .option = "Sandbox", .signature = "s", .offset = SPEC(sandbox.preset),
          .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN, .expected = "none, standard or strict",
          .bus_invalid = ": expected none, standard or strict.", .check = check_sandbox_preset,
          .parse = agent_parse_sandbox, .bus_set = agent_bus_set_sandbox_preset, .get = get_sandbox },
        SANDBOX_BOOL("PrivateTmp", SANDBOX_KEY_PRIVATE_TMP),
        SANDBOX_WORD("ProtectSystem", SANDBOX_KEY_PROTECT_SYSTEM, "no, yes, full or strict", check_protect_system),
        SANDBOX_WORD("ProtectHome", SANDBOX_KEY_PROTECT_HOME, "no, read-only, tmpfs or yes", check_protect_home),
        SANDBOX_BOOL("PrivateDevices", SANDBOX_KEY_PRIVATE_DEVICES),
        SANDBOX_WORD("ProtectProc", SANDBOX_KEY_PROTECT_PROC, "default or invisible", check_protect_proc),
        SANDBOX_WORD("ProcSubset", SANDBOX_KEY_PROC_SUBSET, "all or pid", check_proc_subset),
        SANDBOX_BOOL("PrivateIPC", SANDBOX_KEY_PRIVATE_IPC),
        SANDBOX_BOOL("PrivateNetwork", SANDBOX_KEY_PRIVATE_NETWORK),
        SANDBOX_BOOL("PrivatePIDs", SANDBOX_KEY_PRIVATE_PIDS),
        SANDBOX_BOOL("PrivateUsers", SANDBOX_KEY_PRIVATE_USERS),
        SANDBOX_BOOL("Landlock", SANDBOX_KEY_LANDLOCK),
        SANDBOX_LIST("ReadWritePaths", read_write_paths, AGENT_KEY_TIGHTEN, PATH_ENTRY, agent_check_path_entry,
                     agent_bus_set_granting_paths),
        SANDBOX_LIST("ReadOnlyPaths", read_only_paths, AGENT_KEY_PER_INVOCATION, PATH_ENTRY, agent_check_path_entry,
                     agent_bus_set_restricting_paths),
        SANDBOX_LIST("InaccessiblePaths", inaccessible_paths, AGENT_KEY_PER_INVOCATION, PATH_ENTRY,
                     agent_check_path_entry, agent_bus_set_restricting_paths),
        SANDBOX_LIST("BindPaths", bind_paths, AGENT_KEY_TIGHTEN, BIND_ENTRY, agent_check_bind_entry,
                     agent_bus_set_granting_paths),
        SANDBOX_LIST("BindReadOnlyPaths", bind_read_only_paths, AGENT_KEY_TIGHTEN, BIND_ENTRY, agent_check_bind_entry,
                     agent_bus_set_granting_paths),
        { .file = "StateDirectory", .option = "StateDirectory", .signature = "s", .offset = SPEC(state_directory),
          .flags = AGENT_KEY_RUN | AGENT_KEY_START | AGENT_KEY_TIGHTEN,
          .expected = "a relative path of [A-Za-z0-9._-] components such as worker or app/cache",
          .bus_invalid = " is not a relative path of [A-Za-z0-9._-] components.", .check = agent_check_state_directory,
          .parse = agent_parse_state_directory, .bus_set = agent_bus_set_state_directory, .get = get_string },
        SANDBOX_LIST("AllowTCPConnect", allow_tcp_connect, AGENT_KEY_TIGHTEN, PORT_ENTRY, agent_check_port,
                     agent_bus_set_ports),
        SANDBOX_LIST("AllowTCPBind", allow_tcp_bind, AGENT_KEY_TIGHTEN, PORT_ENTRY, agent_check_port,
                     agent_bus_set_ports),

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
