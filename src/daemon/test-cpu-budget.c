/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins the CPUTimeMaxSec check schedule: the earliest moment the budget can
 * run out at the group's highest rate, never a spin, never a wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu-budget.h"

static void test_spent(void **state) {
        assert_true(cpu_budget_spent(1000, 1000 * NSEC_PER_USEC));
        assert_true(cpu_budget_spent(1000, 2000 * NSEC_PER_USEC));
        /* Nanoseconds below a whole microsecond do not count yet. */
        assert_false(cpu_budget_spent(1000, 1000 * NSEC_PER_USEC - 1));
        assert_true(cpu_budget_spent(0, 0));
}

static void test_rate(void **state) {
        usec_t acc;

        /* 2 s of budget, nothing used, one CPU: two seconds at the earliest. */
        assert_int_equal(cpu_budget_next_check(2 * USEC_PER_SEC, 0, 1, UINT64_MAX, &acc), 2 * USEC_PER_SEC);
        /* Four CPUs burn it four times as fast. */
        assert_int_equal(cpu_budget_next_check(2 * USEC_PER_SEC, 0, 4, UINT64_MAX, NULL), USEC_PER_SEC / 2);
        /* A quota of 0.5 CPU bounds the rate below the CPU count. */
        assert_int_equal(cpu_budget_next_check(2 * USEC_PER_SEC, 0, 4, USEC_PER_SEC / 2, NULL), 4 * USEC_PER_SEC);
        /* A quota above the CPU count does not raise the rate. */
        assert_int_equal(cpu_budget_next_check(2 * USEC_PER_SEC, 0, 1, 8 * USEC_PER_SEC, NULL), 2 * USEC_PER_SEC);
        /* What is used counts: 1.5 s used of 2 s leaves 0.5 s. */
        assert_int_equal(cpu_budget_next_check(2 * USEC_PER_SEC, 1500 * USEC_PER_MSEC * NSEC_PER_USEC, 1, UINT64_MAX,
                                               NULL),
                         USEC_PER_SEC / 2);
}

static void test_accuracy(void **state) {
        usec_t acc;

        (void) cpu_budget_next_check(2 * USEC_PER_SEC, 0, 1, UINT64_MAX, &acc);
        assert_int_equal(acc, 2 * USEC_PER_SEC / 20);
        /* Capped at 250 ms, and at least 1 ms. */
        (void) cpu_budget_next_check(3600 * USEC_PER_SEC, 0, 1, UINT64_MAX, &acc);
        assert_int_equal(acc, 250 * USEC_PER_MSEC);
        (void) cpu_budget_next_check(1000, 0, 1, UINT64_MAX, &acc);
        assert_int_equal(acc, USEC_PER_MSEC);
}

static void test_edges(void **state) {
        /* Spent or nearly: still 10 ms apart, never a spin. */
        assert_int_equal(cpu_budget_next_check(1000, 5000 * NSEC_PER_USEC, 1, UINT64_MAX, NULL), CPU_BUDGET_MIN_DELAY);
        assert_int_equal(cpu_budget_next_check(1, 0, 64, UINT64_MAX, NULL), CPU_BUDGET_MIN_DELAY);
        /* A zero quota is read as the slowest rate, not a division by zero. */
        assert_int_equal(cpu_budget_next_check(1, 0, 1, 0, NULL), USEC_PER_SEC);
        /* No CPUs known: the same. */
        assert_int_equal(cpu_budget_next_check(1, 0, 0, UINT64_MAX, NULL), USEC_PER_SEC);
        /* Infinity is no check at all. */
        assert_int_equal(cpu_budget_next_check(USEC_INFINITY, 0, 1, UINT64_MAX, NULL), USEC_INFINITY);
        /* A budget near 2^64 at a slow rate saturates instead of wrapping early. */
        assert_int_equal(cpu_budget_next_check(USEC_INFINITY - 1, 0, 1, 1, NULL), UINT64_MAX);
        assert_true(cpu_budget_next_check(USEC_INFINITY - 1, 0, 1, UINT64_MAX, NULL) >= (USEC_INFINITY - 1) / 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spent),
                cmocka_unit_test(test_rate),
                cmocka_unit_test(test_accuracy),
                cmocka_unit_test(test_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
