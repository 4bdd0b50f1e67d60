/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Taking over one recorded agent (see daemon-state.h): its Agent and core
 * state as they were, and, while its process is still the one recorded,
 * that process with its cgroup, pidfd, uid, timers and output. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-freeze.h"
#include "agent-internal.h"
#include "agent-output.h"
#include "agent-violation.h"
#include "daemon-state.h"
#include "dynamic-user.h"
#include "log.h"
#include "notify.h"
#include "sv-restore.h"

/* PIDFD_GET_INFO (Linux 6.13; the exit code of a reaped task since 6.15),
 * which older headers lack: the first version of the struct. */
struct adopt_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
};
#define ADOPT_PIDFD_INFO_EXIT 0x8u
#define ADOPT_PIDFD_GET_INFO _IOWR(0xFF, 11, struct adopt_pidfd_info)

int agent_adopted_exit(Agent *a, int *ret_code, int *ret_status) {
        struct adopt_pidfd_info info = { .mask = ADOPT_PIDFD_INFO_EXIT };

        /* Its parent (init, once our predecessor died) reaps it, not us: the
         * kernel keeps the exit code for the pidfd. Until it is reaped there
         * is none, and the end is reported as lost. */
        if (ioctl(a->pidfd, ADOPT_PIDFD_GET_INFO, &info) < 0)
                return -errno;
        if (!(info.mask & ADOPT_PIDFD_INFO_EXIT)) {
                /* A stop or timeout of the daemon's keeps its reason. */
                if (a->kill_reason == EXIT_REASON_NONE)
                        a->kill_reason = EXIT_REASON_LOST;
                *ret_code = CLD_EXITED;
                *ret_status = 0;
                return 0;
        }
        if (WIFSIGNALED(info.exit_code)) {
                *ret_code = WCOREDUMP(info.exit_code) ? CLD_DUMPED : CLD_KILLED;
                *ret_status = WTERMSIG(info.exit_code);
        } else {
                *ret_code = CLD_EXITED;
                *ret_status = WEXITSTATUS(info.exit_code);
        }
        return 0;
}

/* The recorded main process, if it still is the one recorded: a pidfd
 * passed by our predecessor's image is that process; otherwise one opened
 * now must show the recorded start time and cgroup while it is still alive
 * (a pid reused by another process differs in one of them at least, and the
 * pidfd pins the one it was opened for). */
static int open_main(const AgentRecord *r, const char *cgroup, PassedFds *passed, const char **ret_why) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *cg = NULL;
        uint64_t start;
        bool zombie;

        if (passed && passed->pidfd >= 0)
                return TAKE_FD(passed->pidfd);
        *ret_why = "no main process was recorded";
        if (r->pid <= 0)
                return -ESRCH;
        *ret_why = "its main process is gone";
        fd = (int) syscall(SYS_pidfd_open, r->pid, 0);
        if (fd < 0)
                return -errno;
        if (state_pid_starttime(r->pid, &start, &zombie) < 0 || zombie)
                return -ESRCH;
        *ret_why = "its pid now belongs to another process (the start time differs)";
        if (start != r->pid_starttime)
                return -ESRCH;
        *ret_why = "its pid now belongs to a process in another cgroup";
        if (state_pid_cgroup(r->pid, &cg) < 0 || strcmp(cg, cgroup) != 0)
                return -ESRCH;
        *ret_why = "its main process is gone";
        if (agent_pidfd_send(fd, 0) < 0)
                return -ESRCH;
        return TAKE_FD(fd);
}

static bool is_pipe(int fd, const AgentRecord *r) {
        struct stat st;

        return fstat(fd, &st) >= 0 && S_ISFIFO(st.st_mode) && (uint64_t) st.st_dev == r->output_dev &&
               (uint64_t) st.st_ino == r->output_ino;
}

