/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting an agent (see spawn.h). The child shares the parent's memory
 * until it execs, so it only makes raw system calls: glibc's wrappers for
 * set*id would signal the parent's threads, and the sanitizers must not run
 * on its borrowed stack. Failures are written into the shared context. */

#include <fcntl.h>
#include <linux/capability.h>
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
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define STACK_SIZE (64 * 1024)

#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

/* Low fd slots held open (on /dev/null) for the whole life of the process,
 * see spawn_reserve_fds(). */
#define RESERVED_FIRST 3
#define RESERVED_N 8
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
        bool shared_files;
        int cap_last_cap;
        int max_fd;                          /* for closing fds where close_range is missing */
        bool restore_nofile;
        uint64_t nofile_soft;
        uint64_t nofile_hard;
        int error;                           /* written by the child */
        const char *step;
} ChildContext;

#if HAVE_CLONE3_ASM
long av_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
static bool clone3_missing = false;
#endif

/* The soft NOFILE limit before spawn_raise_nofile(), which agents get back. */
static bool nofile_raised = false;
static uint64_t nofile_soft_orig;

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

static _child_ void child_setrlimit(ChildContext *ctx, int resource, uint64_t soft, uint64_t hard) {
        struct rlimit64 rl = { .rlim_cur = soft, .rlim_max = hard };

        if (syscall(SYS_prlimit64, 0, resource, &rl, NULL) < 0)
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

static _child_ void child_close_fds(ChildContext *ctx) {
        if (syscall(SYS_close_range, 3U, ~0U, 0) >= 0)
                return;
        if (errno != ENOSYS)
                child_fail(ctx, "close_range");
        for (int fd = 3; fd < ctx->max_fd; fd++)
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

        child_setrlimit(ctx, RLIMIT_CORE, p->rlimits.core == RLIM_UNSET ? 0 : p->rlimits.core,
                        p->rlimits.core == RLIM_UNSET ? 0 : p->rlimits.core);
        if (p->rlimits.nofile != RLIM_UNSET)
                child_setrlimit(ctx, RLIMIT_NOFILE, p->rlimits.nofile, p->rlimits.nofile);
        else if (ctx->restore_nofile)
                child_setrlimit(ctx, RLIMIT_NOFILE, ctx->nofile_soft, ctx->nofile_hard);
        if (p->rlimits.nproc != RLIM_UNSET)
                child_setrlimit(ctx, RLIMIT_NPROC, p->rlimits.nproc, p->rlimits.nproc);

        (void) syscall(SYS_umask, p->umask);

        if (p->protect_cgroups)
                child_protect_cgroups(ctx);

        if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
                child_fail(ctx, "setgroups");
        if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                child_fail(ctx, "setresgid");

        /* Dropping from the bounding set needs CAP_SETPCAP: before setresuid. */
        for (int cap = 0; cap <= ctx->cap_last_cap; cap++)
                if (syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        child_fail(ctx, "capability_bounding_set");
        if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                child_fail(ctx, "ambient_capabilities");

        if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                child_fail(ctx, "setresuid");
        child_drop_capabilities(ctx);

        if (syscall(SYS_chdir, p->working_directory ? p->working_directory : "/") < 0)
                child_fail(ctx, "chdir");

        if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(ctx, "no_new_privs");
        if (p->filter && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p->filter) < 0)
                child_fail(ctx, "seccomp");

        /* Only the child knows its pid before exec; the slot lives in memory
         * the parent allocated and shares with us (CLONE_VM). */
        if (p->pid_env_slot)
                child_format_pid(p->pid_env_slot, (long) syscall(SYS_getpid));

        (void) syscall(SYS_execve, p->path, p->argv, p->envp);
        child_fail(ctx, "execve");
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
                                 (ctx->shared_files ? CLONE_FILES : 0),
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
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD | (ctx->shared_files ? CLONE_FILES : 0), ctx,
                    &pidfd);
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
 * RESERVED_END - 1 stays free for the clone() fallback's cgroup.procs). */
static int child_fds_prepare(ChildContext *ctx) {
        const SpawnParams *p = ctx->p;
        int slot = RESERVED_FIRST;

        ctx->stdout_fd = p->stdout_fd;
        ctx->stderr_fd = p->stderr_fd;
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

int spawn(const SpawnParams *p, pid_t *ret_pid, int *ret_pidfd, const char **ret_failed_step) {
        ChildContext ctx = {
                .p = p,
                .cgroup_procs_fd = -EBADF,
                .cap_last_cap = read_cap_last_cap(),
                .max_fd = (int) MIN(sysconf(_SC_OPEN_MAX), (long) INT32_MAX),
        };
        sigset_t all, saved;
        struct rlimit rl;
        int pidfd = -EBADF, r;
        pid_t pid;

        if (!p || !p->path || p->path[0] != '/' || !p->argv || !p->argv[0] || !p->envp || p->cgroup_fd < 0 ||
            (p->n_groups > 0 && !p->groups) || (p->n_v1_procs_fds > 0 && !p->v1_procs_fds) ||
            p->n_v1_procs_fds > _SPAWN_V1_MAX)
                return -EINVAL;

        if (nofile_raised && getrlimit(RLIMIT_NOFILE, &rl) >= 0) {
                ctx.restore_nofile = true;
                ctx.nofile_soft = MIN(nofile_soft_orig, (uint64_t) rl.rlim_max);
                ctx.nofile_hard = rl.rlim_max;
        }

        r = stack_get();
        if (r < 0)
                return r;
        r = child_fds_prepare(&ctx);
        if (r < 0)
                return r;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = clone_child(&ctx, child_stack, p->cgroup_fd, &pidfd);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
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
        if (!nofile_raised) {
                nofile_soft_orig = rl.rlim_cur;
                nofile_raised = true;
        }
        if (rl.rlim_cur == rl.rlim_max)
                return 0;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        return 0;
}
