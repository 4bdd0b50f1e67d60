/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for DEFINE_STRING_TABLE_LOOKUP: both directions, out-of-range
 * values, unknown and NULL names, and holes in a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "string-table.h"

typedef enum Color {
        COLOR_RED,
        COLOR_GREEN,
        COLOR_UNNAMED,          /* a hole: no name */
        COLOR_BLUE,
        _COLOR_MAX,
        _COLOR_INVALID = -EINVAL,
} Color;

static const char *const color_table[_COLOR_MAX] = {
        [COLOR_RED] = "red",
        [COLOR_GREEN] = "green",
        [COLOR_BLUE] = "blue",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP(color, Color);

typedef enum Tiny {
        TINY_ONE,
        _TINY_MAX,
} Tiny;

static const char *const tiny_table[_TINY_MAX] = {
        [TINY_ONE] = "",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP(tiny, Tiny);

static void test_to_string(void **state) {
        assert_string_equal(color_to_string(COLOR_RED), "red");
        assert_string_equal(color_to_string(COLOR_BLUE), "blue");
        assert_null(color_to_string(COLOR_UNNAMED));
        assert_null(color_to_string(_COLOR_MAX));
        assert_null(color_to_string(_COLOR_INVALID));
        assert_null(color_to_string((Color) 1000));
        /* An enum without negative values, which the compiler may make
         * unsigned: the range check still holds. */
        assert_string_equal(tiny_to_string(TINY_ONE), "");
        assert_null(tiny_to_string(_TINY_MAX));
}

static void test_from_string(void **state) {
        assert_int_equal(color_from_string("red"), COLOR_RED);
        assert_int_equal(color_from_string("green"), COLOR_GREEN);
        assert_int_equal(color_from_string("blue"), COLOR_BLUE);
        /* Exact and case-sensitive, as config files and the bus are. */
        assert_int_equal(color_from_string("Red"), -EINVAL);
        assert_int_equal(color_from_string("re"), -EINVAL);
        assert_int_equal(color_from_string("reddish"), -EINVAL);
        assert_int_equal(color_from_string(""), -EINVAL);
        assert_int_equal(color_from_string(NULL), -EINVAL);
        /* The empty name is a name where a table has it. */
        assert_int_equal(tiny_from_string(""), TINY_ONE);
        assert_int_equal((int) tiny_from_string("one"), -EINVAL);
}

static void test_round_trip(void **state) {
        for (Color c = 0; c < _COLOR_MAX; c++) {
                const char *s = color_to_string(c);

                if (s)
                        assert_int_equal(color_from_string(s), c);
        }
}

static void test_lookup(void **state) {
        static const char *const t[] = { "a", NULL, "c" };

        assert_int_equal(string_table_lookup(t, ELEMENTSOF(t), "a"), 0);
        assert_int_equal(string_table_lookup(t, ELEMENTSOF(t), "c"), 2);
        assert_int_equal(string_table_lookup(t, 2, "c"), -EINVAL);
        assert_int_equal(string_table_lookup(t, 0, "a"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_to_string),
                cmocka_unit_test(test_from_string),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_lookup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
