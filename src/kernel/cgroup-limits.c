/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Limits of the agents' and supervisors' groups: TasksMax, MemoryMax and
 * CPUQuota as pids, memory and cpu files of cgroup v2, or of the v1
 * hierarchies on hybrid hosts. */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "time-util.h"

#define CPU_PERIOD_USEC 100000ULL
#define CPU_QUOTA_MIN_USEC 1000ULL      /* the kernel refuses smaller quotas */
/* ... and larger ones than this (its bandwidth arithmetic has 44 bits of
 * microseconds); a quota above it is more CPU than any machine has: none. */
#define CPU_QUOTA_MAX_USEC ((1ULL << 44) - 1)
/* pids.max refuses values from PID_MAX_LIMIT + 1 on (EINVAL); there cannot
 * be more tasks than that anyway. */
#define TASKS_MAX_KERNEL (4ULL * 1024 * 1024)

static bool limit_needs(const Limits *l, CgroupV1Controller c) {
        if (!l)
                return false;
        switch (c) {
        case CGROUP_V1_PIDS:
                return l->tasks_max != UINT64_MAX;
        case CGROUP_V1_MEMORY:
                return l->memory_max != UINT64_MAX;
        case CGROUP_V1_CPU:
                return l->cpu_quota_per_sec_usec != UINT64_MAX;
        default:
                return false;
        }
}

/* CPUQuota is CPU time per second; the kernel wants it per period. Any
 * value a caller can send is safe: no product overflows, and a quota the
 * kernel cannot hold is no quota (UINT64_MAX). */
static uint64_t cpu_quota(const Limits *l) {
        uint64_t q;

        if (!l || l->cpu_quota_per_sec_usec == UINT64_MAX)
                return UINT64_MAX;
        q = u64_muldiv_sat(l->cpu_quota_per_sec_usec, CPU_PERIOD_USEC, USEC_PER_SEC);
        if (q > CPU_QUOTA_MAX_USEC)
                return UINT64_MAX;
        return MAX(q, CPU_QUOTA_MIN_USEC);
}

/* TasksMax as pids.max takes it: any value is safe, those past what the
 * kernel can count are no limit ("max"). */
static uint64_t tasks_max(const Limits *l) {
        return l->tasks_max > TASKS_MAX_KERNEL ? UINT64_MAX : l->tasks_max;
}

int cgroup_set_max_descendants(Cgroup *c, uint64_t max) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;
        return cgfs_write_uint64(dfd, "cgroup.max.descendants", max);
}

static int write_v2_limits(Cgroup *c, const Limits *l) {
        _cleanup_close_ int dfd = -EBADF;
        int k;

        dfd = cgroup_dir_open(c);
        if (dfd < 0)
                return dfd;

        if (limit_needs(l, CGROUP_V1_PIDS)) {
                k = cgfs_write_uint64(dfd, "pids.max", tasks_max(l));
                if (k < 0)
                        return k;
        }
        if (limit_needs(l, CGROUP_V1_MEMORY)) {
                k = cgfs_write_uint64(dfd, "memory.max", l->memory_max);
                if (k < 0)
                        return k;
                /* Swap would let the agent run past MemoryMax. */
                k = cgfs_write(dfd, "memory.swap.max", "0");
                if (k < 0 && k != -ENOENT)
                        return k;
        }
        if (limit_needs(l, CGROUP_V1_CPU)) {
                char buf[64];

                if (cpu_quota(l) == UINT64_MAX)
                        snprintf(buf, sizeof buf, "max %llu", CPU_PERIOD_USEC);
                else
                        snprintf(buf, sizeof buf, "%" PRIu64 " %llu", cpu_quota(l), CPU_PERIOD_USEC);
                k = cgfs_write(dfd, "cpu.max", buf);
                if (k < 0)
                        return k;
        }
        /* No memory.oom.group: its group kill reaches every process of the
         * group, a spawn child in vfork too (a health check's, while it
         * shares the daemon's memory), and the kernel kills every process
         * sharing a victim's memory: the daemon with it. The kernel kills
         * the one process it picks, never one in vfork, and the daemon ends
         * the rest once the main process is gone, as on cgroup v1. */
        return 0;
}

/* The v1 group of controller k for c (hybrid): made in every mounted
 * hierarchy, limits or not, so that the supervision tree is the same tree in
 * each, a supervisor's limits bound all its agents, and every agent is
 * accounted for (pids.current, memory.usage_in_bytes). An agent's child
 * joins it through cgroup.procs, opened for each spawn
 * (cgroup_v1_procs_open()). */
