/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's configuration (agentvisor.conf) and agent types
 * (agents.d/NAME.agent), as parsed, validated values. Pure: file reading is the
 * only I/O; every error names file, line and key through a Diagnostic. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "macro.h"
#include "otp.h"
#include "sandbox-preset.h"

typedef enum ServiceType {
        SERVICE_SIMPLE,
        SERVICE_NOTIFY,
        _SERVICE_MAX,
        _SERVICE_INVALID = -EINVAL,
} ServiceType;

const char *service_type_to_string(ServiceType t);
ServiceType service_type_from_string(const char *s);

/* PolicyMode=: learn runs the agent under a filter that allows and records
 * what its policy would refuse (agent-learn.c); RunAgent, root only. */
typedef enum PolicyMode {
        POLICY_MODE_ENFORCE,
        POLICY_MODE_LEARN,
        _POLICY_MODE_MAX,
        _POLICY_MODE_INVALID = -EINVAL,
} PolicyMode;

const char *policy_mode_to_string(PolicyMode m);
PolicyMode policy_mode_from_string(const char *s);

/* StandardOutput= (systemd's words): journal is the journald stream, or
 * LogDirectory/NAME.log where no journald listens (agent-output.c); null
 * is /dev/null for stdout and stderr, so that an agent whose output nobody
 * reads costs the daemon no pipe, fd, log file or journal stream. */
typedef enum StandardOutput {
        STANDARD_OUTPUT_JOURNAL,
        STANDARD_OUTPUT_NULL,
        _STANDARD_OUTPUT_MAX,
        _STANDARD_OUTPUT_INVALID = -EINVAL,
} StandardOutput;

const char *standard_output_to_string(StandardOutput o);
StandardOutput standard_output_from_string(const char *s);

/* Limits: UINT64_MAX (== USEC_INFINITY) means "none" for every field. In the
 * files, 0 for RuntimeMaxSec/CPUTimeMaxSec and "infinity" mean none. */
typedef struct Limits {
        uint64_t memory_max;              /* bytes */
        uint64_t tasks_max;
        uint64_t cpu_quota_per_sec_usec;  /* CPUQuota=50% -> 500000 */
        usec_t runtime_max_usec;
        usec_t cpu_time_max_usec;
} Limits;

/* The valid ranges, the same in the files and on the bus. A finite time
 * must leave room for the monotonic clock to be added (2^63 - 1 us, about
 * 292,000 years); tasks stop at the kernel's PID_MAX_LIMIT, which pids.max
 * refuses to exceed; a CPU quota runs from 1% (the kernel's smallest quota
 * of its period) to 10000%. Above the range is an error, UINT64_MAX is none. */
#define LIMIT_TIME_MAX_USEC ((usec_t) INT64_MAX)
#define LIMIT_TASKS_MAX UINT64_C(4194304)
/* The smallest MemoryMax=: a start itself is charged to the agent's (and
 * its supervisor's) memory cgroup before the exec, while the spawn child
 * still shares the daemon's memory, and an OOM kill of that child takes
 * the daemon with it. A strict start charges under 1 MiB; below 4 MiB no
 * agent can run anyway. */
#define LIMIT_MEMORY_MIN (UINT64_C(4) << 20)
#define LIMIT_CPU_QUOTA_MIN_USEC (USEC_PER_SEC / 100)
#define LIMIT_CPU_QUOTA_MAX_USEC (100 * USEC_PER_SEC)

#define LIMITS_NONE                                             \
        ((Limits) { .memory_max = UINT64_MAX,                   \
                    .tasks_max = UINT64_MAX,                    \
                    .cpu_quota_per_sec_usec = UINT64_MAX,       \
                    .runtime_max_usec = USEC_INFINITY,          \
                    .cpu_time_max_usec = USEC_INFINITY })

/* Resource limits for setrlimit(); RLIM_UNSET gives the documented default
 * (spawn.c; core dumps off). It is not RLIM64_INFINITY (UINT64_MAX), which
 * a key may ask for: LimitCORE=infinity means unlimited, not "unset". */
