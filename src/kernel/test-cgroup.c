/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup module against the real kernel (root, cgroup2; hybrid or pure
 * v2): layout beneath our own group in every hierarchy, the descendants
 * limit, limits written where the kernel enforces them, a spawned agent
 * tracked, killed and removed, stale groups cleaned, nothing left behind. */

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "spawn.h"

static const char *const v1_names[_CGROUP_V1_MAX] = { "pids", "memory", "cpu" };

static char root_name[64];
static CgroupRoot *root;
static Cgroup *top;                    /* the root supervisor's group */

/* Where the test expects a group: <own>/<root_name>/<rel> in the v2 file
 * system, or in the v1 hierarchy of a controller (NULL if not mounted). */
static char *v2_dir(const char *name, const char *rel) {
        char *mount = NULL, *own = NULL, *p = NULL;
        bool pure;

        check(cgfs_find_unified(&mount, &pure) == 0 && cgfs_own_path(NULL, &own) == 0, "cannot find cgroup2");
        check(asprintf(&p, "%s%s/%s%s%s", mount, strcmp(own, "/") == 0 ? "" : own, name, *rel ? "/" : "", rel) > 0,
              "oom");
        free(mount);
        free(own);
        return p;
}

/* The root group's name in the v1 hierarchy of c, for this process where
 * it is now (NULL if not mounted). */
static char *v1_root_name(CgroupV1Controller c, const char *name) {
        char *own = NULL, *own_v2 = NULL, *v1 = NULL;

        if (cgfs_own_path(v1_names[c], &own) < 0)
                return NULL;
        check(cgfs_own_path(NULL, &own_v2) == 0, "no 0:: line in /proc/self/cgroup");
        check(cgroup_v1_root_name(name, own_v2, own, &v1) == 0, "cgroup_v1_root_name(%s)", name);
        free(own);
        free(own_v2);
        return v1;
}

static char *v1_dir(CgroupV1Controller c, const char *name, const char *rel) {
        char *own = NULL, *dir = NULL, *p = NULL, *v1 = NULL;

        if (cgfs_own_path(v1_names[c], &own) < 0 || cgfs_v1_dir(v1_names[c], own, &dir) < 0) {
                free(own);
                return NULL;
        }
        v1 = v1_root_name(c, name);
        check(asprintf(&p, "%s/%s%s%s", dir, v1, *rel ? "/" : "", rel) > 0, "oom");
        free(v1);
        free(own);
        free(dir);
        return p;
}

static bool endswith_str(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool exists(const char *path) {
        struct stat st;

        return path && stat(path, &st) == 0;
}

/* How many of this process's fds are open on a file whose path ends in
 * suffix. */
static size_t fds_open_on(const char *suffix) {
        char link[64], target[1024];
        size_t n = 0;

        for (int fd = 0; fd < 1024; fd++) {
                ssize_t k;

                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                k = readlink(link, target, sizeof target - 1);
                if (k < 0)
                        continue;
                target[k] = '\0';
                if (endswith_str(target, suffix))
                        n++;
        }
        return n;
}

static void expect_file(const char *dir, const char *file, const char *value) {
        char path[1024], *s = NULL;
        int r;

        snprintf(path, sizeof path, "%s/%s", dir, file);
        r = cgfs_read(AT_FDCWD, path, &s);
        check(r == 0, "cannot read %s: %s", path, strerror(-r));
        s[strcspn(s, "\n")] = 0;
        check(strcmp(s, value) == 0, "%s should be \"%s\", is \"%s\"", path, value, s);
        free(s);
}

/* Every hierarchy: the group at rel is there (or not). */
static void expect_group(const char *rel, bool present, bool with_v1) {
        char *p = v2_dir(root_name, rel);

        check(exists(p) == present, "%s should %s", p, present ? "exist" : "be gone");
        free(p);
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                if (cgroup_root_is_unified(root) || !cgroup_root_has_controller(root, c))
                        continue;
                p = v1_dir(c, root_name, rel);
                check(exists(p) == (present && with_v1), "%s should %s", p, present && with_v1 ? "exist" : "be gone");
                free(p);
        }
}

static int setup(void **state) {
        int r;

        snprintf(root_name, sizeof root_name, "agentvisor-test-%d", (int) getpid());
        r = cgroup_root_open(root_name, &root);
        if (r < 0) {
                print_error("cgroup_root_open(%s): %s\n", root_name, strerror(-r));
                return -1;
        }
        r = cgroup_supervisor_new(root, NULL, NULL, UINT64_MAX, NULL, &top);
        if (r < 0) {
                print_error("cgroup_supervisor_new(root): %s\n", strerror(-r));
                return -1;
        }
        return 0;
}

static int teardown(void **state) {
        top = cgroup_free(top);
        root = cgroup_root_free(root);
        return 0;
}

static void test_root_layout(void **state) {
        char *own = NULL, expected[512];

        check(cgfs_own_path(NULL, &own) == 0, "no 0:: line in /proc/self/cgroup");
        snprintf(expected, sizeof expected, "%s/%s", strcmp(own, "/") == 0 ? "" : own, root_name);
        check(strcmp(cgroup_root_path(root), expected) == 0, "root path should be %s, is %s", expected,
              cgroup_root_path(root));
        check(strcmp(cgroup_path(top), expected) == 0, "the root supervisor's group is the root group (%s), not %s",
              expected, cgroup_path(top));
        free(own);
        /* The root group exists in every hierarchy that carries a controller. */
        expect_group("", true, true);
}

