/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Samples with percentiles, and the results table the harness prints and
 * writes. */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int samples_add(Samples *s, uint64_t v) {
        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 256;
                uint64_t *n = realloc(s->v, a * sizeof *n);

                if (!n)
                        return -ENOMEM;
                s->v = n;
                s->allocated = a;
        }
        s->v[s->n++] = v;
        s->sorted = false;
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least pct% of samples at or
 * below it. */
uint64_t samples_percentile(Samples *s, unsigned pct) {
        size_t rank;

        if (s->n == 0)
                return 0;
        if (!s->sorted) {
                qsort(s->v, s->n, sizeof *s->v, cmp_u64);
                s->sorted = true;
        }
        rank = (s->n * pct + 99) / 100;
        if (rank == 0)
                rank = 1;
        return s->v[MIN(rank, s->n) - 1];
}

void samples_done(Samples *s) {
        s->v = mfree(s->v);
        s->n = s->allocated = 0;
}

char *format_ns(char *buf, size_t size, uint64_t ns) {
        if (ns >= 10 * NSEC_PER_SEC)
                snprintf(buf, size, "%.2f s", (double) ns / 1e9);
        else if (ns >= 1000000)
                snprintf(buf, size, "%.3f ms", (double) ns / 1e6);
        else
                snprintf(buf, size, "%.1f us", (double) ns / 1e3);
        return buf;
}

static void set_field(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "-");
}

void table_add(Table *t, const char *name, const char *p50, const char *p99, const char *ratio,
               const char *target, const char *met) {
        Row *rows = realloc(t->rows, (t->n + 1) * sizeof *rows), *r;

        if (!rows) {
                t->failures++;
                fprintf(stderr, "agentvisor-bench: out of memory for the row '%s'\n", name);
                return;
        }
        t->rows = rows;
        r = &rows[t->n++];
        set_field(r->name, sizeof r->name, name);
        set_field(r->p50, sizeof r->p50, p50);
        set_field(r->p99, sizeof r->p99, p99);
        set_field(r->ratio, sizeof r->ratio, ratio);
        set_field(r->target, sizeof r->target, target);
        set_field(r->met, sizeof r->met, met);
}

void table_note_failure(Table *t, const char *format, ...) {
        va_list ap;

        t->failures++;
        fputs("agentvisor-bench: FAIL: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void table_print(const Table *t, FILE *f) {
        static const Row header = { "name", "p50", "p99", "ratio", "target", "met?" };

        for (size_t i = 0; i <= t->n; i++) {
                const Row *r = i == 0 ? &header : &t->rows[i - 1];

                fprintf(f, "%-50s %12s %12s %9s %-26s %s\n", r->name, r->p50, r->p99, r->ratio, r->target,
                        r->met);
        }
}

void table_done(Table *t) {
        t->rows = mfree(t->rows);
        t->n = 0;
}
