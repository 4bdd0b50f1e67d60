/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An invocation's timers and what they watch: the stop timeout, RuntimeMaxSec,
 * TimeoutStartSec, the CPU budget (CPUTimeMaxSec), the watchdog and the
 * health checks, which run under the invocation's own policy. A limit that
 * fires ends the agent with the limit's exit reason (agent_terminate()). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "agent-internal.h"
#include "agent-output.h"
#include "cgroup-freeze.h"
#include "cpu-budget.h"
#include "dbus.h"
#include "log.h"
#include "manager-nofile.h"
#include "strv.h"

void agent_timer_off(sd_event_source *s) {
        if (s)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

/* Creating a time source is what can fail (timerfd, epoll, memory):
 * agent_spawn() creates every timer an invocation needs before the process
 * exists, so that a start whose limits cannot be enforced fails as a whole
 * (spawn-failed). Creating one leaves it off. */
static int timer_new(Agent *a, sd_event_source **s, sd_event_time_handler_t cb) {
        int r;

        if (*s)
                return 0;
        r = sd_event_add_time(a->manager->event, s, CLOCK_MONOTONIC, USEC_INFINITY, 0, cb, a);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(*s, SD_EVENT_OFF);
        if (r < 0)
                *s = sd_event_source_disable_unref(*s);
        return r;
}

/* Arms *s for `when`; USEC_INFINITY (a deadline past the end of time, see
 * usec_add()) turns it off: no limit. */
int agent_timer_set(Agent *a, sd_event_source **s, usec_t when, usec_t accuracy, sd_event_time_handler_t cb) {
        int r;

        r = timer_new(a, s, cb);
        if (r < 0)
                return r;
        if (when == USEC_INFINITY)
                return sd_event_source_set_enabled(*s, SD_EVENT_OFF);
        r = sd_event_source_set_time(*s, when);
        if (r >= 0 && accuracy > 0)
                r = sd_event_source_set_time_accuracy(*s, accuracy);
        if (r >= 0)
                r = sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
        return r;
}

/* A limit that can no longer be enforced ends the agent rather than leaving
 * it unbounded; `reason` is the limit's own exit reason. */
static void timer_failed(Agent *a, const char *what, int r, ExitReason reason) {
        log_agent_full(LOG_ERR, a->name, "cannot arm its %s timer, ending it: %s", what, strerror(-r));
        agent_terminate(a, reason);
}

/* Only the check's own process is killed here. What it started and left
 * behind lives on in the agent's cgroup, where the check ran: it counts
 * against the agent's limits and goes with the agent's cgroup when the
 * invocation ends. The daemon does not hunt it down earlier: nothing tells
 * it apart from the agent's own processes there (it is reparented, its pid
 * may be reused), and a kill by guess could hit the agent. It writes to the
 * invocation's one check output channel (agent_output_check_fd()), so it
 * costs the daemon no fd of its own. */
void agent_check_clear(Agent *a) {
        a->check_source = sd_event_source_disable_unref(a->check_source);
        /* Kept for the next check: agent_timers_clear() drops it. */
        agent_timer_off(a->check_timeout);
        if (a->check_pidfd >= 0) {
                /* The check belongs to this invocation; reap it if it still runs. */
                (void) agent_pidfd_send(a->check_pidfd, SIGKILL);
                siginfo_t si = {};
                (void) waitid((idtype_t) P_PIDFD, (id_t) a->check_pidfd, &si, WEXITED);
        }
        a->check_pidfd = safe_close(a->check_pidfd);
        a->check_pid = 0;
}

void agent_timers_clear(Agent *a) {
        a->stop_timer = sd_event_source_disable_unref(a->stop_timer);
        a->runtime_timer = sd_event_source_disable_unref(a->runtime_timer);
        a->cpu_timer = sd_event_source_disable_unref(a->cpu_timer);
        a->start_timer = sd_event_source_disable_unref(a->start_timer);
        a->watchdog_timer = sd_event_source_disable_unref(a->watchdog_timer);
        a->health_timer = sd_event_source_disable_unref(a->health_timer);
        a->check_timeout = sd_event_source_disable_unref(a->check_timeout);
        agent_output_check_close(a);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        if (!agent_is_active(a))
                return 0;
        log_agent_warning(a->name, "still running %s after SIGTERM, killing its cgroup",
                          "AgentTimeoutSec");
        (void) cgroup_kill(a->cgroup);
        return 0;
}

int agent_stop_timer_arm(Agent *a) {
        usec_t timeout = a->supervisor->config.agent_timeout_usec;

        if (a->stop_timer && sd_event_source_get_enabled(a->stop_timer, NULL) > 0)
                return 0;
        return agent_timer_set(a, &a->stop_timer, usec_add(now_monotonic(), timeout), 0, on_stop_timeout);
}

static int on_runtime_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        agent_terminate(userdata, EXIT_REASON_TIMEOUT);
        return 0;
}

