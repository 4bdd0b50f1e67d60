/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The namespaces of an agent (see sandbox-ns.h). The helpers here that run
 * as clones share or copy the daemon's memory, so, like spawn's child, they
 * make raw system calls only and are not instrumented. */

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox-ns.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

#if HAVE_CLONE3_ASM
long av_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
#endif

/* The path of agentvisor-nsinit (sandbox_ns_init_path_set()). */
static char *init_path;

/* Executed as root by path at every PrivatePIDs= start: only a file that
 * only root can change, in a directory that only root can change. */
static int root_only(const char *path, bool dir) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return -EBADF;
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return 0;
}

int sandbox_ns_init_path_set(const char *path) {
        char *copy, *slash;
        int r;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (access(path, X_OK) < 0)
                return -errno;
        r = root_only(path, false);
        if (r < 0)
                return r;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        slash = strrchr(copy, '/');
        *slash = 0;
        r = root_only(*copy ? copy : "/", true);
        *slash = '/';
        if (r < 0) {
                free(copy);
                return r;
        }
        free(init_path);
        init_path = copy;
        return 0;
}

const char *sandbox_ns_init_path(void) {
        return init_path;
}

int sandbox_ns_validate(const SandboxNs *ns) {
        if (ns->flags & ~(unsigned) _SANDBOX_NS_ALL)
                return -EINVAL;
#if !HAVE_CLONE3_ASM
        if (ns->flags & (SANDBOX_NS_PID | SANDBOX_NS_USER))
                return -EOPNOTSUPP;
#endif
        /* A pooled network namespace replaces a new one, nothing else. */
        if (ns->netns_fd > 0 && (ns->flags & (SANDBOX_NS_NET | SANDBOX_NS_JOIN)) != SANDBOX_NS_NET)
                return -EINVAL;
        if (ns->flags & SANDBOX_NS_JOIN)
                return ns->join_pidfd >= 0 ? 0 : -EINVAL;
        /* Made by the mount plan and protect_cgroups, never here. */
        if (ns->flags & (SANDBOX_NS_MNT | SANDBOX_NS_CGROUP))
                return -EINVAL;
        if ((ns->flags & SANDBOX_NS_PID) && !ns->ret_init_pidfd)
                return -EINVAL;
        /* Mapping to host root, or to the "no id" value, would defeat it. */
        if ((ns->flags & SANDBOX_NS_USER) && (ns->host_uid == 0 || ns->host_gid == 0 ||
                                              ns->host_uid == (uid_t) -1 || ns->host_gid == (gid_t) -1))
                return -EINVAL;
        return 0;
}

unsigned long sandbox_ns_clone_flags(const SandboxNs *ns) {
        if (ns->flags & SANDBOX_NS_JOIN)
                return 0;
        /* With a pooled network namespace the child joins that one. */
        return ((ns->flags & SANDBOX_NS_IPC) ? CLONE_NEWIPC : 0) |
               ((ns->flags & SANDBOX_NS_NET) && ns->netns_fd <= 0 ? CLONE_NEWNET : 0);
}

#if HAVE_CLONE3_ASM

typedef struct UsernsHolder {
        uid_t uid;
        gid_t gid;
        int state;                           /* 0: not yet, 1: unshared, < 0: -errno */
} UsernsHolder;

/* Runs on the spawn stack in the daemon's memory (CLONE_VM), every signal
 * blocked as the daemon left them, until the daemon kills it. The namespace
 * is owned by the agent's host uid (the effective uid at unshare), not by
 * root; real and saved uid stay 0, so no process of the agent's uid may
 * signal (SIGSTOP) or ptrace the holder while the daemon waits for it. */
