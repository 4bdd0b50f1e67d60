/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor.conf: [Daemon] settings and the supervisor tree, validated. */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "ini.h"
#include "parse-util.h"
#include "path-util.h"
#include "strv.h"
#include "time-util.h"

/* Supervisor keys a nested supervisor inherits from its parent when unset. */
typedef enum InheritedField {
        FIELD_STRATEGY,
        FIELD_MAX_RESTARTS,
        FIELD_RESTART_WINDOW,
        FIELD_MAX_CHILDREN,
        FIELD_AGENT_TIMEOUT,
        FIELD_HEALTH_CHECK_INTERVAL,
        FIELD_RESTART_DELAY,
        FIELD_RESTART_MAX_DELAY,
        _FIELD_MAX,
} InheritedField;

typedef struct SupervisorDraft {
        SupervisorConfig config;
        unsigned set;                   /* bit per InheritedField */
        unsigned line;                  /* of the section header, 0 = implicit root */
        unsigned parent_line;
} SupervisorDraft;

typedef struct ConfigParser {
        const char *file;
        char *base_dir;                 /* absolute: where relative paths start */
        DaemonConfig *config;
        SupervisorDraft *drafts;
        size_t n_drafts;
        SupervisorDraft *current;       /* NULL in [Daemon] */
        bool agents_directory_set;
        bool policy_path_set;
        unsigned admin_group_line;
        unsigned default_user_line;
} ConfigParser;

static void supervisor_config_defaults(SupervisorConfig *s) {
        *s = (SupervisorConfig) {
                .restart = RESTART_PERMANENT,
                .strategy = STRATEGY_ONE_FOR_ONE,
                .max_restarts = 3,
                .restart_window_usec = 5 * USEC_PER_SEC,
                .max_children = 100,
                .agent_timeout_usec = 30 * USEC_PER_SEC,
                .health_check_interval_usec = 60 * USEC_PER_SEC,
                .restart_delay_usec = 0,
                .restart_max_delay_usec = 0,
                .on_escalation = ON_ESCALATION_STOP,
                .limits = LIMITS_NONE,
        };
}

static void supervisor_config_done(SupervisorConfig *s) {
        s->name = mfree(s->name);
        s->parent = mfree(s->parent);
}

DaemonConfig *daemon_config_free(DaemonConfig *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->agents_directory);
        strv_free(c->policy_path);
        free(c->log_directory);
        free(c->admin_group);
        free(c->default_user);
        free(c->control_group);
        for (size_t i = 0; i < c->n_supervisors; i++)
                supervisor_config_done(&c->supervisors[i]);
        free(c->supervisors);
        return mfree(c);
}

const SupervisorConfig *daemon_config_find_supervisor(const DaemonConfig *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_supervisors; i++)
                if (strcmp(c->supervisors[i].name, name) == 0)
                        return &c->supervisors[i];
        return NULL;
}

/* Physical memory in bytes; 0 when the system cannot tell. */
static uint64_t physical_memory(void) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

        if (pages <= 0 || size <= 0)
                return 0;
        return u64_mul_sat((uint64_t) pages, (uint64_t) size);
}

void daemon_config_default_limits(const DaemonConfig *c, Limits *l) {
        if (!c)
                return;
        l->tasks_max = c->default_tasks_max;
        l->memory_max = c->default_memory_max;
}

/* The config with everything but paths set to its defaults. */
static DaemonConfig *daemon_config_new(void) {
        DaemonConfig *c;

        c = calloc(1, sizeof(DaemonConfig));
        if (!c)
                return NULL;
        c->log_directory = strdup("/var/log/agentvisor");
        c->default_user = strdup("nobody");
        c->control_group = strdup("agentvisor");
        /* Safe defaults: a fork bomb or a leak in one agent cannot take the
         * host. Where RAM is unknown there is no default memory limit. */
        c->default_tasks_max = DEFAULT_TASKS_MAX;
        c->default_memory_max = physical_memory() > 0
                                        ? u64_muldiv_sat(physical_memory(), DEFAULT_MEMORY_MAX_PERCENT, 100)
                                        : UINT64_MAX;
        if (!c->log_directory || !c->default_user || !c->control_group)
                return daemon_config_free(c);
        return c;
}

