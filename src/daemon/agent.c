/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's lifecycle: spawn an invocation into its cgroup, watch the
 * pidfd and cgroup.events, stop and kill it through pidfd and cgroup.kill,
 * record each end and report it to the supervision core, whose decision
 * (restart, give up, remove) the manager carries out. Also the sd_notify
 * messages of a running invocation. The exec context is agent-exec.c, the
 * timers and health checks agent-health.c. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include "agent-freeze.h"
#include "agent-internal.h"
#include "agent-output.h"
#include "agent-violation.h"
#include "cgroup-freeze.h"
#include "daemon-state.h"
#include "dbus.h"
#include "dynamic-user.h"
#include "log.h"
#include "manager-nofile.h"
#include "notify-message.h"
#include "notify.h"
#include "stop-batch-agent.h"
#include "strv.h"
#include "time-util.h"

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
        a->ns_init_pidfd = -EBADF;
        a->check_output_fd = -EBADF;
        a->inotify_wd = -1;
        a->uid = (uid_t) -1;
        a->gid = (gid_t) -1;
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

Agent *agent_free(Agent *a) {
        if (!a)
                return NULL;
        bus_agent_forget(a);
        agent_freeze_done(a);
        stop_batch_drop(&a->manager->stop_batch, &a->stop_node);
        agent_timers_clear(a);
        a->status_timer = sd_event_source_disable_unref(a->status_timer);
        agent_check_clear(a);
        a->policy = policy_unref(a->policy);
        agent_violation_free(a);
        if (a->pid > 0)
                hashmap_remove(a->manager->agents_by_pid, HASHMAP_UINT(a->pid));
        a->pidfd_source = sd_event_source_disable_unref(a->pidfd_source);
        a->pidfd = safe_close(a->pidfd);
        cgroup_free(a->cgroup);
        a->ns_init_pidfd = sandbox_ns_init_release(a->ns_init_pidfd);
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
        daemon_state_agent_removed(a);          /* live upgrade: its state file goes */
        hashmap_remove(m->agents, a->name);
        agent_free(a);
        bus_emit_manager_changed(m);
}

bool agent_is_active(const Agent *a) {
        return a->cgroup != NULL;
}

static AgentCoreView core_view(const Agent *a) {
        if (!a->sv)
                return AGENT_CORE_NONE;
        switch (sv_agent_state(a->sv)) {
        case SV_AGENT_STARTING:
                return AGENT_CORE_STARTING;
        case SV_AGENT_STOPPING:
                return AGENT_CORE_STOPPING;
        case SV_AGENT_WAITING:
                return AGENT_CORE_WAITING;
        default:
                return AGENT_CORE_NONE;
        }
}

AgentState agent_get_state(const Agent *a) {
        AgentFacts f = {
                .active = agent_is_active(a),
                .ending = a->kill_reason != EXIT_REASON_NONE || a->main_exited,
                .ready = a->ready,
                .frozen = agent_is_frozen(a),
                .core = core_view(a),
                .exit_reason = a->exit.reason,
                .exit_status = a->exit.status,
        };
        return agent_state_derive(&f);
}

void agent_changed(Agent *a, unsigned props) {
        bus_agent_changed(a, props);
        daemon_state_agent_changed(a);          /* live upgrade: its state file is rewritten */
}

void agent_update_state(Agent *a) {
        AgentState n = agent_get_state(a);
        if (n == a->state)
                return;
        a->state = n;
        agent_changed(a, AGENT_PROP_STATE);
}

void agent_set_health(Agent *a, AgentHealth h) {
        if (a->health == h)
                return;
        a->health = h;
        agent_changed(a, AGENT_PROP_HEALTH);
        bus_emit_health_changed(a);
}

