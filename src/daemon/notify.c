/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Receives sd_notify datagrams. SCM_CREDENTIALS gives the sender's pid (the
 * kernel vouches for it); the pid's cgroup must be an agent's, or the message
 * is dropped and counted. Where the kernel also attaches a pidfd of the
 * sender (SO_PASSPIDFD, Linux 6.5), the sender must still be unreaped after
 * the lookup: its pid then cannot have been reused by another process
 * meanwhile, so the credit goes to the process that sent.
 *
 * fds are never used. The kernel refuses them (SO_PASSRIGHTS, Linux 6.16:
 * the sender's sendmsg() fails with EPERM); before 6.16 they arrive anyway
 * and go to the closer below, never closed on the event loop. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "agent.h"
#include "cgroupfs.h"
#include "log.h"
#include "notify-message.h"
#include "notify.h"

/* Older headers lack these. The values are asm-generic's, which x86, arm and
 * the rest share; alpha, mips, parisc and sparc number them differently and
 * get them only from their own headers. */
#if !defined(__alpha__) && !defined(__mips__) && !defined(__hppa__) && !defined(__sparc__)
#  ifndef SO_PASSPIDFD
#    define SO_PASSPIDFD 76
#  endif
#  ifndef SCM_PIDFD
#    define SCM_PIDFD 0x04
#  endif
#  ifndef SO_PASSRIGHTS
#    define SO_PASSRIGHTS 83
#  endif
#endif

/* The kernel's limit on fds in one message (SCM_MAX_FD). The control buffer
 * holds that many: fds that do not fit would be dropped by the kernel inside
 * recvmsg(), i.e. closed on the event loop. */
#define NOTIFY_FDS_MAX 253

/* At most this many passed fds wait for the closer; see notify_pause(). */
#define CLOSER_BACKLOG 1024
#define NOTIFY_PAUSE_USEC (100 * USEC_PER_MSEC)

/* Set once SO_PASSPIDFD is on: every message should then carry a pidfd. */
static bool pass_pidfd;

/* The closer, for kernels that cannot refuse fds. The last close() of an fd
 * someone else chose may block as long as they like: a TCP socket with
 * SO_LINGER on a connection whose peer never reads waits out the linger
 * time, a FUSE file waits for its server to answer FLUSH. One detached
 * thread closes them, fed fd numbers through a pipe; it is started at the
 * first fd that arrives. A thread rather than a process per message: forks
 * would need the same bound, at a far higher cost. */
static int closer_fd = -EBADF;          /* the pipe's write end, non-blocking */
static atomic_uint closer_pending;      /* handed over, not yet closed */
static sd_event_source *notify_resume;  /* floating: reading resumes */

static void *closer_main(void *userdata) {
        int in = (int) (intptr_t) userdata, fds[64];

        for (;;) {
                ssize_t n = read(in, fds, sizeof fds);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return NULL;
                for (size_t i = 0; i < (size_t) n / sizeof(int); i++) {
                        /* Undoes the commonest way to make close() wait; a
                         * socket then finishes in the background. On
                         * anything else this fails and close() still may
                         * block, here, where it stops nothing. */
                        (void) setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &(struct linger) {},
                                          sizeof(struct linger));
                        (void) close(fds[i]);
                        atomic_fetch_sub(&closer_pending, 1);
                }
        }
}

static int closer_start(void) {
        int p[2], r;
        sigset_t all, saved;
        pthread_t t;

        /* Every 4-byte write fits: CLOSER_BACKLOG fds are far below a pipe's
         * 64 KiB. */
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        /* The thread takes no signal: sd-event reads them from a signalfd,
         * which needs them blocked in every thread. */
        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &saved);
        r = pthread_create(&t, NULL, closer_main, (void *) (intptr_t) p[0]);
        (void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r != 0) {
                safe_close(p[0]);
                safe_close(p[1]);
                return -r;
        }
        (void) pthread_detach(t);
        if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)
                log_warning_errno(errno, "Cannot make the closer's pipe non-blocking: %m");
        closer_fd = p[1];
        log_notice("The kernel cannot refuse fds passed to the notify socket (SO_PASSRIGHTS needs Linux 6.16); "
                   "a helper thread closes them");
        return 0;
}

/* Hands fds someone else passed to the closer. Never blocks. */
static void close_passed_fds(const int *fds, size_t n) {
        size_t size = n * sizeof(int);
        int r;

        if (n == 0)
                return;
        if (closer_fd < 0) {
                r = closer_start();
                if (r < 0)
                        log_error_errno(r, "Failed to start the thread that closes passed fds: %m");
        }
        if (closer_fd >= 0) {
                atomic_fetch_add(&closer_pending, (unsigned) n);
                if (write(closer_fd, fds, size) == (ssize_t) size)
                        return;
                atomic_fetch_sub(&closer_pending, (unsigned) n);
                log_error_errno(errno, "Failed to hand passed fds to the closer: %m");
        }
        /* No closer: the best that is left, here. */
        for (size_t i = 0; i < n; i++) {
                (void) setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &(struct linger) {}, sizeof(struct linger));
                safe_close(fds[i]);
        }
}

static int on_notify_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        return sd_event_source_set_enabled(m->notify_source, SD_EVENT_ON);
}

