/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's exec context: the identity it runs as, its environment, the
 * policy it runs under and the spawn parameters that carry them (output is
 * agent-output.c, the environment's shape agent-env.c). */
#include <stdio.h>
#include <string.h>

#include "agent-env.h"
#include "agent-internal.h"
#include "dynamic-user.h"
#include "log.h"
#include "path-util.h"
#include "state-directory.h"
#include "strv.h"

#define USER_DYNAMIC "dynamic"

_Static_assert(AGENT_ENV_PID_SLOT_SIZE >= SPAWN_PID_SLOT_SIZE, "the WATCHDOG_PID= slot must hold any pid");

static const char *agent_user(const Agent *a) {
        return a->spec.user ?: a->manager->config->default_user;
}

static int build_env(Agent *a, const Identity *id, const char *state_directory, char ***ret,
                     char **ret_pid_slot) {
        AgentEnvParams p = {
                .home = id->home,
                .user = id->user,
                .environment = a->spec.environment,
                .notify_socket = a->manager->notify_socket,
                .watchdog_usec = a->spec.watchdog_usec,
                .state_directory = state_directory,
        };
        return agent_env_build(&p, ret, ret_pid_slot);
}

/* A new invocation takes the policy as loaded now and keeps it: a Reload()
 * that changes the file changes the next invocation, not this one. */
static int take_policy(Agent *a, bool invocation) {
        Manager *m = a->manager;
        Diagnostic d = {};
        Policy *p;
        int r = -ENOENT;

        if (!invocation)
                return a->policy ? 0 : -ESRCH;
        p = manager_get_policy(m, a->spec.policy, &d, &r);
        if (!p)
                return r;
        policy_unref(a->policy);
        a->policy = policy_ref(p);
        return 0;
}

/* The cgroup's directory and its v1 tasks fds (hybrid) are opened here for
 * this one spawn (the group holds no fd otherwise): the caller closes them
 * with cgroup_v1_procs_close() once spawn() returned. */
static int spawn_params_fill(Agent *a, char *const *argv, const Identity *id, char **env, SpawnParams *p) {
        int r;

        *p = (SpawnParams) {
                .path = argv[0],
                .argv = argv,
                .envp = env,
                .cgroup_fd = -EBADF,
                .uid = id->uid,
                .gid = id->gid,
                .groups = id->groups,
                .n_groups = (size_t) id->n_groups,
                .working_directory = a->spec.working_directory ?: "/",
                .filter = policy_filter(a->policy),
                .stdout_fd = -1,
                .stderr_fd = -1,
                .rlimits = a->spec.rlimits,
                .umask = a->spec.umask,
                .oom_score_adj = a->spec.oom_score_adj,
                .oom_score_adj_set = a->spec.oom_score_adj_set,
                .protect_cgroups = id->uid == 0,
        };
        r = cgroup_v1_procs_open(a->cgroup, &p->v1_procs_fds, &p->n_v1_procs_fds);
        if (r < 0)
                return r;
        p->cgroup_fd = cgroup_dir_fd(a->cgroup);
        return 0;
}

/* The pool's uid for the agent's name: an invocation takes it (the same
 * uid again after a restart); a health check runs as the uid the
 * invocation holds. */
static int dynamic_uid(Agent *a, bool invocation, uid_t *ret, char **ret_message) {
        DynamicUserPool *pool;
        int r;

        r = manager_dynamic_users(a->manager, &pool, ret_message);
        if (r < 0)
                return r;
        if (!invocation)
                return dynamic_user_get(pool, a->name, ret) > 0 ? 0 : -ESRCH;
        r = dynamic_user_acquire(pool, a->name, a->spec.state_directory, ret, ret_message);
        if (r < 0)
                return r;
        a->uid_dynamic = true;
        return 0;
}

static int dynamic_uid_logged(Agent *a, bool invocation, uid_t *ret, const char **ret_step) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = dynamic_uid(a, invocation, ret, &message);
        if (r < 0) {
                log_agent_warning(a->name, "no dynamic uid: %s", message ?: strerror(-r));
                *ret_step = "dynamic user";
        }
        return r;
}

