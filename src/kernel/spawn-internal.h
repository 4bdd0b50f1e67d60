/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to spawn(): what its parent side (spawn.c: the fd slots, the
 * rlimits, the clone) hands to its child side (spawn-child.c: the raw
 * syscalls up to exec) through memory they share until the exec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "macro.h"
#include "sandbox-ns.h"
#include "spawn.h"

/* Low fd slots held open (on /dev/null) for the whole life of the process,
 * see spawn_reserve_fds(). */
#define RESERVED_FIRST 3
#define RESERVED_N 9
#define RESERVED_END (RESERVED_FIRST + RESERVED_N)

/* Room for one SCM_RIGHTS fd (CMSG_SPACE(sizeof(int)), which is not an
 * integer constant expression for every compiler). */
#define SPAWN_CMSG_SIZE 64

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
        /* notify_filter: the child's end of the socket the listener goes
         * through, and the message the child completes with its number. */
        int listener_sock;
        struct mmsghdr listener_msg;
        struct iovec listener_iov;
        char listener_byte;
        union {
                size_t align;           /* a cmsghdr's alignment */
                char buf[SPAWN_CMSG_SIZE];
        } listener_cmsg;
        bool shared_files;
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

/* spawn-listener.c: the parent's side of the listener hand-over. */
int spawn_listener_prepare(ChildContext *ctx, int *ret_parent_sock);
/* After an exec: stores the listener in *p->ret_listener_fd, or kills the
 * child and sets ctx->error. */
void spawn_listener_finish(ChildContext *ctx, int parent_sock, int pidfd);