static int on_start_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        agent_terminate(userdata, EXIT_REASON_START_TIMEOUT);
        return 0;
}

static int on_watchdog_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        log_agent_warning(a->name, "watchdog timeout: no WATCHDOG=1 for %" PRIu64 " ms",
                          a->watchdog_usec / USEC_PER_MSEC);
        agent_terminate(a, EXIT_REASON_WATCHDOG);
        return 0;
}

static int cpu_schedule(Agent *a);

static int on_cpu_check(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        nsec_t used = 0;
        int r;

        if (cgroup_read_cpu_usage(a->cgroup, &used) >= 0 &&
            cpu_budget_spent(a->spec.limits.cpu_time_max_usec, used)) {
                agent_terminate(a, EXIT_REASON_CPU_TIMEOUT);
                return 0;
        }
        r = cpu_schedule(a);
        if (r < 0)
                timer_failed(a, "CPUTimeMaxSec", r, EXIT_REASON_CPU_TIMEOUT);
        return 0;
}

/* A budget near 2^64 must not wrap into an early check: the delay
 * saturates, and so does the deadline (infinity: no check). */
static int cpu_schedule(Agent *a) {
        usec_t budget = a->spec.limits.cpu_time_max_usec, delay, accuracy;
        nsec_t used = 0;

        if (budget == USEC_INFINITY)
                return 0;
        (void) cgroup_read_cpu_usage(a->cgroup, &used);
        delay = cpu_budget_next_check(budget, used, a->manager->n_cpus, a->spec.limits.cpu_quota_per_sec_usec,
                                      &accuracy);
        return agent_timer_set(a, &a->cpu_timer, usec_add(now_monotonic(), delay), accuracy, on_cpu_check);
}

static usec_t health_interval(const Agent *a) {
        return a->spec.health_check_interval_usec ?: a->supervisor->config.health_check_interval_usec;
}

static int health_schedule(Agent *a);

static void health_reschedule(Agent *a) {
        int r = health_schedule(a);
        if (r < 0)
                timer_failed(a, "health check", r, EXIT_REASON_UNHEALTHY);
}

static void health_result(Agent *a, bool ok, const char *what) {
        if (ok) {
                if (a->check_failures > 0) {
                        a->check_failures = 0;
                        agent_changed(a, AGENT_PROP_HEALTH_CHECK_FAILURES);
                }
                agent_set_health(a, AGENT_HEALTH_HEALTHY);
                health_reschedule(a);
                return;
        }
        a->check_failures++;
        agent_changed(a, AGENT_PROP_HEALTH_CHECK_FAILURES);
        log_agent_warning(a->name, "health check failed (%s), %u of %u", what, a->check_failures,
                          a->spec.health_check_failures);
        if (a->check_failures >= a->spec.health_check_failures) {
                agent_set_health(a, AGENT_HEALTH_UNHEALTHY);
                agent_terminate(a, EXIT_REASON_UNHEALTHY);
                return;
        }
        health_reschedule(a);
}