static int resolve_identity(Agent *a, bool invocation, Identity *id, const char **ret_step) {
        Manager *m = a->manager;
        uid_t uid;
        int r;

        /* User=dynamic: the gid of the same number, no supplementary groups. */
        if (strcmp(agent_user(a), USER_DYNAMIC) == 0) {
                r = dynamic_uid_logged(a, invocation, &uid, ret_step);
                if (r < 0)
                        return r;
                *id = (Identity) { .uid = uid, .gid = (gid_t) uid };
                snprintf(id->home, sizeof id->home, "/");
                snprintf(id->user, sizeof id->user, "%s", a->name);
                return 0;
        }
        r = resolve_user(m, agent_user(a), id);
        if (r < 0) {
                *ret_step = "user lookup";
                return r;
        }
        r = identity_check_admin(m, id);
        if (r < 0) {
                log_agent_warning(a->name, "user %s is a member of AdminGroup=%s, which may drive the API: "
                                "refusing to run an agent as that user", agent_user(a), m->config->admin_group);
                *ret_step = "user check";
                return r;
        }
        return 0;
}

/* The ids on the host: the agent's own, or for User=root under
 * PrivateUsers=yes (standard, strict) a dynamic uid that root in the
 * agent's user namespace maps to. Host root only with PrivateUsers=no. */
typedef struct HostIds {
        uid_t uid;
        gid_t gid;
        bool userns;
} HostIds;

static int host_ids(Agent *a, bool invocation, Identity *id, HostIds *ret, const char **ret_step) {
        uid_t uid;
        int r;

        *ret = (HostIds) { id->uid, id->gid, false };
        if (id->uid != 0)
                return 0;
        if (sandbox_options_value(&a->spec.sandbox, a->manager->config->default_sandbox,
                                  SANDBOX_KEY_PRIVATE_USERS) == 0) {
                if (invocation)
                        log_agent_warning(a->name, "runs as host root (User=root with PrivateUsers=no): no "
                                          "capabilities, but uid 0 on the host");
                return 0;
        }
        r = dynamic_uid_logged(a, invocation, &uid, ret_step);
        if (r < 0)
                return r;
        /* Nothing but the agent's ids is mapped in its namespace. */
        id->n_groups = 0;
        *ret = (HostIds) { uid, (gid_t) uid, true };
        return 0;
}

/* The namespaces: new ones for an invocation (the PID namespace's init
 * is held in a->ns_init_pidfd until the cgroup is empty); a health check
 * joins its agent's, its mount namespace included: a mount plan of its own
 * would give it another PrivateTmp /tmp than the agent's (and another
 * procfs, another copy of every bind). So the check gets no plan
 * (agent_sandbox_prepare(join)); the agent's mount and cgroup namespaces
 * exist when the same settings need one (sandbox->mount_ns) or
 * protect_cgroups (User=root). */