/* The pipe the main process writes its output into, opened again through
 * /proc after a crash: possible while it has not written into it since
 * (a write without a reader ends it with SIGPIPE). The agent chooses what
 * its fd 1 is, and may change it at any time: the link is opened O_PATH
 * (which opens no device), and only the very pipe recorded at its start
 * (state file version 3) is then opened for reading, through that fd. */
static int reopen_output(Agent *a, const AgentRecord *rec, PassedFds *passed) {
        _cleanup_close_ int path_fd = -EBADF, fd = -EBADF;
        char path[64];

        if (passed && passed->output_fd >= 0)
                return agent_output_adopt(a, TAKE_FD(passed->output_fd));
        if (rec->output_ino == 0)
                return -ENOENT;
        snprintf(path, sizeof path, "/proc/%d/fd/1", (int) a->pid);
        path_fd = open(path, O_PATH | O_CLOEXEC);
        if (path_fd < 0)
                return -errno;
        if (!is_pipe(path_fd, rec))
                return -ENOENT;
        snprintf(path, sizeof path, "/proc/self/fd/%d", path_fd);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (!is_pipe(fd, rec))
                return -ENOENT;
        return agent_output_adopt(a, TAKE_FD(fd));
}

static void adopt_identity(Agent *a, PassedFds *passed) {
        Manager *m = a->manager;
        _cleanup_free_ char *msg = NULL;
        DynamicUserPool *pool;
        int r;

        if (!a->uid_dynamic)
                return;
        r = manager_dynamic_users(m, &pool, &msg);
        /* Reexecute passed the lock on: it was never released. */
        if (r >= 0 && passed && passed->uid_lock_fd >= 0 && passed->uid == a->uid)
                r = dynamic_user_adopt_fd(pool, a->name, a->uid, TAKE_FD(passed->uid_lock_fd), &msg);
        else if (r >= 0)
                r = dynamic_user_adopt(pool, a->name, a->uid, &msg);
        if (r >= 0)
                return;
        /* Running as a uid the pool does not hold, another agent could get
         * it: it is stopped instead. */
        log_agent_full(LOG_ERR, a->name, "cannot hold its dynamic uid %u again (%s): stopping it", (unsigned) a->uid,
                       msg ?: strerror(-r));
        a->uid_dynamic = false;
        agent_stop(a, EXIT_REASON_STOPPED);
}

/* Health checks run under the invocation's policy: the one of that name as
 * this daemon loaded it (the filter the agent loaded is in the kernel). */
static void adopt_policy(Agent *a) {
        Diagnostic d = {};
        Policy *p;
        int r = -ENOENT;

        p = manager_get_policy(a->manager, a->spec.policy, &d, &r);
        if (!p) {
                log_agent_warning(a->name, "cannot load its policy %s for its health checks: %s", a->spec.policy,
                                  strerror(-r));
                return;
        }
        a->policy = policy_ref(p);
}

/* Frozen before: frozen again, timers paused as they were (agent-freeze.c). */
static void adopt_freeze(Agent *a, const AgentRecord *r) {
        int k;

        if (r->freeze.mode == FREEZE_RECORD_NONE || !agent_is_active(a) || a->kill_reason != EXIT_REASON_NONE)
                return;
        k = agent_freeze_restore(a, &r->freeze);
        if (k >= 0)
                return;
        /* Shown running but stopped in the kernel, or running under an
         * escalated supervisor: neither is what was asked. */
        log_agent_full(LOG_ERR, a->name, "cannot hold it frozen again, stopping it: %s", strerror(-k));
        agent_stop(a, EXIT_REASON_STOPPED);
}

