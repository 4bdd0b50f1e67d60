/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One agent: its spec, its current invocation (pid, pidfd, cgroup, timers)
 * and the record of its last end. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "agent-state.h"
#include "config.h"
#include "exit-reason.h"
#include "manager.h"
#include "policy.h"
#include "stop-batch.h"

/* The Agent interface's properties that change, as bits: logic marks what
 * it changed (agent_changed()), and the bus sends one PropertiesChanged per
 * agent and event-loop iteration carrying all of them (dbus-common.c). */
typedef enum AgentProperty {
        AGENT_PROP_INVOCATION_ID = 1U << 0,
        AGENT_PROP_STATE = 1U << 1,
        AGENT_PROP_HEALTH = 1U << 2,
        AGENT_PROP_STATUS_TEXT = 1U << 3,
        AGENT_PROP_STATUS_ERRNO = 1U << 4,
        AGENT_PROP_MAIN_PID = 1U << 5,
        AGENT_PROP_CONTROL_GROUP = 1U << 6,
        AGENT_PROP_RESTART_COUNT = 1U << 7,
        AGENT_PROP_STARTED_USEC = 1U << 8,
        AGENT_PROP_EXIT_REASON = 1U << 9,
        AGENT_PROP_EXIT_STATUS = 1U << 10,
        AGENT_PROP_EXIT_KILLED_BY = 1U << 11,
        AGENT_PROP_EXIT_TIMESTAMP_USEC = 1U << 12,
        AGENT_PROP_EXIT_RUNTIME_USEC = 1U << 13,
        AGENT_PROP_EXIT_CPU_USAGE_NSEC = 1U << 14,
        AGENT_PROP_EXIT_MEMORY_PEAK = 1U << 15,
        AGENT_PROP_OOM_KILLS = 1U << 16,
        AGENT_PROP_HEALTH_CHECK_FAILURES = 1U << 17,
        AGENT_PROP_UID = 1U << 18,
        AGENT_PROP_GID = 1U << 19,
        _AGENT_PROP_ALL = (1U << 20) - 1,
} AgentProperty;

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
        /* Rate-limited before they reach the bus queue (agent_notify). */
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
        /* The host ids of the current (or last) invocation (UID_INVALID
         * before the first); dynamic: held from the pool until the cgroup
         * is empty. */
        uid_t uid;
        gid_t gid;
        bool uid_dynamic;
        int ns_init_pidfd;               /* PrivatePIDs: the namespace's init, until the cgroup is empty */
        Policy *policy;                  /* the invocation's: health checks run under it */
        struct AgentFreeze *freeze;      /* while frozen or freezing (agent-freeze.c) */
        usec_t frozen_total;             /* time frozen in this invocation's ended freezes (agent-freeze.c) */
        struct AgentViolations *violations; /* seccomp listener, counts, learn mode (agent-violation.c) */

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
        int check_output_fd;             /* the invocation's checks share it (agent_output_check_fd()) */
        struct OutputPipe *check_pipe;   /* their pipe to the log file while it lives (agent-output.c) */
        /* The invocation's own pipe to the log file while it lives: its read
         * end is what Reexecute passes over (agent-output.c). */
        struct OutputPipe *output_pipe;

        /* The record of the last end. */
        ExitRecord exit;
        usec_t exit_realtime;
        usec_t exit_runtime;
        uint64_t exit_cpu_nsec;
        uint64_t exit_memory_peak;
        uint64_t oom_kills;              /* OOM kills of ended invocations */

        /* The bus queue (dbus-common.c): properties changed since the last
         * PropertiesChanged, and the link in the manager's list. */
        unsigned dirty;                  /* AgentProperty bits */
        bool in_dirty_queue;
        Agent *dirty_prev, *dirty_next;

        StopBatchNode stop_node;         /* in the manager's stop window (stop-batch-agent.c) */
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
void agent_update_state(Agent *a);      /* derive State and mark it when it changed */
AgentState agent_get_state(const Agent *a);
bool agent_is_active(const Agent *a);   /* a process runs in its cgroup */
/* Marks AgentProperty bits for the next PropertiesChanged. */
void agent_changed(Agent *a, unsigned props);