static int on_check_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        siginfo_t si = {};
        char what[64];

        if (waitid((idtype_t) P_PIDFD, (id_t) a->check_pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return 0;
        a->check_source = sd_event_source_disable_unref(a->check_source);
        /* Kept for the next check: agent_timers_clear() drops it. */
        agent_timer_off(a->check_timeout);
        a->check_pidfd = safe_close(a->check_pidfd);
        a->check_pid = 0;
        if (si.si_code == CLD_EXITED)
                snprintf(what, sizeof what, "exit status %d", si.si_status);
        else
                snprintf(what, sizeof what, "signal %d", si.si_status);
        health_result(a, si.si_code == CLD_EXITED && si.si_status == 0, what);
        return 0;
}

static int on_check_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        /* agent_check_clear() kills and reaps it. */
        agent_check_clear(a);
        health_result(a, false, "timed out");
        return 0;
}

/* A check that could not be started (error: errno) fails, unless the daemon
 * ran out of fds: no fault of the agent's, skipped then, neither passed nor
 * failed, so that a full fd table does not restart healthy agents. */
static void check_not_run(Agent *a, int error, const char *step) {
        char what[256];

        if (nofile_exhausted(error)) {
                log_agent_warning(a->name, "health check skipped: %s: %s", step ?: "spawn",
                                  manager_nofile_message(a->manager, error, what, sizeof what));
                health_reschedule(a);
                return;
        }
        snprintf(what, sizeof what, "%s: %s", step ?: "spawn", strerror(error));
        health_result(a, false, what);
}

/* The check runs as the agent's user (the invocation's dynamic uid), in its
 * cgroup, under the policy the invocation was started with (a->policy), not
 * whatever a Reload() loaded since, in the namespaces of the agent's main
 * process, its mount namespace included (the agent's /tmp under PrivateTmp,
 * its binds and StateDirectory), and under the same Landlock rules: it
 * checks the agent as it runs. */
static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        _cleanup_strv_free_ char **env = NULL;
        const char *step = NULL;
        AgentSandbox sandbox;
        SpawnParams p;
        Identity id;
        int r, out;

        if (!agent_is_active(a) || a->main_exited || a->check_pidfd >= 0)
                return 0;
        /* Frozen behind the daemon's back (its own freeze pauses this
         * timer): the check would stop in the clone, and the daemon, waiting
         * for its exec, with it. Skipped, neither passed nor failed. */
        if (cgroup_kernel_frozen(a->cgroup) > 0) {
                log_agent_notice(a->name, "its cgroup is frozen (not by agentvisor): health check skipped");
                health_reschedule(a);
                return 0;
        }
        /* The agent's own identity, policy and sandbox settings. */
        r = agent_prepare_spawn(a, a->spec.health_check, /* invocation= */ false, &id, &env, &sandbox, &p, &step);
        if (r < 0) {
                check_not_run(a, -r, step);
                return 0;
        }
        /* The agent's check channel, not one of its own: see agent_check_clear(). */
        out = agent_output_check_fd(a);
        p.stdout_fd = p.stderr_fd = out;
        r = spawn(&p, &a->check_pid, &a->check_pidfd, &step);
        cgroup_v1_procs_close(a->cgroup);
        agent_output_check_done(a);
        agent_sandbox_done(&sandbox);
        if (r < 0) {
                check_not_run(a, -r, step);
                return 0;
        }
        r = sd_event_add_io(a->manager->event, &a->check_source, a->check_pidfd, EPOLLIN, on_check_exit, a);
        /* Absolute and saturated: a relative time near 2^64 is EOVERFLOW. */
        if (r >= 0)
                r = agent_timer_set(a, &a->check_timeout,
                                    usec_add(now_monotonic(), a->spec.health_check_timeout_usec), 0,
                                    on_check_timeout);
        if (r < 0) {
                agent_check_clear(a);
                health_result(a, false, strerror(-r));
        }
        return 0;
}