/* The process runs and is ours again. */
static void adopt_process(Agent *a, const AgentRecord *rec, PassedFds *passed, bool stopping) {
        Manager *m = a->manager;
        const char *step = NULL;
        int r;

        (void) hashmap_put(m->agents_by_pid, HASHMAP_UINT(a->pid), a);
        r = agent_pidfd_watch(a);
        if (r < 0) {
                log_agent_warning(a->name, "cannot watch its pidfd, ending it: %s", strerror(-r));
                a->kill_reason = EXIT_REASON_LOST;
                agent_main_gone(a, CLD_EXITED, 0);
                return;
        }
        adopt_policy(a);
        if (!m->journal && reopen_output(a, rec, passed) < 0)
                log_agent_notice(a->name, "its output could not be taken over: what it writes now is lost");
        /* Deadlines count from its start, as before (CLOCK_MONOTONIC did not
         * stop), plus the time it was frozen (RuntimeMaxSec counts running
         * time only); the watchdog from now: its last ping was not recorded. */
        r = agent_timers_arm_at(a, usec_add(a->started_monotonic, a->frozen_total), &step);
        if (r < 0) {
                log_agent_full(LOG_ERR, a->name, "cannot arm its %s again, stopping it: %s", step, strerror(-r));
                agent_stop(a, EXIT_REASON_STOPPED);
                return;
        }
        a->state = agent_get_state(a);
        if (stopping)
                agent_stop(a, a->kill_reason != EXIT_REASON_NONE ? a->kill_reason : EXIT_REASON_STOPPED);
        else if (a->ready)
                agent_enter_running(a);
        adopt_freeze(a, rec);
        adopt_identity(a, passed);
        log_agent_info(a->name, "taken over: pid %d in %s", (int) a->pid, cgroup_path(a->cgroup));
}

/* A group kept for a record that no agent took over after all: what runs
 * in it is killed, as in any group no state explains. */
static void kill_kept_group(Manager *m, Supervisor *sup, const char *name) {
        _cleanup_(cgroup_freep) Cgroup *c = NULL;

        if (!sup || cgroup_agent_adopt(m->cgroup_root, sup->cgroup, name, &c) < 0)
                return;
        log_agent_warning(name, "killing what runs in its cgroup %s: no agent takes it over", cgroup_path(c));
        (void) cgroup_kill(c);
        (void) cgroup_remove(c);
}

/* The invocation's group, kept for it (or made again, empty, when it is
 * gone, so that the end is reported like any other). */
static int adopt_cgroup(Agent *a, const AgentRecord *r, char **ret_path) {
        Manager *m = a->manager;
        _cleanup_free_ char *rel = NULL, *path = NULL;
        int k;

        k = daemon_state_agent_rel(m, a->supervisor->config.name, a->name, &rel);
        if (k < 0)
                return k;
        if (asprintf(&path, "%s/%s", cgroup_root_path(m->cgroup_root), rel) < 0)
                return -ENOMEM;
        if (strcmp(path, r->cgroup) != 0) {
                log_agent_warning(a->name, "its recorded cgroup %s is not where it belongs (%s): not adopted",
                                  r->cgroup, path);
                kill_kept_group(m, a->supervisor, a->name);
                return -EINVAL;
        }
        k = cgroup_agent_adopt(m->cgroup_root, a->supervisor->cgroup, a->name, &a->cgroup);
        if (k < 0)
                k = cgroup_agent_new(m->cgroup_root, a->supervisor->cgroup, a->name, NULL, &a->cgroup);
        if (k < 0)
                return k;
        (void) hashmap_put(m->agents_by_cgroup, cgroup_path(a->cgroup), a);
        notify_agent_add(a);
        *ret_path = TAKE_PTR(path);
        return 0;
}

