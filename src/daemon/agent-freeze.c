/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Freezing and thawing an agent (see agent-freeze.h): the timers paused and
 * resumed, the kernel's freeze awaited through the event loop (cgroup.events
 * by inotify on cgroup v2, a bounded poll of the v1 freezer), and the
 * callers told when it is done. */
#include <string.h>
#include <sys/inotify.h>

#include "agent-freeze.h"
#include "agent-internal.h"
#include "cgroup-freeze.h"
#include "log.h"
#include "time-util.h"

/* The v1 freezer says nothing when it is done: polled this often. */
#define FREEZE_POLL_USEC (10 * USEC_PER_MSEC)

enum {
        SLOT_RUNTIME,
        SLOT_CPU,
        SLOT_START,
        SLOT_WATCHDOG,
        SLOT_HEALTH,
        _SLOT_MAX,
};

typedef struct Waiter {
        AgentFreezeWaiter cb;
        void *userdata;
} Waiter;

typedef struct AgentFreeze {
        bool done;                       /* the kernel says every process stopped */
        bool by_escalation;
        bool paused[_SLOT_MAX];
        usec_t left[_SLOT_MAX];          /* what each paused timer had left */
        usec_t deadline;                 /* AGENT_FREEZE_TIMEOUT_USEC from the request */
        usec_t since;                    /* when it was asked (CLOCK_MONOTONIC) */
        sd_event_source *timer;          /* the deadline (v2), or the poll (v1) */
        Waiter *waiters;
        size_t n_waiters;
} AgentFreeze;

static sd_event_source **slot(Agent *a, unsigned i) {
        switch (i) {
        case SLOT_RUNTIME:
                return &a->runtime_timer;
        case SLOT_CPU:
                return &a->cpu_timer;
        case SLOT_START:
                return &a->start_timer;
        case SLOT_WATCHDOG:
                return &a->watchdog_timer;
        default:
                return &a->health_timer;
        }
}

bool agent_is_frozen(const Agent *a) {
        return a->freeze != NULL;
}

/* Every armed timer of the invocation off, with what it had left. */
void agent_freeze_hold_timers(Agent *a) {
        AgentFreeze *f = a->freeze;
        usec_t now = now_monotonic();

        if (!f)
                return;
        for (unsigned i = 0; i < _SLOT_MAX; i++) {
                sd_event_source *s = *slot(a, i);
                int enabled = SD_EVENT_OFF;
                uint64_t when = 0;

                if (!s || sd_event_source_get_enabled(s, &enabled) < 0 || enabled == SD_EVENT_OFF)
                        continue;
                (void) sd_event_source_get_time(s, &when);
                f->left[i] = when > now ? when - now : 0;
                f->paused[i] = true;
                agent_timer_off(s);
        }
}

/* The paused timers on again, each with the time it had left; one that
 * cannot be armed ends the agent, as any limit that cannot be enforced. */
static void resume_timers(Agent *a, AgentFreeze *f) {
        usec_t now = now_monotonic();

        for (unsigned i = 0; i < _SLOT_MAX; i++) {
                sd_event_source *s = *slot(a, i);
                int r;

                if (!f->paused[i] || !s)
                        continue;
                r = sd_event_source_set_time(s, usec_add(now, f->left[i]));
                if (r >= 0)
                        r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                if (r < 0) {
                        static const ExitReason reasons[_SLOT_MAX] = {
                                [SLOT_RUNTIME] = EXIT_REASON_TIMEOUT,
                                [SLOT_CPU] = EXIT_REASON_CPU_TIMEOUT,
                                [SLOT_START] = EXIT_REASON_START_TIMEOUT,
                                [SLOT_WATCHDOG] = EXIT_REASON_WATCHDOG,
                                [SLOT_HEALTH] = EXIT_REASON_UNHEALTHY,
                        };

                        log_agent_full(LOG_ERR, a->name, "cannot resume its timers after a thaw, ending it: %s",
                                       strerror(-r));
                        agent_terminate(a, reasons[i]);
                        return;
                }
        }
}

