/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: start-up in a fixed order, the signal handlers, the policy
 * cache, reload, shutdown, and the loop that carries out the supervision
 * core's actions. */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent-freeze.h"
#include "agent.h"
#include "daemon-state.h"
#include "dbus.h"
#include "dynamic-user.h"
#include "log.h"
#include "manager.h"
#include "manager-nofile.h"
#include "notify.h"
#include "spawn.h"
#include "stop-batch-agent.h"
#include "string-table.h"
#include "systemd-job.h"
#include "sv-params.h"
#include "time-util.h"

static const char *const manager_state_table[_MANAGER_STATE_MAX] = {
        [MANAGER_STARTING] = "starting",
        [MANAGER_RUNNING] = "running",
        [MANAGER_ESCALATED] = "escalated",
        [MANAGER_STOPPING] = "stopping",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(manager_state, ManagerState);

int manager_new(const char *config_path, const char *bus_address, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        m->inotify_fd = m->notify_fd = m->notify_dir_fd = m->notify_lock_fd = -EBADF;
        m->state = MANAGER_STARTING;
        m->config_path = config_path ? strdup(config_path) : NULL;
        m->bus_address = strdup(bus_address ?: "system");
        m->agents = hashmap_new_string();
        m->agents_by_cgroup = hashmap_new_string();
        m->agents_by_pid = hashmap_new_uint();
        m->callers = hashmap_new_string();
        m->identities = hashmap_new_string();
        m->agents_by_wd = hashmap_new_uint();
        m->supervisors_by_name = hashmap_new_string();
        if ((config_path && !m->config_path) || !m->bus_address || !m->agents || !m->agents_by_cgroup || !m->agents_by_pid || !m->callers || !m->identities || !m->agents_by_wd || !m->supervisors_by_name)
                return -ENOMEM;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = daemon_state_new(m);
        if (r < 0)
                return r;
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        m->n_cpus = n > 0 ? (unsigned) n : 1;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        Agent *a;

        if (!m)
                return NULL;
        /* First: it tells a clean shutdown by the core's state. */
        daemon_state_free(m);
        HASHMAP_FOREACH(a, m->agents)
                agent_free(a);
        hashmap_free(m->agents);
        hashmap_free(m->agents_by_cgroup);
        hashmap_free(m->agents_by_pid);
        bus_callers_clear(m);
        if (m->identities) {
                manager_identities_clear(m);
                hashmap_free(m->identities);
        }
        hashmap_free(m->agents_by_wd);
        manager_types_clear(m);
        for (size_t i = m->n_supervisors; i > 0; i--) {
                Supervisor *s = m->supervisors[i - 1];
                if (s->cgroup && s->parent)
                        (void) cgroup_remove(s->cgroup);
                cgroup_free(s->cgroup);
                free(s->object_path);
                free(s);
        }
        free(m->supervisors);
        hashmap_free(m->supervisors_by_name);
        sv_free(m->sv);
        cgroup_root_free(m->cgroup_root);
        dynamic_user_pool_free(m->dynamic_users);
        manager_isolation_done(m);
        sd_event_source_disable_unref(m->inotify_source);
        sd_event_source_disable_unref(m->sv_timer);
        sd_event_source_disable_unref(m->shutdown_timer);
        manager_stop_batch_done(m);
        sd_event_source_disable_unref(m->bus_queue_source);
        safe_close(m->inotify_fd);
        notify_done(m);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        daemon_config_free(m->config);
        free(m->config_path);
        free(m->bus_address);
        return mfree(m);
}

static void log_diag(const char *what, const Diagnostic *d) {
        char buf[1024];
        diag_format(d, buf, sizeof buf);
        log_error("%s: %s", what, buf);
}

Supervisor *manager_find_supervisor(Manager *m, const char *name) {
        return hashmap_get(m->supervisors_by_name, name);
}

Agent *manager_find_agent(Manager *m, const char *name) {
        return hashmap_get(m->agents, name);
}

ManagerState manager_state(Manager *m) {
        if (m->state == MANAGER_RUNNING && sv_supervisor_escalated(sv_root(m->sv)))
                return MANAGER_ESCALATED;
        return m->state;
}

static int on_sv_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        sv_run_timers(m->sv, now_monotonic());
        manager_dispatch_actions(m);
        return 0;
}