/* The absolute directory of `file`, or the working directory when it has none. */
static int base_directory(const char *file, char **ret) {
        _cleanup_free_ char *cwd = NULL, *dir = NULL;
        const char *slash = file ? strrchr(file, '/') : NULL;

        if (slash == file && slash) {
                dir = strdup("/");
                if (!dir)
                        return -ENOMEM;
                *ret = TAKE_PTR(dir);
                return 0;
        }
        if (slash && file[0] == '/') {
                dir = strndup(file, (size_t) (slash - file));
                if (!dir)
                        return -ENOMEM;
                *ret = TAKE_PTR(dir);
                return 0;
        }

        cwd = getcwd(NULL, 0);
        if (!cwd)
                return -errno;
        if (!slash) {
                *ret = TAKE_PTR(cwd);
                return 0;
        }
        if (asprintf(&dir, "%s/%.*s", cwd, (int) (slash - file), file) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(dir);
        return 0;
}

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

static int set_string(char **field, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

static int bad_value(const ConfigParser *p, unsigned line, const char *key, const char *value, int r,
                     const char *expected, Diagnostic *diag);

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
                [LIMIT_MEMORY] = ("a size above zero such as 512M, a share of physical memory from 1% to 100%, "
                                  "or infinity"),
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
                        v = u64_muldiv_sat(physical_memory(), pct, 100);
                        if (v == 0 || v == UINT64_MAX)
                                r = -ERANGE;         /* RAM unknown */
                }
        } else if (k->kind == LIMIT_MEMORY) {
                r = parse_size(value, &v);
                if (r == 0 && v == 0)
                        r = -ERANGE;
        } else {
                r = parse_percent(value, &pct);
                v = (uint64_t) pct * (USEC_PER_SEC / 100);
        }
        if (r < 0)
                return bad_value(p, line, k->key, value, r, expected[k->kind], diag);
        *(uint64_t *) ((uint8_t *) base + k->offset) = v;
        return 0;
}

static int parse_daemon_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                            Diagnostic *diag) {
        DaemonConfig *c = p->config;
        const LimitKey *lk;

        if ((lk = find_limit_key(key, true)))
                return parse_limit(p, line, lk, value, c, diag);

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
                return set_string(&c->admin_group, value);
        }
        if (strcmp(key, "DefaultUser") == 0) {
                if (!user_name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key, "DefaultUser=%s is not a valid user name", value);
                        return -EINVAL;
                }
                p->default_user_line = line;
                return set_string(&c->default_user, value);
        }
        if (strcmp(key, "ControlGroup") == 0) {
                if (!name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key,
                                 "ControlGroup=%s is not a valid name ([A-Za-z0-9][A-Za-z0-9_.@-]{0,63})", value);
                        return -EINVAL;
                }
                return set_string(&c->control_group, value);
        }

        diag_set(diag, p->file, line, 0, key, "unknown key %s= in [Daemon]", key);
        return -EINVAL;
}

static int bad_value(const ConfigParser *p, unsigned line, const char *key, const char *value, int r,
                     const char *expected, Diagnostic *diag) {
        diag_set(diag, p->file, line, 0, key, "%s=%s is %s: expected %s", key, value,
                 r == -ERANGE ? "out of range" : "invalid", expected);
        return -EINVAL;
}

/* The supervisor's time keys: which values each accepts, and where it goes. */
typedef struct TimeKey {
        const char *key;
        size_t offset;
        bool allow_zero;
        bool allow_infinity;
        InheritedField field;
} TimeKey;

static const TimeKey time_keys[] = {
        { "RestartWindowSec", offsetof(SupervisorConfig, restart_window_usec), false, true, FIELD_RESTART_WINDOW },
        { "AgentTimeoutSec", offsetof(SupervisorConfig, agent_timeout_usec), false, true, FIELD_AGENT_TIMEOUT },
        { "HealthCheckIntervalSec", offsetof(SupervisorConfig, health_check_interval_usec), true, true,
          FIELD_HEALTH_CHECK_INTERVAL },
        { "RestartDelaySec", offsetof(SupervisorConfig, restart_delay_usec), true, false, FIELD_RESTART_DELAY },
        { "RestartMaxDelaySec", offsetof(SupervisorConfig, restart_max_delay_usec), true, false,
          FIELD_RESTART_MAX_DELAY },
};

