/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shipped policies in the real kernel: a forked child sets no_new_privs,
 * loads the compiled filter and then either probes syscalls directly or
 * executes /bin/sh, coreutils and python3. Needs no root. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

static char *search_path[] = { (char *) SOURCE_POLICYDIR, NULL };

static Policy *load(const char *name) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];

        if (policy_load(name, search_path, &p, &d) < 0) {
                diag_format(&d, buf, sizeof(buf));
                fail_msg("policy %s does not load: %s", name, buf);
        }
        return p;
}

static void install(const Policy *p) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, policy_filter(p)) < 0)
                _exit(125);
}

/* Waits at most 60 s for `pid`; returns its wait status. */
static int wait_bounded(pid_t pid) {
        int status = 0;

        for (int i = 0; i < 6000; i++) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return status;
                assert_true(r == 0);
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        fail_msg("child %d did not finish within 60s", (int) pid);
        return status;
}

/* Runs argv under the policy with output to /dev/null; returns the wait status. */
static int run_under(const Policy *p, char *const argv[]) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
                        _exit(126);
                install(p);
                execv(argv[0], argv);
                _exit(127);
        }
        return wait_bounded(pid);
}

static void expect_runs(const char *policy, char *const argv[]) {
        Policy *p = load(policy);
        int status = run_under(p, argv);

        policy_free(p);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("under policy %s, %s %s failed: %s %d", policy, argv[0], argv[1] ?: "",
                         WIFEXITED(status) ? "exit status" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void test_programs_run(void **state) {
        char *sh[] = { (char *) "/bin/sh", (char *) "-c",
                       (char *) "ls -la / >/dev/null && cat /etc/passwd | wc -l && date && echo x | sort | uniq && "
                                "mkdir -p /tmp/pol-k-$$ && touch /tmp/pol-k-$$/f && rm -r /tmp/pol-k-$$",
                       NULL };
        char *py[] = { (char *) "/usr/bin/python3", (char *) "-c",
                       (char *) "import os, subprocess, threading, json, socket, tempfile, hashlib\n"
                                "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                                "assert subprocess.run(['/bin/true']).returncode == 0\n"
                                "a, b = socket.socketpair(); a.send(b'x'); assert b.recv(1) == b'x'\n"
                                "with tempfile.TemporaryDirectory() as d: open(d + '/f', 'w').write('x')\n",
                       NULL };
        char *py_threads[] = { (char *) "/usr/bin/python3", (char *) "-c",
                               (char *) "import threading, hashlib, json\n"
                                        "t = threading.Thread(target=lambda: hashlib.sha256(b'x').digest())\n"
                                        "t.start(); t.join(); print(json.dumps({'ok': 1}))\n",
                               NULL };
        char *ls[] = { (char *) "/bin/ls", (char *) "-l", (char *) "/usr", NULL };

        expect_runs("default", sh);
        expect_runs("default", py);
        expect_runs("no-network", sh);
        expect_runs("no-network", py);          /* socketpair is AF_UNIX */
        expect_runs("strict", ls);
        expect_runs("strict", py_threads);
}

static long raw_clone3(void) {
        struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        return syscall(SYS_clone3, &args, sizeof(args));
}

static long int80_getpid(void) {
#if defined(__x86_64__)
        long ret;

        /* getpid (20) through the i386 entry point. */
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
        if (ret < 0 && ret > -4096) {
                errno = (int) -ret;
                return -1;
        }
        return ret;
#else
        errno = ENOSYS;
        return -1;
#endif
}

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS };

/* Each probe runs in its own child, which reports errno as its exit code;
 * with no policy, it runs unfiltered. */
static int probe(const Policy *p, int which) {
        pid_t pid = fork();
        long r = 0;

        assert_true(pid >= 0);
        if (pid > 0)
                return wait_bounded(pid);

        /* cmocka catches these in the test process to report a crash; the
         * probe's parent must see them as the child's death instead. */
        for (size_t i = 0; i < ELEMENTSOF(crash_signals); i++)
                (void) signal(crash_signals[i], SIG_DFL);
        if (p)
                install(p);
        switch (which) {
        case 0: r = ioctl(0, (unsigned long) TIOCSTI | (1UL << 32), "x"); break;
        case 1: r = syscall(SYS_unshare, CLONE_NEWUSER); break;
        case 2: r = syscall(1000); break;
        case 3: r = raw_clone3(); break;
        case 4: r = socket(AF_INET, SOCK_STREAM, 0); break;
        case 5: r = syscall(SYS_getpid | 0x40000000); break;
        case 6: r = syscall(SYS_personality, 0x0040000); break;
        case 7: r = syscall(-1L); break;
        case 8: r = socket(AF_PACKET, SOCK_DGRAM, 0); break;
        case 9: r = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */); break;
        case 10: r = syscall(SYS_ioctl, 0L, (unsigned long) TIOCSETD | (1UL << 32), &(int) { 0 }); break;
        case 11: r = syscall(SYS_socket, (long) AF_VSOCK | (1L << 32), (long) SOCK_STREAM, 0L); break;
        case 12: r = int80_getpid(); break;
        case 13: r = socket(AF_INET, SOCK_PACKET | SOCK_CLOEXEC, 0); break;
        case 14: r = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9 /* NETLINK_AUDIT */); break;
        case 15: r = socketpair(AF_INET, SOCK_PACKET, 0, (int[2]) {}); break;
        case 16: r = syscall(-2L); break;
        case 17: r = syscall((long) (int) 0x80000000U); break;
        case 18: r = syscall(0x7fffffffL); break;
        }
        _exit(r < 0 ? errno : 0);
}

