/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn() against the real kernel (root, cgroup2): exit status through the
 * pidfd, failures named by step, and the sandbox an agent gets (uid,
 * capabilities, no_new_privs, seccomp, fds, environment, cgroup). */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "spawn.h"

static void test_true_exits_zero(void **state) {
        char *argv[] = { (char *) "true", NULL };
        SpawnParams p = kt_params("/bin/true", argv);
        const char *step = NULL;
        pid_t pid;
        int pidfd, r;
        siginfo_t si;

        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn(/bin/true) failed at step %s: %s", step ? step : "?", strerror(-r));
        check(pid > 0 && pidfd >= 0, "spawn returned pid %d, pidfd %d", (int) pid, pidfd);
        check(fcntl(pidfd, F_GETFD) == FD_CLOEXEC, "the pidfd must be O_CLOEXEC");

        si = kt_wait_exit(pidfd);
        check(si.si_pid == pid, "waitid reported pid %d, expected %d", (int) si.si_pid, (int) pid);
        check(si.si_code == CLD_EXITED && si.si_status == 0,
              "/bin/true should exit 0, got code %d status %d", si.si_code, si.si_status);
        close(pidfd);
}

static void expect_failure(SpawnParams *p, int error, const char *expected_step) {
        const char *step = NULL;
        pid_t pid = 0;
        int pidfd = -1, r;

        r = spawn(p, &pid, &pidfd, &step);
        check(r == error, "spawn of %s should fail with %s, got %d (%s)", p->path, strerror(-error), r,
              r < 0 ? strerror(-r) : "success");
        check(step && strcmp(step, expected_step) == 0, "failed step should be \"%s\", got \"%s\"",
              expected_step, step ? step : "(null)");
        check(pid == 0 && pidfd == -1, "out-params must stay untouched on failure");
        /* The child was reaped by spawn(): nothing is left to wait for. */
        check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a failed spawn left a child unreaped");
}

static void test_missing_executable(void **state) {
        char *argv[] = { (char *) "nope", NULL };
        SpawnParams p = kt_params("/nonexistent/agentvisor-no-such-binary", argv);

        expect_failure(&p, -ENOENT, "execve");
}

static void test_bad_working_directory(void **state) {
        char *argv[] = { (char *) "true", NULL };
        SpawnParams p = kt_params("/bin/true", argv);

        p.working_directory = "/nonexistent/agentvisor-no-such-dir";
        expect_failure(&p, -ENOENT, "chdir");
}

/* The value of "Key:\t..." in /proc/PID/status. */
static char *status_field(pid_t pid, const char *key) {
        char path[64], *s = NULL, *p, *v;
        size_t n = strlen(key);

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &s) == 0, "cannot read %s", path);
        for (p = s; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ':') {
                        v = p + n + 1;
                        v += strspn(v, " \t");
                        v = strndup(v, strcspn(v, "\n"));
                        free(s);
                        return v;
                }
        free(s);
        fail_msg("no %s: in /proc/%d/status", key, (int) pid);
        return NULL;
}

static void expect_status(pid_t pid, const char *key, const char *value) {
        char *v = status_field(pid, key);

        check(strcmp(v, value) == 0, "/proc/%d/status %s: expected \"%s\", got \"%s\"", (int) pid, key, value, v);
        free(v);
}

