/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list views: agents, types, supervisors, and the names for completion. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "ctl-verbs.h"
#include "policy.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

int verb_list(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const char * const headers[] = { "NAME", "TYPE", "STATE", "HEALTH", "PID", "RESTARTS" };
        _cleanup_(table_freep) Table *t = NULL;
        const char *name, *type, *state, *health, *path;
        uint32_t pid, restarts;
        JsonWriter w;
        int r;

        r = ctl_call_manager(c->bus, "ListAgents", &error, &reply, NULL);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to list agents");

        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return ctl_oom();
        json_writer_init(&w, stdout);
        if (c->args->json)
                json_begin_array(&w);

        r = sd_bus_message_enter_container(reply, 'a', "(ssssuuo)");
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the agent list");
        while ((r = sd_bus_message_read(reply, "(ssssuuo)", &name, &type, &state, &health, &pid, &restarts,
                                        &path)) > 0) {
                if (c->args->json) {
                        json_begin_object(&w);
                        json_field_string(&w, "name", name);
                        json_field_string(&w, "type", type);
                        json_field_string(&w, "state", state);
                        json_field_string(&w, "health", health);
                        json_field_uint(&w, "main_pid", pid);
                        json_field_uint(&w, "restart_count", restarts);
                        json_field_string(&w, "object_path", path);
                        json_end_object(&w);
                        continue;
                }
                if (table_add(t, name, NULL) < 0 || table_add(t, type, NULL) < 0 ||
                    table_add(t, state, ctl_state_color(state, NULL)) < 0 ||
                    table_add(t, health, strcmp(health, "unhealthy") == 0 ? ANSI_RED : NULL) < 0 ||
                    (pid > 0 ? table_addf(t, NULL, "%" PRIu32, pid) : table_add(t, "-", NULL)) < 0 ||
                    table_addf(t, NULL, "%" PRIu32, restarts) < 0)
                        return ctl_oom();
        }
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the agent list");

        if (c->args->json) {
                json_end_array(&w);
                fputc('\n', stdout);
                return CTL_EXIT_OK;
        }

        table_print(t, c->color, stdout);
        printf("\n%zu agent%s listed.\n", table_rows(t), table_rows(t) == 1 ? "" : "s");
        return CTL_EXIT_OK;
}

int verb_types(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const char * const headers[] = { "TYPE", "POLICY", "COMMAND" };
        _cleanup_(table_freep) Table *t = NULL;
        const char *type, *command, *policy;
        JsonWriter w;
        int r;

        r = ctl_call_manager(c->bus, "ListTypes", &error, &reply, NULL);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to list agent types");

        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return ctl_oom();
        json_writer_init(&w, stdout);
        if (c->args->json)
                json_begin_array(&w);

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the type list");
        while ((r = sd_bus_message_read(reply, "(sss)", &type, &command, &policy)) > 0) {
                if (c->args->json) {
                        json_begin_object(&w);
                        json_field_string(&w, "type", type);
                        json_field_string(&w, "command", command);
                        json_field_string(&w, "policy", policy);
                        json_end_object(&w);
                        continue;
                }
                if (table_add(t, type, NULL) < 0 || table_add(t, policy, NULL) < 0 ||
                    table_add(t, command, NULL) < 0)
                        return ctl_oom();
        }
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the type list");

        if (c->args->json) {
                json_end_array(&w);
                fputc('\n', stdout);
                return CTL_EXIT_OK;
        }

        table_print(t, c->color, stdout);
        printf("\n%zu type%s listed.\n", table_rows(t), table_rows(t) == 1 ? "" : "s");
        return CTL_EXIT_OK;
}

/* One supervisor: its Supervisor properties, completed from the list entry
 * when the object does not say (so the JSON keys are always there). */
static int supervisor_properties(sd_bus *bus, const char *name, const char *strategy, int escalated,
                                 uint32_t agents, uint32_t max_children, const char *path, PropList *l) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        (void) bus_get_all(bus, path, AV_SUPERVISOR, l, &error);

        r = 0;
        if (!prop_list_get(l, "Name"))
                r = prop_list_add_string(l, "Name", name);
        if (r >= 0 && !prop_list_get(l, "Strategy"))
                r = prop_list_add_string(l, "Strategy", strategy);
        if (r >= 0 && !prop_list_get(l, "Escalated"))
                r = prop_list_add_bool(l, "Escalated", escalated);
        if (r >= 0 && !prop_list_get(l, "NAgents"))
                r = prop_list_add_uint32(l, "NAgents", agents);
        if (r >= 0 && !prop_list_get(l, "MaxChildren"))
                r = prop_list_add_uint32(l, "MaxChildren", max_children);
        return r;
}

