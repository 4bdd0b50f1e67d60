/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy violations (see agent-violation.h). One listener per invocation
 * whose policy reports, polled in the event loop like the pidfd. Each
 * notification is answered at once with the rule's action, taken from the
 * policy's real filter (policy_answer()); the agent never waits on the
 * daemon longer than that. A `kill` answer ends the agent as seccomp/31.
 * Nothing here blocks: a notification is received only when poll() says one
 * is pending, and at most a batch per wake-up so that an agent making
 * thousands a second cannot starve the bus or other agents. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "agent-internal.h"
#include "agent-learn.h"
#include "agent-violation.h"
#include "cgroup.h"
#include "dbus-violation.h"
#include "log.h"

/* Notifications handled per wake-up; the loop comes back for the rest. */
#define NOTIFY_BATCH 64U

bool violation_rate_allow(ViolationRate *r, usec_t now) {
        /* sent[next] is the oldest of the last VIOLATION_SIGNALS_PER_SEC. */
        usec_t oldest = r->sent[r->next];

        if (oldest != 0 && now < usec_add(oldest, USEC_PER_SEC))
                return false;
        r->sent[r->next] = now ?: 1;
        r->next = (r->next + 1) % VIOLATION_SIGNALS_PER_SEC;
        return true;
}

const char *violation_syscall_name(int nr, char *buf, size_t size) {
        const char *name = policy_syscall_name(nr);

        if (name)
                return name;
        (void) snprintf(buf, size, "syscall-%d", nr);
        return buf;
}

static AgentViolations *violations_get(Agent *a) {
        if (!a->violations) {
                a->violations = calloc(1, sizeof(AgentViolations));
                if (a->violations)
                        a->violations->listener_fd = -EBADF;
        }
        return a->violations;
}

uint64_t agent_violation_count(const Agent *a) {
        return a->violations ? a->violations->count : 0;
}

unsigned agent_violation_recent(const Agent *a, const ViolationRecord **ret, unsigned max) {
        const AgentViolations *v = a->violations;
        unsigned n, first;

        if (!v)
                return 0;
        n = MIN(v->n_recent, max);
        first = v->n_recent < VIOLATIONS_RECENT_MAX ? 0 : v->recent_next;
        /* The newest n, oldest first. */
        first = (first + v->n_recent - n) % VIOLATIONS_RECENT_MAX;
        for (unsigned i = 0; i < n; i++)
                ret[i] = &v->recent[(first + i) % VIOLATIONS_RECENT_MAX];
        return n;
}

static void record(AgentViolations *v, const struct seccomp_data *d, uint32_t action) {
        ViolationRecord *rec = &v->recent[v->recent_next];

        *rec = (ViolationRecord) { .realtime = now_realtime(), .nr = d->nr, .action = action };
        memcpy(rec->args, d->args, sizeof(rec->args));
        v->recent_next = (v->recent_next + 1) % VIOLATIONS_RECENT_MAX;
        if (v->n_recent < VIOLATIONS_RECENT_MAX)
                v->n_recent++;
        v->count++;
}

/* A `kill` rule: the whole agent goes at once (cgroup.kill: nothing in it
 * runs another instruction), recorded as its policy's kill. */
static void violation_kill(Agent *a) {
        if (a->kill_reason == EXIT_REASON_NONE)
                a->kill_reason = EXIT_REASON_SECCOMP;
        if (a->cgroup)
                (void) cgroup_kill(a->cgroup);
        agent_stop(a, EXIT_REASON_SECCOMP);
}

static void answer(Agent *a, int fd, const struct seccomp_notif *req) {
        AgentViolations *v = a->violations;
        struct seccomp_notif_resp resp = { .id = req->id };
        uint32_t action = SECCOMP_RET_ERRNO | EPERM;
        char buf[32];
        bool valid;

        if (v->learn) {
                /* Learn mode (root only, explicitly asked for): the syscall
                 * runs as if no filter were there. See agent-learn.c. */
                agent_learn_record(a, &req->data);
                resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                (void) ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
                return;
        }

        /* What the policy says; should it fail, refuse (fail closed). */
        if (!a->policy || policy_answer(a->policy, &req->data, &action) < 0)
                action = SECCOMP_RET_ERRNO | EPERM;
        /* Whether the caller still waits: it may have gone since the RECV
         * (a signal, its group killed). The attempt counts either way, and
         * a kill rule still ends the agent. */
        valid = ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) >= 0;

        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_KILL_PROCESS:
        case SECCOMP_RET_KILL_THREAD:
                /* Killed before the answer: the refused call never returns. */
                violation_kill(a);
                resp.error = -EPERM;
                break;
        case SECCOMP_RET_ERRNO:
                resp.error = -(int32_t) (action & SECCOMP_RET_DATA);
                break;
        default:
                /* Report rules refuse (the parser takes kill and errno only). */
                resp.error = -EPERM;
        }
        /* ENOENT: the caller went after all (killed, or by a signal). */
        if (valid && ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
                log_agent_warning(a->name, "cannot answer its syscall %s: %m",
                                  violation_syscall_name(req->data.nr, buf, sizeof(buf)));

        record(v, &req->data, action);
        if (violation_rate_allow(&v->rate, now_monotonic()))
                bus_emit_policy_violation(a, &v->recent[(v->recent_next + VIOLATIONS_RECENT_MAX - 1) %
                                                       VIOLATIONS_RECENT_MAX]);
}

