/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clone of spawn()'s child (see spawn-internal.h): by a forker, with
 * clone3() or, where that is refused, clone(), and the wait for its exec;
 * the children of ours that could not be reaped in time. */

#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "spawn-internal.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#if HAVE_CLONE3_ASM
long av_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
/* clone3() refused (ENOSYS: before 5.3, or a seccomp filter such as
 * systemd's RestrictNamespaces=), or CLONE_INTO_CGROUP refused (EINVAL:
 * before 5.7): from then on every spawn clones with clone(). */
static bool clone3_missing = false;
#endif

/* Children of ours that a spawn could not reap in time: a forker that had
 * not left our memory when its spawn gave up on it (spawn-wait.c), a child
 * that failed but is traced, or kept in our memory. Reaped by a later
 * spawn, so that none stays a zombie for good; when all slots are taken,
 * one does. */
static int kept[8] = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF };

void spawn_keep_child(int pidfd) {
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                if (kept[i] < 0) {
                        kept[i] = pidfd;
                        return;
                }
        safe_close(pidfd);
}

/* Whether the child of pidfd is reaped now, or was already (ECHILD). */
static bool try_reap(int pidfd) {
        siginfo_t si = {};

        if (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG | __WALL) < 0)
                return errno == ECHILD;
        return si.si_pid != 0;
}

void spawn_kept_reap(void) {
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                if (kept[i] >= 0 && try_reap(kept[i]))
                        kept[i] = safe_close(kept[i]);
}

/* Reaps the child of pidfd, which has been sent SIGKILL, within 2 s (a
 * traced zombie is its tracer's first), or keeps it for later. */
void spawn_reap_or_keep(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        (void) poll(&pfd, 1, 2000);
        if (try_reap(pidfd))
                safe_close(pidfd);
        else
                spawn_keep_child(pidfd);
}

/* The wait for the child's exec or exit (spawn-wait.c): a child stopped or
 * stuck past the deadline is killed and fails the spawn. */
static void child_wait(ChildContext *ctx, int forker_pidfd) {
#if HAVE_CLONE3_ASM
        uint64_t timeout = ctx->p->exec_timeout_usec ?: SPAWN_EXEC_TIMEOUT_USEC;
        int r = spawn_child_wait(ctx, forker_pidfd, timeout > UINT64_MAX / 1000 ? UINT64_MAX : timeout * 1000);

        if (r >= 0)
                return;
        /* A failure of its own just before the deadline says more. */
        if (ctx->error >= 0) {
                ctx->error = -ETIMEDOUT;
                ctx->step = SPAWN_STUCK_STEP;
        }
#endif
}


#if HAVE_CLONE3_ASM
/* What the kernel and the forker write, before a forker is made. */
static void forker_begin(ChildContext *ctx) {
        ctx->child_pidfd = -EBADF;
        ctx->child_pid = 0;
        ctx->clone_result = 0;
        ctx->forker_tid = 1;
}

/* The forker made the child or failed to: waits beside both (spawn-wait.c)
 * and returns the child's pid (made, whatever became of it since: the
 * caller reaps it) or the forker's -errno. */
static long forker_done(ChildContext *ctx, int forker_pidfd, int *ret_pidfd) {
        long r;

        child_wait(ctx, forker_pidfd);
        if (ctx->abandoned)
                spawn_keep_child(forker_pidfd);       /* may still be in our memory: reaped later */
        else
                safe_close(forker_pidfd);
        if (ctx->child_pid > 0) {
                /* clone(): the wait may not have needed the pidfd. */
                if (ctx->child_pidfd < 0) {
                        ctx->child_pidfd = (int) pidfd_open(ctx->child_pid, 0);
                        if (ctx->child_pidfd < 0) {
                                /* Ours and unreaped: the pid is still its own. */
                                r = -errno;
                                (void) kill(ctx->child_pid, SIGKILL);
                                if (__atomic_load_n(&ctx->child_tid, __ATOMIC_ACQUIRE) == 0)
                                        (void) waitpid(ctx->child_pid, NULL, __WALL);
                                return r;
                        }
                }
                *ret_pidfd = ctx->child_pidfd;
                return ctx->child_pid;
        }
        r = ctx->clone_result;
        if (r < 0)
                return r;
        /* The forker died (killed at the deadline, or by root) before it
         * made the child. */
        return ctx->error < 0 ? ctx->error : -ECHILD;
}

/* The child is made by a forker, not by us. Until its exec the child shares
 * our memory, and from its clone it sits in the agent's memory cgroup: when
 * that group is full (the agent can keep it so with memory no process of it
 * maps), the OOM killer compares the group's processes, counts our whole
 * memory as the child's, and kills every process that shares the memory of
 * the one it picks; the daemon with it. It never picks a process in vfork
 * whose parent shares its memory, so the child is cloned with CLONE_VFORK
 * and CLONE_PARENT (we are its parent; it is ours to wait for and reap).
 * The vfork's wait falls to the forker, a clone of ours in our own cgroup
 * that does nothing else, while we wait beside them both, bounded, and
 * take a listener (spawn-wait.c). The forker also enters the agent's PID
 * namespace for the child, so that our own namespaces never change.
 * Returns the child's pid or -errno (a clone3() error, EAGAIN of a full
 * pids.max among them, is the spawn's); sets *ret_fallback instead where
 * clone3() or CLONE_INTO_CGROUP is missing, for the caller to use clone(). */
