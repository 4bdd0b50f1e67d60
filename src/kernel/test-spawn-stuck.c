/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn() against a child stopped before its exec (root, cgroup2): once the
 * child runs as the agent's uid, any process of that uid may SIGSTOP it.
 * spawn() must come back within its deadline, with SPAWN_STUCK_STEP and
 * -ETIMEDOUT, the child killed and reaped, or succeed when a SIGCONT is
 * enough; never hang (a CLONE_VFORK spawn hung here forever). */

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "spawn.h"

static char *true_argv[] = { (char *) "true", NULL };

/* /bin/true as nobody. */
static SpawnParams params(void) {
        SpawnParams p = kt_params("/bin/true", true_argv);

        p.uid = p.gid = 65534;
        return p;
}

static double now_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Whether the test's group holds no process (10 ms polls, 2 s at most:
 * a killed child leaves the group a little after its reaping). */
static bool group_empty(void) {
        for (unsigned i = 0; i < 200; i++) {
                if (cgroup_is_populated(kt_group) == 0)
                        return true;
                usleep(10000);
        }
        return false;
}

static void expect_stuck(SpawnParams *p, double min_sec, double max_sec) {
        const char *step = NULL;
        pid_t pid = 0;
        int pidfd = -1, r;
        double t0 = now_sec(), elapsed;

        r = spawn(p, &pid, &pidfd, &step);
        elapsed = now_sec() - t0;
        check(r == -ETIMEDOUT, "spawn of a child stopped before exec should fail with ETIMEDOUT, got %d (%s)", r,
              r < 0 ? strerror(-r) : "success");
        check(step && strcmp(step, SPAWN_STUCK_STEP) == 0, "failed step should be \"%s\", got \"%s\"",
              SPAWN_STUCK_STEP, step ? step : "(null)");
        check(elapsed >= min_sec && elapsed <= max_sec, "spawn came back after %.2f s, expected %.1f..%.1f s",
              elapsed, min_sec, max_sec);
        check(pid == 0 && pidfd == -1, "out-params must stay untouched on failure");
        /* Killed and reaped by spawn(): no child, no process in the group. */
        check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "the stuck child was left unreaped");
        check(group_empty(), "a process is left in the agent's group");
}

/* Stopped again whenever it is continued: found stopped at 5 checks ~50 ms
 * apart, killed at once, long before the default 5 s deadline. */
static void test_stopped_forever_is_killed(void **state) {
        SpawnParams p = params();

        p.test_stops_before_exec = UINT_MAX;
        expect_stuck(&p, 0.2, 1.5);
}

/* Stuck without a stop: killed at the deadline. */
static void test_hung_fails_at_deadline(void **state) {
        SpawnParams p = params();

        p.exec_timeout_usec = 1000 * 1000;
        p.test_hangs_before_exec = true;
        expect_stuck(&p, 0.9, 3.5);
}

/* A deadline that comes while the forker is still making the child (here a
 * deadline of 1 us, in production a forker stalled for 5 s): the forker is
 * killed, and a child it made meanwhile must be killed too, never left
 * running (it would run on outside vfork, in our memory); what that child
 * wrote as its oom_score_adj once out of vfork, which the kernel gives to
 * us too, is undone. Every time: the race is the kernel's timing, so the
 * attempts are many (bounded). */
static void test_deadline_while_the_forker_clones(void **state) {
        SpawnParams p = params();
        int own = kt_oom_score_adj(0);

        p.exec_timeout_usec = 1;
        p.test_hangs_before_exec = true;
        p.oom_score_adj_set = true;
        p.oom_score_adj = own == 777 ? 778 : 777;
        for (unsigned i = 0; i < 100; i++) {
                const char *step = NULL;
                pid_t pid = 0;
                int pidfd = -1, r;

                r = spawn(&p, &pid, &pidfd, &step);
                check(r == -ETIMEDOUT, "attempt %u: spawn returned %d (%s) at %s, expected -ETIMEDOUT", i, r,
                      r < 0 ? strerror(-r) : "success", step ? step : "?");
                check(group_empty(), "attempt %u: a process was left in the agent's group", i);
                check(kt_oom_score_adj(0) == own, "attempt %u: our oom_score_adj became %d (was %d)", i,
                      kt_oom_score_adj(0), own);
        }
}