static void test_sandbox_as_nobody(void **state) {
        char *argv[] = { (char *) "sleep", (char *) "5", NULL };
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog filter = { .len = ELEMENTSOF(allow), .filter = allow };
        SpawnParams p = kt_params("/bin/sleep", argv);
        const char *step = NULL;
        char path[64], *cg = NULL, expected[512];
        _cleanup_close_ int leak = -EBADF;
        unsigned n_fds = 0;
        pid_t pid;
        int pidfd, r;
        DIR *d;
        struct dirent *de;

        /* An fd without O_CLOEXEC, as a careless daemon part might leave. */
        leak = open("/dev/null", O_RDONLY);
        check(leak >= 0, "open /dev/null: %m");

        p.uid = 65534;
        p.gid = 65534;
        p.filter = &filter;
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn(/bin/sleep) as nobody failed at step %s: %s", step ? step : "?", strerror(-r));

        expect_status(pid, "Uid", "65534\t65534\t65534\t65534");
        expect_status(pid, "Gid", "65534\t65534\t65534\t65534");
        expect_status(pid, "Groups", "");
        expect_status(pid, "CapInh", "0000000000000000");
        expect_status(pid, "CapPrm", "0000000000000000");
        expect_status(pid, "CapEff", "0000000000000000");
        expect_status(pid, "CapBnd", "0000000000000000");
        expect_status(pid, "CapAmb", "0000000000000000");
        expect_status(pid, "NoNewPrivs", "1");
        expect_status(pid, "Seccomp", "2");
        expect_status(pid, "SigBlk", "0000000000000000");
        check(getsid(pid) == pid, "the agent must lead its own session (sid %d, pid %d)", (int) getsid(pid),
              (int) pid);

        /* spawn() returns when the exec releases the old mm, before the
         * exec closes the O_CLOEXEC fds: the table is looked at until it
         * holds 0, 1, 2 only, 2 s at most. A leaked fd never goes. */
        snprintf(path, sizeof path, "/proc/%d/fd", (int) pid);
        for (unsigned i = 0; i < 200; i++) {
                char other[NAME_MAX + 1] = "";

                n_fds = 0;
                d = opendir(path);
                check(d, "opendir %s: %m", path);
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.') {
                                if (strcmp(de->d_name, "0") != 0 && strcmp(de->d_name, "1") != 0 &&
                                    strcmp(de->d_name, "2") != 0)
                                        snprintf(other, sizeof other, "%s", de->d_name);
                                n_fds++;
                        }
                closedir(d);
                if (!other[0] || i == 199) {
                        check(!other[0], "the agent has fd %s open; only 0, 1, 2 may be", other);
                        break;
                }
                usleep(10000);
        }
        check(n_fds == 3, "the agent should have fds 0, 1, 2 open, it has %u", n_fds);

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &cg) == 0, "cannot read %s", path);
        snprintf(expected, sizeof expected, "0::%s\n", cgroup_path(kt_group));
        check(strstr(cg, expected), "the agent should be in %s, /proc/%d/cgroup says:\n%s", cgroup_path(kt_group),
              (int) pid, cg);
        free(cg);

        check(pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        siginfo_t si = kt_wait_exit(pidfd);
        check(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "sleep should die of SIGKILL");
        close(pidfd);
}

/* Hybrid: with limits the agent has v1 groups too, and the child joins each
 * through its fd (a write of "0" to the group's tasks, cgroup.c) before the
 * exec: /proc/PID/cgroup lists the agent's group in every hierarchy. */
static void test_v1_groups_joined(void **state) {
        static const Limits limits = {
                .memory_max = 64ULL * 1024 * 1024,
                .tasks_max = 16,
                .cpu_quota_per_sec_usec = 500000,
                .runtime_max_usec = USEC_INFINITY,
                .cpu_time_max_usec = USEC_INFINITY,
        };
        static const char *const names[] = { "pids", "memory", "cpu" };
        char *argv[] = { (char *) "sleep", (char *) "5", NULL };
        Cgroup *g = NULL;
        SpawnParams p;
        const char *step = NULL;
        char path[64], *cg = NULL;
        pid_t pid;
        int pidfd, r;

        if (cgroup_root_is_unified(kt_root))
                skip();
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                if (!cgroup_root_has_controller(kt_root, c))
                        skip();
        check(cgroup_agent_new(kt_root, NULL, "v1join", &limits, &g) == 0, "cgroup_agent_new(v1join)");
        p = kt_params_in(g, "/bin/sleep", argv);
        check(cgroup_v1_procs_open(g, &p.v1_procs_fds, &p.n_v1_procs_fds) == 0, "cgroup_v1_procs_open: %m");
        check(p.n_v1_procs_fds == 3, "three v1 groups expected, got %zu", p.n_v1_procs_fds);
        r = spawn(&p, &pid, &pidfd, &step);
        cgroup_v1_procs_close(g);
        check(r == 0, "spawn failed at %s: %s", step ? step : "?", strerror(-r));

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &cg) == 0, "cannot read %s", path);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char key[16], *line, *end;

                snprintf(key, sizeof key, ":%s:", names[i]);
                line = strstr(cg, key);
                check(line, "no %s line in %s:\n%s", names[i], path, cg);
                end = strchr(line, '\n');
                check(end && end - line > 13 && strncmp(end - 13, "/v1join.agent", 13) == 0,
                      "the agent is not in its %s group; %s says:\n%s", names[i], path, cg);
        }
        free(cg);

        check(pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        (void) kt_wait_exit(pidfd);
        close(pidfd);
        for (unsigned i = 0; i < 200 && (r = cgroup_remove(g)) == -EBUSY; i++)
                usleep(10000);
        check(r == 0, "cgroup_remove(v1join): %s", strerror(-r));
        cgroup_free(g);
}

