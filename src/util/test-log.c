/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for stderr logging: line format, %m, return values, levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Runs the logging calls with stderr sent to a temporary file, returns what was written. */
static char output[4096];

static FILE *capture_begin(int *saved) {
        FILE *f = tmpfile();

        assert_non_null(f);
        fflush(stderr);
        *saved = dup(STDERR_FILENO);
        assert_true(*saved >= 0);
        assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
        return f;
}

static void capture_end(FILE *f, int saved) {
        size_t n;

        fflush(stderr);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        rewind(f);
        n = fread(output, 1, sizeof(output) - 1, f);
        output[n] = '\0';
        fclose(f);
}

static void test_stderr_format(void **state) {
        int saved, r1, r2, r3;
        FILE *f;

        log_open(false);
        log_set_max_level(LOG_INFO);
        errno = EBUSY;

        f = capture_begin(&saved);
        r1 = log_error_errno(-ENOENT, "Failed to open %s: %m", "x.conf");
        r2 = log_warning_errno(EACCES, "positive errors work too: %m");
        r3 = log_full_errno(LOG_ERR, 0, "no error");
        log_agent_info("web-1", "started");
        log_debug("hidden at info level");
        capture_end(f, saved);

        assert_int_equal(r1, -ENOENT);
        assert_int_equal(r2, -EACCES);
        assert_int_equal(r3, -EIO);
        if (errno != EBUSY)
                fail_msg("logging must not change errno (now %d)", errno);
        assert_string_equal(output,
                            "agentvisord: Failed to open x.conf: No such file or directory\n"
                            "agentvisord: positive errors work too: Permission denied\n"
                            "agentvisord: no error\n"
                            "agentvisord: agent web-1: started\n");
}

static void test_levels(void **state) {
        int saved;
        FILE *f;

        log_set_max_level(LOG_DEBUG);
        assert_int_equal(log_get_max_level(), LOG_DEBUG);
        f = capture_begin(&saved);
        log_debug("now shown");
        log_set_max_level(LOG_ERR);
        log_warning("suppressed");
        assert_int_equal(log_warning_errno(-EPERM, "suppressed too"), -EPERM);
        capture_end(f, saved);
        assert_string_equal(output, "agentvisord: now shown\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stderr_format),
                cmocka_unit_test(test_levels),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
