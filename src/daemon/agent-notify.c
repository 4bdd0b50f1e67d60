/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sd_notify messages of a running invocation (READY=, STATUS=, ERRNO=,
 * WATCHDOG=, STOPPING=), as notify.c has parsed and attributed them. */
#include <string.h>

#include "agent-freeze.h"
#include "agent-internal.h"
#include "log.h"
#include "notify-message.h"
#include "time-util.h"

/* An agent may send STATUS= and ERRNO= thousands of times a second; the bus
 * hears of them at most once per STATUS_SIGNAL_INTERVAL per agent, and
 * always of the last value (a timer sends what is pending). Reading the
 * properties gives the current value at any time. */
#define STATUS_SIGNAL_INTERVAL (250 * USEC_PER_MSEC)

static void status_emit(Agent *a) {
        bool text = a->status_text_changed, err = a->status_errno_changed;

        a->status_text_changed = a->status_errno_changed = false;
        a->status_emitted = now_monotonic();
        agent_changed(a, (text ? AGENT_PROP_STATUS_TEXT : 0) | (err ? AGENT_PROP_STATUS_ERRNO : 0));
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        status_emit(userdata);
        return 0;
}

static void status_changed(Agent *a) {
        usec_t next = a->status_emitted + STATUS_SIGNAL_INTERVAL;
        int enabled = SD_EVENT_OFF;

        if (now_monotonic() >= next) {
                status_emit(a);
                return;
        }
        if (a->status_timer && sd_event_source_get_enabled(a->status_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        /* Without a timer, too many signals rather than a lost one. */
        if (agent_timer_set(a, &a->status_timer, next, STATUS_SIGNAL_INTERVAL / 5, on_status_timer) < 0)
                status_emit(a);
}

void agent_notify(Agent *a, const void *msg) {
        const NotifyMessage *n = msg;

        if (!agent_is_active(a) || a->kill_reason != EXIT_REASON_NONE)
                return;
        if (n->has_status && (!a->status_text || strcmp(a->status_text, n->status) != 0)) {
                char *t = strdup(n->status);
                if (t) {
                        free(a->status_text);
                        a->status_text = t;
                        a->status_text_changed = true;
                }
        }
        if (n->has_errno && a->status_errno != n->errno_value) {
                a->status_errno = n->errno_value;
                a->status_errno_changed = true;
        }
        if (a->status_text_changed || a->status_errno_changed)
                status_changed(a);
        if (n->ready && !a->ready)
                agent_enter_running(a);
        if (n->watchdog_trigger) {
                agent_terminate(a, EXIT_REASON_WATCHDOG);
                return;
        }
        if (n->watchdog_ping && a->ready && !agent_watchdog_ping(a))
                return;
        if (n->stopping)
                log_agent_info(a->name, "reports it is stopping");
        /* Sent before the freeze, read after it: the timers stay paused. */
        agent_freeze_hold_timers(a);
}
