/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Carries out the stop window (stop-batch-agent.h). One time source drives
 * it: due at once when a slot was given back and agents wait, else when the
 * window has made no progress for STOP_BATCH_SLOW_USEC. */
#include <limits.h>
#include <stdlib.h>

#include "agent-internal.h"
#include "log.h"
#include "stop-batch-agent.h"
#include "time-util.h"

/* A window in which no agent ended for this long holds agents that ignore
 * SIGTERM; they are on their AgentTimeoutSec, which ends them with
 * cgroup.kill. The next batch goes meanwhile, so stops still advance by at
 * most one window per this interval. */
#define STOP_BATCH_SLOW_USEC (1 * USEC_PER_SEC)

static StopBatch *batch(Manager *m) {
        unsigned limit = STOP_BATCH_DEFAULT;
        const char *e;

        if (m->stop_batch.limit > 0)
                return &m->stop_batch;
        /* For tests and measurements, as AGENTVISOR_NETNS_POOL. */
        e = getenv("AGENTVISOR_STOP_BATCH");
        if (e && stop_batch_parse_limit(e, &limit) < 0) {
                log_warning("AGENTVISOR_STOP_BATCH=%s: not a number from 1 to %u, using %u", e, STOP_BATCH_MAX,
                            STOP_BATCH_DEFAULT);
                limit = STOP_BATCH_DEFAULT;
        }
        stop_batch_init(&m->stop_batch, limit);
        return &m->stop_batch;
}

static void batch_arm(Manager *m, usec_t when);

/* Stops queued agents while slots are free. */
static void batch_fill(Manager *m, StopBatch *b) {
        StopBatchNode *n;

        while ((n = stop_batch_next(b))) {
                Agent *a = n->userdata;

                m->stop_batch_progress = now_monotonic();
                agent_stop(a, (ExitReason) n->reason);
                /* Ended already (between its queueing and now): no slot. */
                if (!agent_is_active(a))
                        stop_batch_drop(b, n);
        }
}

static int on_batch_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        StopBatch *b = batch(m);

        if (b->in_flight > 0 && now_monotonic() >= usec_add(m->stop_batch_progress, STOP_BATCH_SLOW_USEC)) {
                unsigned k = stop_batch_release_slow(b);
                log_info("%u stopped agents have not ended within %s; stopping the next %u", k, "1s", b->limit);
        }
        batch_fill(m, b);
        if (stop_batch_pending(b))
                batch_arm(m, usec_add(m->stop_batch_progress, STOP_BATCH_SLOW_USEC));
        return 0;
}

static void batch_arm(Manager *m, usec_t when) {
        StopBatch *b = batch(m);
        int r;

        if (!m->stop_batch_timer) {
                /* Accuracy 1 us, not sd-event's default 250 ms: "at once"
                 * must not wait for the loop's next wakeup window. */
                r = sd_event_add_time(m->event, &m->stop_batch_timer, CLOCK_MONOTONIC, when, 1, on_batch_timer, m);
                if (r >= 0)
                        return;
        } else {
                r = sd_event_source_set_time(m->stop_batch_timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->stop_batch_timer, SD_EVENT_ONESHOT);
                if (r >= 0)
                        return;
        }
        /* Without the timer queued agents would never stop: no window. */
        log_error("cannot arm the stop batch timer (%s): stopping every waiting agent at once", strerror(-r));
        b->limit = UINT_MAX;
        batch_fill(m, b);
}

void agent_stop_batched(Agent *a, ExitReason reason) {
        Manager *m = a->manager;
        StopBatch *b = batch(m);

        if (!agent_is_active(a))
                return;
        if (a->stop_node.state == STOP_BATCH_IN_FLIGHT) {
                agent_stop(a, reason);
                return;
        }
        if (stop_batch_request(b, &a->stop_node, reason, a)) {
                m->stop_batch_progress = now_monotonic();
                agent_stop(a, reason);
                if (!agent_is_active(a))
                        stop_batch_drop(b, &a->stop_node);
                return;
        }
        if (a->stop_node.state != STOP_BATCH_QUEUED)
                return;
        /* What agent_stop() marks at once, so that an agent ending on its
         * own, or a timer, while it waits does not change why it ended. */
        agent_stop_mark(a, reason);
        if (!m->stop_batch_timer || sd_event_source_get_enabled(m->stop_batch_timer, NULL) <= 0)
                batch_arm(m, usec_add(m->stop_batch_progress, STOP_BATCH_SLOW_USEC));
}

void agent_stop_batch_ended(Agent *a) {
        Manager *m = a->manager;
        StopBatch *b = &m->stop_batch;
        bool had_slot = a->stop_node.state == STOP_BATCH_IN_FLIGHT;

        if (a->stop_node.state == STOP_BATCH_NONE)
                return;
        stop_batch_drop(b, &a->stop_node);
        if (!had_slot)
                return;
        m->stop_batch_progress = now_monotonic();
        /* From the loop, not from inside this agent's end. */
        if (stop_batch_pending(b))
                batch_arm(m, m->stop_batch_progress);
}

bool agent_stop_batch_queued(const Agent *a) {
        return a->stop_node.state == STOP_BATCH_QUEUED;
}

void manager_stop_batch_done(Manager *m) {
        const StopBatch *b = &m->stop_batch;

        if (b->n_started > 0)
                log_info("stopped %" PRIu64 " agents, at most %u at once (AGENTVISOR_STOP_BATCH=%u), %" PRIu64
                         " waited for a slot, %" PRIu64 " were slow to end",
                         b->n_started, b->max_in_flight, b->limit, b->n_deferred, b->n_released_slow);
        m->stop_batch_timer = sd_event_source_disable_unref(m->stop_batch_timer);
}
