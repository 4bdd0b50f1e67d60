/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins how an agent's end is classified into the SPEC's exit reasons. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "exit-reason.h"

static void assert_record(ExitFacts f, ExitReason reason, int status, KilledBy by) {
        ExitRecord r = exit_classify(&f);
        if (r.reason != reason || r.status != status || r.killed_by != by)
                fail_msg("classified as %s/%d/%s, expected %s/%d/%s", exit_reason_to_string(r.reason), r.status,
                         killed_by_to_string(r.killed_by), exit_reason_to_string(reason), status,
                         killed_by_to_string(by));
}

static void test_plain_exits(void **state) {
        assert_record((ExitFacts) { .code = CLD_EXITED, .status = 0 }, EXIT_REASON_EXITED, 0, KILLED_BY_NONE);
        assert_record((ExitFacts) { .code = CLD_EXITED, .status = 3 }, EXIT_REASON_EXITED, 3, KILLED_BY_NONE);
}

static void test_signals(void **state) {
        /* A crash is the agent's own doing; a TERM from somebody else is not. */
        assert_record((ExitFacts) { .code = CLD_DUMPED, .status = SIGSEGV }, EXIT_REASON_SIGNAL, SIGSEGV,
                      KILLED_BY_NONE);
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGTERM }, EXIT_REASON_SIGNAL, SIGTERM,
                      KILLED_BY_OTHER);
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGABRT }, EXIT_REASON_SIGNAL, SIGABRT,
                      KILLED_BY_NONE);
}

static void test_seccomp(void **state) {
        assert_record((ExitFacts) { .code = CLD_DUMPED, .status = SIGSYS, .has_filter = true },
                      EXIT_REASON_SECCOMP, SIGSYS, KILLED_BY_POLICY);
        /* A `kill report` rule: the daemon kills it with SIGKILL on the
         * policy's behalf; reported as the policy's kill, status 31. */
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGKILL, .has_filter = true,
                                    .daemon_reason = EXIT_REASON_SECCOMP },
                      EXIT_REASON_SECCOMP, SIGSYS, KILLED_BY_POLICY);
        /* Without a policy, SIGSYS is just a signal. */
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGSYS }, EXIT_REASON_SIGNAL, SIGSYS,
                      KILLED_BY_OTHER);
}

static void test_oom(void **state) {
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGKILL, .oom_kills = 1 }, EXIT_REASON_OOM,
                      SIGKILL, KILLED_BY_KERNEL);
        /* A child was the OOM victim and the main process exited on its own. */
        assert_record((ExitFacts) { .code = CLD_EXITED, .status = 1, .oom_kills = 2 }, EXIT_REASON_OOM, SIGKILL,
                      KILLED_BY_KERNEL);
}

static void test_daemon_kills(void **state) {
        static const ExitReason reasons[] = {
                EXIT_REASON_STOPPED,  EXIT_REASON_SHUTDOWN,  EXIT_REASON_TIMEOUT,   EXIT_REASON_CPU_TIMEOUT,
                EXIT_REASON_WATCHDOG, EXIT_REASON_UNHEALTHY, EXIT_REASON_START_TIMEOUT,
        };
        for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
                /* Whether the agent died of the TERM or exited cleanly on it. */
                assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGTERM, .daemon_reason = reasons[i] },
                              reasons[i], SIGTERM, KILLED_BY_DAEMON);
                assert_record((ExitFacts) { .code = CLD_EXITED, .status = 0, .daemon_reason = reasons[i] },
                              reasons[i], 0, KILLED_BY_DAEMON);
        }
        /* The daemon's reason wins over an OOM count it caused by nothing. */
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGKILL, .daemon_reason = EXIT_REASON_STOPPED,
                                    .oom_kills = 1 },
                      EXIT_REASON_STOPPED, SIGKILL, KILLED_BY_DAEMON);
}

/* KillAgent: the daemon sent the signal on a caller's request. The reason
 * stays `signal`; who sent it is the daemon, unless the agent died of
 * something else. */
static void test_kill_on_request(void **state) {
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGKILL, .daemon_signal = SIGKILL },
                      EXIT_REASON_SIGNAL, SIGKILL, KILLED_BY_DAEMON);
        assert_record((ExitFacts) { .code = CLD_KILLED, .status = SIGTERM, .daemon_signal = SIGUSR1 },
                      EXIT_REASON_SIGNAL, SIGTERM, KILLED_BY_OTHER);
        /* It caught the signal and exited by itself. */
        assert_record((ExitFacts) { .code = CLD_EXITED, .status = 0, .daemon_signal = SIGUSR1 }, EXIT_REASON_EXITED,
                      0, KILLED_BY_NONE);
}

static void test_spawn_failed(void **state) {
        assert_record((ExitFacts) { .spawn_failed = true, .spawn_errno = ENOENT }, EXIT_REASON_SPAWN_FAILED, ENOENT,
                      KILLED_BY_NONE);
}

/* Found gone by a daemon started after a crash: status 0, nobody to blame,
 * and abnormal (a permanent or transient agent is restarted). */
static void test_lost(void **state) {
        assert_record((ExitFacts) { .daemon_reason = EXIT_REASON_LOST, .code = CLD_KILLED, .status = 9 },
                      EXIT_REASON_LOST, 0, KILLED_BY_NONE);
        assert_false(exit_reason_is_normal(EXIT_REASON_LOST, 0));
        /* Ended by the daemon because its seccomp listener was lost. */
        assert_record((ExitFacts) { .daemon_reason = EXIT_REASON_LOST, .daemon_killed = true, .code = CLD_KILLED,
                                    .status = 9 },
                      EXIT_REASON_LOST, 0, KILLED_BY_DAEMON);
        assert_string_equal(exit_reason_to_string(EXIT_REASON_LOST), "lost");
}

static void test_normal_reasons(void **state) {
        assert_true(exit_reason_is_normal(EXIT_REASON_EXITED, 0));
        assert_false(exit_reason_is_normal(EXIT_REASON_EXITED, 1));
        assert_true(exit_reason_is_normal(EXIT_REASON_STOPPED, SIGTERM));
        assert_true(exit_reason_is_normal(EXIT_REASON_SHUTDOWN, 0));
        for (ExitReason r = EXIT_REASON_SIGNAL; r < _EXIT_REASON_MAX; r++)
                if (r != EXIT_REASON_STOPPED && r != EXIT_REASON_SHUTDOWN)
                        assert_false(exit_reason_is_normal(r, 0));
}

static void test_strings_round_trip(void **state) {
        for (ExitReason r = 0; r < _EXIT_REASON_MAX; r++)
                assert_int_equal(exit_reason_from_string(exit_reason_to_string(r)), r);
        assert_int_equal(exit_reason_from_string("crashed"), _EXIT_REASON_INVALID);
        assert_string_equal(exit_reason_to_string(EXIT_REASON_CPU_TIMEOUT), "cpu-timeout");
        assert_string_equal(exit_reason_to_string(EXIT_REASON_SPAWN_FAILED), "spawn-failed");
        assert_string_equal(killed_by_to_string(KILLED_BY_NONE), "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_exits),  cmocka_unit_test(test_signals),
                cmocka_unit_test(test_seccomp),      cmocka_unit_test(test_oom),
                cmocka_unit_test(test_daemon_kills), cmocka_unit_test(test_spawn_failed),
                cmocka_unit_test(test_kill_on_request), cmocka_unit_test(test_lost),
                cmocka_unit_test(test_normal_reasons), cmocka_unit_test(test_strings_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
