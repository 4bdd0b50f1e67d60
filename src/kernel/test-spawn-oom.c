/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn() into a memory cgroup that is full (root, a memory controller, v1
 * or v2). The spawn child shares the caller's memory until its exec, and
 * the OOM killer, when it picks a process, kills every process sharing
 * that memory: had it picked the spawn child, it would have killed the
 * daemon (here: this test). An agent can keep its own group full with
 * memory no process of it maps (a memfd, tmpfs), so that the spawn child,
 * which counts the daemon's whole memory as its own, looks the biggest.
 * The spawn child must never be a candidate; the agent's own processes are.
 *
 * The test: a holder (this binary, re-executed) fills a memfd in the
 * group; the group's limit is lowered to what it uses; then a spawn into
 * the group. Before the fix this test died of SIGKILL. (On cgroup v2 the
 * group must not have memory.oom.group either: its group kill skips no
 * vfork child; cgroup-limits.c never sets it, test-cgroup checks.) */

#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroup-internal.h"
#include "kernel-test-util.h"
#include "spawn.h"

#define HOLD_BYTES (6U << 20)
#define LIMIT_BYTES (16ULL << 20)
/* An argument the exec copies into the new program's memory before that
 * memory replaces ours: pages charged to the group while the child still
 * shares our memory, more than the charges cached per CPU can cover. */
#define ARG_N 16
#define ARG_BYTES (64U << 10)                /* each, below MAX_ARG_STRLEN */
/* What this process maps and touches, so that its memory (the spawn
 * child's, for the OOM killer) clearly outweighs the holder's. */
#define BALLAST_BYTES (32U << 20)

static const char *self_path;

/* argv[1] == "hold": fills a memfd of HOLD_BYTES that no process maps,
 * says so on stdout, and sleeps at most 60 s (killed long before). */
static int hold(void) {
        static char chunk[64 << 10];
        int fd = memfd_create("agentvisor-test-hold", 0);

        if (fd < 0)
                return 2;
        memset(chunk, 0x5a, sizeof chunk);
        for (size_t done = 0; done < HOLD_BYTES; done += sizeof chunk)
                if (write(fd, chunk, sizeof chunk) != (ssize_t) sizeof chunk)
                        return 3;
        if (write(STDOUT_FILENO, "R", 1) != 1)
                return 4;
        sleep(60);
        return 0;
}

static void test_full_group_spawn(void **state) {
        static const Limits limits = {
                .memory_max = LIMIT_BYTES,
                .tasks_max = UINT64_MAX,
                .cpu_quota_per_sec_usec = UINT64_MAX,
                .runtime_max_usec = USEC_INFINITY,
                .cpu_time_max_usec = USEC_INFINITY,
        };
        char *hold_argv[] = { (char *) "test-spawn-oom", (char *) "hold", NULL };
        char *true_argv[ARG_N + 2] = { (char *) "true" };
        Cgroup *g = kt_group;
        Limits full = limits;
        CgroupStats st;
        SpawnParams p;
        const char *step = NULL;
        pid_t holder, pid = 0;
        int holder_pidfd, pidfd = -1, pipefd[2], r;
        uint64_t oom_before = 0, oom_after = 0;
        char *ballast;
        siginfo_t si;
        char c;

        if (!cgroup_root_has_controller(kt_root, CGROUP_V1_MEMORY)) {
                fprintf(stderr, "skipped: no memory controller here\n");
                skip();
        }
        check(cgroup_apply_limits(g, &limits) == 0, "cannot set MemoryMax on the test's group");

        ballast = mmap(NULL, BALLAST_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        check(ballast != MAP_FAILED, "mmap: %m");
        memset(ballast, 1, BALLAST_BYTES);

        /* The holder, in the group. */
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p = kt_params_in(g, self_path, hold_argv);
        p.stdout_fd = pipefd[1];
        check(cgroup_v1_procs_open(g, &p.v1_procs_fds, &p.n_v1_procs_fds) == 0, "cgroup_v1_procs_open: %m");
        r = spawn(&p, &holder, &holder_pidfd, &step);
        cgroup_v1_procs_close(g);
        close(pipefd[1]);
        check(r == 0, "spawn(holder) failed at %s: %s", step ? step : "?", strerror(-r));
        check(read(pipefd[0], &c, 1) == 1 && c == 'R', "the holder did not fill its memfd");
        close(pipefd[0]);

        /* The group's limit down to what it holds: the next page it is
         * charged for has to be taken from one of its processes. */
        check(cgroup_read_stats(g, &st) == 0 && st.memory_current != UINT64_MAX, "memory usage unknown");
        check(st.memory_current >= HOLD_BYTES, "the group holds %" PRIu64 " bytes, less than the memfd",
              st.memory_current);
        (void) cgroup_read_oom_kills(g, &oom_before);
        full.memory_max = (st.memory_current + 4095) / 4096 * 4096;
        check(cgroup_apply_limits(g, &full) == 0, "cannot lower the limit to %" PRIu64, full.memory_max);

        /* The spawn: its child needs memory of the group before its exec. */
        for (size_t i = 1; i <= ARG_N; i++) {
                true_argv[i] = malloc(ARG_BYTES);
                check(true_argv[i], "malloc");
                memset(true_argv[i], 'x', ARG_BYTES - 1);
                true_argv[i][ARG_BYTES - 1] = 0;
        }
        p = kt_params_in(g, "/bin/true", true_argv);
        check(cgroup_v1_procs_open(g, &p.v1_procs_fds, &p.n_v1_procs_fds) == 0, "cgroup_v1_procs_open: %m");
        r = spawn(&p, &pid, &pidfd, &step);
        cgroup_v1_procs_close(g);

        /* Still here: the OOM killer did not pick the spawn child. It had
         * to pick somebody, and the holder was the only other candidate. */
        si = kt_wait_exit(holder_pidfd);
        check(si.si_code == CLD_KILLED && si.si_status == SIGKILL,
              "the holder should have been OOM-killed, got code %d status %d", si.si_code, si.si_status);
        check(cgroup_read_oom_kills(g, &oom_after) == 0 && oom_after > oom_before,
              "no OOM kill was counted in the group (%" PRIu64 " before, %" PRIu64 " after)", oom_before,
              oom_after);
        close(holder_pidfd);

        /* The spawn itself: done once the holder's memory was freed, or
         * failed cleanly for want of memory. */
        if (r == 0) {
                si = kt_wait_exit(pidfd);
                check(si.si_code == CLD_EXITED && si.si_status == 0, "true should exit 0");
                close(pidfd);
        } else
                check(r == -ENOMEM, "spawn failed at %s: %s", step ? step : "?", strerror(-r));
        for (size_t i = 1; i <= ARG_N; i++)
                free(true_argv[i]);
        munmap(ballast, BALLAST_BYTES);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_full_group_spawn, kt_test_setup, kt_test_teardown),
        };

        if (argc == 2 && strcmp(argv[1], "hold") == 0)
                return hold();
        if (!kt_can_run()) {
                fprintf(stderr, "skipped: needs root and a cgroup2 mount\n");
                return 77;
        }
        self_path = realpath("/proc/self/exe", NULL);
        if (!self_path || kt_main_options() < 0)
                return 1;
        if (!getenv("AV_TEST_NO_RESERVED_FDS") && spawn_reserve_fds() < 0) {
                fprintf(stderr, "cannot reserve the spawn fd slots\n");
                return 1;
        }
        return cmocka_run_group_tests(tests, kt_setup, kt_teardown);
}
