/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor.conf's [Daemon] section, and the resource-limit keys it shares
 * with [Supervisor]. */
#include <stddef.h>
#include <string.h>

#include "config-internal.h"
#include "parse-util.h"
#include "path-util.h"
#include "strv.h"
#include "time-util.h"

static int set_path(ConfigParser *p, char **field, const char *value) {
        char *v = path_make_absolute(value, p->base_dir);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

static int parse_policy_path(ConfigParser *p, const char *value) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = NULL;
        char *state = NULL;

        copy = strdup(value);
        l = calloc(1, sizeof(char *));
        if (!copy || !l)
                return -ENOMEM;
        for (char *e = strtok_r(copy, ":", &state); e; e = strtok_r(NULL, ":", &state)) {
                char *v = path_make_absolute(e, p->base_dir);
                int r;

                if (!v)
                        return -ENOMEM;
                r = strv_push(&l, v);
                if (r < 0) {
                        free(v);
                        return r;
                }
        }
        strv_free(p->config->policy_path);
        p->config->policy_path = TAKE_PTR(l);
        p->policy_path_set = true;
        return 0;
}

int config_set_string(char **field, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

int config_bad_value(const ConfigParser *p, unsigned line, const char *key, const char *value, int r,
                     const char *expected, Diagnostic *diag) {
        diag_set(diag, p->file, line, 0, key, "%s=%s is %s: expected %s", key, value,
                 r == -ERANGE ? "out of range" : "invalid", expected);
        return -EINVAL;
}

/* Resource limits: the daemon's defaults for agents, and a supervisor's for
 * its whole group. Each is a uint64_t, UINT64_MAX ("infinity") for none. */
typedef enum LimitKind {
        LIMIT_TASKS,
        LIMIT_MEMORY,
        LIMIT_CPU_QUOTA,
} LimitKind;

typedef struct LimitKey {
        const char *key;
        LimitKind kind;
        bool daemon;                    /* offset into DaemonConfig, else into SupervisorConfig */
        size_t offset;
} LimitKey;

static const LimitKey limit_keys[] = {
        { "DefaultTasksMax", LIMIT_TASKS, true, offsetof(DaemonConfig, default_tasks_max) },
        { "DefaultMemoryMax", LIMIT_MEMORY, true, offsetof(DaemonConfig, default_memory_max) },
        { "TasksMax", LIMIT_TASKS, false, offsetof(SupervisorConfig, limits.tasks_max) },
        { "MemoryMax", LIMIT_MEMORY, false, offsetof(SupervisorConfig, limits.memory_max) },
        { "CPUQuota", LIMIT_CPU_QUOTA, false, offsetof(SupervisorConfig, limits.cpu_quota_per_sec_usec) },
};

static const LimitKey *find_limit_key(const char *key, bool daemon) {
        for (size_t i = 0; i < ELEMENTSOF(limit_keys); i++)
                if (limit_keys[i].daemon == daemon && strcmp(limit_keys[i].key, key) == 0)
                        return &limit_keys[i];
        return NULL;
}

static int parse_limit(const ConfigParser *p, unsigned line, const LimitKey *k, const char *value, void *base,
                       Diagnostic *diag) {
        static const char *const expected[] = {
                [LIMIT_TASKS] = "a number of tasks (1 or more) or infinity",
                [LIMIT_MEMORY] = ("a size of 4M or more such as 512M, a share of physical memory from 1% to "
                                  "100% (4M or more), or infinity"),
                [LIMIT_CPU_QUOTA] = "a percentage from 1% to 10000% such as 50% (100% is one CPU), or infinity",
        };
        uint64_t v = 0;
        unsigned pct;
        int r = 0;

        if (strcmp(value, "infinity") == 0)
                v = UINT64_MAX;
        else if (k->kind == LIMIT_TASKS) {
                r = parse_uint64(value, &v);
                if (r == 0 && (v == 0 || v == UINT64_MAX))
                        r = -ERANGE;
        } else if (k->kind == LIMIT_MEMORY && value[0] && value[strlen(value) - 1] == '%') {
                r = parse_percent(value, &pct);
                if (r == 0 && pct > 100)
                        r = -ERANGE;
                if (r == 0) {
                        v = u64_muldiv_sat(config_physical_memory(), pct, 100);
                        if (v < LIMIT_MEMORY_MIN || v == UINT64_MAX)
                                r = -ERANGE;         /* RAM unknown, or too little */
                }
        } else if (k->kind == LIMIT_MEMORY) {
                r = parse_size(value, &v);
                if (r == 0 && v < LIMIT_MEMORY_MIN)
                        r = -ERANGE;
        } else {
                r = parse_percent(value, &pct);
                v = (uint64_t) pct * (USEC_PER_SEC / 100);
        }
        if (r < 0)
                return config_bad_value(p, line, k->key, value, r, expected[k->kind], diag);
        *(uint64_t *) ((uint8_t *) base + k->offset) = v;
        return 0;
}

int config_parse_limit(const ConfigParser *p, unsigned line, const char *key, const char *value, bool daemon,
                       void *base, Diagnostic *diag) {
        const LimitKey *k = find_limit_key(key, daemon);

        return k ? parse_limit(p, line, k, value, base, diag) : -ENOENT;
}

/* The keys of the SPEC's Isolation section; -ENOENT for any other. */
static int parse_isolation_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                               Diagnostic *diag) {
        DaemonConfig *c = p->config;

        if (strcmp(key, "DefaultSandbox") == 0) {
                SandboxPreset sp = sandbox_preset_from_string(value);

                if (sp < 0)
                        return config_bad_value(p, line, key, value, -EINVAL, "none, standard or strict", diag);
                c->default_sandbox = sp;
                return 0;
        }
        if (strcmp(key, "DynamicUserRange") == 0) {
                /* Checked by the daemon (dynamic_user_range_parse()), which
                 * names this line. */
                c->dynamic_user_range_line = line;
                return config_set_string(&c->dynamic_user_range, value);
        }
        if (strcmp(key, "StateDirectory") == 0) {
                if (value[0] != '/')
                        return config_bad_value(p, line, key, value, -EINVAL, "an absolute path", diag);
                return config_set_string(&c->state_directory, value);
        }
        return -ENOENT;
}