static void test_max_descendants(void **state) {
        Cgroup *sup = NULL, *a[3] = {};
        char *dir;
        int r;

        r = cgroup_supervisor_new(root, top, "s", 2, NULL, &sup);
        check(r == 0, "cgroup_supervisor_new(s): %s", strerror(-r));
        check(strcmp(cgroup_path(sup) + strlen(cgroup_root_path(root)), "/s.supervisor") == 0,
              "a nested supervisor should be NAME.supervisor beneath the root group, is %s", cgroup_path(sup));
        dir = v2_dir(root_name, "s.supervisor");
        expect_file(dir, "cgroup.max.descendants", "2");
        free(dir);

        check(cgroup_agent_new(root, sup, "a0", NULL, &a[0]) == 0, "first agent in s");
        check(cgroup_agent_new(root, sup, "a1", NULL, &a[1]) == 0, "second agent in s");
        r = cgroup_agent_new(root, sup, "a2", NULL, &a[2]);
        check(r == -EAGAIN, "a third agent beyond cgroup.max.descendants=2 should fail with EAGAIN, got %s",
              r < 0 ? strerror(-r) : "success");
        check(!a[2], "ret must stay untouched on failure");
        expect_group("s.supervisor/a2.agent", false, false);

        check(cgroup_set_max_descendants(sup, 3) == 0, "raising max descendants");
        check(cgroup_agent_new(root, sup, "a2", NULL, &a[2]) == 0, "a third agent after raising the limit");

        for (size_t i = 0; i < 3; i++) {
                check(cgroup_remove(a[i]) == 0, "removing agent %zu", i);
                cgroup_free(a[i]);
        }
        check(cgroup_remove(sup) == 0, "removing supervisor s");
        cgroup_free(sup);
        expect_group("s.supervisor", false, false);
}

static const Limits test_limits = {
        .memory_max = 64ULL * 1024 * 1024,
        .tasks_max = 16,
        .cpu_quota_per_sec_usec = 500000,          /* CPUQuota=50% */
        .runtime_max_usec = USEC_INFINITY,
        .cpu_time_max_usec = USEC_INFINITY,
};

static void test_limits_written(void **state) {
        Cgroup *sup = NULL, *agent = NULL, *plain = NULL;
        const int *fds;
        size_t n;
        int r;

        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                if (!cgroup_root_has_controller(root, c))
                        skip();          /* before anything is made that skip() would leave */

        r = cgroup_supervisor_new(root, top, "w", UINT64_MAX, NULL, &sup);
        check(r == 0, "cgroup_supervisor_new(w): %s", strerror(-r));
        r = cgroup_agent_new(root, sup, "lim", &test_limits, &agent);
        check(r == 0, "cgroup_agent_new with limits: %s", strerror(-r));

        /* The v1 fds (each group's tasks: the child moves itself, a single
         * thread, without the global lock a process move takes) are opened
         * for a spawn, not with the group. */
        check(fds_open_on("/lim.agent/tasks") == 0, "cgroup_agent_new left %zu tasks fds open",
              fds_open_on("/lim.agent/tasks"));
        r = cgroup_v1_procs_open(agent, &fds, &n);
        check(r == 0, "cgroup_v1_procs_open: %s", strerror(-r));
        check(fds_open_on("/lim.agent/tasks") == n, "%zu fds returned, %zu open on tasks", n,
              fds_open_on("/lim.agent/tasks"));
        check(fds_open_on("/lim.agent/cgroup.procs") == 0, "%zu fds open on cgroup.procs",
              fds_open_on("/lim.agent/cgroup.procs"));
        if (cgroup_root_is_unified(root)) {
                char *dir = v2_dir(root_name, "w.supervisor/lim.agent");
                char swap[1024];

                check(n == 0, "pure v2 needs no v1 tasks fds, got %zu", n);
                expect_file(dir, "pids.max", "16");
                expect_file(dir, "memory.max", "67108864");
                snprintf(swap, sizeof swap, "%s/memory.swap.max", dir);
                if (exists(swap))
                        expect_file(dir, "memory.swap.max", "0");
                expect_file(dir, "cpu.max", "50000 100000");
                free(dir);
        } else {
                char *pids = v1_dir(CGROUP_V1_PIDS, root_name, "w.supervisor/lim.agent");
                char *mem = v1_dir(CGROUP_V1_MEMORY, root_name, "w.supervisor/lim.agent");
                char *cpu = v1_dir(CGROUP_V1_CPU, root_name, "w.supervisor/lim.agent");
                char memsw[1024];

                check(n == 3, "three limits on hybrid need three v1 tasks fds, got %zu", n);
                for (size_t i = 0; i < n; i++)
                        check(fcntl(fds[i], F_GETFD) == FD_CLOEXEC, "v1 procs fd %d must be O_CLOEXEC", fds[i]);
                {
                        const int *again;
                        size_t n_again;

                        /* A second open before the close reuses them. */
                        check(cgroup_v1_procs_open(agent, &again, &n_again) == 0 && n_again == n &&
                                      again[0] == fds[0] && fds_open_on("/lim.agent/tasks") == n,
                              "a second cgroup_v1_procs_open() must return the same fds");
                }
                expect_file(pids, "pids.max", "16");
                expect_file(mem, "memory.limit_in_bytes", "67108864");
                snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", mem);
                if (exists(memsw))
                        expect_file(mem, "memory.memsw.limit_in_bytes", "67108864");
                expect_file(cpu, "cpu.cfs_period_us", "100000");
                expect_file(cpu, "cpu.cfs_quota_us", "50000");
                free(pids);
                free(mem);
                free(cpu);
        }

        cgroup_v1_procs_close(agent);
        check(fds_open_on("/lim.agent/tasks") == 0, "cgroup_v1_procs_close left %zu tasks fds open",
              fds_open_on("/lim.agent/tasks"));

        /* Without limits an agent still has its group in every hierarchy
         * (accounting, and its supervisor's limits), but no limit in it. */
        r = cgroup_agent_new(root, sup, "plain", NULL, &plain);
        check(r == 0, "cgroup_agent_new without limits: %s", strerror(-r));
        check(cgroup_v1_procs_open(plain, &fds, &n) == 0, "cgroup_v1_procs_open(plain)");
        if (cgroup_root_is_unified(root))
                check(n == 0, "pure v2 needs no v1 tasks fds");
        else {
                char *pids = v1_dir(CGROUP_V1_PIDS, root_name, "w.supervisor/plain.agent");

                check(n == 3, "an agent without limits joins all three v1 groups");
                expect_file(pids, "pids.max", "max");
                free(pids);
        }
        expect_group("w.supervisor/plain.agent", true, true);

        check(cgroup_remove(plain) == 0 && cgroup_remove(agent) == 0, "removing the agents");
        check(fds_open_on("/plain.agent/tasks") == 0, "cgroup_remove left tasks fds open");
        expect_group("w.supervisor/lim.agent", false, false);
        check(cgroup_remove(sup) == 0, "removing supervisor w");
        /* Including the v1 parents made on the agent's behalf. */
        expect_group("w.supervisor", false, false);
        cgroup_free(plain);
        cgroup_free(agent);
        cgroup_free(sup);
}

