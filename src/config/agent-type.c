/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agents.d/NAME.agent: one [Agent] section that becomes an AgentSpec. */
#include <ctype.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "env-util.h"
#include "fileio.h"
#include "ini.h"
#include "parse-util.h"
#include "strv.h"

#define AGENT_SUFFIX ".agent"

typedef struct AgentParser {
        const char *file;
        const DaemonConfig *config;
        AgentSpec *spec;
        bool have_exec;
        unsigned watchdog_line;
        unsigned user_line;
} AgentParser;

AgentType *agent_type_free(AgentType *t) {
        if (!t)
                return NULL;
        free(t->name);
        free(t->path);
        agent_spec_done(&t->spec);
        return mfree(t);
}

int agent_spec_fill_defaults(AgentSpec *s) {
        if (!s->supervisor && !(s->supervisor = strdup("root")))
                return -ENOMEM;
        if (!s->policy && !(s->policy = strdup("default")))
                return -ENOMEM;
        if (!s->working_directory && !(s->working_directory = strdup("/")))
                return -ENOMEM;
        return 0;
}

static int invalid(const AgentParser *p, unsigned line, const char *key, const char *value, int r,
                   const char *expected, Diagnostic *diag) {
        diag_set(diag, p->file, line, 0, key, "%s=%s is %s: expected %s", key, value,
                 r == -ERANGE ? "out of range" : "invalid", expected);
        return -EINVAL;
}

static int replace_string(char **field, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

/* A command line: split, non-empty, first word an absolute path. */
static int parse_command(const AgentParser *p, unsigned line, const char *key, const char *value, char ***field,
                         Diagnostic *diag) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        r = strv_split_quoted(value, &argv);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                diag_set(diag, p->file, line, 0, key, "%s= has an unbalanced quote or a trailing backslash", key);
                return -EINVAL;
        }
        if (!argv[0]) {
                diag_set(diag, p->file, line, 0, key, "%s= needs a command", key);
                return -EINVAL;
        }
        if (argv[0][0] != '/') {
                diag_set(diag, p->file, line, 0, key, "%s=: the program \"%s\" must be an absolute path", key,
                         argv[0]);
                return -EINVAL;
        }
        strv_free(*field);
        *field = TAKE_PTR(argv);
        return 0;
}

static int parse_environment(const AgentParser *p, unsigned line, const char *key, const char *value,
                             Diagnostic *diag) {
        _cleanup_strv_free_ char **items = NULL, **env = NULL;
        int r;

        /* An empty assignment forgets earlier ones, as in systemd. */
        if (*value == '\0') {
                p->spec->environment = strv_free(p->spec->environment);
                return 0;
        }

        r = strv_split_quoted(value, &items);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                diag_set(diag, p->file, line, 0, key, "Environment= has an unbalanced quote or a trailing backslash");
                return -EINVAL;
        }

        env = strv_copy(p->spec->environment);
        if (!env)
                return -ENOMEM;
        STRV_FOREACH(i, items) {
                const char *eq = strchr(*i, '=');

                if (!eq || !env_name_is_valid(*i, (size_t) (eq - *i))) {
                        diag_set(diag, p->file, line, 0, key,
                                 "Environment=: \"%s\" is not a KEY=VALUE assignment with a valid variable name", *i);
                        return -EINVAL;
                }
                /* A type may set PATH or LD_LIBRARY_PATH (root wrote it), but
                 * not what the daemon sets for each agent: it would be
                 * overridden, or worse, read as the daemon's. */
                if (env_name_is_daemons(*i, (size_t) (eq - *i))) {
                        diag_set(diag, p->file, line, 0, key,
                                 "Environment=: %.*s is set by agentvisord for each agent and cannot be given here",
                                 (int) (eq - *i), *i);
                        return -EINVAL;
                }
                r = strv_env_set(&env, *i);
                if (r < 0)
                        return r;
        }

        strv_free(p->spec->environment);
        p->spec->environment = TAKE_PTR(env);
        return 0;
}

/* 0 and "infinity" both mean no limit for these keys. */
static int parse_time_limit(const AgentParser *p, unsigned line, const char *key, const char *value,
                            usec_t *field, Diagnostic *diag) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r == 0 && t != USEC_INFINITY && t > LIMIT_TIME_MAX_USEC)
                r = -ERANGE;
        if (r < 0)
                return invalid(p, line, key, value, r,
                               "a time span such as 30, 500ms, 1min 30s (at most 292,000 years), 0 or infinity", diag);
        *field = t == 0 ? USEC_INFINITY : t;
        return 0;
}

