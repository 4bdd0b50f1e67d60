/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clocks, and overflow-safe arithmetic on times and limits. A deadline is
 * "start plus a limit"; with limits up to 2^64-1 the plain sum wraps to a time
 * in the past and would end an agent at once. These saturate at USEC_INFINITY
 * (UINT64_MAX), which every caller reads as "no deadline". */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "macro.h"

/* The clock's current time. CLOCK_MONOTONIC and CLOCK_REALTIME cannot fail. */
static inline nsec_t now_nsec(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return (nsec_t) ts.tv_sec * NSEC_PER_SEC + (nsec_t) ts.tv_nsec;
}

static inline usec_t now_usec(clockid_t clock) {
        return now_nsec(clock) / NSEC_PER_USEC;
}

/* Timers and deadlines. */
static inline usec_t now_monotonic(void) {
        return now_usec(CLOCK_MONOTONIC);
}

/* Timestamps people read. */
static inline usec_t now_realtime(void) {
        return now_usec(CLOCK_REALTIME);
}

/* a + b, or USEC_INFINITY if either is infinite or the sum does not fit. */
static inline usec_t usec_add(usec_t a, usec_t b) {
        usec_t s;

        if (a == USEC_INFINITY || b == USEC_INFINITY || __builtin_add_overflow(a, b, &s))
                return USEC_INFINITY;
        return s;
}

/* a * b, or UINT64_MAX if the product does not fit. */
static inline uint64_t u64_mul_sat(uint64_t a, uint64_t b) {
        uint64_t p;

        if (__builtin_mul_overflow(a, b, &p))
                return UINT64_MAX;
        return p;
}

/* a * b / c without overflow in the intermediate product; UINT64_MAX if the
 * result does not fit or c is 0. */
static inline uint64_t u64_muldiv_sat(uint64_t a, uint64_t b, uint64_t c) {
        unsigned __int128 p = (unsigned __int128) a * b;

        if (c == 0)
                return UINT64_MAX;
        p /= c;
        return p > UINT64_MAX ? UINT64_MAX : (uint64_t) p;
}