static const TimeKey *find_time_key(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(time_keys); i++)
                if (strcmp(time_keys[i].key, key) == 0)
                        return &time_keys[i];
        return NULL;
}

static int parse_supervisor_time(ConfigParser *p, unsigned line, const char *key, const char *value,
                                 bool allow_zero, bool allow_infinity, usec_t *field, Diagnostic *diag) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r == 0 && t == 0 && !allow_zero)
                r = -ERANGE;
        if (r == 0 && t == USEC_INFINITY && !allow_infinity)
                r = -ERANGE;
        if (r < 0)
                return bad_value(p, line, key, value, r,
                                 allow_zero ? "a time span such as 5, 500ms or 1min 30s"
                                            : "a time span above zero such as 5, 500ms or 1min 30s",
                                 diag);
        *field = t;
        return 0;
}

static int parse_supervisor_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                                Diagnostic *diag) {
        SupervisorDraft *d = p->current;
        SupervisorConfig *s = &d->config;
        bool is_root = strcmp(s->name, "root") == 0;
        const TimeKey *tk;
        const LimitKey *lk;
        InheritedField field;
        int r;

        /* Not inherited: a nested group is bounded by its parent's anyway. */
        if ((lk = find_limit_key(key, false)))
                return parse_limit(p, line, lk, value, s, diag);
        if (strcmp(key, "Parent") == 0) {
                if (is_root) {
                        diag_set(diag, p->file, line, 0, key, "the root supervisor has no Parent=");
                        return -EINVAL;
                }
                if (!name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key, "Parent=%s is not a valid supervisor name", value);
                        return -EINVAL;
                }
                d->parent_line = line;
                return set_string(&s->parent, value);
        }
        if (strcmp(key, "Restart") == 0) {
                RestartType t;

                if (is_root) {
                        diag_set(diag, p->file, line, 0, key,
                                 "Restart= applies to nested supervisors only, not to root");
                        return -EINVAL;
                }
                t = restart_type_from_string(value);
                if (t < 0)
                        return bad_value(p, line, key, value, -EINVAL, "permanent, transient or temporary", diag);
                s->restart = t;
                return 0;
        }
        if (strcmp(key, "OnEscalation") == 0) {
                OnEscalation e;

                if (!is_root) {
                        diag_set(diag, p->file, line, 0, key,
                                 "OnEscalation= is read on the root supervisor only, not on [Supervisor %s]",
                                 s->name);
                        return -EINVAL;
                }
                e = on_escalation_from_string(value);
                if (e < 0)
                        return bad_value(p, line, key, value, -EINVAL, "stop or exit", diag);
                s->on_escalation = e;
                return 0;
        }

        if (strcmp(key, "Strategy") == 0) {
                Strategy st = strategy_from_string(value);

                if (st < 0)
                        return bad_value(p, line, key, value, -EINVAL, "one-for-one, one-for-all or rest-for-one",
                                         diag);
                s->strategy = st;
                field = FIELD_STRATEGY;
        } else if (strcmp(key, "MaxRestarts") == 0) {
                r = parse_uint(value, &s->max_restarts);
                if (r < 0)
                        return bad_value(p, line, key, value, r, "a number of restarts (0 or more)", diag);
                field = FIELD_MAX_RESTARTS;
        } else if ((tk = find_time_key(key))) {
                r = parse_supervisor_time(p, line, key, value, tk->allow_zero, tk->allow_infinity,
                                          (usec_t *) ((uint8_t *) s + tk->offset), diag);
                if (r < 0)
                        return r;
                field = tk->field;
        } else if (strcmp(key, "MaxChildren") == 0) {
                unsigned n;

                r = parse_uint(value, &n);
                if (r == 0 && n == 0)
                        r = -ERANGE;
                if (r < 0)
                        return bad_value(p, line, key, value, r, "a number of agents (1 or more)", diag);
                s->max_children = n;
                field = FIELD_MAX_CHILDREN;
        } else {
                diag_set(diag, p->file, line, 0, key, "unknown key %s= in [Supervisor%s%s]", key,
                         is_root ? "" : " ", is_root ? "" : s->name);
                return -EINVAL;
        }

        d->set |= 1U << field;
        return 0;
}

