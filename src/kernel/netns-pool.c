/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network namespaces made ahead of time (see netns-pool.h). */

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "netns-pool.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

#define HELPER_STACK_SIZE (64 * 1024)

struct NetnsPool {
        unsigned size;
        int fds[NETNS_POOL_MAX];             /* ready namespaces, taken from the end */
        unsigned n;
        int sock;                            /* our end of the helper's socket */
        int pidfd;                           /* the helper, alive for the pool's life */
        unsigned asked;                      /* namespaces of the batch in flight not yet received */
        bool failed;
        bool death_told;                     /* its death was returned as -ECHILD once */
        void *stack;
};

#if HAVE_CLONE3_ASM

long av_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);

typedef struct HelperArgs {
        int sock;
} HelperArgs;

static _child_ int helper_loopback_up(void) {
        struct ifreq ifr = { .ifr_name = "lo" };
        long fd;
        int r = -1;

        fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (syscall(SYS_ioctl, fd, SIOCGIFFLAGS, &ifr) >= 0) {
                ifr.ifr_flags |= IFF_UP;
                if (syscall(SYS_ioctl, fd, SIOCSIFFLAGS, &ifr) >= 0)
                        r = 0;
        }
        (void) syscall(SYS_close, fd);
        return r;
}

static _child_ int helper_send(int sock, int fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte = 'n';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof control,
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        __builtin_memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return syscall(SYS_sendmsg, sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* A copy of the daemon (its own memory and fd table) as it was at the
 * pool's first refill, every signal blocked: the daemon's handlers never
 * run here. It lives as long as the pool and makes namespaces on request
 * (one byte: how many), so a refill copies neither the daemon's address
 * space nor its fd table, both of which grow with the agents it runs.
 * Exit status: 0 when the daemon closed the socket, or the step that
 * failed. */
static _child_ int helper_main(void *userdata) {
        const HelperArgs *h = userdata;
        long host;

        /* Not left behind should the daemon die first. */
        (void) syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* Only the socket is kept: no agent's pipe or pidfd held open here. */
        if (h->sock > 3)
                (void) syscall(SYS_close_range, 3U, (unsigned) h->sock - 1, 0U);
        (void) syscall(SYS_close_range, (unsigned) h->sock + 1, ~0U, 0U);
        /* Between batches it sits in the host's network namespace again, so
         * that it keeps none it handed out alive after its agent ended. */
        host = syscall(SYS_openat, AT_FDCWD, "/proc/self/ns/net", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (host < 0)
                return 6;

        for (;;) {
                unsigned char n;
                long k = syscall(SYS_read, h->sock, &n, 1);

                if (k == 0)
                        return 0;
                if (k < 0)
                        return 5;
                for (unsigned i = 0; i < n; i++) {
                        long fd;

                        if (syscall(SYS_unshare, CLONE_NEWNET) < 0)
                                return 1;
                        if (helper_loopback_up() < 0)
                                return 2;
                        fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/ns/net", O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (fd < 0)
                                return 3;
                        if (helper_send(h->sock, (int) fd) < 0)
                                return 4;
                        (void) syscall(SYS_close, fd);
                }
                if (syscall(SYS_setns, host, CLONE_NEWNET) < 0)
                        return 7;
        }
}

#endif

int netns_pool_new(unsigned size, NetnsPool **ret) {
        NetnsPool *p;

        if (size == 0 || size > NETNS_POOL_MAX)
                return -EINVAL;
#if !HAVE_CLONE3_ASM
        return -EOPNOTSUPP;
#endif
        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        *p = (NetnsPool) { .size = size, .sock = -EBADF, .pidfd = -EBADF };
        *ret = p;
        return 0;
}

static void helper_kill(NetnsPool *p) {
        siginfo_t si;

        if (p->pidfd >= 0) {
                (void) syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
                (void) TEMP_FAILURE_RETRY(waitid((idtype_t) P_PIDFD, (id_t) p->pidfd, &si, WEXITED | __WALL));
                p->pidfd = safe_close(p->pidfd);
        }
        p->sock = safe_close(p->sock);     /* fds in flight are released with it */
        p->asked = 0;
}

/* Takes every fd the helper sent so far. When the helper is gone (the
 * socket hung up), it is reaped and refills stop for good: -ECHILD, once
 * (then refills answer -EIO). */
static int drain(NetnsPool *p) {
        if (p->sock < 0)
                return 0;
        /* Bounded: the helper sends at most NETNS_POOL_MAX at a time. */
        for (unsigned i = 0; i <= NETNS_POOL_MAX; i++) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int))];
                } control = {};
                char byte;
                struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = &control,
                        .msg_controllen = sizeof control,
                };
                struct cmsghdr *c;
                ssize_t n;
                int fd;

                n = recvmsg(p->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                if (n == 0) {
                        /* Only its death closes its end. */
                        helper_kill(p);
                        p->failed = true;
                        p->death_told = true;
                        return -ECHILD;
                }
                c = CMSG_FIRSTHDR(&mh);
                if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
                    c->cmsg_len != CMSG_LEN(sizeof(int)))
                        continue;
                memcpy(&fd, CMSG_DATA(c), sizeof fd);
                if (p->asked > 0)
                        p->asked--;
                if (p->n < NETNS_POOL_MAX)
                        p->fds[p->n++] = fd;
                else
                        safe_close(fd);
        }
        return 0;
}

