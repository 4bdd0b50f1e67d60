/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.agentvisor1.Supervisor at /org/agentvisor1/supervisor/NAME. */
#include <string.h>

#include "dbus.h"
#include "manager-ops.h"
#include "strv.h"


static int find_supervisor(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                           sd_bus_error *error) {
        Manager *m = userdata;
        const char *prefix = BUS_SUPERVISOR_PREFIX "/";
        Supervisor *s;

        if (strncmp(path, prefix, strlen(prefix)) != 0)
                return 0;
        s = manager_find_supervisor(m, path + strlen(prefix));
        if (!s)
                return 0;
        *found = s;
        return 1;
}

static int enumerate_supervisors(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                 sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < m->n_supervisors; i++)
                if (strv_extend(&l, m->supervisors[i]->object_path) < 0)
                        return -ENOMEM;
        *nodes = TAKE_PTR(l);
        return 1;
}

/* Restart times on the bus are wall-clock; the core keeps monotonic ones. */
static int append_restart_times(Supervisor *s, sd_bus_message *reply) {
        const usec_t *times;
        size_t n = sv_supervisor_restart_times(s->sv, &times);
        usec_t mono = now_monotonic(), real = now_realtime();
        int r;

        r = sd_bus_message_open_container(reply, 'a', "t");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "t", real - (mono - MIN(times[i], mono)));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *p,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Supervisor *s = userdata;
        const SupervisorConfig *c = &s->config;

        if (strcmp(p, "Name") == 0)
                return sd_bus_message_append(reply, "s", c->name);
        if (strcmp(p, "Parent") == 0)
                return sd_bus_message_append(reply, "s", c->parent ?: "");
        if (strcmp(p, "Strategy") == 0)
                return sd_bus_message_append(reply, "s", strategy_to_string(c->strategy));
        if (strcmp(p, "Restart") == 0)
                return sd_bus_message_append(reply, "s", restart_type_to_string(c->restart));
        if (strcmp(p, "MaxRestarts") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) c->max_restarts);
        if (strcmp(p, "RestartWindowUSec") == 0)
                return sd_bus_message_append(reply, "t", c->restart_window_usec);
        if (strcmp(p, "MaxChildren") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) c->max_children);
        if (strcmp(p, "AgentTimeoutUSec") == 0)
                return sd_bus_message_append(reply, "t", c->agent_timeout_usec);
        if (strcmp(p, "NAgents") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) sv_supervisor_n_agents(s->sv));
        if (strcmp(p, "Escalated") == 0)
                return sd_bus_message_append(reply, "b", (int) sv_supervisor_escalated(s->sv));
        if (strcmp(p, "EscalationReason") == 0)
                return sd_bus_message_append(reply, "s", sv_supervisor_escalation_reason(s->sv));
        if (strcmp(p, "RestartTimesUSec") == 0)
                return append_restart_times(s, reply);
        if (strcmp(p, "ControlGroup") == 0)
                return sd_bus_message_append(reply, "s", cgroup_path(s->cgroup));
        return -ENOENT;
}

/* Supervisor.ResetEscalation(), which Manager.ResetEscalation(s) shares. */
int bus_supervisor_do_reset(Supervisor *s, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        int r;

        r = bus_check_admin(s->manager, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_reset_escalation(s, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

static int method_reset(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_supervisor_do_reset(userdata, msg, error);
}

#define P(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define P_CONST(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST)

static const sd_bus_vtable supervisor_vtable[] = {
        SD_BUS_VTABLE_START(0),
        P_CONST("Name", "s"),
        P_CONST("Parent", "s"),
        P_CONST("Strategy", "s"),
        P_CONST("Restart", "s"),
        P_CONST("MaxRestarts", "u"),
        P_CONST("RestartWindowUSec", "t"),
        P_CONST("MaxChildren", "u"),
        P_CONST("AgentTimeoutUSec", "t"),
        P("NAgents", "u"),
        P("Escalated", "b"),
        P("EscalationReason", "s"),
        P("RestartTimesUSec", "at"),
        P_CONST("ControlGroup", "s"),
        SD_BUS_METHOD("ResetEscalation", NULL, NULL, method_reset, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_supervisor_register_vtables(Manager *m) {
        int r = sd_bus_add_fallback_vtable(m->bus, NULL, BUS_SUPERVISOR_PREFIX, BUS_SUPERVISOR_IFACE,
                                           supervisor_vtable, find_supervisor, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(m->bus, NULL, BUS_SUPERVISOR_PREFIX, enumerate_supervisors, m);
}