/* Reads what the child wrote into the pipe until EOF (bounded by poll). */
static char *read_pipe(int fd) {
        static char buf[4096];
        size_t n = 0;

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t k;

                check(poll(&pfd, 1, 10000) == 1, "no output from the child within 10 s");
                k = read(fd, buf + n, sizeof buf - 1 - n);
                check(k >= 0, "read: %m");
                if (k == 0)
                        break;
                n += (size_t) k;
                check(n < sizeof buf - 1, "too much output from the child");
        }
        buf[n] = 0;
        return buf;
}

static void test_environment_is_exactly_envp(void **state) {
        char *argv[] = { (char *) "env", NULL };
        char *envp[] = { (char *) "A=1", (char *) "B=two words", NULL };
        SpawnParams p = kt_params("/usr/bin/env", argv);
        const char *step = NULL, *out;
        int pipefd[2], pidfd, r;
        pid_t pid;

        check(setenv("AGENTVISOR_TEST_LEAK", "1", 1) == 0, "setenv: %m");
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p.envp = envp;
        p.stdout_fd = pipefd[1];
        r = spawn(&p, &pid, &pidfd, &step);
        close(pipefd[1]);
        check(r == 0, "spawn(/usr/bin/env) failed at step %s: %s", step ? step : "?", strerror(-r));

        out = read_pipe(pipefd[0]);
        close(pipefd[0]);
        check(strcmp(out, "A=1\nB=two words\n") == 0, "the environment should be exactly envp, env printed:\n%s",
              out);
        siginfo_t si = kt_wait_exit(pidfd);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "env should exit 0");
        close(pidfd);
        unsetenv("AGENTVISOR_TEST_LEAK");
}

/* WATCHDOG_PID= must name the agent itself, which only the child knows
 * before exec: the child fills the slot in the shared envp. */
static void test_pid_env_slot_gets_child_pid(void **state) {
        char *argv[] = { (char *) "env", NULL };
        char wd[] = "WATCHDOG_PID=XXXXXXXXXX";
        char *envp[] = { wd, NULL };
        SpawnParams p = kt_params("/usr/bin/env", argv);
        const char *step = NULL, *out;
        char expected[64];
        int pipefd[2], pidfd, r;
        pid_t pid;

        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p.envp = envp;
        p.stdout_fd = pipefd[1];
        p.pid_env_slot = wd + strlen("WATCHDOG_PID=");
        r = spawn(&p, &pid, &pidfd, &step);
        close(pipefd[1]);
        check(r == 0, "spawn(/usr/bin/env) failed at step %s: %s", step ? step : "?", strerror(-r));

        out = read_pipe(pipefd[0]);
        close(pipefd[0]);
        snprintf(expected, sizeof expected, "WATCHDOG_PID=%d\n", (int) pid);
        check(strcmp(out, expected) == 0, "expected %s, env printed:\n%s", expected, out);
        siginfo_t si = kt_wait_exit(pidfd);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "env should exit 0");
        close(pidfd);
}

/* With reserved slots the child shares the parent's fd table until it takes
 * a private copy of only the low slots: it must still see exactly 0-2 (plus
 * ls's own directory fd), write its output through the slot, and leave
 * every one of the parent's fds as it was. Run in a forked process, since
 * the reservation lasts for the process's life. */
