/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that change things: start, run, stop, kill, restart, remove,
 * reset, freeze, thaw. Starting verbs print the agent's name, so scripts can use it. */

#include <stdio.h>
#include <string.h>

#include "ctl-bus.h"
#include "ctl-verbs.h"

/* Prints the Name of the agent at path, falling back to what we asked for. */
static void print_agent_name(sd_bus *bus, const char *path, const char *fallback) {
        _cleanup_free_ char *name = NULL;

        if (sd_bus_get_property_string(bus, BUS_NAME, path, BUS_AGENT_IFACE, "Name", NULL, &name) >= 0 && name)
                printf("%s\n", name);
        else
                printf("%s\n", fallback && *fallback ? fallback : path);
}

int verb_start(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(prop_list_done) PropList options = {};
        const char *type = c->args->positional[0];
        const char *name = c->args->positional[1] ? c->args->positional[1] : "";
        const char *path;
        int r;

        if (c->args->command && prop_list_add_strv(&options, "Arguments", c->args->command) < 0)
                return ctl_oom();

        r = sd_bus_message_new_method_call(c->bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "StartAgent");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", type, name);
        if (r >= 0)
                r = bus_message_append_properties(m, &options);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to build the StartAgent call");

        r = sd_bus_call(c->bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to start the agent");
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the StartAgent reply");

        print_agent_name(c->bus, path, name);
        return CTL_EXIT_OK;
}

int verb_run(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        /* No name: the daemon picks a free run-N, printed below. */
        const char *name = c->args->name ?: "", *path;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "RunAgent");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, c->args->command);
        if (r >= 0)
                r = bus_message_append_properties(m, &c->args->properties);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to build the RunAgent call");

        r = sd_bus_call(c->bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to run the agent");
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the RunAgent reply");

        print_agent_name(c->bus, path, name);
        return CTL_EXIT_OK;
}

/* Calls method for every named agent; all are tried, the first failure's
 * exit code is returned. */
static int for_each_agent(CtlContext *c, const char *method, const char *what) {
        int ret = CTL_EXIT_OK;

        STRV_FOREACH(name, c->args->positional) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                if (strcmp(method, "KillAgent") == 0)
                        r = ctl_call_manager(c->bus, method, &error, NULL, "si", *name, c->args->signal);
                else
                        r = ctl_call_manager(c->bus, method, &error, NULL, "s", *name);
                if (r < 0) {
                        int k = ctl_report_error(r, &error, what);
                        if (ret == CTL_EXIT_OK)
                                ret = k;
                }
        }
        return ret;
}

int verb_stop(CtlContext *c) {
        return for_each_agent(c, "StopAgent", "Failed to stop the agent");
}

int verb_kill(CtlContext *c) {
        return for_each_agent(c, "KillAgent", "Failed to signal the agent");
}

int verb_restart(CtlContext *c) {
        return for_each_agent(c, "RestartAgent", "Failed to restart the agent");
}

int verb_remove(CtlContext *c) {
        return for_each_agent(c, "RemoveAgent", "Failed to remove the agent");
}

/* FreezeAgent returns once every process has stopped. */
int verb_freeze(CtlContext *c) {
        return for_each_agent(c, "FreezeAgent", "Failed to freeze the agent");
}

int verb_thaw(CtlContext *c) {
        return for_each_agent(c, "ThawAgent", "Failed to thaw the agent");
}

/* Returns once the daemon has replied, before its new image owns the bus
 * name again (a caller that needs it waits for the name). */
int verb_daemon_reexec(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_call_manager(c->bus, "Reexecute", &error, NULL, "");
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to execute the daemon anew");
        return CTL_EXIT_OK;
}

int verb_reset(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *supervisor = c->args->positional && c->args->positional[0] ? c->args->positional[0] : "";
        int r;

        r = ctl_call_manager(c->bus, "ResetEscalation", &error, NULL, "s", supervisor);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to reset the supervisor");
        return CTL_EXIT_OK;
}