static _child_ int userns_holder_main(void *userdata) {
        UsernsHolder *h = userdata;
        int r = 1;

        if (syscall(SYS_setresgid, h->gid, h->gid, h->gid) < 0 || syscall(SYS_setresuid, 0, h->uid, 0) < 0 ||
            syscall(SYS_unshare, CLONE_NEWUSER) < 0)
                r = errno > 0 ? -errno : -EIO;
        __atomic_store_n(&h->state, r, __ATOMIC_RELEASE);
        (void) syscall(SYS_futex, &h->state, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (r < 0)
                return 1;
        for (;;)
                (void) syscall(SYS_pause);
}

static int write_proc(pid_t pid, const char *file, const char *text) {
        char path[64];
        int fd, r = 0;
        size_t n = strlen(text);

        snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (write(fd, text, n) != (ssize_t) n)
                r = errno > 0 ? -errno : -EIO;
        safe_close(fd);
        return r;
}

static void kill_and_reap(int pidfd) {
        siginfo_t si;

        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        (void) TEMP_FAILURE_RETRY(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | __WALL));
}

/* Returns an fd on a new user namespace mapping inner ids to host ids. */
static int userns_make(const SandboxNs *ns, uid_t inner_uid, gid_t inner_gid, void *stack, size_t stack_size) {
        UsernsHolder h = { .uid = ns->host_uid, .gid = ns->host_gid };
        int pidfd = -EBADF, fd = -EBADF, r;
        struct clone_args args = {
                .flags = CLONE_VM | CLONE_FILES | CLONE_PIDFD,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
                .stack = (uint64_t) (uintptr_t) stack,
                .stack_size = stack_size,
        };
        char map[64], path[64];
        sigset_t all, saved;
        long pid;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = av_clone3(&args, sizeof args, userns_holder_main, &h);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (pid < 0)
                return (int) pid;

        /* Bounded: the holder makes three system calls. */
        for (unsigned i = 0; i < 50 && __atomic_load_n(&h.state, __ATOMIC_ACQUIRE) == 0; i++) {
                struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
                (void) syscall(SYS_futex, &h.state, FUTEX_WAIT, 0, &ts, NULL, 0);
        }
        r = __atomic_load_n(&h.state, __ATOMIC_ACQUIRE);
        if (r == 0)
                r = -ETIMEDOUT;
        if (r < 0)
                goto finish;

        r = write_proc((pid_t) pid, "setgroups", "deny");
        if (r < 0)
                goto finish;
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned) inner_uid, (unsigned) ns->host_uid);
        r = write_proc((pid_t) pid, "uid_map", map);
        if (r < 0)
                goto finish;
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned) inner_gid, (unsigned) ns->host_gid);
        r = write_proc((pid_t) pid, "gid_map", map);
        if (r < 0)
                goto finish;
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        r = fd < 0 ? -errno : 0;

finish:
        /* The holder shares our memory and runs on the spawn stack: it is gone
         * before anything else uses that stack. */
        kill_and_reap(pidfd);
        safe_close(pidfd);
        return r < 0 ? r : fd;
}

typedef struct NsInitExec {
        const char *path;
        char *const *argv;
        int error;                           /* set by the child when the exec failed */
} NsInitExec;

/* Runs in the daemon's memory (CLONE_VM|CLONE_VFORK) on the spawn stack
 * until its exec, every signal blocked as the daemon left them. */
static _child_ int ns_init_main(void *userdata) {
        NsInitExec *x = userdata;
        static char *const envp[] = { NULL };

        /* A private, empty fd table: the clone shared the daemon's, so that
         * neither the clone nor the exec copies a table of 10,000 pidfds.
         * Before Linux 5.9 (no close_range): a private copy, whose O_CLOEXEC
         * fds (all but the daemon's /dev/null slots) the exec closes. */
        if (syscall(SYS_close_range, 0U, ~0U, CLOSE_RANGE_UNSHARE) >= 0 || syscall(SYS_unshare, CLONE_FILES) >= 0)
                (void) syscall(SYS_execve, x->path, x->argv, envp);
        x->error = errno > 0 ? errno : EIO;
        return 127;
}

/* Returns the pidfd of the init of a new PID namespace, in cgroup_fd:
 * agentvisor-nsinit, executed at once by a clone that shares the daemon's
 * memory (CLONE_VM|CLONE_VFORK) only until that exec. So the start copies
 * neither the daemon's page tables nor its fd table, which grow with the
 * agents it runs. While it shares the daemon's memory the child is in vfork,
 * which the OOM killer never picks (the group is empty before it anyway). */
