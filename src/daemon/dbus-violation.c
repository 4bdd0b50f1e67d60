/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See dbus-violation.h. The signal is rate-limited by the caller
 * (agent-violation.c); the properties are read when asked and send no
 * PropertiesChanged, so that an agent making a thousand violations a second
 * costs the bus ten signals a second and nothing more. */
#include <string.h>

#include "agent-learn.h"
#include "agent.h"
#include "dbus-violation.h"
#include "dbus.h"
#include "manager-ops.h"

static int append_violation(sd_bus_message *m, const ViolationRecord *v, bool with_time) {
        char buf[32], action[64];
        int r;

        policy_action_format(v->action, action, sizeof(action));
        if (with_time) {
                r = sd_bus_message_append(m, "t", (uint64_t) v->realtime);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append(m, "s", violation_syscall_name(v->nr, buf, sizeof(buf)));
        if (r >= 0)
                r = sd_bus_message_append_array(m, 't', v->args, sizeof(v->args));
        if (r >= 0)
                r = sd_bus_message_append(m, "s", action);
        return r;
}

void bus_emit_policy_violation(Agent *a, const ViolationRecord *v) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Manager *mgr = a->manager;
        int r;

        if (!mgr->bus || mgr->state == MANAGER_STARTING)
                return;
        r = sd_bus_message_new_signal(mgr->bus, &m, BUS_PATH, BUS_MANAGER_IFACE, "PolicyViolation");
        if (r >= 0)
                r = sd_bus_message_append(m, "so", a->name, a->object_path);
        if (r >= 0)
                r = append_violation(m, v, false);
        if (r >= 0)
                (void) sd_bus_send(mgr->bus, m, NULL);
}

int bus_agent_property_get_violations(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const ViolationRecord *recent[VIOLATIONS_RECENT_MAX];
        Agent *a = userdata;
        unsigned n;
        int r;

        if (strcmp(property, "PolicyViolations") == 0)
                return sd_bus_message_append(reply, "t", agent_violation_count(a));
        if (strcmp(property, "PolicyReportLost") == 0)
                return sd_bus_message_append(reply, "b", (int) agent_violation_lost(a));

        n = agent_violation_recent(a, recent, VIOLATIONS_RECENT_MAX);
        r = sd_bus_message_open_container(reply, 'a', "(tsats)");
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                r = sd_bus_message_open_container(reply, 'r', "tsats");
                if (r >= 0)
                        r = append_violation(reply, recent[i], true);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int bus_method_get_learned_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        _cleanup_free_ char *text = NULL;
        const char *name;
        Agent *a;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        a = manager_lookup_agent(userdata, name, &err);
        if (!a)
                return bus_error_from_detail(-ENOENT, &err, error);
        r = agent_learn_policy_text(a, &text);
        if (r == -ENODATA)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Agent %s has not run with PolicyMode=learn since the daemon started.",
                                         a->name);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", text);
}
