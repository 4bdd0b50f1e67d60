/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.agentvisor1.Manager at /org/agentvisor1: the methods that create,
 * drive and list agents, with input checked against the SPEC's limits. */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "dbus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

static int pick_name(Manager *m, const char *base, char **ret) {
        for (unsigned n = 1; n < 1000000; n++) {
                char buf[128];
                snprintf(buf, sizeof buf, "%s-%u", base, n);
                if (!manager_find_agent(m, buf))
                        return (*ret = strdup(buf)) ? 0 : -ENOMEM;
        }
        return -E2BIG;
}

static int check_spec_honourable(Manager *m, const AgentSpec *spec, sd_bus_error *error) {
        const char *user = spec->user ?: m->config->default_user;
        Diagnostic d = {};
        int r = 0;

        r = manager_check_user(m, user);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_SPEC, "User \"%s\" does not exist.", user);
        if (r < 0 && r != -EPERM)
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_SPEC, "User \"%s\" cannot be resolved: %s.", user,
                                         strerror(-r));
        if (r == -EPERM)
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_SPEC,
                                         "User \"%s\" is a member of AdminGroup=%s, which may drive agentvisord's "
                                         "API: agents may not run as such a user.",
                                         user, m->config->admin_group);
        if (!manager_get_policy(m, spec->policy, &d, &r)) {
                char buf[1024];
                diag_format(&d, buf, sizeof buf);
                return sd_bus_error_setf(error, r == -ENOENT ? BUS_ERROR_INVALID_SPEC : BUS_ERROR_POLICY,
                                         "Policy \"%s\": %s", spec->policy, buf);
        }
        return 0;
}

/* Creates the agent and hands it to its supervisor, which queues the spawn. */
static int create_agent(Manager *m, sd_bus_message *msg, const char *name, const char *type, AgentSpec *spec,
                        sd_bus_error *error) {
        Supervisor *s;
        Agent *a;
        int r;

        if (m->state == MANAGER_STOPPING)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "agentvisord is shutting down.");
        if (manager_find_agent(m, name))
                return sd_bus_error_setf(error, BUS_ERROR_ALREADY_EXISTS, "An agent named \"%s\" already exists.", name);
        s = manager_find_supervisor(m, spec->supervisor ?: "root");
        if (!s)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_SUPERVISOR, "No supervisor named \"%s\".",
                                         spec->supervisor);
        r = check_spec_honourable(m, spec, error);
        if (r < 0)
                return r;

        r = agent_new(m, name, type, spec, s, &a);
        if (r < 0)
                return r;
        r = sv_agent_add(m->sv, s->sv, a->spec.restart, a, now_monotonic(), &a->sv);
        if (r < 0) {
                hashmap_remove(m->agents, a->name);
                agent_free(a);
                if (r == -EBUSY)
                        return sd_bus_error_setf(error, BUS_ERROR_ESCALATED,
                                                 "Supervisor \"%s\" is escalated (%s); call ResetEscalation first.",
                                                 s->config.name, sv_supervisor_escalation_reason(s->sv));
                if (r == -E2BIG)
                        return sd_bus_error_setf(error, BUS_ERROR_TOO_MANY_AGENTS,
                                                 "Supervisor \"%s\" already runs MaxChildren=%u agents.",
                                                 s->config.name, s->config.max_children);
                return r;
        }
        log_agent_info(a->name, "created%s%s by a bus call", *type ? " from type " : "", type);
        bus_emit_agent_added(a);
        bus_emit_manager_changed(m);
        bus_emit_supervisor_changed(s);
        manager_dispatch_actions(m);
        return sd_bus_reply_method_return(msg, "o", a->object_path);
}

