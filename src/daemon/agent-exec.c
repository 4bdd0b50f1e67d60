/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's exec context: the identity it runs as, its environment, the
 * policy it runs under and the spawn parameters that carry them (output is
 * agent-output.c, the environment's shape agent-env.c). */
#include <string.h>

#include "agent-env.h"
#include "agent-internal.h"
#include "log.h"
#include "strv.h"

_Static_assert(AGENT_ENV_PID_SLOT_SIZE >= SPAWN_PID_SLOT_SIZE, "the WATCHDOG_PID= slot must hold any pid");

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

static void spawn_params_fill(Agent *a, char *const *argv, const Identity *id, char **env, SpawnParams *p) {
        *p = (SpawnParams) {
                .path = argv[0],
                .argv = argv,
                .envp = env,
                .cgroup_fd = cgroup_dir_fd(a->cgroup),
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
        p->n_v1_procs_fds = cgroup_v1_procs_fds(a->cgroup, &p->v1_procs_fds);
}

int agent_prepare_spawn(Agent *a, char *const *argv, bool invocation, Identity *id, char ***ret_env,
                        SpawnParams *p) {
        Manager *m = a->manager;
        char *pid_slot = NULL;
        int r;

        r = resolve_user(m, agent_user(a), id);
        if (r < 0)
                return r;
        r = identity_check_admin(m, id);
        if (r < 0) {
                log_agent_warning(a->name, "user %s is a member of AdminGroup=%s, which may drive the API: "
                                "refusing to run an agent as that user", agent_user(a), m->config->admin_group);
                return r;
        }
        r = take_policy(a, invocation);
        if (r < 0)
                return r;
        r = build_env(a, id, ret_env, &pid_slot);
        if (r < 0)
                return r;
        spawn_params_fill(a, argv, id, *ret_env, p);
        p->pid_env_slot = pid_slot;
        return 0;
}