/* Whether a notification is pending: NOTIF_RECV would block otherwise. A
 * pending one that vanishes before the RECV (its caller killed) makes RECV
 * fail with ENOENT, it does not block. */
static bool pending(int fd) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static void listener_close(AgentViolations *v) {
        v->source = sd_event_source_disable_unref(v->source);
        v->listener_fd = safe_close(v->listener_fd);
}

static int on_listener(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        AgentViolations *v = a->violations;

        for (unsigned i = 0; i < NOTIFY_BATCH && v->listener_fd >= 0 && pending(fd); i++) {
                struct seccomp_notif req = {};

                if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                        if (errno == ENOENT || errno == EINTR)
                                continue;
                        log_agent_warning(a->name, "cannot read its seccomp listener: %m");
                        break;
                }
                answer(a, fd, &req);
        }
        /* Every task under the filter is gone: nothing more will come. */
        if (v->listener_fd >= 0 && (revents & (EPOLLHUP | EPOLLERR)) && !pending(fd))
                listener_close(v);
        return 0;
}

/* User notification, and a spawn() that can hand the listener over
 * (clone3, and pidfd_getfd() which came after it), probed at start with
 * pidfd_getfd() actually allowed (CAP_SYS_PTRACE, no seccomp filter on the
 * daemon refusing it): kernel_features_probe(). */
static bool can_notify(const Agent *a) {
        return a->manager->features.seccomp_notify_handover;
}

int agent_violation_prepare(Agent *a, SpawnParams *p, int *listener_fd) {
        bool learn = a->spec.policy_mode == POLICY_MODE_LEARN;
        AgentViolations *v;
        int r;

        *listener_fd = -EBADF;
        /* An agent whose policy does not report holds nothing here. */
        if (!learn && (!a->policy || !policy_has_report(a->policy)) && !a->violations)
                return 0;
        v = violations_get(a);
        if (!v)
                return -ENOMEM;
        listener_close(v);
        v->count = 0;
        v->n_recent = v->recent_next = 0;
        v->rate = (ViolationRate) {};
        v->learn = v->lost = false;
        free(v->learn_filter.filter);
        v->learn_filter = (struct sock_fprog) {};

        if (learn) {
                /* Nothing to learn with: refuse rather than run unwatched. */
                if (!can_notify(a))
                        return -EOPNOTSUPP;
                r = agent_learn_prepare(a, &v->learn_filter);
                if (r < 0)
                        return r;
                v->learn = true;
                p->filter = NULL;
                p->notify_filter = &v->learn_filter;
                p->ret_listener_fd = listener_fd;
                return 0;
        }
        if (!a->policy || !policy_has_report(a->policy))
                return 0;
        /* A kernel without user notification or clone3: the plain filter,
         * whose report rules simply act. Nothing is weakened, only not
         * reported. */
        if (!can_notify(a))
                return 0;
        p->filter = policy_enforce_filter(a->policy);
        p->notify_filter = policy_notify_filter(a->policy);
        p->ret_listener_fd = listener_fd;
        return 0;
}

void agent_violation_started(Agent *a, int listener_fd) {
        AgentViolations *v = a->violations;
        int r;

        if (listener_fd < 0)
                return;
        /* Loaded: the copy in the spawn parameters is no longer needed. */
        free(v->learn_filter.filter);
        v->learn_filter = (struct sock_fprog) {};
        v->listener_fd = listener_fd;
        r = sd_event_add_io(a->manager->event, &v->source, listener_fd, EPOLLIN, on_listener, a);
        if (r < 0) {
                log_agent_full(LOG_ERR, a->name, "cannot watch its seccomp listener, killing it: %s", strerror(-r));
                v->listener_fd = safe_close(v->listener_fd);
                violation_kill(a);
                return;
        }
        (void) sd_event_source_set_description(v->source, "seccomp-listener");
}

void agent_violation_end(Agent *a) {
        if (a->violations)
                listener_close(a->violations);
}

void agent_violation_free(Agent *a) {
        AgentViolations *v = a->violations;

        if (!v)
                return;
        listener_close(v);
        free(v->learn_filter.filter);
        agent_learn_free(v->learned);
        a->violations = mfree(v);
}
