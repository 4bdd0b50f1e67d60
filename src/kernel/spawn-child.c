/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child side of spawn() (see spawn.h), from the clone to the exec. The
 * child shares the parent's memory until it execs, so it only makes raw
 * system calls: glibc's wrappers for set*id would signal the parent's
 * threads, and the sanitizers must not run on its borrowed stack. Failures
 * are written into the shared context. */

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox-landlock.h"
#include "sandbox-mount.h"
#include "spawn-internal.h"

#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

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

/* Everything above 2 but the fds later steps need: the mount plan's
 * sources (mount_plan_apply()), the user namespace (sandbox_ns_child())
 * and the Landlock ruleset (enforced after no_new_privs). All are
 * O_CLOEXEC; each is closed once used, and at exec at the latest. */
static _child_ void child_close_fds(ChildContext *ctx) {
        int keep[3] = { ctx->landlock_fd, ctx->ns.setns_fd, ctx->mount_sources_fd };
        unsigned from = 3;
        bool ok = true;

        /* Sorted, three elements. */
        for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2 - i; j++)
                        if (keep[j] > keep[j + 1]) {
                                int t = keep[j];
                                keep[j] = keep[j + 1];
                                keep[j + 1] = t;
                        }
        for (int i = 0; i < 3 && ok; i++) {
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
                if (fd != keep[0] && fd != keep[1] && fd != keep[2])
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

/* The parent's handlers must not run on this borrowed memory; the parent
 * blocked every signal before cloning, and they stay blocked until
 * child_unblock_signals(). */
static _child_ void child_reset_signals(ChildContext *ctx) {
        unsigned long no_action[8] = {};     /* SIG_DFL, no flags, empty mask, in any layout */

        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) syscall(SYS_rt_sigaction, sig, no_action, NULL, sizeof(uint64_t));
}

/* The agent starts with no signal blocked. Not before: from the first
 * setresuid() on, a process of the agent's uid may signal us, and until
 * PR_SET_DUMPABLE 0 the memory we share with the daemon is dumpable as
 * fs.suid_dumpable says; a core-dumping signal then would write the
 * daemon's memory to a core (and before Linux 5.16 kill the daemon). A
 * signal that came meanwhile is delivered here, to a child that dumps
 * nothing. */
static _child_ void child_unblock_signals(ChildContext *ctx) {
        uint64_t empty_mask = 0;

        if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty_mask, NULL, sizeof empty_mask) < 0)
                child_fail(ctx, "sigprocmask");
}

/* Sharing the parent's fd table (CLONE_FILES) spared copying it, whatever
 * its size; now take a private table of only the reserved low slots.
 * Before 5.9 there is no CLOSE_RANGE_UNSHARE: copy it all instead. */
