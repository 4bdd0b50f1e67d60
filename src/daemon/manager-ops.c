/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's operations for callers (manager-ops.h): the checks a
 * request must pass and what it changes. The messages are the SPEC's, word
 * for word; the bus side only maps them to error names. */
#include <stdio.h>
#include <string.h>

#include "dbus.h"
#include "log.h"
#include "manager-nofile.h"
#include "manager-ops.h"
#include "parse-util.h"
#include "strv.h"

int manager_check_agent_name(const char *name, ErrorDetail *err) {
        if (*name && !name_is_valid(name))
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_ARGS,
                                        "\"%s\" is not a valid agent name: use [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}.",
                                        name);
        return 0;
}

int manager_start_spec(Manager *m, const char *type, const char *name, AgentSpec *ret, ErrorDetail *err) {
        AgentType *t;
        int r;

        if (!name_is_valid(type))
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_ARGS, "\"%s\" is not a valid type name.",
                                        type);
        r = manager_check_agent_name(name, err);
        if (r < 0)
                return r;
        t = hashmap_get(m->types, type);
        if (!t)
                return error_detail_set(err, -ENOENT, ERROR_KIND_NO_SUCH_TYPE, "No agent type \"%s\" (looked in %s).",
                                        type, m->config->agents_directory ?: "no AgentsDirectory");
        return agent_spec_copy(&t->spec, ret);
}

void manager_run_spec_init(Manager *m, AgentSpec *spec) {
        agent_spec_init(spec);
        daemon_config_default_limits(m->config, &spec->limits);
        spec->restart = RESTART_TEMPORARY;
}

int manager_check_run_argv(char *const *argv, ErrorDetail *err) {
        if (strv_length(argv) == 0)
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_ARGS, "argv must not be empty.");
        if (argv[0][0] != '/')
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_ARGS,
                                        "argv[0] \"%s\" must be an absolute path.", argv[0]);
        return 0;
}

static int pick_name(Manager *m, const char *base, char **ret) {
        for (unsigned n = 1; n < 1000000; n++) {
                char buf[128];
                snprintf(buf, sizeof buf, "%s-%u", base, n);
                if (!manager_find_agent(m, buf))
                        return (*ret = strdup(buf)) ? 0 : -ENOMEM;
        }
        return -E2BIG;
}

/* The user may be resolved and is no administrator; the policy compiles. */
static int check_spec_honourable(Manager *m, const AgentSpec *spec, ErrorDetail *err) {
        const char *user = spec->user ?: m->config->default_user;
        Diagnostic d = {};
        int r;

        r = manager_check_user(m, user);
        if (r == -ESRCH)
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_SPEC, "User \"%s\" does not exist.", user);
        if (r < 0 && r != -EPERM)
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_SPEC,
                                        "User \"%s\" cannot be resolved: %s.", user, strerror(-r));
        if (r == -EPERM)
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_SPEC,
                                        "User \"%s\" is a member of AdminGroup=%s, which may drive agentvisord's "
                                        "API: agents may not run as such a user.",
                                        user, m->config->admin_group);
        if (!manager_get_policy(m, spec->policy, &d, &r)) {
                char buf[1024];
                diag_format(&d, buf, sizeof buf);
                return error_detail_set(err, -EINVAL, r == -ENOENT ? ERROR_KIND_INVALID_SPEC : ERROR_KIND_POLICY,
                                        "Policy \"%s\": %s", spec->policy, buf);
        }
        return 0;
}

/* The supervisor's refusal to take one more agent, in the caller's words. */
static int supervisor_refusal(Supervisor *s, int r, ErrorDetail *err) {
        if (r == -EBUSY)
                return error_detail_set(err, r, ERROR_KIND_ESCALATED,
                                        "Supervisor \"%s\" is escalated (%s); call ResetEscalation first.",
                                        s->config.name, sv_supervisor_escalation_reason(s->sv));
        if (r == -E2BIG)
                return error_detail_set(err, r, ERROR_KIND_TOO_MANY_AGENTS,
                                        "Supervisor \"%s\" already runs MaxChildren=%u agents.", s->config.name,
                                        s->config.max_children);
        return r;
}

static int create_agent(Manager *m, const char *name, const char *type, AgentSpec *spec, Agent **ret,
                        ErrorDetail *err) {
        Supervisor *s;
        Agent *a;
        int r;

        if (m->state == MANAGER_STOPPING)
                return error_detail_set(err, -ESHUTDOWN, ERROR_KIND_FAILED, "agentvisord is shutting down.");
        if (manager_find_agent(m, name))
                return error_detail_set(err, -EEXIST, ERROR_KIND_ALREADY_EXISTS,
                                        "An agent named \"%s\" already exists.", name);
        s = manager_find_supervisor(m, spec->supervisor ?: "root");
        if (!s)
                return error_detail_set(err, -ENOENT, ERROR_KIND_NO_SUCH_SUPERVISOR, "No supervisor named \"%s\".",
                                        spec->supervisor);
        r = check_spec_honourable(m, spec, err);
        if (r < 0)
                return r;

        r = agent_new(m, name, type, spec, s, &a);
        if (r < 0)
                return r;
        r = sv_agent_add(m->sv, s->sv, a->spec.restart, a, now_monotonic(), &a->sv);
        if (r < 0) {
                hashmap_remove(m->agents, a->name);
                agent_free(a);
                return supervisor_refusal(s, r, err);
        }
        log_agent_info(a->name, "created%s%s by a bus call", *type ? " from type " : "", type);
        bus_emit_agent_added(a);
        bus_emit_manager_changed(m);
        bus_emit_supervisor_changed(s);
        manager_dispatch_actions(m);
        /* Looked up again: carrying out the actions may have ended and
         * removed it (never read a freed agent). */
        a = manager_find_agent(m, name);
        if (!a)
                return error_detail_set(err, -ESRCH, ERROR_KIND_FAILED,
                                        "Agent \"%s\" ended at once and was removed.", name);
        /* Its first start ran just now: out of fds, the caller hears why and
         * what to raise (the agent stays, spawn-failed, as after any failed
         * start; the daemon and its other agents carry on). */
        if (a->exit.reason == EXIT_REASON_SPAWN_FAILED && nofile_exhausted(a->exit.status)) {
                char why[256];

                return error_detail_set(err, -a->exit.status, ERROR_KIND_FAILED, "Agent \"%s\" cannot start: %s.",
                                        a->name, manager_nofile_message(m, a->exit.status, why, sizeof why));
        }
        *ret = a;
        return 0;
}