void agent_stop_mark(Agent *a, ExitReason reason) {
        if (a->kill_reason == EXIT_REASON_NONE ||
            (reason == EXIT_REASON_SHUTDOWN && a->kill_reason == EXIT_REASON_STOPPED))
                a->kill_reason = reason;
        agent_timer_off(a->start_timer);
        agent_timer_off(a->watchdog_timer);
        agent_timer_off(a->health_timer);
        agent_timer_off(a->runtime_timer);
        agent_timer_off(a->cpu_timer);
}

/* SIGTERM to the main process, cgroup.kill after AgentTimeoutSec (or at
 * once when the main process is gone already). */
void agent_stop(Agent *a, ExitReason reason) {
        if (!agent_is_active(a))
                return;
        agent_stop_mark(a, reason);

        /* Frozen: killed at once, nothing runs another instruction (SPEC). */
        if (agent_is_frozen(a))
                agent_freeze_kill(a);
        else if (a->main_exited || a->pidfd < 0 || agent_pidfd_send(a->pidfd, SIGTERM) < 0)
                (void) cgroup_kill(a->cgroup);
        else {
                int r = agent_stop_timer_arm(a);
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
                r = agent_pidfd_send(a->pidfd, sig);
                if (r >= 0)
                        a->kill_signal = sig;
                return r;
        }
        if (sig == SIGKILL)
                return cgroup_kill(a->cgroup);
        return -ESRCH;
}

static void agent_finish(Agent *a);

/* Only once nothing runs in the cgroup any more: no process may still run as
 * the uid when another agent can get it (dynamic-user.h); the PID
 * namespace's init (killed with the cgroup) is reaped. */
void agent_release_identity(Agent *a) {
        int r;

        a->ns_init_pidfd = sandbox_ns_init_release(a->ns_init_pidfd);
        if (!a->uid_dynamic)
                return;
        a->uid_dynamic = false;
        r = dynamic_user_release(a->manager->dynamic_users, a->name);
        if (r < 0)
                log_agent_warning(a->name, "cannot release dynamic uid %u: %s", (unsigned) a->uid, strerror(-r));
}

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
        else
                agent_freeze_cgroup_event(a);        /* "frozen 1" (agent-freeze.c) */
}

/* PrivatePIDs: the namespace's init has died, so everything in its
 * namespace has (the kernel kills and reaps that before the init's own end
 * is reported). cgroup.events is not enough to learn it quickly: the kernel
 * sends at most one notification per file every 10 ms, and the spawn's
 * "populated 1" has usually just used it up, so a crash soon after the start
 * would wait out the rest of that window. */
static int on_ns_init_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        int r;

        r = sandbox_ns_init_try_reap(a->ns_init_pidfd);
        if (r == 0)
                return 0;            /* not yet: the pidfd stays readable-armed */
        a->pidfd_source = sd_event_source_disable_unref(a->pidfd_source);
        if (r > 0)
                a->ns_init_pidfd = safe_close(a->ns_init_pidfd);
        agent_cgroup_event(a);
        return 0;
}

/* The main process is gone: the init has no other job, it goes at once. Its
 * exit is watched through the same source slot the main pidfd used. */
static void ns_init_end(Agent *a) {
        int r;

        if (a->ns_init_pidfd < 0)
                return;
        (void) agent_pidfd_send(a->ns_init_pidfd, SIGKILL);
        r = sd_event_add_io(a->manager->event, &a->pidfd_source, a->ns_init_pidfd, EPOLLIN, on_ns_init_exit, a);
        if (r < 0)
                log_agent_full(LOG_DEBUG, a->name, "cannot watch its PID namespace's init, waiting for its cgroup: %s",
                                strerror(-r));
}

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        siginfo_t si = {};

        if (waitid((idtype_t) P_PIDFD, (id_t) a->pidfd, &si, WEXITED | WNOHANG) < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                /* Adopted after a crash, it is not our child (daemon-adopt-agent.c). */
                if (errno != ECHILD || agent_adopted_exit(a, &si.si_code, &si.si_status) < 0) {
                        log_agent_warning(a->name, "waitid on its pidfd failed: %s", strerror(errno));
                        si.si_code = CLD_KILLED;
                        si.si_status = SIGKILL;
                }
        } else if (si.si_pid == 0)
                return 0;

        agent_main_gone(a, si.si_code, si.si_status);
        return 0;
}

