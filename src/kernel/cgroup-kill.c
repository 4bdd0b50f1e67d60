/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ending what runs in a group: cgroup.kill, or SIGKILL by pidfd where the
 * kernel has none; and clearing the groups an earlier daemon left. */

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <string.h>
#include <time.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "log.h"
#include "path-util.h"
#include "time-util.h"

#define STALE_WAIT_USEC (2 * USEC_PER_SEC)
#define STALE_POLL_USEC (10 * USEC_PER_MSEC)
/* Killing by pid (no cgroup.kill): rounds until cgroup.procs is empty, each
 * after a short pause; bounded, as it runs on the daemon's loop. */
#define KILL_ROUNDS_MAX 50
#define KILL_ROUND_PAUSE_USEC (2 * USEC_PER_MSEC)

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static void sleep_usec(usec_t t) {
        struct timespec ts = { .tv_sec = (time_t) (t / USEC_PER_SEC), .tv_nsec = (long) (t % USEC_PER_SEC) * 1000 };

        (void) nanosleep(&ts, NULL);
}

int cgroup_populated_at(int dfd, const char *dir) {
        _cleanup_free_ char *file = NULL;
        uint64_t v;
        int r;

        file = path_join(dir, "cgroup.events");
        if (!file)
                return -ENOMEM;
        r = cgfs_read_keyed(dfd, file, "populated", &v);
        if (r < 0)
                return r;
        return v > 0;
}

static bool pid_listed(const pid_t *pids, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* One round of SIGKILL by pid: a pidfd is opened for each process listed,
 * then the list is read again, and only a pidfd whose pid is still listed is
 * signalled: the pidfd pins the process it was opened for, so a pid that was
 * reused in between (by a process elsewhere) is never hit. Returns how many
 * processes were listed at first (0: the group is empty) or -errno. */
static int kill_round_at(int dfd, const char *procs) {
        _cleanup_free_ pid_t *pids = NULL, *again = NULL;
        _cleanup_free_ int *fds = NULL;
        size_t n, m;
        int r;

        r = cgfs_read_pids(dfd, procs, &pids, &n);
        if (r < 0 || n == 0)
                return r;
        fds = malloc(n * sizeof(int));
        if (!fds)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fds[i] = (int) syscall(SYS_pidfd_open, pids[i], 0);
        r = cgfs_read_pids(dfd, procs, &again, &m);
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;        /* gone already */
                if (r >= 0 && pid_listed(again, m, pids[i]) &&
                    syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0) < 0 && errno != ESRCH && r >= 0)
                        r = -errno;
                safe_close(fds[i]);
        }
        return r < 0 ? r : (int) MIN(n, (size_t) INT32_MAX);
}

/* dir "" with dfd names the directory dfd itself. */
static int kill_by_pids_at(int dfd, const char *dir) {
        _cleanup_free_ char *procs = NULL, *freeze = NULL;
        int r = 0;

        procs = path_join(dir, "cgroup.procs");
        freeze = path_join(dir, "cgroup.freeze");
        if (!procs || !freeze)
                return -ENOMEM;
        /* Frozen (v2, 5.2+), nothing forks while we read and kill; SIGKILL
         * still ends a frozen task. The group stays frozen: it is going. */
        (void) cgfs_write(dfd, freeze, "1");
        for (unsigned round = 0; round < KILL_ROUNDS_MAX; round++) {
                if (round > 0)
                        sleep_usec(KILL_ROUND_PAUSE_USEC);
                r = kill_round_at(dfd, procs);
                if (r <= 0)
                        return r;
        }
        return -EBUSY;
}

int cgroup_kill_by_pids(Cgroup *c) {
        _cleanup_close_ int dfd = -EBADF;

        /* Held for the rounds of this one kill only. */
        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        return kill_by_pids_at(dfd, "");
}

/* dir "" with dfd names the directory dfd itself. */
static int kill_at(int dfd, const char *dir) {
        _cleanup_free_ char *file = NULL;
        int r;

        file = path_join(dir, "cgroup.kill");
        if (!file)
                return -ENOMEM;
        r = cgfs_write(dfd, file, "1");
        if (r != -ENOENT)
                return r;
        return kill_by_pids_at(dfd, dir);
}

/* A stale group: everything in it is killed, waited for (bounded) and the
 * directory removed. v2 groups report emptiness in cgroup.events; v1 groups
 * are retried until their cgroup.procs is empty. */
static int stale_group_remove(const char *dir, bool v2) {
        usec_t deadline = now_monotonic() + STALE_WAIT_USEC;
        int r;

        for (;;) {
                if (v2) {
                        r = cgroup_populated_at(AT_FDCWD, dir);
                        if (r == 1)
                                r = kill_at(AT_FDCWD, dir);
                } else {
                        _cleanup_free_ char *procs = NULL;

                        procs = path_join(dir, "cgroup.procs");
                        if (!procs)
                                return -ENOMEM;
                        r = kill_round_at(AT_FDCWD, procs);
                }
                if (r < 0)
                        return r;
                if (r == 0 && cgfs_rmdir(dir) >= 0)
                        return 0;
                if (now_monotonic() >= deadline)
                        return -EBUSY;
                sleep_usec(STALE_POLL_USEC);
        }
}

static bool rel_kept(char *const *keep, const char *rel) {
        for (size_t i = 0; keep && keep[i]; i++)
                if (strcmp(keep[i], rel) == 0)
                        return true;
        return false;
}

/* rel: dir beneath the root group ("" for the root group itself). A kept
 * group is left as it is, with everything in it; so are its ancestors
 * (supervisor groups, which hold no processes of their own: killing one
 * would kill the kept group beneath it). */
static int stale_tree(const char *dir, bool v2, bool remove_self, char *const *keep, const char *rel,
                      bool *ret_kept) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        bool kept = false;
        int r;

        if (rel_kept(keep, rel)) {
                *ret_kept = true;
                return 0;
        }
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub = NULL, *sub_rel = NULL;
                bool k = false;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = path_join(dir, de->d_name);
                sub_rel = *rel ? path_join(rel, de->d_name) : strdup(de->d_name);
                if (!sub || !sub_rel)
                        return -ENOMEM;
                r = stale_tree(sub, v2, true, keep, sub_rel, &k);
                if (r < 0)
                        return r;
                kept = kept || k;
        }
        *ret_kept = kept;
        if (!remove_self || kept)
                return 0;
        r = stale_group_remove(dir, v2);
        if (r < 0)
                return r;
        log_warning("Removed stale cgroup %s left by an earlier daemon.", dir);
        return 0;
}

int cgroup_stale_tree_remove(const char *dir, bool v2, bool remove_self, char *const *keep) {
        bool kept = false;

        return stale_tree(dir, v2, remove_self, keep, "", &kept);
}

/* The group's directory by path, beneath the root's fd (the group holds
 * none): a group gone is -ENOENT, as a read beneath a kept fd of the
 * removed directory was. */
int cgroup_is_populated(const Cgroup *c) {
        return cgroup_populated_at(c->root->lock_fd, *c->rel ? c->rel : "");
}

int cgroup_kill(Cgroup *c) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        return kill_at(dfd, "");
}

int cgroup_pids(const Cgroup *c, pid_t **ret, size_t *ret_n) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        return cgfs_read_pids(dfd, "cgroup.procs", ret, ret_n);
}