/* The default deadline (SPAWN_EXEC_TIMEOUT_USEC, 5 s) plus the kill. */
static void test_default_deadline(void **state) {
        SpawnParams p = params();

        p.test_hangs_before_exec = true;
        expect_stuck(&p, 4.9, 7.5);
}

/* Stopped once: the parent's SIGCONT (after ~50 ms of no progress) lets it
 * exec. */
static void test_stopped_once_is_continued(void **state) {
        SpawnParams p = params();
        const char *step = NULL;
        struct pollfd pfd;
        siginfo_t si = {};
        pid_t pid;
        int pidfd, r;
        double t0 = now_sec(), elapsed;

        p.exec_timeout_usec = 3 * 1000 * 1000;
        p.test_stops_before_exec = 1;
        r = spawn(&p, &pid, &pidfd, &step);
        elapsed = now_sec() - t0;
        check(r == 0, "spawn of a child stopped once failed at %s: %s", step ? step : "?", strerror(-r));
        check(elapsed < 1.0, "a SIGCONT should have continued the child within ~50 ms, took %.2f s", elapsed);
        pfd = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        check(poll(&pfd, 1, 10000) == 1, "the child did not exit within 10 s");
        check(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG) == 0, "waitid: %m");
        check(si.si_code == CLD_EXITED && si.si_status == 0, "/bin/true should exit 0, got code %d status %d",
              si.si_code, si.si_status);
        close(pidfd);
}

/* A process of the agent's uid (nobody), for `seconds` at most, applying
 * act() to every pid of the test's group as it appears; it only ever acts
 * on pids of that group. Exit 1: act() returned true once; 0: it saw a pid;
 * 2: it never did; 3: it could not take the uid. */
static pid_t nobody_prober_start(double seconds, bool (*act)(pid_t pid)) {
        int fd = openat(cgroup_dir_fd(kt_group), "cgroup.procs", O_RDONLY | O_CLOEXEC);
        pid_t pid;

        check(fd >= 0, "open cgroup.procs: %m");
        pid = fork();
        check(pid >= 0, "fork: %m");
        if (pid == 0) {
                double end = now_sec() + seconds;
                bool seen = false;
                char buf[4096];

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(3);
                while (now_sec() < end) {
                        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
                        char *s = buf, *e;

                        if (n <= 0)
                                continue;
                        buf[n] = 0;
                        for (long v; (v = strtol(s, &e, 10)) > 0; s = e) {
                                seen = true;
                                if (act((pid_t) v))
                                        _exit(1);
                        }
                }
                _exit(seen ? 0 : 2);
        }
        close(fd);
        return pid;
}

/* The attack itself: another process of the agent's uid SIGSTOPs whatever
 * appears in the agent's group, in a tight loop (bounded: 15 s). The
 * child's window between its setresuid and its exec is a few microseconds:
 * it stops itself once there too, so that the stopper surely finds it
 * stopped and has to win against the parent's SIGCONTs (it mostly does; a
 * CLONE_VFORK spawn never came back from that first stop). */
static bool stop_it(pid_t pid) {
        (void) kill(pid, SIGSTOP);
        return false;
}

static pid_t stopper_start(void) {
        return nobody_prober_start(15, stop_it);
}