NetnsPool *netns_pool_free(NetnsPool *p) {
        if (!p)
                return NULL;
        helper_kill(p);
        for (unsigned i = 0; i < p->n; i++)
                safe_close(p->fds[i]);
        if (p->stack)
                (void) munmap((char *) p->stack - sysconf(_SC_PAGESIZE), sysconf(_SC_PAGESIZE) + HELPER_STACK_SIZE);
        free(p);
        return NULL;
}

void netns_pool_stop_helper(NetnsPool *p) {
        if (p)
                helper_kill(p);
}

/* For take and ready: a death they find is told by the next refill. */
static void drain_quietly(NetnsPool *p) {
        if (drain(p) == -ECHILD)
                p->death_told = false;
}

int netns_pool_take(NetnsPool *p) {
        if (p->n == 0)
                drain_quietly(p);
        if (p->n == 0)
                return -EAGAIN;
        return p->fds[--p->n];
}

unsigned netns_pool_ready(NetnsPool *p) {
        drain_quietly(p);
        return p->n;
}

int netns_pool_helper_fd(NetnsPool *p) {
        return p->asked > 0 ? p->sock : -EBADF;
}

int netns_pool_helper_done(NetnsPool *p) {
        int r;

        r = drain(p);
        if (r < 0)
                return r;
        return p->asked == 0;
}

#if HAVE_CLONE3_ASM
static int stack_get(NetnsPool *p) {
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        void *map;

        if (p->stack)
                return 0;
        /* A guard page below, as for spawn's child. */
        map = mmap(NULL, page + HELPER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                   -1, 0);
        if (map == MAP_FAILED)
                return -errno;
        if (mprotect(map, page, PROT_NONE) < 0) {
                int r = -errno;
                (void) munmap(map, page + HELPER_STACK_SIZE);
                return r;
        }
        p->stack = (char *) map + page;
        return 0;
}
/* The helper, started once, from a copy of the daemon as it is now. */
static int helper_start(NetnsPool *p) {
        int pair[2], pidfd = -EBADF, r;
        HelperArgs h;
        sigset_t all, saved;
        long pid;

        r = stack_get(p);
        if (r < 0)
                return r;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        h = (HelperArgs) { .sock = pair[1] };

        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = 0,            /* no SIGCHLD for the daemon; reaped with __WALL */
                .stack = (uint64_t) (uintptr_t) p->stack,
                .stack_size = HELPER_STACK_SIZE,
        };
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = av_clone3(&args, sizeof args, helper_main, &h);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        safe_close(pair[1]);
        if (pid < 0) {
                safe_close(pair[0]);
                return (int) pid;
        }
        p->sock = pair[0];
        p->pidfd = pidfd;
        return 0;
}
#endif

int netns_pool_refill(NetnsPool *p) {
#if HAVE_CLONE3_ASM
        unsigned char want;
        int r;

        if (p->failed) {
                if (p->death_told)
                        return -EIO;
                p->death_told = true;
                return -ECHILD;
        }
        /* Also how a helper that died between batches is noticed. */
        r = drain(p);
        if (r < 0)
                return r;
        if (p->asked > 0 || p->n >= p->size)
                return 0;
        if (p->pidfd < 0) {
                r = helper_start(p);
                if (r < 0)
                        return r;
        }
        want = (unsigned char) (p->size - p->n);
        if (send(p->sock, &want, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
                r = errno > 0 ? -errno : -EIO;
                helper_kill(p);
                p->failed = true;
                return r;
        }
        p->asked = want;
        return 1;
#else
        return -EOPNOTSUPP;
#endif
}
