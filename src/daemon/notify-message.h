/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sd_notify datagram protocol: newline-separated KEY=VALUE assignments.
 * Pure parser; the socket side is notify.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest STATUS= text kept (after escaping); longer texts are cut at a
 * character boundary. */
#define NOTIFY_STATUS_MAX 1024
/* Datagrams larger than this are read truncated (MSG_TRUNC) and rejected. */
#define NOTIFY_DATAGRAM_MAX 4096

typedef struct NotifyMessage {
        bool ready;                       /* READY=1 */
        bool stopping;                    /* STOPPING=1 */
        bool watchdog_ping;               /* WATCHDOG=1 */
        bool watchdog_trigger;            /* WATCHDOG=trigger */
        bool has_status;
        char status[NOTIFY_STATUS_MAX + 1];
        bool has_errno;
        int errno_value;                  /* ERRNO=, 0..4095 */
        unsigned n_ignored;               /* malformed lines (unknown keys are accepted and ignored) */
} NotifyMessage;

/* STATUS= text as it may go out on the bus: valid UTF-8 without control
 * characters (others escaped as \xNN), cut to NOTIFY_STATUS_MAX bytes. */
void notify_status_sanitize(const char *text, size_t len, char ret[static NOTIFY_STATUS_MAX + 1]);

/* Parses `size` bytes (not NUL-terminated; embedded NULs make the datagram
 * malformed). Returns 0, or -EMSGSIZE when size exceeds NOTIFY_DATAGRAM_MAX,
 * -EBADMSG when the datagram holds a NUL or no valid assignment at all. */
int notify_message_parse(const char *buf, size_t size, NotifyMessage *ret);

/* The per-agent budget of notify messages: a token bucket refilled at
 * NOTIFY_RATE_PER_SEC, holding at most NOTIFY_RATE_BURST. A flood from one
 * agent costs the daemon no more than that many messages a second. */
#define NOTIFY_RATE_PER_SEC 100u
#define NOTIFY_RATE_BURST 200u

typedef struct NotifyRateLimit {
        uint64_t tokens;                  /* in millionths of a message */
        uint64_t last_usec;
        bool started;
} NotifyRateLimit;

/* Whether one more message fits at monotonic time now_usec (the first call
 * starts with a full bucket); takes its token when it does. */
bool notify_ratelimit_take(NotifyRateLimit *rl, uint64_t now_usec);