static pid_t spawn_argv(Cgroup *c, char **argv, int *ret_pidfd) {
        SpawnParams p = kt_params_in(c, argv[0], argv);
        const char *step = NULL;
        pid_t pid;
        int r;

        r = cgroup_v1_procs_open(c, &p.v1_procs_fds, &p.n_v1_procs_fds);
        check(r == 0, "cgroup_v1_procs_open: %s", strerror(-r));
        r = spawn(&p, &pid, ret_pidfd, &step);
        cgroup_v1_procs_close(c);
        check(r == 0, "spawn(%s) failed at step %s: %s", argv[0], step ? step : "?", strerror(-r));
        return pid;
}

static pid_t spawn_sleep(Cgroup *c, int *ret_pidfd) {
        char *argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        return spawn_argv(c, argv, ret_pidfd);
}

static void reap(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        siginfo_t si = {};

        check(poll(&pfd, 1, 5000) == 1, "the killed agent did not exit within 5 s");
        check(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG) == 0, "waitid: %m");
        check(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "the agent should have died of SIGKILL");
        close(pidfd);
}

static void test_agent_lifecycle(void **state) {
        Cgroup *agent = NULL;
        CgroupStats st;
        char path[64], *cg = NULL, line[1024], *events = NULL;
        pid_t pid, *pids = NULL;
        size_t n_pids;
        int pidfd, r;
        bool with_v1;

        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                if (!cgroup_root_has_controller(root, c))
                        skip();

        r = cgroup_agent_new(root, top, "life", &test_limits, &agent);
        check(r == 0, "cgroup_agent_new(life): %s", strerror(-r));
        with_v1 = !cgroup_root_is_unified(root);

        check(cgroup_events_path(agent, &events) == 0, "cgroup_events_path");
        check(exists(events) && strstr(events, "/life.agent/cgroup.events"), "events file %s should exist", events);
        free(events);

        pid = spawn_sleep(agent, &pidfd);

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &cg) == 0, "cannot read %s", path);
        snprintf(line, sizeof line, "0::%s\n", cgroup_path(agent));
        check(strstr(cg, line), "the agent should be in %s; /proc/%d/cgroup:\n%s", cgroup_path(agent), (int) pid, cg);
        if (with_v1)
                for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                        char *own = NULL, *want = NULL, *v1 = NULL;

                        check(cgfs_own_path(v1_names[c], &own) == 0, "no %s line", v1_names[c]);
                        v1 = v1_root_name(c, root_name);
                        check(asprintf(&want, ":%s/%s/life.agent\n", strcmp(own, "/") == 0 ? "" : own, v1) > 0,
                              "oom");
                        check(strstr(cg, want), "the agent should be in the %s group %s; /proc/%d/cgroup:\n%s",
                              v1_names[c], want + 1, (int) pid, cg);
                        free(own);
                        free(want);
                        free(v1);
                }
        free(cg);

        check(cgroup_is_populated(agent) == 1, "a group with a running agent should be populated");
        check(cgroup_pids(agent, &pids, &n_pids) == 0 && n_pids == 1 && pids[0] == pid,
              "cgroup.procs should list exactly the agent %d", (int) pid);
        free(pids);

        r = cgroup_read_stats(agent, &st);
        check(r == 0, "cgroup_read_stats: %s", strerror(-r));
        check(st.tasks_current == 1, "TasksCurrent should be 1, is %llu", (unsigned long long) st.tasks_current);
        check(st.memory_current != UINT64_MAX && st.memory_current > 0,
              "MemoryCurrent should be known with a memory limit");
        check(st.cpu_usage_nsec != UINT64_MAX, "CPUUsageNSec should be known");
        check(st.oom_kills == 0, "no OOM kills expected, got %llu", (unsigned long long) st.oom_kills);
        double pressure = -1;
        r = cgroup_read_memory_pressure(agent, &pressure);
        if (r != -ENOENT)
                check(r == 0 && pressure >= 0 && pressure <= 100,
                      "memory.pressure some avg10 should read as a percentage: %s, %f", strerror(-r), pressure);

        r = cgroup_remove(agent);
        check(r == -EBUSY, "removing a populated group should fail with EBUSY, got %s",
              r < 0 ? strerror(-r) : "success");

        check(cgroup_kill(agent) == 0, "cgroup_kill");
        reap(pidfd);
        for (unsigned i = 0; i < 500 && cgroup_is_populated(agent) != 0; i++)
                usleep(10000);
        check(cgroup_is_populated(agent) == 0, "the group should be empty within 5 s of the kill");

        r = cgroup_remove(agent);
        check(r == 0, "removing the emptied group: %s", strerror(-r));
        expect_group("life.agent", false, false);
        cgroup_free(agent);
}