static int pidns_make(int cgroup_fd, void *stack, size_t stack_size) {
        static char *const argv[] = { (char *) "agentvisor-nsinit", NULL };
        NsInitExec x = { .path = init_path, .argv = argv };
        int pidfd = -EBADF;
        struct clone_args args = {
                .flags = CLONE_VM | CLONE_VFORK | CLONE_NEWPID | CLONE_FILES | CLONE_PIDFD | CLONE_INTO_CGROUP,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = 0,            /* no SIGCHLD for the daemon; reaped with __WALL */
                .stack = (uint64_t) (uintptr_t) stack,
                .stack_size = stack_size,
                .cgroup = (uint64_t) cgroup_fd,
        };
        sigset_t all, saved;
        long pid;

        if (!init_path)
                return -ENOPKG;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        pid = av_clone3(&args, sizeof args, ns_init_main, &x);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (pid < 0)
                return (int) pid;
        /* CLONE_VFORK: the child has exec'd or exited by now. */
        if (x.error != 0) {
                kill_and_reap(pidfd);
                safe_close(pidfd);
                return -x.error;
        }
        return pidfd;
}

/* The child enters the mount, cgroup, IPC, network and user namespaces
 * through its own copy of the pidfd; spawn's forker enters the PID
 * namespace for it. */
static int join_prepare(const SandboxNs *ns, SandboxNsState *st) {
        if (ns->flags & (SANDBOX_NS_MNT | SANDBOX_NS_CGROUP | SANDBOX_NS_IPC | SANDBOX_NS_NET | SANDBOX_NS_USER)) {
                st->setns_fd = fcntl(ns->join_pidfd, F_DUPFD_CLOEXEC, 3);
                if (st->setns_fd < 0)
                        return -errno;
        }
        if (ns->flags & SANDBOX_NS_PID)
                st->pidns_fd = ns->join_pidfd;
        return 0;
}

int sandbox_ns_prepare(const SandboxNs *ns, uid_t inner_uid, gid_t inner_gid, int cgroup_fd, void *stack,
                       size_t stack_size, SandboxNsState *st) {
        int r;

        if (ns->flags & SANDBOX_NS_JOIN)
                return join_prepare(ns, st);

        if (ns->flags & SANDBOX_NS_USER) {
                r = userns_make(ns, inner_uid, inner_gid, stack, stack_size);
                if (r < 0)
                        return r;
                st->setns_fd = r;
        }

        if (ns->flags & SANDBOX_NS_PID) {
                r = pidns_make(cgroup_fd, stack, stack_size);
                if (r < 0)
                        return r;
                st->init_pidfd = st->pidns_fd = r;
        }
        return 0;
}

void sandbox_ns_finish(const SandboxNs *ns, SandboxNsState *st, bool spawned) {
        st->pidns_fd = -EBADF;
        st->setns_fd = safe_close(st->setns_fd);
        if (st->init_pidfd >= 0) {
                if (spawned && ns->ret_init_pidfd)
                        *ns->ret_init_pidfd = TAKE_FD(st->init_pidfd);
                else
                        st->init_pidfd = sandbox_ns_init_release(st->init_pidfd);
        }
}

int sandbox_ns_init_release(int pidfd) {
        if (pidfd < 0)
                return -EBADF;
        kill_and_reap(pidfd);
        return safe_close(pidfd);
}

int sandbox_ns_init_try_reap(int pidfd) {
        siginfo_t si = {};

        if (pidfd < 0)
                return -EBADF;
        /* exit_signal 0: only __WALL sees it. */
        if (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG | __WALL) < 0)
                return -errno;
        return si.si_pid != 0;
}

#else

int sandbox_ns_init_try_reap(int pidfd) {
        return pidfd < 0 ? -EBADF : -ECHILD;
}

int sandbox_ns_prepare(const SandboxNs *ns, uid_t inner_uid, gid_t inner_gid, int cgroup_fd, void *stack,
                       size_t stack_size, SandboxNsState *st) {
        return 0;
}

void sandbox_ns_finish(const SandboxNs *ns, SandboxNsState *st, bool spawned) {
}

int sandbox_ns_init_release(int pidfd) {
        return safe_close(pidfd);
}