static void test_shared_fd_table(void **state) {
        pid_t worker = fork();
        int status = 0;

        check(worker >= 0, "fork: %m");
        if (worker == 0) {
                char *argv[] = { (char *) "ls", (char *) "/proc/self/fd", NULL };
                SpawnParams p = kt_params("/bin/ls", argv);
                int extra[200], pipefd[2], pidfd, r;
                const char *step = NULL, *out;
                pid_t pid;

                /* The test's own low fds move out of the way of the slots. */
                p.cgroup_fd = fcntl(p.cgroup_fd, F_DUPFD_CLOEXEC, 64);
                if (p.cgroup_fd < 0)
                        _exit(10);
                for (int fd = 3; fd < 12; fd++)
                        (void) close(fd);
                if (spawn_reserve_fds() < 0)
                        _exit(10);
                for (size_t i = 0; i < ELEMENTSOF(extra); i++)
                        if ((extra[i] = open("/dev/null", O_RDONLY)) < 0)
                                _exit(11);
                if (pipe2(pipefd, O_CLOEXEC) < 0)
                        _exit(12);
                p.stdout_fd = pipefd[1];
                r = spawn(&p, &pid, &pidfd, &step);
                close(pipefd[1]);
                if (r < 0)
                        _exit(13);
                out = read_pipe(pipefd[0]);
                /* 0, 1, 2 and the directory ls reads. */
                if (strcmp(out, "0\n1\n2\n3\n") != 0) {
                        fprintf(stderr, "child saw fds:\n%s", out);
                        _exit(14);
                }
                for (size_t i = 0; i < ELEMENTSOF(extra); i++)
                        if (fcntl(extra[i], F_GETFD) < 0)
                                _exit(15);
                /* The slot the child used is /dev/null again in the parent. */
                if (fcntl(3, F_GETFD) < 0 || fcntl(pipefd[0], F_GETFD) < 0)
                        _exit(16);
                _exit(0);
        }
        check(waitpid(worker, &status, 0) == worker, "waitpid: %m");
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the shared-table spawn check failed with code %d (10 reserve, 12 pipe, 13 spawn, "
              "14 child fds, 15 parent fds closed, 16 slots)",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Runs the probe below as root; with protect_cgroups or without. */
static char *run_root_probe(bool protect, char **files) {
        char *argv[16] = { (char *) "sh", (char *) "-c",
                           (char *) "grep -E '^0::|^Cap(Eff|Prm|Bnd)' /proc/self/cgroup /proc/self/status; "
                                    "for f in \"$@\"; do (echo 0 > \"$f\") 2>/dev/null && echo \"WRITABLE $f\"; done; "
                                    "exit 0",
                           (char *) "sh" };
        SpawnParams p = kt_params("/bin/sh", argv);
        const char *step = NULL;
        char *out;
        int pipefd[2], pidfd, r;
        pid_t pid;

        for (size_t i = 0; files[i] && i < 10; i++)
                argv[4 + i] = files[i];
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p.stdout_fd = pipefd[1];
        p.protect_cgroups = protect;
        r = spawn(&p, &pid, &pidfd, &step);
        close(pipefd[1]);
        check(r == 0, "spawn of a root agent failed at step %s: %s", step ? step : "?", strerror(-r));
        out = read_pipe(pipefd[0]);
        close(pipefd[0]);
        siginfo_t si = kt_wait_exit(pidfd);
        close(pidfd);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "sh should exit 0; output:\n%s", out);
        return out;
}

/* User=root: caps gone, its own cgroup namespace, and no cgroup file it can
 * write to. The probe writes "0" (move myself) into the cgroup.procs of the
 * groups the agent is already in, which would change nothing if allowed. */
static void test_root_agent_protect_cgroups(void **state) {
        static const char *const v1[] = { "pids", "memory", "cpu" };
        char *files[8] = {}, *mount = NULL, *out;
        size_t n = 0;
        bool pure;

        check(cgfs_find_unified(&mount, &pure) == 0, "no cgroup2 mount");
        check(asprintf(&files[n++], "%s%s/cgroup.procs", mount, cgroup_path(kt_group)) > 0, "oom");
        for (size_t i = 0; !pure && i < ELEMENTSOF(v1); i++) {
                char *own = NULL, *dir = NULL;

                if (cgfs_own_path(v1[i], &own) == 0 && cgfs_v1_dir(v1[i], own, &dir) == 0)
                        check(asprintf(&files[n++], "%s/cgroup.procs", dir) > 0, "oom");
                free(own);
                free(dir);
        }
        free(mount);

        /* Without the protection the probe can write: the check below means something. */
        out = run_root_probe(false, files);
        check(strstr(out, "WRITABLE"), "a root agent without protect_cgroups should reach %s:\n%s", files[0], out);

        out = run_root_probe(true, files);
        check(strstr(out, "/proc/self/cgroup:0::/\n"), "the agent should see its group as / (cgroup namespace):\n%s",
              out);
        check(strstr(out, "CapEff:\t0000000000000000") && strstr(out, "CapPrm:\t0000000000000000") &&
              strstr(out, "CapBnd:\t0000000000000000"), "a root agent must have no capabilities:\n%s", out);
        check(!strstr(out, "WRITABLE"), "cgroupfs must be read-only for a root agent:\n%s", out);
        for (size_t i = 0; i < n; i++)
                free(files[i]);
}

/* The value columns of one line of /proc/PID/limits, e.g. "8388608 8388608". */
static void expect_limit(pid_t pid, const char *name, const char *expected) {
        char path[64], *text = NULL, *line, got[128];

        snprintf(path, sizeof path, "/proc/%d/limits", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &text) == 0, "cannot read %s", path);
        line = strstr(text, name);
        check(line, "no \"%s\" in %s:\n%s", name, path, text);
        /* Columns start at 26 (name) and are 21 wide (soft, hard). */
        line += 26;
        check(sscanf(line, "%20s", got) == 1, "cannot parse %s in %s", name, path);
        strcat(got, " ");
        check(sscanf(line + 21, "%20s", got + strlen(got)) == 1, "cannot parse %s in %s", name, path);
        check(strcmp(got, expected) == 0, "%s of the agent: expected \"%s\", got \"%s\"", name, expected, got);
        free(text);
}

