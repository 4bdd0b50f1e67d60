/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp listener and what was counted, across a daemon's re-exec and
 * takeover (SPEC "Live upgrade and recovery", see daemon-state.h).
 *
 * Reexecute keeps the listener fd open across execve() and passes what was
 * counted (the count, the last violations, the signal window, learn mode's
 * recorded set) in its memfd: the new image polls the listener again and
 * nothing is weakened or forgotten.
 *
 * After a crash the listener is gone: only the kernel held it, and a
 * notify filter without one answers every notified syscall with ENOSYS.
 * What that means depends on the rules:
 * - errno rules that report still refuse the syscall (ENOSYS instead of
 *   their errno), only unreported: the agent is taken over, marked
 *   (PolicyReportLost, `agentctl status`) and a warning names it;
 * - a `kill ... report` rule no longer kills, and learn mode learns nothing
 *   and refuses what it should allow: the sandbox is not the one asked
 *   for, so the agent is ended (reason `lost`, killed by the daemon) and
 *   handled by its restart type, which starts it under its policy with a
 *   listener again. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-internal.h"
#include "agent-learn.h"
#include "agent-violation.h"
#include "cgroup.h"
#include "log.h"
#include "state-file.h"

AgentViolations *agent_violations_free(AgentViolations *v) {
        if (!v)
                return NULL;
        sd_event_source_disable_unref(v->source);
        safe_close(v->listener_fd);
        free(v->learn_filter.filter);
        agent_learn_free(v->learned);
        return mfree(v);
}

bool agent_violation_lost(const Agent *a) {
        return a->violations && a->violations->lost;
}

unsigned agent_violation_listener_record(const Agent *a) {
        const AgentViolations *v = a->violations;

        if (!v)
                return LISTENER_RECORD_NONE;
        if (v->lost)
                return LISTENER_RECORD_LOST;
        return v->listener_fd >= 0 ? LISTENER_RECORD_LIVE : LISTENER_RECORD_NONE;
}

int agent_violation_serialize(const Agent *a, FILE *f, int *ret_listener_fd) {
        const AgentViolations *v = a->violations;
        char prefix[256];

        *ret_listener_fd = -EBADF;
        if (!v)
                return 0;
        fprintf(f, "viol %s count %" PRIu64 " %u %u %u %d %d", a->name, v->count, v->rate.next, v->n_recent,
                v->recent_next, v->learn, v->lost);
        for (unsigned i = 0; i < VIOLATION_SIGNALS_PER_SEC; i++)
                fprintf(f, " %" PRIu64, v->rate.sent[i]);
        fputc('\n', f);
        for (unsigned i = 0; i < MIN(v->n_recent, (unsigned) VIOLATIONS_RECENT_MAX); i++) {
                const ViolationRecord *r = &v->recent[i];

                fprintf(f, "viol %s recent %u %" PRIu64 " %d %" PRIu32, a->name, i, r->realtime, r->nr, r->action);
                for (unsigned j = 0; j < 6; j++)
                        fprintf(f, " %" PRIu64, r->args[j]);
                fputc('\n', f);
        }
        snprintf(prefix, sizeof prefix, "learn %s ", a->name);
        if (v->learned && learn_set_serialize(v->learned, f, prefix) < 0)
                return -ENOMEM;
        /* Only a listener that is still polled: one whose tasks are all
         * gone has nothing more to say. */
        if (v->listener_fd >= 0 && v->source) {
                fprintf(f, "listener %s %d\n", a->name, v->listener_fd);
                *ret_listener_fd = v->listener_fd;
        }
        return ferror(f) ? -ENOMEM : 0;
}

static int deserialize_count(AgentViolations *v, const char *rest) {
        unsigned next, n, recent_next;
        int learn, lost, off = 0;

        if (sscanf(rest, "count %" SCNu64 " %u %u %u %d %d%n", &v->count, &next, &n, &recent_next, &learn, &lost,
                   &off) != 6 ||
            next >= VIOLATION_SIGNALS_PER_SEC || n > VIOLATIONS_RECENT_MAX || recent_next >= VIOLATIONS_RECENT_MAX)
                return -EBADMSG;
        v->rate.next = next;
        v->n_recent = n;
        v->recent_next = recent_next;
        v->learn = learn;
        v->lost = lost;
        rest += off;
        for (unsigned i = 0; i < VIOLATION_SIGNALS_PER_SEC; i++) {
                if (sscanf(rest, " %" SCNu64 "%n", &v->rate.sent[i], &off) != 1)
                        return -EBADMSG;
                rest += off;
        }
        return *rest ? -EBADMSG : 0;
}

