/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parent's wait for its child's exec or exit (see spawn.h), bounded.
 *
 * Why not CLONE_VFORK: once the child has called setresuid it runs as the
 * agent's uid, and any process of that uid (the agent itself against its
 * health check's child, another agent of the same User=) may SIGSTOP it.
 * Under CLONE_VFORK the kernel then holds the parent, the daemon's only
 * thread, in an uninterruptible wait for an exec that never comes: every
 * agent unsupervised, the bus unanswered, SIGTERM ignored.
 *
 * So the vfork's wait falls to the forker (spawn.c clone3_child()), which
 * only clones the child and exits, and we wait beside both through
 * CLONE_CHILD_CLEARTID: the kernel clears ctx->child_tid and wakes its
 * futex at the child's exec or exit (the forker clears it itself when it
 * could not clone), and we sleep on that futex in short slices against a
 * deadline. Then the forker, whose own clear_child_tid word says when it
 * left our memory, is reaped.
 * - A slice of no progress in a row costs nothing; after ~50 ms of them the
 *   child gets a SIGCONT through its pidfd: a stop is the only legitimate
 *   cause of a long wait (a SIGCONT is harmless to a running child: its
 *   default action, which the child restores, is to be ignored).
 * - A child found stopped at STOPS_BEFORE_KILL of those checks is being
 *   kept stopped by its user (it stops again after each SIGCONT): it is
 *   killed at once, rather than handing that user the daemon's loop until
 *   the deadline at every start. A legitimate child is never stopped.
 * - At the deadline the child is SIGKILLed through its pidfd (the forker,
 *   if it has not made the child yet) and the spawn fails. We return only once the kernel has cleared child_tid, i.e. once
 *   the child can no longer touch our memory; a SIGKILLed child that never
 *   gets there (stuck in the kernel) makes us give up after a grace and the
 *   caller abandons the memory the child may still write
 *   (spawn.c area_abandon()).
 * - The child shares our memory, errno included, until the exec: we make
 *   raw system calls only (av_syscall4()), with every signal blocked (by
 *   spawn()), and touch nothing of the child's but the futex words made for
 *   that (child_tid, listener_state).
 * - With a notify filter the listener is taken on the way
 *   (spawn-listener.c). */

#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "macro.h"
#include "spawn-internal.h"

#if HAVE_CLONE3_ASM
long av_syscall4(long nr, long a1, long a2, long a3, long a4);
long av_syscall5(long nr, long a1, long a2, long a3, long a4, long a5);

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define NSEC_PER_SEC_ 1000000000ULL
/* Each sleep: a listener's READY wake sent just before we sleep (it wakes
 * child_tid's futex without changing it) is lost for no longer than this. */
#define SLICE_NSEC (10ULL * 1000 * 1000)
/* Consecutive empty slices before a SIGCONT: ~50 ms. */
#define SLICES_BEFORE_CONT 5
/* Checks that found the child stopped before it is killed: ~250 ms. */
#define STOPS_BEFORE_KILL 5
/* How long a SIGKILLed child may take to leave our memory. */
#define KILL_GRACE_NSEC (2ULL * NSEC_PER_SEC_)

static uint64_t now_nsec(void) {
        struct timespec ts = {};

        (void) av_syscall4(SYS_clock_gettime, CLOCK_MONOTONIC, (long) &ts, 0, 0);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC_ + (uint64_t) ts.tv_nsec;
}

/* At most max ns on word's futex while it still holds value: 0 when
 * woken, -ETIMEDOUT when the time passed, -EAGAIN when it had changed. */
static long sleep_on(uint32_t *word, uint32_t value, uint64_t max) {
        struct timespec slice = {
                .tv_sec = (time_t) (max / NSEC_PER_SEC_),
                .tv_nsec = (long) (max % NSEC_PER_SEC_),
        };

        return av_syscall4(SYS_futex, (long) word, FUTEX_WAIT, (long) value, (long) &slice);
}

/* Whether word is 0 by the deadline (10 ms slices, missed wakes cost no
 * more). */
static bool wait_zero(uint32_t *word, uint64_t deadline) {
        for (;;) {
                uint32_t v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
                uint64_t now;

                if (v == 0)
                        return true;
                now = now_nsec();
                if (now >= deadline)
                        return false;
                (void) sleep_on(word, v, MIN(SLICE_NSEC, deadline - now));
        }
}

static void signal_pidfd(int pidfd, int sig) {
        (void) av_syscall4(SYS_pidfd_send_signal, pidfd, sig, 0, 0);
}

/* The child's pidfd once the forker made it, else -1: the kernel writes
 * its pid (CLONE_PARENT_SETTID) after installing its pidfd (clone3), or
 * there is no pidfd yet and we open it from the pid (clone(): the child is
 * ours, unreaped, so the pid is its own). */
static int child_pidfd(ChildContext *ctx) {
        pid_t pid = __atomic_load_n(&ctx->child_pid, __ATOMIC_ACQUIRE);

        if (pid <= 0)
                return -1;
        if (ctx->open_pidfd && ctx->child_pidfd < 0) {
                long fd = av_syscall4(SYS_pidfd_open, pid, 0, 0, 0);
                if (fd >= 0)
                        ctx->child_pidfd = (int) fd;
        }
        return ctx->child_pidfd;
}

/* Whether the child is in a job-control stop, as waitid() reports it
 * without consuming the report (the siginfo is ours, on our stack). */