static pid_t clone3_child(ChildContext *ctx, void *stack, void *forker_stack, int cgroup_fd, int *ret_pidfd,
                          bool *ret_fallback) {
        int forker_pidfd = -EBADF;
        struct clone_args forker = {
                .flags = CLONE_VM | CLONE_FILES | CLONE_PIDFD | CLONE_CHILD_CLEARTID,
                .pidfd = (uint64_t) (uintptr_t) &forker_pidfd,
                .child_tid = (uint64_t) (uintptr_t) &ctx->forker_tid,
                .exit_signal = SIGCHLD,
                .stack = (uint64_t) (uintptr_t) forker_stack,
                .stack_size = FORKER_STACK_SIZE,
        };
        long r;

        ctx->child_args = (struct clone_args) {
                .flags = CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID |
                         CLONE_PIDFD | CLONE_INTO_CGROUP | (ctx->shared_files ? CLONE_FILES : 0) |
                         sandbox_ns_clone_flags(&ctx->p->ns),
                .pidfd = (uint64_t) (uintptr_t) &ctx->child_pidfd,
                .child_tid = (uint64_t) (uintptr_t) &ctx->child_tid,
                .parent_tid = (uint64_t) (uintptr_t) &ctx->child_pid,
                .exit_signal = 0,            /* CLONE_PARENT: the forker's, SIGCHLD */
                .stack = (uint64_t) (uintptr_t) stack,
                .stack_size = STACK_SIZE,
                .cgroup = (uint64_t) cgroup_fd,
        };
        forker_begin(ctx);
        ctx->cgroup_procs_fd = -EBADF;

        r = av_clone3(&forker, sizeof forker, spawn_forker_main, ctx);
        if (r == -ENOSYS || r == -E2BIG) {
                clone3_missing = *ret_fallback = true;
                return 0;
        }
        if (r < 0) {
                ctx->forker_tid = 0;
                return (pid_t) r;
        }
        r = forker_done(ctx, forker_pidfd, ret_pidfd);
        /* EINVAL: no CLONE_INTO_CGROUP (before 5.7). Not when it was the
         * forker's setns(), nor with a forker that may still use the area
         * a fallback would use again. */
        if ((r == -ENOSYS || r == -E2BIG || r == -EINVAL) && !ctx->setns_failed && !ctx->abandoned) {
                clone3_missing = *ret_fallback = true;
                return 0;
        }
        return (pid_t) r;
}

/* The same with clone(), where clone3() or CLONE_INTO_CGROUP is missing:
 * clone() cannot give both the child's pid and a pidfd, so the kernel
 * writes the pid (CLONE_PARENT_SETTID, before the child runs) and the wait
 * opens the pidfd from it (pidfd_open: race-free, the child is ours and
 * unreaped); the child joins its cgroup by a write. */
static pid_t clone_child_forked(ChildContext *ctx, void *stack, void *forker_stack, int *ret_pidfd) {
        int forker_pidfd = -EBADF;
        long r;

        ctx->legacy_flags = CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID |
                            (ctx->shared_files ? CLONE_FILES : 0) | (int) sandbox_ns_clone_flags(&ctx->p->ns);
        ctx->child_stack_top = (char *) stack + STACK_SIZE;
        ctx->open_pidfd = true;
        forker_begin(ctx);

        r = clone(spawn_forker_legacy_main, (char *) forker_stack + FORKER_STACK_SIZE,
                  CLONE_VM | CLONE_FILES | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD, ctx, &forker_pidfd, NULL,
                  &ctx->forker_tid);
        if (r < 0) {
                ctx->forker_tid = 0;
                return -errno;
        }
        return (pid_t) forker_done(ctx, forker_pidfd, ret_pidfd);
}
#endif

pid_t spawn_clone_child(ChildContext *ctx, void *stack, void *forker_stack, int cgroup_fd, int *ret_pidfd) {
        int pidfd = -EBADF;
        pid_t pid;

        ctx->child_tid = 1;
#if HAVE_CLONE3_ASM
        if (!clone3_missing) {
                bool fallback = false;

                pid = clone3_child(ctx, stack, forker_stack, cgroup_fd, ret_pidfd, &fallback);
                if (!fallback)
                        return pid;
                ctx->child_tid = 1;
        }
#endif
        /* Only clone3 hands a listener over (spawn_listener_supported()),
         * and only the forker enters a PID namespace (which needs clone3
         * and CLONE_INTO_CGROUP to be made anyway). */
        if (ctx->p->notify_filter || ctx->ns.pidns_fd >= 0)
                return -EOPNOTSUPP;

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
#if HAVE_CLONE3_ASM
        pid = clone_child_forked(ctx, stack, forker_stack, &pidfd);
#else
        /* Without the raw calls (av_syscall4()) we cannot wait beside the
         * child without touching the errno we share: CLONE_VFORK from here,
         * with its unbounded wait. */
        pid = clone(spawn_child_main, (char *) stack + STACK_SIZE,
                    CLONE_VM | CLONE_VFORK | CLONE_CHILD_CLEARTID | CLONE_PIDFD | SIGCHLD |
                            (ctx->shared_files ? CLONE_FILES : 0) | (int) sandbox_ns_clone_flags(&ctx->p->ns),
                    ctx, &pidfd, NULL, &ctx->child_tid);
        if (pid < 0)
                pid = -errno;
#endif
        if (!ctx->shared_files)
                safe_close(ctx->cgroup_procs_fd);
        ctx->cgroup_procs_fd = -EBADF;
        if (pid > 0)
                *ret_pidfd = pidfd;
        return pid;
}

bool spawn_clone3_in_use(void) {
#if HAVE_CLONE3_ASM
        return !clone3_missing;
#else
        return false;
#endif
}