static SupervisorDraft *find_draft(ConfigParser *p, const char *name) {
        for (size_t i = 0; i < p->n_drafts; i++)
                if (strcmp(p->drafts[i].config.name, name) == 0)
                        return &p->drafts[i];
        return NULL;
}

static int add_draft(ConfigParser *p, const char *name, unsigned line, SupervisorDraft **ret) {
        SupervisorDraft *d;
        char *n;

        n = strdup(name);
        if (!n)
                return -ENOMEM;
        d = reallocarray(p->drafts, p->n_drafts + 1, sizeof(SupervisorDraft));
        if (!d) {
                free(n);
                return -ENOMEM;
        }
        p->drafts = d;
        d = &p->drafts[p->n_drafts++];
        *d = (SupervisorDraft) { .line = line };
        supervisor_config_defaults(&d->config);
        d->config.name = n;
        *ret = d;
        return 0;
}

static int on_section(const char *file, unsigned line, const char *section, const char *arg, void *userdata,
                      Diagnostic *diag) {
        ConfigParser *p = userdata;
        const char *name;

        if (strcmp(section, "Daemon") == 0) {
                if (arg) {
                        diag_set(diag, file, line, 0, section, "[Daemon] takes no argument");
                        return -EINVAL;
                }
                p->current = NULL;
                return 0;
        }
        if (strcmp(section, "Supervisor") != 0) {
                diag_set(diag, file, line, 0, section,
                         "unknown section [%s]: expected [Daemon], [Supervisor] or [Supervisor NAME]", section);
                return -EINVAL;
        }

        name = arg ?: "root";
        if (!name_is_valid(name)) {
                diag_set(diag, file, line, 0, section,
                         "[Supervisor %s]: not a valid name ([A-Za-z0-9][A-Za-z0-9_.@-]{0,63})", name);
                return -EINVAL;
        }
        if (find_draft(p, name)) {
                diag_set(diag, file, line, 0, section, "supervisor %s is defined twice (first on line %u)", name,
                         find_draft(p, name)->line);
                return -EINVAL;
        }
        return add_draft(p, name, line, &p->current);
}

static int on_key(const char *file, unsigned line, const char *section, const char *arg, const char *key,
                  const char *value, void *userdata, Diagnostic *diag) {
        ConfigParser *p = userdata;

        if (p->current)
                return parse_supervisor_key(p, line, key, value, diag);
        return parse_daemon_key(p, line, key, value, diag);
}

/* Sum of the delays before restarts 2..max_restarts+1, saturating at UINT64_MAX:
 * d_n = min(delay * 2^(n-1), cap), cap = max(max_delay, delay). */
static usec_t backoff_total(const SupervisorConfig *s) {
        usec_t cap = MAX(s->restart_max_delay_usec, s->restart_delay_usec);
        usec_t d = s->restart_delay_usec, sum = 0;

        for (uint64_t n = 2; n <= (uint64_t) s->max_restarts + 1; n++) {
                d = d > cap / 2 ? cap : MIN(d * 2, cap);
                if (d == cap) {
                        /* The rest are all capped. */
                        unsigned __int128 rest = (unsigned __int128) cap * ((uint64_t) s->max_restarts + 2 - n);

                        if (rest >= UINT64_MAX - sum)
                                return UINT64_MAX;
                        return sum + (usec_t) rest;
                }
                sum += d;
        }
        return sum;
}

static int check_backoff(const ConfigParser *p, const SupervisorDraft *d, Diagnostic *diag) {
        const SupervisorConfig *s = &d->config;
        char delay[64], cap[64], window[64], total[64];
        usec_t sum;

        if (s->restart_delay_usec == 0 || s->restart_window_usec == USEC_INFINITY)
                return 0;
        sum = backoff_total(s);
        if (sum < s->restart_window_usec)
                return 0;

        diag_set(diag, p->file, d->line, 0, "RestartDelaySec",
                 "[Supervisor %s]: MaxRestarts=%u can never be reached inside RestartWindowSec=%s: with "
                 "RestartDelaySec=%s growing to RestartMaxDelaySec=%s, the delays before restarts 2..%u "
                 "alone add up to %s; shorten the delays, lower MaxRestarts or widen the window",
                 s->name, s->max_restarts, format_timespan(window, sizeof(window), s->restart_window_usec),
                 format_timespan(delay, sizeof(delay), s->restart_delay_usec),
                 format_timespan(cap, sizeof(cap), MAX(s->restart_max_delay_usec, s->restart_delay_usec)),
                 s->max_restarts + 1, format_timespan(total, sizeof(total), sum));
        return -EINVAL;
}