static bool health_wanted(const Agent *a) {
        usec_t iv = health_interval(a);
        return a->spec.health_check && iv != 0 && iv != USEC_INFINITY;
}

static int health_schedule(Agent *a) {
        usec_t iv = health_interval(a);

        if (!health_wanted(a))
                return 0;
        /* Health checks tolerate a second of slack so that many agents' timers
         * coalesce into few wakeups. */
        return agent_timer_set(a, &a->health_timer, usec_add(now_monotonic(), iv), MIN(iv / 10, USEC_PER_SEC),
                               on_health_timer);
}

static bool watchdog_wanted(const Agent *a) {
        return a->watchdog_usec != 0 && a->watchdog_usec != USEC_INFINITY;
}

static int watchdog_schedule(Agent *a) {
        if (!watchdog_wanted(a))
                return 0;
        return agent_timer_set(a, &a->watchdog_timer, usec_add(now_monotonic(), a->watchdog_usec),
                               MIN(a->watchdog_usec / 20, 250 * USEC_PER_MSEC), on_watchdog_timeout);
}

bool agent_watchdog_ping(Agent *a) {
        int r = watchdog_schedule(a);
        if (r < 0) {
                timer_failed(a, "watchdog", r, EXIT_REASON_WATCHDOG);
                return false;
        }
        return true;
}

/* Running (READY=1 for notify agents, at once for simple ones). */
void agent_enter_running(Agent *a) {
        agent_timer_off(a->start_timer);
        a->ready = true;
        agent_update_state(a);
        if (!a->spec.health_check)
                agent_set_health(a, AGENT_HEALTH_HEALTHY);
        if (!agent_watchdog_ping(a))
                return;
        health_reschedule(a);
}

static int timers_arm_limits(Agent *a, usec_t now, const char **ret_step) {
        int r;

        *ret_step = "AgentTimeoutSec timer";
        r = timer_new(a, &a->stop_timer, on_stop_timeout);
        if (r < 0)
                return r;
        *ret_step = "RuntimeMaxSec timer";
        r = agent_timer_set(a, &a->runtime_timer, usec_add(now, a->spec.limits.runtime_max_usec), 0,
                            on_runtime_timeout);
        if (r < 0)
                return r;
        *ret_step = "TimeoutStartSec timer";
        if (a->spec.type == SERVICE_NOTIFY && a->spec.timeout_start_usec > 0) {
                r = agent_timer_set(a, &a->start_timer, usec_add(now, a->spec.timeout_start_usec), 0,
                                    on_start_timeout);
                if (r < 0)
                        return r;
        }
        *ret_step = "CPUTimeMaxSec timer";
        return cpu_schedule(a);
}

/* Every timer of the invocation exists, and the ones that run from the start
 * are armed, before the process does: a limit that cannot be enforced fails
 * the start (spawn-failed, status = errno) instead of being skipped. The
 * deadlines count from just before the spawn; they saturate, so that a limit
 * near 2^64 means no deadline rather than one in the past. */
int agent_timers_arm_start(Agent *a, const char **ret_step) {
        return agent_timers_arm_at(a, now_monotonic(), ret_step);
}

int agent_timers_arm_at(Agent *a, usec_t base, const char **ret_step) {
        int r;

        r = timers_arm_limits(a, base, ret_step);
        if (r < 0)
                return r;
        *ret_step = "watchdog timer";
        if (watchdog_wanted(a)) {
                r = timer_new(a, &a->watchdog_timer, on_watchdog_timeout);
                if (r < 0)
                        return r;
        }
        *ret_step = "health check timer";
        if (health_wanted(a)) {
                r = timer_new(a, &a->health_timer, on_health_timer);
                if (r < 0)
                        return r;
                r = timer_new(a, &a->check_timeout, on_check_timeout);
                if (r < 0)
                        return r;
        }
        *ret_step = NULL;
        return 0;
}
