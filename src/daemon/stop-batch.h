/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bounded window of agent stops (issue 16). Every process of an agent
 * frees a seccomp filter when it ends, and the kernel frees filters from a
 * workqueue under one mutex (docs/benchmarks.md, "Freeing seccomp
 * filters"): a shutdown or group stop of thousands of agents must not end
 * them all at once. Stops beyond the window wait in a FIFO; a slot frees
 * when its agent has ended, or when the whole window is declared slow (its
 * agents ignore SIGTERM and are on their own AgentTimeoutSec).
 *
 * Pure: no clock, no event loop, no agent. The node lives in its owner. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define STOP_BATCH_DEFAULT 64U
#define STOP_BATCH_MAX 100000U

typedef enum StopBatchState {
        STOP_BATCH_NONE,                 /* not in the batch */
        STOP_BATCH_QUEUED,               /* waits for a slot */
        STOP_BATCH_IN_FLIGHT,            /* stopped, holds a slot until it ends */
} StopBatchState;

typedef struct StopBatchNode {
        struct StopBatchNode *prev, *next;
        StopBatchState state;
        int reason;                      /* the owner's: why it is stopped */
        void *userdata;
} StopBatchNode;

typedef struct StopBatch {
        unsigned limit;                  /* slots; 0: not initialised */
        unsigned in_flight, queued;
        StopBatchNode *queue_head, *queue_tail;
        StopBatchNode *flight;           /* the window, unordered */
        /* For the log and the tests. */
        unsigned max_in_flight;
        uint64_t n_started, n_deferred, n_released_slow;
} StopBatch;

void stop_batch_init(StopBatch *b, unsigned limit);
/* true: stop it now, it holds a slot; false: queued (or already in the
 * batch, where it stays as it was). */
bool stop_batch_request(StopBatch *b, StopBatchNode *n, int reason, void *userdata);
/* Its agent ended or is freed: gives back its slot or its place. */
void stop_batch_drop(StopBatch *b, StopBatchNode *n);
/* The next queued node that may go now (it then holds a slot), or NULL. */
StopBatchNode *stop_batch_next(StopBatch *b);
/* The window made no progress: its nodes stop counting, so as many new
 * stops may go. Returns how many were released. */
unsigned stop_batch_release_slow(StopBatch *b);
static inline bool stop_batch_pending(const StopBatch *b) {
        return b->queue_head;
}
/* AGENTVISOR_STOP_BATCH's value: 0 and garbage give -EINVAL. */
int stop_batch_parse_limit(const char *s, unsigned *ret);
