/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting an agent (see spawn.h): the parent side. It checks the
 * parameters, prepares what the child needs (the fds in the reserved slots,
 * every rlimit, the namespaces made before the clone), clones onto a
 * guarded stack, waits (bounded) for the exec and collects the child's
 * failure, if any. The child side,
 * raw system calls only up to the exec, is in spawn-child.c. */

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "macro.h"
#include "sandbox-landlock.h"
#include "sandbox-mount.h"
#include "spawn-internal.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif


static bool fds_reserved = false;
static int reserved_null_fd = -EBADF;

/* Where the child and its forker run, one for every spawn (the daemon
 * spawns from one thread): a guard page, the forker's stack, a guard page,
 * the child's stack, then the ChildContext they share. Mapped, not on our
 * stack: a child SIGKILLed that never leaves our memory (spawn-wait.c) may
 * still have the kernel write into it (child_tid at its exit), so the whole
 * area is then left to it and the next spawn maps a new one. */
static struct {
        char *forker_stack;
        char *stack;
        ChildContext *ctx;
} area;
/* Every resource limit an agent starts with, whatever the daemon holds (a
 * unit's LimitMEMLOCK=infinity, the NOFILE the daemon raised for its
 * pidfds): the kernel's defaults for the first process (what a service
 * manager hands on), with NOFILE at systemd's 1024:524288 so that select()
 * stays safe, and NPROC and SIGPENDING, whose defaults the kernel sizes to
 * the machine, at the daemon's hard limit. No value exceeds the daemon's
 * own hard limit: the limits the service manager set on the daemon bound
 * its agents too. LimitCORE= (default 0), LimitNOFILE= and LimitNPROC=
 * set soft and hard exactly. */
static void rlimits_prepare(const RlimitSettings *settings, struct rlimit64 ret[static RLIM_NLIMITS]) {
        static const struct {
                uint64_t soft, hard;
        } defaults[RLIM_NLIMITS] = {
                [RLIMIT_CPU] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_FSIZE] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_DATA] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_STACK] = { 8 << 20, RLIM64_INFINITY },
                [RLIMIT_CORE] = { 0, 0 },
                [RLIMIT_RSS] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_NPROC] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_NOFILE] = { 1024, 524288 },
                [RLIMIT_MEMLOCK] = { 8 << 20, 8 << 20 },
                [RLIMIT_AS] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_LOCKS] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_SIGPENDING] = { RLIM64_INFINITY, RLIM64_INFINITY },
                [RLIMIT_MSGQUEUE] = { 819200, 819200 },
                [RLIMIT_NICE] = { 0, 0 },
                [RLIMIT_RTPRIO] = { 0, 0 },
                [RLIMIT_RTTIME] = { RLIM64_INFINITY, RLIM64_INFINITY },
        };
        uint64_t set[RLIM_NLIMITS];

        for (int i = 0; i < RLIM_NLIMITS; i++)
                set[i] = RLIM_UNSET;
        set[RLIMIT_CORE] = settings->core == RLIM_UNSET ? 0 : settings->core;
        set[RLIMIT_NOFILE] = settings->nofile;
        set[RLIMIT_NPROC] = settings->nproc;

        for (int i = 0; i < RLIM_NLIMITS; i++) {
                struct rlimit64 daemon;
                uint64_t hard = defaults[i].hard;

                if (set[i] != RLIM_UNSET) {
                        ret[i] = (struct rlimit64) { .rlim_cur = set[i], .rlim_max = set[i] };
                        continue;
                }
                if (prlimit64(0, (enum __rlimit_resource) i, NULL, &daemon) >= 0)
                        hard = MIN(hard, (uint64_t) daemon.rlim_max);
                ret[i] = (struct rlimit64) { .rlim_cur = MIN(defaults[i].soft, hard), .rlim_max = hard };
        }
}

static int read_cap_last_cap(void) {
        static int cached = -1;
        FILE *f;
        int v;

        if (cached >= 0)
                return cached;
        f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (f && fscanf(f, "%d", &v) == 1 && v >= 0 && v < 64)
                cached = v;
        else
                cached = CAP_LAST_CAP;
        if (f)
                fclose(f);
        return cached;
}

static int area_get(void) {
        size_t page = (size_t) sysconf(_SC_PAGESIZE), size, forker_size;
        void *map;

        if (area.ctx)
                return 0;
        forker_size = (FORKER_STACK_SIZE + page - 1) / page * page;
        size = page + forker_size + page + STACK_SIZE + (sizeof(ChildContext) + page - 1) / page * page;
        map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (map == MAP_FAILED)
                return -errno;
        /* A guard page below each stack. */
        if (mprotect(map, page, PROT_NONE) < 0 ||
            mprotect((char *) map + page + forker_size, page, PROT_NONE) < 0) {
                int r = -errno;
                (void) munmap(map, size);
                return r;
        }
        area.forker_stack = (char *) map + page;
        area.stack = area.forker_stack + forker_size + page;
        area.ctx = (ChildContext *) (area.stack + STACK_SIZE);
        return 0;
}