static void tell_waiters(AgentFreeze *f, Agent *a, int error) {
        Waiter *w = f->waiters;
        size_t n = f->n_waiters;

        /* A callback may ask again (a new waiter): the list is handed over first. */
        f->waiters = NULL;
        f->n_waiters = 0;
        for (size_t i = 0; i < n; i++)
                w[i].cb(a, error, w[i].userdata);
        free(w);
}

static int add_waiter(AgentFreeze *f, AgentFreezeWaiter cb, void *userdata) {
        Waiter *w;

        if (!cb)
                return 0;
        w = reallocarray(f->waiters, f->n_waiters + 1, sizeof(Waiter));
        if (!w)
                return -ENOMEM;
        f->waiters = w;
        f->waiters[f->n_waiters++] = (Waiter) { cb, userdata };
        return 0;
}

static AgentFreeze *freeze_free(AgentFreeze *f) {
        if (!f)
                return NULL;
        sd_event_source_disable_unref(f->timer);
        free(f->waiters);
        return mfree(f);
}

static void freeze_complete(Agent *a, int error) {
        AgentFreeze *f = a->freeze;

        f->timer = sd_event_source_disable_unref(f->timer);
        if (error == 0) {
                f->done = true;
                log_agent_info(a->name, "frozen%s", f->by_escalation ? " by its supervisor's escalation" : "");
        } else
                log_agent_warning(a->name, "not every process stopped within %" PRIu64 " ms of the freeze",
                                  AGENT_FREEZE_TIMEOUT_USEC / USEC_PER_MSEC);
        tell_waiters(f, a, error);
}

/* 1 when done (waiters told), 0 when not yet. */
static int freeze_check(Agent *a) {
        AgentFreeze *f = a->freeze;
        int r;

        if (!f || f->done)
                return 1;
        r = cgroup_is_frozen(a->cgroup);
        if (r == 0)
                return 0;
        if (r < 0)
                log_agent_warning(a->name, "cannot tell whether its cgroup is frozen: %s", strerror(-r));
        freeze_complete(a, 0);
        return 1;
}

static int on_freeze_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        AgentFreeze *f = a->freeze;
        usec_t now = now_monotonic();

        if (!f || freeze_check(a) > 0)
                return 0;
        if (now >= f->deadline) {
                freeze_complete(a, -ETIMEDOUT);
                return 0;
        }
        if (sd_event_source_set_time(s, cgroup_freeze_notifies(a->cgroup) ? f->deadline
                                                                          : MIN(now + FREEZE_POLL_USEC, f->deadline)) < 0 ||
            sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) < 0)
                freeze_complete(a, -ETIMEDOUT);
        return 0;
}

/* cgroup.events (v2) tells when the freeze is complete: the invocation's
 * one watch (kept until its end, where agent.c drops it) is made now if the
 * main process has not needed it yet. */
static void watch_events(Agent *a) {
        _cleanup_free_ char *path = NULL;
        Manager *m = a->manager;

        if (a->inotify_wd >= 0 || cgroup_events_path(a->cgroup, &path) < 0)
                return;
        a->inotify_wd = inotify_add_watch(m->inotify_fd, path, IN_MODIFY);
        if (a->inotify_wd >= 0)
                (void) hashmap_put(m->agents_by_wd, HASHMAP_UINT(a->inotify_wd), a);
}

/* The kernel is asked; its answer comes by cgroup.events or the poll. */
static int freeze_wait(Agent *a) {
        AgentFreeze *f = a->freeze;
        bool notifies = cgroup_freeze_notifies(a->cgroup);
        usec_t now = now_monotonic();

        f->deadline = usec_add(now, AGENT_FREEZE_TIMEOUT_USEC);
        if (notifies)
                watch_events(a);
        return sd_event_add_time(a->manager->event, &f->timer, CLOCK_MONOTONIC,
                                 notifies ? f->deadline : now + FREEZE_POLL_USEC, 0, on_freeze_timer, a);
}

