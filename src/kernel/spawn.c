/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting an agent (see spawn.h). The child shares the parent's memory
 * until it execs, so it only makes raw system calls: glibc's wrappers for
 * set*id would signal the parent's threads, and the sanitizers must not run
 * on its borrowed stack. Failures are written into the shared context. */

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "macro.h"
#include "sandbox-landlock.h"
#include "sandbox-mount.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define STACK_SIZE (64 * 1024)

#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

/* Low fd slots held open (on /dev/null) for the whole life of the process,
 * see spawn_reserve_fds(). */
#define RESERVED_FIRST 3
#define RESERVED_N 9
#define RESERVED_END (RESERVED_FIRST + RESERVED_N)

typedef struct ChildContext {
        const SpawnParams *p;
        int cgroup_procs_fd;                 /* clone() fallback: v2 cgroup.procs to join */
        /* The fds the child uses; with shared_files they sit in the reserved
         * slots, the only part of the table the child keeps. */
        int stdout_fd;
        int stderr_fd;
        int v1_procs_fds[_SPAWN_V1_MAX];
        size_t n_v1_procs_fds;
        int landlock_fd;                     /* kept open past child_close_fds() */
        bool shared_files;
        int cap_last_cap;
        int max_fd;                          /* for closing fds where close_range is missing */
        struct rlimit64 rlimits[RLIM_NLIMITS]; /* every one, set in the child */
        SandboxNsState ns;                   /* namespaces made before the clone */
        int error;                           /* written by the child */
        const char *step;
} ChildContext;

#if HAVE_CLONE3_ASM
long av_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
static bool clone3_missing = false;
#endif

static bool fds_reserved = false;
static int reserved_null_fd = -EBADF;

/* One guarded stack for every spawn: the daemon spawns from one thread, and
 * CLONE_VFORK holds the parent until the child is done with it. */
static void *child_stack = NULL;

static _child_ _noreturn_ void child_fail(ChildContext *ctx, const char *step) {
        int e = errno;

        ctx->error = e > 0 ? -e : -EIO;
        ctx->step = step;
        syscall(SYS_exit_group, 127);
        __builtin_unreachable();
}

static _child_ void child_write_zero(ChildContext *ctx, int fd) {
        if (syscall(SYS_write, fd, "0", 1) != 1)
                child_fail(ctx, "cgroup");
}

static _child_ void child_setrlimits(ChildContext *ctx) {
        for (int i = 0; i < RLIM_NLIMITS; i++)
                if (syscall(SYS_prlimit64, 0, i, &ctx->rlimits[i], NULL) < 0)
                        child_fail(ctx, "setrlimit");
}

static _child_ void child_oom_score_adj(ChildContext *ctx, int value) {
        char buf[16], *p = buf + sizeof buf;
        unsigned v = value < 0 ? -(unsigned) value : (unsigned) value;
        long fd;

        do {
                *--p = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        if (value < 0)
                *--p = '-';

        fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || syscall(SYS_write, fd, p, (size_t) (buf + sizeof buf - p)) < 0)
                child_fail(ctx, "oom_score_adj");
        (void) syscall(SYS_close, fd);
}

static _child_ void child_stdio(ChildContext *ctx) {
        long null, in, out, err;

        null = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null < 0)
                child_fail(ctx, "stdio");
        /* Copies above 2 first, so that no dup3() overwrites a source. */
        in = syscall(SYS_fcntl, null, F_DUPFD_CLOEXEC, 3);
        out = syscall(SYS_fcntl, ctx->stdout_fd >= 0 ? ctx->stdout_fd : null, F_DUPFD_CLOEXEC, 3);
        err = syscall(SYS_fcntl, ctx->stderr_fd >= 0 ? ctx->stderr_fd : null, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || err < 0 ||
            syscall(SYS_dup3, in, 0, 0) < 0 || syscall(SYS_dup3, out, 1, 0) < 0 || syscall(SYS_dup3, err, 2, 0) < 0)
                child_fail(ctx, "stdio");
}

/* Everything above 2 but the fds later steps need: the user namespace
 * (sandbox_ns_child()) and the Landlock ruleset (enforced after
 * no_new_privs). Both are O_CLOEXEC and close at exec. */
