/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Freezing and thawing an agent's group, and killing it while frozen (see
 * cgroup-freeze.h): cgroup.freeze of cgroup v2, else the v1 freezer. */

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-freeze.h"
#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "path-util.h"

/* Where the root group would sit in the v1 freezer hierarchy, named as in
 * the other v1 hierarchies (cgroup_v1_root_name()); made on first use. */
static int v1_root_dir(CgroupRoot *r, char **ret) {
        _cleanup_free_ char *own = NULL, *own_dir = NULL, *own_v2 = NULL, *v1_name = NULL;
        const char *name = strrchr(r->path, '/');
        int k;

        if (!name)
                return -EINVAL;
        own_v2 = name == r->path ? strdup("/") : strndup(r->path, (size_t) (name - r->path));
        if (!own_v2)
                return -ENOMEM;
        k = cgfs_own_path("freezer", &own);
        if (k < 0)
                return k;
        k = cgfs_v1_dir("freezer", own, &own_dir);
        if (k < 0)
                return k;
        k = cgroup_v1_root_name(name + 1, own_v2, own, &v1_name);
        if (k < 0)
                return k;
        *ret = path_join(own_dir, v1_name);
        return *ret ? 0 : -ENOMEM;
}

int cgroup_freezer_use_v1(CgroupRoot *r) {
        _cleanup_free_ char *dir = NULL;
        int k;

        k = v1_root_dir(r, &dir);
        if (k < 0)
                return k;
        free(r->freezer_v1_dir);
        r->freezer_v1_dir = TAKE_PTR(dir);
        r->freezer = CGROUP_FREEZER_V1;
        r->freezer_probed = true;
        return 0;
}

CgroupFreezer cgroup_root_freezer(CgroupRoot *r) {
        if (r->freezer_probed)
                return r->freezer;
        r->freezer_probed = true;
        /* The root group is never the hierarchy's root, which has no
         * cgroup.freeze: the file tells whether the kernel has the v2 freezer. */
        if (faccessat(r->lock_fd, "cgroup.freeze", W_OK, 0) >= 0)
                r->freezer = CGROUP_FREEZER_V2;
        else if (!r->unified && cgroup_freezer_use_v1(r) >= 0)
                r->freezer = CGROUP_FREEZER_V1;
        else
                r->freezer = CGROUP_FREEZER_NONE;
        return r->freezer;
}

static char *v1_dir(const Cgroup *c) {
        return path_join(c->root->freezer_v1_dir, c->rel);
}

