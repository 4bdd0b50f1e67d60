/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's life in the daemon: spawn into its cgroup, watch the pidfd and
 * cgroup.events, stop and kill through pidfd and cgroup.kill, timers for
 * runtime, CPU time, readiness, watchdog and health checks, and the record
 * of each end. What happens next is the supervision core's decision. */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "agent-env.h"
#include "agent.h"
#include "agent-output.h"
#include "dbus.h"
#include "log.h"
#include "notify-message.h"
#include "spawn.h"
#include "strv.h"
#include "time-util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

_Static_assert(AGENT_ENV_PID_SLOT_SIZE >= SPAWN_PID_SLOT_SIZE, "the WATCHDOG_PID= slot must hold any pid");

static const char *const agent_state_table[_AGENT_STATE_MAX] = {
        [AGENT_STARTING] = "starting",   [AGENT_RUNNING] = "running",
        [AGENT_STOPPING] = "stopping",   [AGENT_RESTARTING] = "restarting",
        [AGENT_EXITED] = "exited",       [AGENT_FAILED] = "failed",
};

static const char *const agent_health_table[_AGENT_HEALTH_MAX] = {
        [AGENT_HEALTH_UNKNOWN] = "unknown",
        [AGENT_HEALTH_HEALTHY] = "healthy",
        [AGENT_HEALTH_UNHEALTHY] = "unhealthy",
};

const char *agent_state_to_string(AgentState s) {
        return s >= 0 && s < _AGENT_STATE_MAX ? agent_state_table[s] : NULL;
}

const char *agent_health_to_string(AgentHealth h) {
        return h >= 0 && h < _AGENT_HEALTH_MAX ? agent_health_table[h] : NULL;
}

static int pidfd_send(int pidfd, int sig) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