static _child_ void child_close_fds(ChildContext *ctx) {
        int k1 = ctx->landlock_fd, k2 = ctx->ns.setns_fd, keep[2];
        unsigned from = 3;
        bool ok = true;

        keep[0] = k1 < k2 ? k1 : k2;
        keep[1] = k1 < k2 ? k2 : k1;
        for (int i = 0; i < 2 && ok; i++) {
                if (keep[i] < (int) from)
                        continue;
                if ((unsigned) keep[i] > from)
                        ok = syscall(SYS_close_range, from, (unsigned) keep[i] - 1, 0) >= 0;
                from = (unsigned) keep[i] + 1;
        }
        if (ok && syscall(SYS_close_range, from, ~0U, 0) >= 0)
                return;
        if (errno != ENOSYS)
                child_fail(ctx, "close_range");
        for (int fd = 3; fd < ctx->max_fd; fd++)
                if (fd != ctx->landlock_fd && fd != ctx->ns.setns_fd)
                        (void) syscall(SYS_close, fd);
}

/* ProtectControlGroups: a cgroup namespace rooted at the agent's group and a
 * mount namespace in which every cgroup mount is read-only. The namespace's
 * copies of the mounts are changed in place (no bind mount stacked on top,
 * which would leave writable copies beneath); where /sys/fs/cgroup is no
 * mount point of its own, the mount holding it turns read-only as a whole. */
static _child_ void child_protect_cgroups(ChildContext *ctx) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

        if (syscall(SYS_unshare, CLONE_NEWNS | CLONE_NEWCGROUP) < 0)
                child_fail(ctx, "unshare");
        if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_fail(ctx, "mount");
        if (syscall(SYS_mount_setattr, AT_FDCWD, "/sys/fs/cgroup", AT_RECURSIVE, &attr, sizeof attr) < 0)
                child_fail(ctx, "mount_setattr");
}

static _child_ void child_drop_capabilities(ChildContext *ctx) {
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        if (syscall(SYS_capset, &header, data) < 0)
                child_fail(ctx, "capset");
}

static _child_ void child_format_pid(char *slot, long pid) {
        char digits[SPAWN_PID_SLOT_SIZE];
        size_t n = 0;

        do
                digits[n++] = (char) ('0' + pid % 10);
        while ((pid /= 10) > 0 && n < sizeof digits - 1);
        for (size_t i = 0; i < n; i++)
                slot[i] = digits[n - 1 - i];
        slot[n] = 0;
}

