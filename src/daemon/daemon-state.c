/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeping the state files current (see daemon-state.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-freeze.h"
#include "agent-output.h"
#include "agent-violation.h"
#include "agent.h"
#include "daemon-state.h"
#include "log.h"
#include "strv.h"
#include "sv-restore.h"

typedef struct StateEntry StateEntry;
struct StateEntry {
        Agent *agent;
        /* On s->dirty while its file is to be rewritten: a flush visits
         * only what changed, not every agent. */
        StateEntry *dirty_next, **dirty_pprev;
        pid_t pid;                       /* the pid pid_starttime was read for */
        uint64_t pid_starttime;
};

static void dirty_link(DaemonState *s, StateEntry *e) {
        if (e->dirty_pprev)
                return;
        e->dirty_next = s->dirty;
        if (s->dirty)
                s->dirty->dirty_pprev = &e->dirty_next;
        s->dirty = e;
        e->dirty_pprev = &s->dirty;
}

static void dirty_unlink(StateEntry *e) {
        if (!e->dirty_pprev)
                return;
        *e->dirty_pprev = e->dirty_next;
        if (e->dirty_next)
                e->dirty_next->dirty_pprev = e->dirty_pprev;
        e->dirty_next = NULL;
        e->dirty_pprev = NULL;
}

static DaemonState *state(Manager *m) {
        DaemonState *s = m->state_files;
        return s && !s->disabled ? s : NULL;
}

int daemon_state_new(Manager *m) {
        DaemonState *s = calloc(1, sizeof(DaemonState));

        if (!s)
                return -ENOMEM;
        s->dir_fd = s->notify_fd = s->lock_fd = -EBADF;
        m->state_files = s;
        /* What Reexecute's previous image passed, before anything opens. */
        return daemon_reexec_receive(m);
}

void daemon_state_loaded_done(Manager *m) {
        DaemonState *s = m->state_files;
        PassedFds *p;

        for (size_t i = 0; i < s->n_records; i++)
                agent_record_done(&s->records[i]);
        s->records = mfree(s->records);
        s->n_records = 0;
        for (size_t i = 0; i < s->n_supervisors; i++)
                supervisor_record_done(&s->supervisors[i]);
        s->supervisors = mfree(s->supervisors);
        s->n_supervisors = 0;
        s->keep = strv_free(s->keep);
        if (s->passed) {
                HASHMAP_FOREACH(p, s->passed) {
                        safe_close(p->pidfd);
                        safe_close(p->output_fd);
                        safe_close(p->listener_fd);
                        safe_close(p->uid_lock_fd);
                        agent_violations_free(p->violations);
                        free(p->name);
                        free(p);
                }
                s->passed = hashmap_free(s->passed);
        }
}

int daemon_state_open(Manager *m) {
        DaemonState *s = m->state_files;
        int r;

        if (asprintf(&s->dir, "%s/" STATE_DIR_NAME, m->notify_dir) < 0)
                return -ENOMEM;
        s->entries = hashmap_new_string();
        if (!s->entries)
                return -ENOMEM;
        r = state_dir_open(m->notify_dir_fd, s->dir, &s->dir_fd);
        if (r >= 0)
                r = state_writer_new(s->dir_fd, s->dir, &s->writer);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("State directory %s unusable: agents will not survive a re-exec or a crash of the daemon",
                          s->dir);
                s->disabled = true;
        }
        return daemon_state_load(m);
}

static void file_name(char *buf, size_t n, const char *kind, const char *name) {
        snprintf(buf, n, "%s.%s", kind, name);
}

/* The pipe its running invocation writes its output into: after a crash,
 * the one pipe the next daemon accepts from /proc/PID/fd/1. */
static void agent_record_output(const Agent *a, AgentRecord *r) {
        dev_t dev;
        ino_t ino;

        if (a->main_exited || agent_output_read_fd(a, &dev, &ino) < 0)
                return;
        r->output_dev = (uint64_t) dev;
        r->output_ino = (uint64_t) ino;
}

