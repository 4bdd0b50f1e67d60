/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `agentctl status [NAME]`: one agent in detail, or the manager overview. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-proc.h"
#include "ctl-verbs.h"
#include "parse-util.h"
#include "status-violations.h"
#include "strv.h"
#include "time-util.h"

#define LABEL "%11s "
#define STATES_MAX 16

static const char *dot(const CtlContext *c, const char *color) {
        static char buf[64];

        if (!c->color)
                return "●";
        snprintf(buf, sizeof(buf), "%s●%s", color, ANSI_NORMAL);
        return buf;
}

/* The supervisor's object path, found through ListSupervisors so that the
 * daemon's own path escaping is used. */
static int supervisor_path(sd_bus *bus, const char *name, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *n, *path;
        int r;

        r = ctl_call_manager(bus, "ListSupervisors", NULL, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssbuuo)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssbuuo)", &n, NULL, NULL, NULL, NULL, &path)) > 0)
                if (strcmp(n, name) == 0) {
                        *ret = strdup(path);
                        return *ret ? 0 : -ENOMEM;
                }
        return r < 0 ? r : -ENOENT;
}

static void print_restarts(const CtlContext *c, const PropList *agent, const PropList *sup) {
        const Prop *times = sup ? prop_list_get(sup, "RestartTimesUSec") : NULL;
        const char *restart = prop_list_get_string(agent, "Restart", "");

        printf(LABEL "%" PRIu64, "Restarts:", prop_list_get_uint64(agent, "RestartCount", 0));
        if (*restart)
                printf(" (%s)", restart);
        if (times && times->type == PROP_UINT64_ARRAY && times->array.n > 0) {
                const uint64_t *v = times->array.data;
                size_t first = times->array.n > 5 ? times->array.n - 5 : 0;
                char clock[32];

                printf("; supervisor %s restarted at", prop_list_get_string(agent, "Supervisor", "?"));
                for (size_t i = first; i < times->array.n; i++)
                        printf("%s %s", i == first ? "" : ",", ctl_format_clock(clock, sizeof(clock), v[i]));
        }
        fputc('\n', stdout);
}

static void print_last_exit(const PropList *l) {
        const char *reason = prop_list_get_string(l, "ExitReason", "");
        uint64_t ts = prop_list_get_uint64(l, "ExitTimestampUSec", 0),
                 runtime = prop_list_get_uint64(l, "ExitRuntimeUSec", UINT64_MAX);
        char buf[256], when[64], span[64];

        if (!*reason)
                return;
        printf(LABEL "%s", "Last exit:",
               ctl_format_exit(buf, sizeof(buf), reason, (int) prop_list_get_int(l, "ExitStatus", 0),
                               prop_list_get_string(l, "ExitKilledBy", "")));
        if (ts > 0 && ts != UINT64_MAX)
                printf(" at %s", ctl_format_timestamp(when, sizeof(when), ts));
        if (runtime != UINT64_MAX && runtime > 0)
                printf(" after %s", ctl_format_uptime(span, sizeof(span), runtime));
        fputc('\n', stdout);
}

static void print_processes(const ProcEntry *procs, size_t n) {
        if (n > 0)
                proc_tree_render(procs, n, "            ", 0, stdout);
}

