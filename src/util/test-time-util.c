/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the clocks and the saturating time and limit arithmetic:
 * deadlines near 2^64 must never wrap into the past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "time-util.h"

static void test_usec_add(void **state) {
        assert_int_equal(usec_add(1, 2), 3);
        assert_int_equal(usec_add(0, 0), 0);
        /* The largest sum that fits is still a sum. */
        assert_true(usec_add(UINT64_MAX - 2, 1) == UINT64_MAX - 1);
        /* Anything past it saturates: a monotonic "now" plus 2^64-2 is never. */
        assert_true(usec_add(UINT64_MAX - 1, 1) == USEC_INFINITY);
        assert_true(usec_add(12345678, UINT64_MAX - 2) == USEC_INFINITY);
        assert_true(usec_add(UINT64_MAX / 2 + 1, UINT64_MAX / 2 + 1) == USEC_INFINITY);
        assert_true(usec_add(USEC_INFINITY, 0) == USEC_INFINITY);
        assert_true(usec_add(0, USEC_INFINITY) == USEC_INFINITY);
}

static void test_u64_mul_sat(void **state) {
        assert_true(u64_mul_sat(3, 4) == 12);
        assert_true(u64_mul_sat(0, UINT64_MAX) == 0);
        assert_true(u64_mul_sat(UINT64_MAX, 1) == UINT64_MAX);
        assert_true(u64_mul_sat(1ULL << 32, 1ULL << 32) == UINT64_MAX);
        assert_true(u64_mul_sat(UINT64_MAX / 100000, 100000) <= UINT64_MAX);
        assert_true(u64_mul_sat(UINT64_MAX / 100000 + 1, 100000) == UINT64_MAX);
}

static void test_u64_muldiv_sat(void **state) {
        /* CPUQuota: per-second quota to a 100 ms period. */
        assert_true(u64_muldiv_sat(500000, 100000, 1000000) == 50000);
        /* The product overflows 64 bits, the result does not. */
        assert_true(u64_muldiv_sat(UINT64_MAX - 1, 100000, 1000000) == (UINT64_MAX - 1) / 10);
        assert_true(u64_muldiv_sat(UINT64_MAX, UINT64_MAX, 1) == UINT64_MAX);
        assert_true(u64_muldiv_sat(5, 5, 0) == UINT64_MAX);
}

static void test_now(void **state) {
        usec_t m1, m2, r;
        nsec_t n;

        m1 = now_monotonic();
        n = now_nsec(CLOCK_MONOTONIC);
        m2 = now_usec(CLOCK_MONOTONIC);
        /* One clock in three units: never backwards, and the units agree. */
        assert_true(m1 <= n / NSEC_PER_USEC);
        assert_true(n / NSEC_PER_USEC <= m2);
        /* Microseconds since the epoch: after 2020-01-01, not a count of
         * seconds or nanoseconds by mistake. */
        r = now_realtime();
        assert_true(r > 1577836800ULL * USEC_PER_SEC);
        assert_true(r < 4102444800ULL * USEC_PER_SEC);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_usec_add),
                cmocka_unit_test(test_u64_mul_sat),
                cmocka_unit_test(test_u64_muldiv_sat),
                cmocka_unit_test(test_now),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
