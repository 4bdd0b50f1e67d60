/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Receives sd_notify datagrams on RUNTIME/CONTROLGROUP/notify (directory
 * and lock: notify-runtime.c; an abstract name could be taken first by any
 * local user, and is not reachable from another network namespace).
 *
 * A message is credited to the agent whose cgroup the sender sits in, or
 * dropped and counted. Where the kernel attaches a pidfd of the sender
 * (SO_PASSPIDFD, Linux 6.5) and tells that pidfd's cgroup id
 * (PIDFD_GET_INFO, 6.13; for a sender already reaped, 6.16), the cgroup is
 * the sending process's own, whenever it ended: an agent's cgroup id maps to
 * the agent. Elsewhere the sender's pid is looked up in /proc, and with a
 * pidfd the sender must still be unreaped after the lookup (its pid then
 * cannot have gone to another process meanwhile).
 *
 * Each agent may send NOTIFY_RATE_PER_SEC messages a second (burst
 * NOTIFY_RATE_BURST); the excess is dropped and counted.
 *
 * fds are never used. The kernel refuses them (SO_PASSRIGHTS, Linux 6.16:
 * the sender's sendmsg() fails with EPERM); before 6.16 they arrive anyway
 * and go to the closer below, never closed on the event loop. */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "agent.h"
#include "cgroupfs.h"
#include "daemon-state.h"
#include "log.h"
#include "notify-message.h"
#include "notify.h"
#include "notify-runtime.h"

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

/* Only the test suite sets this: the daemon then leaves fd passing on, as
 * before Linux 6.16, so the closer below can be tested on newer kernels. */
#define TEST_ACCEPT_FDS_ENV "AGENTVISORD_TEST_ACCEPT_FDS"

/* What the socket knows of an agent's current invocation, by the cgroup id
 * (the inode number of its cgroup2 directory): made when the cgroup is,
 * gone with it. */
typedef struct NotifyAgent {
        Agent *agent;
        NotifyRateLimit rate;
        uint64_t dropped;               /* by the rate limit, this invocation */
        uint64_t dropped_logged;
        usec_t logged;
} NotifyAgent;

#define RATE_LOG_INTERVAL (10 * USEC_PER_SEC)

/* The kernel's limit on fds in one message (SCM_MAX_FD). The control buffer
 * holds that many: fds that do not fit would be dropped by the kernel inside
 * recvmsg(), i.e. closed on the event loop. */
#define NOTIFY_FDS_MAX 253

/* Datagrams read per wakeup; a flood rests the socket FLOOD_PAUSE_USEC
 * (notify_flood_pause()). */
#define NOTIFY_BATCH 64u
#define FLOOD_PAUSE_USEC (10 * USEC_PER_MSEC)

/* At most this many passed fds wait for the closer; see notify_pause(). */
#define CLOSER_BACKLOG 1024

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
/* While reading is paused for the closer (notify_pause()), the closer
 * signals this eventfd as soon as its backlog is below the limit again. */
static int closer_wake_fd = -EBADF;
static atomic_bool closer_paused;

static bool closer_behind(void) {
        return atomic_load(&closer_pending) + NOTIFY_FDS_MAX > CLOSER_BACKLOG;
}

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
                        if (atomic_load(&closer_paused) && !closer_behind() &&
                            atomic_exchange(&closer_paused, false))
                                (void) eventfd_write(closer_wake_fd, 1);
                }
        }
}

/* Set while reading is held back because most of what came was beyond its
 * senders' rate limits (notify_flood_pause()). */
static bool flood_paused;
static sd_event_source *flood_timer;

/* Reading goes on once neither the closer nor a flood holds it back. */
static int notify_resume(Manager *m) {
        if (flood_paused || atomic_load(&closer_paused))
                return 0;
        return sd_event_source_set_enabled(m->notify_source, SD_EVENT_ON);
}

static int on_closer_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        eventfd_t v;

        (void) eventfd_read(fd, &v);
        log_debug("Notify socket resumed: the closer caught up");
        return notify_resume(m);
}