static void print_agent_json(const PropList *l, const char *path, const ProcEntry *procs, size_t n_procs) {
        JsonWriter w;

        json_writer_init(&w, stdout);
        json_begin_object(&w);
        prop_list_json(l, &w);
        json_field_string(&w, "object_path", path);
        json_key(&w, "processes");
        json_begin_array(&w);
        for (size_t i = 0; i < n_procs; i++) {
                json_begin_object(&w);
                json_field_int(&w, "pid", procs[i].pid);
                json_field_int(&w, "ppid", procs[i].ppid);
                json_field_string(&w, "command", procs[i].cmdline);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        fputc('\n', stdout);
}

/* The title line, state, health, main PID, invocation and start time. */
static void print_agent_state(const CtlContext *c, const PropList *l, const char *name) {
        const char *state = prop_list_get_string(l, "State", "unknown");
        const char *health = prop_list_get_string(l, "Health", "unknown");
        const char *status_text = prop_list_get_string(l, "StatusText", "");
        const char *type = prop_list_get_string(l, "Type", "");
        const Prop *inv;
        uint64_t started, pid;
        char buf[256], buf2[64];

        printf("%s %s - %s\n", dot(c, ctl_state_color(state, health)), prop_list_get_string(l, "Name", name),
               *type ? type : "transient");

        printf(LABEL "%s%s%s%s\n", "State:", state, *status_text ? " (" : "", status_text, *status_text ? ")" : "");
        printf(LABEL "%s", "Health:", health);
        if (prop_list_get_uint64(l, "HealthCheckFailures", 0) > 0)
                printf(" (%" PRIu64 " failed checks)", prop_list_get_uint64(l, "HealthCheckFailures", 0));
        fputc('\n', stdout);

        pid = prop_list_get_uint64(l, "MainPID", 0);
        if (pid > 0)
                printf(LABEL "%" PRIu64 "\n", "Main PID:", pid);

        inv = prop_list_get(l, "InvocationID");
        if (inv && inv->type == PROP_BYTES && inv->array.n > 0)
                printf(LABEL "%s\n", "Invocation:", ctl_format_hex(buf, sizeof(buf), inv->array.data, inv->array.n));

        started = prop_list_get_uint64(l, "StartedUSec", 0);
        if (started > 0 && started != UINT64_MAX) {
                usec_t now = now_realtime();

                printf(LABEL "%s", "Started:", ctl_format_timestamp(buf, sizeof(buf), started));
                if (pid > 0 && now >= started)
                        printf("; %s ago", ctl_format_uptime(buf2, sizeof(buf2), now - started));
                fputc('\n', stdout);
        }
}

/* Like systemctl, a line only where something is known or limited. */
static void print_agent_resources(const PropList *l) {
        uint64_t cpu, mem, mem_max, tasks, tasks_max;
        char buf[256], buf2[64];

        mem = prop_list_get_uint64(l, "MemoryCurrent", UINT64_MAX);
        mem_max = prop_list_get_uint64(l, "MemoryMax", UINT64_MAX);
        if (mem != UINT64_MAX || mem_max != UINT64_MAX) {
                uint64_t peak = prop_list_get_uint64(l, "MemoryPeak", UINT64_MAX);

                printf(LABEL "%s", "Memory:", ctl_format_usage(buf, sizeof(buf), mem, mem_max, true));
                if (peak != UINT64_MAX)
                        printf(", peak %s", format_size(buf2, sizeof(buf2), peak));
                fputc('\n', stdout);
        }
        tasks = prop_list_get_uint64(l, "TasksCurrent", UINT64_MAX);
        tasks_max = prop_list_get_uint64(l, "TasksMax", UINT64_MAX);
        if (tasks != UINT64_MAX || tasks_max != UINT64_MAX)
                printf(LABEL "%s\n", "Tasks:", ctl_format_usage(buf, sizeof(buf), tasks, tasks_max, false));
        cpu = prop_list_get_uint64(l, "CPUUsageNSec", UINT64_MAX);
        if (cpu != UINT64_MAX)
                printf(LABEL "%s\n", "CPU:", ctl_format_uptime(buf, sizeof(buf), cpu / NSEC_PER_USEC));
}

/* Command, user, policy and sandbox. features: the Manager's, for the
 * Landlock ABI. */
static void print_agent_exec(const PropList *l, char * const *features) {
        char sandbox[512];
        const Prop *exec = prop_list_get(l, "ExecStart");

        if (exec && exec->type == PROP_STRV && exec->strv && exec->strv[0]) {
                _cleanup_free_ char *cmdline = strv_join(exec->strv, " ");

                if (cmdline)
                        printf(LABEL "%s\n", "Command:", cmdline);
        }
        if (*prop_list_get_string(l, "User", ""))
                printf(LABEL "%s\n", "User:", prop_list_get_string(l, "User", ""));
        printf(LABEL "%s\n", "Policy:", prop_list_get_string(l, "Policy", "?"));
        /* Only when it is not the default: someone looking for the agent's
         * output learns why there is none. */
        if (strcmp(prop_list_get_string(l, "StandardOutput", "journal"), "null") == 0)
                printf(LABEL "%s\n", "Output:", "null (StandardOutput=null: stdout and stderr discarded)");
        if (ctl_format_sandbox(sandbox, sizeof(sandbox), l, features))
                printf(LABEL "%s\n", "Sandbox:", sandbox);
}

static int status_agent(CtlContext *c, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(prop_list_done) PropList l = {}, sup = {};
        _cleanup_free_ char *path = NULL, *sup_path = NULL;
        _cleanup_strv_free_ char **features = NULL;
        ProcEntry *procs = NULL;
        size_t n_procs = 0;
        const char *cg, *supervisor;
        int r;

        r = bus_get_agent_path(c->bus, name, &path, &error);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to look up the agent");
        r = bus_get_all(c->bus, path, BUS_AGENT_IFACE, &l, &error);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to read the agent's properties");

        supervisor = prop_list_get_string(&l, "Supervisor", "");
        if (*supervisor && supervisor_path(c->bus, supervisor, &sup_path) >= 0)
                (void) bus_get_all(c->bus, sup_path, BUS_SUPERVISOR_IFACE, &sup, NULL);

        cg = prop_list_get_string(&l, "ControlGroup", "");
        if (*cg)
                (void) cgroup_read_processes(cg, &procs, &n_procs);

        if (c->args->json)
                print_agent_json(&l, path, procs, n_procs);
        else {
                /* A daemon without isolation has no Features: no ABI to show. */
                (void) sd_bus_get_property_strv(c->bus, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "Features", NULL,
                                                &features);
                print_agent_state(c, &l, name);
                print_restarts(c, &l, sup.n > 0 ? &sup : NULL);
                print_last_exit(&l);
                print_agent_resources(&l);
                print_agent_exec(&l, features);
                status_print_violations(c->bus, path, &l);
                /* Last, as systemctl status has it: the cgroup and its processes. */
                if (*cg) {
                        printf(LABEL "%s\n", "CGroup:", cg);
                        print_processes(procs, n_procs);
                }
        }
        proc_entries_free(procs, n_procs);
        return CTL_EXIT_OK;
}

typedef struct StateCount {
        char state[32];
        unsigned count;
} StateCount;

/* Counts agents per state, the usual states first in lifecycle order. */
static int count_agent_states(sd_bus *bus, StateCount *counts, size_t *n, unsigned *total, sd_bus_error *error) {
        static const char * const order[] = { "starting", "running", "stopping", "restarting", "exited", "failed" };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *state;
        int r;

        *n = 0;
        *total = 0;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                snprintf(counts[*n].state, sizeof(counts[*n].state), "%s", order[i]);
                counts[(*n)++].count = 0;
        }

        r = ctl_call_manager(bus, "ListAgents", error, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssuuo)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssuuo)", NULL, NULL, &state, NULL, NULL, NULL, NULL)) > 0) {
                size_t i;

                for (i = 0; i < *n; i++)
                        if (strcmp(counts[i].state, state) == 0)
                                break;
                if (i == *n) {
                        if (*n == STATES_MAX)
                                continue;
                        snprintf(counts[i].state, sizeof(counts[i].state), "%s", state);
                        counts[(*n)++].count = 0;
                }
                counts[i].count++;
                (*total)++;
        }
        return r;
}

