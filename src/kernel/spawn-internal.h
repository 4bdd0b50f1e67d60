/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to spawn(): what its parent side (spawn.c: the fd slots, the
 * rlimits, the clone) hands to its child side (spawn-child.c: the raw
 * syscalls up to exec) through memory they share until the exec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <linux/sched.h>
#include <sys/resource.h>

#include "macro.h"
#include "sandbox-ns.h"
#include "spawn.h"

#define STACK_SIZE (64 * 1024)
#define FORKER_STACK_SIZE (16 * 1024)

/* Low fd slots held open (on /dev/null) for the whole life of the process,
 * see spawn_reserve_fds(). */
#define RESERVED_FIRST 3
#define RESERVED_N 10
#define RESERVED_END (RESERVED_FIRST + RESERVED_N)

enum {
        LISTENER_WAITING,
        LISTENER_READY,                      /* the child loaded the notify filter */
        LISTENER_TAKEN,                      /* the parent has its copy */
        LISTENER_REFUSED,                    /* it could not: the child fails */
};

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
        int mount_sources_fd;                /* mount_plan_sources_socket(), kept likewise */
        /* notify_filter: the listener's hand-over (spawn-listener.c), in
         * memory both sides see while they run side by side. */
        int listener_fd;                     /* the child's number for it */
        int listener_error;                  /* pidfd_getfd()'s, when REFUSED */
        uint32_t listener_state;             /* LISTENER_* */
        uint32_t child_tid;                  /* cleared by the kernel at exec or exit */
        /* The forker (spawn_forker_main()) clones the child with these; the
         * kernel writes the child's pidfd (-1 until then) and pid into the
         * two fields after them, the forker its clone3() result. */
        struct clone_args child_args;
        int child_pidfd;
        pid_t child_pid;
        long clone_result;
        uint32_t forker_tid;                 /* cleared by the kernel at the forker's exit */
        bool abandoned;                      /* the parent's: child or forker never gone (spawn-wait.c) */
        bool shared_files;
        /* The clone() fallback's forker (spawn_forker_legacy_main()): its
         * flags and the child's stack; the wait opens child_pidfd itself
         * (open_pidfd). */
        int legacy_flags;
        void *child_stack_top;
        bool open_pidfd;
        /* The forker's setns() into the PID namespace failed (clone_result
         * is its error, not clone3's: no fallback). */
        bool setns_failed;
        /* The wait killed the forker, whose child may then write its
         * oom_score_adj out of vfork, which the kernel gives to us too: our
         * own, read just before that kill (while the child was still in
         * vfork), for spawn() to put back. */
        bool forker_killed;
        int own_adj;
        int cap_last_cap;
        int max_fd;                          /* for closing fds where close_range is missing */
        struct rlimit64 rlimits[RLIM_NLIMITS]; /* every one, set in the child */
        SandboxNsState ns;                   /* namespaces made before the clone */
        int error;                           /* written by the child */
        const char *step;
} ChildContext;

/* The child's entry point, passed to clone3/clone with a ChildContext: runs
 * on the borrowed stack, sharing the parent's memory, and never returns
 * (exec, or exit 127 with ctx->error and ctx->step set). */
_noreturn_ int spawn_child_main(void *userdata);

/* The forker: a clone of the parent (CLONE_VM|CLONE_FILES, in the parent's
 * cgroup) that clones the child with ctx->child_args, CLONE_VFORK and
 * CLONE_PARENT among them, waits in that vfork until the child's exec or
 * exit, stores the result and exits. See clone_child() in spawn.c. */
int spawn_forker_main(void *userdata);
/* The same with clone(), for kernels or filters without clone3(). */
int spawn_forker_legacy_main(void *userdata);

/* spawn-wait.c: the parent's wait beside its child and the forker
 * (forker_pidfd -1: none, the clone() fallback; ctx->child_pid and
 * child_pidfd are set then) until the child's exec or exit (or the forker's
 * failure to clone it, or its death first), at most timeout_nsec, taking a
 * notify filter's listener on the way; then the forker is reaped. 0: exec'd
 * or exited. -ETIMEDOUT: stopped or stuck until the deadline, then
 * SIGKILLed, and gone from our memory. -EDEADLK: SIGKILLed but still not
 * gone after a grace. ctx->abandoned: the child or the forker may still
 * write the memory they share (their stacks, this context), which must be
 * left to them (also after a 0: a forker that never left). */
int spawn_child_wait(ChildContext *ctx, int forker_pidfd, uint64_t timeout_nsec);

/* spawn-listener.c: takes the listener the child said READY for. */
void spawn_listener_take(ChildContext *ctx, int pidfd);

/* spawn-clone.c: clones the child (by a forker, see there) onto stack,
 * into the group of cgroup_fd, and waits for its exec: returns its pid
 * (*ret_pidfd its pidfd) or -errno; the child's own failure is in ctx. */
pid_t spawn_clone_child(ChildContext *ctx, void *stack, void *forker_stack, int cgroup_fd, int *ret_pidfd);
/* Children of ours that could not be reaped in time (a forker that never
 * left, a failed child that is traced): kept, and reaped by a later spawn
 * (spawn_kept_reap()). spawn_reap_or_keep(): reaps a SIGKILLed child within
 * 2 s, or keeps it. */
void spawn_keep_child(int pidfd);
void spawn_kept_reap(void);
void spawn_reap_or_keep(int pidfd);