int config_parse_daemon_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                            Diagnostic *diag) {
        DaemonConfig *c = p->config;
        int r;

        r = config_parse_limit(p, line, key, value, true, c, diag);
        if (r != -ENOENT)
                return r;
        r = parse_isolation_key(p, line, key, value, diag);
        if (r != -ENOENT)
                return r;

        if (strcmp(key, "AgentsDirectory") == 0) {
                if (*value == '\0') {
                        c->agents_directory = mfree(c->agents_directory);
                        p->agents_directory_set = true;
                        return 0;
                }
                p->agents_directory_set = true;
                return set_path(p, &c->agents_directory, value);
        }
        if (strcmp(key, "PolicyPath") == 0)
                return parse_policy_path(p, value);
        if (strcmp(key, "LogDirectory") == 0) {
                if (*value == '\0') {
                        diag_set(diag, p->file, line, 0, key, "LogDirectory= needs a directory");
                        return -EINVAL;
                }
                return set_path(p, &c->log_directory, value);
        }
        if (strcmp(key, "RuntimeDirectory") == 0) {
                /* Holds the notify socket every agent is told of and the
                 * instance lock: never relative to wherever the file is. */
                if (value[0] != '/') {
                        diag_set(diag, p->file, line, 0, key, "RuntimeDirectory=%s is not an absolute path", value);
                        return -EINVAL;
                }
                return set_path(p, &c->runtime_directory, value);
        }
        if (strcmp(key, "AdminGroup") == 0) {
                if (*value == '\0') {
                        c->admin_group = mfree(c->admin_group);
                        return 0;
                }
                if (!user_name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key, "AdminGroup=%s is not a valid group name", value);
                        return -EINVAL;
                }
                p->admin_group_line = line;
                return config_set_string(&c->admin_group, value);
        }
        if (strcmp(key, "DefaultUser") == 0) {
                if (!user_name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key, "DefaultUser=%s is not a valid user name", value);
                        return -EINVAL;
                }
                p->default_user_line = line;
                return config_set_string(&c->default_user, value);
        }
        if (strcmp(key, "ControlGroup") == 0) {
                if (!name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key,
                                 "ControlGroup=%s is not a valid name ([A-Za-z0-9][A-Za-z0-9_.@-]{0,63})", value);
                        return -EINVAL;
                }
                return config_set_string(&c->control_group, value);
        }

        diag_set(diag, p->file, line, 0, key, "unknown key %s= in [Daemon]", key);
        return -EINVAL;
}

int config_apply_path_defaults(ConfigParser *p) {
        DaemonConfig *c = p->config;

        if (!p->agents_directory_set) {
                c->agents_directory = path_make_absolute("agents.d", p->base_dir);
                if (!c->agents_directory)
                        return -ENOMEM;
        }
        if (!p->policy_path_set) {
                char *beside = path_make_absolute("policies", p->base_dir);

                if (!beside || strv_push(&c->policy_path, beside) < 0) {
                        free(beside);
                        return -ENOMEM;
                }
                if (strv_extend(&c->policy_path, POLICYDIR) < 0)
                        return -ENOMEM;
        }
        return 0;
}

