/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel feature probes against this host: each answer agrees with the
 * kernel asked another way (never a hard-coded version), and the Features
 * strings have their documented form. */

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel-features.h"
#include "sandbox-landlock.h"
#include "spawn.h"
#include "strv.h"

#define check(cond, ...)                        \
        do {                                    \
                if (!(cond))                    \
                        fail_msg(__VA_ARGS__);  \
        } while (0)

static void test_format_empty(void **state) {
        KernelFeatures f = {};
        char **l = NULL;

        check(kernel_features_to_strv(&f, &l) == 0, "kernel_features_to_strv failed");
        check(l && !l[0], "a host with nothing gives an empty list, not NULL");
        strv_free(l);
}

static void test_format_order(void **state) {
        KernelFeatures f = { .landlock_abi = 3, .userns = true, .cgroup2 = true, .so_passpidfd = true };
        char **l = NULL, *joined;

        check(kernel_features_to_strv(&f, &l) == 0, "kernel_features_to_strv failed");
        joined = strv_join(l, " ");
        check(joined && strcmp(joined, "landlock=3 userns cgroup2 so-passpidfd") == 0,
              "expected \"landlock=3 userns cgroup2 so-passpidfd\", got \"%s\"", joined ? joined : "(null)");
        free(joined);
        strv_free(l);
}

static void test_format_every_name(void **state) {
        KernelFeatures f = {
                .landlock_abi = 9, .userns = true, .netns = true, .pidns = true, .ipcns = true, .cgroup2 = true,
                .cgroup_v1_hybrid = true, .clone3_into_cgroup = true, .seccomp_notify = true, .pidfd = true,
                .mount_setattr = true, .so_passrights = true, .so_passpidfd = true,
                .seccomp_notify_handover = true,
        };
        char **l = NULL, *joined;

        check(kernel_features_to_strv(&f, &l) == 0, "kernel_features_to_strv failed");
        joined = strv_join(l, " ");
        check(joined && strcmp(joined, "landlock=9 userns netns pidns ipcns cgroup2 cgroup-v1-hybrid "
                                       "clone3-into-cgroup seccomp-notify pidfd mount-setattr so-passrights "
                                       "so-passpidfd seccomp-notify-handover") == 0,
              "unexpected Features list \"%s\"", joined ? joined : "(null)");
        free(joined);
        strv_free(l);
}

/* Whether a child can unshare the namespace type (the test runs as root). */
static bool unshare_by_fork(int flag) {
        int status;
        pid_t pid = fork();

        if (pid == 0)
                _exit(unshare(flag) < 0 ? 1 : 0);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return false;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_probe_matches_kernel(void **state) {
        KernelFeatures f;
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */);
        uint32_t notif = SECCOMP_RET_USER_NOTIF;
        long pidfd;

        kernel_features_probe(&f);

        check(f.landlock_abi == (abi > 0 ? abi : 0), "probe says Landlock ABI %d, the kernel says %ld",
              f.landlock_abi, abi);
        check(landlock_abi() == (abi > 0 ? (int) abi : -EOPNOTSUPP), "landlock_abi() = %d, the kernel says %ld",
              landlock_abi(), abi);
        check(f.userns == unshare_by_fork(CLONE_NEWUSER), "probe says userns=%d, an unshare(CLONE_NEWUSER) disagrees", f.userns);
        check(f.netns == unshare_by_fork(CLONE_NEWNET), "probe says netns=%d, an unshare() disagrees", f.netns);
        check(f.pidns == unshare_by_fork(CLONE_NEWPID), "probe says pidns=%d, an unshare() disagrees", f.pidns);
        check(f.ipcns == unshare_by_fork(CLONE_NEWIPC), "probe says ipcns=%d, an unshare() disagrees", f.ipcns);
        check(f.seccomp_notify == (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &notif) == 0),
              "seccomp-notify disagrees with SECCOMP_GET_ACTION_AVAIL");
        pidfd = syscall(SYS_pidfd_open, getpid(), 0);
        check(f.pidfd == (pidfd >= 0), "pidfd disagrees with pidfd_open()");
        if (pidfd >= 0)
                close((int) pidfd);
        check(f.cgroup2 == (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ||
                            access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0),
              "cgroup2=%d disagrees with the cgroup2 mount", f.cgroup2);
        check(!f.cgroup_v1_hybrid || f.cgroup2, "cgroup-v1-hybrid without cgroup2");
        check(f.cgroup_v1_hybrid == (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0),
              "cgroup-v1-hybrid=%d disagrees with /sys/fs/cgroup/unified", f.cgroup_v1_hybrid);
        /* clone3 with CLONE_INTO_CGROUP came with 5.7, mount_setattr with
         * 5.12: on a kernel with Landlock ABI >= 2 (5.19) both are there. */
        if (abi >= 2)
                check(f.clone3_into_cgroup && f.mount_setattr,
                      "a kernel with Landlock ABI %ld must have clone3-into-cgroup and mount-setattr", abi);
        /* SO_PASSPIDFD came with 6.5, Landlock ABI 4 with 6.7. */
        if (abi >= 4)
                check(f.so_passpidfd, "a kernel with Landlock ABI %ld must have SO_PASSPIDFD", abi);
        /* SO_PASSRIGHTS came with 6.16, Landlock ABI 7 with 6.15: nothing to
         * infer; only that a second probe agrees with the first. */
        {
                KernelFeatures again;

                kernel_features_probe(&again);
                check(memcmp(&f, &again, sizeof f) == 0, "two probes gave different answers");
        }
}