static void format_limit(char *buf, size_t size, rlim_t soft, rlim_t hard) {
        char a[32], b[32];

        snprintf(a, sizeof a, "%llu", (unsigned long long) soft);
        snprintf(b, sizeof b, "%llu", (unsigned long long) hard);
        snprintf(buf, size, "%s %s", soft == RLIM_INFINITY ? "unlimited" : a, hard == RLIM_INFINITY ? "unlimited" : b);
}

/* Whatever the daemon holds, an agent starts from the documented defaults
 * capped by the daemon's hard limits. Soft limits are changed here (no
 * CAP_SYS_RESOURCE is needed for that): before the reset, agents inherited
 * every one of them. */
static void test_every_rlimit_is_reset(void **state) {
        static const struct {
                int resource;
                const char *name;
                rlim_t soft;            /* what the daemon's soft limit is set to */
                rlim_t agent_soft, agent_hard; /* the default, capped by the hard limit */
        } table[] = {
                { RLIMIT_CPU, "Max cpu time", 1000, RLIM_INFINITY, RLIM_INFINITY },
                { RLIMIT_FSIZE, "Max file size", 1 << 20, RLIM_INFINITY, RLIM_INFINITY },
                { RLIMIT_AS, "Max address space", 1ULL << 40, RLIM_INFINITY, RLIM_INFINITY },
                { RLIMIT_STACK, "Max stack size", RLIM_INFINITY, 8 << 20, RLIM_INFINITY },
                { RLIMIT_CORE, "Max core file size", RLIM_INFINITY, 0, 0 },
                { RLIMIT_MEMLOCK, "Max locked memory", 4096, 8 << 20, 8 << 20 },
                { RLIMIT_MSGQUEUE, "Max msgqueue size", 4096, 819200, 819200 },
                { RLIMIT_NOFILE, "Max open files", RLIM_INFINITY, 1024, 524288 },
                { RLIMIT_NICE, "Max nice priority", 0, 0, 0 },
                { RLIMIT_RTPRIO, "Max realtime priority", 0, 0, 0 },
        };
        struct rlimit saved[ELEMENTSOF(table)];
        char *argv[] = { (char *) "sleep", (char *) "5", NULL };
        SpawnParams p = kt_params("/bin/sleep", argv);
        const char *step = NULL;
        char expected[64];
        pid_t pid;
        int pidfd, r;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct rlimit rl;
                check(getrlimit(table[i].resource, &saved[i]) == 0, "getrlimit: %m");
                rl = (struct rlimit) { MIN(table[i].soft, saved[i].rlim_max), saved[i].rlim_max };
                check(setrlimit(table[i].resource, &rl) == 0, "setrlimit(%s): %m", table[i].name);
        }
        p.uid = 65534;
        p.gid = 65534;
        r = spawn(&p, &pid, &pidfd, &step);
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                check(setrlimit(table[i].resource, &saved[i]) == 0, "restoring %s: %m", table[i].name);
        check(r == 0, "spawn(/bin/sleep) failed at step %s: %s", step ? step : "?", strerror(-r));

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                rlim_t hard = MIN(table[i].agent_hard, saved[i].rlim_max);
                format_limit(expected, sizeof expected, MIN(table[i].agent_soft, hard), hard);
                expect_limit(pid, table[i].name, expected);
        }

        check(pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        (void) kt_wait_exit(pidfd);
        close(pidfd);
}