int manager_start_agent(Manager *m, const char *type, const char *name, AgentSpec *spec, Agent **ret,
                        ErrorDetail *err) {
        _cleanup_free_ char *picked = NULL;
        int r;

        if (!*name) {
                r = pick_name(m, type, &picked);
                if (r < 0)
                        return r;
                name = picked;
        }
        return create_agent(m, name, type, spec, ret, err);
}

int manager_run_agent(Manager *m, const char *name, AgentSpec *spec, Agent **ret, ErrorDetail *err) {
        _cleanup_free_ char *picked = NULL;
        int r;

        r = agent_spec_fill_defaults(spec);
        if (r < 0)
                return r;
        if (!*name) {
                r = pick_name(m, "run", &picked);
                if (r < 0)
                        return r;
                name = picked;
        }
        return create_agent(m, name, "", spec, ret, err);
}

Agent *manager_lookup_agent(Manager *m, const char *name, ErrorDetail *err) {
        Agent *a = manager_find_agent(m, name);

        if (!a)
                (void) error_detail_set(err, -ENOENT, ERROR_KIND_NO_SUCH_AGENT, "No agent named \"%s\".", name);
        return a;
}

Supervisor *manager_lookup_supervisor(Manager *m, const char *name, ErrorDetail *err) {
        Supervisor *s = manager_find_supervisor(m, *name ? name : "root");

        if (!s)
                (void) error_detail_set(err, -ENOENT, ERROR_KIND_NO_SUCH_SUPERVISOR, "No supervisor named \"%s\".",
                                        name);
        return s;
}

int manager_stop_agent(Agent *a, ErrorDetail *err) {
        Manager *m = a->manager;
        int r;

        r = sv_agent_stop(m->sv, a->sv, now_monotonic());
        if (r == -EALREADY)
                return error_detail_set(err, -ESRCH, ERROR_KIND_NOT_RUNNING, "Agent \"%s\" is not running (%s).",
                                        a->name, agent_state_to_string(agent_get_state(a)));
        if (r < 0)
                return r;
        manager_dispatch_actions(m);
        return 0;
}

int manager_restart_agent(Agent *a, ErrorDetail *err) {
        Manager *m = a->manager;
        int r;

        r = sv_agent_restart(m->sv, a->sv, now_monotonic());
        if (r == -EBUSY)
                return error_detail_set(err, r, ERROR_KIND_ESCALATED,
                                        "Supervisor \"%s\" of agent \"%s\" is escalated.", a->supervisor->config.name,
                                        a->name);
        if (r < 0)
                return r;
        manager_dispatch_actions(m);
        return 0;
}

int manager_kill_agent(Agent *a, int sig, ErrorDetail *err) {
        int r;

        if (sig <= 0 || sig >= 65)
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_ARGS,
                                        "Signal %d is not a valid signal number.", sig);
        r = agent_kill(a, sig);
        if (r == -ESRCH)
                return error_detail_set(err, r, ERROR_KIND_NOT_RUNNING, "Agent \"%s\" has no running main process.",
                                        a->name);
        return r < 0 ? r : 0;
}

int manager_remove_agent(Agent *a, ErrorDetail *err) {
        Manager *m = a->manager;
        Supervisor *s;

        if (agent_is_active(a) || (a->sv && sv_agent_state(a->sv) != SV_AGENT_DOWN))
                return error_detail_set(err, -EBUSY, ERROR_KIND_NOT_STOPPED, "Agent \"%s\" is %s; stop it first.",
                                        a->name, agent_state_to_string(agent_get_state(a)));
        s = a->supervisor;
        if (a->sv)
                (void) sv_agent_remove(m->sv, a->sv);
        a->sv = NULL;
        log_agent_info(a->name, "removed");
        agent_forget(a);
        bus_emit_supervisor_changed(s);
        return 0;
}

int manager_reset_escalation(Supervisor *s, ErrorDetail *err) {
        Manager *m = s->manager;
        int r;

        if (m->state == MANAGER_STOPPING)
                return error_detail_set(err, -ESHUTDOWN, ERROR_KIND_FAILED, "agentvisord is shutting down.");
        r = sv_supervisor_reset(m->sv, s->sv, now_monotonic());
        if (r == -EALREADY)
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_ARGS, "Supervisor \"%s\" is not escalated.",
                                        s->config.name);
        if (r < 0)
                return r;
        log_info("supervisor %s: escalation reset by a bus call", s->config.name);
        manager_dispatch_actions(m);
        return 0;
}

int manager_reload_request(Manager *m, ErrorDetail *err) {
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = manager_reload(m, &d);
        if (r < 0) {
                diag_format(&d, buf, sizeof buf);
                log_error("reload failed, keeping the previous types and policies: %s", buf);
                return error_detail_set(err, -EINVAL, ERROR_KIND_INVALID_SPEC, "Reload failed, nothing changed: %s",
                                        buf);
        }
        return 0;
}