static void namespaces_fill(Agent *a, AgentSandbox *sandbox, bool invocation, const HostIds *host,
                            SpawnParams *p) {
        const SandboxSettings *st = &sandbox->settings;
        unsigned f = (st->keys[SANDBOX_KEY_PRIVATE_IPC] ? SANDBOX_NS_IPC : 0) |
                     (st->keys[SANDBOX_KEY_PRIVATE_NETWORK] ? SANDBOX_NS_NET : 0) |
                     (st->keys[SANDBOX_KEY_PRIVATE_PIDS] ? SANDBOX_NS_PID : 0) |
                     (host->userns ? SANDBOX_NS_USER : 0);

        if (!invocation) {
                f |= (sandbox->mount_ns || p->protect_cgroups ? SANDBOX_NS_MNT : 0) |
                     (p->protect_cgroups ? SANDBOX_NS_CGROUP : 0);
                p->mounts = NULL;
                p->protect_cgroups = false;
        }

        if (f == 0)
                p->ns = (SandboxNs) { .join_pidfd = -EBADF };
        else if (!invocation)
                p->ns = (SandboxNs) { .flags = f | SANDBOX_NS_JOIN, .join_pidfd = a->pidfd };
        else
                p->ns = (SandboxNs) {
                        .flags = f,
                        .host_uid = host->uid,
                        .host_gid = host->gid,
                        .ret_init_pidfd = (f & SANDBOX_NS_PID) ? &a->ns_init_pidfd : NULL,
                        .join_pidfd = -EBADF,
                };

        /* A fresh network namespace made ahead of time, joined by the child
         * instead of one made on the start path; the sandbox closes our fd
         * after spawn(). None ready: the clone makes one. */
        if (invocation && (f & SANDBOX_NS_NET)) {
                int fd = manager_netns_take(a->manager);
                if (fd > 0)
                        p->ns.netns_fd = sandbox->netns_fd = fd;
        }
}

/* StateDirectory=: made (or re-owned) at each start of an invocation; a
 * health check only needs its path. */
static int state_directory(Agent *a, bool invocation, const HostIds *id, char **ret_path) {
        const char *base = a->manager->config->state_directory;
        _cleanup_free_ char *message = NULL;
        int r;

        *ret_path = NULL;
        if (!a->spec.state_directory)
                return 0;
        if (!invocation) {
                *ret_path = path_join(base, a->spec.state_directory);
                return *ret_path ? 0 : -ENOMEM;
        }
        r = state_directory_prepare(base, a->spec.state_directory, id->uid, id->gid, ret_path, &message);
        if (r < 0)
                log_agent_warning(a->name, "StateDirectory=%s: %s", a->spec.state_directory,
                                  message ?: strerror(-r));
        return r;
}

int agent_prepare_spawn(Agent *a, char *const *argv, bool invocation, Identity *id, char ***ret_env,
                        AgentSandbox *ret_sandbox, SpawnParams *p, const char **ret_step) {
        Manager *m = a->manager;
        _cleanup_free_ char *state_dir = NULL, *message = NULL;
        char *pid_slot = NULL;
        HostIds host;
        int r;

        *ret_step = "prepare";
        *ret_sandbox = (AgentSandbox) {};
        r = resolve_identity(a, invocation, id, ret_step);
        if (r < 0)
                return r;
        r = host_ids(a, invocation, id, &host, ret_step);
        if (r < 0)
                return r;
        if (invocation) {
                a->uid = host.uid;
                a->gid = host.gid;
                agent_changed(a, AGENT_PROP_UID | AGENT_PROP_GID);
        }
        r = take_policy(a, invocation);
        if (r < 0)
                return r;
        r = state_directory(a, invocation, &host, &state_dir);
        if (r < 0) {
                *ret_step = "StateDirectory";
                return r;
        }
        r = agent_sandbox_prepare(&a->spec, m->config->default_sandbox, &m->features, state_dir, host.uid,
                                  /* join= */ !invocation, ret_sandbox, &message);
        if (r < 0) {
                log_agent_warning(a->name, "cannot set up its sandbox: %s", message ?: strerror(-r));
                *ret_step = "sandbox";
                return r;
        }
        r = build_env(a, id, state_dir, ret_env, &pid_slot);
        if (r < 0) {
                agent_sandbox_done(ret_sandbox);
                return r;
        }
        r = spawn_params_fill(a, argv, id, *ret_env, p);
        if (r < 0) {
                log_agent_warning(a->name, "cannot open its cgroup for the spawn: %s", strerror(-r));
                agent_sandbox_done(ret_sandbox);
                *ret_step = "cgroup";
                return r;
        }
        agent_sandbox_apply(ret_sandbox, p);
        namespaces_fill(a, ret_sandbox, invocation, &host, p);
        p->pid_env_slot = pid_slot;
        return 0;
}