static const char *manager_color(const char *state) {
        if (strcmp(state, "running") == 0)
                return ANSI_GREEN;
        if (strcmp(state, "escalated") == 0)
                return ANSI_RED;
        return ANSI_YELLOW;
}

static void print_manager(const CtlContext *c, const PropList *m, const StateCount *counts, size_t n_counts,
                          unsigned total) {
        const char *state = prop_list_get_string(m, "State", "unknown");
        const Prop *features = prop_list_get(m, "Features");
        char buf[64];

        printf("%s agentvisord %s\n", dot(c, manager_color(state)), prop_list_get_string(m, "Version", "?"));
        printf(LABEL "%s\n", "State:", state);
        printf(LABEL "%" PRIu64 " (max %" PRIu64 ")", "Agents:", prop_list_get_uint64(m, "NAgents", total),
               prop_list_get_uint64(m, "MaxChildren", 0));
        for (size_t i = 0, shown = 0; i < n_counts; i++) {
                if (counts[i].count == 0)
                        continue;
                printf("%s%u %s", shown++ == 0 ? ": " : ", ", counts[i].count, counts[i].state);
        }
        fputc('\n', stdout);
        printf(LABEL "%s, %" PRIu64 " restarts in %s\n", "Strategy:",
               prop_list_get_string(m, "Strategy", "?"), prop_list_get_uint64(m, "MaxRestarts", 0),
               ctl_format_uptime(buf, sizeof(buf), prop_list_get_uint64(m, "RestartWindowUSec", 0)));
        if (features && features->type == PROP_STRV) {
                _cleanup_free_ char *list = strv_join(features->strv, " ");

                printf(LABEL "%s\n", "Features:", list && *list ? list : "(none)");
        }
        printf("%11s\n", "Supervisors:");
}