int agent_new(Manager *m, const char *name, const char *type, AgentSpec *spec, Supervisor *s,
              Agent **ret) {
        Agent *a = calloc(1, sizeof(Agent));
        int r;

        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->pid = 0;
        a->pidfd = -EBADF;
        a->check_pidfd = -EBADF;
        a->inotify_wd = -1;
        a->supervisor = s;
        a->spec = *spec;
        *spec = (AgentSpec) {};
        a->name = strdup(name);
        a->type = strdup(type ?: "");
        if (!a->name || !a->type) {
                agent_free(a);
                return -ENOMEM;
        }
        r = bus_agent_path(name, &a->object_path);
        if (r < 0) {
                agent_free(a);
                return r;
        }
        r = hashmap_put(m->agents, a->name, a);
        if (r < 0) {
                agent_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static void timer_off(sd_event_source *s) {
        if (s)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static void check_clear(Agent *a) {
        a->check_source = sd_event_source_disable_unref(a->check_source);
        /* Kept for the next check: timers_clear() drops it. */
        timer_off(a->check_timeout);
        if (a->check_pidfd >= 0) {
                /* The check belongs to this invocation; reap it if it still runs. */
                (void) pidfd_send(a->check_pidfd, SIGKILL);
                siginfo_t si = {};
                (void) waitid((idtype_t) P_PIDFD, (id_t) a->check_pidfd, &si, WEXITED);
        }
        a->check_pidfd = safe_close(a->check_pidfd);
        a->check_pid = 0;
}

static void timers_clear(Agent *a) {
        a->stop_timer = sd_event_source_disable_unref(a->stop_timer);
        a->runtime_timer = sd_event_source_disable_unref(a->runtime_timer);
        a->cpu_timer = sd_event_source_disable_unref(a->cpu_timer);
        a->start_timer = sd_event_source_disable_unref(a->start_timer);
        a->watchdog_timer = sd_event_source_disable_unref(a->watchdog_timer);
        a->health_timer = sd_event_source_disable_unref(a->health_timer);
        a->check_timeout = sd_event_source_disable_unref(a->check_timeout);
}

Agent *agent_free(Agent *a) {
        if (!a)
                return NULL;
        timers_clear(a);
        a->status_timer = sd_event_source_disable_unref(a->status_timer);
        check_clear(a);
        if (a->pid > 0)
                hashmap_remove(a->manager->agents_by_pid, HASHMAP_UINT(a->pid));
        a->pidfd_source = sd_event_source_disable_unref(a->pidfd_source);
        a->pidfd = safe_close(a->pidfd);
        cgroup_free(a->cgroup);
        agent_spec_done(&a->spec);
        free(a->status_text);
        free(a->object_path);
        free(a->type);
        free(a->name);
        return mfree(a);
}

void agent_forget(Agent *a) {
        Manager *m = a->manager;

        bus_emit_agent_removed(a);
        hashmap_remove(m->agents, a->name);
        agent_free(a);
        bus_emit_manager_changed(m);
}

bool agent_is_active(const Agent *a) {
        return a->cgroup != NULL;
}

/* State is derived: from the invocation while one runs, from the core's view
 * while none does. */
AgentState agent_get_state(const Agent *a) {
        if (agent_is_active(a)) {
                if (a->kill_reason != EXIT_REASON_NONE || a->main_exited)
                        return AGENT_STOPPING;
                if (a->sv && sv_agent_state(a->sv) == SV_AGENT_STOPPING)
                        return AGENT_STOPPING;
                return a->ready ? AGENT_RUNNING : AGENT_STARTING;
        }
        if (a->sv) {
                SvAgentState s = sv_agent_state(a->sv);
                if (s == SV_AGENT_WAITING)
                        return AGENT_RESTARTING;
                if (s == SV_AGENT_STARTING)
                        return AGENT_STARTING;
        }
        if (a->exit.reason == EXIT_REASON_NONE)
                return AGENT_EXITED;
        return exit_reason_is_normal(a->exit.reason, a->exit.status) ? AGENT_EXITED : AGENT_FAILED;
}

void agent_update_state(Agent *a) {
        AgentState n = agent_get_state(a);
        if (n == a->state)
                return;
        a->state = n;
        bus_emit_agent_changed(a, "State", NULL);
}

static void agent_set_health(Agent *a, AgentHealth h) {
        if (a->health == h)
                return;
        a->health = h;
        bus_emit_agent_changed(a, "Health", NULL);
        bus_emit_health_changed(a);
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
static int timer_set(Agent *a, sd_event_source **s, usec_t when, usec_t accuracy,
                     sd_event_time_handler_t cb) {
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

static usec_t agent_stop_timeout(const Agent *a) {
        return a->supervisor->config.agent_timeout_usec;
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

/* SIGTERM to the main process, cgroup.kill after AgentTimeoutSec (or at
 * once when the main process is gone already). */
void agent_stop(Agent *a, ExitReason reason) {
        if (!agent_is_active(a))
                return;
        if (a->kill_reason == EXIT_REASON_NONE)
                a->kill_reason = reason;
        else if (reason == EXIT_REASON_SHUTDOWN && a->kill_reason == EXIT_REASON_STOPPED)
                a->kill_reason = reason;

        timer_off(a->start_timer);
        timer_off(a->watchdog_timer);
        timer_off(a->health_timer);
        timer_off(a->runtime_timer);
        timer_off(a->cpu_timer);

        if (a->main_exited || a->pidfd < 0 || pidfd_send(a->pidfd, SIGTERM) < 0)
                (void) cgroup_kill(a->cgroup);
        else if (!a->stop_timer || sd_event_source_get_enabled(a->stop_timer, NULL) <= 0) {
                int r = timer_set(a, &a->stop_timer, usec_add(now_monotonic(), agent_stop_timeout(a)), 0,
                                  on_stop_timeout);
                if (r < 0) {
                        /* Without the timer nothing would bound the stop. */
                        log_agent_full(LOG_ERR, a->name,
                                       "cannot arm its %s timer, killing its cgroup at once: %s",
                                       "AgentTimeoutSec", strerror(-r));
                        (void) cgroup_kill(a->cgroup);
                }
        }
        agent_update_state(a);
}

void agent_terminate(Agent *a, ExitReason reason) {
        log_agent_notice(a->name, "ending it: %s", exit_reason_to_string(reason));
        agent_stop(a, reason);
}

int agent_kill(Agent *a, int sig) {
        int r;

        if (!agent_is_active(a))
                return -ESRCH;
        if (!a->main_exited && a->pidfd >= 0) {
                r = pidfd_send(a->pidfd, sig);
                if (r >= 0)
                        a->kill_signal = sig;
                return r;
        }
        if (sig == SIGKILL)
                return cgroup_kill(a->cgroup);
        return -ESRCH;
}

static void agent_finish(Agent *a);

static void watch_cgroup(Agent *a) {
        _cleanup_free_ char *path = NULL;
        Manager *m = a->manager;
        int r;

        r = cgroup_events_path(a->cgroup, &path);
        if (r >= 0) {
                a->inotify_wd = inotify_add_watch(m->inotify_fd, path, IN_MODIFY);
                if (a->inotify_wd >= 0)
                        (void) hashmap_put(m->agents_by_wd, HASHMAP_UINT(a->inotify_wd), a);
                else
                        log_agent_warning(a->name, "cannot watch %s: %s", path, strerror(errno));
        }
}

void agent_cgroup_event(Agent *a) {
        if (agent_is_active(a) && a->main_exited && cgroup_is_populated(a->cgroup) == 0)
                agent_finish(a);
}

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        siginfo_t si = {};

        if (waitid((idtype_t) P_PIDFD, (id_t) a->pidfd, &si, WEXITED | WNOHANG) < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                log_agent_warning(a->name, "waitid on its pidfd failed: %s", strerror(errno));
                si.si_code = CLD_KILLED;
                si.si_status = SIGKILL;
        } else if (si.si_pid == 0)
                return 0;

        a->main_exited = true;
        hashmap_remove(a->manager->agents_by_pid, HASHMAP_UINT(a->pid));
        a->main_si_code = si.si_code;
        a->main_si_status = si.si_status;
        a->pidfd_source = sd_event_source_disable_unref(a->pidfd_source);
        a->pidfd = safe_close(a->pidfd);
        a->pid = 0;
        bus_emit_agent_changed(a, "MainPID", NULL);

        if (cgroup_is_populated(a->cgroup) == 0) {
                agent_finish(a);
                return 0;
        }

        /* Whatever the main process left behind ends with it (SPEC). The
         * agent has ended once cgroup.events says the group is empty. */
        watch_cgroup(a);
        (void) cgroup_kill(a->cgroup);
        agent_update_state(a);
        agent_cgroup_event(a);
        return 0;
}

static void record_end(Agent *a, const ExitFacts *f) {
        usec_t now = now_realtime();

        a->exit = exit_classify(f);
        a->exit_realtime = now;
        a->exit_runtime = a->started_realtime && now > a->started_realtime ? now - a->started_realtime : 0;
        /* Counted whatever the reason: the daemon may have stopped an agent
         * whose children the OOM killer had already hit. */
        a->oom_kills += f->oom_kills;

        log_agent_full(exit_reason_is_normal(a->exit.reason, a->exit.status) ? LOG_INFO : LOG_WARNING,
                       a->name, "ended: %s (status %d%s%s)", exit_reason_to_string(a->exit.reason),
                       a->exit.status, a->exit.killed_by != KILLED_BY_NONE ? ", killed by " : "",
                       killed_by_to_string(a->exit.killed_by));
        bus_emit_agent_exited(a);
        bus_emit_agent_changed(a, "ExitReason", "ExitStatus", "ExitKilledBy", "ExitTimestampUSec",
                               "ExitRuntimeUSec", "ExitCPUUsageNSec", "ExitMemoryPeak", "MainPID",
                               "OOMKills", NULL);
}

/* Tell the core, then carry out what it decided. The state is read after the
 * core has seen the exit (restarting, exited, failed) and before the actions
 * run, one of which may forget the agent. */
static void report_exit(Agent *a) {
        Manager *m = a->manager;
        bool normal = exit_reason_is_normal(a->exit.reason, a->exit.status);

        /* A temporary agent stopped by a group restart is dropped by the core;
         * its REMOVE action then forgets it here. */
        if (a->sv && !sv_agent_exited(m->sv, a->sv, normal, now_monotonic()))
                a->sv = NULL;
        agent_update_state(a);
        bus_emit_manager_changed(m);
        manager_dispatch_actions(m);
}

static void agent_finish(Agent *a) {
        Manager *m = a->manager;
        ExitFacts f = {
                .code = a->main_si_code,
                .status = a->main_si_status,
                .daemon_reason = a->kill_reason,
                .daemon_signal = a->kill_signal,
                .has_filter = a->has_filter,
        };
        CgroupStats st = {};
        int r;

        timers_clear(a);
        check_clear(a);
        if (a->inotify_wd >= 0) {
                hashmap_remove(m->agents_by_wd, HASHMAP_UINT(a->inotify_wd));
                (void) inotify_rm_watch(m->inotify_fd, a->inotify_wd);
                a->inotify_wd = -1;
        }

        if (cgroup_read_stats(a->cgroup, &st) >= 0) {
                a->exit_cpu_nsec = st.cpu_usage_nsec;
                a->exit_memory_peak = st.memory_peak;
                if (st.oom_kills != UINT64_MAX)
                        f.oom_kills = st.oom_kills;
        }

        hashmap_remove(m->agents_by_cgroup, cgroup_path(a->cgroup));
        r = cgroup_remove(a->cgroup);
        if (r < 0)
                log_agent_warning(a->name, "cannot remove cgroup %s: %s", cgroup_path(a->cgroup),
                                  strerror(-r));
        a->cgroup = cgroup_free(a->cgroup);

        /* Health is a property of a running agent. */
        agent_set_health(a, AGENT_HEALTH_UNKNOWN);
        record_end(a, &f);
        report_exit(a);
}

static void agent_spawn_failed(Agent *a, int error, const char *step) {
        Manager *m = a->manager;
        ExitFacts f = { .spawn_failed = true, .spawn_errno = error };

        log_agent_warning(a->name, "cannot start: %s%s%s", step ?: "", step ? ": " : "", strerror(error));
        timers_clear(a);
        if (a->cgroup) {
                hashmap_remove(m->agents_by_cgroup, cgroup_path(a->cgroup));
                (void) cgroup_remove(a->cgroup);
                a->cgroup = cgroup_free(a->cgroup);
        }
        record_end(a, &f);
        report_exit(a);
}

typedef struct Identity {
        uid_t uid;
        gid_t gid;
        gid_t groups[64];
        int n_groups;
        char home[256];
        char user[64];
} Identity;

static int lookup_user(const char *user, Identity *ret) {
        struct passwd pw, *p = NULL;
        char buf[4096];
        int n = ELEMENTSOF(ret->groups);

        if (getpwnam_r(user, &pw, buf, sizeof buf, &p) != 0 || !p)
                return -ESRCH;
        ret->uid = p->pw_uid;
        ret->gid = p->pw_gid;
        snprintf(ret->home, sizeof ret->home, "%s", p->pw_dir ?: "/");
        snprintf(ret->user, sizeof ret->user, "%s", user);
        /* Exactly the user's groups from the user database, nothing inherited. */
        if (getgrouplist(user, p->pw_gid, ret->groups, &n) < 0)
                return -E2BIG;
        ret->n_groups = n;
        return 0;
}

/* The user database is read once per user and load: a start does not parse
 * /etc/passwd and /etc/group again. Reload (SIGHUP) forgets what it knew. */
static int resolve_user(Manager *m, const char *user, Identity *ret) {
        Identity *id = hashmap_get(m->identities, user);
        int r;

        if (!id) {
                id = malloc(sizeof *id);
                if (!id)
                        return -ENOMEM;
                r = lookup_user(user, id);
                if (r >= 0)
                        r = hashmap_put(m->identities, id->user, id);
                if (r < 0) {
                        free(id);
                        return r;
                }
        }
        *ret = *id;
        return 0;
}

/* A user whose groups include AdminGroup may drive the API: an agent run as
 * one could stop, start or reconfigure its neighbours. Checked on the ids
 * the agent would really get, so a lookup that fails is a refusal too.
 * root is allowed (SPEC: agents run as root only when User=root is
 * written, and then without capabilities). */
static int identity_check_admin(const Manager *m, const Identity *id) {
        if (id->uid == 0 || !m->have_admin_gid)
                return 0;
        if (id->gid == m->admin_gid)
                return -EPERM;
        for (int i = 0; i < id->n_groups; i++)
                if (id->groups[i] == m->admin_gid)
                        return -EPERM;
        return 0;
}

int manager_check_user(Manager *m, const char *user) {
        Identity id;
        int r = resolve_user(m, user, &id);
        return r < 0 ? r : identity_check_admin(m, &id);
}

void manager_identities_clear(Manager *m) {
        Identity *id;

        /* Removing the current entry while iterating is allowed. */
        HASHMAP_FOREACH(id, m->identities)
                free(hashmap_remove(m->identities, id->user));
}

static const char *agent_user(const Agent *a) {
        return a->spec.user ?: a->manager->config->default_user;
}

static int build_env(Agent *a, const Identity *id, char ***ret, char **ret_pid_slot) {
        AgentEnvParams p = {
                .home = id->home,
                .user = id->user,
                .environment = a->spec.environment,
                .notify_socket = a->manager->notify_socket,
                .watchdog_usec = a->spec.watchdog_usec,
        };
        return agent_env_build(&p, ret, ret_pid_slot);
}

static int agent_prepare_spawn(Agent *a, char * const *argv, Identity *id, char ***ret_env,
                               const Policy **ret_policy, SpawnParams *p) {
        Manager *m = a->manager;
        char *pid_slot = NULL;
        Diagnostic d = {};
        int r;

        r = resolve_user(a->manager, agent_user(a), id);
        if (r < 0)
                return r;
        r = identity_check_admin(m, id);
        if (r < 0) {
                log_agent_warning(a->name, "user %s is a member of AdminGroup=%s, which may drive the API: "
                                "refusing to run an agent as that user", agent_user(a), m->config->admin_group);
                return r;
        }
        *ret_policy = manager_get_policy(m, a->spec.policy, &d, &r);
        if (!*ret_policy)
                return r;
        r = build_env(a, id, ret_env, &pid_slot);
        if (r < 0)
                return r;

        *p = (SpawnParams) {
                .path = argv[0],
                .argv = argv,
                .envp = *ret_env,
                .cgroup_fd = cgroup_dir_fd(a->cgroup),
                .uid = id->uid,
                .gid = id->gid,
                .groups = id->groups,
                .n_groups = (size_t) id->n_groups,
                .working_directory = a->spec.working_directory ?: "/",
                .filter = policy_filter(*ret_policy),
                .stdout_fd = -1,
                .stderr_fd = -1,
                .rlimits = a->spec.rlimits,
                .umask = a->spec.umask,
                .oom_score_adj = a->spec.oom_score_adj,
                .oom_score_adj_set = a->spec.oom_score_adj_set,
                .protect_cgroups = id->uid == 0,
        };
        p->n_v1_procs_fds = cgroup_v1_procs_fds(a->cgroup, &p->v1_procs_fds);
        p->pid_env_slot = pid_slot;
        return 0;
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

/* The earliest moment the CPU budget can run out is when the group burns
 * the rest at its highest possible rate: all CPUs, or its quota. */
static int cpu_schedule(Agent *a);

static int on_cpu_check(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        nsec_t used = 0;
        int r;

        if (cgroup_read_cpu_usage(a->cgroup, &used) >= 0 &&
            used / NSEC_PER_USEC >= a->spec.limits.cpu_time_max_usec) {
                agent_terminate(a, EXIT_REASON_CPU_TIMEOUT);
                return 0;
        }
        r = cpu_schedule(a);
        if (r < 0)
                timer_failed(a, "CPUTimeMaxSec", r, EXIT_REASON_CPU_TIMEOUT);
        return 0;
}

static int cpu_schedule(Agent *a) {
        nsec_t used = 0;
        usec_t budget = a->spec.limits.cpu_time_max_usec, remaining, rate_ppm, wait;

        if (budget == USEC_INFINITY)
                return 0;
        (void) cgroup_read_cpu_usage(a->cgroup, &used);
        remaining = used / NSEC_PER_USEC >= budget ? 0 : budget - used / NSEC_PER_USEC;
        /* rate in CPU-microseconds per second of wall clock */
        rate_ppm = (usec_t) a->manager->n_cpus * USEC_PER_SEC;
        if (a->spec.limits.cpu_quota_per_sec_usec != UINT64_MAX)
                rate_ppm = MIN(rate_ppm, a->spec.limits.cpu_quota_per_sec_usec);
        if (rate_ppm == 0)
                rate_ppm = 1;
        /* A budget near 2^64 must not wrap into an early check: wait
         * saturates, and so does the deadline (infinity: no check). */
        wait = u64_muldiv_sat(remaining, USEC_PER_SEC, rate_ppm);
        /* Never spin: at least 10 ms between checks. */
        return timer_set(a, &a->cpu_timer, usec_add(now_monotonic(), MAX(wait, 10 * USEC_PER_MSEC)),
                         MIN(MAX(wait / 20, USEC_PER_MSEC), 250 * USEC_PER_MSEC), on_cpu_check);
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
                        bus_emit_agent_changed(a, "HealthCheckFailures", NULL);
                }
                agent_set_health(a, AGENT_HEALTH_HEALTHY);
                health_reschedule(a);
                return;
        }
        a->check_failures++;
        bus_emit_agent_changed(a, "HealthCheckFailures", NULL);
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
        /* Kept for the next check: timers_clear() drops it. */
        timer_off(a->check_timeout);
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

        /* check_clear() kills and reaps it. */
        check_clear(a);
        health_result(a, false, "timed out");
        return 0;
}

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        _cleanup_strv_free_ char **env = NULL;
        const Policy *policy = NULL;
        const char *step = NULL;
        SpawnParams p;
        Identity id;
        int r, out;

        if (!agent_is_active(a) || a->main_exited || a->check_pidfd >= 0)
                return 0;
        r = agent_prepare_spawn(a, a->spec.health_check, &id, &env, &policy, &p);
        if (r < 0) {
                health_result(a, false, strerror(-r));
                return 0;
        }
        out = agent_output_open(a, /* invocation= */ false);
        p.stdout_fd = p.stderr_fd = out;
        r = spawn(&p, &a->check_pid, &a->check_pidfd, &step);
        safe_close(out);
        if (r < 0) {
                char what[128];
                snprintf(what, sizeof what, "%s: %s", step ?: "spawn", strerror(-r));
                health_result(a, false, what);
                return 0;
        }
        r = sd_event_add_io(a->manager->event, &a->check_source, a->check_pidfd, EPOLLIN, on_check_exit, a);
        /* Absolute and saturated: a relative time near 2^64 is EOVERFLOW. */
        if (r >= 0)
                r = timer_set(a, &a->check_timeout, usec_add(now_monotonic(), a->spec.health_check_timeout_usec),
                              0, on_check_timeout);
        if (r < 0) {
                check_clear(a);
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
        return timer_set(a, &a->health_timer, usec_add(now_monotonic(), iv), MIN(iv / 10, USEC_PER_SEC),
                         on_health_timer);
}

static bool watchdog_wanted(const Agent *a) {
        return a->watchdog_usec != 0 && a->watchdog_usec != USEC_INFINITY;
}

static int watchdog_schedule(Agent *a) {
        if (!watchdog_wanted(a))
                return 0;
        return timer_set(a, &a->watchdog_timer, usec_add(now_monotonic(), a->watchdog_usec),
                         MIN(a->watchdog_usec / 20, 250 * USEC_PER_MSEC), on_watchdog_timeout);
}

/* Running (READY=1 for notify agents, at once for simple ones). */
static void agent_enter_running(Agent *a) {
        int r;

        timer_off(a->start_timer);
        a->ready = true;
        agent_update_state(a);
        if (!a->spec.health_check)
                agent_set_health(a, AGENT_HEALTH_HEALTHY);
        r = watchdog_schedule(a);
        if (r < 0) {
                timer_failed(a, "watchdog", r, EXIT_REASON_WATCHDOG);
                return;
        }
        health_reschedule(a);
}

/* An agent may send STATUS= and ERRNO= thousands of times a second; the bus
 * hears of them at most once per STATUS_SIGNAL_INTERVAL per agent, and
 * always of the last value (a timer sends what is pending). Reading the
 * properties gives the current value at any time. */
#define STATUS_SIGNAL_INTERVAL (250 * USEC_PER_MSEC)

static void status_emit(Agent *a) {
        bool text = a->status_text_changed, err = a->status_errno_changed;

        a->status_text_changed = a->status_errno_changed = false;
        a->status_emitted = now_monotonic();
        if (text && err)
                bus_emit_agent_changed(a, "StatusText", "StatusErrno", NULL);
        else if (text)
                bus_emit_agent_changed(a, "StatusText", NULL);
        else if (err)
                bus_emit_agent_changed(a, "StatusErrno", NULL);
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
        if (timer_set(a, &a->status_timer, next, STATUS_SIGNAL_INTERVAL / 5, on_status_timer) < 0)
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
        if (n->watchdog_ping && a->ready) {
                int r = watchdog_schedule(a);
                if (r < 0) {
                        timer_failed(a, "watchdog", r, EXIT_REASON_WATCHDOG);
                        return;
                }
        }
        if (n->stopping)
                log_agent_info(a->name, "reports it is stopping");
}

/* Every timer of the invocation exists, and the ones that run from the start
 * are armed, before the process does: a limit that cannot be enforced fails
 * the start (spawn-failed, status = errno) instead of being skipped. The
 * deadlines count from just before the spawn; they saturate, so that a limit
 * near 2^64 means no deadline rather than one in the past. */
static int timers_arm_start(Agent *a, const char **ret_step) {
        usec_t now = now_monotonic();
        int r;

        *ret_step = "AgentTimeoutSec timer";
        r = timer_new(a, &a->stop_timer, on_stop_timeout);
        if (r < 0)
                return r;
        *ret_step = "RuntimeMaxSec timer";
        r = timer_set(a, &a->runtime_timer, usec_add(now, a->spec.limits.runtime_max_usec), 0,
                      on_runtime_timeout);
        if (r < 0)
                return r;
        *ret_step = "TimeoutStartSec timer";
        if (a->spec.type == SERVICE_NOTIFY && a->spec.timeout_start_usec > 0) {
                r = timer_set(a, &a->start_timer, usec_add(now, a->spec.timeout_start_usec), 0,
                              on_start_timeout);
                if (r < 0)
                        return r;
        }
        *ret_step = "CPUTimeMaxSec timer";
        r = cpu_schedule(a);
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

void agent_spawn(Agent *a) {
        Manager *m = a->manager;
        _cleanup_strv_free_ char **env = NULL;
        const Policy *policy = NULL;
        const char *step = NULL;
        SpawnParams p;
        Identity id;
        int r, out;

        /* A fresh invocation: the last end's record goes, as SPEC says. */
        a->kill_reason = EXIT_REASON_NONE;
        a->kill_signal = 0;
        a->main_exited = false;
        a->exit = (ExitRecord) {};
        a->exit_realtime = a->exit_runtime = a->exit_cpu_nsec = a->exit_memory_peak = 0;
        /* Until the spawn succeeds there is no start time (a spawn failure has
         * no runtime). */
        a->started_realtime = a->started_monotonic = 0;
        a->check_failures = 0;
        a->status_errno = 0;
        a->status_text = mfree(a->status_text);
        a->health = AGENT_HEALTH_UNKNOWN;
        a->watchdog_usec = a->spec.watchdog_usec;
        (void) sd_id128_randomize(&a->invocation_id);

        r = cgroup_agent_new(m->cgroup_root, a->supervisor->cgroup, a->name, &a->spec.limits, &a->cgroup);
        if (r < 0) {
                agent_spawn_failed(a, -r, r == -EAGAIN ? "cgroup (cgroup.max.descendants reached)" : "cgroup");
                return;
        }

        r = agent_prepare_spawn(a, a->spec.exec, &id, &env, &policy, &p);
        if (r < 0) {
                agent_spawn_failed(a, -r, r == -ESRCH ? "user lookup" : r == -EPERM ? "user check" : "prepare");
                return;
        }
        r = timers_arm_start(a, &step);
        if (r < 0) {
                agent_spawn_failed(a, -r, step);
                return;
        }
        a->has_filter = p.filter != NULL;
        out = agent_output_open(a, /* invocation= */ true);
        p.stdout_fd = p.stderr_fd = out;
        r = spawn(&p, &a->pid, &a->pidfd, &step);
        safe_close(out);
        if (r < 0) {
                agent_spawn_failed(a, -r, step);
                return;
        }

        a->started_monotonic = now_monotonic();
        a->started_realtime = now_realtime();
        (void) hashmap_put(m->agents_by_cgroup, cgroup_path(a->cgroup), a);
        (void) hashmap_put(m->agents_by_pid, HASHMAP_UINT(a->pid), a);

        /* Edge-triggered: a pidfd becomes readable once, when the process exits. */
        r = sd_event_add_io(m->event, &a->pidfd_source, a->pidfd, EPOLLIN | EPOLLET, on_pidfd, a);
        if (r < 0) {
                log_agent_warning(a->name, "cannot watch its pidfd, killing it: %s", strerror(-r));
                (void) cgroup_kill(a->cgroup);
                watch_cgroup(a);
                a->main_exited = true;
        }

        /* Simple agents are running once exec'd; notify agents on READY=1. */
        a->ready = a->spec.type != SERVICE_NOTIFY;
        a->state = agent_get_state(a);
        if (a->sv)
                sv_agent_spawned(m->sv, a->sv, a->started_monotonic);
        log_agent_info(a->name, "started as pid %d in %s", (int) a->pid, cgroup_path(a->cgroup));


        bus_emit_agent_started(a);
        bus_emit_agent_changed(a, "State", "MainPID", "InvocationID", "StartedUSec", "ControlGroup",
                               "ExitReason", "ExitStatus", "ExitKilledBy", "StatusText", "Health",
                               "RestartCount", NULL);
        if (a->spec.type != SERVICE_NOTIFY)
                agent_enter_running(a);
}
