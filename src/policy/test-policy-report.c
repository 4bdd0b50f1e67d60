/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `report`: the parser's forms and refusals, and what the compiler makes of
 * it: the real filter acts as if there were no `report`, the enforce and
 * notify pair together hand exactly the reported syscalls to the daemon, the
 * answer is the rule's action, and the learning filter. */
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include "bpf-interp.h"
#include "policy-internal.h"

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t) (e))

static Policy *load_ok(const char *text) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = policy_load_string(text, "test.policy", NULL, &p, &d);
        if (r < 0) {
                diag_format(&d, buf, sizeof(buf));
                fail_msg("expected the policy to load, got %s: %s", strerror(-r), buf);
        }
        return p;
}

static void load_fails(const char *text, const char *message) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];

        assert_int_equal(policy_load_string(text, "test.policy", NULL, &p, &d), -EINVAL);
        diag_format(&d, buf, sizeof(buf));
        if (!strstr(buf, message))
                fail_msg("expected '%s' in the error, got: %s", message, buf);
        assert_null(p);
}

static int nr_of(const char *name) {
        int nr = syscall_resolve(name);

        assert_true(nr >= 0);
        return nr;
}

static uint32_t run_prog(const struct sock_fprog *prog, const char *name, uint64_t arg1) {
        struct seccomp_data data = { .nr = nr_of(name), .arch = seccomp_arch_native() };
        uint32_t ret = 0;

        assert_non_null(prog);
        data.args[1] = arg1;
        assert_int_equal(bpf_run(prog, &data, &ret), 0);
        return ret;
}

/* What the kernel makes of two filters: the lower action wins (kill first,
 * allow last; USER_NOTIF sits between errno and allow). */
static uint32_t stacked(uint32_t a, uint32_t b) {
        uint32_t fa = a & SECCOMP_RET_ACTION_FULL, fb = b & SECCOMP_RET_ACTION_FULL;

        if (fa == SECCOMP_RET_KILL_PROCESS)
                return a;
        if (fb == SECCOMP_RET_KILL_PROCESS)
                return b;
        return fa <= fb ? a : b;
}

static uint32_t run_pair(const Policy *p, const char *name, uint64_t arg1) {
        return stacked(run_prog(policy_enforce_filter(p), name, arg1), run_prog(policy_notify_filter(p), name, arg1));
}

