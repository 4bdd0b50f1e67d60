/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure classification of how an agent ended. */
#include <signal.h>
#include <sys/wait.h>

#include "exit-reason.h"
#include "string-table.h"

static const char *const exit_reason_table[_EXIT_REASON_MAX] = {
        [EXIT_REASON_NONE] = "",
        [EXIT_REASON_EXITED] = "exited",
        [EXIT_REASON_SIGNAL] = "signal",
        [EXIT_REASON_OOM] = "oom",
        [EXIT_REASON_SECCOMP] = "seccomp",
        [EXIT_REASON_TIMEOUT] = "timeout",
        [EXIT_REASON_CPU_TIMEOUT] = "cpu-timeout",
        [EXIT_REASON_START_TIMEOUT] = "start-timeout",
        [EXIT_REASON_WATCHDOG] = "watchdog",
        [EXIT_REASON_UNHEALTHY] = "unhealthy",
        [EXIT_REASON_STOPPED] = "stopped",
        [EXIT_REASON_SHUTDOWN] = "shutdown",
        [EXIT_REASON_SPAWN_FAILED] = "spawn-failed",
        [EXIT_REASON_LOST] = "lost",
};

static const char *const killed_by_table[_KILLED_BY_MAX] = {
        [KILLED_BY_NONE] = "",
        [KILLED_BY_DAEMON] = "daemon",
        [KILLED_BY_KERNEL] = "kernel",
        [KILLED_BY_POLICY] = "policy",
        [KILLED_BY_OTHER] = "other",
};

DEFINE_STRING_TABLE_LOOKUP(exit_reason, ExitReason);
DEFINE_STRING_TABLE_LOOKUP(killed_by, KilledBy);

bool exit_reason_is_normal(ExitReason r, int status) {
        return (r == EXIT_REASON_EXITED && status == 0) || r == EXIT_REASON_STOPPED ||
               r == EXIT_REASON_SHUTDOWN;
}

/* Signals a process raises on itself through a fault or abort(): a death by
 * one of them is the agent's own doing, not somebody else's kill. */
static bool signal_is_synchronous(int sig) {
        switch (sig) {
        case SIGSEGV:
        case SIGBUS:
        case SIGILL:
        case SIGFPE:
        case SIGABRT:
        case SIGTRAP:
                return true;
        default:
                return false;
        }
}

ExitRecord exit_classify(const ExitFacts *f) {
        bool signaled = f->code == CLD_KILLED || f->code == CLD_DUMPED;

        if (f->spawn_failed)
                return (ExitRecord) { EXIT_REASON_SPAWN_FAILED, f->spawn_errno, KILLED_BY_NONE };
        /* Nobody saw how it ended: no status, and no one to blame; unless
         * the daemon ended it itself for what was lost (the status is still
         * not one it saw: the process may not be its child). */
        if (f->daemon_reason == EXIT_REASON_LOST)
                return (ExitRecord) { EXIT_REASON_LOST, 0, f->daemon_killed ? KILLED_BY_DAEMON : KILLED_BY_NONE };

        /* The OOM killer picks a victim by badness: it may be a child while
         * the main process then exits on its own. Any OOM kill in the group
         * is the true cause unless the daemon ended the agent first. */
        if (f->oom_kills > 0 && f->daemon_reason == EXIT_REASON_NONE)
                return (ExitRecord) { EXIT_REASON_OOM, signaled ? f->status : SIGKILL, KILLED_BY_KERNEL };

        /* A `kill report` rule: the daemon killed it on its policy's behalf
         * (agent-violation.c), which the SPEC reports as a seccomp kill. */
        if (f->daemon_reason == EXIT_REASON_SECCOMP)
                return (ExitRecord) { EXIT_REASON_SECCOMP, SIGSYS, KILLED_BY_POLICY };
        if (f->daemon_reason != EXIT_REASON_NONE)
                return (ExitRecord) { f->daemon_reason, f->status, KILLED_BY_DAEMON };

        if (signaled && f->status == SIGSYS && f->has_filter)
                return (ExitRecord) { EXIT_REASON_SECCOMP, SIGSYS, KILLED_BY_POLICY };

        if (signaled && f->daemon_signal == f->status)
                return (ExitRecord) { EXIT_REASON_SIGNAL, f->status, KILLED_BY_DAEMON };

        if (signaled)
                return (ExitRecord) { EXIT_REASON_SIGNAL, f->status,
                                      signal_is_synchronous(f->status) ? KILLED_BY_NONE : KILLED_BY_OTHER };

        return (ExitRecord) { EXIT_REASON_EXITED, f->status, KILLED_BY_NONE };
}
