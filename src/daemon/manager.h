/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's state: event loop, bus, configuration, supervisors, agents,
 * and the glue that carries out what the supervision core decides. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cgroup.h"
#include "config.h"
#include "hashmap.h"
#include "kernel-features.h"
#include "policy.h"
#include "stop-batch.h"
#include "supervise.h"
#include "time-util.h"

typedef struct Agent Agent;
typedef struct Manager Manager;
typedef struct DynamicUserPool DynamicUserPool;

typedef enum ManagerState {
        MANAGER_STARTING,
        MANAGER_RUNNING,
        MANAGER_ESCALATED,
        MANAGER_STOPPING,
        _MANAGER_STATE_MAX,
        _MANAGER_STATE_INVALID = -EINVAL,
} ManagerState;

/* A supervisor of the tree: the core's node plus its cgroup and bus face. */
typedef struct Supervisor {
        Manager *manager;
        SvSupervisor *sv;
        SupervisorConfig config;         /* shallow copy: strings owned by manager->config */
        Cgroup *cgroup;
        char *object_path;
        struct Supervisor *parent;
        bool dirty;                      /* PropertiesChanged due (dbus-common.c) */
} Supervisor;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        char *bus_address;               /* "system", "user" or an address */

        char *config_path;
        DaemonConfig *config;
        Hashmap *types;                  /* name -> AgentType */
        Hashmap *policies;               /* name -> Policy, compiled once per load */

        CgroupRoot *cgroup_root;
        Sv *sv;
        Supervisor **supervisors;        /* [0] is root, parents first */
        size_t n_supervisors;
        Hashmap *supervisors_by_name;

        Hashmap *agents;                 /* name -> Agent */
        Hashmap *agents_by_cgroup;       /* v2 path -> Agent (notify sender lookup) */
        Hashmap *identities;             /* user name -> Identity (agent-userdb.c), until reload */
        Hashmap *callers;                /* unique bus name -> CallerCredentials (dbus-common.c) */
        Hashmap *agents_by_pid;          /* main pid -> Agent, while not reaped (notify fast path) */
        Hashmap *agents_by_wd;           /* inotify wd -> Agent */

        int inotify_fd;
        sd_event_source *inotify_source;
        int notify_fd;
        sd_event_source *notify_source;
        char *notify_socket;             /* RuntimeDirectory/ControlGroup/notify, as agents see it */
        char *notify_dir;                /* RuntimeDirectory/ControlGroup */
        int notify_dir_fd;
        int notify_lock_fd;              /* flock()ed: this daemon is the ControlGroup's */
        bool notify_bound;
        Hashmap *notify_agents;          /* cgroup id -> NotifyAgent (notify.c) */
        uint64_t notify_dropped;

        sd_event_source *sv_timer;       /* backoff deadline of the core */
        sd_event_source *shutdown_timer; /* bounds a shutdown that hangs */
        /* Stops in flight are bounded (stop-batch-agent.c, issue 16). */
        StopBatch stop_batch;
        sd_event_source *stop_batch_timer;
        usec_t stop_batch_progress;      /* the window's last start or end */

        /* The bus queue (dbus-common.c): objects whose properties changed,
         * flushed as one PropertiesChanged each by a defer source. */
        sd_event_source *bus_queue_source;
        Agent *dirty_agents;
        bool dirty, supervisors_dirty;

        ManagerState state;
        int exit_code;
        bool journal;                    /* journald is there: agent output goes to it */
        bool dispatching;                /* inside manager_dispatch_actions() */
        unsigned n_cpus;
        gid_t admin_gid;
        bool have_admin_gid;

        /* Isolation: what the kernel offers (probed once at start), and the
         * dynamic uid pool over DynamicUserRange=, made at the first
         * User=dynamic start (its lock directory is under RuntimeDirectory=). */
        KernelFeatures features;
        uid_t dynamic_uid_min, dynamic_uid_max;
        DynamicUserPool *dynamic_users;
        /* PrivateNetwork=: namespaces made ahead of time (NULL: none, each
         * start makes its own); refilled from an idle defer source, the
         * helper's exit watched on its pidfd (manager-isolation.c). */
        struct NetnsPool *netns_pool;
        sd_event_source *netns_refill_source;
        sd_event_source *netns_helper_source;

        /* Live upgrade and recovery: the state files and what a re-exec
         * passed (daemon-state.h). */
        struct DaemonState *state_files;
};

int manager_new(const char *config_path, const char *bus_address, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_startup(Manager *m);
int manager_run(Manager *m);     /* returns the exit code */

/* Carry out every queued action of the supervision core. */
void manager_dispatch_actions(Manager *m);
void manager_arm_sv_timer(Manager *m);

Supervisor *manager_find_supervisor(Manager *m, const char *name);
Agent *manager_find_agent(Manager *m, const char *name);
Policy *manager_get_policy(Manager *m, const char *name, Diagnostic *diag, int *ret_error);
int manager_reload(Manager *m, Diagnostic *diag);
/* Reads every agent type and compiles the policies they name into fresh
 * tables (manager-types.c). */
int manager_load_types(Manager *m, Hashmap **ret_types, Hashmap **ret_policies, Diagnostic *diag);
/* Frees the types and the policy cache (manager-types.c). */
void manager_types_clear(Manager *m);
void manager_identities_clear(Manager *m);
int manager_check_user(Manager *m, const char *user);   /* 0, or -ESRCH for no such user */
void manager_begin_shutdown(Manager *m, int exit_code);
/* manager-isolation.c: DynamicUserRange= checked and the kernel probed, at
 * start. */
int manager_isolation_setup(Manager *m);
void manager_isolation_done(Manager *m);
/* Before the daemon executes itself anew: the network namespace pool's
 * helper is killed and reaped (a child left running would end as a zombie
 * nobody reaps); if the exec fails, the next refill starts another. */
void manager_isolation_before_exec(Manager *m);
/* An fd of a fresh network namespace for a PrivateNetwork= start, now the
 * caller's (close it after spawn()), or -EAGAIN: none ready, spawn makes
 * one. A refill is queued, to run when the loop is idle. */
int manager_netns_take(Manager *m);
/* The dynamic uid pool, made on first use; -errno with *ret_message. */
int manager_dynamic_users(Manager *m, DynamicUserPool **ret, char **ret_message);
ManagerState manager_state(Manager *m);
const char *manager_state_to_string(ManagerState s);