static void test_errno_report(void **state) {
        Policy *p = load_ok("default errno EPERM\n"
                            "allow read write\n"
                            "deny ptrace errno EACCES report\n"
                            "deny getpid\n");

        assert_true(policy_has_report(p));
        assert_false(policy_reports_kill(p));
        /* Alone (no listener) a report rule is its plain action. */
        assert_int_equal(run_prog(policy_filter(p), "ptrace", 0), RET_ERRNO(EACCES));
        /* The pair: only ptrace goes to the daemon; the rest as before. */
        assert_int_equal(run_prog(policy_enforce_filter(p), "ptrace", 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_prog(policy_notify_filter(p), "ptrace", 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_pair(p, "ptrace", 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_pair(p, "read", 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_pair(p, "getpid", 0), RET_ERRNO(EPERM));
        assert_int_equal(run_pair(p, "mount", 0), RET_ERRNO(EPERM));
        assert_int_equal(run_prog(policy_notify_filter(p), "mount", 0), SECCOMP_RET_ALLOW);
        policy_free(p);
}

static void test_kill_report_answer(void **state) {
        Policy *p = load_ok("default allow\ndeny bpf kill report\ndeny ptrace report\n");
        struct seccomp_data data = { .nr = nr_of("bpf"), .arch = seccomp_arch_native() };
        uint32_t action = 0;

        assert_true(policy_reports_kill(p));
        /* Without the daemon the kill stays a kill. */
        assert_int_equal(run_prog(policy_filter(p), "bpf", 0), SECCOMP_RET_KILL_PROCESS);
        assert_int_equal(run_pair(p, "bpf", 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(policy_answer(p, &data, &action), 0);
        assert_int_equal(action, SECCOMP_RET_KILL_PROCESS);
        /* `deny NAME report`: the deny's own EPERM. */
        data.nr = nr_of("ptrace");
        assert_int_equal(policy_answer(p, &data, &action), 0);
        assert_int_equal(action, RET_ERRNO(EPERM));
        policy_free(p);
}

static void test_conditional_report(void **state) {
        static const char * const texts[] = {
                "default allow\ndeny ioctl errno EPERM report if arg1 == TIOCSTI\n",
                "default allow\ndeny ioctl errno EPERM if arg1 == TIOCSTI report\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                Policy *p = load_ok(texts[i]);

                assert_int_equal(run_pair(p, "ioctl", TIOCSTI), SECCOMP_RET_USER_NOTIF);
                assert_int_equal(run_pair(p, "ioctl", TCGETS), SECCOMP_RET_ALLOW);
                assert_int_equal(run_prog(policy_filter(p), "ioctl", TIOCSTI), RET_ERRNO(EPERM));
                policy_free(p);
        }
}

static void test_default_report(void **state) {
        Policy *p = load_ok("default errno EPERM report\nallow read\n");
        Policy *k = load_ok("default kill report\nallow read\n");
        static const char * const unreported[] = { "execve", "exit_group", "futex", "seccomp" };

        assert_int_equal(run_pair(p, "read", 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_pair(p, "mount", 0), SECCOMP_RET_USER_NOTIF);
        /* What the spawn child calls after loading the notify filter is
         * never notified (nobody could answer), but still refused. */
        for (size_t i = 0; i < ELEMENTSOF(unreported); i++) {
                assert_int_equal(run_prog(policy_notify_filter(p), unreported[i], 0), SECCOMP_RET_ALLOW);
                assert_int_equal(run_pair(p, unreported[i], 0), RET_ERRNO(EPERM));
        }
        assert_false(policy_reports_kill(p));
        /* A reporting kill as the default counts too. */
        assert_true(policy_reports_kill(k));
        policy_free(k);
        policy_free(p);
}

static void test_no_report(void **state) {
        Policy *p = load_ok("default errno EPERM\nallow read\n");

        assert_false(policy_has_report(p));
        assert_false(policy_reports_kill(p));
        assert_null(policy_enforce_filter(p));
        assert_null(policy_notify_filter(p));
        policy_free(p);
}

static void test_report_refused(void **state) {
        load_fails("allow read report\n", "'report' is for refused syscalls");
        load_fails("deny read log report\n", "'report' needs a refusing action");
        load_fails("default allow report\n", "'report' needs a refusing action");
        load_fails("default log report\n", "'report' needs a refusing action");
        load_fails("default errno EPERM report report\n", "end of line after the action");
        load_fails("deny report\n", "a syscall or @group name after 'deny'");
}

static void test_report_dump(void **state) {
        Policy *p = load_ok("default errno EPERM report\ndeny bpf action kill report\n");
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(policy_dump(p, f), 0);
        fclose(f);
        assert_non_null(strstr(text, "default: errno EPERM report\n"));
        assert_non_null(strstr(text, "kill report:\n        bpf\n"));
        free(text);
        policy_free(p);
}

static void test_learn_filter(void **state) {
        Policy *p = load_ok("default errno EPERM\nallow read\ndeny write action kill\nallow ioctl if arg1 == 0x5401\n");
        struct sock_fprog learn = {};

        assert_int_equal(policy_learn_filter(p, &learn), 0);
        assert_int_equal(run_prog(&learn, "read", 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_prog(&learn, "write", 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_prog(&learn, "mount", 0), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_prog(&learn, "ioctl", TCGETS), SECCOMP_RET_ALLOW);
        assert_int_equal(run_prog(&learn, "ioctl", TIOCSTI), SECCOMP_RET_USER_NOTIF);
        assert_int_equal(run_prog(&learn, "execve", 0), SECCOMP_RET_ALLOW);
        free(learn.filter);
        policy_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_report),
                cmocka_unit_test(test_kill_report_answer),
                cmocka_unit_test(test_conditional_report),
                cmocka_unit_test(test_default_report),
                cmocka_unit_test(test_no_report),
                cmocka_unit_test(test_report_refused),
                cmocka_unit_test(test_report_dump),
                cmocka_unit_test(test_learn_filter),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
