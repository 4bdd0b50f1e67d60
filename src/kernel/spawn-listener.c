/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the daemon gets the seccomp listener of an agent whose policy reports
 * (SpawnParams.notify_filter), the parent's side.
 *
 * The listener only exists once the child loads a filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, and it then sits in the child's own fd
 * table (unshared at the start of the child). What rules the design:
 *
 * - The agent must never hold it: a listener answers the agent's own
 *   reported syscalls (and CONTINUE would let it allow them). The kernel
 *   creates it O_CLOEXEC, so the exec closes the child's copy; the daemon
 *   must have its own copy before that exec.
 * - Pushing it from the child (SCM_RIGHTS) is charged to the child's user,
 *   already the agent's: an agent of the same uid holding many fds in
 *   flight would make the send fail (ETOOMANYREFS), and so every other
 *   agent's start. So the parent pulls it with pidfd_getfd(), as root,
 *   which nothing of the agent's user can refuse.
 * - For that the parent must run while the child waits: the vfork's wait
 *   falls to the forker (spawn.c); the parent waits beside the child, bounded, on
 *   CLONE_CHILD_CLEARTID's futex (spawn-wait.c), and takes the listener
 *   when the child says READY. It makes raw system calls only
 *   (av_syscall4()): errno is shared with the child, whose failure report
 *   reads it.
 * - The child, once the notify filter is loaded, stores the listener's
 *   number, says READY (a futex wake) and waits for TAKEN or REFUSED. Every
 *   syscall it makes from the notify filter to the exec passes through that
 *   filter while the only reader of the listener (the daemon) waits for it:
 *   a notification then would never be answered. Those syscalls are futex,
 *   seccomp (the enforce filter, loaded second), execve and exit_group (a
 *   failure), and the compiler never notifies them (policy-compile.c
 *   never_notified()); getpid for the pid slot is done before. No deadlock.
 * - After the exec the agent may make a reported syscall before the daemon
 *   has put the listener into its event loop: it just waits until then.
 * - Failure is closed: when the listener cannot be created or taken, the
 *   child fails before exec (spawn-failed); the enforce filter, which
 *   allows what the notify filter reports, is never loaded without it. */

#include <linux/futex.h>
#include <sys/syscall.h>

#include "macro.h"
#include "spawn-internal.h"

#if HAVE_CLONE3_ASM
long av_syscall4(long nr, long a1, long a2, long a3, long a4);

static void wake(uint32_t *word) {
        (void) av_syscall4(SYS_futex, (long) word, FUTEX_WAKE, 1, 0);
}

void spawn_listener_take(ChildContext *ctx, int pidfd) {
        long fd = av_syscall4(SYS_pidfd_getfd, pidfd, ctx->listener_fd, 0, 0);

        if (fd < 0) {
                ctx->listener_error = (int) fd;
                __atomic_store_n(&ctx->listener_state, LISTENER_REFUSED, __ATOMIC_RELEASE);
        } else {
                *ctx->p->ret_listener_fd = (int) fd;
                __atomic_store_n(&ctx->listener_state, LISTENER_TAKEN, __ATOMIC_RELEASE);
        }
        wake(&ctx->listener_state);
}

bool spawn_listener_supported(void) {
        return true;
}
#else
/* Without the raw calls the parent could not wait beside its child. */
bool spawn_listener_supported(void) {
        return false;
}
#endif
