/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reexecute(): the daemon replaces its own image and carries every agent
 * over (see daemon-state.h).
 *
 * Before the exec the state files are written whole. Exactly these fds lose
 * FD_CLOEXEC: each running agent's pidfd (its end, even during the exec, is
 * then read with its exact status: the agents stay our children), the read
 * end of each agent's pipe to its log file (a write into a pipe without a
 * reader would kill it with SIGPIPE), the notify socket (messages sent
 * during the exec wait in its queue) and the lock that makes this daemon
 * the ControlGroup's (never released, so no second daemon can start in
 * between), and the lock of each dynamic uid held (else another agentvisord
 * sharing the lock directory could take a uid still in use meanwhile).
 * The output pipe is the read end the daemon holds for the invocation
 * (never one found through /proc/PID/fd/1, which the agent controls: it
 * could name another agent's pipe there). Their numbers go in a memfd, one
 * line each:
 *
 *     notify FD
 *     lock FD
 *     agent NAME PIDFD OUTPUTFD      (OUTPUTFD -1: none)
 *     listener NAME FD               (its seccomp listener)
 *     uidlock NAME UID FD            (the lock of its dynamic uid)
 *     viol NAME ...  learn NAME ...  (what was counted and learned:
 *                                     agent-violation-carry.c)
 *
 * whose own number is in $AGENTVISORD_REEXEC_FD. Everything else (the bus
 * connection, cgroup directories, inotify, timers) is opened again by the
 * new image: cgroup directories by their path, under the cgroup root's lock
 * taken again. Deadlines are kept as absolute CLOCK_MONOTONIC times, which
 * execve() does not reset.
 *
 * The binary is executed by the path it was started from (resolved at
 * start), so that an upgraded file takes over; /proc/self/exe when that
 * path is gone. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent-violation.h"
#include "agent-output.h"
#include "agent.h"
#include "daemon-state.h"
#include "dynamic-user.h"
#include "fileio.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"


static char **saved_argv;
static char *binary;

int daemon_reexec_init(char **argv) {
        char buf[4096];
        ssize_t n;

        saved_argv = argv;
        n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0)
                return -errno;
        buf[n] = 0;
        binary = strdup(buf);
        return binary ? 0 : -ENOMEM;
}

static int parse_fd(const char *s, int *ret) {
        int fd;

        if (parse_int(s, &fd) < 0 || fd < 0)
                return -EBADF;
        *ret = fd;
        return 0;
}

static int set_cloexec(int fd, bool on) {
        return fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0) < 0 ? -errno : 0;
}

int daemon_reexec_prepare(Manager *m) {
        int r;

        if (!binary || (access(binary, X_OK) < 0 && access("/proc/self/exe", X_OK) < 0))
                return -ENOEXEC;
        if (!m->state_files || m->state_files->disabled)
                return -ENOTDIR;
        /* Each agent's file is current but for what changed since the last
         * loop iteration: only that is written now (1000 agents must not
         * cost 1000 file writes before the exec). */
        daemon_state_supervisors_changed(m);
        r = daemon_state_flush(m, true);
        return r < 0 ? r : 0;
}

/* The lock of the dynamic uid a holds, if any. */
static void serialize_uid_lock(Manager *m, Agent *a, FILE *f, int *fds, size_t *n) {
        int fd;

        if (!a->uid_dynamic || !m->dynamic_users)
                return;
        fd = dynamic_user_lock_fd(m->dynamic_users, a->name);
        if (fd < 0)
                return;
        fprintf(f, "uidlock %s %u %d\n", a->name, (unsigned) a->uid, fd);
        fds[(*n)++] = fd;
}

/* Writes the fd list and clears FD_CLOEXEC on each fd in it; *ret_fds
 * lists them, for the way back when execve() fails. */
