/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A progress line per phase, on a terminal only: a full run takes minutes,
 * and CI logs (stderr not a tty) stay as they were. One line, redrawn at
 * most ten times a second: what, how far, elapsed. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static struct {
        int enabled;                   /* -1: not decided yet */
        char what[96];
        unsigned total;
        uint64_t start, last_draw;
} progress = { .enabled = -1 };

static bool progress_on(void) {
        if (progress.enabled < 0)
                progress.enabled = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
        return progress.enabled > 0;
}

static void draw(unsigned done, bool final) {
        uint64_t now = now_nsec(CLOCK_MONOTONIC);
        double elapsed = (double) (now - progress.start) / 1e9;

        if (!final && now - progress.last_draw < 100 * 1000000ULL)
                return;
        progress.last_draw = now;
        if (progress.total > 0)
                fprintf(stderr, "\r\033[K[%7.1fs] %s: %u/%u", elapsed, progress.what, done, progress.total);
        else
                fprintf(stderr, "\r\033[K[%7.1fs] %s", elapsed, progress.what);
        if (final)
                fputc('\n', stderr);
        fflush(stderr);
}

void progress_begin(unsigned total, const char *format, ...) {
        va_list ap;

        if (!progress_on())
                return;
        va_start(ap, format);
        vsnprintf(progress.what, sizeof progress.what, format, ap);
        va_end(ap);
        progress.total = total;
        progress.start = now_nsec(CLOCK_MONOTONIC);
        progress.last_draw = 0;
        draw(0, false);
}

void progress_step(unsigned done) {
        if (progress_on() && progress.what[0])
                draw(done, false);
}

void progress_end(unsigned done) {
        if (!progress_on() || !progress.what[0])
                return;
        draw(done, true);
        progress.what[0] = '\0';
}