/* The supervision core's timers (restart backoff, group restarts) share one
 * source, made at startup (manager_startup()) so that arming it only moves
 * it. USEC_INFINITY (a deadline that saturated) is no timer. */
void manager_arm_sv_timer(Manager *m) {
        usec_t next = sv_next_deadline(m->sv);
        int r;

        if (!m->sv_timer)
                return;
        if (next == USEC_INFINITY)
                r = sd_event_source_set_enabled(m->sv_timer, SD_EVENT_OFF);
        else {
                r = sd_event_source_set_time(m->sv_timer, next);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->sv_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_error("cannot arm the restart and backoff timer: %s; a delayed restart may not happen",
                          strerror(-r));
}

static const char *agent_name_cb(void *userdata) {
        return ((Agent *) userdata)->name;
}

static void check_shutdown_done(Manager *m) {
        if (m->state == MANAGER_STOPPING && sv_shutdown_done(m->sv))
                (void) sd_event_exit(m->event, m->exit_code);
}

void manager_dispatch_actions(Manager *m) {
        SvAction act;

        /* Carrying out an action can report an exit (a spawn that failed),
         * which queues more actions: the outer loop picks them up in order. */
        if (m->dispatching)
                return;
        m->dispatching = true;
        while (sv_pop_action(m->sv, &act)) {
                Agent *a = act.userdata;
                Supervisor *s = act.supervisor ? sv_supervisor_userdata(act.supervisor) : NULL;

                /* Live upgrade: what changed goes to the state files. */
                if (a && act.type != SV_ACTION_REMOVE)
                        daemon_state_agent_changed(a);
                if (act.type == SV_ACTION_RESTARTED || act.type == SV_ACTION_ESCALATED || act.type == SV_ACTION_RESET)
                        daemon_state_supervisors_changed(m);
                switch (act.type) {
                case SV_ACTION_SPAWN:
                        agent_spawn(a);
                        break;
                case SV_ACTION_STOP:
                        /* Bounded in flight: a mass stop frees a seccomp
                         * filter per process (stop-batch-agent.h). */
                        agent_stop_batched(a, act.stop_reason == SV_STOP_SHUTDOWN ? EXIT_REASON_SHUTDOWN
                                                                          : EXIT_REASON_STOPPED);
                        break;
                case SV_ACTION_RESTARTED:
                        agent_changed(a, AGENT_PROP_RESTART_COUNT);
                        bus_emit_agent_restarted(a);
                        break;
                case SV_ACTION_REMOVE:
                        log_agent_info(a->name, "temporary agent removed by its supervisor's restart");
                        agent_forget(a);
                        break;
                case SV_ACTION_ESCALATED:
                        if (!s)
                                break;
                        log_error("supervisor %s escalated: %s", s->config.name,
                                  sv_supervisor_escalation_reason(s->sv));
                        bus_emit_escalated(s);
                        bus_emit_supervisor_changed(s);
                        bus_emit_manager_changed(m);
                        break;
                case SV_ACTION_RESET:
                        if (!s)
                                break;
                        log_info("supervisor %s is running again", s->config.name);
                        bus_emit_supervisor_changed(s);
                        bus_emit_manager_changed(m);
                        break;
                case SV_ACTION_EXIT:
                        log_error("root supervisor escalated with OnEscalation=exit: exiting");
                        manager_begin_shutdown(m, 3);
                        break;
                case SV_ACTION_FREEZE:
                        agent_freeze_for_escalation(a);     /* OnEscalation=freeze (agent-freeze.c) */
                        break;
                default:
                        break;
                }
        }
        m->dispatching = false;
        manager_arm_sv_timer(m);
        check_shutdown_done(m);
}

static int on_shutdown_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        Agent *a;

        /* Every agent has had its AgentTimeoutSec; cgroup.kill cannot be
         * ignored, so this only fires when the kernel is slow to reap. */
        log_warning("shutdown is taking long, killing every agent's cgroup again");
        HASHMAP_FOREACH(a, m->agents)
                if (agent_is_active(a) && !agent_stop_batch_queued(a))   /* those wait for their batch */
                        (void) cgroup_kill(a->cgroup);
        return 0;
}