static void test_probe_strv_has_landlock(void **state) {
        KernelFeatures f;
        char **l = NULL, want[32];
        int abi = landlock_abi();

        kernel_features_probe(&f);
        check(kernel_features_to_strv(&f, &l) == 0, "kernel_features_to_strv failed");
        if (abi > 0) {
                snprintf(want, sizeof want, "landlock=%d", abi);
                check(l[0] && strcmp(l[0], want) == 0, "first Features entry should be %s, got %s", want,
                      l[0] ? l[0] : "(none)");
        } else
                check(!l[0] || strncmp(l[0], "landlock=", 9) != 0, "landlock listed on a kernel without it");
        strv_free(l);
}

/* Without CAP_SYS_PTRACE (the shipped unit's bounding set once lacked it)
 * pidfd_getfd() on a child of another uid is refused: the probe must say
 * so, or every reporting agent would fail to start. Checked in a forked
 * child that drops the capability; with it (as root) the hand-over works. */
static void test_probe_handover_needs_ptrace(void **state) {
        KernelFeatures f;
        pid_t pid;
        int status;

        kernel_features_probe(&f);
        if (!f.seccomp_notify || !f.clone3_into_cgroup || !spawn_listener_supported())
                skip();
        check(f.seccomp_notify_handover && f.pidfd_getfd_error == 0,
              "as root with CAP_SYS_PTRACE the hand-over should work, pidfd_getfd: %s",
              strerror(-f.pidfd_getfd_error));

        pid = fork();
        check(pid >= 0, "fork: %m");
        if (pid == 0) {
                struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
                struct __user_cap_data_struct d[2] = {};

                if (syscall(SYS_capget, &h, d) < 0)
                        _exit(10);
                d[CAP_SYS_PTRACE / 32].effective &= ~(1U << (CAP_SYS_PTRACE % 32));
                d[CAP_SYS_PTRACE / 32].permitted &= ~(1U << (CAP_SYS_PTRACE % 32));
                if (syscall(SYS_capset, &h, d) < 0)
                        _exit(11);
                kernel_features_probe(&f);
                if (f.seccomp_notify_handover)
                        _exit(12);
                _exit(f.pidfd_getfd_error == -EPERM ? 0 : 13);
        }
        check(waitpid(pid, &status, 0) == pid, "waitpid: %m");
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "without CAP_SYS_PTRACE the probe should report EPERM and no hand-over (child status %d)",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_empty),
                cmocka_unit_test(test_format_order),
                cmocka_unit_test(test_format_every_name),
                cmocka_unit_test(test_probe_matches_kernel),
                cmocka_unit_test(test_probe_strv_has_landlock),
                cmocka_unit_test(test_probe_handover_needs_ptrace),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
