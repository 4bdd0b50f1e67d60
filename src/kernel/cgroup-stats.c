/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Accounting of a group: CPU time, memory, tasks, OOM kills and memory
 * pressure, from cgroup v2 files or, on hybrid hosts, the v1 ones. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "path-util.h"

/* Reads one value of the agent's v1 group of controller k; -ENOENT when
 * there is no such group. */
static int read_v1(const Cgroup *c, CgroupV1Controller k, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *dir = NULL, *path = NULL;

        if (!c->v1_made[k])
                return -ENOENT;
        dir = cgroup_v1_dir(c, k);
        path = dir ? path_join(dir, file) : NULL;
        if (!path)
                return -ENOMEM;
        return key ? cgfs_read_keyed(AT_FDCWD, path, key, ret) : cgfs_read_uint64(AT_FDCWD, path, ret);
}

static int read_v2(const Cgroup *c, const char *file, const char *key, uint64_t *ret) {
        if (!c->root->unified)
                return -ENOENT;
        return key ? cgfs_read_keyed(c->fd, file, key, ret) : cgfs_read_uint64(c->fd, file, ret);
}

/* A missing file or key is "not known" (fallback), anything else an error. */
static int read_either(const Cgroup *c, CgroupV1Controller k, const char *v2_file, const char *v2_key,
                       const char *v1_file, const char *v1_key, uint64_t fallback, uint64_t *ret) {
        int q;

        q = read_v2(c, v2_file, v2_key, ret);
        if (q == -ENOENT || q == -ENODATA)
                q = read_v1(c, k, v1_file, v1_key, ret);
        if (q == -ENOENT || q == -ENODATA) {
                *ret = fallback;
                return 0;
        }
        return q;
}

int cgroup_read_cpu_usage(const Cgroup *c, nsec_t *ret) {
        uint64_t usec;
        int k;

        k = cgfs_read_keyed(c->fd, "cpu.stat", "usage_usec", &usec);
        if (k < 0)
                return k;
        *ret = usec > UINT64_MAX / NSEC_PER_USEC ? UINT64_MAX : usec * NSEC_PER_USEC;
        return 0;
}

int cgroup_read_oom_kills(const Cgroup *c, uint64_t *ret) {
        return read_either(c, CGROUP_V1_MEMORY, "memory.events", "oom_kill", "memory.oom_control", "oom_kill",
                           0, ret);
}

int cgroup_read_memory_pressure(const Cgroup *c, double *ret) {
        _cleanup_free_ char *text = NULL;
        const char *p;
        double v;
        int k;

        /* PSI is a cgroup2 file that exists without the memory controller. */
        k = cgfs_read(c->fd, "memory.pressure", &text);
        if (k < 0)
                return k;
        p = strstr(text, "some avg10=");
        if (!p || sscanf(p, "some avg10=%lf", &v) != 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cgroup_read_stats(const Cgroup *c, CgroupStats *ret) {
        CgroupStats s;
        int k;

        /* cpu.stat exists in every v2 group, controllers or not: it tells
         * whether the group is still there. */
        k = cgroup_read_cpu_usage(c, &s.cpu_usage_nsec);
        if (k >= 0)
                k = read_either(c, CGROUP_V1_MEMORY, "memory.current", NULL, "memory.usage_in_bytes", NULL,
                                UINT64_MAX, &s.memory_current);
        if (k >= 0)
                k = read_either(c, CGROUP_V1_MEMORY, "memory.peak", NULL, "memory.max_usage_in_bytes", NULL,
                                UINT64_MAX, &s.memory_peak);
        if (k >= 0)
                k = read_either(c, CGROUP_V1_PIDS, "pids.current", NULL, "pids.current", NULL, UINT64_MAX,
                                &s.tasks_current);
        if (k >= 0 && s.tasks_current == UINT64_MAX)
                k = cgfs_count_lines(c->fd, "cgroup.threads", &s.tasks_current);
        if (k >= 0)
                k = cgroup_read_oom_kills(c, &s.oom_kills);
        if (k < 0)
                return k;
        *ret = s;
        return 0;
}