#define RLIM_UNSET (UINT64_MAX - 1)
/* The kernel's sysctl_nr_open_max on 64-bit hosts. */
#define RLIMIT_NOFILE_MAX UINT64_C(2147483584)
typedef struct RlimitSettings {
        uint64_t nofile;
        uint64_t core;     /* default 0: core dumps off */
        uint64_t nproc;
} RlimitSettings;

/* What one agent runs and under which sandbox. Agent types and RunAgent both
 * produce one. All strings owned. */
typedef struct AgentSpec {
        char **exec;                     /* argv, non-empty, exec[0] absolute */
        char *supervisor;                /* default "root" */
        RestartType restart;             /* types: permanent; RunAgent: temporary */
        char *policy;                    /* default "default" */
        PolicyMode policy_mode;          /* default enforce */
        char *user;                      /* NULL = the daemon's DefaultUser */
        char **environment;              /* KEY=VALUE */
        char *working_directory;         /* default "/" */
        ServiceType type;
        StandardOutput standard_output;  /* default journal; health checks' output follows it */
        usec_t timeout_start_usec;       /* default 10s; for notify agents; 0/infinity = USEC_INFINITY */
        Limits limits;
        usec_t watchdog_usec;            /* 0 = none */
        char **health_check;             /* argv or NULL */
        unsigned health_check_failures;  /* default 3 */
        usec_t health_check_interval_usec; /* 0 = the supervisor's */
        usec_t health_check_timeout_usec;  /* default 10s (HealthCheckTimeoutSec=) */
        RlimitSettings rlimits;          /* LimitNOFILE= LimitCORE= LimitNPROC= */
        mode_t umask;                    /* UMask=, default 0077 */
        int oom_score_adj;               /* OOMScoreAdjust=, default 0 */
        bool oom_score_adj_set;
        /* Isolation (SPEC): Sandbox= and the keys overriding its preset;
         * an agent type gets the daemon's DefaultSandbox= when it names
         * none, a RunAgent spec when it starts. */
        SandboxOptions sandbox;
        char **read_write_paths;         /* absolute, normalized; a leading '-': may be missing */
        char **read_only_paths;
        char **inaccessible_paths;
        char **bind_paths;               /* SRC[:DST] */
        char **bind_read_only_paths;
        char *state_directory;           /* NAME beneath [Daemon] StateDirectory=; NULL: none */
        char **allow_tcp_connect;        /* ports in decimal; NULL: TCP not restricted */
        char **allow_tcp_bind;
} AgentSpec;

/* Defaults as above, except that the strings stay NULL (init cannot fail);
 * agent_spec_fill_defaults() then sets supervisor, policy and
 * working_directory where they are still NULL. Agent types come filled. */
void agent_spec_init(AgentSpec *s);
int agent_spec_fill_defaults(AgentSpec *s);
void agent_spec_done(AgentSpec *s);      /* frees members */
int agent_spec_copy(const AgentSpec *src, AgentSpec *dst);

typedef struct AgentType {
        char *name;                      /* from the file name, NAME.agent */
        char *path;
        AgentSpec spec;
} AgentType;