int verb_supervisors(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const char * const headers[] = { "NAME", "PARENT", "STRATEGY", "AGENTS", "RESTARTS", "ESCALATED" };
        _cleanup_(table_freep) Table *t = NULL;
        const char *name, *strategy, *path;
        uint32_t agents, max_children;
        int escalated, r;
        JsonWriter w;

        r = ctl_call_manager(c->bus, "ListSupervisors", &error, &reply, NULL);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to list supervisors");

        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return ctl_oom();
        json_writer_init(&w, stdout);
        if (c->args->json)
                json_begin_array(&w);

        r = sd_bus_message_enter_container(reply, 'a', "(ssbuuo)");
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the supervisor list");
        while ((r = sd_bus_message_read(reply, "(ssbuuo)", &name, &strategy, &escalated, &agents,
                                        &max_children, &path)) > 0) {
                _cleanup_(prop_list_done) PropList l = {};
                const Prop *times;
                const char *parent;

                if (supervisor_properties(c->bus, name, strategy, escalated, agents, max_children, path, &l) < 0)
                        return ctl_oom();

                if (c->args->json) {
                        json_begin_object(&w);
                        prop_list_json(&l, &w);
                        json_field_string(&w, "object_path", path);
                        json_end_object(&w);
                        continue;
                }

                times = prop_list_get(&l, "RestartTimesUSec");
                parent = prop_list_get_string(&l, "Parent", "");
                if (table_add(t, name, escalated ? ANSI_RED : NULL) < 0 ||
                    table_add(t, *parent ? parent : "-", NULL) < 0 ||
                    table_add(t, strategy, NULL) < 0 ||
                    table_addf(t, NULL, "%" PRIu32 "/%" PRIu32, agents, max_children) < 0 ||
                    table_addf(t, NULL, "%zu/%" PRIu64,
                               times && times->type == PROP_UINT64_ARRAY ? times->array.n : (size_t) 0,
                               prop_list_get_uint64(&l, "MaxRestarts", 0)) < 0 ||
                    (escalated ? table_addf(t, ANSI_RED, "yes: %s",
                                            prop_list_get_string(&l, "EscalationReason", "escalated"))
                               : table_add(t, "no", NULL)) < 0)
                        return ctl_oom();
        }
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the supervisor list");

        if (c->args->json) {
                json_end_array(&w);
                fputc('\n', stdout);
                return CTL_EXIT_OK;
        }

        table_print(t, c->color, stdout);
        return CTL_EXIT_OK;
}

int verb_complete(CtlContext *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const struct {
                const char *what, *method, *array, *entry, *rest;
        } lists[] = {
                { "agents", "ListAgents", "(ssssuuo)", "ssssuuo", "sssuuo" },
                { "types", "ListTypes", "(sss)", "sss", "ss" },
                { "supervisors", "ListSupervisors", "(ssbuuo)", "ssbuuo", "sbuuo" },
        };
        const char *what = c->args->positional[0], *name;
        size_t i;
        int r;

        if (strcmp(what, "groups") == 0) {
                for (const char * const *g = policy_group_names(); g && *g; g++)
                        printf("%s%s\n", (*g)[0] == '@' ? "" : "@", *g);
                return CTL_EXIT_OK;
        }

        for (i = 0; i + 1 < ELEMENTSOF(lists); i++)
                if (strcmp(lists[i].what, what) == 0)
                        break;

        /* Completion stays silent: a shell prompt is no place for errors. */
        r = ctl_call_manager(c->bus, lists[i].method, NULL, &reply, NULL);
        if (r < 0)
                return CTL_EXIT_FAILURE;
        r = sd_bus_message_enter_container(reply, 'a', lists[i].array);
        if (r < 0)
                return CTL_EXIT_FAILURE;
        while ((r = sd_bus_message_enter_container(reply, 'r', lists[i].entry)) > 0) {
                r = sd_bus_message_read_basic(reply, 's', &name);
                if (r < 0)
                        return CTL_EXIT_FAILURE;
                printf("%s\n", name);
                r = sd_bus_message_skip(reply, lists[i].rest);
                if (r < 0)
                        return CTL_EXIT_FAILURE;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return CTL_EXIT_FAILURE;
        }
        return r < 0 ? CTL_EXIT_FAILURE : CTL_EXIT_OK;
}