static int parse_rlimit(const AgentParser *p, unsigned line, const char *key, const char *value,
                        uint64_t *field, Diagnostic *diag) {
        uint64_t v;
        int r;

        r = parse_size(value, &v);
        if (r < 0)
                return invalid(p, line, key, value, r, "a number, a number with K/M/G, or infinity", diag);
        /* The kernel caps open files at fs.nr_open (at most 2^31-64 on any
         * host); infinity there would fail every start of the agent. */
        if (strcmp(key, "LimitNOFILE") == 0 && v > RLIMIT_NOFILE_MAX)
                return invalid(p, line, key, value, -ERANGE,
                               "a number of files no larger than the kernel's fs.nr_open (at most 2147483584)", diag);
        if (v == RLIM_UNSET)
                return invalid(p, line, key, value, -ERANGE, "a number below 2^64-2, or infinity", diag);
        *field = v;
        return 0;
}

static int parse_agent_key(AgentParser *p, unsigned line, const char *key, const char *value, Diagnostic *diag) {
        AgentSpec *s = p->spec;
        uint64_t u64;
        unsigned u;
        usec_t t;
        int r, i;

        if (strcmp(key, "Exec") == 0) {
                r = parse_command(p, line, key, value, &s->exec, diag);
                if (r == 0)
                        p->have_exec = true;
                return r;
        }
        if (strcmp(key, "Supervisor") == 0) {
                if (!name_is_valid(value))
                        return invalid(p, line, key, value, -EINVAL, "a supervisor name", diag);
                if (p->config && !daemon_config_find_supervisor(p->config, value)) {
                        diag_set(diag, p->file, line, 0, key,
                                 "Supervisor=%s: no such supervisor in the daemon configuration", value);
                        return -EINVAL;
                }
                return replace_string(&s->supervisor, value);
        }
        if (strcmp(key, "Restart") == 0) {
                RestartType rt = restart_type_from_string(value);

                if (rt < 0)
                        return invalid(p, line, key, value, -EINVAL, "permanent, transient or temporary", diag);
                s->restart = rt;
                return 0;
        }
        if (strcmp(key, "Policy") == 0) {
                if (!name_is_valid(value))
                        return invalid(p, line, key, value, -EINVAL, "a policy name", diag);
                return replace_string(&s->policy, value);
        }
        if (strcmp(key, "User") == 0) {
                if (*value == '\0') {
                        s->user = mfree(s->user);
                        return 0;
                }
                if (!user_name_is_valid(value))
                        return invalid(p, line, key, value, -EINVAL, "a user name or numeric uid", diag);
                p->user_line = line;
                return replace_string(&s->user, value);
        }
        if (strcmp(key, "Environment") == 0)
                return parse_environment(p, line, key, value, diag);
        if (strcmp(key, "WorkingDirectory") == 0) {
                if (value[0] != '/')
                        return invalid(p, line, key, value, -EINVAL, "an absolute path", diag);
                return replace_string(&s->working_directory, value);
        }
        if (strcmp(key, "Type") == 0) {
                ServiceType st = service_type_from_string(value);

                if (st < 0)
                        return invalid(p, line, key, value, -EINVAL, "simple or notify", diag);
                s->type = st;
                return 0;
        }
        if (strcmp(key, "TimeoutStartSec") == 0)
                return parse_time_limit(p, line, key, value, &s->timeout_start_usec, diag);
        if (strcmp(key, "RuntimeMaxSec") == 0)
                return parse_time_limit(p, line, key, value, &s->limits.runtime_max_usec, diag);
        if (strcmp(key, "CPUTimeMaxSec") == 0)
                return parse_time_limit(p, line, key, value, &s->limits.cpu_time_max_usec, diag);
        if (strcmp(key, "MemoryMax") == 0) {
                r = parse_size(value, &u64);
                if (r == 0 && u64 == 0)
                        r = -ERANGE;
                if (r < 0)
                        return invalid(p, line, key, value, r, "a size above zero such as 512M, or infinity", diag);
                s->limits.memory_max = u64;
                return 0;
        }
        if (strcmp(key, "TasksMax") == 0) {
                if (strcmp(value, "infinity") == 0)
                        u64 = UINT64_MAX;
                else {
                        r = parse_uint64(value, &u64);
                        if (r == 0 && (u64 == 0 || u64 > LIMIT_TASKS_MAX))
                                r = -ERANGE;
                        if (r < 0)
                                return invalid(p, line, key, value, r,
                                               "a number of tasks from 1 to 4194304 (the kernel's most) or infinity",
                                               diag);
                }
                s->limits.tasks_max = u64;
                return 0;
        }
        if (strcmp(key, "CPUQuota") == 0) {
                if (*value == '\0' || strcmp(value, "infinity") == 0) {
                        s->limits.cpu_quota_per_sec_usec = UINT64_MAX;
                        return 0;
                }
                r = parse_percent(value, &u);
                if (r < 0)
                        return invalid(p, line, key, value, r, "a percentage from 1% to 10000% such as 50%", diag);
                /* 100% is one CPU: a full second of CPU time per second. */
                s->limits.cpu_quota_per_sec_usec = (uint64_t) u * (USEC_PER_SEC / 100);
                return 0;
        }
        if (strcmp(key, "WatchdogSec") == 0) {
                r = parse_time_usec(value, &t);
                if (r == 0 && t == USEC_INFINITY)
                        t = 0;
                if (r == 0 && t > LIMIT_TIME_MAX_USEC)
                        r = -ERANGE;
                if (r < 0)
                        return invalid(p, line, key, value, r, "a time span such as 10s, or 0 for none", diag);
                s->watchdog_usec = t;
                p->watchdog_line = line;
                return 0;
        }
        if (strcmp(key, "HealthCheck") == 0) {
                if (*value == '\0') {
                        s->health_check = strv_free(s->health_check);
                        return 0;
                }
                return parse_command(p, line, key, value, &s->health_check, diag);
        }
        if (strcmp(key, "HealthCheckFailures") == 0) {
                r = parse_uint(value, &u);
                if (r == 0 && u == 0)
                        r = -ERANGE;
                if (r < 0)
                        return invalid(p, line, key, value, r, "a count of 1 or more", diag);
                s->health_check_failures = u;
                return 0;
        }
        if (strcmp(key, "HealthCheckIntervalSec") == 0) {
                r = parse_time_usec(value, &t);
                if (r < 0)
                        return invalid(p, line, key, value, r, "a time span such as 30s, or 0 for the supervisor's",
                                       diag);
                s->health_check_interval_usec = t;
                return 0;
        }
        if (strcmp(key, "HealthCheckTimeoutSec") == 0) {
                r = parse_time_usec(value, &t);
                if (r == 0 && (t == 0 || t == USEC_INFINITY))
                        r = -ERANGE;
                if (r < 0)
                        return invalid(p, line, key, value, r, "a finite time span above zero such as 10s", diag);
                s->health_check_timeout_usec = t;
                return 0;
        }
        if (strcmp(key, "LimitNOFILE") == 0)
                return parse_rlimit(p, line, key, value, &s->rlimits.nofile, diag);
        if (strcmp(key, "LimitCORE") == 0)
                return parse_rlimit(p, line, key, value, &s->rlimits.core, diag);
        if (strcmp(key, "LimitNPROC") == 0)
                return parse_rlimit(p, line, key, value, &s->rlimits.nproc, diag);
        if (strcmp(key, "UMask") == 0) {
                char *end;
                unsigned long m;

                errno = 0;
                m = strtoul(value, &end, 8);
                if (value[0] < '0' || value[0] > '7' || *end != '\0' || errno != 0 || m > 0777)
                        return invalid(p, line, key, value, m > 0777 ? -ERANGE : -EINVAL,
                                       "an octal mode from 0000 to 0777 such as 0077", diag);
                s->umask = (mode_t) m;
                return 0;
        }
        if (strcmp(key, "OOMScoreAdjust") == 0) {
                r = parse_int(value, &i);
                if (r == 0 && (i < -1000 || i > 1000))
                        r = -ERANGE;
                if (r < 0)
                        return invalid(p, line, key, value, r, "an integer from -1000 to 1000", diag);
                s->oom_score_adj = i;
                s->oom_score_adj_set = true;
                return 0;
        }

        diag_set(diag, p->file, line, 0, key, "unknown key %s= in [Agent]", key);
        return -EINVAL;
}

