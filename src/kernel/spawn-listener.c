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
 * - The parent cannot take it with pidfd_getfd(): CLONE_VFORK holds the
 *   parent until the exec, when the copy is gone. Making the child wait for
 *   the parent would need the parent to run meanwhile, i.e. no vfork.
 * - So the child pushes it: sendmmsg() with SCM_RIGHTS on one end of a
 *   socketpair the parent made before the clone (the child's end is
 *   O_CLOEXEC too). The message holds its own reference to the listener
 *   until the parent, back from the clone, receives it. No process but the
 *   daemon ever has it after the exec: no window.
 * - Every syscall the child makes after loading the notify filter passes
 *   through it, while the only reader of the listener (the daemon) is
 *   blocked in the vfork: a notification then would wait forever. Those
 *   syscalls are sendmmsg (the hand-over), seccomp (the enforce filter,
 *   loaded second), execve and exit_group (a failure), and the compiler never
 *   notifies them (policy-compile.c never_notified()); getpid for the pid
 *   slot is done before. The notify filter is loaded first so that the
 *   hand-over does not depend on the enforce filter allowing sendmmsg. No
 *   deadlock.
 * - After the exec the agent may make a reported syscall before the
 *   daemon has put the listener into its event loop: it just waits until
 *   then (microseconds, the daemon takes it right after the clone).
 * - Failure is closed: when the listener cannot be created or sent, the
 *   child fails before exec (spawn-failed); the enforce filter, which
 *   allows what the notify filter reports, is never loaded without it. */

#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "spawn-internal.h"

int spawn_listener_prepare(ChildContext *ctx, int *ret_parent_sock) {
        int sv[2];

        if (CMSG_SPACE(sizeof(int)) > SPAWN_CMSG_SIZE)
                return -ENOBUFS;
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        ctx->listener_sock = sv[1];
        ctx->listener_byte = 'L';
        ctx->listener_iov = (struct iovec) { .iov_base = &ctx->listener_byte, .iov_len = 1 };
        memset(&ctx->listener_cmsg, 0, sizeof(ctx->listener_cmsg));
        ctx->listener_msg = (struct mmsghdr) {
                .msg_hdr = {
                        .msg_iov = &ctx->listener_iov,
                        .msg_iovlen = 1,
                        .msg_control = ctx->listener_cmsg.buf,
                        .msg_controllen = CMSG_SPACE(sizeof(int)),
                },
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&ctx->listener_msg.msg_hdr);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        *ret_parent_sock = sv[0];
        return 0;
}

/* After the clone: the listener the child sent, if it did. Never blocks. */
static int listener_receive(int parent_sock, int *ret_listener_fd) {
        union {
                size_t align;           /* a cmsghdr's alignment */
                char buf[SPAWN_CMSG_SIZE];
        } control = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = CMSG_SPACE(sizeof(int)),
        };
        struct cmsghdr *c;
        ssize_t n;
        int fd;

        n = recvmsg(parent_sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
                return errno == EAGAIN ? -ENOMSG : -errno;
        c = CMSG_FIRSTHDR(&msg);
        if (n != 1 || (msg.msg_flags & MSG_CTRUNC) || !c || c->cmsg_level != SOL_SOCKET ||
            c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EPROTO;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        *ret_listener_fd = fd;
        return 0;
}

void spawn_listener_finish(ChildContext *ctx, int parent_sock, int pidfd) {
        int r = listener_receive(parent_sock, ctx->p->ret_listener_fd);

        if (r >= 0)
                return;
        /* It runs with filters that send reported syscalls to nobody: it
         * must not go on. */
        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        ctx->error = r;
        ctx->step = "seccomp listener";
}