void manager_begin_shutdown(Manager *m, int exit_code) {
        usec_t longest = 0, deadline;
        int r;

        if (m->state == MANAGER_STOPPING)
                return;
        m->state = MANAGER_STOPPING;
        m->exit_code = exit_code;
        (void) sd_notify(false, "STOPPING=1");
        log_info("stopping %zu agents", hashmap_size(m->agents));
        bus_emit_manager_changed(m);
        for (size_t i = 0; i < m->n_supervisors; i++)
                longest = MAX(longest, m->supervisors[i]->config.agent_timeout_usec);
        /* AgentTimeoutSec=infinity: no second round of kills. */
        deadline = usec_add(now_monotonic(), usec_add(longest, 5 * USEC_PER_SEC));
        if (deadline != USEC_INFINITY) {
                r = sd_event_add_time(m->event, &m->shutdown_timer, CLOCK_MONOTONIC, deadline, 0,
                                      on_shutdown_timeout, m);
                if (r < 0)
                        log_error("cannot arm the shutdown timer (%s): agents that ignore SIGTERM are "
                                  "killed when their AgentTimeoutSec passes", strerror(-r));
        }
        sv_shutdown(m->sv, now_monotonic());
        manager_dispatch_actions(m);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        /* The unit's KillSignal=: `systemctl restart` leaves every agent to
         * the next daemon, `systemctl stop` stops them (systemd-job.c). */
        if (si->ssi_signo == SIGUSR2) {
                systemd_job_on_sigusr2(m);
                return 0;
        }
        if (si->ssi_signo == SIGHUP) {
                Diagnostic d = {};
                if (manager_reload(m, &d) < 0)
                        log_diag("reload failed, keeping the previous types and policies", &d);
                return 0;
        }
        log_info("received %s", strsignal((int) si->ssi_signo));
        manager_begin_shutdown(m, 0);
        return 0;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        Agent *a = hashmap_get(m->agents_by_wd, HASHMAP_UINT(e->wd));
                        p += sizeof(struct inotify_event) + e->len;
                        if (a)
                                agent_cgroup_event(a);
                }
        }
        return 0;
}

/* max descendants of a supervisor's group: its own agents, plus each nested
 * supervisor's group and everything that one may hold. */
static uint64_t supervisor_max_descendants(Manager *m, size_t idx) {
        uint64_t n = m->config->supervisors[idx].max_children;
        for (size_t j = idx + 1; j < m->config->n_supervisors; j++) {
                const char *parent = m->config->supervisors[j].parent;
                if (parent && strcmp(parent, m->config->supervisors[idx].name) == 0)
                        n += 1 + supervisor_max_descendants(m, j);
        }
        return n;
}

/* The safe defaults are for hosts that can enforce them; where a controller
 * is missing (a delegated v2 subtree without it), an agent type that asks
 * for such a limit itself is still refused at start (EOPNOTSUPP). */
static void drop_unenforceable_defaults(Manager *m) {
        if (m->config->default_tasks_max != UINT64_MAX &&
            !cgroup_root_has_controller(m->cgroup_root, CGROUP_V1_PIDS)) {
                log_warning("no pids controller: DefaultTasksMax= is not applied");
                m->config->default_tasks_max = UINT64_MAX;
        }
        if (m->config->default_memory_max != UINT64_MAX &&
            !cgroup_root_has_controller(m->cgroup_root, CGROUP_V1_MEMORY)) {
                log_warning("no memory controller: DefaultMemoryMax= is not applied");
                m->config->default_memory_max = UINT64_MAX;
        }
}

