/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel feature probes (see kernel-features.h). Each probe asks the kernel the
 * cheapest question that has a different answer with and without the
 * feature: an invalid argument that only a kernel knowing the call or flag
 * checks (EBADF/EINVAL rather than ENOSYS), or a sysctl. */

#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroupfs.h"
#include "kernel-features.h"
#include "macro.h"
#include "sandbox-landlock.h"
#include "spawn.h"
#include "strv.h"

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

/* A /proc/sys/user/max_*_namespaces limit above zero; a missing file means
 * a kernel without the namespace type. */
static bool ns_limit_positive(const char *name) {
        char path[64], buf[32] = {};
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/sys/user/max_%s_namespaces", name);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof buf - 1);
        return n > 0 && strtol(buf, NULL, 10) > 0;
}

/* The limit allowing it is not enough (an LSM or a sysctl such as Debian's
 * unprivileged_userns_clone may still refuse): a child made in a new user
 * namespace exits at once. Raw clone(): no fork handlers run. */
static bool userns_probe(void) {
        long pid;
        int status;

        if (!ns_limit_positive("user"))
                return false;
        pid = syscall(SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0UL);
        if (pid == 0)
                syscall(SYS_exit_group, 0);
        if (pid < 0)
                return false;
        if (TEMP_FAILURE_RETRY(waitpid((pid_t) pid, &status, 0)) < 0)
                return false;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool ns_probe(const char *name) {
        char path[32];

        snprintf(path, sizeof path, "/proc/self/ns/%s", name);
        return access(path, F_OK) >= 0 && ns_limit_positive(name);
}

/* A kernel that knows CLONE_INTO_CGROUP looks the cgroup fd up (EBADF for
 * one that is not open); an older one refuses the flag (EINVAL) or clone3
 * itself (ENOSYS). */
static bool clone3_into_cgroup_probe(void) {
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = INT_MAX,
        };
        long pid;

        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0)
                syscall(SYS_exit_group, 0);
        if (pid > 0) {
                /* fd INT_MAX open after all: the flag was honoured. */
                (void) TEMP_FAILURE_RETRY(waitpid((pid_t) pid, NULL, 0));
                return true;
        }
        return errno == EBADF;
}

static bool seccomp_notify_probe(void) {
        uint32_t action = SECCOMP_RET_USER_NOTIF;

        return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) >= 0;
}

static bool pidfd_probe(void) {
        long fd = syscall(SYS_pidfd_open, getpid(), 0);

        if (fd < 0)
                return false;
        safe_close((int) fd);
        return true;
}

static bool mount_setattr_probe(void) {
        return syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, NULL, 0) >= 0 || errno != ENOSYS;
}

static bool sockopt_probe(int fd, int option) {
        int v = 0;
        socklen_t len = sizeof v;

        return fd >= 0 && getsockopt(fd, SOL_SOCKET, option, &v, &len) >= 0;
}

/* The probe child of pidfd_getfd_probe(): takes uid and gid 65534, as a
 * spawn child takes the agent's (which also makes it non-dumpable), says so
 * on the pipe and waits to be killed (10 s at most). Raw syscalls only. */
_noreturn_ static void handover_child(int ready_fd) {
        struct timespec limit = { .tv_sec = 10 };

        if (syscall(SYS_setresgid, 65534, 65534, 65534) < 0 || syscall(SYS_setresuid, 65534, 65534, 65534) < 0)
                syscall(SYS_exit_group, 1);
        /* The change of ids cleared it: set again, for a daemon killed now. */
        (void) syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        (void) syscall(SYS_write, ready_fd, "r", 1);
        (void) syscall(SYS_ppoll, NULL, 0, &limit, NULL, 0);
        syscall(SYS_exit_group, 0);
        __builtin_unreachable();
}

/* What spawn() does for a reporting policy, on a child of another uid: take
 * one of its fds with pidfd_getfd(). 0 when that works, else the -errno of
 * the refusal (EPERM: no CAP_SYS_PTRACE, or a seccomp filter). Raw clone():
 * no fork handlers run. */
