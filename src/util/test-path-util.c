/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for path_join() and path_make_absolute(): one separator, no
 * more, whatever the sides bring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "path-util.h"

static void check_join(const char *a, const char *b, const char *want) {
        char *p = path_join(a, b);

        assert_non_null(p);
        if (strcmp(p, want) != 0)
                fail_msg("path_join(\"%s\", \"%s\") = \"%s\", expected \"%s\"", a, b ? b : "(null)", p, want);
        free(p);
}

static void test_path_join(void **state) {
        check_join("/sys/fs/cgroup", "cgroup.procs", "/sys/fs/cgroup/cgroup.procs");
        check_join("/sys/fs/cgroup/", "cgroup.procs", "/sys/fs/cgroup/cgroup.procs");
        check_join("/a", "/b", "/a/b");
        check_join("/", "agentvisor", "/agentvisor");
        check_join("dir", "x/y", "dir/x/y");
        /* An empty side: the other one as it is (the root group's "" rel). */
        check_join("/sys/fs/cgroup/av", "", "/sys/fs/cgroup/av");
        check_join("/sys/fs/cgroup/av", NULL, "/sys/fs/cgroup/av");
        check_join("", "a.agent", "a.agent");
        check_join("", "", "");
}

static void test_path_make_absolute(void **state) {
        char *p;

        p = path_make_absolute("agents.d", "/etc/agentvisor");
        assert_string_equal(p, "/etc/agentvisor/agents.d");
        free(p);
        p = path_make_absolute("/srv/agents.d", "/etc/agentvisor");
        assert_string_equal(p, "/srv/agents.d");
        free(p);
        p = path_make_absolute("policies", "conf/");
        assert_string_equal(p, "conf/policies");
        free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_join),
                cmocka_unit_test(test_path_make_absolute),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