/* A supervisor's limits are on its own group, in every hierarchy, so that
 * they bound its agents together; an agent asking for more CPU than its
 * supervisor has gets the supervisor's (cgroup v1 refuses a child quota
 * above its parent's). */
static void test_supervisor_limits(void **state) {
        const Limits sup_limits = {
                .memory_max = 128ULL * 1024 * 1024,
                .tasks_max = 50,
                .cpu_quota_per_sec_usec = 500000,          /* 50% */
                .runtime_max_usec = USEC_INFINITY,
                .cpu_time_max_usec = USEC_INFINITY,
        };
        Limits more = LIMITS_NONE;
        Cgroup *sup = NULL, *agent = NULL;
        int r;

        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                if (!cgroup_root_has_controller(root, c))
                        skip();

        r = cgroup_supervisor_new(root, top, "lim", UINT64_MAX, &sup_limits, &sup);
        check(r == 0, "cgroup_supervisor_new with limits: %s", strerror(-r));
        more.cpu_quota_per_sec_usec = 2000000;              /* 200%: above the supervisor's */
        r = cgroup_agent_new(root, sup, "greedy", &more, &agent);
        check(r == 0, "an agent asking for more CPU than its supervisor: %s", strerror(-r));

        if (cgroup_root_is_unified(root)) {
                char *dir = v2_dir(root_name, "lim.supervisor");
                char *adir = v2_dir(root_name, "lim.supervisor/greedy.agent");

                expect_file(dir, "pids.max", "50");
                expect_file(dir, "memory.max", "134217728");
                expect_file(dir, "cpu.max", "50000 100000");
                /* Never set (cgroup-limits.c): a group kill would take a
                 * health check's spawn child, and the daemon with it. */
                expect_file(adir, "memory.oom.group", "0");
                free(dir);
                free(adir);
        } else {
                char *pids = v1_dir(CGROUP_V1_PIDS, root_name, "lim.supervisor");
                char *mem = v1_dir(CGROUP_V1_MEMORY, root_name, "lim.supervisor");
                char *cpu = v1_dir(CGROUP_V1_CPU, root_name, "lim.supervisor");
                char *acpu = v1_dir(CGROUP_V1_CPU, root_name, "lim.supervisor/greedy.agent");

                expect_file(pids, "pids.max", "50");
                expect_file(mem, "memory.limit_in_bytes", "134217728");
                expect_file(cpu, "cpu.cfs_quota_us", "50000");
                expect_file(acpu, "cpu.cfs_quota_us", "50000");
                free(pids);
                free(mem);
                free(cpu);
                free(acpu);
        }
        check(cgroup_remove(agent) == 0 && cgroup_remove(sup) == 0, "removing agent and supervisor");
        expect_group("lim.supervisor", false, false);
        cgroup_free(agent);
        cgroup_free(sup);
}

/* Any CPUQuotaPerSecUSec a caller can send: no overflow into a tiny or
 * refused quota; past what the kernel can hold it is no quota. */