static int serialize(Manager *m, int memfd, int **ret_fds, size_t *ret_n) {
        _cleanup_free_ int *fds = NULL;
        FILE *f = fdopen(dup(memfd), "w");
        size_t n = 0;
        Agent *a;

        fds = calloc(2 + 4 * hashmap_size(m->agents), sizeof(int));
        if (!f || !fds) {
                if (f)
                        fclose(f);
                return -ENOMEM;
        }
        fprintf(f, "notify %d\nlock %d\n", m->notify_fd, m->notify_lock_fd);
        fds[n++] = m->notify_fd;
        fds[n++] = m->notify_lock_fd;
        HASHMAP_FOREACH(a, m->agents) {
                int out, listener = -EBADF;

                /* Without its listener every reported syscall would fail
                 * with ENOSYS and a `kill report` rule no longer kill. */
                if (agent_violation_serialize(a, f, &listener) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                if (listener >= 0)
                        fds[n++] = listener;
                serialize_uid_lock(m, a, f, fds, &n);
                if (a->pidfd < 0 || a->main_exited)
                        continue;
                out = m->journal ? -EBADF : agent_output_read_fd(a, NULL, NULL);
                if (out < 0)
                        out = -1;
                fprintf(f, "agent %s %d %d\n", a->name, a->pidfd, out);
                fds[n++] = a->pidfd;
                if (out >= 0)
                        fds[n++] = out;
        }
        if (fclose(f) != 0)
                return -EIO;
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        (void) set_cloexec(fds[i], false);
        *ret_fds = TAKE_PTR(fds);
        *ret_n = n;
        return 0;
}

int daemon_reexec(Manager *m) {
        _cleanup_close_ int memfd = -EBADF;
        _cleanup_free_ int *fds = NULL;
        char num[32];
        size_t n = 0;
        int r;

        memfd = memfd_create("agentvisord-reexec", MFD_CLOEXEC);
        if (memfd < 0)
                return log_error_errno(errno, "Reexecute failed: cannot create the memfd: %m");
        r = serialize(m, memfd, &fds, &n);
        if (r < 0)
                return log_error_errno(r, "Reexecute failed: cannot write the fd list: %m");
        (void) set_cloexec(memfd, false);
        snprintf(num, sizeof num, "%d", memfd);
        if (setenv(REEXEC_FD_ENV, num, 1) < 0)
                r = -errno;
        else {
                log_info("Executing %s anew, carrying %zu agents over", binary, hashmap_size(m->agents));
                if (m->bus)
                        (void) sd_bus_flush(m->bus);
                manager_isolation_before_exec(m);
                execve(binary, saved_argv, environ);
                r = -errno;
                if (r == -ENOENT)
                        execve("/proc/self/exe", saved_argv, environ);
                r = -errno;
                (void) unsetenv(REEXEC_FD_ENV);
        }
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        (void) set_cloexec(fds[i], true);
        return log_error_errno(r, "Reexecute failed: cannot execute %s: %m; the daemon goes on", binary);
}

/* The receiving side. */

static int take_fd(const char *s, int *ret) {
        int fd;

        if (parse_fd(s, &fd) < 0 || fd < 3 || fcntl(fd, F_GETFD) < 0)
                return -EBADF;
        (void) set_cloexec(fd, true);
        *ret = fd;
        return 0;
}

static PassedFds *passed_get(DaemonState *s, const char *name) {
        PassedFds *p = hashmap_get(s->passed, name);

        if (p)
                return p;
        p = calloc(1, sizeof *p);
        if (!p || !(p->name = strdup(name))) {
                free(p);
                return NULL;
        }
        p->pidfd = p->output_fd = p->listener_fd = p->uid_lock_fd = -EBADF;
        if (hashmap_put(s->passed, p->name, p) < 0) {
                free(p->name);
                return mfree(p);
        }
        return p;
}

/* "viol NAME ...", "learn NAME ...": for agent-violation-carry.c. */
static int receive_carried(DaemonState *s, const char *kind, char *line) {
        char *name = line + strlen(kind) + 1, *rest = strchr(name, ' ');
        PassedFds *p;

        if (!rest)
                return -EBADMSG;
        *rest++ = 0;
        p = passed_get(s, name);
        if (!p)
                return -ENOMEM;
        return agent_violation_deserialize(&p->violations, kind, rest);
}

static int receive_line(DaemonState *s, char *line) {
        char *w[4] = {};
        unsigned uid;
        size_t n = 0;
        PassedFds *p;

        if (strncmp(line, "viol ", 5) == 0)
                return receive_carried(s, "viol", line);
        if (strncmp(line, "learn ", 6) == 0)
                return receive_carried(s, "learn", line);
        for (char *tok = strtok(line, " "); tok && n < 4; tok = strtok(NULL, " "))
                w[n++] = tok;
        if (n == 2 && strcmp(w[0], "notify") == 0)
                return take_fd(w[1], &s->notify_fd);
        if (n == 2 && strcmp(w[0], "lock") == 0)
                return take_fd(w[1], &s->lock_fd);
        if (n == 4 && strcmp(w[0], "uidlock") == 0) {
                p = passed_get(s, w[1]);
                if (!p)
                        return -ENOMEM;
                if (p->uid_lock_fd >= 0 || parse_uint(w[2], &uid) < 0)
                        return -EBADMSG;
                p->uid = (uid_t) uid;
                return take_fd(w[3], &p->uid_lock_fd);
        }
        if (n == 3 && strcmp(w[0], "listener") == 0) {
                p = passed_get(s, w[1]);
                if (!p)
                        return -ENOMEM;
                if (p->listener_fd >= 0)
                        return -EBADMSG;
                return take_fd(w[2], &p->listener_fd);
        }
        if (n != 4 || strcmp(w[0], "agent") != 0)
                return -EBADMSG;
        p = passed_get(s, w[1]);
        if (!p)
                return -ENOMEM;
        if (p->pidfd >= 0)
                return -EBADMSG;
        (void) take_fd(w[2], &p->pidfd);
        if (strcmp(w[3], "-1") != 0)
                (void) take_fd(w[3], &p->output_fd);
        return 0;
}

int daemon_reexec_receive(Manager *m) {
        DaemonState *s = m->state_files;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int memfd = -EBADF;
        const char *e = getenv(REEXEC_FD_ENV);
        char path[64];
        int r;

        if (!e)
                return 0;
        r = take_fd(e, &memfd);
        (void) unsetenv(REEXEC_FD_ENV);
        if (r < 0)
                return log_error_errno(r, "$%s=%s names no open fd: starting afresh", REEXEC_FD_ENV, e), 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot read the fds passed by the previous image: %m");
        s->passed = hashmap_new_string();
        if (!s->passed)
                return -ENOMEM;
        s->reexecuted = true;
        for (char *line = text, *nl; line && *line; line = nl) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                r = receive_line(s, line);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        log_warning("Ignoring a bad line of the fds passed by the previous image: %s", line);
        }
        log_info("Executed anew: %u agents passed over", (unsigned) hashmap_size(s->passed));
        return 0;
}