/* Leaked on purpose: see `area`. Only after a child outlived its SIGKILL. */
static void area_abandon(void) {
        area.forker_stack = NULL;
        area.stack = NULL;
        area.ctx = NULL;
}

/* With reserved slots, the fds the child needs are copied into them (slot
 * RESERVED_END - 1 stays free for the clone() fallback's cgroup.procs,
 * RESERVED_END - 2 for the namespace fd, RESERVED_END - 3 for the mount
 * plan's sources; from RESERVED_FIRST at most 7 are used: stdout, stderr,
 * _SPAWN_V1_MAX cgroup.procs and the Landlock ruleset). */
static int child_fds_prepare(ChildContext *ctx) {
        const SpawnParams *p = ctx->p;
        int slot = RESERVED_FIRST;

        ctx->stdout_fd = p->stdout_fd;
        ctx->stderr_fd = p->stderr_fd;
        ctx->landlock_fd = p->landlock ? p->landlock->fd : -EBADF;
        /* child_stdio() replaces 0-2 (landlock_ruleset_build() never
         * returns those). */
        if (p->landlock && ctx->landlock_fd < 3)
                return -EBADF;
        ctx->n_v1_procs_fds = p->n_v1_procs_fds;
        for (size_t i = 0; i < p->n_v1_procs_fds; i++)
                ctx->v1_procs_fds[i] = p->v1_procs_fds[i];
        if (!fds_reserved)
                return 0;

        ctx->shared_files = true;
        if (ctx->stdout_fd >= 0) {
                if (dup3(ctx->stdout_fd, slot, O_CLOEXEC) < 0)
                        return -errno;
                ctx->stdout_fd = slot++;
        }
        if (ctx->stderr_fd >= 0) {
                if (p->stderr_fd == p->stdout_fd)
                        ctx->stderr_fd = ctx->stdout_fd;
                else {
                        if (dup3(ctx->stderr_fd, slot, O_CLOEXEC) < 0)
                                return -errno;
                        ctx->stderr_fd = slot++;
                }
        }
        for (size_t i = 0; i < ctx->n_v1_procs_fds; i++) {
                if (dup3(ctx->v1_procs_fds[i], slot, O_CLOEXEC) < 0)
                        return -errno;
                ctx->v1_procs_fds[i] = slot++;
        }
        if (ctx->landlock_fd >= 0) {
                if (slot >= RESERVED_END - 3)
                        return -EMFILE;
                if (dup3(ctx->landlock_fd, slot, O_CLOEXEC) < 0)
                        return -errno;
                ctx->landlock_fd = slot++;
        }
        return 0;
}

/* The mount plan's sources (sandbox-mount.h), on a socket in the slot
 * child_fds_prepare() leaves for it. */
static int mount_sources_prepare(ChildContext *ctx) {
        int fd, r;

        r = mount_plan_sources_socket(ctx->p->mounts, &fd);
        if (r < 0 || fd < 0 || !ctx->shared_files) {
                ctx->mount_sources_fd = fd;
                return r;
        }
        r = dup3(fd, RESERVED_END - 3, O_CLOEXEC) < 0 ? -errno : 0;
        safe_close(fd);
        ctx->mount_sources_fd = r < 0 ? -EBADF : RESERVED_END - 3;
        return r;
}

/* Points the slots back at /dev/null, so that the parent does not keep a
 * log file or a cgroup open through them. */
static void child_fds_release(ChildContext *ctx) {
        if (!ctx->shared_files)
                return;
        for (int fd = RESERVED_FIRST; fd < RESERVED_END; fd++)
                (void) dup3(reserved_null_fd, fd, O_CLOEXEC);
}

int spawn_reserve_fds(void) {
        int fd;

        if (fds_reserved)
                return 0;
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* The holder lives above the slots, so it is never one of them. */
        reserved_null_fd = fcntl(fd, F_DUPFD_CLOEXEC, RESERVED_END);
        safe_close(fd);
        if (reserved_null_fd < 0)
                return -errno;
        for (int slot = RESERVED_FIRST; slot < RESERVED_END; slot++) {
                /* A slot already in use belongs to somebody else: give up. */
                if (fcntl(slot, F_GETFD) >= 0 || errno != EBADF) {
                        reserved_null_fd = safe_close(reserved_null_fd);
                        for (int i = RESERVED_FIRST; i < slot; i++)
                                safe_close(i);
                        return -EBUSY;
                }
                if (dup3(reserved_null_fd, slot, O_CLOEXEC) < 0) {
                        int r = -errno;
                        reserved_null_fd = safe_close(reserved_null_fd);
                        for (int i = RESERVED_FIRST; i < slot; i++)
                                safe_close(i);
                        return r;
                }
        }
        fds_reserved = true;
        return 0;
}

/* The namespaces made before the clone (sandbox-ns.h). The user namespace
 * fd goes into a reserved slot that child_fds_prepare() leaves free, so that
 * the child keeps it. */
