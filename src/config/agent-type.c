/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agents.d/NAME.agent: one [Agent] section that becomes an AgentSpec. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "agent-schema.h"
#include "config.h"
#include "fileio.h"
#include "ini.h"
#include "parse-util.h"
#include "strv.h"

#define AGENT_SUFFIX ".agent"

typedef struct AgentParser {
        const char *file;
        const DaemonConfig *config;
        AgentSpec *spec;
        unsigned lines[AGENT_SCHEMA_MAX];  /* per schema row: where it was last set, 0 = not set */
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

static int parse_agent_key(AgentParser *p, unsigned line, const char *key, const char *value, Diagnostic *diag) {
        const AgentKey *k = agent_key_from_file(key);
        AgentKeyContext c = { .file = p->file, .line = line, .config = p->config };
        int r;

        if (!k) {
                diag_set(diag, p->file, line, 0, key, "unknown key %s= in [Agent]", key);
                return -EINVAL;
        }
        r = k->parse(k, value, p->spec, &c, diag);
        if (r < 0)
                return r;
        p->lines[k - agent_schema] = line;
        return 0;
}

static unsigned key_line(const AgentParser *p, const char *key) {
        return p->lines[agent_key_from_file(key) - agent_schema];
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
        AgentParser p = {};
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

        if (key_line(&p, "Exec") == 0) {
                diag_set(diag, filename, 0, 0, "Exec", "agent type %s has no Exec= in its [Agent] section",
                         t->name);
                return -EINVAL;
        }
        if (t->spec.watchdog_usec > 0 && t->spec.type != SERVICE_NOTIFY) {
                diag_set(diag, filename, key_line(&p, "WatchdogSec"), 0, "WatchdogSec",
                         "WatchdogSec= needs Type=notify: only notify agents can send WATCHDOG=1");
                return -EINVAL;
        }
        if (c && config_user_in_admin_group(c, t->spec.user ?: c->default_user) > 0) {
                diag_set(diag, filename, t->spec.user ? key_line(&p, "User") : 0, 0, "User",
                         "agent type %s would run as %s, a member of AdminGroup=%s, which may drive agentvisord's "
                         "API: choose another User=", t->name, t->spec.user ?: c->default_user, c->admin_group);
                return -EINVAL;
        }
        r = agent_spec_fill_defaults(&t->spec);
        if (r < 0)
                return r;
        /* The type's preset is fixed here, so that StartAgent's options are
         * checked against what the type really gets. */
        if (c && t->spec.sandbox.preset < 0)
                t->spec.sandbox.preset = c->default_sandbox;

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