static void adopt_invocation(Agent *a, const AgentRecord *r, PassedFds *passed) {
        _cleanup_free_ char *path = NULL;
        const char *why = "its cgroup cannot be opened";
        bool stopping = r->core >= AGENT_RECORD_STOPPING_REQUEST && r->core <= AGENT_RECORD_STOPPING_REMOVAL;
        int fd = -ESRCH, k = -ENOENT;

        if (r->cgroup)
                k = adopt_cgroup(a, r, &path);
        if (k >= 0)
                fd = open_main(r, path, passed, &why);
        if (k >= 0 && fd >= 0) {
                a->pid = r->pid;
                a->pidfd = fd;
                adopt_process(a, r, passed, stopping);
                return;
        }
        log_agent_warning(a->name, "not taken over: %s", why);
        if (!a->cgroup) {
                /* Nothing to end through: the core hears of it directly. */
                a->exit = (ExitRecord) { EXIT_REASON_LOST, 0, KILLED_BY_NONE };
                a->exit_realtime = now_realtime();
                if (a->sv && !sv_agent_exited(a->manager->sv, a->sv, false, now_monotonic()))
                        a->sv = NULL;
                return;
        }
        a->pid = 0;
        if (!stopping)
                a->kill_reason = EXIT_REASON_LOST;
        agent_main_gone(a, CLD_EXITED, 0);
}

static void record_to_agent(Agent *a, const AgentRecord *r) {
        memcpy(a->invocation_id.bytes, r->invocation_id, 16);
        a->started_realtime = r->started_realtime;
        a->started_monotonic = r->started_monotonic;
        a->uid = r->uid;
        a->gid = r->gid;
        a->uid_dynamic = r->uid_dynamic && r->cgroup;
        a->ready = r->ready;
        a->has_filter = r->has_filter;
        a->watchdog_usec = r->watchdog_usec;
        a->health = r->health;
        a->kill_reason = r->kill_reason;
        a->exit = r->exit;
        a->exit_realtime = r->exit_realtime;
        a->exit_runtime = r->exit_runtime;
        a->exit_cpu_nsec = r->exit_cpu_nsec;
        a->exit_memory_peak = r->exit_memory_peak;
        a->oom_kills = r->oom_kills;
        a->frozen_total = r->frozen_total;
}

static void adopt_one(Manager *m, AgentRecord *r) {
        DaemonState *s = m->state_files;
        PassedFds *passed = s->passed ? hashmap_get(s->passed, r->name) : NULL;
        Supervisor *sup = manager_find_supervisor(m, r->spec.supervisor);
        SvAgentSaved saved = {
                .state = (SvRestoreState) r->core,
                .restart_count = r->restart_count,
                .consecutive = r->consecutive,
                .started_at = r->started_monotonic,
                .deadline = r->restart_deadline,
        };
        bool alive = r->core == AGENT_RECORD_RUNNING || r->core >= AGENT_RECORD_STOPPING_REQUEST;
        Agent *a = NULL;
        int k;

        r->spec.oom_score_adj_set = r->oom_score_adj_set;
        k = agent_new(m, r->name, r->type, &r->spec, sup, &a);
        if (k >= 0) {
                record_to_agent(a, r);
                k = sv_agent_restore(m->sv, sup->sv, a->spec.restart, a, &saved, &a->sv);
        }
        if (k < 0) {
                log_agent_full(LOG_ERR, r->name, "cannot take it over: %s", strerror(-k));
                if (a) {
                        hashmap_remove(m->agents, a->name);
                        agent_free(a);
                }
                if (r->cgroup)
                        kill_kept_group(m, sup, r->name);
                return;
        }
        a->state = agent_get_state(a);
        if (alive)
                adopt_invocation(a, r, passed);
        /* Its seccomp listener, counts and learned set (agent-violation-carry.c). */
        agent_violation_takeover(a, passed ? &passed->violations : NULL, passed ? &passed->listener_fd : NULL,
                                 r->listener);
        daemon_state_agent_changed(a);
}

void daemon_state_adopt(Manager *m) {
        DaemonState *s = m->state_files;

        if (!s)
                return;
        for (size_t i = 0; i < s->n_records; i++)
                adopt_one(m, &s->records[i]);
        if (s->n_records > 0)
                log_info("Took over the state of %zu agents%s", s->n_records,
                         s->reexecuted ? " from the daemon's previous image" : "");
        daemon_state_loaded_done(m);
        manager_dispatch_actions(m);
        daemon_state_supervisors_changed(m);
}
