/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A binary min-heap of backoff deadlines. Only children waiting for a
 * delayed restart are in it, so it stays small. */

#include <stdlib.h>

#include "sv-internal.h"

void sv_timer_init(SvTimer *t, SvTimerKind kind) {
        *t = (SvTimer) {
                .deadline = USEC_INFINITY,
                .idx = SV_TIMER_IDLE,
                .kind = kind,
        };
}

static bool timer_before(const SvTimer *a, const SvTimer *b) {
        if (a->deadline != b->deadline)
                return a->deadline < b->deadline;
        return a->seq < b->seq;
}

static void heap_place(SvTimerHeap *h, size_t i, SvTimer *t) {
        h->items[i] = t;
        t->idx = i;
}

static void sift_up(SvTimerHeap *h, size_t i) {
        SvTimer *t = h->items[i];

        while (i > 0) {
                size_t parent = (i - 1) / 2;

                if (!timer_before(t, h->items[parent]))
                        break;
                heap_place(h, i, h->items[parent]);
                i = parent;
        }
        heap_place(h, i, t);
}

static void sift_down(SvTimerHeap *h, size_t i) {
        SvTimer *t = h->items[i];

        for (;;) {
                size_t child = 2 * i + 1;

                if (child >= h->n)
                        break;
                if (child + 1 < h->n && timer_before(h->items[child + 1], h->items[child]))
                        child++;
                if (!timer_before(h->items[child], t))
                        break;
                heap_place(h, i, h->items[child]);
                i = child;
        }
        heap_place(h, i, t);
}

int sv_timer_heap_reserve(SvTimerHeap *h, size_t total) {
        SvTimer **items;
        size_t cap;

        if (h->cap >= total)
                return 0;

        cap = MAX(MAX(total, h->cap * 2), (size_t) 16);
        items = reallocarray(h->items, cap, sizeof(SvTimer *));
        if (!items)
                return -ENOMEM;

        h->items = items;
        h->cap = cap;
        return 0;
}

void sv_timer_heap_arm(SvTimerHeap *h, SvTimer *t, usec_t deadline) {
        sv_timer_heap_disarm(h, t);

        if (h->n == h->cap && sv_timer_heap_reserve(h, h->n + 1) < 0)
                sv_out_of_memory();

        t->deadline = deadline;
        t->seq = h->next_seq++;
        heap_place(h, h->n++, t);
        sift_up(h, t->idx);
}

void sv_timer_heap_disarm(SvTimerHeap *h, SvTimer *t) {
        size_t i = t->idx;

        if (i == SV_TIMER_IDLE)
                return;

        t->idx = SV_TIMER_IDLE;
        t->deadline = USEC_INFINITY;

        h->n--;
        if (i == h->n)
                return;

        /* Move the last entry into the hole and restore the order from there:
         * it may belong above or below it. */
        SvTimer *moved = h->items[h->n];
        heap_place(h, i, moved);
        sift_up(h, i);
        sift_down(h, moved->idx);
}

SvTimer *sv_timer_heap_peek(const SvTimerHeap *h) {
        return h->n > 0 ? h->items[0] : NULL;
}

void sv_timer_heap_done(SvTimerHeap *h) {
        for (size_t i = 0; i < h->n; i++)
                h->items[i]->idx = SV_TIMER_IDLE;
        h->items = mfree(h->items);
        h->n = h->cap = 0;
}