static void expect_probe(const char *policy, int which, int exit_code, int signal) {
        Policy *p = load(policy);
        int status = probe(p, which);

        policy_free(p);
        if (signal ? !(WIFSIGNALED(status) && WTERMSIG(status) == signal)
                   : !(WIFEXITED(status) && WEXITSTATUS(status) == exit_code))
                fail_msg("policy %s, probe %d: expected %s %d, got status 0x%x", policy, which,
                         signal ? "signal" : "errno", signal ?: exit_code, (unsigned) status);
}

static void test_probes(void **state) {
        expect_probe("default", 0, EPERM, 0);   /* TIOCSTI with upper bits */
        expect_probe("default", 1, EPERM, 0);   /* unshare(CLONE_NEWUSER) */
        expect_probe("default", 2, ENOSYS, 0);  /* unknown number */
        expect_probe("default", 7, ENOSYS, 0);  /* -1: not an x32 call */
        expect_probe("strict", 7, ENOSYS, 0);
        expect_probe("default", 3, ENOSYS, 0);  /* clone3 */
        expect_probe("default", 6, EPERM, 0);   /* personality(ADDR_NO_RANDOMIZE) */
        /* Unfiltered, AF_PACKET gives EPERM (or a socket to root) and
         * AF_VSOCK a socket or EAFNOSUPPORT; so only the VSOCK probe with
         * upper bits set cannot tell filter from kernel, and it is there to
         * show that the upper bits do not get it through. */
        expect_probe("default", 8, EAFNOSUPPORT, 0);
        expect_probe("default", 9, 0, 0);
        expect_probe("default", 10, EPERM, 0);  /* TIOCSETD with upper bits */
        expect_probe("default", 11, EAFNOSUPPORT, 0);
        expect_probe("no-network", 4, EAFNOSUPPORT, 0);
        expect_probe("no-network", 9, EAFNOSUPPORT, 0);
        expect_probe("strict", 4, EPERM, 0);
        /* AF_INET with SOCK_PACKET is an AF_PACKET socket for the kernel:
         * unfiltered, root gets one and others EPERM. */
        expect_probe("default", 13, EAFNOSUPPORT, 0);
        expect_probe("default", 15, EAFNOSUPPORT, 0);
        expect_probe("no-network", 13, EAFNOSUPPORT, 0);
        /* Netlink only with NETLINK_ROUTE; audit is answered as missing. */
        expect_probe("default", 14, EPROTONOSUPPORT, 0);
        expect_probe("no-network", 14, EAFNOSUPPORT, 0);
        /* Bogus numbers other than -1: ENOSYS as from the kernel, no kill. */
        expect_probe("default", 16, ENOSYS, 0);
        expect_probe("default", 17, ENOSYS, 0);
        expect_probe("default", 18, ENOSYS, 0);
        expect_probe("strict", 16, ENOSYS, 0);
#if defined(__x86_64__)
        expect_probe("default", 5, 0, SIGSYS);  /* x32 entry point */
#endif
}

/* int 0x80 from a 64-bit process reaches the i386 syscall table only where
 * the kernel has ia32 emulation turned on; elsewhere the kernel answers
 * SIGSEGV before any filter runs. So ask the kernel first, unfiltered, and
 * assert only what the filter changes. */
static void test_int80(void **state) {
#if defined(__x86_64__)
        static const char *const policies[] = { "default", "no-network", "strict" };
        int unfiltered = probe(NULL, 12);

        if (WIFSIGNALED(unfiltered) && WTERMSIG(unfiltered) == SIGSEGV) {
                print_message("int 0x80 faults (SIGSEGV) on this kernel without a filter; "
                              "checking that no policy makes it succeed\n");
                for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
                        Policy *p = load(policies[i]);
                        int status = probe(p, 12);

                        policy_free(p);
                        if (!WIFSIGNALED(status) || (WTERMSIG(status) != SIGSEGV && WTERMSIG(status) != SIGSYS))
                                fail_msg("policy %s: int 0x80 faults unfiltered, yet ended with status 0x%x",
                                         policies[i], (unsigned) status);
                }
                return;
        }

        /* The kernel runs it (getpid succeeds, or some errno): the filter must kill. */
        if (!WIFEXITED(unfiltered))
                fail_msg("int 0x80 without a filter: unexpected status 0x%x", (unsigned) unfiltered);
        for (size_t i = 0; i < ELEMENTSOF(policies); i++)
                expect_probe(policies[i], 12, 0, SIGSYS);
#else
        skip();
#endif
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_programs_run),
                cmocka_unit_test(test_probes),
                cmocka_unit_test(test_int80),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
