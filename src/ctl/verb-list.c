/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list views: agents, types, supervisors, and the names for completion. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-property.h"
#include "ctl-table.h"
#include "ctl-verbs.h"
#include "policy.h"


/* What the three list verbs share: the call, the table or JSON array it
 * fills, and its end. */
typedef struct ListView {
        Table *table;
        JsonWriter json;
        bool as_json;
} ListView;

static void list_view_done(ListView *v) {
        v->table = table_free(v->table);
}

/* Calls `method`, enters its array of `entry` and starts the output. */
static int list_view_begin(CtlContext *c, ListView *v, const char *method, const char *failed_call,
                           const char *failed_parse, const char *entry, const char * const *headers,
                           size_t n_headers, sd_bus_message **reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char array[32];
        int r;

        r = ctl_call_manager(c->bus, method, &error, reply, NULL);
        if (r < 0)
                return ctl_report_error(r, &error, failed_call);
        v->table = table_new(n_headers, headers);
        if (!v->table)
                return ctl_oom();
        v->as_json = c->args->json;
        json_writer_init(&v->json, stdout);
        if (v->as_json)
                json_begin_array(&v->json);
        snprintf(array, sizeof array, "(%s)", entry);
        r = sd_bus_message_enter_container(*reply, 'a', array);
        if (r < 0)
                return ctl_report_error(r, NULL, failed_parse);
        return 0;
}

/* Ends the output; `noun` NULL prints no count line. */
static int list_view_end(CtlContext *c, ListView *v, const char *noun) {
        size_t n = table_rows(v->table);

        if (v->as_json) {
                json_end_array(&v->json);
                fputc('\n', stdout);
                return CTL_EXIT_OK;
        }
        table_print(v->table, c->color, stdout);
        if (noun)
                printf("\n%zu %s%s listed.\n", n, noun, n == 1 ? "" : "s");
        return CTL_EXIT_OK;
}

int verb_list(CtlContext *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const char * const headers[] = { "NAME", "TYPE", "STATE", "HEALTH", "PID", "RESTARTS" };
        _cleanup_(list_view_done) ListView v = {};
        const char *name, *type, *state, *health, *path;
        uint32_t pid, restarts;
        int r;

        r = list_view_begin(c, &v, "ListAgents", "Failed to list agents", "Failed to parse the agent list",
                            "ssssuuo", headers, ELEMENTSOF(headers), &reply);
        if (r != 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssuuo)", &name, &type, &state, &health, &pid, &restarts,
                                        &path)) > 0) {
                if (v.as_json) {
                        json_begin_object(&v.json);
                        json_field_string(&v.json, "name", name);
                        json_field_string(&v.json, "type", type);
                        json_field_string(&v.json, "state", state);
                        json_field_string(&v.json, "health", health);
                        json_field_uint(&v.json, "main_pid", pid);
                        json_field_uint(&v.json, "restart_count", restarts);
                        json_field_string(&v.json, "object_path", path);
                        json_end_object(&v.json);
                        continue;
                }
                if (table_add(v.table, name, NULL) < 0 || table_add(v.table, type, NULL) < 0 ||
                    table_add(v.table, state, ctl_state_color(state, NULL)) < 0 ||
                    table_add(v.table, health, strcmp(health, "unhealthy") == 0 ? ANSI_RED : NULL) < 0 ||
                    (pid > 0 ? table_addf(v.table, NULL, "%" PRIu32, pid) : table_add(v.table, "-", NULL)) < 0 ||
                    table_addf(v.table, NULL, "%" PRIu32, restarts) < 0)
                        return ctl_oom();
        }
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the agent list");
        return list_view_end(c, &v, "agent");
}

int verb_types(CtlContext *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const char * const headers[] = { "TYPE", "POLICY", "COMMAND" };
        _cleanup_(list_view_done) ListView v = {};
        const char *type, *command, *policy;
        int r;

        r = list_view_begin(c, &v, "ListTypes", "Failed to list agent types", "Failed to parse the type list", "sss",
                            headers, ELEMENTSOF(headers), &reply);
        if (r != 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sss)", &type, &command, &policy)) > 0) {
                if (v.as_json) {
                        json_begin_object(&v.json);
                        json_field_string(&v.json, "type", type);
                        json_field_string(&v.json, "command", command);
                        json_field_string(&v.json, "policy", policy);
                        json_end_object(&v.json);
                        continue;
                }
                if (table_add(v.table, type, NULL) < 0 || table_add(v.table, policy, NULL) < 0 ||
                    table_add(v.table, command, NULL) < 0)
                        return ctl_oom();
        }
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the type list");
        return list_view_end(c, &v, "type");
}

/* One supervisor: its Supervisor properties, completed from the list entry
 * when the object does not say (so the JSON keys are always there). */
static int supervisor_properties(sd_bus *bus, const char *name, const char *strategy, int escalated,
                                 uint32_t agents, uint32_t max_children, const char *path, PropList *l) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        (void) bus_get_all(bus, path, BUS_SUPERVISOR_IFACE, l, &error);

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
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        static const char * const headers[] = { "NAME", "PARENT", "STRATEGY", "AGENTS", "RESTARTS", "ESCALATED" };
        _cleanup_(list_view_done) ListView v = {};
        const char *name, *strategy, *path;
        uint32_t agents, max_children;
        int escalated, r;

        r = list_view_begin(c, &v, "ListSupervisors", "Failed to list supervisors",
                            "Failed to parse the supervisor list", "ssbuuo", headers, ELEMENTSOF(headers), &reply);
        if (r != 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssbuuo)", &name, &strategy, &escalated, &agents,
                                        &max_children, &path)) > 0) {
                _cleanup_(prop_list_done) PropList l = {};
                const Prop *times;
                const char *parent;

                if (supervisor_properties(c->bus, name, strategy, escalated, agents, max_children, path, &l) < 0)
                        return ctl_oom();

                if (v.as_json) {
                        json_begin_object(&v.json);
                        prop_list_json(&l, &v.json);
                        json_field_string(&v.json, "object_path", path);
                        json_end_object(&v.json);
                        continue;
                }

                times = prop_list_get(&l, "RestartTimesUSec");
                parent = prop_list_get_string(&l, "Parent", "");
                if (table_add(v.table, name, escalated ? ANSI_RED : NULL) < 0 ||
                    table_add(v.table, *parent ? parent : "-", NULL) < 0 ||
                    table_add(v.table, strategy, NULL) < 0 ||
                    table_addf(v.table, NULL, "%" PRIu32 "/%" PRIu32, agents, max_children) < 0 ||
                    table_addf(v.table, NULL, "%zu/%" PRIu64,
                               times && times->type == PROP_UINT64_ARRAY ? times->array.n : (size_t) 0,
                               prop_list_get_uint64(&l, "MaxRestarts", 0)) < 0 ||
                    (escalated ? table_addf(v.table, ANSI_RED, "yes: %s",
                                            prop_list_get_string(&l, "EscalationReason", "escalated"))
                               : table_add(v.table, "no", NULL)) < 0)
                        return ctl_oom();
        }
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the supervisor list");
        return list_view_end(c, &v, NULL);
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

        if (strcmp(what, "properties") == 0) {
                ctl_property_names(stdout, "\n");
                return CTL_EXIT_OK;
        }
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
