/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Receives sd_notify datagrams. SCM_CREDENTIALS gives the sender's pid (the
 * kernel vouches for it); the pid's cgroup must be an agent's, or the message
 * is dropped and counted. Any fds passed along are closed at once. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent.h"
#include "log.h"
#include "notify-message.h"
#include "notify.h"

int notify_pid_cgroup(pid_t pid, char *buf, size_t size) {
        char path[64], line[4096];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, line, sizeof line - 1);
        if (n < 0)
                return -errno;
        line[n] = 0;
        for (char *p = line; p && *p;) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(p, "0::", 3) == 0) {
                        if (strlen(p + 3) >= size)
                                return -ENAMETOOLONG;
                        strcpy(buf, p + 3);
                        return 0;
                }
                p = nl ? nl + 1 : NULL;
        }
        return -ENODATA;
}

static void close_passed_fds(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        int *fds = (int *) CMSG_DATA(c);
                        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < n; i++)
                                safe_close(fds[i]);
                }
}

static void drop(Manager *m, const char *why, pid_t pid) {
        m->notify_dropped++;
        log_debug("notify message from pid %d dropped: %s", (int) pid, why);
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[NOTIFY_DATAGRAM_MAX + 1];
        char cg[4096];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        } control;

        /* Bounded: at most 64 datagrams per wakeup, then give the loop back. */
        for (unsigned i = 0; i < 64; i++) {
                struct iovec iov = { buf, sizeof buf };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof control,
                };
                const struct ucred *cred = NULL;
                NotifyMessage msg;
                Agent *a;

                ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
                if (n < 0)
                        break;
                close_passed_fds(&mh);
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                            c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                                cred = (const struct ucred *) CMSG_DATA(c);
                if (!cred || cred->pid <= 0) {
                        drop(m, "no credentials", 0);
                        continue;
                }
                if ((mh.msg_flags & MSG_TRUNC) || (size_t) n > NOTIFY_DATAGRAM_MAX) {
                        drop(m, "datagram too large", cred->pid);
                        continue;
                }
                /* An agent's main process, not yet reaped, cannot have left its
                 * cgroup nor had its pid reused: no need to ask /proc. */
                a = hashmap_get(m->agents_by_pid, HASHMAP_UINT(cred->pid));
                if (!a) {
                        if (notify_pid_cgroup(cred->pid, cg, sizeof cg) < 0) {
                                drop(m, "sender gone", cred->pid);
                                continue;
                        }
                        a = hashmap_get(m->agents_by_cgroup, cg);
                }
                if (!a) {
                        drop(m, "sender is in no agent's cgroup", cred->pid);
                        continue;
                }
                if (notify_message_parse(buf, (size_t) n, &msg) < 0) {
                        drop(m, "malformed", cred->pid);
                        continue;
                }
                agent_notify(a, &msg);
        }
        return 0;
}

static int own_cgroup(char *buf, size_t size) {
        return notify_pid_cgroup(getpid(), buf, size);
}

int notify_setup(Manager *m) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char own[2048];
        int one = 1, r;
        size_t len;

        r = own_cgroup(own, sizeof own);
        if (r < 0)
                return log_error_errno(r, "Failed to read the daemon's own cgroup: %m");
        if (asprintf(&m->notify_socket, "@agentvisor%s%s%s", own, strcmp(own, "/") == 0 ? "" : "/",
                     m->config->control_group) < 0)
                return -ENOMEM;
        len = strlen(m->notify_socket);
        if (len >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "Notify socket name %s is too long", m->notify_socket);
        memcpy(sa.sun_path, m->notify_socket, len);
        sa.sun_path[0] = 0;

        m->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m->notify_fd < 0)
                return log_error_errno(errno, "Failed to create the notify socket: %m");
        if (bind(m->notify_fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
                if (errno == EADDRINUSE)
                        return log_error_errno(errno, "Another agentvisord already supervises %s%s%s "
                                               "(its notify socket %s is bound)",
                                               own, strcmp(own, "/") == 0 ? "" : "/", m->config->control_group,
                                               m->notify_socket);
                return log_error_errno(errno, "Failed to bind the notify socket %s: %m", m->notify_socket);
        }
        if (setsockopt(m->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return log_error_errno(errno, "Failed to enable SO_PASSCRED: %m");
        return sd_event_add_io(m->event, &m->notify_source, m->notify_fd, EPOLLIN, on_notify, m);
}