#endif

static _child_ int child_loopback_up(void) {
        struct ifreq ifr = {};
        long fd;
        int r = 0;

        fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        ifr.ifr_name[0] = 'l';
        ifr.ifr_name[1] = 'o';
        if (syscall(SYS_ioctl, fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -1;
        else {
                ifr.ifr_flags |= IFF_UP;
                if (syscall(SYS_ioctl, fd, SIOCSIFFLAGS, &ifr) < 0)
                        r = -1;
        }
        if (r < 0) {
                int e = errno;
                (void) syscall(SYS_close, fd);
                errno = e;
                return r;
        }
        (void) syscall(SYS_close, fd);
        return 0;
}

_child_ int sandbox_ns_child(const SandboxNs *ns, int setns_fd, const char **ret_step) {
        bool join = ns->flags & SANDBOX_NS_JOIN;
        unsigned long others = ((ns->flags & SANDBOX_NS_MNT) ? CLONE_NEWNS : 0) |
                               ((ns->flags & SANDBOX_NS_CGROUP) ? CLONE_NEWCGROUP : 0) |
                               ((ns->flags & SANDBOX_NS_IPC) ? CLONE_NEWIPC : 0) |
                               ((ns->flags & SANDBOX_NS_NET) ? CLONE_NEWNET : 0);

        /* Joined as host root, before the user namespace (and before the
         * setgroups() that must precede it): once in there, the child holds
         * no capability over namespaces the host's user namespace owns. The
         * mount namespace's root becomes the child's root and working
         * directory; spawn's chdir() comes later. */
        if (join && others != 0 && syscall(SYS_setns, setns_fd, others) < 0) {
                *ret_step = "setns";
                return -1;
        }
        /* A pooled namespace has its loopback up already. */
        if (!join && (ns->flags & SANDBOX_NS_NET) && ns->netns_fd <= 0 && child_loopback_up() < 0) {
                *ret_step = "loopback";
                return -1;
        }
        if (ns->flags & SANDBOX_NS_USER) {
                /* As host root still: inside, setgroups is denied, so no host
                 * group may come along. */
                if (syscall(SYS_setgroups, 0, NULL) < 0) {
                        *ret_step = "setgroups";
                        return -1;
                }
                if (syscall(SYS_setns, setns_fd, CLONE_NEWUSER) < 0) {
                        *ret_step = "setns_user";
                        return -1;
                }
        }
        if (setns_fd >= 0)
                (void) syscall(SYS_close, setns_fd);
        return 0;
}

_child_ int sandbox_ns_child_netns(const SandboxNs *ns, const char **ret_step) {
        if (ns->netns_fd <= 0 || (ns->flags & SANDBOX_NS_JOIN))
                return 0;
        if (syscall(SYS_setns, ns->netns_fd, CLONE_NEWNET) < 0) {
                *ret_step = "setns_net";
                return -1;
        }
        return 0;
}

int sandbox_ns_supported(void) {
        static const struct {
                unsigned flag;
                unsigned long clone_flag;
        } kinds[] = {
                { SANDBOX_NS_IPC, CLONE_NEWIPC },
                { SANDBOX_NS_NET, CLONE_NEWNET },
                { SANDBOX_NS_PID, CLONE_NEWPID },
                { SANDBOX_NS_USER, CLONE_NEWUSER },
        };
        int supported = 0;

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                siginfo_t si = {};
                pid_t pid;

#if !HAVE_CLONE3_ASM
                if (kinds[i].flag & (SANDBOX_NS_PID | SANDBOX_NS_USER))
                        continue;
#endif
                /* In a child: an unshare is for good. */
                pid = fork();
                if (pid < 0)
                        return -errno;
                if (pid == 0)
                        _exit(unshare((int) kinds[i].clone_flag) < 0 ? 1 : 0);
                if (TEMP_FAILURE_RETRY(waitid(P_PID, (id_t) pid, &si, WEXITED)) < 0)
                        return -errno;
                if (si.si_code == CLD_EXITED && si.si_status == 0)
                        supported |= (int) kinds[i].flag;
        }
        return supported;
}
