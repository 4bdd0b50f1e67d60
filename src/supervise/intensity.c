/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Restart intensity (a sliding window of restart times) and the backoff
 * delay between consecutive restarts of one child. */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sv-internal.h"

static bool restart_in_window(usec_t t, usec_t now, usec_t window) {
        /* A time "after" now cannot have left the window. */
        return now < t || now - t < window;
}

static void restart_log_append(SvRestartLog *l, usec_t t) {
        if (l->start + l->n == l->cap) {
                if (l->start > 0) {
                        /* Trimming left room at the front: slide down. */
                        memmove(l->times, l->times + l->start, l->n * sizeof(usec_t));
                        l->start = 0;
                } else {
                        size_t cap = MAX(l->cap * 2, (size_t) 4);
                        usec_t *times = reallocarray(l->times, cap, sizeof(usec_t));

                        if (!times)
                                sv_out_of_memory();
                        l->times = times;
                        l->cap = cap;
                }
        }

        l->times[l->start + l->n++] = t;
}

bool sv_restart_log_admit(SvRestartLog *l, usec_t now, usec_t window, unsigned max, unsigned *ret_count) {
        while (l->n > 0 && !restart_in_window(l->times[l->start], now, window)) {
                l->start++;
                l->n--;
        }
        if (l->n == 0)
                l->start = 0;

        if (l->n >= max) {
                *ret_count = (unsigned) MIN(l->n + 1, (size_t) UINT_MAX);
                return false;
        }

        restart_log_append(l, now);
        return true;
}

void sv_restart_log_clear(SvRestartLog *l) {
        l->start = l->n = 0;
}

void sv_restart_log_done(SvRestartLog *l) {
        l->times = mfree(l->times);
        l->start = l->n = l->cap = 0;
}

usec_t sv_backoff_delay(usec_t delay, usec_t max_delay, unsigned n) {
        usec_t cap = MAX(max_delay, delay), d = delay;

        if (d == 0)
                return 0;

        /* Doubling from a non-zero delay reaches any cap within 64 steps. */
        for (unsigned i = 1; i < n && d < cap; i++)
                d = d > cap / 2 ? cap : d * 2;

        return MIN(d, cap);
}