/* The record of a as it is now; pointers into a (do not free). */
static void agent_record_of(Agent *a, StateEntry *e, AgentRecord *r) {
        SvAgentSaved saved = {};

        if (a->sv)
                sv_agent_save(a->sv, &saved);
        /* Read once per pid, off the start path: the main process is our
         * child or pinned by our pidfd, so the pid still names it. */
        if (a->pid > 0 && !a->main_exited && e->pid != a->pid) {
                e->pid = a->pid;
                if (state_pid_starttime(a->pid, &e->pid_starttime, NULL) < 0)
                        e->pid_starttime = 0;
        }
        *r = (AgentRecord) {
                .name = a->name,
                .type = a->type,
                .spec = a->spec,
                .oom_score_adj_set = a->spec.oom_score_adj_set,
                .core = (AgentRecordCore) saved.state,
                .restart_count = saved.restart_count,
                .consecutive = saved.consecutive,
                .restart_deadline = saved.deadline,
                .started_realtime = a->started_realtime,
                .started_monotonic = a->started_monotonic,
                .pid = a->main_exited ? 0 : a->pid,
                .pid_starttime = a->main_exited ? 0 : e->pid_starttime,
                .cgroup = a->cgroup ? (char *) cgroup_path(a->cgroup) : NULL,
                .uid = a->uid,
                .gid = a->gid,
                .uid_dynamic = a->uid_dynamic,
                .ready = a->ready,
                .has_filter = a->has_filter,
                .watchdog_usec = a->watchdog_usec,
                .health = a->health,
                .kill_reason = a->kill_reason,
                .exit = a->exit,
                .exit_realtime = a->exit_realtime,
                .exit_runtime = a->exit_runtime,
                .exit_cpu_nsec = a->exit_cpu_nsec,
                .exit_memory_peak = a->exit_memory_peak,
                .oom_kills = a->oom_kills,
                .frozen_total = a->frozen_total,
                .listener = agent_violation_listener_record(a),
        };
        agent_freeze_save(a, &r->freeze);
        agent_record_output(a, r);
        memcpy(r->invocation_id, a->invocation_id.bytes, 16);
}

static int write_agent(DaemonState *s, StateEntry *e) {
        _cleanup_free_ char *text = NULL;
        char name[256];
        AgentRecord r;
        int k;

        dirty_unlink(e);
        /* Dropped by the core (a temporary a group restart ended): it is
         * about to be forgotten, and nothing of it is to be carried over. */
        if (!e->agent->sv)
                return 0;
        agent_record_of(e->agent, e, &r);
        k = agent_record_format(&r, &text);
        if (k < 0)
                return k;
        file_name(name, sizeof name, "agent", e->agent->name);
        return state_writer_put(s->writer, name, TAKE_PTR(text));
}

static int write_supervisors(Manager *m, DaemonState *s) {
        int r = 0;

        s->supervisors_dirty = false;
        for (size_t i = 0; i < m->n_supervisors; i++) {
                Supervisor *sup = m->supervisors[i];
                _cleanup_free_ char *text = NULL;
                const usec_t *times = NULL;
                SupervisorRecord rec = {
                        .name = (char *) sup->config.name,
                        .escalated = sv_supervisor_escalated(sup->sv),
                        .reason = (char *) sv_supervisor_escalation_reason(sup->sv),
                };
                char name[256];
                int k;

                rec.n_restart_times = sv_supervisor_restart_times(sup->sv, &times);
                rec.restart_times = (usec_t *) times;
                k = supervisor_record_format(&rec, &text);
                if (k >= 0) {
                        file_name(name, sizeof name, "supervisor", sup->config.name);
                        k = state_writer_put(s->writer, name, TAKE_PTR(text));
                }
                if (k < 0 && r >= 0)
                        r = k;
        }
        return r;
}

/* Queues what changed for the writer thread; wait: and returns once it is
 * written, with the first error since the last wait. */
int daemon_state_flush(Manager *m, bool wait) {
        DaemonState *s = state(m);
        int r = 0, k;

        if (!s)
                return 0;
        while (s->dirty)
                if ((k = write_agent(s, s->dirty)) < 0 && r >= 0)
                        r = k;
        if (s->supervisors_dirty && (k = write_supervisors(m, s)) < 0 && r >= 0)
                r = k;
        if (wait && (k = state_writer_drain(s->writer)) < 0 && r >= 0)
                r = k;
        return r;
}

