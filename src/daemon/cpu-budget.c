/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPUTimeMaxSec arithmetic (see cpu-budget.h). */
#include <stdint.h>

#include "cpu-budget.h"
#include "macro.h"

bool cpu_budget_spent(usec_t budget_usec, nsec_t used_nsec) {
        return used_nsec / NSEC_PER_USEC >= budget_usec;
}

usec_t cpu_budget_next_check(usec_t budget_usec, nsec_t used_nsec, unsigned n_cpus, uint64_t quota_per_sec_usec,
                             usec_t *ret_accuracy) {
        usec_t used = used_nsec / NSEC_PER_USEC, remaining, rate, wait;

        if (ret_accuracy)
                *ret_accuracy = 0;
        if (budget_usec == USEC_INFINITY)
                return USEC_INFINITY;
        remaining = used >= budget_usec ? 0 : budget_usec - used;
        /* The rate in CPU-microseconds per second of wall clock. */
        rate = (usec_t) n_cpus * USEC_PER_SEC;
        if (quota_per_sec_usec != UINT64_MAX)
                rate = MIN(rate, quota_per_sec_usec);
        if (rate == 0)
                rate = 1;
        wait = u64_muldiv_sat(remaining, USEC_PER_SEC, rate);
        if (ret_accuracy)
                *ret_accuracy = MIN(MAX(wait / 20, USEC_PER_MSEC), 250 * USEC_PER_MSEC);
        return MAX(wait, CPU_BUDGET_MIN_DELAY);
}
