/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of violations and learn mode: the signal rate limit (at
 * most 10 in any second), syscall names, and the learned policy's text,
 * which must load as a policy and allow exactly what was seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include <seccomp.h>

#include "agent-learn.h"
#include "agent-violation.h"
#include "bpf-interp.h"
#include "policy.h"

static void test_rate(void **state) {
        ViolationRate r = {};
        usec_t t = 5 * USEC_PER_SEC;
        unsigned sent = 0;

        /* 1000 in one second: 10 pass. */
        for (unsigned i = 0; i < 1000; i++)
                sent += violation_rate_allow(&r, t + i * 1000);
        assert_int_equal(sent, 10);
        /* A second after the first ones, room again, for as many. */
        sent = 0;
        for (unsigned i = 0; i < 1000; i++)
                sent += violation_rate_allow(&r, t + USEC_PER_SEC + i * 1000);
        assert_int_equal(sent, 10);
        /* Never more than 10 in any window of one second, even across the
         * boundary of a fixed one. */
        r = (ViolationRate) {};
        for (unsigned i = 0; i < 5; i++)
                assert_true(violation_rate_allow(&r, t + 900 * USEC_PER_MSEC + i));
        for (unsigned i = 0; i < 5; i++)
                assert_true(violation_rate_allow(&r, t + 1100 * USEC_PER_MSEC + i));
        assert_false(violation_rate_allow(&r, t + 1200 * USEC_PER_MSEC));
        assert_true(violation_rate_allow(&r, t + 1900 * USEC_PER_MSEC + 1));
}

static void test_names(void **state) {
        char buf[32];

        assert_string_equal(violation_syscall_name(SYS_ptrace, buf, sizeof(buf)), "ptrace");
        assert_string_equal(violation_syscall_name(99999, buf, sizeof(buf)), "syscall-99999");
}

static struct seccomp_data sd(int nr, uint64_t a0, uint64_t a1) {
        return (struct seccomp_data) { .nr = nr, .arch = seccomp_arch_native(), .args = { a0, a1 } };
}

static uint32_t run(const Policy *p, struct seccomp_data d) {
        uint32_t ret = 0;

        assert_int_equal(bpf_run(policy_filter(p), &d, &ret), 0);
        return ret;
}

static void test_learned_policy(void **state) {
        static char *search_path[] = { (char *) SOURCE_POLICYDIR, NULL };
        LearnSet *s = learn_set_new("default", "/bin/prog --flag\nallow mount", SECCOMP_RET_ERRNO | EPERM);
        struct seccomp_data d;
        Policy *p = NULL;
        Diagnostic diag = {};
        char *text = NULL, msg[512];
        int r;

        assert_non_null(s);
        d = sd(SYS_ptrace, 3, 0);
        assert_int_equal(learn_set_add(s, &d), 0);
        assert_int_equal(learn_set_add(s, &d), 0);
        d = sd(SYS_ioctl, 1, 0x5412 /* TIOCSTI */);
        assert_int_equal(learn_set_add(s, &d), 0);
        /* Bits above an int argument are the register's, not the value. */
        d = sd(SYS_personality, 0xdead00000008ULL, 0);
        assert_int_equal(learn_set_add(s, &d), 0);
        d = sd(-1, 0, 0);
        assert_int_equal(learn_set_add(s, &d), -EINVAL);

        assert_int_equal(learn_set_format(s, &text), 0);
        assert_non_null(strstr(text, "include default\ndefault errno EPERM report\n"));
        /* The command is in a comment, and stays there. */
        assert_non_null(strstr(text, "/bin/prog --flag allow mount\n"));
        assert_non_null(strstr(text, "allow ptrace"));
        assert_non_null(strstr(text, "# seen 2 times\n"));
        assert_non_null(strstr(text, "allow ioctl if arg1 == 0x5412"));
        assert_non_null(strstr(text, "allow personality if arg0 == 0x8 "));

        /* It is a policy: the base plus exactly those. */
        r = policy_load_string(text, "learned.policy", search_path, &p, &diag);
        diag_format(&diag, msg, sizeof(msg));
        if (r < 0)
                fail_msg("the learned policy does not load: %s\n%s", msg, text);
        assert_int_equal(run(p, sd(SYS_ptrace, 3, 0)), SECCOMP_RET_ALLOW);
        assert_int_equal(run(p, sd(SYS_ioctl, 1, 0x5412)), SECCOMP_RET_ALLOW);
        assert_int_equal(run(p, sd(SYS_ioctl, 1, 0x541C /* TIOCLINUX */)), SECCOMP_RET_ERRNO | EPERM);
        assert_int_equal(run(p, sd(SYS_personality, 8, 0)), SECCOMP_RET_ALLOW);
        assert_int_equal(run(p, sd(SYS_personality, 0x400000, 0)), SECCOMP_RET_ERRNO | EPERM);
        assert_int_equal(run(p, sd(SYS_mount, 0, 0)), SECCOMP_RET_ERRNO | EPERM);
        /* What was not seen is reported. */
        assert_true(policy_has_report(p));
        assert_int_equal(policy_default_action(p), SECCOMP_RET_ERRNO | EPERM | POLICY_ACTION_REPORT);
        policy_free(p);
        free(text);
        agent_learn_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rate),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_learned_policy),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
