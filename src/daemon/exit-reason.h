/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exit reasons (SPEC "Exit reasons") and the pure classification of an
 * agent's end from what the daemon saw. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

typedef enum ExitReason {
        EXIT_REASON_NONE,           /* not ended yet: "" */
        EXIT_REASON_EXITED,
        EXIT_REASON_SIGNAL,
        EXIT_REASON_OOM,
        EXIT_REASON_SECCOMP,
        EXIT_REASON_TIMEOUT,
        EXIT_REASON_CPU_TIMEOUT,
        EXIT_REASON_START_TIMEOUT,
        EXIT_REASON_WATCHDOG,
        EXIT_REASON_UNHEALTHY,
        EXIT_REASON_STOPPED,
        EXIT_REASON_SHUTDOWN,
        EXIT_REASON_SPAWN_FAILED,
        EXIT_REASON_LOST,           /* ended while no daemon ran (state-file.h); status 0 */
        _EXIT_REASON_MAX,
        _EXIT_REASON_INVALID = -EINVAL,
} ExitReason;

typedef enum KilledBy {
        KILLED_BY_NONE,             /* "": it ended by itself */
        KILLED_BY_DAEMON,
        KILLED_BY_KERNEL,
        KILLED_BY_POLICY,
        KILLED_BY_OTHER,
        _KILLED_BY_MAX,
        _KILLED_BY_INVALID = -EINVAL,
} KilledBy;

const char *exit_reason_to_string(ExitReason r);
ExitReason exit_reason_from_string(const char *s);
const char *killed_by_to_string(KilledBy k);
KilledBy killed_by_from_string(const char *s);
/* OTP: exited with 0, stopped and shutdown are normal. */
bool exit_reason_is_normal(ExitReason r, int status);

typedef struct ExitFacts {
        bool spawn_failed;          /* spawn_errno is then the errno (positive) */
        int spawn_errno;
        int code;                   /* CLD_EXITED, CLD_KILLED, CLD_DUMPED of the main process */
        int status;                 /* exit code or signal */
        ExitReason daemon_reason;   /* why the daemon killed it, EXIT_REASON_NONE if it did not */
        /* With daemon_reason EXIT_REASON_LOST: the daemon killed it itself
         * (its seccomp listener was lost with a crashed daemon), rather than
         * finding it gone. */
        bool daemon_killed;
        int daemon_signal;          /* a signal the daemon sent on request (KillAgent), 0 if none */
        uint64_t oom_kills;         /* OOM kills in its cgroup during this invocation */
        bool has_filter;            /* it ran under a seccomp policy */
} ExitFacts;

typedef struct ExitRecord {
        ExitReason reason;
        int status;
        KilledBy killed_by;
} ExitRecord;

/* Decides, in this order: spawn failure; an OOM kill by the kernel; a kill
 * the daemon made (its reason, whatever the main process did after the
 * signal); SIGSYS under a policy (seccomp); any other signal; a plain exit. */
ExitRecord exit_classify(const ExitFacts *f);