void agent_main_gone(Agent *a, int code, int status) {
        a->main_exited = true;
        hashmap_remove(a->manager->agents_by_pid, HASHMAP_UINT(a->pid));
        a->main_si_code = code;
        a->main_si_status = status;
        a->pidfd_source = sd_event_source_disable_unref(a->pidfd_source);
        a->pidfd = safe_close(a->pidfd);
        a->pid = 0;
        agent_changed(a, AGENT_PROP_MAIN_PID);

        if (cgroup_is_populated(a->cgroup) == 0) {
                agent_finish(a);
                return;
        }

        /* Whatever the main process left behind ends with it (SPEC). The
         * agent has ended once cgroup.events says the group is empty. */
        watch_cgroup(a);
        ns_init_end(a);
        if (agent_is_frozen(a))
                agent_freeze_kill(a);        /* the v1 freezer must thaw for the kill */
        else
                (void) cgroup_kill(a->cgroup);
        agent_update_state(a);
        agent_cgroup_event(a);
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
        agent_changed(a, AGENT_PROP_EXIT_REASON | AGENT_PROP_EXIT_STATUS | AGENT_PROP_EXIT_KILLED_BY |
                                 AGENT_PROP_EXIT_TIMESTAMP_USEC | AGENT_PROP_EXIT_RUNTIME_USEC |
                                 AGENT_PROP_EXIT_CPU_USAGE_NSEC | AGENT_PROP_EXIT_MEMORY_PEAK |
                                 AGENT_PROP_MAIN_PID | AGENT_PROP_OOM_KILLS);
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
                /* Its listener was lost and the daemon killed it for that
                 * (agent-violation-carry.c). */
                .daemon_killed = a->kill_reason == EXIT_REASON_LOST && agent_violation_lost(a),
                .daemon_signal = a->kill_signal,
                .has_filter = a->has_filter,
        };
        CgroupStats st = {};
        int r;

        agent_freeze_done(a);
        agent_timers_clear(a);
        agent_check_clear(a);
        agent_stop_batch_ended(a);      /* the next stop may go */
        a->pidfd_source = sd_event_source_disable_unref(a->pidfd_source);
        agent_violation_end(a);
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
        notify_agent_remove(a);
        r = cgroup_remove(a->cgroup);
        if (r < 0)
                log_agent_warning(a->name, "cannot remove cgroup %s: %s", cgroup_path(a->cgroup),
                                  strerror(-r));
        a->cgroup = cgroup_free(a->cgroup);
        agent_release_identity(a);

        /* Health is a property of a running agent; so is its policy. */
        agent_set_health(a, AGENT_HEALTH_UNKNOWN);
        a->policy = policy_unref(a->policy);
        record_end(a, &f);
        report_exit(a);
}

static void agent_spawn_failed(Agent *a, int error, const char *step) {
        Manager *m = a->manager;
        ExitFacts f = { .spawn_failed = true, .spawn_errno = error };
        char why[256];

        /* Out of fds: the limit and what to raise, not a bare errno. */
        log_agent_warning(a->name, "cannot start: %s%s%s", step ?: "", step ? ": " : "",
                          nofile_exhausted(error) ? manager_nofile_message(m, error, why, sizeof why) : strerror(error));
        agent_timers_clear(a);
        a->policy = policy_unref(a->policy);
        if (a->cgroup) {
                hashmap_remove(m->agents_by_cgroup, cgroup_path(a->cgroup));
                notify_agent_remove(a);
                (void) cgroup_remove(a->cgroup);
                a->cgroup = cgroup_free(a->cgroup);
        }
        /* Nothing ran: the cgroup was never populated. */
        agent_release_identity(a);
        record_end(a, &f);
        report_exit(a);
}