static void test_cpu_quota_extremes(void **state) {
        Limits l = LIMITS_NONE;
        Cgroup *a = NULL, *b = NULL;
        int r;

        if (!cgroup_root_has_controller(root, CGROUP_V1_CPU))
                skip();
        l.cpu_quota_per_sec_usec = UINT64_MAX - 1;
        if (cgroup_root_has_controller(root, CGROUP_V1_PIDS))
                l.tasks_max = UINT64_MAX - 1;               /* pids.max refuses more than 2^22 */
        r = cgroup_agent_new(root, top, "huge", &l, &a);
        check(r == 0, "CPUQuotaPerSecUSec=2^64-2, TasksMax=2^64-2: %s", strerror(-r));
        /* 2^64/10 overflowed the old multiplication into a small quota. */
        l.cpu_quota_per_sec_usec = UINT64_MAX / 10;
        r = cgroup_agent_new(root, top, "tenth", &l, &b);
        check(r == 0, "CPUQuotaPerSecUSec=2^64/10: %s", strerror(-r));
        if (cgroup_root_is_unified(root)) {
                char *d = v2_dir(root_name, "huge.agent"), *e = v2_dir(root_name, "tenth.agent");

                expect_file(d, "cpu.max", "max 100000");
                expect_file(e, "cpu.max", "max 100000");
                if (cgroup_root_has_controller(root, CGROUP_V1_PIDS))
                        expect_file(d, "pids.max", "max");
                free(d);
                free(e);
        } else {
                char *d = v1_dir(CGROUP_V1_CPU, root_name, "huge.agent");
                char *e = v1_dir(CGROUP_V1_CPU, root_name, "tenth.agent");

                expect_file(d, "cpu.cfs_quota_us", "-1");
                expect_file(e, "cpu.cfs_quota_us", "-1");
                if (cgroup_root_has_controller(root, CGROUP_V1_PIDS)) {
                        char *pd = v1_dir(CGROUP_V1_PIDS, root_name, "huge.agent");
                        expect_file(pd, "pids.max", "max");
                        free(pd);
                }
                free(d);
                free(e);
        }
        check(cgroup_remove(a) == 0 && cgroup_remove(b) == 0, "removing");
        cgroup_free(a);
        cgroup_free(b);
}

/* The kill for kernels without cgroup.kill, forced here: a shell that keeps
 * forking is gone with all its children, and an agent without limits is
 * accounted for (tasks and memory) on every host. */
static void test_kill_by_pids(void **state) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c",
                         (char *) "for i in 1 2 3 4 5 6 7 8; do sleep 60 & done; "
                                  "while :; do sleep 60 & sleep 60 & wait -n 2>/dev/null || sleep 0.01; done",
                         NULL };
        Cgroup *agent = NULL;
        CgroupStats st = {};
        pid_t *pids = NULL;
        size_t n = 0, forked = 0, left;
        int pidfd, r, r_stats, r_kill;

        r = cgroup_agent_new(root, top, "forker", NULL, &agent);
        check(r == 0, "cgroup_agent_new(forker): %s", strerror(-r));
        (void) spawn_argv(agent, argv, &pidfd);
        for (unsigned i = 0; i < 500 && forked < 10; i++) {
                if (cgroup_pids(agent, &pids, &n) == 0)
                        forked = n;
                free(pids);
                pids = NULL;
                usleep(10000);
        }
        r_stats = cgroup_read_stats(agent, &st);

        r_kill = cgroup_kill_by_pids(agent);
        left = cgroup_pids(agent, &pids, &n) == 0 ? n : SIZE_MAX;
        free(pids);

        /* Whatever the outcome, nothing stays behind (cgroup.kill exists on
         * the kernels the tests run on); the checks follow. */
        (void) cgroup_kill(agent);
        for (unsigned i = 0; i < 500 && cgroup_is_populated(agent) != 0; i++)
                usleep(10000);
        reap(pidfd);
        check(cgroup_is_populated(agent) == 0, "the group should be empty");
        r = cgroup_remove(agent);
        check(r == 0, "removing the emptied group: %s", strerror(-r));
        cgroup_free(agent);

        check(forked >= 10, "the shell should have forked its children, %zu processes", forked);
        check(r_stats == 0, "cgroup_read_stats: %s", strerror(-r_stats));
        check(st.tasks_current >= 10 && st.tasks_current != UINT64_MAX, "TasksCurrent is %llu",
              (unsigned long long) st.tasks_current);
        if (cgroup_root_has_controller(root, CGROUP_V1_MEMORY)) {
                check(st.memory_current != UINT64_MAX && st.memory_current > 0,
                      "MemoryCurrent of an agent without limits should be known");
                check(st.memory_peak != UINT64_MAX, "MemoryPeak of an agent without limits should be known");
        }
        check(r_kill == 0, "cgroup_kill_by_pids: %s", strerror(-r_kill));
        check(left == 0, "%zu processes were left after cgroup_kill_by_pids()", left);
}

/* A restart with a configuration that dropped the root supervisor's limits
 * leaves none behind on the reused root group. */
