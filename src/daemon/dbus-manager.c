/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.agentvisor1.Manager at /org/agentvisor1: the methods that create,
 * drive and list agents, with input checked against the SPEC's limits. */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "dbus-violation.h"
#include "daemon-state.h"
#include "dbus.h"
#include "manager-ops.h"
#include "strv.h"

/* Each method: check the caller, read the arguments, call the manager's
 * operation (manager-ops.h), and translate its answer. */

static int reply_agent(sd_bus_message *msg, int r, Agent *a, const ErrorDetail *err, sd_bus_error *error) {
        if (r < 0)
                return bus_error_from_detail(r, err, error);
        return sd_bus_reply_method_return(msg, "o", a->object_path);
}

static int method_start_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Manager *m = userdata;
        const char *type, *name;
        size_t budget = BUS_INPUT_BYTES_MAX;
        AgentSpec spec = {};
        Agent *a = NULL;
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(msg, "ss", &type, &name);
        if (r < 0)
                return r;
        r = manager_start_spec(m, type, name, &spec, &err);
        if (r >= 0)
                r = bus_agent_spec_from_properties(m, msg, &spec, false, &budget, error);
        if (r >= 0)
                r = manager_start_agent(m, type, name, &spec, &a, &err);
        agent_spec_done(&spec);
        return reply_agent(msg, r, a, &err, error);
}

static int method_run_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Manager *m = userdata;
        const char *name;
        size_t budget = BUS_INPUT_BYTES_MAX;
        AgentSpec spec;
        Agent *a = NULL;
        int r;

        r = bus_check_admin(m, msg, true, error);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = manager_check_agent_name(name, &err);
        if (r < 0)
                return bus_error_from_detail(r, &err, error);
        manager_run_spec_init(m, &spec);
        r = bus_read_strv_bounded(msg, "argv", BUS_ARGS_MAX, &budget, &spec.exec, error);
        if (r >= 0)
                r = manager_check_run_argv(spec.exec, &err);
        if (r >= 0)
                r = bus_agent_spec_from_properties(m, msg, &spec, true, &budget, error);
        if (r >= 0)
                r = manager_run_agent(m, name, &spec, &a, &err);
        agent_spec_done(&spec);
        return reply_agent(msg, r, a, &err, error);
}

/* Reads the agent's name and finds it; -ENOENT with err set when there is
 * none. */
static int lookup_agent(Manager *m, sd_bus_message *msg, Agent **ret, ErrorDetail *err) {
        const char *name;
        int r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        *ret = manager_lookup_agent(m, name, err);
        return *ret ? 0 : -ENOENT;
}

static int method_stop_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, &err);
        return r < 0 ? bus_error_from_detail(r, &err, error) : bus_agent_do_stop(a, msg, error);
}

static int method_restart_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, &err);
        return r < 0 ? bus_error_from_detail(r, &err, error) : bus_agent_do_restart(a, msg, error);
}

/* FreezeAgent and ThawAgent: dbus-freeze.c, once found. */
static int method_freeze_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, &err);
        return r < 0 ? bus_error_from_detail(r, &err, error) : bus_agent_do_freeze(a, msg, error);
}

static int method_thaw_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Agent *a;
        int r = lookup_agent(userdata, msg, &a, &err);
        return r < 0 ? bus_error_from_detail(r, &err, error) : bus_agent_do_thaw(a, msg, error);
}

static int method_kill_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Agent *a;
        int32_t sig;
        int r = lookup_agent(userdata, msg, &a, &err);
        if (r < 0)
                return bus_error_from_detail(r, &err, error);
        r = sd_bus_message_read(msg, "i", &sig);
        return r < 0 ? r : bus_agent_do_kill(a, sig, msg, error);
}

static int method_remove_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Manager *m = userdata;
        Agent *a;
        int r;

        r = lookup_agent(m, msg, &a, &err);
        if (r < 0)
                return bus_error_from_detail(r, &err, error);
        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_remove_agent(a, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

static int method_get_agent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Agent *a = NULL;
        int r = lookup_agent(userdata, msg, &a, &err);
        return reply_agent(msg, r, a, &err, error);
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

static int method_reset_escalation(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        const char *name;
        Supervisor *s;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        s = manager_lookup_supervisor(userdata, name, &err);
        if (!s)
                return bus_error_from_detail(-ENOENT, &err, error);
        return bus_supervisor_do_reset(s, msg, error);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        Manager *m = userdata;
        int r;

        r = bus_check_admin(m, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_reload_request(m, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

/* Live upgrade (daemon-reexec.c): the state is written and the binary
 * checked before the reply; the reply goes out before the exec. If the
 * exec itself then fails, the daemon goes on and logs it: the caller sees
 * its success reply followed by the same daemon (the same Version). */
static int method_reexecute(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = bus_check_admin(m, msg, true, error);
        if (r <= 0)
                return r;
        if (m->state != MANAGER_RUNNING)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Reexecute: the daemon is %s.",
                                         manager_state_to_string(m->state));
        r = daemon_reexec_prepare(m);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Reexecute: cannot save the state: %s.",
                                         strerror(-r));
        r = sd_bus_reply_method_return(msg, NULL);
        if (r < 0)
                return r;
        (void) daemon_reexec(m);
        return 1;
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
        SD_BUS_METHOD_WITH_ARGS("FreezeAgent", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_freeze_agent,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ThawAgent", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_thaw_agent,
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
        /* Violations and learn mode (dbus-violation.c). */
        SD_BUS_METHOD_WITH_ARGS("GetLearnedPolicy", SD_BUS_ARGS("s", name), SD_BUS_RESULT("s", text),
                                bus_method_get_learned_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("PolicyViolation",
                                SD_BUS_ARGS("s", name, "o", agent, "s", syscall, "at", args, "s", action), 0),
        SD_BUS_METHOD("Reexecute", NULL, NULL, method_reexecute, SD_BUS_VTABLE_UNPRIVILEGED),
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
