/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FIFO of SvActions the core hands to the daemon. */

#include <stdlib.h>
#include <string.h>

#include "sv-internal.h"

void sv_out_of_memory(void) {
        /* Dropping an action would leave the daemon and the core disagreeing
         * about which processes exist; there is no safe way on. */
        abort();
}

int sv_action_queue_reserve(SvActionQueue *q, size_t total) {
        SvAction *items;
        size_t cap, first;

        if (q->cap >= total)
                return 0;

        cap = MAX(MAX(total, q->cap * 2), (size_t) 16);
        items = calloc(cap, sizeof(SvAction));
        if (!items)
                return -ENOMEM;

        /* Unwrap into the new array so that head restarts at 0. */
        first = MIN(q->n, q->cap - q->head);
        if (first > 0)
                memcpy(items, q->items + q->head, first * sizeof(SvAction));
        if (q->n > first)
                memcpy(items + first, q->items, (q->n - first) * sizeof(SvAction));

        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
        return 0;
}

void sv_action_queue_push(SvActionQueue *q, const SvAction *a) {
        if (q->n == q->cap && sv_action_queue_reserve(q, q->n + 1) < 0)
                sv_out_of_memory();

        q->items[(q->head + q->n) % q->cap] = *a;
        q->n++;
}

bool sv_action_queue_pop(SvActionQueue *q, SvAction *ret) {
        if (q->n == 0)
                return false;

        *ret = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        return true;
}

void sv_action_queue_done(SvActionQueue *q) {
        q->items = mfree(q->items);
        q->head = q->n = q->cap = 0;
}