static void test_same_uid_stopper(void **state) {
        SpawnParams p = params();
        const char *step = NULL;
        pid_t stopper, pid = 0;
        int pidfd = -1, r, status;
        double t0, elapsed;

        p.exec_timeout_usec = 1000 * 1000;
        p.test_stops_before_exec = 1;
        stopper = stopper_start();
        usleep(50000);
        t0 = now_sec();
        r = spawn(&p, &pid, &pidfd, &step);
        elapsed = now_sec() - t0;
        (void) kill(stopper, SIGKILL);
        check(waitpid(stopper, &status, 0) == stopper, "waitpid(stopper): %m");
        check(!WIFEXITED(status), "the stopper could not take uid 65534 (exit %d)", WEXITSTATUS(status));
        check(elapsed <= 3.5, "spawn came back after %.2f s despite its 1 s deadline", elapsed);
        /* It may have slipped through to its exec between a SIGCONT and the
         * next SIGSTOP: then it is an ordinary (stopped) agent. */
        if (r == 0) {
                siginfo_t si = {};

                check(pidfd >= 0 && pid > 0, "spawn succeeded without a pidfd");
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                check(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) == 0, "waitid: %m");
                close(pidfd);
                print_message("note: the child reached its exec between the stops (%.2f s)\n", elapsed);
        } else {
                check(r == -ETIMEDOUT && step && strcmp(step, SPAWN_STUCK_STEP) == 0,
                      "expected ETIMEDOUT at \"%s\", got %s at \"%s\"", SPAWN_STUCK_STEP, strerror(-r),
                      step ? step : "(null)");
                check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "the stuck child was left unreaped");
        }
        check(group_empty(), "a process is left in the agent's group");
}

/* The child shares the daemon's memory and, after its setresuid, the
 * agent's uid: a process of that uid must not be able to trace it (it
 * would own the daemon). A bounded tracer (2 s) tries PTRACE_SEIZE on every
 * pid of the group while the child hangs before its exec. */
static bool trace_it(pid_t pid) {
        return ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0;
}

static void test_same_uid_cannot_trace(void **state) {
        SpawnParams p = params();
        const char *step = NULL;
        pid_t tracer, pid = 0;
        int pidfd = -1, r, status;
        char *v = NULL;

        /* With 0 or 2 the uid change alone leaves the child undumpable, and
         * this test would pass without the daemon's care: it means
         * something only on a host set to 1 ("debug"). */
        if (cgfs_read(AT_FDCWD, "/proc/sys/fs/suid_dumpable", &v) < 0 || v[0] != '1') {
                print_message("skipped: fs.suid_dumpable is %s, not 1", v ? v : "unreadable\n");
                free(v);
                skip();
        }
        free(v);

        p.exec_timeout_usec = 1000 * 1000;
        p.test_hangs_before_exec = true;
        tracer = nobody_prober_start(2, trace_it);
        r = spawn(&p, &pid, &pidfd, &step);
        check(waitpid(tracer, &status, 0) == tracer, "waitpid(tracer): %m");
        check(r == -ETIMEDOUT, "the hanging child should time out, got %d", r);
        check(WIFEXITED(status), "the tracer was killed (signal %d)", WTERMSIG(status));
        check(WEXITSTATUS(status) != 3, "the tracer could not take uid 65534");
        check(WEXITSTATUS(status) != 2, "the tracer never saw the child in the agent's group");
        check(WEXITSTATUS(status) == 0, "a process of the agent's uid attached to the spawn child with ptrace");
        check(group_empty(), "a process is left in the agent's group");
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_stopped_forever_is_killed, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_hung_fails_at_deadline, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_deadline_while_the_forker_clones, kt_test_setup,
                                                kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_stopped_once_is_continued, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_same_uid_stopper, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_default_deadline, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_same_uid_cannot_trace, kt_test_setup, kt_test_teardown),
        };

        if (!kt_can_run()) {
                fprintf(stderr, "skipped: needs root and a cgroup2 mount\n");
                return 77;
        }
        /* Both fd table paths of spawn(), as the daemon and as tests. */
        if (kt_main_options() < 0)
                return 1;
        if (!getenv("AV_TEST_NO_RESERVED_FDS") && spawn_reserve_fds() < 0) {
                fprintf(stderr, "cannot reserve the spawn fd slots\n");
                return 1;
        }
        return cmocka_run_group_tests(tests, kt_setup, kt_teardown);
}