static int make_v1(Cgroup *c, CgroupV1Controller k, const Limits *l) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        uint64_t quota;
        int q;

        if (c->agent)
                c->v1_made[k] = true;        /* cgroup_remove() cleans up even half-made groups */
        q = cgfs_mkdir_p(c->root->v1_dir[k], c->rel);
        if (q < 0)
                return q;
        dir = cgroup_v1_dir(c, k);
        if (!dir)
                return -ENOMEM;
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;

        switch (k) {
        case CGROUP_V1_PIDS:
                q = limit_needs(l, k) ? cgfs_write_uint64(dfd, "pids.max", tasks_max(l)) : 0;
                break;
        case CGROUP_V1_MEMORY:
                if (!limit_needs(l, k)) {
                        q = 0;
                        break;
                }
                /* memsw (memory+swap) may never be below the memory limit:
                 * lifted first, so that a higher limit can be written. */
                q = cgfs_write(dfd, "memory.memsw.limit_in_bytes", "-1");
                q = q == -ENOENT ? 0 : q;
                if (q >= 0)
                        q = cgfs_write_uint64(dfd, "memory.limit_in_bytes", l->memory_max);
                /* memsw counts memory+swap: the same value means no swap. */
                if (q >= 0) {
                        q = cgfs_write_uint64(dfd, "memory.memsw.limit_in_bytes", l->memory_max);
                        if (q == -ENOENT)
                                q = 0;
                }
                break;
        case CGROUP_V1_CPU:
                /* v1 refuses a quota above an ancestor's: the lower one holds. */
                quota = MIN(cpu_quota(l), c->cpu_quota);
                if (quota == UINT64_MAX) {
                        q = 0;
                        break;
                }
                q = cgfs_write_uint64(dfd, "cpu.cfs_period_us", CPU_PERIOD_USEC);
                if (q >= 0)
                        q = cgfs_write_uint64(dfd, "cpu.cfs_quota_us", quota);
                break;
        default:
                q = -EINVAL;
        }
        return q;
}

bool cgroup_limits_supported(const CgroupRoot *r, const Limits *l) {
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX; i++)
                if (limit_needs(l, i) && !r->has[i])
                        return false;
        return true;
}

int cgroup_apply_limits(Cgroup *c, const Limits *l) {
        CgroupRoot *r = c->root;
        int k = 0;

        if (!cgroup_limits_supported(r, l))
                return -EOPNOTSUPP;
        c->cpu_quota = MIN(c->cpu_quota, cpu_quota(l));

        if (r->unified)
                return write_v2_limits(c, l);
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX && k >= 0; i++)
                if (r->v1_dir[i])
                        k = make_v1(c, i, l);
        return k;
}

/* The root group is reused from one daemon to the next, not made afresh:
 * limits an earlier configuration set there go before this one's apply. */
int cgroup_reset_root_limits(Cgroup *c) {
        static const char *const v1_files[_CGROUP_V1_MAX][2] = {
                [CGROUP_V1_PIDS] = { "pids.max", "max" },
                [CGROUP_V1_MEMORY] = { "memory.memsw.limit_in_bytes", "memory.limit_in_bytes" },
                [CGROUP_V1_CPU] = { "cpu.cfs_quota_us", NULL },
        };
        CgroupRoot *r = c->root;
        int k = 0;

        if (r->unified) {
                _cleanup_close_ int dfd = cgroup_dir_open(c);

                if (dfd < 0)
                        return dfd;
                if (r->has[CGROUP_V1_PIDS])
                        k = cgfs_write(dfd, "pids.max", "max");
                if (k >= 0 && r->has[CGROUP_V1_MEMORY])
                        k = cgfs_write(dfd, "memory.max", "max");
                if (k >= 0 && r->has[CGROUP_V1_CPU])
                        k = cgfs_write(dfd, "cpu.max", "max");
                return k;
        }
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX && k >= 0; i++) {
                _cleanup_close_ int dfd = -EBADF;

                if (!r->v1_dir[i])
                        continue;
                dfd = open(r->v1_dir[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                if (i == CGROUP_V1_PIDS)
                        k = cgfs_write(dfd, v1_files[i][0], v1_files[i][1]);
                else
                        for (size_t j = 0; j < 2 && k >= 0 && v1_files[i][j]; j++) {
                                k = cgfs_write(dfd, v1_files[i][j], "-1");
                                k = k == -ENOENT ? 0 : k;
                        }
        }
        return k;
}