static int deserialize_recent(AgentViolations *v, const char *rest) {
        ViolationRecord r = {};
        unsigned i;
        int off = 0;

        if (sscanf(rest, "recent %u %" SCNu64 " %d %" SCNu32 "%n", &i, &r.realtime, &r.nr, &r.action, &off) != 4 ||
            i >= VIOLATIONS_RECENT_MAX)
                return -EBADMSG;
        rest += off;
        for (unsigned j = 0; j < 6; j++) {
                if (sscanf(rest, " %" SCNu64 "%n", &r.args[j], &off) != 1)
                        return -EBADMSG;
                rest += off;
        }
        if (*rest)
                return -EBADMSG;
        v->recent[i] = r;
        return 0;
}

int agent_violation_deserialize(AgentViolations **v, const char *kind, const char *rest) {
        if (!*v) {
                *v = calloc(1, sizeof(AgentViolations));
                if (!*v)
                        return -ENOMEM;
                (*v)->listener_fd = -EBADF;
        }
        if (strcmp(kind, "learn") == 0)
                return learn_set_deserialize(&(*v)->learned, rest);
        if (strncmp(rest, "count ", 6) == 0)
                return deserialize_count(*v, rest);
        if (strncmp(rest, "recent ", 7) == 0)
                return deserialize_recent(*v, rest);
        return -EBADMSG;
}

/* Whether its invocation loaded a notify filter: told by the state file,
 * or, in a file of the version before it was kept, by its policy. */
static bool had_listener(const Agent *a, unsigned recorded) {
        if (recorded == LISTENER_RECORD_UNKNOWN)
                return a->spec.policy_mode == POLICY_MODE_LEARN || !a->policy || policy_has_report(a->policy);
        return recorded == LISTENER_RECORD_LIVE || recorded == LISTENER_RECORD_LOST;
}

static void listener_lost(Agent *a, unsigned recorded) {
        bool learn = a->spec.policy_mode == POLICY_MODE_LEARN;

        if (!a->violations) {
                a->violations = calloc(1, sizeof(AgentViolations));
                if (!a->violations) {
                        log_agent_full(LOG_ERR, a->name, "out of memory: ending it");
                        agent_terminate(a, EXIT_REASON_LOST);
                        return;
                }
                a->violations->listener_fd = -EBADF;
        }
        a->violations->lost = true;
        if (learn || !a->policy || policy_reports_kill(a->policy)) {
                log_agent_full(LOG_ERR, a->name,
                               "its seccomp listener was lost with the previous daemon: %s; ending it, to start "
                               "again (by its restart type) under its policy with a listener",
                               learn ? "learn mode would learn nothing and refuse what it should allow"
                               : a->policy ? "its `kill ... report` rules would no longer kill"
                                           : "its policy cannot be loaded to tell what is weakened");
                if (a->kill_reason == EXIT_REASON_NONE)
                        a->kill_reason = EXIT_REASON_LOST;
                (void) cgroup_kill(a->cgroup);
                agent_stop(a, EXIT_REASON_LOST);
                return;
        }
        log_agent_full(LOG_WARNING, a->name,
                       "its seccomp listener was lost with the previous daemon%s: the report rules of policy %s "
                       "now refuse with ENOSYS instead of their errno, and are no longer counted or signalled "
                       "(PolicyReportLost=yes); restart the agent to have them reported again",
                       recorded == LISTENER_RECORD_LOST ? " (already before)" : "", policy_name(a->policy));
}

void agent_violation_takeover(Agent *a, AgentViolations **carried, int *listener_fd, unsigned recorded) {
        bool alive = a->pidfd >= 0 && agent_is_active(a);
        int fd = listener_fd ? TAKE_FD(*listener_fd) : -EBADF;

        if (carried && *carried) {
                agent_violation_free(a);
                a->violations = TAKE_PTR(*carried);
        }
        if (fd >= 0 && alive && a->violations) {
                agent_violation_started(a, fd);
                return;
        }
        safe_close(fd);
        if (a->violations && !alive)
                a->violations->lost = false;
        /* An agent being stopped anyway is let go as it is. */
        if (!alive || a->main_exited || a->kill_reason != EXIT_REASON_NONE || !had_listener(a, recorded))
                return;
        listener_lost(a, recorded);
}