static _child_ int child_main(void *userdata) {
        ChildContext *ctx = userdata;
        const SpawnParams *p = ctx->p;
        unsigned long no_action[8] = {};     /* SIG_DFL, no flags, empty mask, in any layout */
        uint64_t empty_mask = 0;

        /* The parent's handlers must not run on this borrowed memory; the
         * parent blocked every signal before cloning. */
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) syscall(SYS_rt_sigaction, sig, no_action, NULL, sizeof empty_mask);
        if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty_mask, NULL, sizeof empty_mask) < 0)
                child_fail(ctx, "sigprocmask");

        /* Sharing the parent's fd table (CLONE_FILES) spared copying it, whatever
         * its size; now take a private table of only the reserved low slots.
         * Before 5.9 there is no CLOSE_RANGE_UNSHARE: copy it all instead. */
        if (ctx->shared_files && syscall(SYS_close_range, RESERVED_END, ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
            syscall(SYS_unshare, CLONE_FILES) < 0)
                child_fail(ctx, "unshare_files");

        if (syscall(SYS_setsid) < 0)
                child_fail(ctx, "setsid");

        if (ctx->cgroup_procs_fd >= 0)
                child_write_zero(ctx, ctx->cgroup_procs_fd);
        for (size_t i = 0; i < ctx->n_v1_procs_fds; i++)
                child_write_zero(ctx, ctx->v1_procs_fds[i]);

        child_stdio(ctx);
        child_close_fds(ctx);

        /* Lowering the score needs CAP_SYS_RESOURCE, so while still root. */
        if (p->oom_score_adj_set)
                child_oom_score_adj(ctx, p->oom_score_adj);

        child_setrlimits(ctx);

        (void) syscall(SYS_umask, p->umask);

        if (p->protect_cgroups)
                child_protect_cgroups(ctx);

        /* Mounting needs CAP_SYS_ADMIN: before the ids change. After
         * protect_cgroups, so the plan's copies keep cgroupfs read-only;
         * before the namespaces, so mounts (a PID namespace's /proc among
         * them) are made as host root. */
        if (p->mounts) {
                const char *step;
                int r = mount_plan_apply(p->mounts, &step);
                if (r < 0) {
                        errno = -r;
                        child_fail(ctx, step);
                }
        }

        /* Namespaces: after the mounts, just before the ids change (the user
         * namespace is entered last, see sandbox-ns.h). */
        if (p->ns.flags != 0 && sandbox_ns_child(&p->ns, ctx->ns.setns_fd, &ctx->step) < 0)
                child_fail(ctx, ctx->step);

        /* In a user namespace setgroups is denied: sandbox_ns_child() dropped
         * every group before entering it. */
        if (!(p->ns.flags & SANDBOX_NS_USER) && syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
                child_fail(ctx, "setgroups");
        if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                child_fail(ctx, "setresgid");

        /* Dropping from the bounding set needs CAP_SETPCAP: before setresuid. */
        for (int cap = 0; cap <= ctx->cap_last_cap; cap++)
                if (syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        child_fail(ctx, "capability_bounding_set");
        if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                child_fail(ctx, "ambient_capabilities");
        /* Also needs CAP_SETPCAP. Locked, so nothing in the agent can turn
         * them back: */
        if (syscall(SYS_prctl, PR_SET_SECUREBITS, SPAWN_SECUREBITS, 0, 0, 0) < 0)
                child_fail(ctx, "securebits");

        if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                child_fail(ctx, "setresuid");
        child_drop_capabilities(ctx);

        if (syscall(SYS_chdir, p->working_directory ? p->working_directory : "/") < 0)
                child_fail(ctx, "chdir");

        if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(ctx, "no_new_privs");
        /* Landlock needs no_new_privs now that the capabilities are gone,
         * and goes before seccomp, which may not allow the call. */
        if (p->landlock && landlock_child_enforce(p->landlock, ctx->landlock_fd) < 0)
                child_fail(ctx, "landlock");
        if (p->filter && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p->filter) < 0)
                child_fail(ctx, "seccomp");

        /* Only the child knows its pid before exec; the slot lives in memory
         * the parent allocated and shares with us (CLONE_VM). */
        if (p->pid_env_slot)
                child_format_pid(p->pid_env_slot, (long) syscall(SYS_getpid));

        (void) syscall(SYS_execve, p->path, p->argv, p->envp);
        child_fail(ctx, "execve");
}

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

/* clone() with CLONE_VM|CLONE_VFORK: returns the pid or -errno. */
static pid_t clone_child(ChildContext *ctx, void *stack, int cgroup_fd, int *ret_pidfd) {
        int pidfd = -EBADF;
        pid_t pid;

#if HAVE_CLONE3_ASM
        if (!clone3_missing) {
                struct clone_args args = {
                        .flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_INTO_CGROUP |
                                 (ctx->shared_files ? CLONE_FILES : 0) | sandbox_ns_clone_flags(&ctx->p->ns),
                        .pidfd = (uint64_t) (uintptr_t) &pidfd,
                        .exit_signal = SIGCHLD,
                        .stack = (uint64_t) (uintptr_t) stack,
                        .stack_size = STACK_SIZE,
                        .cgroup = (uint64_t) cgroup_fd,
                };
                long r;

                ctx->cgroup_procs_fd = -EBADF;
                r = av_clone3(&args, sizeof args, child_main, ctx);
                if (r > 0) {
                        *ret_pidfd = pidfd;
                        return (pid_t) r;
                }
                if (r == -ENOSYS || r == -E2BIG)
                        clone3_missing = true;
                else if (r != -EINVAL)       /* EINVAL: no CLONE_INTO_CGROUP (before 5.7) */
                        return (pid_t) r;
        }
#endif

        ctx->cgroup_procs_fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (ctx->cgroup_procs_fd < 0)
                return -errno;
        if (ctx->shared_files) {
                /* The child keeps only the reserved slots. */
                if (dup3(ctx->cgroup_procs_fd, RESERVED_END - 1, O_CLOEXEC) < 0) {
                        pid = -errno;
                        ctx->cgroup_procs_fd = safe_close(ctx->cgroup_procs_fd);
                        return pid;
                }
                safe_close(ctx->cgroup_procs_fd);
                ctx->cgroup_procs_fd = RESERVED_END - 1;
        }
        pid = clone(child_main, (char *) stack + STACK_SIZE,
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD | (ctx->shared_files ? CLONE_FILES : 0) |
                            (int) sandbox_ns_clone_flags(&ctx->p->ns),
                    ctx, &pidfd);
        if (pid < 0)
                pid = -errno;
        if (!ctx->shared_files)
                safe_close(ctx->cgroup_procs_fd);
        ctx->cgroup_procs_fd = -EBADF;
        if (pid > 0)
                *ret_pidfd = pidfd;
        return pid;
}

static int stack_get(void) {
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        void *map;

        if (child_stack)
                return 0;
        /* A guard page below the child's stack. */
        map = mmap(NULL, page + STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (map == MAP_FAILED)
                return -errno;
        if (mprotect(map, page, PROT_NONE) < 0) {
                int r = -errno;
                (void) munmap(map, page + STACK_SIZE);
                return r;
        }
        child_stack = (char *) map + page;
        return 0;
}

/* With reserved slots, the fds the child needs are copied into them (slot
 * RESERVED_END - 1 stays free for the clone() fallback's cgroup.procs,
 * RESERVED_END - 2 for the namespace fd; from RESERVED_FIRST at most 7 are
 * used: stdout, stderr, _SPAWN_V1_MAX cgroup.procs and the Landlock
 * ruleset). */
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
                if (slot >= RESERVED_END - 2)
                        return -EMFILE;
                if (dup3(ctx->landlock_fd, slot, O_CLOEXEC) < 0)
                        return -errno;
                ctx->landlock_fd = slot++;
        }
        return 0;
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

        r = sandbox_ns_prepare(&p->ns, p->uid, p->gid, p->cgroup_fd, child_stack, STACK_SIZE, &ctx->ns);
        if (r < 0 || !ctx->shared_files || ctx->ns.setns_fd < 0)
                return r;
        r = dup3(ctx->ns.setns_fd, RESERVED_END - 2, O_CLOEXEC) < 0 ? -errno : 0;
        safe_close(ctx->ns.setns_fd);
        ctx->ns.setns_fd = r < 0 ? -EBADF : RESERVED_END - 2;
        return r;
}

