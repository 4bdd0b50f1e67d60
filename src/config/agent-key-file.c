/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [Agent] values from text: one parser per kind of key, reached through the
 * schema row (agent-schema.c), which names the field and the valid form. */
#include <inttypes.h>
#include <string.h>

#include "agent-key.h"
#include "env-util.h"
#include "parse-util.h"
#include "strv.h"

static int invalid(const AgentKey *k, const AgentKeyContext *c, const char *value, int r, Diagnostic *diag) {
        diag_set(diag, c->file, c->line, 0, k->file, "%s=%s is %s: expected %s", k->file, value,
                 r == -ERANGE ? "out of range" : "invalid", k->expected);
        return -EINVAL;
}

int agent_replace_string(char **field, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

/* A command line: split, non-empty, first word an absolute path. */
AGENT_KEY_PARSER(agent_parse_command) {
        _cleanup_strv_free_ char **argv = NULL;
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        r = strv_split_quoted(value, &argv);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                diag_set(diag, c->file, c->line, 0, k->file, "%s= has an unbalanced quote or a trailing backslash",
                         k->file);
                return -EINVAL;
        }
        if (!argv[0]) {
                diag_set(diag, c->file, c->line, 0, k->file, "%s= needs a command", k->file);
                return -EINVAL;
        }
        if (argv[0][0] != '/') {
                diag_set(diag, c->file, c->line, 0, k->file, "%s=: the program \"%s\" must be an absolute path",
                         k->file, argv[0]);
                return -EINVAL;
        }
        strv_free(*field);
        *field = TAKE_PTR(argv);
        return 0;
}

/* As above, where an empty value forgets the command (HealthCheck=). */
AGENT_KEY_PARSER(agent_parse_optional_command) {
        if (*value == '\0') {
                *AGENT_FIELD(s, k, char **) = strv_free(*AGENT_FIELD(s, k, char **));
                return 0;
        }
        return agent_parse_command(k, value, s, c, diag);
}

AGENT_KEY_PARSER(agent_parse_string) {
        if (k->check(value) < 0)
                return invalid(k, c, value, -EINVAL, diag);
        return agent_replace_string(AGENT_FIELD(s, k, char *), value);
}

AGENT_KEY_PARSER(agent_parse_supervisor) {
        if (k->check(value) < 0)
                return invalid(k, c, value, -EINVAL, diag);
        if (c->config && !daemon_config_find_supervisor(c->config, value)) {
                diag_set(diag, c->file, c->line, 0, k->file,
                         "Supervisor=%s: no such supervisor in the daemon configuration", value);
                return -EINVAL;
        }
        return agent_replace_string(AGENT_FIELD(s, k, char *), value);
}

/* Empty: back to the daemon's DefaultUser=. */
AGENT_KEY_PARSER(agent_parse_user) {
        if (*value == '\0') {
                *AGENT_FIELD(s, k, char *) = mfree(*AGENT_FIELD(s, k, char *));
                return 0;
        }
        return agent_parse_string(k, value, s, c, diag);
}

AGENT_KEY_PARSER(agent_parse_enum) {
        int v = k->check(value);

        if (v < 0)
                return invalid(k, c, value, -EINVAL, diag);
        *AGENT_FIELD(s, k, int) = v;
        return 0;
}

/* A list value: space-separated items, quotes allowed. An empty value
 * forgets what earlier lines gave, as in systemd: then 0 with *ret NULL. */
int agent_split_list(const AgentKey *k, const AgentKeyContext *c, const char *value, char ***field, char ***ret,
                     Diagnostic *diag) {
        int r;

        *ret = NULL;
        if (*value == '\0') {
                *field = strv_free(*field);
                return 0;
        }
        r = strv_split_quoted(value, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                diag_set(diag, c->file, c->line, 0, k->file, "%s= has an unbalanced quote or a trailing backslash",
                         k->file);
                return -EINVAL;
        }
        return 0;
}

