/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the value parsers: sizes, times, percentages, integers,
 * booleans, names and the formatters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "parse-util.h"

static void expect_size(const char *s, uint64_t want) {
        uint64_t v = 0;
        int r = parse_size(s, &v);

        if (r != 0)
                fail_msg("parse_size(\"%s\") failed with %d, expected %llu", s, r, (unsigned long long) want);
        if (v != want)
                fail_msg("parse_size(\"%s\") = %llu, expected %llu", s, (unsigned long long) v,
                         (unsigned long long) want);
}

static void expect_size_error(const char *s, int want) {
        uint64_t v = 4242;
        int r = parse_size(s, &v);

        if (r != want)
                fail_msg("parse_size(\"%s\") returned %d, expected %d", s, r, want);
        if (v != 4242)
                fail_msg("parse_size(\"%s\") touched *ret on failure", s);
}

static void test_size_suffixes(void **state) {
        expect_size("0", 0);
        expect_size("512", 512);
        expect_size("512B", 512);
        expect_size("1K", 1024);
        expect_size("1KB", 1024);
        expect_size("1KiB", 1024);
        expect_size("512M", 512ULL << 20);
        expect_size("2G", 2ULL << 30);
        expect_size("2GiB", 2ULL << 30);
        expect_size("1T", 1ULL << 40);
        expect_size("3P", 3ULL << 50);
        expect_size("1E", 1ULL << 60);
        expect_size("15E", 15ULL << 60);
        expect_size(" 64 M", 64ULL << 20);
        expect_size("infinity", UINT64_MAX);
        expect_size("18446744073709551615", UINT64_MAX);
}

static void test_size_fractional(void **state) {
        expect_size("1.5M", 3ULL << 19);
        expect_size("0.5K", 512);
        expect_size(".5G", 1ULL << 29);
        expect_size("1.25G", (1ULL << 30) + (1ULL << 28));
}

static void test_size_errors(void **state) {
        expect_size_error("16E", -ERANGE);
        expect_size_error("17179869184G", -ERANGE);
        expect_size_error("18446744073709551616", -ERANGE);
        expect_size_error("99999999999999999999999", -ERANGE);
        expect_size_error("", -EINVAL);
        expect_size_error("M", -EINVAL);
        expect_size_error("12X", -EINVAL);
        expect_size_error("12MM", -EINVAL);
        expect_size_error("-1", -EINVAL);
        expect_size_error("1.5", -EINVAL);
        expect_size_error("1.", -EINVAL);
        expect_size_error("1k", -EINVAL);
        expect_size_error("infinite", -EINVAL);
}

static void expect_time(const char *s, usec_t want) {
        usec_t v = 0;
        int r = parse_time_usec(s, &v);

        if (r != 0)
                fail_msg("parse_time_usec(\"%s\") failed with %d", s, r);
        if (v != want)
                fail_msg("parse_time_usec(\"%s\") = %llu, expected %llu", s, (unsigned long long) v,
                         (unsigned long long) want);
}

static void expect_time_error(const char *s, int want) {
        usec_t v = 4242;
        int r = parse_time_usec(s, &v);

        if (r != want)
                fail_msg("parse_time_usec(\"%s\") returned %d, expected %d", s, r, want);
        if (v != 4242)
                fail_msg("parse_time_usec(\"%s\") touched *ret on failure", s);
}

static void test_time(void **state) {
        expect_time("0", 0);
        expect_time("10", 10 * USEC_PER_SEC);
        expect_time("500ms", 500 * USEC_PER_MSEC);
        expect_time("2s", 2 * USEC_PER_SEC);
        expect_time("1min", 60 * USEC_PER_SEC);
        expect_time("1h", 3600 * USEC_PER_SEC);
        expect_time("100us", 100);
        expect_time("1min 30s", 90 * USEC_PER_SEC);
        expect_time("1min30s", 90 * USEC_PER_SEC);
        expect_time("1h 2min 3s 4ms", 3723 * USEC_PER_SEC + 4 * USEC_PER_MSEC);
        expect_time("1.5s", 1500 * USEC_PER_MSEC);
        expect_time("30 sec", 30 * USEC_PER_SEC);
        expect_time("2d", 2 * 86400 * USEC_PER_SEC);
        expect_time("1w", 7 * 86400 * USEC_PER_SEC);
        expect_time("infinity", USEC_INFINITY);
}