static int setup_supervisors(Manager *m) {
        int r;

        m->sv = sv_new();
        if (!m->sv)
                return -ENOMEM;
        sv_set_name_callback(m->sv, agent_name_cb);
        m->supervisors = calloc(m->config->n_supervisors, sizeof(Supervisor *));
        if (!m->supervisors)
                return -ENOMEM;

        for (size_t i = 0; i < m->config->n_supervisors; i++) {
                const SupervisorConfig *c = &m->config->supervisors[i];
                Supervisor *parent = c->parent ? manager_find_supervisor(m, c->parent) : NULL;
                Supervisor *s = calloc(1, sizeof(Supervisor));
                SvParams p;

                if (!s)
                        return -ENOMEM;
                m->supervisors[m->n_supervisors++] = s;
                s->manager = m;
                s->config = *c;
                s->parent = parent;
                if (asprintf(&s->object_path, "%s/%s", BUS_SUPERVISOR_PREFIX, c->name) < 0)
                        return -ENOMEM;
                sv_params_from_config(c, &p);
                r = sv_supervisor_add(m->sv, c->name, parent ? parent->sv : NULL, &p, s, &s->sv);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up supervisor %s: %m", c->name);
                r = cgroup_supervisor_new(m->cgroup_root, parent ? parent->cgroup : NULL, c->name,
                                          supervisor_max_descendants(m, i), &c->limits, &s->cgroup);
                if (r == -EOPNOTSUPP)
                        return log_error_errno(r, "Failed to create the cgroup of supervisor %s: its TasksMax=, "
                                               "MemoryMax= or CPUQuota= needs a controller this host does not "
                                               "offer", c->name);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the cgroup of supervisor %s: %m", c->name);
                r = hashmap_put(m->supervisors_by_name, s->config.name, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int setup_signals(Manager *m) {
        static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2 };
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaddset(&mask, sigs[i]);
        /* Block before creating sources, so nothing arrives in between. */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(m->event, NULL, sigs[i], on_signal, m);
                if (r < 0)
                        return r;
        }
        /* The daemon writes to pipes and sockets of agents that may be gone. */
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

int manager_startup(Manager *m) {
        Diagnostic d = {};
        int r;

        r = config_load(m->config_path, &m->config, &d);
        if (r < 0) {
                log_diag("invalid configuration", &d);
                return r;
        }
        r = manager_isolation_setup(m);
        if (r < 0)
                return r;
        if (m->config->admin_group) {
                struct group *g = getgrnam(m->config->admin_group);
                if (g) {
                        m->admin_gid = g->gr_gid;
                        m->have_admin_gid = true;
                } else
                        log_warning("AdminGroup=%s does not exist; only root may change agents",
                                    m->config->admin_group);
        }
        /* Agent output goes to journald's stream socket where it listens,
         * else to LogDirectory (agent-output.c). */
        m->journal = access("/run/systemd/journal/stdout", F_OK) == 0;
        if (!m->journal && m->config->log_directory)
                (void) mkdir(m->config->log_directory, 0750);
        manager_nofile_setup(m);

        /* The notify socket comes with the lock (RuntimeDirectory/ControlGroup/
         * lock) that keeps a second daemon off the same subtree before the
         * stale-group cleanup below could touch live agents. */
        r = notify_setup(m);
        if (r < 0)
                return r;
        /* The agents an earlier daemon left are read before the stale-group
         * cleanup, which spares their groups. */
        r = daemon_state_open(m);
        if (r < 0)
                return r;
        r = cgroup_root_open_keep(m->config->control_group, m->state_files->keep, &m->cgroup_root);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the cgroup subtree: %m");
        /* Types get the defaults when parsed: only those this host enforces. */
        drop_unenforceable_defaults(m);
        r = manager_load_types(m, &m->types, &m->policies, &d);
        if (r < 0) {
                log_diag("invalid agent types or policies", &d);
                return r;
        }
        r = setup_supervisors(m);
        if (r < 0)
                return r;
        daemon_state_restore_supervisors(m);
        /* Made now, off: arming it later cannot fail for want of memory. */
        r = sd_event_add_time(m->event, &m->sv_timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_sv_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->sv_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to create the restart timer: %m");

        m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m->inotify_fd < 0)
                return log_error_errno(errno, "Failed to create inotify instance: %m");
        r = sd_event_add_io(m->event, &m->inotify_source, m->inotify_fd, EPOLLIN, on_inotify, m);
        if (r < 0)
                return r;
        r = setup_signals(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        daemon_state_adopt(m);
        r = bus_setup(m);
        if (r < 0)
                return r;

        m->state = MANAGER_RUNNING;
        bus_emit_manager_changed(m);
        (void) sd_notify(false, "READY=1\nSTATUS=supervising");
        log_info("agentvisord %s running: %zu agent types, %zu supervisors, cgroup %s", PROJECT_VERSION,
                 hashmap_size(m->types), m->n_supervisors, cgroup_root_path(m->cgroup_root));
        return 0;
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);
        /* What changed in the last iteration still goes out. */
        bus_queue_flush(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), 1;
        log_info("all agents stopped, exiting with %d", r);
        return r;
}
