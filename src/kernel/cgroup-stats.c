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

/* dfd: c's v2 directory, opened by the caller for all its reads. */
static int read_v2(const Cgroup *c, int dfd, const char *file, const char *key, uint64_t *ret) {
        if (!c->root->unified)
                return -ENOENT;
        return key ? cgfs_read_keyed(dfd, file, key, ret) : cgfs_read_uint64(dfd, file, ret);
}

/* A missing file or key is "not known" (fallback), anything else an error. */
static int read_either(const Cgroup *c, int dfd, CgroupV1Controller k, const char *v2_file, const char *v2_key,
                       const char *v1_file, const char *v1_key, uint64_t fallback, uint64_t *ret) {
        int q;

        q = read_v2(c, dfd, v2_file, v2_key, ret);
        if (q == -ENOENT || q == -ENODATA)
                q = read_v1(c, k, v1_file, v1_key, ret);
        if (q == -ENOENT || q == -ENODATA) {
                *ret = fallback;
                return 0;
        }
        return q;
}

static int read_cpu_usage_at(int dfd, nsec_t *ret) {
        uint64_t usec;
        int k;

        k = cgfs_read_keyed(dfd, "cpu.stat", "usage_usec", &usec);
        if (k < 0)
                return k;
        *ret = usec > UINT64_MAX / NSEC_PER_USEC ? UINT64_MAX : usec * NSEC_PER_USEC;
        return 0;
}

int cgroup_read_cpu_usage(const Cgroup *c, nsec_t *ret) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        return read_cpu_usage_at(dfd, ret);
}

static int read_oom_kills_at(const Cgroup *c, int dfd, uint64_t *ret) {
        return read_either(c, dfd, CGROUP_V1_MEMORY, "memory.events", "oom_kill", "memory.oom_control", "oom_kill",
                           0, ret);
}

int cgroup_read_oom_kills(const Cgroup *c, uint64_t *ret) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        return read_oom_kills_at(c, dfd, ret);
}

int cgroup_read_memory_pressure(const Cgroup *c, double *ret) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *text = NULL;
        const char *p;
        double v;
        int k;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        /* PSI is a cgroup2 file that exists without the memory controller. */
        k = cgfs_read(dfd, "memory.pressure", &text);
        if (k < 0)
                return k;
        p = strstr(text, "some avg10=");
        if (!p || sscanf(p, "some avg10=%lf", &v) != 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cgroup_read_stats(const Cgroup *c, CgroupStats *ret) {
        _cleanup_close_ int dfd = -EBADF;
        CgroupStats s;
        int k;

        /* Opened once for all the reads. Gone, it is -ENOENT, as reading
         * cpu.stat (in every v2 group, controllers or not) was. */
        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        k = read_cpu_usage_at(dfd, &s.cpu_usage_nsec);
        if (k >= 0)
                k = read_either(c, dfd, CGROUP_V1_MEMORY, "memory.current", NULL, "memory.usage_in_bytes", NULL,
                                UINT64_MAX, &s.memory_current);
        if (k >= 0)
                k = read_either(c, dfd, CGROUP_V1_MEMORY, "memory.peak", NULL, "memory.max_usage_in_bytes", NULL,
                                UINT64_MAX, &s.memory_peak);
        if (k >= 0)
                k = read_either(c, dfd, CGROUP_V1_PIDS, "pids.current", NULL, "pids.current", NULL, UINT64_MAX,
                                &s.tasks_current);
        if (k >= 0 && s.tasks_current == UINT64_MAX)
                k = cgfs_count_lines(dfd, "cgroup.threads", &s.tasks_current);
        if (k >= 0)
                k = read_oom_kills_at(c, dfd, &s.oom_kills);
        if (k < 0)
                return k;
        *ret = s;
        return 0;
}