static void test_time_errors(void **state) {
        expect_time_error("", -EINVAL);
        expect_time_error("   ", -EINVAL);
        expect_time_error("s", -EINVAL);
        expect_time_error("5 parsecs", -EINVAL);
        expect_time_error("-5s", -EINVAL);
        expect_time_error("1min -3s", -EINVAL);
        expect_time_error("99999999999999w", -ERANGE);
        expect_time_error("18446744073709551615us", -ERANGE);
}

static void test_percent(void **state) {
        unsigned v = 0;

        assert_int_equal(parse_percent("50%", &v), 0);
        assert_int_equal(v, 50);
        assert_int_equal(parse_percent("150%", &v), 0);
        assert_int_equal(v, 150);
        assert_int_equal(parse_percent("10000%", &v), 0);
        assert_int_equal(v, 10000);

        v = 7;
        assert_int_equal(parse_percent("0%", &v), -ERANGE);
        assert_int_equal(parse_percent("10001%", &v), -ERANGE);
        assert_int_equal(parse_percent("50", &v), -EINVAL);
        assert_int_equal(parse_percent("%", &v), -EINVAL);
        assert_int_equal(parse_percent("-5%", &v), -EINVAL);
        assert_int_equal(parse_percent("5%%", &v), -EINVAL);
        /* Huge values are out of range, never wrapped into a small one: 2^32
         * + 50 would be 50 as an unsigned, 2^64 + 50 as a uint64. */
        assert_int_equal(parse_percent("4294967346%", &v), -ERANGE);
        assert_int_equal(parse_percent("18446744073709551666%", &v), -ERANGE);
        assert_int_equal(parse_percent("99999999999999999999999999999%", &v), -ERANGE);
        assert_int_equal(v, 7);
}

static void test_integers(void **state) {
        unsigned u = 0;
        uint64_t u64 = 0;
        int i = 0;

        assert_int_equal(parse_uint("42", &u), 0);
        assert_int_equal(u, 42);
        assert_int_equal(parse_uint("4294967295", &u), 0);
        assert_int_equal(u, 4294967295U);
        assert_int_equal(parse_uint("4294967296", &u), -ERANGE);
        assert_int_equal(parse_uint("-1", &u), -EINVAL);
        assert_int_equal(parse_uint(" 1", &u), -EINVAL);
        assert_int_equal(parse_uint("1x", &u), -EINVAL);
        assert_int_equal(parse_uint("", &u), -EINVAL);

        assert_int_equal(parse_uint64("18446744073709551615", &u64), 0);
        assert_true(u64 == UINT64_MAX);
        assert_int_equal(parse_uint64("18446744073709551616", &u64), -ERANGE);

        assert_int_equal(parse_int("-1000", &i), 0);
        assert_int_equal(i, -1000);
        assert_int_equal(parse_int("+7", &i), 0);
        assert_int_equal(i, 7);
        assert_int_equal(parse_int("-2147483648", &i), 0);
        assert_int_equal(i, -2147483647 - 1);
        assert_int_equal(parse_int("2147483648", &i), -ERANGE);
        assert_int_equal(parse_int("-", &i), -EINVAL);
}

static void test_boolean(void **state) {
        assert_int_equal(parse_boolean("yes"), 1);
        assert_int_equal(parse_boolean("TRUE"), 1);
        assert_int_equal(parse_boolean("on"), 1);
        assert_int_equal(parse_boolean("1"), 1);
        assert_int_equal(parse_boolean("no"), 0);
        assert_int_equal(parse_boolean("false"), 0);
        assert_int_equal(parse_boolean("off"), 0);
        assert_int_equal(parse_boolean("0"), 0);
        assert_int_equal(parse_boolean("maybe"), -EINVAL);
        assert_int_equal(parse_boolean(""), -EINVAL);
}