int spawn(const SpawnParams *p, pid_t *ret_pid, int *ret_pidfd, const char **ret_failed_step) {
        ChildContext ctx = {
                .p = p,
                .cgroup_procs_fd = -EBADF,
                .cap_last_cap = read_cap_last_cap(),
                .max_fd = (int) MIN(sysconf(_SC_OPEN_MAX), (long) INT32_MAX),
                .ns = SANDBOX_NS_STATE_INIT,
        };
        sigset_t all, saved;
        int pidfd = -EBADF, r;
        pid_t pid;

        if (!p || !p->path || p->path[0] != '/' || !p->argv || !p->argv[0] || !p->envp || p->cgroup_fd < 0 ||
            (p->n_groups > 0 && !p->groups) || (p->n_v1_procs_fds > 0 && !p->v1_procs_fds) ||
            p->n_v1_procs_fds > _SPAWN_V1_MAX)
                return -EINVAL;
        /* In a user namespace setgroups is denied: no groups to give. */
        if ((p->ns.flags & SANDBOX_NS_USER) && p->n_groups > 0)
                return -EINVAL;
        r = sandbox_ns_validate(&p->ns);
        if (r < 0)
                return r;

        rlimits_prepare(&p->rlimits, ctx.rlimits);

        r = stack_get();
        if (r < 0)
                return r;
        r = child_fds_prepare(&ctx);
        if (r < 0)
                return r;
        if (p->ns.flags != 0) {
                r = ns_prepare(&ctx);
                if (r < 0) {
                        sandbox_ns_finish(&p->ns, &ctx.ns, false);
                        child_fds_release(&ctx);
                        return r;
                }
        }

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = clone_child(&ctx, child_stack, p->cgroup_fd, &pidfd);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (ctx.shared_files)
                ctx.ns.setns_fd = -EBADF;   /* a reserved slot: reset below */
        if (p->ns.flags != 0)
                sandbox_ns_finish(&p->ns, &ctx.ns, pid > 0 && ctx.error == 0);
        child_fds_release(&ctx);

        if (pid < 0)
                return pid;
        if (ctx.error < 0) {
                siginfo_t si;

                (void) TEMP_FAILURE_RETRY(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED));
                safe_close(pidfd);
                if (ret_failed_step)
                        *ret_failed_step = ctx.step;
                return ctx.error;
        }

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