/* A key's infinity is unlimited, not "unset": LimitCORE=infinity gives
 * unlimited core dumps, where unset gives none. */
static void test_rlimit_infinity_is_unlimited(void **state) {
        char *argv[] = { (char *) "sleep", (char *) "5", NULL };
        SpawnParams p = kt_params("/bin/sleep", argv);
        const char *step = NULL;
        struct rlimit daemon;
        pid_t pid;
        int pidfd, r;

        check(getrlimit(RLIMIT_CORE, &daemon) == 0, "getrlimit: %m");
        if (daemon.rlim_max != RLIM_INFINITY)
                skip();
        p.rlimits.core = UINT64_MAX;
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn(/bin/sleep) failed at step %s: %s", step ? step : "?", strerror(-r));
        expect_limit(pid, "Max core file size", "unlimited unlimited");
        check(pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        (void) kt_wait_exit(pidfd);
        close(pidfd);
}

/* The agent's securebits, read by a copy of this program that the test
 * spawns as root (--print-securebits, see main()). */
static void test_securebits_locked(void **state) {
        char self[4096] = {}, *argv[] = { self, (char *) "--print-securebits", NULL };
        SpawnParams p = kt_params(self, argv);
        const char *step = NULL, *out;
        int pipefd[2], pidfd, r;
        char expected[32];
        ssize_t n;
        pid_t pid;

        n = readlink("/proc/self/exe", self, sizeof self - 1);
        check(n > 0, "readlink /proc/self/exe: %m");
        self[n] = 0;
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p.stdout_fd = pipefd[1];
        r = spawn(&p, &pid, &pidfd, &step);
        close(pipefd[1]);
        check(r == 0, "spawn(%s) failed at step %s: %s", self, step ? step : "?", strerror(-r));
        out = read_pipe(pipefd[0]);
        close(pipefd[0]);
        snprintf(expected, sizeof expected, "securebits %d\n", SPAWN_SECUREBITS);
        check(strcmp(out, expected) == 0, "expected \"%s\", the agent printed \"%s\"", expected, out);
        siginfo_t si = kt_wait_exit(pidfd);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "the securebits printer should exit 0");
        close(pidfd);
}

/* OOMScoreAdjust= is the child's alone. The kernel gives a value written
 * to every process sharing the writer's memory, unless the writer is in
 * vfork: a child that shares ours and is not (the clone() fallback) must
 * not write it, or this process (the daemon) would get the agent's. */