AGENT_KEY_PARSER(agent_parse_environment) {
        _cleanup_strv_free_ char **items = NULL, **env = NULL;
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        r = agent_split_list(k, c, value, field, &items, diag);
        if (r < 0 || !items)
                return r;

        env = strv_copy(*field);
        if (!env)
                return -ENOMEM;
        STRV_FOREACH(i, items) {
                const char *eq = strchr(*i, '=');

                if (!eq || !env_name_is_valid(*i, (size_t) (eq - *i))) {
                        diag_set(diag, c->file, c->line, 0, k->file,
                                 "Environment=: \"%s\" is not a KEY=VALUE assignment with a valid variable name", *i);
                        return -EINVAL;
                }
                /* A type may set PATH or LD_LIBRARY_PATH (root wrote it), but
                 * not what the daemon sets for each agent: it would be
                 * overridden, or worse, read as the daemon's. */
                if (env_name_is_daemons(*i, (size_t) (eq - *i))) {
                        diag_set(diag, c->file, c->line, 0, k->file,
                                 "Environment=: %.*s is set by agentvisord for each agent and cannot be given here",
                                 (int) (eq - *i), *i);
                        return -EINVAL;
                }
                r = strv_env_set(&env, *i);
                if (r < 0)
                        return r;
        }

        strv_free(*field);
        *field = TAKE_PTR(env);
        return 0;
}

/* 0 and "infinity" both mean no limit for these keys. */
AGENT_KEY_PARSER(agent_parse_time_limit) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r == 0 && t != USEC_INFINITY && t > k->max)
                r = -ERANGE;
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, usec_t) = t == 0 ? USEC_INFINITY : t;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_memory) {
        uint64_t u;
        int r;

        r = parse_size(value, &u);
        if (r == 0 && u < k->min)
                r = -ERANGE;
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, uint64_t) = u;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_tasks) {
        uint64_t u;
        int r;

        if (strcmp(value, "infinity") == 0)
                u = UINT64_MAX;
        else {
                r = parse_uint64(value, &u);
                if (r == 0 && (u < k->min || u > k->max))
                        r = -ERANGE;
                if (r < 0)
                        return invalid(k, c, value, r, diag);
        }
        *AGENT_FIELD(s, k, uint64_t) = u;
        return 0;
}

/* 100% is one CPU: a full second of CPU time per second. */
AGENT_KEY_PARSER(agent_parse_cpu_quota) {
        unsigned u;
        int r;

        if (*value == '\0' || strcmp(value, "infinity") == 0) {
                *AGENT_FIELD(s, k, uint64_t) = UINT64_MAX;
                return 0;
        }
        r = parse_percent(value, &u);
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, uint64_t) = (uint64_t) u * (USEC_PER_SEC / 100);
        return 0;
}

/* "infinity" is 0, none, here. */
AGENT_KEY_PARSER(agent_parse_watchdog) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r == 0 && t == USEC_INFINITY)
                t = 0;
        if (r == 0 && t > k->max)
                r = -ERANGE;
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, usec_t) = t;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_count) {
        unsigned u;
        int r;

        r = parse_uint(value, &u);
        if (r == 0 && u == 0)
                r = -ERANGE;
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, unsigned) = u;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_time) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, usec_t) = t;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_finite_time) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r == 0 && (t == 0 || t == USEC_INFINITY))
                r = -ERANGE;
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, usec_t) = t;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_rlimit) {
        uint64_t v;
        int r;

        r = parse_size(value, &v);
        if (r < 0 || v == RLIM_UNSET)
                return invalid(k, c, value, r < 0 ? r : -ERANGE, diag);
        /* The kernel caps open files at fs.nr_open (at most 2^31-64 on any
         * host): infinity or more would fail every start of the agent. */
        if (strcmp(k->file, "LimitNOFILE") == 0 && v > RLIMIT_NOFILE_MAX) {
                diag_set(diag, c->file, c->line, 0, k->file,
                         "%s=%s is out of range: expected a number of files no larger than the kernel's fs.nr_open "
                         "(at most %" PRIu64 ")", k->file, value, RLIMIT_NOFILE_MAX);
                return -EINVAL;
        }
        *AGENT_FIELD(s, k, uint64_t) = v;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_umask) {
        unsigned long m;
        char *end;

        errno = 0;
        m = strtoul(value, &end, 8);
        if (value[0] < '0' || value[0] > '7' || *end != '\0' || errno != 0 || m > 0777)
                return invalid(k, c, value, m > 0777 ? -ERANGE : -EINVAL, diag);
        *AGENT_FIELD(s, k, mode_t) = (mode_t) m;
        return 0;
}

AGENT_KEY_PARSER(agent_parse_oom_score_adjust) {
        int i, r;

        r = parse_int(value, &i);
        if (r == 0 && (i < -1000 || i > 1000))
                r = -ERANGE;
        if (r < 0)
                return invalid(k, c, value, r, diag);
        *AGENT_FIELD(s, k, int) = i;
        /* Unset keeps the daemon's own score; 0 is a value. */
        s->oom_score_adj_set = true;
        return 0;
}