static int on_section(const char *file, unsigned line, const char *section, const char *arg, void *userdata,
                      Diagnostic *diag) {
        if (strcmp(section, "Agent") != 0 || arg) {
                diag_set(diag, file, line, 0, section, "unknown section [%s%s%s]: agent types have one [Agent] section",
                         section, arg ? " " : "", arg ?: "");
                return -EINVAL;
        }
        return 0;
}

static int on_key(const char *file, unsigned line, const char *section, const char *arg, const char *key,
                  const char *value, void *userdata, Diagnostic *diag) {
        return parse_agent_key(userdata, line, key, value, diag);
}

/* NAME from ".../NAME.agent". */
static int type_name_from_path(const char *path, char **ret) {
        const char *base = strrchr(path, '/');
        size_t n;

        base = base ? base + 1 : path;
        n = strlen(base);
        if (n <= strlen(AGENT_SUFFIX) || strcmp(base + n - strlen(AGENT_SUFFIX), AGENT_SUFFIX) != 0)
                return -EINVAL;
        *ret = strndup(base, n - strlen(AGENT_SUFFIX));
        return *ret ? 0 : -ENOMEM;
}

int agent_type_parse_string(const char *text, const char *filename, const DaemonConfig *c, AgentType **ret,
                            Diagnostic *diag) {
        _cleanup_(agent_type_freep) AgentType *t = NULL;
        AgentParser p;
        int r;

        t = calloc(1, sizeof(AgentType));
        if (!t)
                return -ENOMEM;
        agent_spec_init(&t->spec);
        daemon_config_default_limits(c, &t->spec.limits);

        if (!filename) {
                diag_set(diag, "<string>", 0, 0, "", "an agent type needs a file name NAME.agent");
                return -EINVAL;
        }
        t->path = strdup(filename);
        if (!t->path)
                return -ENOMEM;
        r = type_name_from_path(filename, &t->name);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !name_is_valid(t->name)) {
                diag_set(diag, filename, 0, 0, "",
                         "the file name must be NAME.agent with NAME matching [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
                return -EINVAL;
        }

        p = (AgentParser) {
                .file = filename,
                .config = c,
                .spec = &t->spec,
        };
        r = ini_parse_string(text, filename, on_section, on_key, &p, diag);
        if (r < 0)
                return r;

        if (!p.have_exec) {
                diag_set(diag, filename, 0, 0, "Exec", "agent type %s has no Exec= in its [Agent] section",
                         t->name);
                return -EINVAL;
        }
        if (t->spec.watchdog_usec > 0 && t->spec.type != SERVICE_NOTIFY) {
                diag_set(diag, filename, p.watchdog_line, 0, "WatchdogSec",
                         "WatchdogSec= needs Type=notify: only notify agents can send WATCHDOG=1");
                return -EINVAL;
        }
        if (c && config_user_in_admin_group(c, t->spec.user ?: c->default_user) > 0) {
                diag_set(diag, filename, t->spec.user ? p.user_line : 0, 0, "User",
                         "agent type %s would run as %s, a member of AdminGroup=%s, which may drive agentvisord's "
                         "API: choose another User=", t->name, t->spec.user ?: c->default_user, c->admin_group);
                return -EINVAL;
        }
        r = agent_spec_fill_defaults(&t->spec);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(t);
        return 0;
}