static int closer_start(Manager *m) {
        _cleanup_close_ int wake = -EBADF;
        sd_event_source *source = NULL;
        int p[2], r;
        sigset_t all, saved;
        pthread_t t;

        wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake < 0)
                return -errno;
        r = sd_event_add_io(m->event, &source, wake, EPOLLIN, on_closer_wake, m);
        if (r < 0)
                return r;
        /* Owned by the loop, freed with it. */
        (void) sd_event_source_set_floating(source, true);
        sd_event_source_unref(source);
        closer_wake_fd = TAKE_FD(wake);

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
static void close_passed_fds(Manager *m, const int *fds, size_t n) {
        size_t size = n * sizeof(int);
        int r;

        if (n == 0)
                return;
        if (closer_fd < 0) {
                r = closer_start(m);
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

/* While the closer is behind (a close() it waits on, or a flood of fds),
 * the notify socket is not read: a sender can then delay notify messages,
 * never timers, stops or bus calls, and the daemon never holds more than
 * CLOSER_BACKLOG fds it did not open. Reading resumes the moment the closer
 * has caught up (it signals closer_wake_fd), not after a fixed time: a
 * sender flooding fds then slows others' messages only by the time it takes
 * to close its own. */
static bool notify_pause(Manager *m) {
        if (closer_fd < 0 || !closer_behind())
                return false;
        atomic_store(&closer_paused, true);
        (void) sd_event_source_set_enabled(m->notify_source, SD_EVENT_OFF);
        /* Caught up meanwhile: the closer may have looked before the flag was
         * set. Whoever clears the flag resumes. */
        if (!closer_behind() && atomic_exchange(&closer_paused, false)) {
                (void) notify_resume(m);
                return false;
        }
        log_debug("Notify socket paused: %u passed fds wait to be closed", atomic_load(&closer_pending));
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

/* Recorded when the group was made: the group keeps no fd to fstat(). */
static int cgroup_id_of(Agent *a, uint64_t *ret) {
        if (!a->cgroup)
                return -ENOENT;
        *ret = cgroup_id(a->cgroup);
        return 0;
}

void notify_agent_add(Agent *a) {
        Manager *m = a->manager;
        NotifyAgent *e;
        uint64_t id;
        int r;

        r = cgroup_id_of(a, &id);
        if (r >= 0 && (!m->notify_agents || !(e = calloc(1, sizeof(NotifyAgent)))))
                r = -ENOMEM;
        if (r < 0) {
                log_agent_warning(a->name, "cannot index its cgroup for notify messages: %s", strerror(-r));
                return;
        }
        *e = (NotifyAgent) { .agent = a };
        free(hashmap_remove(m->notify_agents, HASHMAP_UINT(id)));
        r = hashmap_put(m->notify_agents, HASHMAP_UINT(id), e);
        if (r < 0) {
                free(e);
                log_agent_warning(a->name, "cannot index its cgroup for notify messages: %s", strerror(-r));
        }
}

void notify_agent_remove(Agent *a) {
        Manager *m = a->manager;
        NotifyAgent *e;
        uint64_t id;

        if (cgroup_id_of(a, &id) < 0 || !(e = hashmap_get(m->notify_agents, HASHMAP_UINT(id))) || e->agent != a)
                return;
        if (e->dropped > e->dropped_logged)
                log_agent_warning(a->name, "%" PRIu64 " notify messages dropped in all (more than %u a second)",
                                  e->dropped, NOTIFY_RATE_PER_SEC);
        free(hashmap_remove(m->notify_agents, HASHMAP_UINT(id)));
}

/* The cgroup id of a sender's pidfd (see cgfs_pidfd_cgroup_id()); says once
 * when the kernel cannot tell it. */
static int pidfd_cgroup_id(int pidfd, uint64_t *ret) {
        static bool told;
        int r = cgfs_pidfd_cgroup_id(pidfd, ret);

        if (r == -EOPNOTSUPP && !told) {
                log_info("The kernel cannot tell a pidfd's cgroup (PIDFD_GET_INFO needs Linux 6.13): "
                         "notify senders are looked up in /proc");
                told = true;
        }
        return r;
}

/* Whom a message is from: the agent, or NULL with why it is dropped. */
static NotifyAgent *notify_sender(Manager *m, const struct ucred *cred, int pidfd, const char **ret_why) {
        _cleanup_free_ char *cg = NULL;
        NotifyAgent *e;
        uint64_t id;
        Agent *a;
        int r;

        /* The kernel attaches a pidfd to every message once SO_PASSPIDFD is
         * on; none means it could not make one. */
        if (pass_pidfd && pidfd < 0) {
                *ret_why = "sender gone";
                return NULL;
        }
        if (pidfd >= 0) {
                r = pidfd_cgroup_id(pidfd, &id);
                if (r >= 0) {
                        e = hashmap_get(m->notify_agents, HASHMAP_UINT(id));
                        if (!e)
                                *ret_why = "sender is in no agent's cgroup";
                        return e;
                }
                if (r != -EOPNOTSUPP) {
                        *ret_why = "sender gone";
                        return NULL;
                }
        }
        /* An agent's main process, not yet reaped, cannot have left its
         * cgroup nor had its pid reused: no need to ask /proc. */
        a = hashmap_get(m->agents_by_pid, HASHMAP_UINT(cred->pid));
        if (!a) {
                if (cgfs_pid_path(cred->pid, NULL, &cg) < 0) {
                        *ret_why = "sender gone";
                        return NULL;
                }
                a = hashmap_get(m->agents_by_cgroup, cg);
        }
        if (!a) {
                *ret_why = "sender is in no agent's cgroup";
                return NULL;
        }
        /* Reaped before the lookup was done: the pid may have gone to
         * another process, whose cgroup was read. */
        if (pidfd >= 0 && !pidfd_unreaped(pidfd)) {
                *ret_why = "sender gone";
                return NULL;
        }
        if (cgroup_id_of(a, &id) < 0 || !(e = hashmap_get(m->notify_agents, HASHMAP_UINT(id)))) {
                *ret_why = "agent not indexed";
                return NULL;
        }
        return e;
}

/* The agent's budget; beyond it the message is dropped, counted, and said
 * in the log at most every RATE_LOG_INTERVAL. */
static bool notify_within_rate(Manager *m, NotifyAgent *e) {
        usec_t now = now_monotonic();

        if (notify_ratelimit_take(&e->rate, now))
                return true;
        m->notify_dropped++;
        e->dropped++;
        if (e->logged == 0 || now >= e->logged + RATE_LOG_INTERVAL) {
                log_agent_warning(e->agent->name,
                                  "sends more than %u notify messages a second: %" PRIu64 " dropped so far",
                                  NOTIFY_RATE_PER_SEC, e->dropped);
                e->logged = now;
                e->dropped_logged = e->dropped;
        }
        return false;
}

static int on_flood_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        flood_paused = false;
        return notify_resume(userdata);
}

/* The rate limit drops a flood, but reading and dropping still costs: 16
 * processes of one agent sending as fast as they can would keep the daemon
 * busy. When most of a full batch was beyond its senders' budgets, the
 * socket rests for FLOOD_PAUSE_USEC: at most NOTIFY_BATCH datagrams are read
 * per pause, far more than all agents' budgets together, while others'
 * messages wait at most the time to read the queue ahead of them. */
static void notify_flood_pause(Manager *m) {
        int r;

        if (!flood_timer) {
                /* Accurate to 1 ms: 0 would mean sd-event's default, 250 ms. */
                r = sd_event_add_time_relative(m->event, &flood_timer, CLOCK_MONOTONIC, FLOOD_PAUSE_USEC,
                                               USEC_PER_MSEC, on_flood_timer, m);
                if (r >= 0) {
                        /* Owned by the loop, freed with it. */
                        (void) sd_event_source_set_floating(flood_timer, true);
                        sd_event_source_unref(flood_timer);
                }
        } else {
                r = sd_event_source_set_time_relative(flood_timer, FLOOD_PAUSE_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(flood_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_debug_errno(r, "Cannot pause the notify socket during a flood: %m");
                return;
        }
        flood_paused = true;
        (void) sd_event_source_set_enabled(m->notify_source, SD_EVENT_OFF);
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[NOTIFY_DATAGRAM_MAX + 1];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                         CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
        } control;

        unsigned n_read = 0, n_limited = 0;

        /* Bounded: at most NOTIFY_BATCH datagrams per wakeup, then give the
         * loop back. */
        for (; n_read < NOTIFY_BATCH; n_read++) {
                struct iovec iov = { buf, sizeof buf };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof control,
                };
                const struct ucred *cred = NULL;
                _cleanup_close_ int pidfd = -EBADF;
                const char *why = NULL;
                NotifyMessage msg;
                NotifyAgent *e;

                if (notify_pause(m))
                        break;
                ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
                if (n < 0)
                        break;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET)
                                continue;
                        if (c->cmsg_type == SCM_RIGHTS)
                                close_passed_fds(m, (const int *) CMSG_DATA(c),
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
                e = notify_sender(m, cred, pidfd, &why);
                if (!e) {
                        drop(m, why, cred->pid);
                        continue;
                }
                if (!notify_within_rate(m, e)) {
                        n_limited++;
                        continue;
                }
                if (notify_message_parse(buf, (size_t) n, &msg) < 0) {
                        drop(m, "malformed", cred->pid);
                        continue;
                }
                agent_notify(e->agent, &msg);
        }
        if (n_read == NOTIFY_BATCH && n_limited >= NOTIFY_BATCH / 2)
                notify_flood_pause(m);
        return 0;
}

static int notify_socket_bind(Manager *m, struct sockaddr_un *sa) {
        strcpy(sa->sun_path, m->notify_socket);
        m->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m->notify_fd < 0)
                return log_error_errno(errno, "Failed to create the notify socket: %m");
        /* Left by a daemon that did not exit cleanly: the lock says it is gone. */
        if (unlinkat(m->notify_dir_fd, "notify", 0) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Failed to remove the stale notify socket %s: %m", m->notify_socket);
        if (bind(m->notify_fd, (struct sockaddr *) sa, sizeof *sa) < 0)
                return log_error_errno(errno, "Failed to bind the notify socket %s: %m", m->notify_socket);
        m->notify_bound = true;
        return 0;
}

int notify_setup(Manager *m) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int runtime = -EBADF;
        const char *accept_fds = getenv(TEST_ACCEPT_FDS_ENV);
        int one = 1, r;

        m->notify_agents = hashmap_new_uint();
        if (!m->notify_agents)
                return -ENOMEM;
        r = notify_runtime_open_dir(AT_FDCWD, m->config->runtime_directory, m->config->runtime_directory, &runtime);
        if (r < 0)
                return r;
        if (asprintf(&m->notify_dir, "%s/%s", m->config->runtime_directory, m->config->control_group) < 0 ||
            asprintf(&m->notify_socket, "%s/notify", m->notify_dir) < 0)
                return -ENOMEM;
        if (strlen(m->notify_socket) >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "Notify socket path %s is too long (at most %zu bytes): "
                                       "choose a shorter RuntimeDirectory=", m->notify_socket,
                                       sizeof sa.sun_path - 1);
        r = notify_runtime_open_dir(runtime, m->config->control_group, m->notify_dir, &m->notify_dir_fd);
        if (r < 0)
                return r;
        /* Reexecute passes the lock and the bound socket (daemon-reexec.c). */
        if (m->state_files && m->state_files->lock_fd >= 0 && m->state_files->notify_fd >= 0) {
                m->notify_lock_fd = TAKE_FD(m->state_files->lock_fd);
                m->notify_fd = TAKE_FD(m->state_files->notify_fd);
                m->notify_bound = true;
        } else {
                r = notify_runtime_lock(m);
                if (r < 0)
                        return r;
                r = notify_socket_bind(m, &sa);
                if (r < 0)
                        return r;
        }
        /* Every agent, whatever its user, may send (as /run/systemd/notify);
         * who sent is told by the kernel, not by the socket's mode. */
        if (fchmodat(m->notify_dir_fd, "notify", 0666, 0) < 0)
                return log_error_errno(errno, "Failed to make the notify socket %s writable: %m", m->notify_socket);
        if (setsockopt(m->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return log_error_errno(errno, "Failed to enable SO_PASSCRED: %m");
        if (accept_fds && strcmp(accept_fds, "1") == 0)
                log_warning(TEST_ACCEPT_FDS_ENV "=1 (for tests only): fds passed to the notify socket are accepted "
                            "and closed by a helper thread, as before Linux 6.16");
#ifdef SO_PASSRIGHTS
        /* Before Linux 6.16: ENOPROTOOPT, and the closer takes over. */
        else if (setsockopt(m->notify_fd, SOL_SOCKET, SO_PASSRIGHTS, &(int) { 0 }, sizeof(int)) < 0 &&
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

/* At exit: the socket and the lock go, so nothing stale is left behind;
 * only by the daemon that held the lock. */
void notify_done(Manager *m) {
        NotifyAgent *e;

        m->notify_source = sd_event_source_disable_unref(m->notify_source);
        m->notify_fd = safe_close(m->notify_fd);
        notify_runtime_release(m);
        m->notify_dir_fd = safe_close(m->notify_dir_fd);
        if (m->notify_agents) {
                HASHMAP_FOREACH(e, m->notify_agents)
                        free(e);
                m->notify_agents = hashmap_free(m->notify_agents);
        }
        m->notify_dir = mfree(m->notify_dir);
        m->notify_socket = mfree(m->notify_socket);
}