static void test_root_limits_reset(void **state) {
        const Limits l = {
                .memory_max = 256ULL * 1024 * 1024,
                .tasks_max = 33,
                .cpu_quota_per_sec_usec = 250000,
                .runtime_max_usec = USEC_INFINITY,
                .cpu_time_max_usec = USEC_INFINITY,
        };
        char name[80], *p;
        CgroupRoot *r1 = NULL;
        Cgroup *sup = NULL, *keep = NULL;
        int r;

        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                if (!cgroup_root_has_controller(root, c))
                        skip();
        snprintf(name, sizeof name, "agentvisor-test-reset-%d", (int) getpid());
        char *pids_file[2] = {}, *cpu_file[2] = {}, *pids_max[2] = {}, *cpu_max[2] = {};
        int rs[2] = { -EIO, -EIO };
        bool v2 = false;

        /* Read in both rounds, then checked: a failed check must not leave
         * the groups of round 0 behind. */
        for (int round = 0; round < 2; round++) {
                r = cgroup_root_open(name, &r1);
                if (r < 0)
                        break;
                v2 = cgroup_root_is_unified(r1);
                r = rs[round] = cgroup_supervisor_new(r1, NULL, NULL, 10, round == 0 ? &l : NULL, &sup);
                if (r == 0) {
                        p = v2 ? v2_dir(name, "") : v1_dir(CGROUP_V1_PIDS, name, "");
                        check(asprintf(&pids_file[round], "%s/pids.max", p) > 0, "oom");
                        free(p);
                        p = v2 ? v2_dir(name, "") : v1_dir(CGROUP_V1_CPU, name, "");
                        check(asprintf(&cpu_file[round], "%s/%s", p, v2 ? "cpu.max" : "cpu.cfs_quota_us") > 0,
                              "oom");
                        free(p);
                        (void) cgfs_read(AT_FDCWD, pids_file[round], &pids_max[round]);
                        (void) cgfs_read(AT_FDCWD, cpu_file[round], &cpu_max[round]);
                        /* The daemon's "crash": a group left inside keeps the
                         * root groups for the next open (which removes it). */
                        if (round == 0)
                                (void) cgroup_supervisor_new(r1, sup, "keep", 1, NULL, &keep);
                }
                cgroup_free(keep);
                keep = NULL;
                cgroup_free(sup);
                sup = NULL;
                cgroup_root_free(r1);
                r1 = NULL;
        }
        for (int round = 0; round < 2; round++) {
                check(rs[round] == 0, "root supervisor group, round %d: %s", round, strerror(-rs[round]));
                check(pids_max[round] && cpu_max[round], "round %d: cannot read the limits", round);
                pids_max[round][strcspn(pids_max[round], "\n")] = 0;
                cpu_max[round][strcspn(cpu_max[round], "\n")] = 0;
                check(strcmp(pids_max[round], round == 0 ? "33" : "max") == 0, "round %d: %s is %s", round,
                      pids_file[round], pids_max[round]);
                check(strcmp(cpu_max[round], round == 0 ? (v2 ? "25000 100000" : "25000")
                                                        : (v2 ? "max 100000" : "-1")) == 0,
                      "round %d: %s is %s", round, cpu_file[round], cpu_max[round]);
                free(pids_file[round]);
                free(cpu_file[round]);
                free(pids_max[round]);
                free(cpu_max[round]);
        }
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                p = v1_dir(c, name, "");
                check(!exists(p), "%s should be gone", p);
                free(p);
        }
        p = v2_dir(name, "");
        check(!exists(p), "%s should be gone", p);
        free(p);
}

/* An earlier daemon died and left an agent running: the next open kills it
 * and removes its groups in every hierarchy. */
static void test_stale_cleanup(void **state) {
        char name[80];
        CgroupRoot *r1 = NULL, *r2 = NULL;
        Cgroup *sup = NULL, *agent = NULL;
        char *v2 = NULL;
        int pidfd, r;

        snprintf(name, sizeof name, "agentvisor-test-stale-%d", (int) getpid());
        check(cgroup_root_open(name, &r1) == 0, "first open of %s", name);
        check(cgroup_supervisor_new(r1, NULL, NULL, UINT64_MAX, NULL, &sup) == 0, "root supervisor group");
        r = cgroup_agent_new(r1, sup, "old", cgroup_root_has_controller(r1, CGROUP_V1_PIDS) ? &(Limits) {
                .memory_max = UINT64_MAX, .tasks_max = 8, .cpu_quota_per_sec_usec = UINT64_MAX,
                .runtime_max_usec = USEC_INFINITY, .cpu_time_max_usec = USEC_INFINITY } : NULL, &agent);
        check(r == 0, "agent in the first root: %s", strerror(-r));
        (void) spawn_sleep(agent, &pidfd);
        /* The "crash": memory goes, directories and process stay. */
        cgroup_free(agent);
        cgroup_free(sup);
        cgroup_root_free(r1);
        v2 = v2_dir(name, "old.agent");
        check(exists(v2), "the stale group %s should have survived the free", v2);

        r = cgroup_root_open(name, &r2);
        check(r == 0, "second open of %s: %s", name, strerror(-r));
        reap(pidfd);
        check(!exists(v2), "the stale group %s should be removed", v2);
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                char *p = v1_dir(c, name, "old.agent");
                check(!exists(p), "the stale v1 group %s should be removed", p);
                free(p);
        }
        cgroup_root_free(r2);
        free(v2);
        v2 = v2_dir(name, "");
        check(!exists(v2), "freeing the root should remove %s", v2);
        free(v2);
}

/* The v1 name of the root group: plain where the daemon sits at the same
 * place in both, else marked with its v2 place, escaped so that no two v2
 * places give one name. */
