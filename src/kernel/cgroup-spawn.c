/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A group's fds for one spawn: its v2 directory (CLONE_INTO_CGROUP) and, on
 * hybrid hosts, the `tasks` files of its v1 groups. Opened for the spawn
 * and closed after it, never kept for the agent's life: each fd held per
 * agent is one agent fewer under RLIMIT_NOFILE (at 10,000 agents the
 * daemon ran out), and a group the daemon made is found by its path as
 * surely as by an fd. */

#include <fcntl.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "path-util.h"

int cgroup_dir_fd(Cgroup *c) {
        if (c->spawn_dir_fd < 0) {
                int fd = cgroup_dir_open(c);

                if (fd < 0)
                        return fd;
                c->spawn_dir_fd = fd;
        }
        return c->spawn_dir_fd;
}

/* The child joins each v1 group by writing "0" to its `tasks`, not to its
 * `cgroup.procs`: the same move for the child, a thread group of one (no
 * CLONE_THREAD), but a process move write-locks the kernel's global
 * cgroup_threadgroup_rwsem, and taking that percpu rwsem waits for an RCU
 * grace period unless another move came within the last one. Measured here
 * (6.18, hybrid): a move into a v1 group 20 ms or more after the previous
 * one took 7.8 ms through cgroup.procs and 0.09 ms through tasks; back to
 * back both take about 0.03 ms. The kernel skips that lock for a single
 * thread moving itself. */
int cgroup_v1_procs_open(Cgroup *c, const int **ret, size_t *ret_n) {
        int k;

        if (c->n_v1_procs_fds == 0) {
                k = cgroup_dir_fd(c);
                if (k < 0)
                        return k;
                for (CgroupV1Controller i = 0; c->agent && i < _CGROUP_V1_MAX; i++) {
                        _cleanup_free_ char *dir = NULL, *procs = NULL;
                        int fd;

                        if (!c->root->v1_dir[i] || !c->v1_made[i])
                                continue;
                        dir = cgroup_v1_dir(c, i);
                        procs = dir ? path_join(dir, "tasks") : NULL;
                        if (!procs) {
                                k = -ENOMEM;
                                goto fail;
                        }
                        fd = open(procs, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
                        if (fd < 0) {
                                k = -errno;
                                goto fail;
                        }
                        c->v1_procs_fds[c->n_v1_procs_fds++] = fd;
                }
        }
        *ret = c->v1_procs_fds;
        *ret_n = c->n_v1_procs_fds;
        return 0;

fail:
        cgroup_v1_procs_close(c);
        return k;
}

void cgroup_v1_procs_close(Cgroup *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_v1_procs_fds; i++)
                c->v1_procs_fds[i] = safe_close(c->v1_procs_fds[i]);
        c->n_v1_procs_fds = 0;
        c->spawn_dir_fd = safe_close(c->spawn_dir_fd);
}