static int method_start_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *picked = NULL;
        const char *type, *name;
        size_t budget = BUS_INPUT_BYTES_MAX;
        AgentSpec spec = {};
        AgentType *t;
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(msg, "ss", &type, &name);
        if (r < 0)
                return r;
        if (!name_is_valid(type))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "\"%s\" is not a valid type name.", type);
        if (*name && !name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "\"%s\" is not a valid agent name: use [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}.", name);
        t = hashmap_get(m->types, type);
        if (!t)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_TYPE, "No agent type \"%s\" (looked in %s).", type,
                                         m->config->agents_directory ?: "no AgentsDirectory");
        if (!*name) {
                r = pick_name(m, type, &picked);
                if (r < 0)
                        return r;
                name = picked;
        }
        r = agent_spec_copy(&t->spec, &spec);
        if (r < 0)
                return r;
        r = bus_agent_spec_from_properties(m, msg, &spec, false, &budget, error);
        if (r >= 0)
                r = create_agent(m, msg, name, type, &spec, error);
        agent_spec_done(&spec);
        return r;
}

static int method_run_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *picked = NULL;
        const char *name;
        size_t budget = BUS_INPUT_BYTES_MAX;
        AgentSpec spec;
        int r;

        r = bus_check_admin(m, msg, true, error);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (*name && !name_is_valid(name))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "\"%s\" is not a valid agent name: use [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}.", name);
        agent_spec_init(&spec);
        daemon_config_default_limits(m->config, &spec.limits);
        spec.restart = RESTART_TEMPORARY;
        r = bus_read_strv_bounded(msg, "argv", BUS_ARGS_MAX, &budget, &spec.exec, error);
        if (r >= 0 && strv_length(spec.exec) == 0)
                r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "argv must not be empty.");
        if (r >= 0 && spec.exec[0][0] != '/')
                r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                      "argv[0] \"%s\" must be an absolute path.", spec.exec[0]);
        if (r >= 0)
                r = bus_agent_spec_from_properties(m, msg, &spec, true, &budget, error);
        if (r >= 0)
                r = agent_spec_fill_defaults(&spec);
        if (r >= 0 && !*name) {
                r = pick_name(m, "run", &picked);
                name = picked;
        }
        if (r >= 0)
                r = create_agent(m, msg, name, "", &spec, error);
        agent_spec_done(&spec);
        return r;
}

static int lookup_agent(Manager *m, sd_bus_message *msg, Agent **ret, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        *ret = manager_find_agent(m, name);
        if (!*ret)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_AGENT, "No agent named \"%s\".", name);
        return 0;
}

/* Shared by Manager.StopAgent(s) and Agent.Stop() and friends. */
int bus_agent_do_stop(Agent *a, sd_bus_message *msg, sd_bus_error *error) {
        Manager *m = a->manager;
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = sv_agent_stop(m->sv, a->sv, now_monotonic());
        if (r == -EALREADY)
                return sd_bus_error_setf(error, BUS_ERROR_NOT_RUNNING, "Agent \"%s\" is not running (%s).", a->name,
                                         agent_state_to_string(agent_get_state(a)));
        if (r < 0)
                return r;
        manager_dispatch_actions(m);
        return sd_bus_reply_method_return(msg, NULL);
}

int bus_agent_do_restart(Agent *a, sd_bus_message *msg, sd_bus_error *error) {
        Manager *m = a->manager;
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = sv_agent_restart(m->sv, a->sv, now_monotonic());
        if (r == -EBUSY)
                return sd_bus_error_setf(error, BUS_ERROR_ESCALATED, "Supervisor \"%s\" of agent \"%s\" is escalated.",
                                         a->supervisor->config.name, a->name);
        if (r < 0)
                return r;
        manager_dispatch_actions(m);
        return sd_bus_reply_method_return(msg, NULL);
}

int bus_agent_do_kill(Agent *a, int sig, sd_bus_message *msg, sd_bus_error *error) {
        int r;

        r = bus_check_admin(a->manager, msg, false, error);
        if (r <= 0)
                return r;
        if (sig <= 0 || sig >= 65)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Signal %d is not a valid signal number.", sig);
        r = agent_kill(a, sig);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, BUS_ERROR_NOT_RUNNING, "Agent \"%s\" has no running main process.",
                                         a->name);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_stop_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, error);
        return r < 0 ? r : bus_agent_do_stop(a, msg, error);
}

static int method_restart_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, error);
        return r < 0 ? r : bus_agent_do_restart(a, msg, error);
}

static int method_kill_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Agent *a;
        int32_t sig;
        int r = lookup_agent(userdata, msg, &a, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "i", &sig);
        return r < 0 ? r : bus_agent_do_kill(a, sig, msg, error);
}

