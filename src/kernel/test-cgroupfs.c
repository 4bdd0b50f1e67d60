/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the /proc/PID/cgroup parser: v2 and v1 entries on pure v2
 * and hybrid hosts, comma-separated controller lists, and what it must not
 * take for a match. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroupfs.h"

#define HYBRID                                      \
        "12:pids:/user.slice/a\n"                   \
        "11:cpu,cpuacct:/user.slice/b\n"            \
        "10:memory:/m\n"                            \
        "9:cpuset:/\n"                              \
        "1:name=systemd:/user.slice/sd\n"           \
        "0::/user.slice/v2 with space\n"

static void check_find(const char *text, const char *controller, const char *want) {
        const char *path = NULL;
        size_t len = 0;
        int r;

        r = cgfs_proc_cgroup_find(text, controller, &path, &len);
        if (!want) {
                if (r != -ENOENT)
                        fail_msg("controller %s: expected -ENOENT, got %d (\"%.*s\")", controller ? controller : "v2",
                                 r, (int) len, path ? path : "");
                return;
        }
        if (r < 0)
                fail_msg("controller %s: expected \"%s\", got %d", controller ? controller : "v2", want, r);
        if (len != strlen(want) || memcmp(path, want, len) != 0)
                fail_msg("controller %s: expected \"%s\", got \"%.*s\"", controller ? controller : "v2", want,
                         (int) len, path);
}

static void test_pure_v2(void **state) {
        check_find("0::/agentvisor/daemon\n", NULL, "/agentvisor/daemon");
        check_find("0::/\n", NULL, "/");
        /* No trailing newline (a short read still parses). */
        check_find("0::/x", NULL, "/x");
        check_find("0::/agentvisor\n", "pids", NULL);
}

static void test_hybrid(void **state) {
        check_find(HYBRID, NULL, "/user.slice/v2 with space");
        check_find(HYBRID, "pids", "/user.slice/a");
        check_find(HYBRID, "memory", "/m");
        /* Whole names of a comma-separated list. */
        check_find(HYBRID, "cpu", "/user.slice/b");
        check_find(HYBRID, "cpuacct", "/user.slice/b");
        check_find(HYBRID, "cpuset", "/");
        check_find(HYBRID, "cpus", NULL);
        check_find(HYBRID, "io", NULL);
}

static void test_malformed(void **state) {
        check_find("", NULL, NULL);
        check_find("garbage\n", NULL, NULL);
        /* A v1 line with no controllers is not the v2 entry. */
        check_find("3::/not-v2\n", NULL, NULL);
        /* A second ':' only on the next line does not join the lines. */
        check_find("0:\n:/x\n", NULL, NULL);
        /* Paths may hold ':'; the third field is everything after the second. */
        check_find("0::/a:b\n", NULL, "/a:b");
}

static void test_pid_path_self(void **state) {
        char *p = NULL;

        /* Every process has a v2 entry on the hosts agentvisord supports. */
        assert_int_equal(cgfs_pid_path(0, NULL, &p), 0);
        assert_non_null(p);
        assert_true(p[0] == '/');
        free(p);
        assert_int_equal(cgfs_pid_path(getpid(), NULL, &p), 0);
        assert_true(p[0] == '/');
        free(p);
        /* A pid that cannot exist (beyond PID_MAX_LIMIT). */
        assert_int_equal(cgfs_pid_path(5 * 1024 * 1024, NULL, &p), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pure_v2),
                cmocka_unit_test(test_hybrid),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_pid_path_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