/* When the closer falls behind (a close() it waits on), the notify socket is
 * not read until it catches up, checked every NOTIFY_PAUSE_USEC: a sender
 * can then delay notify messages, never timers, stops or bus calls, and the
 * daemon never holds more than CLOSER_BACKLOG fds it did not open. */
static bool notify_pause(Manager *m) {
        int r;

        if (closer_fd < 0 || atomic_load(&closer_pending) + NOTIFY_FDS_MAX <= CLOSER_BACKLOG)
                return false;
        if (!notify_resume) {
                r = sd_event_add_time_relative(m->event, &notify_resume, CLOCK_MONOTONIC, NOTIFY_PAUSE_USEC, 0,
                                               on_notify_resume, m);
                if (r < 0) {
                        log_error_errno(r, "Failed to pause the notify socket: %m");
                        return false;
                }
                /* Owned by the loop, freed with it. */
                (void) sd_event_source_set_floating(notify_resume, true);
        } else if (sd_event_source_set_time_relative(notify_resume, NOTIFY_PAUSE_USEC) < 0 ||
                   sd_event_source_set_enabled(notify_resume, SD_EVENT_ONESHOT) < 0)
                return false;
        log_debug("Notify socket paused: %u passed fds wait to be closed", atomic_load(&closer_pending));
        (void) sd_event_source_set_enabled(m->notify_source, SD_EVENT_OFF);
        return true;
}

/* Whether the process behind a pidfd is unreaped (a zombie counts): until it
 * is reaped, its pid cannot go to another process. EPERM also means it is
 * there. */
static bool pidfd_unreaped(int pidfd) {
        return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) >= 0 || errno == EPERM;
}

static void drop(Manager *m, const char *why, pid_t pid) {
        m->notify_dropped++;
        log_debug("notify message from pid %d dropped: %s", (int) pid, why);
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[NOTIFY_DATAGRAM_MAX + 1];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                         CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
        } control;

        /* Bounded: at most 64 datagrams per wakeup, then give the loop back. */
        for (unsigned i = 0; i < 64; i++) {
                struct iovec iov = { buf, sizeof buf };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof control,
                };
                const struct ucred *cred = NULL;
                _cleanup_close_ int pidfd = -EBADF;
                _cleanup_free_ char *cg = NULL;
                NotifyMessage msg;
                Agent *a;

                if (notify_pause(m))
                        break;
                ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
                if (n < 0)
                        break;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET)
                                continue;
                        if (c->cmsg_type == SCM_RIGHTS)
                                close_passed_fds((const int *) CMSG_DATA(c),
                                                 (c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                        else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                                cred = (const struct ucred *) CMSG_DATA(c);
#ifdef SCM_PIDFD
                        else if (c->cmsg_type == SCM_PIDFD && c->cmsg_len == CMSG_LEN(sizeof(int)) && pidfd < 0)
                                memcpy(&pidfd, CMSG_DATA(c), sizeof pidfd);
#endif
                }
                if (!cred || cred->pid <= 0) {
                        drop(m, "no credentials", 0);
                        continue;
                }
                if ((mh.msg_flags & MSG_TRUNC) || (size_t) n > NOTIFY_DATAGRAM_MAX) {
                        drop(m, "datagram too large", cred->pid);
                        continue;
                }
                /* The kernel attaches no pidfd once the sender is reaped. */
                if (pass_pidfd && pidfd < 0) {
                        drop(m, "sender gone", cred->pid);
                        continue;
                }
                /* An agent's main process, not yet reaped, cannot have left its
                 * cgroup nor had its pid reused: no need to ask /proc. */
                a = hashmap_get(m->agents_by_pid, HASHMAP_UINT(cred->pid));
                if (!a) {
                        if (cgfs_pid_path(cred->pid, NULL, &cg) < 0) {
                                drop(m, "sender gone", cred->pid);
                                continue;
                        }
                        a = hashmap_get(m->agents_by_cgroup, cg);
                }
                if (!a) {
                        drop(m, "sender is in no agent's cgroup", cred->pid);
                        continue;
                }
                /* Reaped before the lookup was done: the pid may have gone to
                 * another process, whose cgroup was read. */
                if (pidfd >= 0 && !pidfd_unreaped(pidfd)) {
                        drop(m, "sender gone", cred->pid);
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

int notify_setup(Manager *m) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *own = NULL;
        int one = 1, r;
        size_t len;

        r = cgfs_own_path(NULL, &own);
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
#ifdef SO_PASSRIGHTS
        /* Before Linux 6.16: ENOPROTOOPT, and the closer takes over. */
        if (setsockopt(m->notify_fd, SOL_SOCKET, SO_PASSRIGHTS, &(int) { 0 }, sizeof(int)) < 0 &&
            errno != ENOPROTOOPT && errno != EOPNOTSUPP)
                return log_error_errno(errno, "Failed to disable SO_PASSRIGHTS: %m");
#endif
#ifdef SO_PASSPIDFD
        /* Before Linux 6.5: ENOPROTOOPT, and senders are checked by pid only. */
        if (setsockopt(m->notify_fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof one) >= 0)
                pass_pidfd = true;
        else if (errno != ENOPROTOOPT && errno != EOPNOTSUPP)
                return log_error_errno(errno, "Failed to enable SO_PASSPIDFD: %m");
#endif
        return sd_event_add_io(m->event, &m->notify_source, m->notify_fd, EPOLLIN, on_notify, m);
}