static void inherit(SupervisorDraft *d, const SupervisorConfig *parent) {
        SupervisorConfig *s = &d->config;

        if (!(d->set & (1U << FIELD_STRATEGY)))
                s->strategy = parent->strategy;
        if (!(d->set & (1U << FIELD_MAX_RESTARTS)))
                s->max_restarts = parent->max_restarts;
        if (!(d->set & (1U << FIELD_RESTART_WINDOW)))
                s->restart_window_usec = parent->restart_window_usec;
        if (!(d->set & (1U << FIELD_MAX_CHILDREN)))
                s->max_children = parent->max_children;
        if (!(d->set & (1U << FIELD_AGENT_TIMEOUT)))
                s->agent_timeout_usec = parent->agent_timeout_usec;
        if (!(d->set & (1U << FIELD_HEALTH_CHECK_INTERVAL)))
                s->health_check_interval_usec = parent->health_check_interval_usec;
        if (!(d->set & (1U << FIELD_RESTART_DELAY)))
                s->restart_delay_usec = parent->restart_delay_usec;
        if (!(d->set & (1U << FIELD_RESTART_MAX_DELAY)))
                s->restart_max_delay_usec = parent->restart_max_delay_usec;
}

/* Checks Parent= links, orders root first and parents before children (file
 * order otherwise), applies inheritance and moves the result into the config. */
static int build_tree(ConfigParser *p, Diagnostic *diag) {
        _cleanup_free_ SupervisorDraft **order = NULL;
        size_t n_placed = 0;
        SupervisorDraft *root;
        bool *placed;
        int r;

        root = find_draft(p, "root");
        if (!root) {
                r = add_draft(p, "root", 0, &root);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < p->n_drafts; i++) {
                SupervisorDraft *d = &p->drafts[i];

                if (d == root)
                        continue;
                if (!d->config.parent) {
                        diag_set(diag, p->file, d->line, 0, "Parent",
                                 "[Supervisor %s] needs Parent= (root or another supervisor)", d->config.name);
                        return -EINVAL;
                }
                if (!find_draft(p, d->config.parent)) {
                        diag_set(diag, p->file, d->parent_line, 0, "Parent",
                                 "[Supervisor %s]: Parent=%s names no supervisor in this file", d->config.name,
                                 d->config.parent);
                        return -EINVAL;
                }
        }

        order = calloc(p->n_drafts, sizeof(SupervisorDraft *));
        placed = calloc(p->n_drafts, sizeof(bool));
        if (!order || !placed) {
                free(placed);
                return -ENOMEM;
        }
        order[n_placed++] = root;
        placed[root - p->drafts] = true;

        for (bool progress = true; progress && n_placed < p->n_drafts;) {
                progress = false;
                for (size_t i = 0; i < p->n_drafts; i++) {
                        SupervisorDraft *d = &p->drafts[i], *parent;

                        if (placed[i])
                                continue;
                        parent = find_draft(p, d->config.parent);
                        if (!placed[parent - p->drafts])
                                continue;
                        inherit(d, &parent->config);
                        order[n_placed++] = d;
                        placed[i] = true;
                        progress = true;
                }
        }

        if (n_placed < p->n_drafts) {
                for (size_t i = 0; i < p->n_drafts; i++) {
                        SupervisorDraft *d = &p->drafts[i];

                        if (placed[i])
                                continue;
                        free(placed);
                        diag_set(diag, p->file, d->parent_line, 0, "Parent",
                                 "[Supervisor %s]: Parent=%s makes a cycle: the chain of parents never reaches root",
                                 d->config.name, d->config.parent);
                        return -EINVAL;
                }
        }
        free(placed);

        for (size_t i = 0; i < n_placed; i++) {
                r = check_backoff(p, order[i], diag);
                if (r < 0)
                        return r;
        }

        p->config->supervisors = calloc(n_placed, sizeof(SupervisorConfig));
        if (!p->config->supervisors)
                return -ENOMEM;
        for (size_t i = 0; i < n_placed; i++) {
                p->config->supervisors[i] = order[i]->config;
                order[i]->config.name = order[i]->config.parent = NULL;
        }
        p->config->n_supervisors = n_placed;
        return 0;
}