static int method_remove_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Supervisor *s;
        Agent *a;
        int r;

        r = lookup_agent(m, msg, &a, error);
        if (r < 0)
                return r;
        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        if (agent_is_active(a) || (a->sv && sv_agent_state(a->sv) != SV_AGENT_DOWN))
                return sd_bus_error_setf(error, BUS_ERROR_NOT_STOPPED, "Agent \"%s\" is %s; stop it first.", a->name,
                                         agent_state_to_string(agent_get_state(a)));
        s = a->supervisor;
        if (a->sv)
                (void) sv_agent_remove(m->sv, a->sv);
        a->sv = NULL;
        log_agent_info(a->name, "removed");
        agent_forget(a);
        bus_emit_supervisor_changed(s);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, error);
        return r < 0 ? r : sd_bus_reply_method_return(msg, "o", a->object_path);
}

static int method_list_agents(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        _cleanup_free_ void **sorted = NULL;
        int r;

        sorted = hashmap_sorted_values(m->agents);
        if (!sorted)
                return -ENOMEM;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssuuo)");
        for (void **p = sorted; r >= 0 && *p; p++) {
                Agent *a = *p;
                r = sd_bus_message_append(reply, "(ssssuuo)", a->name, a->type,
                                          agent_state_to_string(agent_get_state(a)),
                                          agent_health_to_string(a->health), (uint32_t) a->pid,
                                          (uint32_t) (a->sv ? sv_agent_restart_count(a->sv) : 0), a->object_path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_types(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        _cleanup_free_ void **sorted = hashmap_sorted_values(m->types);
        int r;

        if (!sorted)
                return -ENOMEM;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (void **p = sorted; r >= 0 && *p; p++) {
                AgentType *t = *p;
                _cleanup_free_ char *cmd = strv_join(t->spec.exec, " ");
                if (!cmd)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(sss)", t->name, cmd, t->spec.policy);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_supervisors(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssbuuo)");
        for (size_t i = 0; r >= 0 && i < m->n_supervisors; i++) {
                Supervisor *s = m->supervisors[i];
                r = sd_bus_message_append(reply, "(ssbuuo)", s->config.name, strategy_to_string(s->config.strategy),
                                          (int) sv_supervisor_escalated(s->sv),
                                          (uint32_t) sv_supervisor_n_agents(s->sv), (uint32_t) s->config.max_children,
                                          s->object_path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_supervisor_do_reset(Supervisor *s, sd_bus_message *msg, sd_bus_error *error) {
        Manager *m = s->manager;
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        if (m->state == MANAGER_STOPPING)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "agentvisord is shutting down.");
        r = sv_supervisor_reset(m->sv, s->sv, now_monotonic());
        if (r == -EALREADY)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Supervisor \"%s\" is not escalated.",
                                         s->config.name);
        if (r < 0)
                return r;
        log_info("supervisor %s: escalation reset by a bus call", s->config.name);
        manager_dispatch_actions(m);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_reset_escalation(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        Supervisor *s;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        s = manager_find_supervisor(m, *name ? name : "root");
        if (!s)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_SUPERVISOR, "No supervisor named \"%s\".", name);
        return bus_supervisor_do_reset(s, msg, error);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_reload(m, &d);
        if (r < 0) {
                diag_format(&d, buf, sizeof buf);
                log_error("reload failed, keeping the previous types and policies: %s", buf);
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_SPEC, "Reload failed, nothing changed: %s", buf);
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static const SupervisorConfig *root_config(Manager *m) {
        return &m->supervisors[0]->config;
}

static int property_get_manager(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const SupervisorConfig *c = root_config(m);

        if (strcmp(property, "Version") == 0)
                return sd_bus_message_append(reply, "s", PROJECT_VERSION);
        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", manager_state_to_string(manager_state(m)));
        if (strcmp(property, "NAgents") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) hashmap_size(m->agents));
        if (strcmp(property, "MaxChildren") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) c->max_children);
        if (strcmp(property, "Strategy") == 0)
                return sd_bus_message_append(reply, "s", strategy_to_string(c->strategy));
        if (strcmp(property, "MaxRestarts") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) c->max_restarts);
        if (strcmp(property, "RestartWindowUSec") == 0)
                return sd_bus_message_append(reply, "t", c->restart_window_usec);
        if (strcmp(property, "AgentTimeoutUSec") == 0)
                return sd_bus_message_append(reply, "t", c->agent_timeout_usec);
        if (strcmp(property, "HealthCheckIntervalUSec") == 0)
                return sd_bus_message_append(reply, "t", c->health_check_interval_usec);
        if (strcmp(property, "Escalated") == 0)
                return sd_bus_message_append(reply, "b", (int) sv_supervisor_escalated(sv_root(m->sv)));
        if (strcmp(property, "NotifySocket") == 0)
                return sd_bus_message_append(reply, "s", m->notify_socket);
        if (strcmp(property, "NotifyMessagesDropped") == 0)
                return sd_bus_message_append(reply, "t", m->notify_dropped);
        if (strcmp(property, "ControlGroup") == 0)
                return sd_bus_message_append(reply, "s", cgroup_root_path(m->cgroup_root));
        if (strcmp(property, "PolicyPath") == 0)
                /* Where this daemon finds policies, so that `agentctl policy
                 * show` shows the daemon's, not the install path's. */
                return sd_bus_message_append_strv(reply, m->config->policy_path);
        if (strcmp(property, "Features") == 0)
                return bus_append_features(m, reply);
        return -ENOENT;
}

#define MANAGER_PROPERTY(name, sig, flags) SD_BUS_PROPERTY(name, sig, property_get_manager, 0, flags)

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        MANAGER_PROPERTY("Version", "s", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("State", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        MANAGER_PROPERTY("NAgents", "u", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        MANAGER_PROPERTY("MaxChildren", "u", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("Strategy", "s", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("MaxRestarts", "u", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("RestartWindowUSec", "t", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("AgentTimeoutUSec", "t", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("HealthCheckIntervalUSec", "t", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("Escalated", "b", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        MANAGER_PROPERTY("NotifySocket", "s", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("NotifyMessagesDropped", "t", 0),
        MANAGER_PROPERTY("ControlGroup", "s", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("PolicyPath", "as", SD_BUS_VTABLE_PROPERTY_CONST),
        MANAGER_PROPERTY("Features", "as", SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("StartAgent", SD_BUS_ARGS("s", type, "s", name, "a{sv}", options),
                                SD_BUS_RESULT("o", agent), method_start_agent, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RunAgent", SD_BUS_ARGS("s", name, "as", argv, "a{sv}", properties),
                                SD_BUS_RESULT("o", agent), method_run_agent, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopAgent", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_stop_agent,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillAgent", SD_BUS_ARGS("s", name, "i", signal), SD_BUS_NO_RESULT,
                                method_kill_agent, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RestartAgent", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_restart_agent,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveAgent", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_remove_agent,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListAgents", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssuuo)", agents),
                                method_list_agents, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListTypes", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sss)", types), method_list_types,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListSupervisors", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssbuuo)", supervisors),
                                method_list_supervisors, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAgent", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", agent), method_get_agent,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResetEscalation", SD_BUS_ARGS("s", supervisor), SD_BUS_NO_RESULT,
                                method_reset_escalation, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reload", NULL, NULL, method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("AgentStarted", SD_BUS_ARGS("s", name, "o", agent, "u", main_pid), 0),
        SD_BUS_SIGNAL_WITH_ARGS("AgentExited", SD_BUS_ARGS("s", name, "o", agent, "s", reason, "i", status), 0),
        SD_BUS_SIGNAL_WITH_ARGS("AgentRestarted", SD_BUS_ARGS("s", name, "o", agent, "u", restart_count), 0),
        SD_BUS_SIGNAL_WITH_ARGS("HealthChanged", SD_BUS_ARGS("s", name, "o", agent, "s", health), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Escalated", SD_BUS_ARGS("s", supervisor, "s", reason), 0),
        SD_BUS_VTABLE_END,
};

int bus_manager_register_vtable(Manager *m) {
        return sd_bus_add_object_vtable(m->bus, NULL, BUS_PATH, BUS_MANAGER_IFACE, manager_vtable, m);
}
