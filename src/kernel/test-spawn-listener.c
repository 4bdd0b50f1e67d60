/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn() with a reporting policy against the real kernel (root, cgroup2):
 * the listener reaches the parent, the agent holds no copy of it, a reported
 * syscall waits for the answer and gets it, and the plain filter of the same
 * policy (no listener) still kills for a `kill report` rule. dash calls
 * getppid() once at start, which the policies here report. */

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "kernel-test-util.h"
#include "policy.h"
#include "spawn.h"

static char *sh_argv[] = { (char *) "sh", (char *) "-c", (char *) "exit 7", NULL };

static int setup(void **state) {
        int r;

        /* As the daemon does: the spawn shares the fd table up to the child's
         * unshare, which is where the listener must not leak. Before the
         * cgroup root is opened, as in the daemon: the root's fd is the one
         * every group is opened beneath. */
        if (!getenv("AV_TEST_NO_RESERVED_FDS")) {
                /* Whatever a harness left in the slots is not ours. */
                for (int fd = 3; fd < 12; fd++)
                        (void) close(fd);
                r = spawn_reserve_fds();
                if (r < 0) {
                        print_error("spawn_reserve_fds: %s\n", strerror(-r));
                        return -1;
                }
        }
        if (kt_setup(state) < 0)
                return -1;
        return 0;
}

static Policy *load(const char *text) {
        Policy *p = NULL;
        Diagnostic d = {};

        check(policy_load_string(text, "test.policy", NULL, &p, &d) == 0, "policy does not load");
        return p;
}

static SpawnParams params(void) {
        return kt_params("/bin/sh", sh_argv);
}

/* Whether pid has an fd on a seccomp listener ("anon_inode:seccomp notify"). */
static bool holds_listener(pid_t pid) {
        char dir[64], path[384], target[256];
        bool found = false;
        struct dirent *de;
        DIR *d;

        snprintf(dir, sizeof dir, "/proc/%d/fd", (int) pid);
        d = opendir(dir);
        check(d, "opendir %s: %m", dir);
        while ((de = readdir(d))) {
                ssize_t n;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                n = readlink(path, target, sizeof target - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (strstr(target, "seccomp"))
                        found = true;
        }
        closedir(d);
        return found;
}

static void test_listener_answers(void **state) {
        Policy *pol = load("default allow\ndeny getppid errno EACCES report\n");
        SpawnParams p = params();
        struct seccomp_notif req = {};
        struct seccomp_notif_resp resp = {};
        struct pollfd pfd = { .events = POLLIN };
        const char *step = NULL;
        int pidfd = -1, listener = -1, r;
        pid_t pid;
        siginfo_t si;

        p.filter = policy_enforce_filter(pol);
        p.notify_filter = policy_notify_filter(pol);
        p.ret_listener_fd = &listener;
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn: %s at %s", strerror(-r), step ?: "?");
        check(listener >= 0, "no listener came back");
        check(fcntl(listener, F_GETFD) == FD_CLOEXEC, "the listener is not O_CLOEXEC");

        /* The shell blocks in getppid() until answered. */
        pfd.fd = listener;
        check(poll(&pfd, 1, 10000) == 1, "no notification within 10 s");
        check(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0, "NOTIF_RECV: %m");
        assert_int_equal(req.data.nr, SYS_getppid);
        assert_int_equal(req.pid, pid);
        check(!holds_listener(pid), "the agent holds a seccomp listener");
        check(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0, "NOTIF_ID_VALID: %m");

        resp.id = req.id;
        resp.error = -EACCES;
        check(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0, "NOTIF_SEND: %m");

        si = kt_wait_exit(pidfd);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 7);
        close(pidfd);
        close(listener);
        policy_free(pol);
}

/* The plain filter of a policy with `kill report`, loaded with no listener
 * (what any other loader gets): still a kill. */
static void test_plain_filter_kills(void **state) {
        Policy *pol = load("default allow\ndeny getppid action kill report\n");
        SpawnParams p = params();
        const char *step = NULL;
        int pidfd = -1, r;
        pid_t pid;
        siginfo_t si;

        p.filter = policy_filter(pol);
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn: %s at %s", strerror(-r), step ?: "?");
        si = kt_wait_exit(pidfd);
        check(si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED, "not killed (code %d)", si.si_code);
        assert_int_equal(si.si_status, SIGSYS);
        close(pidfd);
        policy_free(pol);
}

/* Reported syscalls are not what the child needs after the notify filter:
 * even `default ... report` with nothing but execve allowed starts (futex,
 * seccomp and exit_group are never notified, futex and seccomp pass the
 * notify filter before the enforce filter is there), and the listener gets
 * the first syscall of the new program. */
static void test_default_report_starts(void **state) {
        Policy *pol = load("default errno EPERM report\nallow execve\n");
        SpawnParams p = params();
        struct seccomp_notif req = {};
        struct pollfd pfd = { .events = POLLIN };
        const char *step = NULL;
        int pidfd = -1, listener = -1, r;
        pid_t pid;

        p.filter = policy_enforce_filter(pol);
        p.notify_filter = policy_notify_filter(pol);
        p.ret_listener_fd = &listener;
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn: %s at %s", strerror(-r), step ?: "?");
        pfd.fd = listener;
        check(poll(&pfd, 1, 10000) == 1, "no notification within 10 s");
        check(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0, "NOTIF_RECV: %m");
        assert_int_equal(req.pid, pid);
        /* Gone with the agent: its pending syscall never returns. */
        check(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        (void) kt_wait_exit(pidfd);
        close(pidfd);
        close(listener);
        policy_free(pol);
}

/* The child runs beside the parent (no vfork) and shares its errno: its
 * failure is still its own, named by step, and nothing is left running. */
static void test_failure_is_the_childs(void **state) {
        Policy *pol = load("default allow\ndeny getppid errno EACCES report\n");
        char *argv[] = { (char *) "missing", NULL };
        SpawnParams p = params();
        const char *step = NULL;
        int pidfd = -1, listener = -1, r;
        pid_t pid;

        p.filter = policy_enforce_filter(pol);
        p.notify_filter = policy_notify_filter(pol);
        p.ret_listener_fd = &listener;
        p.path = "/nonexistent/agentvisor-missing";
        p.argv = argv;
        r = spawn(&p, &pid, &pidfd, &step);
        assert_int_equal(r, -ENOENT);
        assert_string_equal(step, "execve");
        /* Taken before the failed exec, and not left open. */
        assert_int_equal(listener, -EBADF);

        p.path = "/bin/sh";
        p.argv = sh_argv;
        p.working_directory = "/nonexistent/agentvisor-dir";
        r = spawn(&p, &pid, &pidfd, &step);
        assert_int_equal(r, -ENOENT);
        assert_string_equal(step, "chdir");
        assert_int_equal(listener, -EBADF);
        policy_free(pol);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_listener_answers, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_plain_filter_kills, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_default_report_starts, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_failure_is_the_childs, kt_test_setup, kt_test_teardown),
        };

        if (geteuid() != 0)
                return 77;
        return cmocka_run_group_tests(tests, setup, kt_teardown);
}