static void test_oom_score_adj_is_the_childs(void **state) {
        char *argv[] = { (char *) "sleep", (char *) "10", NULL };
        SpawnParams p = kt_params("/bin/sleep", argv);
        int own = kt_oom_score_adj(0), pidfd, r;
        const char *step = NULL;
        pid_t pid;

        p.oom_score_adj_set = true;
        p.oom_score_adj = own == 500 ? 600 : 500;
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn(sleep) failed at %s: %s", step ? step : "?", strerror(-r));
        check(kt_oom_score_adj(pid) == p.oom_score_adj, "the child's oom_score_adj is %d, expected %d",
              kt_oom_score_adj(pid), p.oom_score_adj);
        check(kt_oom_score_adj(0) == own, "the spawn changed our own oom_score_adj from %d to %d", own,
              kt_oom_score_adj(0));
        (void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        (void) kt_wait_exit(pidfd);
        close(pidfd);
}

/* The forker's clone of the child failing with EAGAIN (clone3() into a v2
 * group whose pids.max is full): the spawn fails with it, nothing is
 * started, and clone3() stays in use (no fall back to clone(), which would
 * place the child past the limit). */
static void test_child_clone_error_fails_the_spawn(void **state) {
        char *argv[] = { (char *) "sleep", (char *) "30", NULL };
        SpawnParams p = kt_params("/bin/sleep", argv);
        bool clone3 = spawn_clone3_in_use();
        const char *step = NULL;
        pid_t pid = 0;
        int pidfd = -1, r;

        p.test_child_clone_error = EAGAIN;
        r = spawn(&p, &pid, &pidfd, &step);
        check(r == -EAGAIN, "spawn() returned %d (%s), expected -EAGAIN", r, r < 0 ? strerror(-r) : "success");
        check(pid == 0 && pidfd == -1, "out-params must stay untouched on failure");
        check(cgroup_is_populated(kt_group) == 0, "a process was started in the group after all");
        check(spawn_clone3_in_use() == clone3, "a failed clone of the child changed how spawn() clones");
}

/* A clone3() error is the spawn's (EAGAIN: the group's pids.max is full on
 * cgroup v2), not a reason to fall back to clone(), which would place the
 * child past the limit. In a fork of this test, whose clone3() calls all
 * fail with EAGAIN (the forker's own clone too): spawn() fails with EAGAIN
 * and starts nothing. */
static void test_clone3_error_fails_the_spawn(void **state) {
        int pipefd[2], status = 0, result = 0;
        pid_t child;

        /* There clone3() is refused already, and spawn() uses clone(). */
        if (getenv("AV_TEST_NO_CLONE3"))
                skip();
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        child = fork();
        check(child >= 0, "fork: %m");
        if (child == 0) {
                char *argv[] = { (char *) "sleep", (char *) "30", NULL };
                SpawnParams p = kt_params("/bin/sleep", argv);
                const char *step = NULL;
                pid_t pid;
                int pidfd, r;

                r = kt_refuse_clone3(EAGAIN);
                if (r >= 0)
                        r = spawn(&p, &pid, &pidfd, &step);
                if (r >= 0)
                        (void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                (void) write(pipefd[1], &r, sizeof r);
                _exit(0);
        }
        close(pipefd[1]);
        check(read(pipefd[0], &result, sizeof result) == sizeof result, "no result from the fork");
        close(pipefd[0]);
        (void) waitpid(child, &status, 0);
        check(result == -EAGAIN, "spawn() with clone3() failing EAGAIN returned %d (%s), expected -EAGAIN", result,
              result < 0 ? strerror(-result) : "success");
        check(cgroup_is_populated(kt_group) == 0, "a process was started in the group after all");
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_true_exits_zero, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_v1_groups_joined, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_missing_executable, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_bad_working_directory, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_sandbox_as_nobody, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_environment_is_exactly_envp, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_pid_env_slot_gets_child_pid, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_shared_fd_table, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_root_agent_protect_cgroups, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_every_rlimit_is_reset, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_rlimit_infinity_is_unlimited, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_securebits_locked, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_oom_score_adj_is_the_childs, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_clone3_error_fails_the_spawn, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_child_clone_error_fails_the_spawn, kt_test_setup,
                                                kt_test_teardown),
        };

        if (argc == 2 && strcmp(argv[1], "--print-securebits") == 0) {
                printf("securebits %d\n", prctl(PR_GET_SECUREBITS));
                return 0;
        }
        if (!kt_can_run()) {
                fprintf(stderr, "skipped: needs root and a cgroup2 mount\n");
                return 77;
        }
        if (kt_main_options() < 0)
                return 1;
        return cmocka_run_group_tests(tests, kt_setup, kt_teardown);
}