/* Returns 0 when frozen at once, 1 when waiting, or -errno (nothing changed). */
static int freeze_start(Agent *a, bool by_escalation) {
        AgentFreeze *f;
        int r;

        if (cgroup_root_freezer(a->manager->cgroup_root) == CGROUP_FREEZER_NONE)
                return -EOPNOTSUPP;
        f = calloc(1, sizeof(AgentFreeze));
        if (!f)
                return -ENOMEM;
        f->by_escalation = by_escalation;
        f->since = now_monotonic();
        a->freeze = f;
        r = cgroup_freeze(a->cgroup, true);
        if (r < 0) {
                a->freeze = freeze_free(f);
                return r;
        }
        /* A running health check is in the agent's cgroup, and would be
         * frozen with it and time out: it goes, and the next one runs once
         * thawed (the health timer resumes at once). */
        if (a->check_pidfd >= 0) {
                agent_check_clear(a);
                f->paused[SLOT_HEALTH] = a->health_timer != NULL;
        }
        agent_freeze_hold_timers(a);
        agent_update_state(a);
        log_agent_info(a->name, "freezing its cgroup%s", by_escalation ? " (its supervisor escalated)" : "");

        if (freeze_check(a) > 0)
                return 0;
        r = freeze_wait(a);
        if (r < 0) {
                log_agent_warning(a->name, "cannot wait for its freeze, taking it as done: %s", strerror(-r));
                freeze_complete(a, 0);
                return 0;
        }
        return 1;
}

static bool running(const Agent *a) {
        return agent_is_active(a) && !a->main_exited && a->kill_reason == EXIT_REASON_NONE;
}

int manager_freeze_agent(Agent *a, AgentFreezeWaiter cb, void *userdata, ErrorDetail *err) {
        int r;

        if (!running(a))
                return error_detail_set(err, -ESRCH, ERROR_KIND_NOT_RUNNING,
                                        "Agent \"%s\" is not running (%s): only a running agent can be frozen.",
                                        a->name, agent_state_to_string(agent_get_state(a)));
        if (a->freeze) {
                if (a->freeze->done)
                        return 0;
                /* Asked again after a timeout: waited for again. */
                if (!a->freeze->timer) {
                        r = freeze_wait(a);
                        if (r < 0)
                                return r;
                }
                r = add_waiter(a->freeze, cb, userdata);
                return r < 0 ? r : 1;
        }
        r = freeze_start(a, false);
        if (r == -EOPNOTSUPP)
                return error_detail_set(err, r, ERROR_KIND_FAILED,
                                        "Cannot freeze agent \"%s\": this host has no cgroup freezer "
                                        "(neither cgroup.freeze nor a v1 freezer hierarchy).",
                                        a->name);
        if (r < 0)
                return error_detail_set(err, r, ERROR_KIND_FAILED, "Cannot freeze agent \"%s\": %s.", a->name,
                                        strerror(-r));
        if (r > 0) {
                int k = add_waiter(a->freeze, cb, userdata);
                if (k < 0)
                        return k;
        }
        return r;
}

int manager_thaw_agent(Agent *a, ErrorDetail *err) {
        AgentFreeze *f = a->freeze;
        int r;

        if (!running(a))
                return error_detail_set(err, -ESRCH, ERROR_KIND_NOT_RUNNING,
                                        "Agent \"%s\" is not running (%s): there is nothing to thaw.", a->name,
                                        agent_state_to_string(agent_get_state(a)));
        if (!f) {
                /* Frozen by someone else: thawed all the same, as asked. */
                r = cgroup_kernel_frozen(a->cgroup);
                if (r <= 0)
                        return 0;
                r = cgroup_freeze(a->cgroup, false);
                if (r < 0)
                        return error_detail_set(err, r, ERROR_KIND_FAILED, "Cannot thaw agent \"%s\": %s.",
                                                a->name, strerror(-r));
                log_agent_info(a->name, "thawed (it was frozen outside agentvisor)");
                return 0;
        }
        if (f->by_escalation)
                return error_detail_set(err, -EBUSY, ERROR_KIND_ESCALATED,
                                        "Agent \"%s\" is held frozen by the escalation of supervisor \"%s\"; "
                                        "ResetEscalation kills it and starts it afresh.",
                                        a->name, a->supervisor->config.name);
        r = cgroup_freeze(a->cgroup, false);
        if (r < 0)
                return error_detail_set(err, r, ERROR_KIND_FAILED, "Cannot thaw agent \"%s\": %s.", a->name,
                                        strerror(-r));
        a->freeze = NULL;
        if (!f->done)
                tell_waiters(f, a, -ECANCELED);
        log_agent_info(a->name, "thawed");
        /* Kept for a daemon that takes the agent over: its deadlines count
         * from the start plus this (daemon-adopt-agent.c). */
        a->frozen_total = usec_add(a->frozen_total, now_monotonic() > f->since ? now_monotonic() - f->since : 0);
        agent_update_state(a);
        resume_timers(a, f);
        freeze_free(f);
        return 0;
}