int agent_type_load(const char *path, const DaemonConfig *c, AgentType **ret, Diagnostic *diag) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0) {
                diag_set(diag, path, 0, 0, "", "cannot read agent type: %s", strerror(-r));
                return r;
        }
        return agent_type_parse_string(text, path, c, ret, diag);
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static void agent_types_free(AgentType **types, size_t n) {
        for (size_t i = 0; i < n; i++)
                agent_type_free(types[i]);
        free(types);
}

int agent_types_load_all(const DaemonConfig *c, AgentType ***ret, size_t *ret_n, Diagnostic *diag) {
        _cleanup_strv_free_ char **names = NULL;
        AgentType **types;
        DIR *d;
        size_t n;
        int r;

        d = c->agents_directory ? opendir(c->agents_directory) : NULL;
        if (!d && c->agents_directory && errno != ENOENT) {
                r = -errno;
                diag_set(diag, c->agents_directory, 0, 0, "", "cannot open agents directory: %s", strerror(-r));
                return r;
        }

        names = calloc(1, sizeof(char *));
        if (!names) {
                if (d)
                        closedir(d);
                return -ENOMEM;
        }
        for (struct dirent *de; d && (errno = 0, de = readdir(d));) {
                size_t len = strlen(de->d_name);
                struct stat st;

                if (de->d_name[0] == '.' || len <= strlen(AGENT_SUFFIX) ||
                    strcmp(de->d_name + len - strlen(AGENT_SUFFIX), AGENT_SUFFIX) != 0)
                        continue;
                /* Follow symlinks, as systemd does for unit files, but skip directories. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        if (d) {
                r = errno != 0 ? -errno : 0;
                closedir(d);
                if (r < 0) {
                        diag_set(diag, c->agents_directory, 0, 0, "", "cannot read agents directory: %s",
                                 strerror(-r));
                        return r;
                }
        }

        n = strv_length(names);
        qsort(names, n, sizeof(char *), compare_strings);

        types = calloc(n + 1, sizeof(AgentType *));
        if (!types)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s/%s", c->agents_directory, names[i]) < 0) {
                        agent_types_free(types, i);
                        return -ENOMEM;
                }
                r = agent_type_load(path, c, &types[i], diag);
                if (r < 0) {
                        agent_types_free(types, i);
                        return r;
                }
        }

        *ret = types;
        *ret_n = n;
        return 0;
}
