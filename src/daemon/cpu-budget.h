/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPUTimeMaxSec arithmetic, pure (unit-tested in test-cpu-budget.c): when
 * to look again at a group's CPU use so that a budget is caught soon after
 * it runs out without polling. */
#pragma once

#include <stdbool.h>

#include "time-util.h"

/* Checks are at least this far apart, so that a group at its budget's edge
 * does not make the daemon spin. */
#define CPU_BUDGET_MIN_DELAY (10 * USEC_PER_MSEC)

/* Whether `used_nsec` of CPU time has spent `budget_usec`. */
bool cpu_budget_spent(usec_t budget_usec, nsec_t used_nsec);

/* The delay until the next check: the earliest moment the budget can run out
 * is when the group burns the rest at its highest possible rate, all of
 * n_cpus or its quota (CPU-µs per second, UINT64_MAX for none). Saturates
 * (a budget near 2^64 is no early check) and is never below
 * CPU_BUDGET_MIN_DELAY. USEC_INFINITY for an infinite budget (no check).
 * *ret_accuracy, if given, is the slack the timer may take. */
usec_t cpu_budget_next_check(usec_t budget_usec, nsec_t used_nsec, unsigned n_cpus, uint64_t quota_per_sec_usec,
                             usec_t *ret_accuracy);