static int ns_prepare(ChildContext *ctx) {
        const SpawnParams *p = ctx->p;
        int r;

        r = sandbox_ns_prepare(&p->ns, p->uid, p->gid, p->cgroup_fd, area.stack, STACK_SIZE, &ctx->ns);
        if (r < 0 || !ctx->shared_files || ctx->ns.setns_fd < 0)
                return r;
        r = dup3(ctx->ns.setns_fd, RESERVED_END - 2, O_CLOEXEC) < 0 ? -errno : 0;
        safe_close(ctx->ns.setns_fd);
        ctx->ns.setns_fd = r < 0 ? -EBADF : RESERVED_END - 2;
        return r;
}

static int params_check(const SpawnParams *p) {
        if (!p || !p->path || p->path[0] != '/' || !p->argv || !p->argv[0] || !p->envp || p->cgroup_fd < 0 ||
            (p->n_groups > 0 && !p->groups) || (p->n_v1_procs_fds > 0 && !p->v1_procs_fds) ||
            p->n_v1_procs_fds > _SPAWN_V1_MAX)
                return -EINVAL;
        /* In a user namespace setgroups is denied: no groups to give. */
        if ((p->ns.flags & SANDBOX_NS_USER) && p->n_groups > 0)
                return -EINVAL;
        if (p->notify_filter && (!p->ret_listener_fd || !spawn_listener_supported()))
                return -EINVAL;
        return sandbox_ns_validate(&p->ns);
}

/* The kernel gives an oom_score_adj written by a process that shares our
 * memory and is not in vfork to us as well: a child whose forker the wait
 * had to kill may have written the agent's. Ours is put back. */
static void oom_score_adj_restore(int value) {
        char text[16];

        snprintf(text, sizeof text, "%d", value);
        (void) cgfs_write(AT_FDCWD, "/proc/self/oom_score_adj", text);
}

/* The child failed before its exec, or was killed for not getting there. */
static int child_failed(ChildContext *ctx, int pidfd, const char **ret_failed_step) {
        const SpawnParams *p = ctx->p;

        /* Taken before an exec that then failed: nobody to answer. */
        if (p->notify_filter && *p->ret_listener_fd >= 0)
                *p->ret_listener_fd = safe_close(*p->ret_listener_fd);

        /* Killed (one that failed is on its way out anyway, one the wait
         * gave up on must not run on), then reaped, bounded: gone from our
         * memory, or not (its zombie, like its memory, is then left). */
        (void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        if (__atomic_load_n(&ctx->child_tid, __ATOMIC_ACQUIRE) == 0)
                spawn_reap_or_keep(pidfd);
        else
                spawn_keep_child(pidfd);
        if (ctx->abandoned)
                area_abandon();
        if (ret_failed_step)
                *ret_failed_step = ctx->step;
        return ctx->error;
}

int spawn(const SpawnParams *p, pid_t *ret_pid, int *ret_pidfd, const char **ret_failed_step) {
        ChildContext *ctx;
        ChildContext init = {
                .p = p,
                .cgroup_procs_fd = -EBADF,
                .cap_last_cap = read_cap_last_cap(),
                .max_fd = (int) MIN(sysconf(_SC_OPEN_MAX), (long) INT32_MAX),
                .ns = SANDBOX_NS_STATE_INIT,
                .mount_sources_fd = -EBADF,
                .listener_fd = -EBADF,
        };
        sigset_t all, saved;
        int pidfd = -EBADF, r;
        pid_t pid;

        r = params_check(p);
        if (r < 0)
                return r;
        spawn_kept_reap();
        if (p->notify_filter)
                *p->ret_listener_fd = -EBADF;

        r = area_get();
        if (r < 0)
                return r;
        ctx = area.ctx;
        *ctx = init;
        rlimits_prepare(&p->rlimits, ctx->rlimits);

        r = child_fds_prepare(ctx);
        if (r >= 0)
                r = mount_sources_prepare(ctx);
        if (r < 0) {
                child_fds_release(ctx);
                return r;
        }
        if (p->ns.flags != 0) {
                r = ns_prepare(ctx);
                if (r < 0) {
                        sandbox_ns_finish(&p->ns, &ctx->ns, false);
                        if (!ctx->shared_files)
                                safe_close(ctx->mount_sources_fd);
                        child_fds_release(ctx);
                        return r;
                }
        }

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = spawn_clone_child(ctx, area.stack, area.forker_stack, p->cgroup_fd, &pidfd);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (ctx->forker_killed)
                oom_score_adj_restore(ctx->own_adj);
        if (ctx->shared_files)
                ctx->ns.setns_fd = -EBADF;   /* a reserved slot: reset below */
        else
                safe_close(ctx->mount_sources_fd);
        if (p->ns.flags != 0)
                sandbox_ns_finish(&p->ns, &ctx->ns, pid > 0 && ctx->error == 0);
        child_fds_release(ctx);

        if (pid < 0) {
                if (ctx->abandoned)
                        area_abandon();
                return pid;
        }
        if (ctx->error < 0)
                return child_failed(ctx, pidfd, ret_failed_step);
        /* Exec'd, but its forker never left our memory (spawn-wait.c). */
        if (ctx->abandoned)
                area_abandon();

        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

int spawn_raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (rl.rlim_cur == rl.rlim_max)
                return 0;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        return 0;
}