static void test_v1_root_name(void **state) {
        static const struct {
                const char *name, *own_v2, *own_v1, *want;
        } cases[] = {
                { "agentvisor", "/", "/", "agentvisor" },
                { "agentvisor", "/system.slice/a.service", "/system.slice/a.service", "agentvisor" },
                { "agentvisor", "/", "/process_api/x", "agentvisor@-" },
                { "agentvisor", "/t", "/", "agentvisor@t" },
                { "agentvisor", "/a/b", "/", "agentvisor@a-b" },
                { "agentvisor", "/a-b", "/", "agentvisor@a\\x2db" },
                { "agentvisor", "/a\\x2db", "/", "agentvisor@a\\x5cx2db" },
                { "agentvisor", "/a@b", "/", "agentvisor@a\\x40b" },
                /* A plain name never has an '@': it would pass for a marked one. */
                { "a@t", "/", "/", "a@t@-" },
        };
        char *v = NULL, *longpath = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                check(cgroup_v1_root_name(cases[i].name, cases[i].own_v2, cases[i].own_v1, &v) == 0, "case %zu", i);
                check(strcmp(v, cases[i].want) == 0, "%s at %s (v1 %s) should be named %s, is %s", cases[i].name,
                      cases[i].own_v2, cases[i].own_v1, cases[i].want, v);
                free(v);
                v = NULL;
        }
        check(asprintf(&longpath, "/%0300d", 0) > 0, "oom");
        check(cgroup_v1_root_name("agentvisor", longpath, "/", &v) == -ENAMETOOLONG, "a name past NAME_MAX");
        free(longpath);
        check(cgroup_v1_root_name("agentvisor", "relative", "/", &v) == -EINVAL, "a relative v2 path");
}

/* Two daemons with the same ControlGroup= in two different cgroup2 groups
 * (the instance lock covers each one's own v2 subtree only) share their v1
 * places on a hybrid host: the second's start must leave the first's v1
 * groups and the processes in them alone. */
static void test_v1_groups_per_v2_place(void **state) {
        char name[80], *own_v2 = NULL, *mount = NULL, *parent = NULL, *procs = NULL, *back = NULL;
        char *first_v1[_CGROUP_V1_MAX] = {}, *second_v1[_CGROUP_V1_MAX] = {};
        bool first_kept[_CGROUP_V1_MAX] = {}, second_made[_CGROUP_V1_MAX] = {}, pure, alive = false;
        CgroupRoot *r1 = NULL, *r2 = NULL;
        Cgroup *sup = NULL, *agent = NULL;
        char path[64], *text = NULL;
        int pidfd = -EBADF, r, r_second = -EIO, r_move;
        pid_t pid;

        if (cgroup_root_is_unified(root))
                skip();
        snprintf(name, sizeof name, "agentvisor-test-twin-%d", (int) getpid());
        check(cgfs_find_unified(&mount, &pure) == 0 && cgfs_own_path(NULL, &own_v2) == 0, "cannot find cgroup2");
        check(asprintf(&back, "%s%s/cgroup.procs", mount, strcmp(own_v2, "/") == 0 ? "" : own_v2) > 0, "oom");
        check(asprintf(&parent, "%s%s/agentvisor-test-twin-parent-%d", mount, strcmp(own_v2, "/") == 0 ? "" : own_v2,
                       (int) getpid()) > 0, "oom");
        check(asprintf(&procs, "%s/cgroup.procs", parent) > 0, "oom");

        check(cgroup_root_open(name, &r1) == 0, "first open of %s", name);
        check(cgroup_supervisor_new(r1, NULL, NULL, UINT64_MAX, NULL, &sup) == 0, "root supervisor group");
        r = cgroup_agent_new(r1, sup, "busy", NULL, &agent);
        check(r == 0, "agent in the first root: %s", strerror(-r));
        pid = spawn_sleep(agent, &pidfd);
        /* Where the agent really is in each v1 hierarchy. */
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &text) == 0, "cannot read %s", path);
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                const char *at;
                size_t len;
                char *rel = NULL;

                if (!cgroup_root_has_controller(r1, c))
                        continue;
                check(cgfs_proc_cgroup_find(text, v1_names[c], &at, &len) == 0, "no %s line in %s", v1_names[c], path);
                rel = strndup(at, len);
                check(rel && cgfs_v1_dir(v1_names[c], rel, &first_v1[c]) == 0, "no %s directory for %s", v1_names[c],
                      rel);
                check(endswith_str(first_v1[c], "/busy.agent"), "the agent should be in a v1 group of its own, is in %s",
                      first_v1[c]);
                free(rel);
        }
        free(text);

        /* The second "daemon": this process, moved into a new v2 group of
         * its own beneath ours (no check may fail until it is back). */
        check(mkdir(parent, 0755) == 0, "mkdir %s: %m", parent);
        r_move = cgfs_write(AT_FDCWD, procs, "0");
        if (r_move == 0) {
                r_second = cgroup_root_open(name, &r2);
                if (r_second == 0)
                        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                                second_v1[c] = v1_dir(c, name, "");
                                second_made[c] = !cgroup_root_has_controller(r2, c) || exists(second_v1[c]);
                        }
                struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
                alive = poll(&pfd, 1, 100) == 0;
                for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                        first_kept[c] = !first_v1[c] || exists(first_v1[c]);
                cgroup_root_free(r2);
                (void) cgfs_write(AT_FDCWD, back, "0");
        }
        (void) rmdir(parent);

        check(r_move == 0, "cannot move into %s: %s", parent, strerror(-r_move));
        check(r_second == 0, "the second open of %s from %s: %s", name, parent, strerror(-r_second));
        check(alive, "the second root's setup killed the first root's agent");
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                check(first_kept[c], "the second root's setup removed the first's v1 group %s", first_v1[c]);
                check(second_made[c], "the second root's v1 group %s should exist", second_v1[c]);
                check(!second_v1[c] || !first_v1[c] || strncmp(second_v1[c], first_v1[c], strlen(second_v1[c])) != 0,
                      "the second root's v1 group %s should not hold the first's %s", second_v1[c], first_v1[c]);
                if (second_v1[c])
                        check(!exists(second_v1[c]), "freeing the second root should remove %s", second_v1[c]);
                free(first_v1[c]);
                free(second_v1[c]);
        }

        check(cgroup_kill(agent) == 0, "cgroup.kill of the first agent");
        reap(pidfd);
        check(cgroup_remove(agent) == 0 && cgroup_remove(sup) == 0, "removing the first root's groups");
        cgroup_free(agent);
        cgroup_free(sup);
        cgroup_root_free(r1);
        check(!exists(parent), "%s should be gone", parent);
        free(parent);
        free(procs);
        free(back);
        free(mount);
        free(own_v2);
}