static int apply_path_defaults(ConfigParser *p) {
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

/* An early, friendly error at load; the daemon checks again, failing
 * closed, on the ids each agent really gets when it starts. The
 * non-reentrant lookups size their own buffers: a group with many members
 * does not fit a fixed one. */
int config_user_in_admin_group(const DaemonConfig *c, const char *user) {
        _cleanup_free_ gid_t *groups = NULL;
        const struct passwd *pwp;
        const struct group *grp;
        int n = 64;

        if (!c->admin_group || !user)
                return 0;
        grp = getgrnam(c->admin_group);
        if (!grp)
                return 0;
        gid_t admin_gid = grp->gr_gid;
        pwp = getpwnam(user);
        if (!pwp)
                return 0;
        /* root has the API anyway, and User=root agents are allowed (SPEC). */
        if (pwp->pw_uid == 0)
                return 0;
        gid_t user_gid = pwp->pw_gid;
        if (user_gid == admin_gid)
                return 1;
        /* Twice at most: the first call says how many groups there are. */
        for (unsigned attempt = 0; attempt < 2; attempt++) {
                gid_t *t = reallocarray(groups, (size_t) n, sizeof(gid_t));
                if (!t)
                        return -ENOMEM;
                groups = t;
                if (getgrouplist(user, user_gid, groups, &n) >= 0) {
                        for (int i = 0; i < n; i++)
                                if (groups[i] == admin_gid)
                                        return 1;
                        return 0;
                }
        }
        return -E2BIG;
}

int config_parse_string(const char *text, const char *filename, DaemonConfig **ret, Diagnostic *diag) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
        _cleanup_free_ char *base_dir = NULL;
        ConfigParser p;
        int r;

        c = daemon_config_new();
        if (!c)
                return -ENOMEM;
        if (filename) {
                c->path = strdup(filename);
                if (!c->path)
                        return -ENOMEM;
        }
        r = base_directory(filename, &base_dir);
        if (r < 0) {
                diag_set(diag, filename ?: "<string>", 0, 0, "",
                         "cannot tell the configuration's directory: %s", strerror(-r));
                return r;
        }

        p = (ConfigParser) {
                .file = filename ?: "<string>",
                .base_dir = base_dir,
                .config = c,
        };
        r = ini_parse_string(text, p.file, on_section, on_key, &p, diag);
        if (r >= 0)
                r = apply_path_defaults(&p);
        if (r >= 0)
                r = build_tree(&p, diag);
        if (r >= 0 && config_user_in_admin_group(c, c->default_user) > 0) {
                diag_set(diag, p.file, p.default_user_line ?: p.admin_group_line, 0,
                         p.default_user_line ? "DefaultUser" : "AdminGroup",
                         "DefaultUser %s is a member of AdminGroup=%s, which may drive agentvisord's API: "
                         "agents may not run as such a user", c->default_user, c->admin_group);
                r = -EINVAL;
        }

        for (size_t i = 0; i < p.n_drafts; i++)
                supervisor_config_done(&p.drafts[i].config);
        free(p.drafts);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, DaemonConfig **ret, Diagnostic *diag) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (!path) {
                _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
                ConfigParser p;

                /* Built-in defaults: a root supervisor and no directories. */
                c = daemon_config_new();
                if (!c)
                        return -ENOMEM;
                c->policy_path = calloc(1, sizeof(char *));
                if (!c->policy_path)
                        return -ENOMEM;
                p = (ConfigParser) { .file = "<built-in>", .config = c };
                r = build_tree(&p, diag);
                for (size_t i = 0; i < p.n_drafts; i++)
                        supervisor_config_done(&p.drafts[i].config);
                free(p.drafts);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(c);
                return 0;
        }

        r = read_full_file(path, &text, NULL);
        if (r < 0) {
                diag_set(diag, path, 0, 0, "", "cannot read configuration: %s", strerror(-r));
                return r;
        }
        return config_parse_string(text, path, ret, diag);
}
