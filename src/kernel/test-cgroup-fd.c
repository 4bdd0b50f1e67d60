/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Groups hold no fd between operations (issue 16: at 10,000 agents the
 * daemon ran out of fds): the process's fd count is the same before an
 * agent's group is made, after it is made, used (stats, limits, populated,
 * pids, kill, a spawn's fds) and removed; and the group's identity (the
 * cgroup id notify.c indexes agents by) is the directory's inode, found
 * without an fd kept for it. Against the real kernel (root, cgroup2; pure
 * v2 or hybrid). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"

static Cgroup *top;

/* kt_root, and a supervisor group beneath it for the tests' agents. */
static int setup(void **state) {
        int r;

        if (kt_setup(state) < 0)
                return -1;
        r = cgroup_supervisor_new(kt_root, NULL, NULL, UINT64_MAX, NULL, &top);
        if (r < 0) {
                print_error("cgroup_supervisor_new(kt_root): %s\n", strerror(-r));
                return -1;
        }
        return 0;
}

static int teardown(void **state) {
        top = cgroup_free(top);
        return kt_teardown(state);
}

/* The kernel's word for where the group is: its v2 directory's inode. */
static void expect_id(Cgroup *c) {
        char *mount = NULL, *own = NULL, *dir = NULL;
        struct stat st;
        bool pure;

        check(cgfs_find_unified(&mount, &pure) == 0 && cgfs_own_path(NULL, &own) == 0, "cannot find cgroup2");
        check(asprintf(&dir, "%s%s", mount, cgroup_path(c)) > 0, "oom");
        check(stat(dir, &st) == 0, "stat %s: %m", dir);
        check(cgroup_id(c) == (uint64_t) st.st_ino, "cgroup_id of %s is %llu, its inode %llu", dir,
              (unsigned long long) cgroup_id(c), (unsigned long long) st.st_ino);
        free(mount);
        free(own);
        free(dir);
}

static void test_agent_holds_no_fd(void **state) {
        Limits l = { .tasks_max = 100, .memory_max = UINT64_MAX, .cpu_quota_per_sec_usec = UINT64_MAX,
                     .runtime_max_usec = USEC_INFINITY, .cpu_time_max_usec = USEC_INFINITY };
        const Limits *limits = cgroup_root_has_controller(kt_root, CGROUP_V1_PIDS) ? &l : NULL;
        Cgroup *sup = NULL, *a = NULL;
        CgroupStats st;
        pid_t *pids = NULL;
        const int *fds;
        size_t n;
        int before, r;

        before = kt_count_fds(0);
        r = cgroup_supervisor_new(kt_root, top, "s", 10, NULL, &sup);
        check(r == 0, "cgroup_supervisor_new(s): %s", strerror(-r));
        check(kt_count_fds(0) == before, "a supervisor's group holds %d fds after creation", kt_count_fds(0) - before);
        r = cgroup_agent_new(kt_root, sup, "a", limits, &a);
        check(r == 0, "cgroup_agent_new(a): %s", strerror(-r));
        check(kt_count_fds(0) == before, "an agent's group holds %d fds after creation", kt_count_fds(0) - before);
        expect_id(a);
        expect_id(top);

        check(cgroup_read_stats(a, &st) == 0, "cgroup_read_stats");
        check(cgroup_is_populated(a) == 0, "a fresh group is empty");
        check(cgroup_pids(a, &pids, &n) == 0 && n == 0, "cgroup_pids of a fresh group");
        free(pids);
        check(cgroup_kill(a) == 0, "cgroup_kill of an empty group");
        check(cgroup_set_max_descendants(sup, 5) == 0, "cgroup_set_max_descendants");
        check(kt_count_fds(0) == before, "%d fds left open by stats, populated, pids, kill and limits",
              kt_count_fds(0) - before);

        /* A spawn's fds: open from cgroup_v1_procs_open() to its close. */
        check(cgroup_v1_procs_open(a, &fds, &n) == 0, "cgroup_v1_procs_open");
        check(cgroup_dir_fd(a) >= 0, "no directory fd for the spawn");
        check(kt_count_fds(0) == before + 1 + (int) n, "a spawn holds %d fds, expected %zu", kt_count_fds(0) - before, 1 + n);
        cgroup_v1_procs_close(a);
        check(kt_count_fds(0) == before, "%d fds left after cgroup_v1_procs_close", kt_count_fds(0) - before);

        check(cgroup_remove(a) == 0 && cgroup_remove(sup) == 0, "removing the groups");
        check(kt_count_fds(0) == before, "%d fds left after removal", kt_count_fds(0) - before);
        /* Gone: the same answer as beneath a kept fd of a removed group. */
        check(cgroup_is_populated(a) == -ENOENT, "populated of a removed group: %d", cgroup_is_populated(a));
        check(cgroup_read_stats(a, &st) == -ENOENT, "stats of a removed group");
        check(cgroup_kill(a) == -ENOENT, "kill of a removed group");
        check(kt_count_fds(0) == before, "%d fds left by operations on a removed group", kt_count_fds(0) - before);
        cgroup_free(a);
        cgroup_free(sup);
}

/* Many agents, as the daemon holds them: still no fd each. */
static void test_many_agents_no_fds(void **state) {
        Cgroup *a[50] = {};
        int before = kt_count_fds(0);

        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                char name[16];
                int r;

                snprintf(name, sizeof name, "m%zu", i);
                r = cgroup_agent_new(kt_root, top, name, NULL, &a[i]);
                check(r == 0, "cgroup_agent_new(%s): %s", name, strerror(-r));
        }
        check(kt_count_fds(0) == before, "%zu agent groups hold %d fds", ELEMENTSOF(a), kt_count_fds(0) - before);
        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                check(cgroup_remove(a[i]) == 0, "removing m%zu", i);
                cgroup_free(a[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_agent_holds_no_fd),
                cmocka_unit_test(test_many_agents_no_fds),
        };

        if (!kt_can_run()) {
                fprintf(stderr, "skipped: needs root and a cgroup2 mount\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