static void test_names(void **state) {
        char name[80];

        assert_true(name_is_valid("a"));
        assert_true(name_is_valid("worker-1"));
        assert_true(name_is_valid("Build.job_2@host"));
        assert_true(name_is_valid("9lives"));

        assert_false(name_is_valid(NULL));
        assert_false(name_is_valid(""));
        assert_false(name_is_valid("-x"));
        assert_false(name_is_valid("_x"));
        assert_false(name_is_valid(".hidden"));
        assert_false(name_is_valid("a b"));
        assert_false(name_is_valid("a/b"));
        assert_false(name_is_valid("caf\xc3\xa9"));

        memset(name, 'a', 64);
        name[64] = '\0';
        if (!name_is_valid(name))
                fail_msg("a 64-character name must be valid");
        name[64] = 'a';
        name[65] = '\0';
        if (name_is_valid(name))
                fail_msg("a 65-character name must be rejected");
}

static void test_user_names(void **state) {
        assert_true(user_name_is_valid("nobody"));
        assert_true(user_name_is_valid("_apt"));
        assert_true(user_name_is_valid("systemd-network"));
        assert_true(user_name_is_valid("1000"));
        assert_true(user_name_is_valid("machine$"));
        assert_true(user_name_is_valid("abcdefghijklmnopqrstuvwxyz012345"));

        assert_false(user_name_is_valid(NULL));
        assert_false(user_name_is_valid(""));
        assert_false(user_name_is_valid("-rf"));
        assert_false(user_name_is_valid("a b"));
        assert_false(user_name_is_valid("a:b"));
        assert_false(user_name_is_valid("$"));
        assert_false(user_name_is_valid("a$b"));
        assert_false(user_name_is_valid("abcdefghijklmnopqrstuvwxyz0123456"));
}

static void test_format(void **state) {
        char buf[64];

        assert_string_equal(format_timespan(buf, sizeof(buf), 0), "0");
        assert_string_equal(format_timespan(buf, sizeof(buf), 90 * USEC_PER_SEC), "1min 30s");
        assert_string_equal(format_timespan(buf, sizeof(buf), 500 * USEC_PER_MSEC), "500ms");
        assert_string_equal(format_timespan(buf, sizeof(buf), USEC_INFINITY), "infinity");
        assert_string_equal(format_timespan(buf, sizeof(buf), 3600 * USEC_PER_SEC + 1), "1h 1us");

        assert_string_equal(format_size(buf, sizeof(buf), 512ULL << 20), "512.0M");
        assert_string_equal(format_size(buf, sizeof(buf), 1536), "1.5K");
        assert_string_equal(format_size(buf, sizeof(buf), 2047), "1.9K");
        assert_string_equal(format_size(buf, sizeof(buf), 100), "100B");
        assert_string_equal(format_size(buf, sizeof(buf), UINT64_MAX), "infinity");
}

static void test_format_roundtrip(void **state) {
        static const usec_t values[] = { 1, 999, 1000, 61 * USEC_PER_SEC, 86400 * USEC_PER_SEC + 5 };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                usec_t back = 0;

                assert_int_equal(parse_time_usec(format_timespan(buf, sizeof(buf), values[i]), &back), 0);
                if (back != values[i])
                        fail_msg("\"%s\" parsed back as %llu, not %llu", buf, (unsigned long long) back,
                                 (unsigned long long) values[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_size_suffixes),
                cmocka_unit_test(test_size_fractional),
                cmocka_unit_test(test_size_errors),
                cmocka_unit_test(test_time),
                cmocka_unit_test(test_time_errors),
                cmocka_unit_test(test_percent),
                cmocka_unit_test(test_integers),
                cmocka_unit_test(test_boolean),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_user_names),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_format_roundtrip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