static bool child_stopped(int pidfd) {
        siginfo_t si = {};

        return av_syscall5(SYS_waitid, P_PIDFD, pidfd, (long) &si, WSTOPPED | WNOHANG | WNOWAIT, 0) == 0 &&
               si.si_pid != 0;
}

/* The child gone from our memory: exec'd or exited, or never made and the
 * forker gone (the kernel writes the child's pid before the child runs, so
 * a forker gone without one made none). */
static bool child_left(ChildContext *ctx) {
        return __atomic_load_n(&ctx->child_tid, __ATOMIC_ACQUIRE) == 0 ||
               (__atomic_load_n(&ctx->forker_tid, __ATOMIC_ACQUIRE) == 0 &&
                __atomic_load_n(&ctx->child_pid, __ATOMIC_ACQUIRE) == 0);
}

/* The forker, once the child left: its vfork wait is over, it stores its
 * result and exits. Reaped, or killed and reaped, within two graces; false
 * if it never leaves our memory (the caller then abandons that memory). */
static bool forker_reap(ChildContext *ctx, int forker_pidfd) {
        siginfo_t si = {};

        if (forker_pidfd < 0)
                return true;
        if (!wait_zero(&ctx->forker_tid, now_nsec() + KILL_GRACE_NSEC)) {
                signal_pidfd(forker_pidfd, SIGKILL);
                if (!wait_zero(&ctx->forker_tid, now_nsec() + KILL_GRACE_NSEC))
                        return false;
        }
        /* Past its last use of our memory: only its exit is left. */
        (void) av_syscall5(SYS_waitid, P_PIDFD, forker_pidfd, (long) &si, WEXITED, 0);
        return true;
}

/* Our /proc/self/oom_score_adj, with raw calls (see above: errno). */
static bool own_adj_read(int *ret) {
        char buf[16] = {};
        long fd, n;
        int v = 0, i = 0, sign = 1;

        fd = av_syscall4(SYS_openat, AT_FDCWD, (long) "/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
                return false;
        n = av_syscall4(SYS_read, fd, (long) buf, sizeof buf - 1, 0);
        (void) av_syscall4(SYS_close, fd, 0, 0, 0);
        if (n <= 0)
                return false;
        if (buf[0] == '-') {
                sign = -1;
                i = 1;
        }
        for (; buf[i] >= '0' && buf[i] <= '9'; i++)
                v = v * 10 + (buf[i] - '0');
        *ret = sign * v;
        return true;
}

/* At the deadline: the child SIGKILLed. A forker that has not made it yet
 * is killed first, and once it is gone (bounded) the child it may have
 * made after all is killed too: copy_process() can be past its last signal
 * check when the forker's SIGKILL comes. */
static void kill_child(ChildContext *ctx, int forker_pidfd) {
        int pidfd = child_pidfd(ctx);

        if (pidfd < 0 && forker_pidfd >= 0) {
                ctx->forker_killed = ctx->p->oom_score_adj_set && own_adj_read(&ctx->own_adj);
                signal_pidfd(forker_pidfd, SIGKILL);
                (void) wait_zero(&ctx->forker_tid, now_nsec() + KILL_GRACE_NSEC);
                pidfd = child_pidfd(ctx);
        }
        if (pidfd >= 0)
                signal_pidfd(pidfd, SIGKILL);
}

int spawn_child_wait(ChildContext *ctx, int forker_pidfd, uint64_t timeout_nsec) {
        uint64_t deadline = now_nsec() + timeout_nsec, now;
        unsigned idle = 0, stops = 0;
        int pidfd, r = 0;

        for (;;) {
                uint32_t tid = __atomic_load_n(&ctx->child_tid, __ATOMIC_ACQUIRE);

                if (__atomic_load_n(&ctx->listener_state, __ATOMIC_ACQUIRE) == LISTENER_READY) {
                        spawn_listener_take(ctx, child_pidfd(ctx));
                        idle = 0;
                }
                /* The child has exec'd or exited, as after a vfork (or the
                 * forker could not make it, or died first). */
                if (child_left(ctx))
                        goto reap;
                now = now_nsec();
                if (now >= deadline)
                        break;
                if (sleep_on(&ctx->child_tid, tid, MIN(SLICE_NSEC, deadline - now)) != -ETIMEDOUT)
                        idle = 0;
                else if (++idle >= SLICES_BEFORE_CONT) {
                        pidfd = child_pidfd(ctx);
                        if (pidfd >= 0) {
                                if (child_stopped(pidfd) && ++stops >= STOPS_BEFORE_KILL)
                                        break;
                                signal_pidfd(pidfd, SIGCONT);
                        }
                        idle = 0;
                }
        }

        /* Kept stopped, or stuck: it never runs user code again after
         * this, and its exit clears child_tid. */
        kill_child(ctx, forker_pidfd);
        r = -ETIMEDOUT;
        deadline = now_nsec() + KILL_GRACE_NSEC;
        while (!child_left(ctx)) {
                now = now_nsec();
                if (now >= deadline) {
                        ctx->abandoned = true;
                        return -EDEADLK;
                }
                (void) sleep_on(&ctx->child_tid, __atomic_load_n(&ctx->child_tid, __ATOMIC_ACQUIRE),
                                MIN(SLICE_NSEC, deadline - now));
        }
reap:
        /* A forker that never leaves: the child's result stands, its memory
         * is left to the forker. */
        if (!forker_reap(ctx, forker_pidfd))
                ctx->abandoned = true;
        return r;
}
#endif