static bool pid_in(const pid_t *pids, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* Moves the processes of c's v2 group that are not yet in its v1 freezer
 * group there; returns how many were moved (a process gone meanwhile is not
 * one). A group is moved a process at a time: one that forks meanwhile
 * leaves a child behind, which the next call (cgroup_is_frozen()) moves. */
static int v1_adopt(Cgroup *c, const char *dir) {
        _cleanup_free_ pid_t *v2 = NULL, *v1 = NULL;
        _cleanup_free_ char *procs = NULL;
        size_t n2 = 0, n1 = 0;
        int k, moved = 0;

        procs = path_join(dir, "cgroup.procs");
        if (!procs)
                return -ENOMEM;
        k = cgroup_pids(c, &v2, &n2);
        if (k < 0)
                return k;
        k = cgfs_read_pids(AT_FDCWD, procs, &v1, &n1);
        if (k < 0)
                return k;
        for (size_t i = 0; i < n2; i++) {
                char buf[16];

                if (pid_in(v1, n1, v2[i]))
                        continue;
                snprintf(buf, sizeof buf, "%d", (int) v2[i]);
                k = cgfs_write(AT_FDCWD, procs, buf);
                if (k == -ESRCH)
                        continue;
                if (k < 0)
                        return k;
                moved++;
        }
        return moved;
}

static int v1_freeze(Cgroup *c, bool freeze) {
        _cleanup_free_ char *dir = NULL, *state = NULL;
        int k;

        dir = v1_dir(c);
        state = dir ? path_join(dir, "freezer.state") : NULL;
        if (!state)
                return -ENOMEM;
        if (!freeze) {
                k = cgfs_write(AT_FDCWD, state, "THAWED");
                return k == -ENOENT ? 0 : k;         /* never frozen */
        }
        if (mkdir(c->root->freezer_v1_dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        k = cgfs_mkdir_p(c->root->freezer_v1_dir, c->rel);
        if (k < 0)
                return k;
        k = v1_adopt(c, dir);
        if (k < 0)
                return k;
        return cgfs_write(AT_FDCWD, state, "FROZEN");
}

/* A file of c's v2 group by its path beneath the root group's fd (the
 * group holds none); "cgroup.freeze" of the root group itself for c's "". */
static char *v2_file(const Cgroup *c, const char *file) {
        return path_join(c->rel, file);
}

int cgroup_freeze(Cgroup *c, bool freeze) {
        _cleanup_free_ char *file = NULL;

        switch (cgroup_root_freezer(c->root)) {
        case CGROUP_FREEZER_V2:
                file = v2_file(c, "cgroup.freeze");
                return file ? cgfs_write(c->root->lock_fd, file, freeze ? "1" : "0") : -ENOMEM;
        case CGROUP_FREEZER_V1:
                return v1_freeze(c, freeze);
        default:
                return -EOPNOTSUPP;
        }
}

static int v1_is_frozen(Cgroup *c) {
        _cleanup_free_ char *dir = NULL, *state = NULL, *s = NULL;
        int k;

        dir = v1_dir(c);
        state = dir ? path_join(dir, "freezer.state") : NULL;
        if (!state)
                return -ENOMEM;
        k = cgfs_read(AT_FDCWD, state, &s);
        if (k == -ENOENT)
                return 0;                    /* never frozen */
        if (k < 0)
                return k;
        if (strncmp(s, "THAWED", 6) == 0)
                return 0;
        /* FREEZING or FROZEN: the stragglers join, and it is FROZEN only
         * once none was left. */
        k = v1_adopt(c, dir);
        if (k != 0)
                return k < 0 ? k : 0;
        return strncmp(s, "FROZEN", 6) == 0;
}

int cgroup_is_frozen(Cgroup *c) {
        _cleanup_free_ char *file = NULL;
        uint64_t v;
        int k;

        switch (cgroup_root_freezer(c->root)) {
        case CGROUP_FREEZER_V2:
                file = v2_file(c, "cgroup.events");
                if (!file)
                        return -ENOMEM;
                k = cgfs_read_keyed(c->root->lock_fd, file, "frozen", &v);
                return k < 0 ? k : v > 0;
        case CGROUP_FREEZER_V1:
                return v1_is_frozen(c);
        default:
                return -EOPNOTSUPP;
        }
}

int cgroup_kernel_frozen(const Cgroup *c) {
        _cleanup_free_ char *dir = NULL, *state = NULL, *s = NULL;
        _cleanup_close_ int dfd = -EBADF;
        uint64_t v;
        int k;

        dfd = cgroup_dir_open(c);
        k = dfd < 0 ? dfd : cgfs_read_keyed(dfd, "cgroup.events", "frozen", &v);
        if (k >= 0 && v > 0)
                return 1;
        k = dfd < 0 ? dfd : cgfs_read(dfd, "cgroup.freeze", &s);
        if (k >= 0 && s[0] == '1')
                return 1;
        if (!c->root->freezer_v1_dir)
                return 0;
        s = mfree(s);
        dir = v1_dir(c);
        state = dir ? path_join(dir, "freezer.state") : NULL;
        if (!state)
                return -ENOMEM;
        k = cgfs_read(AT_FDCWD, state, &s);
        if (k < 0)
                return k == -ENOENT ? 0 : k;
        return strncmp(s, "THAWED", 6) != 0;
}

bool cgroup_freeze_notifies(Cgroup *c) {
        return cgroup_root_freezer(c->root) == CGROUP_FREEZER_V2;
}

/* SIGKILL to every process of the v1 freezer group, through a pidfd each
 * (the pid was just listed in the group; a frozen process cannot exit, so
 * it is not reused before the signal). */
static int v1_signal_all(const char *dir) {
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *procs = NULL;
        size_t n = 0;
        int k;

        procs = path_join(dir, "cgroup.procs");
        if (!procs)
                return -ENOMEM;
        k = cgfs_read_pids(AT_FDCWD, procs, &pids, &n);
        if (k < 0)
                return k == -ENOENT ? 0 : k;
        for (size_t i = 0; i < n; i++) {
                int fd = (int) syscall(SYS_pidfd_open, pids[i], 0);

                if (fd < 0)
                        continue;
                (void) syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
                close(fd);
        }
        return 0;
}

int cgroup_kill_frozen(Cgroup *c) {
        _cleanup_free_ char *dir = NULL;
        int k;

        if (cgroup_root_freezer(c->root) != CGROUP_FREEZER_V1)
                return cgroup_kill(c);
        dir = v1_dir(c);
        if (!dir)
                return -ENOMEM;
        k = v1_signal_all(dir);
        if (k < 0)
                return k;
        k = v1_freeze(c, false);
        if (k < 0)
                return k;
        /* Whatever was not in the freezer group yet. */
        return cgroup_kill(c);
}

int cgroup_freeze_v1_remove(Cgroup *c) {
        _cleanup_free_ char *dir = NULL;

        if (!c->root->freezer_v1_dir || !*c->rel)
                return 0;
        dir = v1_dir(c);
        return dir ? cgfs_rmdir(dir) : -ENOMEM;
}

void cgroup_freeze_root_done(CgroupRoot *r) {
        if (r->freezer_v1_dir && r->lock_fd >= 0)
                (void) cgfs_rmdir(r->freezer_v1_dir);
        r->freezer_v1_dir = mfree(r->freezer_v1_dir);
}