AgentType *agent_type_free(AgentType *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(AgentType *, agent_type_free);

typedef struct SupervisorConfig {
        char *name;                      /* "root" for [Supervisor] */
        char *parent;                    /* NULL for root */
        RestartType restart;             /* nested only, default permanent */
        Strategy strategy;
        unsigned max_restarts;           /* default 3 */
        usec_t restart_window_usec;      /* default 5s */
        unsigned max_children;           /* default 100 */
        usec_t agent_timeout_usec;       /* default 30s */
        usec_t health_check_interval_usec; /* default 60s */
        usec_t restart_delay_usec;       /* default 0 */
        usec_t restart_max_delay_usec;   /* default 0 */
        OnEscalation on_escalation;      /* exit: root only; not inherited */
        Limits limits;                   /* TasksMax= MemoryMax= CPUQuota= of the whole group (the
                                          * root's: all agents together); not inherited (the
                                          * cgroup tree bounds nested groups); the time fields
                                          * stay USEC_INFINITY */
} SupervisorConfig;

typedef struct DaemonConfig {
        char *path;                      /* the file read (NULL = built-in defaults) */
        char *agents_directory;          /* absolute; default FILEDIR/agents.d, NULL = none */
        char **policy_path;              /* absolute directories, in order; default
                                          * FILEDIR/policies then POLICYDIR */
        char *log_directory;             /* default /var/log/agentvisor */
        char *runtime_directory;         /* RuntimeDirectory=, absolute; default /run/agentvisor */
        char *admin_group;               /* NULL = none (only root may mutate) */
        char *default_user;              /* default "dynamic" */
        char *control_group;             /* ControlGroup=, default "agentvisor" */
        uint64_t default_tasks_max;      /* DefaultTasksMax=, default 4096; UINT64_MAX = none */
        uint64_t default_memory_max;     /* DefaultMemoryMax= in bytes, default 50% of RAM */
        SandboxPreset default_sandbox;   /* DefaultSandbox=, default standard */
        /* DynamicUserRange= as written (default "61184-65519"): the daemon
         * parses it with dynamic_user_range_parse() at start, naming this
         * file and line (0: the built-in default) when it is wrong. */
        char *dynamic_user_range;
        unsigned dynamic_user_range_line;
        char *state_directory;           /* StateDirectory=, absolute, default /var/lib/agentvisor */
        SupervisorConfig *supervisors;   /* [0] is root; parents before children */
        size_t n_supervisors;
} DaemonConfig;

/* Reads agentvisor.conf. Unknown sections/keys, bad values, unknown or cyclic
 * Parent=, duplicate supervisors are errors. Nested supervisors inherit unset
 * keys from their parent. A backoff that makes MaxRestarts unreachable inside
 * RestartWindowSec is an error. path NULL: built-in defaults (a root
 * supervisor, no agents directory, an empty PolicyPath). */
int config_load(const char *path, DaemonConfig **ret, Diagnostic *diag);
/* Parses from memory; `filename` is used for diagnostics and relative paths. */
int config_parse_string(const char *text, const char *filename, DaemonConfig **ret, Diagnostic *diag);
DaemonConfig *daemon_config_free(DaemonConfig *c);
/* 1 when `user` has AdminGroup= as its primary or a supplementary group in
 * the user database, and so could drive the API: no agent may run as such a
 * user. 0 for root (allowed with User=root), an unknown user or group, or no
 * AdminGroup=. Reads the user database. */
int config_user_in_admin_group(const DaemonConfig *c, const char *user);
DEFINE_TRIVIAL_CLEANUP_FUNC(DaemonConfig *, daemon_config_free);
const SupervisorConfig *daemon_config_find_supervisor(const DaemonConfig *c, const char *name);
/* The daemon's DefaultTasksMax=/DefaultMemoryMax= into l: applied to an agent
 * type or RunAgent spec before its own keys, which may lower, raise or
 * (infinity) drop them. */
void daemon_config_default_limits(const DaemonConfig *c, Limits *l);
#define DEFAULT_TASKS_MAX 4096
#define DEFAULT_USER "dynamic"
#define DEFAULT_DYNAMIC_USER_RANGE "61184-65519"
#define DEFAULT_STATE_DIRECTORY "/var/lib/agentvisor"
#define DEFAULT_RUNTIME_DIRECTORY "/run/agentvisor"
#define DEFAULT_MEMORY_MAX_PERCENT 50

/* One agents.d file. Supervisor= must name one in `c` (if c != NULL). The
 * type's name is the file's basename without ".agent". */
int agent_type_load(const char *path, const DaemonConfig *c, AgentType **ret, Diagnostic *diag);
int agent_type_parse_string(const char *text, const char *filename, const DaemonConfig *c,
                            AgentType **ret, Diagnostic *diag);
/* Every *.agent in c->agents_directory, sorted by name, into a NULL-terminated
 * array (free each with agent_type_free(), then the array). A missing
 * directory, or none configured, is an empty set. The first bad file fails
 * the whole load. */
int agent_types_load_all(const DaemonConfig *c, AgentType ***ret, size_t *ret_n, Diagnostic *diag);
