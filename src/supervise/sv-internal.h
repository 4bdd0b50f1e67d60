/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks of the supervision core that supervise.h does not show: the
 * action queue, the backoff timer heap and the restart-intensity log. Each is
 * a plain data structure that knows nothing about the supervision tree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervise.h"

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))

/* FIFO of actions for the daemon, a ring buffer. The core reserves room as
 * agents and supervisors are added, so that a daemon which drains the queue
 * after every call never makes a push allocate. */
typedef struct SvActionQueue {
        SvAction *items;
        size_t head;
        size_t n;
        size_t cap;
} SvActionQueue;

int sv_action_queue_reserve(SvActionQueue *q, size_t total);
void sv_action_queue_push(SvActionQueue *q, const SvAction *a);
bool sv_action_queue_pop(SvActionQueue *q, SvAction *ret);
void sv_action_queue_done(SvActionQueue *q);

/* A deadline embedded in the object it belongs to; the heap holds pointers.
 * Equal deadlines fire in the order they were armed. */
typedef enum SvTimerKind {
        SV_TIMER_CHILD,         /* backoff before a one-for-one restart of a child */
        SV_TIMER_GROUP,         /* backoff before a supervisor's group restart */
} SvTimerKind;

#define SV_TIMER_IDLE SIZE_MAX

typedef struct SvTimer {
        usec_t deadline;
        uint64_t seq;
        size_t idx;             /* position in the heap, SV_TIMER_IDLE when not armed */
        SvTimerKind kind;
} SvTimer;

typedef struct SvTimerHeap {
        SvTimer **items;
        size_t n;
        size_t cap;
        uint64_t next_seq;
} SvTimerHeap;

void sv_timer_init(SvTimer *t, SvTimerKind kind);
static inline bool sv_timer_armed(const SvTimer *t) {
        return t->idx != SV_TIMER_IDLE;
}
int sv_timer_heap_reserve(SvTimerHeap *h, size_t total);
void sv_timer_heap_arm(SvTimerHeap *h, SvTimer *t, usec_t deadline);
void sv_timer_heap_disarm(SvTimerHeap *h, SvTimer *t);   /* no-op when not armed */
SvTimer *sv_timer_heap_peek(const SvTimerHeap *h);
void sv_timer_heap_done(SvTimerHeap *h);

/* A supervisor's restart times, oldest first, as a window over an array:
 * times[start .. start + n). Old entries are dropped when the log is used. */
typedef struct SvRestartLog {
        usec_t *times;
        size_t start;
        size_t n;
        size_t cap;
} SvRestartLog;

/* Drops the times that left the window ending at `now`. If one more restart
 * keeps the count within `max`, records `now` and returns true; otherwise
 * records nothing, returns false and sets *ret_count to the restarts the
 * window would have held. */
bool sv_restart_log_admit(SvRestartLog *l, usec_t now, usec_t window, unsigned max, unsigned *ret_count);
void sv_restart_log_clear(SvRestartLog *l);
void sv_restart_log_done(SvRestartLog *l);

/* The wait before the n-th consecutive restart (n >= 1). */
usec_t sv_backoff_delay(usec_t delay, usec_t max_delay, unsigned n);

/* Growth the core cannot report: pushes and timer arms happen inside void
 * event handlers. Reservations make it unreachable in normal use. */
_noreturn_ void sv_out_of_memory(void);
