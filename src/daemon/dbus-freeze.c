/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Agent.Freeze()/Thaw() and Manager.FreezeAgent()/ThawAgent() once the
 * agent is found: the access check of any mutating call, then the
 * operation (agent-freeze.h). Freeze() answers once every process has
 * stopped, so that a caller may rely on it: the reply waits (without
 * blocking the daemon) for the kernel, at most AGENT_FREEZE_TIMEOUT_USEC. */
#include "agent-freeze.h"
#include "dbus.h"

static void freeze_answer(Agent *a, int error, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = userdata;

        switch (error) {
        case 0:
                (void) sd_bus_reply_method_return(msg, NULL);
                break;
        case -ETIMEDOUT:
                (void) sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_FAILED,
                                                  "Not every process of agent \"%s\" stopped within %llu s (one may be "
                                                  "in uninterruptible sleep); the freeze stays asked for: Thaw() or "
                                                  "Stop() it.",
                                                  a->name,
                                                  (unsigned long long) (AGENT_FREEZE_TIMEOUT_USEC / USEC_PER_SEC));
                break;
        case -ECANCELED:
                (void) sd_bus_reply_method_errorf(msg, SD_BUS_ERROR_FAILED,
                                                  "Agent \"%s\" was thawed before its freeze completed.", a->name);
                break;
        default:
                (void) sd_bus_reply_method_errorf(msg, BUS_ERROR_NOT_RUNNING,
                                                  "Agent \"%s\" was stopped or ended before its freeze completed.",
                                                  a->name);
        }
}

int bus_agent_do_freeze(Agent *a, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        int r;

        r = bus_check_admin(a->manager, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_freeze_agent(a, freeze_answer, sd_bus_message_ref(msg), &err);
        if (r > 0)
                return 1;                /* freeze_answer() replies and drops the reference */
        sd_bus_message_unref(msg);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

int bus_agent_do_thaw(Agent *a, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        int r;

        r = bus_check_admin(a->manager, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_thaw_agent(a, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}