/* A fresh invocation: the last end's record goes, as SPEC says. */
static void invocation_reset(Agent *a) {
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
}

int agent_pidfd_watch(Agent *a) {
        /* Edge-triggered: a pidfd becomes readable once, when the process exits. */
        return sd_event_add_io(a->manager->event, &a->pidfd_source, a->pidfd, EPOLLIN | EPOLLET, on_pidfd, a);
}

/* The process runs: index it, watch its pidfd, tell the core and the bus. */
static void invocation_started(Agent *a) {
        Manager *m = a->manager;
        int r;

        a->started_monotonic = now_monotonic();
        a->started_realtime = now_realtime();
        (void) hashmap_put(m->agents_by_cgroup, cgroup_path(a->cgroup), a);
        notify_agent_add(a);
        (void) hashmap_put(m->agents_by_pid, HASHMAP_UINT(a->pid), a);

        r = agent_pidfd_watch(a);
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
        agent_changed(a, AGENT_PROP_STATE | AGENT_PROP_MAIN_PID | AGENT_PROP_INVOCATION_ID |
                                 AGENT_PROP_STARTED_USEC | AGENT_PROP_CONTROL_GROUP | AGENT_PROP_EXIT_REASON |
                                 AGENT_PROP_EXIT_STATUS | AGENT_PROP_EXIT_KILLED_BY | AGENT_PROP_STATUS_TEXT |
                                 AGENT_PROP_HEALTH | AGENT_PROP_RESTART_COUNT);
        if (a->spec.type != SERVICE_NOTIFY)
                agent_enter_running(a);
}

void agent_spawn(Agent *a) {
        Manager *m = a->manager;
        _cleanup_strv_free_ char **env = NULL;
        const char *step = NULL;
        AgentSandbox sandbox;
        SpawnParams p;
        Identity id;
        int r, out, listener = -EBADF;

        invocation_reset(a);
        r = cgroup_agent_new(m->cgroup_root, a->supervisor->cgroup, a->name, &a->spec.limits, &a->cgroup);
        if (r < 0) {
                agent_spawn_failed(a, -r, r == -EAGAIN ? "cgroup (cgroup.max.descendants reached)" : "cgroup");
                return;
        }
        /* Frozen from above (a supervisor's group, behind the daemon's
         * back): the child would stop before its exec, and the daemon with it. */
        if (cgroup_kernel_frozen(a->cgroup) > 0) {
                agent_spawn_failed(a, EBUSY, "cgroup (frozen)");
                return;
        }

        r = agent_prepare_spawn(a, a->spec.exec, /* invocation= */ true, &id, &env, &sandbox, &p, &step);
        if (r < 0) {
                agent_spawn_failed(a, -r, step);
                return;
        }
        r = agent_timers_arm_start(a, &step);
        if (r < 0) {
                agent_sandbox_done(&sandbox);
                agent_spawn_failed(a, -r, step);
                return;
        }
        /* A policy that reports, or learn mode: other filters and a listener. */
        r = agent_violation_prepare(a, &p, &listener);
        if (r < 0) {
                agent_sandbox_done(&sandbox);
                agent_spawn_failed(a, -r, "seccomp listener");
                return;
        }
        a->has_filter = p.filter != NULL;
        out = agent_output_open(a, /* invocation= */ true);
        p.stdout_fd = p.stderr_fd = out;
        r = spawn(&p, &a->pid, &a->pidfd, &step);
        safe_close(out);
        cgroup_v1_procs_close(a->cgroup);
        agent_sandbox_done(&sandbox);
        if (r < 0) {
                agent_spawn_failed(a, -r, step);
                return;
        }

        invocation_started(a);
        agent_violation_started(a, listener);
}