void agent_freeze_for_escalation(Agent *a) {
        int r;

        if (!running(a))
                return;          /* it ended meanwhile, or is being stopped */
        if (a->freeze) {
                a->freeze->by_escalation = true;
                return;
        }
        r = freeze_start(a, true);
        if (r < 0) {
                log_agent_full(LOG_ERR, a->name, "cannot freeze it for its supervisor's escalation, stopping it: %s",
                               strerror(-r));
                agent_stop(a, EXIT_REASON_STOPPED);
        }
}

void agent_freeze_cgroup_event(Agent *a) {
        if (a->freeze && !a->freeze->done && agent_is_active(a))
                (void) freeze_check(a);
}

void agent_freeze_kill(Agent *a) {
        int r;

        r = cgroup_kill_frozen(a->cgroup);
        if (r < 0)
                log_agent_warning(a->name, "cannot kill its frozen cgroup: %s", strerror(-r));
}

void agent_freeze_done(Agent *a) {
        AgentFreeze *f = a->freeze;

        a->frozen_total = 0;
        if (!f)
                return;
        a->freeze = NULL;
        tell_waiters(f, a, -ESRCH);
        freeze_free(f);
}

_Static_assert(_SLOT_MAX == FREEZE_RECORD_TIMERS, "the state file keeps one time left per paused timer");

void agent_freeze_save(const Agent *a, FreezeRecord *ret) {
        const AgentFreeze *f = a->freeze;

        *ret = (FreezeRecord) {};
        if (!f)
                return;
        ret->mode = f->by_escalation ? FREEZE_RECORD_ESCALATION : FREEZE_RECORD_FROZEN;
        ret->since = f->since;
        for (unsigned i = 0; i < _SLOT_MAX; i++)
                if (f->paused[i]) {
                        ret->paused |= 1U << i;
                        ret->left[i] = f->left[i];
                }
}

int agent_freeze_restore(Agent *a, const FreezeRecord *rec) {
        AgentFreeze *f;
        int r;

        if (rec->mode == FREEZE_RECORD_NONE)
                return 0;
        if (cgroup_root_freezer(a->manager->cgroup_root) == CGROUP_FREEZER_NONE)
                return -EOPNOTSUPP;
        f = calloc(1, sizeof(AgentFreeze));
        if (!f)
                return -ENOMEM;
        f->by_escalation = rec->mode == FREEZE_RECORD_ESCALATION;
        f->since = rec->since ?: now_monotonic();
        a->freeze = f;
        /* The kernel kept the group frozen while no daemon ran; should
         * someone have thawed it by hand meanwhile, it is frozen again, as
         * the state shown says. */
        r = cgroup_freeze(a->cgroup, true);
        if (r < 0) {
                a->freeze = freeze_free(f);
                return r;
        }
        /* What the takeover armed, as for a running agent, goes off; the
         * timers that were paused keep the time they had left then. */
        agent_freeze_hold_timers(a);
        for (unsigned i = 0; i < _SLOT_MAX; i++) {
                f->paused[i] = rec->paused & (1U << i);
                f->left[i] = f->paused[i] ? rec->left[i] : 0;
        }
        agent_update_state(a);
        if (freeze_check(a) > 0)
                return 0;
        if (freeze_wait(a) < 0)
                freeze_complete(a, 0);
        return 0;
}