static int pidfd_getfd_probe(void) {
        _cleanup_close_ int pidfd = -EBADF, ready_r = -EBADF, ready_w = -EBADF;
        int p[2], r;
        long pid, fd;
        char c;
        struct pollfd pfd;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        ready_r = p[0];
        ready_w = p[1];
        pid = syscall(SYS_clone, (unsigned long) SIGCHLD, NULL, NULL, NULL, 0UL);
        if (pid == 0)
                handover_child(ready_w);
        if (pid < 0)
                return -errno;
        ready_w = safe_close(ready_w);
        pidfd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
        pfd = (struct pollfd) { .fd = ready_r, .events = POLLIN };
        if (pidfd < 0)
                r = -errno;
        else if (poll(&pfd, 1, 5000) != 1 || read(ready_r, &c, 1) != 1)
                r = -ECHILD;                 /* it could not take the ids: no answer */
        else {
                fd = syscall(SYS_pidfd_getfd, pidfd, ready_r, 0);
                r = fd < 0 ? -errno : 0;
                if (fd >= 0)
                        safe_close((int) fd);
        }
        (void) kill((pid_t) pid, SIGKILL);
        (void) TEMP_FAILURE_RETRY(waitpid((pid_t) pid, NULL, 0));
        return r;
}

void kernel_features_probe(KernelFeatures *ret) {
        _cleanup_close_ int sock = -EBADF;
        _cleanup_free_ char *unified = NULL;
        bool pure = false;
        int abi;

        *ret = (KernelFeatures) {};

        abi = landlock_abi();
        ret->landlock_abi = abi > 0 ? abi : 0;
        ret->userns = userns_probe();
        ret->netns = ns_probe("net");
        ret->pidns = ns_probe("pid");
        ret->ipcns = ns_probe("ipc");
        if (cgfs_find_unified(&unified, &pure) >= 0) {
                ret->cgroup2 = true;
                ret->cgroup_v1_hybrid = !pure;
        }
        ret->clone3_into_cgroup = clone3_into_cgroup_probe();
        ret->seccomp_notify = seccomp_notify_probe();
        ret->pidfd = pidfd_probe();
        ret->mount_setattr = mount_setattr_probe();

        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ret->so_passrights = sockopt_probe(sock, SO_PASSRIGHTS);
        ret->so_passpidfd = sockopt_probe(sock, SO_PASSPIDFD);

        if (ret->seccomp_notify && ret->clone3_into_cgroup && spawn_listener_supported()) {
                ret->pidfd_getfd_error = pidfd_getfd_probe();
                ret->seccomp_notify_handover = ret->pidfd_getfd_error == 0;
        }
}

int kernel_features_to_strv(const KernelFeatures *f, char ***ret) {
        const struct {
                const char *name;
                bool present;
        } flags[] = {
                { "userns", f->userns },
                { "netns", f->netns },
                { "pidns", f->pidns },
                { "ipcns", f->ipcns },
                { "cgroup2", f->cgroup2 },
                { "cgroup-v1-hybrid", f->cgroup_v1_hybrid },
                { "clone3-into-cgroup", f->clone3_into_cgroup },
                { "seccomp-notify", f->seccomp_notify },
                { "pidfd", f->pidfd },
                { "mount-setattr", f->mount_setattr },
                { "so-passrights", f->so_passrights },
                { "so-passpidfd", f->so_passpidfd },
                { "seccomp-notify-handover", f->seccomp_notify_handover },
        };
        _cleanup_strv_free_ char **l = NULL;
        int r;

        /* An empty list is a list, not NULL. */
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (f->landlock_abi > 0) {
                char s[32];

                snprintf(s, sizeof s, "landlock=%d", f->landlock_abi);
                r = strv_extend(&l, s);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (flags[i].present) {
                        r = strv_extend(&l, flags[i].name);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(l);
        return 0;
}
