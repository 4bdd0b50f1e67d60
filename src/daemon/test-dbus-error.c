/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins the one table from an operation's error kind to the SPEC's error
 * names (dbus-common.c), entry by entry, and what passes through untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dbus.h"

/* Spelled out, not taken from bus-names.h, so that a renamed constant fails
 * here. */
static const char *const expected[] = {
        [ERROR_KIND_NONE] = NULL,
        [ERROR_KIND_FAILED] = "org.freedesktop.DBus.Error.Failed",
        [ERROR_KIND_INVALID_ARGS] = "org.freedesktop.DBus.Error.InvalidArgs",
        [ERROR_KIND_NO_SUCH_AGENT] = "org.agentvisor1.Error.NoSuchAgent",
        [ERROR_KIND_NO_SUCH_TYPE] = "org.agentvisor1.Error.NoSuchType",
        [ERROR_KIND_NO_SUCH_SUPERVISOR] = "org.agentvisor1.Error.NoSuchSupervisor",
        [ERROR_KIND_ALREADY_EXISTS] = "org.agentvisor1.Error.AlreadyExists",
        [ERROR_KIND_INVALID_SPEC] = "org.agentvisor1.Error.InvalidSpec",
        [ERROR_KIND_POLICY] = "org.agentvisor1.Error.PolicyError",
        [ERROR_KIND_ESCALATED] = "org.agentvisor1.Error.Escalated",
        [ERROR_KIND_TOO_MANY_AGENTS] = "org.agentvisor1.Error.TooManyAgents",
        [ERROR_KIND_NOT_RUNNING] = "org.agentvisor1.Error.NotRunning",
        [ERROR_KIND_NOT_STOPPED] = "org.agentvisor1.Error.NotStopped",
};
_Static_assert(ELEMENTSOF(expected) == _ERROR_KIND_MAX, "every error kind has its expected name here");

static void test_every_kind(void **state) {
        for (ErrorKind k = ERROR_KIND_FAILED; k < _ERROR_KIND_MAX; k++) {
                _cleanup_(error_detail_done) ErrorDetail d = ERROR_DETAIL_NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                assert_string_equal(bus_error_kind_to_string(k), expected[k]);
                assert_int_equal(error_detail_set(&d, -EBUSY, k, "kind %d: \"%s\".", (int) k, "x"), -EBUSY);
                r = bus_error_from_detail(-EBUSY, &d, &error);
                assert_true(r < 0);
                assert_true(sd_bus_error_is_set(&error));
                assert_string_equal(error.name, expected[k]);
                char want[64];
                snprintf(want, sizeof want, "kind %d: \"x\".", (int) k);
                assert_string_equal(error.message, want);
                sd_bus_error_free(&error);
        }
}

static void test_out_of_range(void **state) {
        assert_null(bus_error_kind_to_string(ERROR_KIND_NONE));
        assert_null(bus_error_kind_to_string(_ERROR_KIND_MAX));
        assert_null(bus_error_kind_to_string((ErrorKind) -1));
}

/* No kind: an internal failure, which sd-bus names after the errno. */
static void test_passes_through(void **state) {
        ErrorDetail d = ERROR_DETAIL_NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_int_equal(bus_error_from_detail(-ENOMEM, &d, &error), -ENOMEM);
        assert_false(sd_bus_error_is_set(&error));
        assert_int_equal(bus_error_from_detail(-EIO, NULL, &error), -EIO);
        assert_false(sd_bus_error_is_set(&error));
        /* A success never sets an error, even with a stale detail. */
        assert_int_equal(error_detail_set(&d, -ENOENT, ERROR_KIND_NO_SUCH_AGENT, "stale"), -ENOENT);
        assert_int_equal(bus_error_from_detail(0, &d, &error), 0);
        assert_false(sd_bus_error_is_set(&error));
        error_detail_done(&d);
        assert_null(d.message);
        assert_int_equal(d.kind, ERROR_KIND_NONE);
        /* Without a detail to fill, the errno is still returned. */
        assert_int_equal(error_detail_set(NULL, -EEXIST, ERROR_KIND_ALREADY_EXISTS, "x"), -EEXIST);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_kind),
                cmocka_unit_test(test_out_of_range),
                cmocka_unit_test(test_passes_through),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
