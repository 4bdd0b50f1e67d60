/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Taking over the agents an earlier daemon left (see daemon-state.h). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent-internal.h"
#include "agent-output.h"
#include "daemon-state.h"
#include "dynamic-user.h"
#include "log.h"
#include "notify.h"
#include "parse-util.h"
#include "path-util.h"
#include "strv.h"
#include "sv-restore.h"

static const SupervisorConfig *config_supervisor(Manager *m, const char *name) {
        for (size_t i = 0; i < m->config->n_supervisors; i++)
                if (strcmp(m->config->supervisors[i].name, name) == 0)
                        return &m->config->supervisors[i];
        return NULL;
}

/* The supervisor's group beneath the root group, by the configuration;
 * "" for the root supervisor (cgroup.h has the layout). */
static int supervisor_rel(Manager *m, const SupervisorConfig *c, unsigned depth, char **ret) {
        _cleanup_free_ char *parent = NULL;
        const SupervisorConfig *p;
        int r;

        if (!c->parent) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        p = config_supervisor(m, c->parent);
        if (!p || depth > 64)
                return -EINVAL;
        r = supervisor_rel(m, p, depth + 1, &parent);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s%s%s.supervisor", parent, *parent ? "/" : "", c->name) < 0)
                return -ENOMEM;
        return 0;
}

int daemon_state_agent_rel(Manager *m, const char *sup, const char *name, char **ret) {
        _cleanup_free_ char *rel = NULL;
        const SupervisorConfig *c = config_supervisor(m, sup);
        int r;

        if (!c)
                return -ENOENT;
        r = supervisor_rel(m, c, 0, &rel);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s%s%s.agent", rel, *rel ? "/" : "", name) < 0)
                return -ENOMEM;
        return 0;
}

static void bad_file(DaemonState *s, const char *file, const char *why) {
        log_error("Ignoring the state file %s/%s: %s; its agent is not taken over (its cgroup, if any, is "
                  "removed as stale)", s->dir, file, why);
}

static int load_agent(Manager *m, DaemonState *s, const char *file, const char *text) {
        _cleanup_free_ char *err = NULL, *rel = NULL;
        AgentRecord r, *list;
        int k;

        k = agent_record_parse(text, file, &r, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                bad_file(s, file, err ?: strerror(-k));
                return 0;
        }
        if (strcmp(file + strlen("agent."), r.name) != 0 || !name_is_valid(r.name))
                k = -EBADMSG, bad_file(s, file, "its Name= does not match the file's name");
        else if (!r.spec.supervisor || daemon_state_agent_rel(m, r.spec.supervisor, r.name, &rel) < 0)
                k = -ENOENT, bad_file(s, file, "its supervisor is not in the configuration any more");
        else if (r.cgroup && strv_extend(&s->keep, rel) < 0)
                k = -ENOMEM;
        if (k < 0) {
                agent_record_done(&r);
                return k == -ENOMEM ? k : 0;
        }
        list = reallocarray(s->records, s->n_records + 1, sizeof(AgentRecord));
        if (!list) {
                agent_record_done(&r);
                return -ENOMEM;
        }
        s->records = list;
        s->records[s->n_records++] = r;
        return 0;
}

static int load_supervisor(DaemonState *s, const char *file, const char *text) {
        _cleanup_free_ char *err = NULL;
        SupervisorRecord r, *list;
        int k;

        k = supervisor_record_parse(text, file, &r, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                log_error("Ignoring the state file %s/%s: %s", s->dir, file, err ?: strerror(-k));
                return 0;
        }
        list = reallocarray(s->supervisors, s->n_supervisors + 1, sizeof(SupervisorRecord));
        if (!list) {
                supervisor_record_done(&r);
                return -ENOMEM;
        }
        s->supervisors = list;
        s->supervisors[s->n_supervisors++] = r;
        return 0;
}

static int load_file(Manager *m, DaemonState *s, const char *file) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        int k;

        if (strncmp(file, ".#", 2) == 0) {
                /* A write the earlier daemon did not finish. */
                (void) unlinkat(s->dir_fd, file, 0);
                return 0;
        }
        k = state_file_read(s->dir_fd, file, &text, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                bad_file(s, file, err ?: strerror(-k));
                return 0;
        }
        if (strncmp(file, "agent.", 6) == 0)
                return load_agent(m, s, file, text);
        if (strncmp(file, "supervisor.", 11) == 0)
                return load_supervisor(s, file, text);
        log_warning("Ignoring %s/%s: not a state file of this daemon", s->dir, file);
        return 0;
}

int daemon_state_load(Manager *m) {
        DaemonState *s = m->state_files;
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (!s || s->disabled)
                return 0;
        fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to read the state directory %s: %m", s->dir);
        d = fdopendir(fd);
        if (!d)
                return log_error_errno(errno, "Failed to read the state directory %s: %m", s->dir);
        TAKE_FD(fd);
        /* Bounded by what the directory holds; every file is read once. */
        while (r >= 0 && (de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        r = load_file(m, s, de->d_name);
        closedir(d);
        if (r < 0)
                return log_error_errno(r, "Failed to read the state directory %s: %m", s->dir);
        if (s->n_records > 0)
                log_info("Found the state of %zu agents in %s", s->n_records, s->dir);
        return 0;
}

void daemon_state_restore_supervisors(Manager *m) {
        DaemonState *s = m->state_files;

        for (size_t i = 0; s && i < s->n_supervisors; i++) {
                SupervisorRecord *r = &s->supervisors[i];
                Supervisor *sup = manager_find_supervisor(m, r->name);

                if (!sup)
                        continue;        /* gone from the configuration */
                if (sv_supervisor_restore(m->sv, sup->sv, r->escalated, r->reason, r->restart_times,
                                          r->n_restart_times) < 0)
                        log_warning("Cannot restore the restart history of supervisor %s: out of memory", r->name);
                else if (r->escalated)
                        log_warning("Supervisor %s is still escalated: %s", r->name, r->reason);
        }
}