void daemon_state_detach(Manager *m) {
        int r;

        if (m->state != MANAGER_RUNNING || !state(m)) {
                log_warning("SIGUSR2: the daemon is %s%s: ignored", manager_state_to_string(m->state),
                            state(m) ? "" : " without a state directory");
                return;
        }
        /* Only what changed since the last loop iteration is not written yet. */
        daemon_state_supervisors_changed(m);
        r = daemon_state_flush(m, true);
        if (r < 0) {
                log_error_errno(r, "SIGUSR2: cannot write the state (%m): not exiting, the agents would be lost");
                return;
        }
        log_info("SIGUSR2: exiting, leaving %zu agents running for the next daemon", hashmap_size(m->agents));
        (void) sd_event_exit(m->event, 0);
}

static int on_flush(sd_event_source *src, void *userdata) {
        (void) daemon_state_flush(userdata, false);
        return 0;
}

/* Once per loop iteration, below the bus: replies and signals of the
 * iteration go out first. */
static void kick(Manager *m, DaemonState *s) {
        int r;

        if (!s->flush_source) {
                r = sd_event_add_defer(m->event, &s->flush_source, on_flush, m);
                if (r < 0) {
                        (void) daemon_state_flush(m, false);
                        return;
                }
                (void) sd_event_source_set_priority(s->flush_source, SD_EVENT_PRIORITY_IDLE);
        }
        if (sd_event_source_set_enabled(s->flush_source, SD_EVENT_ONESHOT) < 0)
                (void) daemon_state_flush(m, false);
}

void daemon_state_agent_changed(Agent *a) {
        DaemonState *s = state(a->manager);
        StateEntry *e;

        if (!s)
                return;
        e = hashmap_get(s->entries, a->name);
        if (!e) {
                e = calloc(1, sizeof *e);
                if (!e || hashmap_put(s->entries, a->name, e) < 0) {
                        free(e);
                        log_agent_warning(a->name, "out of memory: its state is not kept");
                        return;
                }
                e->agent = a;
        }
        dirty_link(s, e);
        kick(a->manager, s);
}

void daemon_state_agent_removed(Agent *a) {
        DaemonState *s = state(a->manager);
        StateEntry *e;
        char name[256];

        if (!s)
                return;
        e = hashmap_remove(s->entries, a->name);
        if (e)
                dirty_unlink(e);
        free(e);
        file_name(name, sizeof name, "agent", a->name);
        /* Queued, so that no write queued before it can bring it back. */
        if (state_writer_put(s->writer, name, NULL) < 0)
                log_agent_warning(a->name, "cannot remove its state file %s/%s: out of memory", s->dir, name);
}

void daemon_state_supervisors_changed(Manager *m) {
        DaemonState *s = state(m);

        if (!s)
                return;
        s->supervisors_dirty = true;
        kick(m, s);
}

/* After a clean shutdown nothing runs that a next daemon could take over. */
static void remove_all(DaemonState *s) {
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        struct dirent *de;

        fd = dup(s->dir_fd);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d)
                return;
        TAKE_FD(fd);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' || strncmp(de->d_name, ".#", 2) == 0)
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                (void) unlinkat(s->dir_fd, de->d_name, 0);
        closedir(d);
}

void daemon_state_free(Manager *m) {
        DaemonState *s = m->state_files;
        StateEntry *e;

        if (!s)
                return;
        if (s->entries) {
                HASHMAP_FOREACH(e, s->entries)
                        free(e);
                hashmap_free(s->entries);
        }
        /* Every queued write done before anything is removed. */
        s->writer = state_writer_free(s->writer);
        if (!s->disabled && s->dir_fd >= 0 && m->state == MANAGER_STOPPING && sv_shutdown_done(m->sv)) {
                remove_all(s);
                (void) unlinkat(m->notify_dir_fd, STATE_DIR_NAME, AT_REMOVEDIR);
        }
        sd_event_source_disable_unref(s->flush_source);
        safe_close(s->dir_fd);
        daemon_state_loaded_done(m);
        safe_close(s->notify_fd);
        safe_close(s->lock_fd);
        free(s->dir);
        m->state_files = mfree(s);
}