static _child_ void child_unshare_files(ChildContext *ctx) {
        if (ctx->shared_files && syscall(SYS_close_range, RESERVED_END, ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
            syscall(SYS_unshare, CLONE_FILES) < 0)
                child_fail(ctx, "unshare_files");
}

/* The v2 group (clone() fallback only: clone3 put the child there) and the
 * v1 groups. */
static _child_ void child_enter_cgroups(ChildContext *ctx) {
        if (ctx->cgroup_procs_fd >= 0)
                child_write_zero(ctx, ctx->cgroup_procs_fd);
        for (size_t i = 0; i < ctx->n_v1_procs_fds; i++)
                child_write_zero(ctx, ctx->v1_procs_fds[i]);
}

/* The agent's view of the system: the protected cgroups, the mounts, the
 * namespaces, in this order, all while still host root. */
static _child_ void child_sandbox(ChildContext *ctx) {
        const SpawnParams *p = ctx->p;

        /* The daemon's bind sources are copied in the daemon's mount
         * namespace, before any unshare. */
        if (p->mounts) {
                const char *step;
                int r = mount_plan_take_sources(p->mounts, ctx->mount_sources_fd, &step);

                ctx->mount_sources_fd = -1;     /* closed by mount_plan_take_sources() */
                if (r < 0) {
                        errno = -r;
                        child_fail(ctx, step);
                }
        }
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
}

/* Groups and ids become the agent's, and every capability goes. */
static _child_ void child_identity(ChildContext *ctx) {
        const SpawnParams *p = ctx->p;

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

        /* We run in the daemon's memory (CLONE_VM), and once our uid is the
         * agent's, a process of that uid may reach us: it must never be
         * able to ptrace us. Changing the euid sets the mm's dumpable flag
         * to fs.suid_dumpable, which is 1 ("debug") on some hosts, and a
         * process can be stopped (SIGSTOP from that uid) right after any
         * syscall; so the euid changes while the saved uid is still root's
         * (-1 keeps it, also inside a user namespace where host root is
         * unmapped; a tracer must match all three uids), dumpable is
         * cleared, and only then does the saved uid follow. Changing the
         * saved uid alone does not touch the flag again. The execve makes
         * the agent's own mm dumpable as usual. */
        if (syscall(SYS_setresuid, p->uid, p->uid, -1) < 0)
                child_fail(ctx, "setresuid");
        if (syscall(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                child_fail(ctx, "dumpable");
        if (syscall(SYS_setresuid, -1, -1, p->uid) < 0)
                child_fail(ctx, "setresuid");
        child_drop_capabilities(ctx);
}

/* The listener's number for the parent, which takes it with pidfd_getfd()
 * while we wait: futex calls only (never notified) until TAKEN. */
static _child_ void child_hand_over_listener(ChildContext *ctx) {
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                          ctx->p->notify_filter);
        uint32_t state;

        if (fd < 0)
                child_fail(ctx, "seccomp listener");
        ctx->listener_fd = (int) fd;
        __atomic_store_n(&ctx->listener_state, LISTENER_READY, __ATOMIC_RELEASE);
        (void) syscall(SYS_futex, &ctx->child_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
        while ((state = __atomic_load_n(&ctx->listener_state, __ATOMIC_ACQUIRE)) == LISTENER_READY)
                (void) syscall(SYS_futex, &ctx->listener_state, FUTEX_WAIT, LISTENER_READY, NULL, NULL, 0);
        if (state != LISTENER_TAKEN) {
                errno = -ctx->listener_error;
                child_fail(ctx, "seccomp listener");
        }
}

/* What the agent may still do: no_new_privs, then Landlock, then seccomp. */
static _child_ void child_confine(ChildContext *ctx) {
        const SpawnParams *p = ctx->p;

        if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(ctx, "no_new_privs");
        /* Landlock needs no_new_privs now that the capabilities are gone,
         * and goes before seccomp, which may not allow the call. */
        if (p->landlock && landlock_child_enforce(p->landlock, ctx->landlock_fd) < 0)
                child_fail(ctx, "landlock");
        /* A reporting policy: the notify filter first, its listener taken
         * by the parent, then the enforce filter (see spawn-listener.c for
         * why this order cannot deadlock and leaves the agent no copy). */
        if (p->notify_filter)
                child_hand_over_listener(ctx);
        if (p->filter && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p->filter) < 0)
                child_fail(ctx, "seccomp");
}

/* SpawnParams.test_stops_before_exec: what a process of the agent's uid
 * can do to us from here on (spawn-wait.c). */
static _child_ void child_test_stops(ChildContext *ctx) {
        long pid = syscall(SYS_getpid);

        for (unsigned i = 0; i < ctx->p->test_stops_before_exec; i++)
                (void) syscall(SYS_kill, pid, SIGSTOP);
        while (ctx->p->test_hangs_before_exec) {
                struct timespec second = { .tv_sec = 1 };

                (void) syscall(SYS_nanosleep, &second, NULL);
        }
}

#if HAVE_CLONE3_ASM
long av_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);

_child_ int spawn_forker_main(void *userdata) {
        ChildContext *ctx = userdata;
        long r = 0;

        /* The PID namespace the child is made in (a pidfd): entered here,
         * in our own namespace set, never the daemon's. */
        if (ctx->ns.pidns_fd >= 0 && syscall(SYS_setns, ctx->ns.pidns_fd, CLONE_NEWPID) < 0) {
                r = -(errno > 0 ? errno : EIO);
                ctx->setns_failed = true;
        }
        if (r == 0 && ctx->p->test_child_clone_error > 0)
                r = -ctx->p->test_child_clone_error;
        else if (r == 0)
                r = av_clone3(&ctx->child_args, sizeof ctx->child_args, spawn_child_main, ctx);
        __atomic_store_n(&ctx->clone_result, r, __ATOMIC_RELEASE);
        if (r < 0) {
                /* No child clears child_tid: say it here. */
                __atomic_store_n(&ctx->child_tid, 0, __ATOMIC_RELEASE);
                (void) syscall(SYS_futex, &ctx->child_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
        }
        return 0;
}

_child_ int spawn_forker_legacy_main(void *userdata) {
        ChildContext *ctx = userdata;
        long r;

        if (ctx->p->test_child_clone_error > 0)
                r = -ctx->p->test_child_clone_error;
        else {
                r = clone(spawn_child_main, ctx->child_stack_top, ctx->legacy_flags, ctx, &ctx->child_pid, NULL,
                          &ctx->child_tid);
                if (r < 0)
                        r = -(errno > 0 ? errno : EIO);
        }
        __atomic_store_n(&ctx->clone_result, r, __ATOMIC_RELEASE);
        if (r < 0) {
                __atomic_store_n(&ctx->child_tid, 0, __ATOMIC_RELEASE);
                (void) syscall(SYS_futex, &ctx->child_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
        }
        return 0;
}
#endif

_child_ _noreturn_ int spawn_child_main(void *userdata) {
        ChildContext *ctx = userdata;
        const SpawnParams *p = ctx->p;

        child_reset_signals(ctx);
        /* A pooled network namespace (PrivateNetwork=): joined while the
         * child still sees the parent's fds, in place of CLONE_NEWNET. */
        if (sandbox_ns_child_netns(&p->ns, &ctx->step) < 0)
                child_fail(ctx, ctx->step);
        child_unshare_files(ctx);

        if (syscall(SYS_setsid) < 0)
                child_fail(ctx, "setsid");

        child_enter_cgroups(ctx);
        child_stdio(ctx);
        child_close_fds(ctx);

        /* Lowering the score needs CAP_SYS_RESOURCE, so while still root.
         * In vfork: the kernel gives a value written by a process that is
         * not to every process sharing its memory, the daemon included. */
        if (p->oom_score_adj_set)
                child_oom_score_adj(ctx, p->oom_score_adj);

        child_setrlimits(ctx);

        (void) syscall(SYS_umask, p->umask);

        child_sandbox(ctx);
        child_identity(ctx);
        child_unblock_signals(ctx);
        if (p->test_stops_before_exec > 0 || p->test_hangs_before_exec)
                child_test_stops(ctx);

        if (syscall(SYS_chdir, p->working_directory ? p->working_directory : "/") < 0)
                child_fail(ctx, "chdir");

        /* Only the child knows its pid before exec; the slot lives in memory
         * the parent allocated and shares with us (CLONE_VM). Before the
         * filters: after them only execve may come. */
        if (p->pid_env_slot)
                child_format_pid(p->pid_env_slot, (long) syscall(SYS_getpid));

        child_confine(ctx);

        (void) syscall(SYS_execve, p->path, p->argv, p->envp);
        child_fail(ctx, "execve");
}
