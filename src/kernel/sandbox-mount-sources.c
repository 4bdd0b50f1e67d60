/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bind sources of a mount plan (see sandbox-mount.h), daemon side:
 * BindPaths=, BindReadOnlyPaths= and StateDirectory= are opened once here,
 * checked on the fd, and handed to the spawn child over a socket, so the
 * child copies exactly what was checked. Reopening the path in the child
 * would follow whatever an agent put there in the meantime (its
 * StateDirectory is its own to change). */

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox-mount-internal.h"

static int source_error(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int source_error(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        free(*ret_error);
        *ret_error = NULL;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

static int source_open(const MountOp *op, int *ret_fd, char **ret_error) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = (int) syscall(SYS_openat2, AT_FDCWD, op->source, &how, sizeof how);
        if (fd < 0) {
                int r = -errno;

                if (r == -ENOENT && op->ignore_missing) {
                        *ret_fd = -EBADF;
                        return 0;
                }
                if (r == -ELOOP)
                        return source_error(ret_error, r, "%s: %s has a symlink in its path; give the path the link "
                                            "points to", op->key, op->source);
                return source_error(ret_error, r, "%s: cannot open %s: %s", op->key, op->source, strerror(-r));
        }
        if (fstat(fd, &st) < 0)
                return source_error(ret_error, -errno, "%s: cannot stat %s: %m", op->key, op->source);
        if (op->check_owner) {
                if (!S_ISDIR(st.st_mode))
                        return source_error(ret_error, -ENOTDIR, "%s: %s is not a directory", op->key, op->source);
                if (st.st_uid != op->owner || (st.st_mode & 07777) != 0700)
                        return source_error(ret_error, -EPERM,
                                            "%s: %s is owned by uid %u with mode %04o, not by uid %u with mode 0700",
                                            op->key, op->source, (unsigned) st.st_uid,
                                            (unsigned) (st.st_mode & 07777), (unsigned) op->owner);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int mount_plan_open_sources(MountPlan *plan, char **ret_error) {
        int r;

        if (!plan || plan->n_sources == 0)
                return 0;
        if (plan->sources)
                return -EALREADY;
        plan->sources = malloc(plan->n_sources * sizeof(int));
        plan->received = malloc(plan->n_sources * sizeof(int));
        if (!plan->sources || !plan->received)
                return -ENOMEM;
        for (size_t i = 0; i < plan->n_sources; i++)
                plan->sources[i] = plan->received[i] = -EBADF;
        for (size_t i = 0; i < plan->n_ops; i++) {
                const MountOp *op = &plan->ops[i];

                if (op->type != MOUNT_OP_CLONE || !op->from_parent)
                        continue;
                r = source_open(op, &plan->sources[op->source_index], ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* MOUNT_PLAN_SOURCES_PER_MESSAGE fds per datagram, in the order of
 * plan->sources, skipping the missing ones (the child skips them alike). */
int mount_plan_sources_socket(const MountPlan *plan, int *ret_fd) {
        _cleanup_close_ int send_fd = -EBADF, receive_fd = -EBADF;
        int pair[2];
        size_t i = 0;

        *ret_fd = -EBADF;
        if (!plan || plan->n_sources == 0)
                return 0;
        if (!plan->sources)
                return -EINVAL;      /* mount_plan_open_sources() not called */
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        send_fd = pair[0];
        receive_fd = pair[1];
        while (i < plan->n_sources) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * MOUNT_PLAN_SOURCES_PER_MESSAGE)];
                } control = {};
                struct iovec iov = { .iov_base = (char *) "s", .iov_len = 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control };
                struct cmsghdr *c = &control.h;
                size_t n = 0;

                for (; i < plan->n_sources && n < MOUNT_PLAN_SOURCES_PER_MESSAGE; i++)
                        if (plan->sources[i] >= 0)
                                memcpy(CMSG_DATA(c) + n++ * sizeof(int), &plan->sources[i], sizeof(int));
                if (n == 0)
                        break;
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n * sizeof(int));
                mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
                if (sendmsg(send_fd, &mh, MSG_NOSIGNAL) < 0)
                        return -errno;
        }
        /* The datagrams stay queued at receive_fd once send_fd is closed. */
        *ret_fd = TAKE_FD(receive_fd);
        return 0;
}
