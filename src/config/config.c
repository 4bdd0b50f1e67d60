/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor.conf: reading the file into a DaemonConfig, its defaults and
 * lifetime, and the user database check of AdminGroup=. The sections are
 * parsed in config-daemon.c and config-supervisor.c. */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "config-internal.h"
#include "fileio.h"
#include "ini.h"
#include "parse-util.h"
#include "strv.h"
#include "time-util.h"

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
        free(c->dynamic_user_range);
        free(c->state_directory);
        free(c->runtime_directory);
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

uint64_t config_physical_memory(void) {
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
        c->default_user = strdup(DEFAULT_USER);
        c->control_group = strdup("agentvisor");
        c->default_sandbox = SANDBOX_PRESET_DEFAULT;
        c->dynamic_user_range = strdup(DEFAULT_DYNAMIC_USER_RANGE);
        c->state_directory = strdup(DEFAULT_STATE_DIRECTORY);
        c->runtime_directory = strdup(DEFAULT_RUNTIME_DIRECTORY);
        /* Safe defaults: a fork bomb or a leak in one agent cannot take the
         * host. Where RAM is unknown there is no default memory limit. */
        c->default_tasks_max = DEFAULT_TASKS_MAX;
        c->default_memory_max = config_physical_memory() > 0
                                        ? u64_muldiv_sat(config_physical_memory(), DEFAULT_MEMORY_MAX_PERCENT, 100)
                                        : UINT64_MAX;
        if (!c->log_directory || !c->default_user || !c->control_group || !c->dynamic_user_range ||
            !c->state_directory || !c->runtime_directory)
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
        if (config_find_draft(p, name)) {
                diag_set(diag, file, line, 0, section, "supervisor %s is defined twice (first on line %u)", name,
                         config_find_draft(p, name)->line);
                return -EINVAL;
        }
        return config_add_draft(p, name, line, &p->current);
}

static int on_key(const char *file, unsigned line, const char *section, const char *arg, const char *key,
                  const char *value, void *userdata, Diagnostic *diag) {
        ConfigParser *p = userdata;

        if (p->current)
                return config_parse_supervisor_key(p, line, key, value, diag);
        return config_parse_daemon_key(p, line, key, value, diag);
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
                r = config_apply_path_defaults(&p);
        if (r >= 0)
                r = config_build_tree(&p, diag);
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
                r = config_build_tree(&p, diag);
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
