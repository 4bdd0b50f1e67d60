/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One agent: its spec, its current invocation (pid, pidfd, cgroup, timers)
 * and the record of its last end. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "config.h"
#include "exit-reason.h"
#include "manager.h"

typedef enum AgentState {
        AGENT_STARTING,
        AGENT_RUNNING,
        AGENT_STOPPING,
        AGENT_RESTARTING,
        AGENT_EXITED,
        AGENT_FAILED,
        _AGENT_STATE_MAX,
        _AGENT_STATE_INVALID = -EINVAL,
} AgentState;

typedef enum AgentHealth {
        AGENT_HEALTH_UNKNOWN,
        AGENT_HEALTH_HEALTHY,
        AGENT_HEALTH_UNHEALTHY,
        _AGENT_HEALTH_MAX,
        _AGENT_HEALTH_INVALID = -EINVAL,
} AgentHealth;

struct Agent {
        Manager *manager;
        char *name;
        char *type;                      /* agent type name, "" for RunAgent */
        char *object_path;
        AgentSpec spec;
        Supervisor *supervisor;
        SvAgent *sv;

        AgentState state;
        AgentHealth health;
        char *status_text;
        int status_errno;
        /* PropertiesChanged for them is coalesced (agent_notify). */
        bool status_text_changed, status_errno_changed;
        usec_t status_emitted;
        sd_event_source *status_timer;

        /* The current invocation. */
        sd_id128_t invocation_id;
        pid_t pid;
        int pidfd;
        sd_event_source *pidfd_source;
        Cgroup *cgroup;
        int inotify_wd;                  /* -1 unless waiting for the cgroup to empty */
        bool main_exited;
        bool ready;                      /* simple: at once; notify: READY=1 */
        int main_si_code, main_si_status;
        usec_t started_monotonic, started_realtime;
        ExitReason kill_reason;          /* set when the daemon ends it */
        int kill_signal;                 /* the last signal KillAgent sent */
        bool has_filter;

        sd_event_source *stop_timer;     /* AgentTimeoutSec after SIGTERM */
        sd_event_source *runtime_timer;
        sd_event_source *cpu_timer;
        sd_event_source *start_timer;
        sd_event_source *watchdog_timer;
        sd_event_source *health_timer;
        usec_t watchdog_usec;            /* current (WATCHDOG_USEC=) */

        /* The running health check, if any. */
        pid_t check_pid;
        int check_pidfd;
        sd_event_source *check_source;
        sd_event_source *check_timeout;
        unsigned check_failures;

        /* The record of the last end. */
        ExitRecord exit;
        usec_t exit_realtime;
        usec_t exit_runtime;
        uint64_t exit_cpu_nsec;
        uint64_t exit_memory_peak;
        uint64_t oom_kills;              /* OOM kills of ended invocations */
};

int agent_new(Manager *m, const char *name, const char *type, AgentSpec *spec, Supervisor *s,
              Agent **ret);
Agent *agent_free(Agent *a);
void agent_forget(Agent *a);            /* unregister from the manager and free */

/* Carry out the core's SPAWN and STOP (SIGTERM, then cgroup.kill after
 * AgentTimeoutSec). */
void agent_spawn(Agent *a);
void agent_stop(Agent *a, ExitReason reason);
/* The daemon ends it for its own reason (timeout, watchdog, unhealthy...). */
void agent_terminate(Agent *a, ExitReason reason);
int agent_kill(Agent *a, int sig);
void agent_cgroup_event(Agent *a);      /* cgroup.events changed */
void agent_notify(Agent *a, const void *msg);   /* a parsed NotifyMessage */
void agent_update_state(Agent *a);      /* derive State and emit it when it changed */
AgentState agent_get_state(const Agent *a);
bool agent_is_active(const Agent *a);   /* a process runs in its cgroup */

const char *agent_state_to_string(AgentState s);
const char *agent_health_to_string(AgentHealth h);