typedef struct SupervisorEntry {
        const char *name, *strategy, *path;
        int escalated;
        uint32_t agents, max_children;
} SupervisorEntry;

/* One supervisor of ListSupervisors, with its properties where they could
 * be read. */
static void print_supervisor(const CtlContext *c, JsonWriter *w, const SupervisorEntry *e) {
        _cleanup_(prop_list_done) PropList s = {};

        (void) bus_get_all(c->bus, e->path, BUS_SUPERVISOR_IFACE, &s, NULL);
        if (c->args->json) {
                json_begin_object(w);
                if (s.n > 0)
                        prop_list_json(&s, w);
                else {
                        json_field_string(w, "name", e->name);
                        json_field_string(w, "strategy", e->strategy);
                        json_field_bool(w, "escalated", e->escalated);
                        json_field_uint(w, "n_agents", e->agents);
                        json_field_uint(w, "max_children", e->max_children);
                }
                json_field_string(w, "object_path", e->path);
                json_end_object(w);
                return;
        }

        printf("%11s %s %-16s %-13s %" PRIu32 "/%" PRIu32 " agents", "",
               dot(c, e->escalated ? ANSI_RED : ANSI_GREEN), e->name, e->strategy, e->agents, e->max_children);
        if (e->escalated)
                printf("  %sescalated: %s%s", c->color ? ANSI_RED : "",
                       prop_list_get_string(&s, "EscalationReason", "(no reason given)"),
                       c->color ? ANSI_NORMAL : "");
        fputc('\n', stdout);
}

static void print_agent_counts_json(JsonWriter *w, const StateCount *counts, size_t n_counts, unsigned total) {
        json_key(w, "agents");
        json_begin_object(w);
        json_field_uint(w, "total", total);
        json_key(w, "states");
        json_begin_object(w);
        for (size_t i = 0; i < n_counts; i++) {
                json_key(w, counts[i].state);
                json_uint(w, counts[i].count);
        }
        json_end_object(w);
        json_end_object(w);
}

static int status_manager(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(prop_list_done) PropList m = {};
        StateCount counts[STATES_MAX];
        SupervisorEntry e;
        size_t n_counts;
        unsigned total;
        JsonWriter w;
        int r;

        r = bus_get_all(c->bus, BUS_PATH, BUS_MANAGER_IFACE, &m, &error);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to read the manager's properties");
        r = count_agent_states(c->bus, counts, &n_counts, &total, &error);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to list agents");
        r = ctl_call_manager(c->bus, "ListSupervisors", &error, &reply, NULL);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to list supervisors");
        r = sd_bus_message_enter_container(reply, 'a', "(ssbuuo)");
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the supervisor list");

        json_writer_init(&w, stdout);
        if (c->args->json) {
                json_begin_object(&w);
                json_key(&w, "manager");
                json_begin_object(&w);
                prop_list_json(&m, &w);
                json_end_object(&w);
                json_key(&w, "supervisors");
                json_begin_array(&w);
        } else
                print_manager(c, &m, counts, n_counts, total);

        while ((r = sd_bus_message_read(reply, "(ssbuuo)", &e.name, &e.strategy, &e.escalated, &e.agents,
                                        &e.max_children, &e.path)) > 0)
                print_supervisor(c, &w, &e);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to parse the supervisor list");

        if (c->args->json) {
                json_end_array(&w);
                print_agent_counts_json(&w, counts, n_counts, total);
                json_end_object(&w);
                fputc('\n', stdout);
        }
        return CTL_EXIT_OK;
}

int verb_status(CtlContext *c) {
        if (c->args->positional && c->args->positional[0])
                return status_agent(c, c->args->positional[0]);
        return status_manager(c);
}
