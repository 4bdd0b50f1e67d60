/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stop window's bookkeeping (stop-batch.h): two intrusive lists. */
#include <errno.h>

#include "parse-util.h"
#include "stop-batch.h"

void stop_batch_init(StopBatch *b, unsigned limit) {
        *b = (StopBatch) { .limit = limit > 0 ? limit : STOP_BATCH_DEFAULT };
}

static void list_unlink(StopBatchNode **head, StopBatchNode **tail, StopBatchNode *n) {
        if (n->prev)
                n->prev->next = n->next;
        else
                *head = n->next;
        if (n->next)
                n->next->prev = n->prev;
        else if (tail)
                *tail = n->prev;
        n->prev = n->next = NULL;
}

static void flight_add(StopBatch *b, StopBatchNode *n) {
        n->prev = NULL;
        n->next = b->flight;
        if (b->flight)
                b->flight->prev = n;
        b->flight = n;
        n->state = STOP_BATCH_IN_FLIGHT;
        b->in_flight++;
        b->n_started++;
        if (b->in_flight > b->max_in_flight)
                b->max_in_flight = b->in_flight;
}

bool stop_batch_request(StopBatch *b, StopBatchNode *n, int reason, void *userdata) {
        if (n->state != STOP_BATCH_NONE)
                return false;
        n->reason = reason;
        n->userdata = userdata;
        /* Nobody waits ahead of it: FIFO order holds. */
        if (b->in_flight < b->limit && !b->queue_head) {
                flight_add(b, n);
                return true;
        }
        n->next = NULL;
        n->prev = b->queue_tail;
        if (b->queue_tail)
                b->queue_tail->next = n;
        else
                b->queue_head = n;
        b->queue_tail = n;
        n->state = STOP_BATCH_QUEUED;
        b->queued++;
        b->n_deferred++;
        return false;
}

void stop_batch_drop(StopBatch *b, StopBatchNode *n) {
        switch (n->state) {
        case STOP_BATCH_QUEUED:
                list_unlink(&b->queue_head, &b->queue_tail, n);
                b->queued--;
                break;
        case STOP_BATCH_IN_FLIGHT:
                list_unlink(&b->flight, NULL, n);
                b->in_flight--;
                break;
        default:
                return;
        }
        n->state = STOP_BATCH_NONE;
}

StopBatchNode *stop_batch_next(StopBatch *b) {
        StopBatchNode *n = b->queue_head;

        if (!n || b->in_flight >= b->limit)
                return NULL;
        list_unlink(&b->queue_head, &b->queue_tail, n);
        b->queued--;
        flight_add(b, n);
        return n;
}

unsigned stop_batch_release_slow(StopBatch *b) {
        unsigned n = 0;

        while (b->flight) {
                StopBatchNode *f = b->flight;

                list_unlink(&b->flight, NULL, f);
                f->state = STOP_BATCH_NONE;
                n++;
        }
        b->in_flight = 0;
        b->n_released_slow += n;
        return n;
}

int stop_batch_parse_limit(const char *s, unsigned *ret) {
        unsigned v;

        if (!s || parse_uint(s, &v) < 0 || v == 0 || v > STOP_BATCH_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}