/* A second open of the same root while the first holds it: refused before
 * anything is touched, and nothing of the first's removed. */
static void test_root_lock(void **state) {
        char name[80], *p;
        CgroupRoot *r1 = NULL, *r2 = NULL;
        Cgroup *sup = NULL, *agent = NULL;
        int pidfd, r;

        snprintf(name, sizeof name, "agentvisor-test-lock-%d", (int) getpid());
        check(cgroup_root_open(name, &r1) == 0, "first open of %s", name);
        check(cgroup_supervisor_new(r1, NULL, NULL, UINT64_MAX, NULL, &sup) == 0, "root supervisor group");
        check(cgroup_agent_new(r1, sup, "held", NULL, &agent) == 0, "agent in the first root");
        (void) spawn_sleep(agent, &pidfd);

        r = cgroup_root_open(name, &r2);
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        bool alive = poll(&pfd, 1, 100) == 0;
        p = v2_dir(name, "held.agent");
        bool kept = exists(p);
        free(p);
        if (r == 0)
                cgroup_root_free(r2);

        check(cgroup_kill(agent) == 0, "cgroup.kill");
        reap(pidfd);
        check(cgroup_remove(agent) == 0, "removing the agent's group");
        cgroup_free(agent);
        cgroup_free(sup);
        cgroup_root_free(r1);
        check(r == -EBUSY, "a second open of a held root should be -EBUSY, is %s", strerror(-r));
        check(alive && kept, "a refused open must leave the holder's agent and group alone");
        p = v2_dir(name, "");
        check(!exists(p), "%s should be gone", p);
        free(p);
}

static void test_root_free_leaves_nothing(void **state) {
        char name[80], *p;
        CgroupRoot *r1 = NULL;
        Cgroup *sup = NULL, *nested = NULL, *agent = NULL;
        int r;

        snprintf(name, sizeof name, "agentvisor-test-free-%d", (int) getpid());
        check(cgroup_root_open(name, &r1) == 0, "open of %s", name);
        check(cgroup_supervisor_new(r1, NULL, NULL, 10, NULL, &sup) == 0, "root supervisor group");
        check(cgroup_supervisor_new(r1, sup, "n", 5, NULL, &nested) == 0, "nested supervisor group");
        r = cgroup_agent_new(r1, nested, "x", &test_limits, &agent);
        if (r == -EOPNOTSUPP)
                r = cgroup_agent_new(r1, nested, "x", NULL, &agent);
        check(r == 0, "agent: %s", strerror(-r));
        check(cgroup_remove(agent) == 0 && cgroup_remove(nested) == 0 && cgroup_remove(sup) == 0,
              "removing agent and supervisors");
        cgroup_free(agent);
        cgroup_free(nested);
        cgroup_free(sup);
        cgroup_root_free(r1);

        p = v2_dir(name, "");
        check(!exists(p), "%s should be gone", p);
        free(p);
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                p = v1_dir(c, name, "");
                check(!exists(p), "%s should be gone", p);
                free(p);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_layout),
                cmocka_unit_test(test_max_descendants),
                cmocka_unit_test(test_limits_written),
                cmocka_unit_test(test_agent_lifecycle),
                cmocka_unit_test(test_supervisor_limits),
                cmocka_unit_test(test_cpu_quota_extremes),
                cmocka_unit_test(test_kill_by_pids),
                cmocka_unit_test(test_stale_cleanup),
                cmocka_unit_test(test_root_limits_reset),
                cmocka_unit_test(test_root_free_leaves_nothing),
                cmocka_unit_test(test_v1_root_name),
                cmocka_unit_test(test_v1_groups_per_v2_place),
                cmocka_unit_test(test_root_lock),
        };

        if (!kt_can_run()) {
                fprintf(stderr, "skipped: needs root and a cgroup2 mount\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
