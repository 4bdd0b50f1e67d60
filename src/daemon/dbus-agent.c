/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.agentvisor1.Agent at /org/agentvisor1/agent/NAME: a fallback vtable,
 * so 10,000 agents cost no per-object registration. Current use (memory,
 * tasks, CPU) is read from the cgroup when asked. */
#include <string.h>

#include "agent-sandbox.h"
#include "agent-schema.h"
#include "agent.h"
#include "dbus-violation.h"
#include "dbus.h"
#include "manager-ops.h"
#include "strv.h"

static int find_agent(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                      sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *name = NULL;
        Agent *a;
        int r;

        r = sd_bus_path_decode(path, BUS_AGENT_PREFIX, &name);
        if (r <= 0)
                return r;
        a = manager_find_agent(m, name);
        if (!a)
                return 0;
        *found = a;
        return 1;
}

static int enumerate_agents(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;
        Agent *a;
        int r;

        HASHMAP_FOREACH(a, m->agents) {
                r = strv_extend(&l, a->object_path);
                if (r < 0)
                        return r;
        }
        *nodes = TAKE_PTR(l);
        return 1;
}

/* --- Live cgroup figures --------------------------------------------------
 * MemoryCurrent, MemoryPeak, TasksCurrent, CPUUsageNSec, OOMKills and
 * MemoryPressure are read from the cgroup when asked. A GetAll (or
 * GetManagedObjects, or a Get) asks for several of them in a row; the files
 * are read once per agent and bus message, into a snapshot that the next
 * message or agent replaces. Keyed by the message being answered and the
 * event loop's iteration (a message is answered within one iteration), so a
 * snapshot never outlives its message. Without a message being answered
 * (a PropertiesChanged being sent) nothing is cached. */
typedef struct LiveSnapshot {
        const Agent *agent;
        const sd_bus_message *msg;
        uint64_t iteration;
        bool have_stats, have_pressure;
        CgroupStats stats;
        double pressure;
} LiveSnapshot;

static LiveSnapshot live_snapshot;

static LiveSnapshot *live_get(const Agent *a, sd_bus *bus, LiveSnapshot *scratch) {
        sd_bus_message *msg = sd_bus_get_current_message(bus);
        uint64_t iteration = 0;

        if (!msg) {
                *scratch = (LiveSnapshot) { .agent = a };
                return scratch;
        }
        (void) sd_event_get_iteration(a->manager->event, &iteration);
        if (live_snapshot.agent != a || live_snapshot.msg != msg || live_snapshot.iteration != iteration)
                live_snapshot = (LiveSnapshot) { .agent = a, .msg = msg, .iteration = iteration };
        return &live_snapshot;
}

static const CgroupStats *live_stats(const Agent *a, sd_bus *bus, LiveSnapshot *scratch) {
        LiveSnapshot *l = live_get(a, bus, scratch);

        if (!l->have_stats) {
                l->stats = (CgroupStats) { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
                if (a->cgroup)
                        (void) cgroup_read_stats(a->cgroup, &l->stats);
                l->have_stats = true;
        }
        return &l->stats;
}

static double live_memory_pressure(const Agent *a, sd_bus *bus, LiveSnapshot *scratch) {
        LiveSnapshot *l = live_get(a, bus, scratch);

        if (!l->have_pressure) {
                l->pressure = -1;
                if (a->cgroup)
                        (void) cgroup_read_memory_pressure(a->cgroup, &l->pressure);
                l->have_pressure = true;
        }
        return l->pressure;
}

/* 1 when p is a live property (appended), 0 when it is not one. */
static int live_property_get(sd_bus *bus, const Agent *a, const char *p, sd_bus_message *reply) {
        LiveSnapshot scratch;

        if (strcmp(p, "MemoryCurrent") == 0)
                return sd_bus_message_append(reply, "t", live_stats(a, bus, &scratch)->memory_current) ?: 1;
        if (strcmp(p, "MemoryPeak") == 0)
                return sd_bus_message_append(reply, "t", live_stats(a, bus, &scratch)->memory_peak) ?: 1;
        if (strcmp(p, "TasksCurrent") == 0)
                return sd_bus_message_append(reply, "t", live_stats(a, bus, &scratch)->tasks_current) ?: 1;
        if (strcmp(p, "CPUUsageNSec") == 0)
                return sd_bus_message_append(reply, "t", live_stats(a, bus, &scratch)->cpu_usage_nsec) ?: 1;
        if (strcmp(p, "OOMKills") == 0) {
                uint64_t now = live_stats(a, bus, &scratch)->oom_kills;
                return sd_bus_message_append(reply, "t", a->oom_kills + (now != UINT64_MAX ? now : 0)) ?: 1;
        }
        if (strcmp(p, "MemoryPressure") == 0)
                return sd_bus_message_append(reply, "d", live_memory_pressure(a, bus, &scratch)) ?: 1;
        return 0;
}
/* --- End of live cgroup figures ------------------------------------------- */

/* The live properties and the agent's own state; those of the spec come
 * from the schema below. */
/* SandboxKeys: every sandbox key's effective value, KEY=VALUE. */
static int bus_append_sandbox_keys(sd_bus_message *reply, Agent *a) {
        _cleanup_strv_free_ char **l = NULL;
        int r = agent_sandbox_keys_strv(&a->spec, a->manager->config->default_sandbox, &l);

        return r < 0 ? r : sd_bus_message_append_strv(reply, l);
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *p,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Agent *a = userdata;
        int r;

        r = live_property_get(bus, a, p, reply);
        if (r != 0)
                return r < 0 ? r : 0;
        if (strcmp(p, "Name") == 0)
                return sd_bus_message_append(reply, "s", a->name);
        if (strcmp(p, "Type") == 0)
                return sd_bus_message_append(reply, "s", a->type);
        if (strcmp(p, "Supervisor") == 0)
                return sd_bus_message_append(reply, "s", a->supervisor->config.name);
        if (strcmp(p, "InvocationID") == 0)
                return sd_bus_message_append_array(reply, 'y', a->invocation_id.bytes,
                                                   sd_id128_is_null(a->invocation_id) ? 0 : 16);
        if (strcmp(p, "State") == 0)
                return sd_bus_message_append(reply, "s", agent_state_to_string(agent_get_state(a)));
        if (strcmp(p, "Health") == 0)
                return sd_bus_message_append(reply, "s", agent_health_to_string(a->health));
        if (strcmp(p, "StatusText") == 0)
                return sd_bus_message_append(reply, "s", a->status_text ?: "");
        if (strcmp(p, "StatusErrno") == 0)
                return sd_bus_message_append(reply, "i", (int32_t) a->status_errno);
        if (strcmp(p, "MainPID") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) a->pid);
        if (strcmp(p, "ControlGroup") == 0)
                return sd_bus_message_append(reply, "s", a->cgroup ? cgroup_path(a->cgroup) : "");
        if (strcmp(p, "RestartCount") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) (a->sv ? sv_agent_restart_count(a->sv) : 0));
        if (strcmp(p, "StartedUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) a->started_realtime);
        if (strcmp(p, "ExitReason") == 0)
                return sd_bus_message_append(reply, "s", exit_reason_to_string(a->exit.reason));
        if (strcmp(p, "ExitStatus") == 0)
                return sd_bus_message_append(reply, "i", (int32_t) a->exit.status);
        if (strcmp(p, "ExitKilledBy") == 0)
                return sd_bus_message_append(reply, "s", killed_by_to_string(a->exit.killed_by));
        if (strcmp(p, "ExitTimestampUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) a->exit_realtime);
        if (strcmp(p, "ExitRuntimeUSec") == 0)
                return sd_bus_message_append(reply, "t", (uint64_t) a->exit_runtime);
        if (strcmp(p, "ExitCPUUsageNSec") == 0)
                return sd_bus_message_append(reply, "t", a->exit_cpu_nsec);
        if (strcmp(p, "ExitMemoryPeak") == 0)
                return sd_bus_message_append(reply, "t", a->exit_memory_peak);
        if (strcmp(p, "HealthCheckFailures") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) a->check_failures);
        if (strcmp(p, "UID") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) a->uid);
        if (strcmp(p, "GID") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) a->gid);
        /* The effective preset: the type's or RunAgent's, else DefaultSandbox=. */
        if (strcmp(p, "Sandbox") == 0)
                return sd_bus_message_append(reply, "s",
                                             sandbox_preset_to_string(a->spec.sandbox.preset >= 0
                                                                              ? (SandboxPreset) a->spec.sandbox.preset
                                                                              : a->manager->config->default_sandbox));
        if (strcmp(p, "SandboxKeys") == 0)     /* isosec: the effective keys, for agentctl status */
                return bus_append_sandbox_keys(reply, a);
        return -ENOENT;
}

/* Agent.Stop() and friends, which Manager.StopAgent(s) and friends share
 * once they have found the agent. */
int bus_agent_do_stop(Agent *a, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        int r;

        r = bus_check_admin(a->manager, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_stop_agent(a, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

int bus_agent_do_restart(Agent *a, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        int r;

        r = bus_check_admin(a->manager, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_restart_agent(a, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

int bus_agent_do_kill(Agent *a, int sig, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(error_detail_done) ErrorDetail err = ERROR_DETAIL_NULL;
        int r;

        r = bus_check_admin(a->manager, msg, false, error);
        if (r <= 0)
                return r;
        r = manager_kill_agent(a, sig, &err);
        return bus_reply_empty_or_error(msg, r, &err, error);
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_agent_do_stop(userdata, msg, error);
}

static int method_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_agent_do_restart(userdata, msg, error);
}

/* Freeze() and Thaw(): dbus-freeze.c. */
static int method_freeze(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_agent_do_freeze(userdata, msg, error);
}

static int method_thaw(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_agent_do_thaw(userdata, msg, error);
}

static int method_kill(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int32_t sig;
        int r = sd_bus_message_read(msg, "i", &sig);
        return r < 0 ? r : bus_agent_do_kill(userdata, sig, msg, error);
}

/* A spec property, read through its schema row. */
static int property_get_spec(sd_bus *bus, const char *path, const char *interface, const char *p,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const AgentKey *k = agent_key_from_property(p);
        Agent *a = userdata;
        AgentValue v = {};

        if (!k)
                return -ENOENT;
        k->get(k, &a->spec, &v);
        switch (k->signature[0]) {
        case 's':
                /* Unset is the default, which for User= is the daemon's DefaultUser=. */
                return sd_bus_message_append(reply, "s", v.str ?: a->manager->config->default_user);
        case 't':
                return sd_bus_message_append(reply, "t", v.u64);
        case 'u':
                return sd_bus_message_append(reply, "u", (uint32_t) v.u64);
        case 'i':
                return sd_bus_message_append(reply, "i", (int32_t) v.i64);
        case 'a':
                return sd_bus_message_append_strv(reply, v.strv);
        default:
                return -EINVAL;
        }
}

#define P(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define P_CONST(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST)
#define P_LIVE(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, 0)

/* The interface in order, the spec's sections between these. */
static const sd_bus_vtable vtable_head[] = {
        P_CONST("Name", "s"),
        P_CONST("Type", "s"),
        P_CONST("Supervisor", "s"),
        P("InvocationID", "ay"),
        P("State", "s"),
        P("Health", "s"),
        P("StatusText", "s"),
        P("StatusErrno", "i"),
        P("MainPID", "u"),
        P("ControlGroup", "s"),
};

/* After AGENT_PROPERTIES_EXEC. */
static const sd_bus_vtable vtable_middle[] = {
        P("RestartCount", "u"),
        P("StartedUSec", "t"),
        P("ExitReason", "s"),
        P("ExitStatus", "i"),
        P("ExitKilledBy", "s"),
        P("ExitTimestampUSec", "t"),
        P("ExitRuntimeUSec", "t"),
        P("ExitCPUUsageNSec", "t"),
        P("ExitMemoryPeak", "t"),
        P_LIVE("MemoryCurrent", "t"),
        P_LIVE("MemoryPeak", "t"),
        P_LIVE("TasksCurrent", "t"),
        P_LIVE("CPUUsageNSec", "t"),
        P("OOMKills", "t"),
        P_LIVE("MemoryPressure", "d"),
};

/* After AGENT_PROPERTIES_LIMITS. */
static const sd_bus_vtable vtable_tail[] = {
        P("HealthCheckFailures", "u"),
        /* Isolation: the host ids of the current (or last) invocation,
         * UINT32_MAX before the first, and the effective preset. */
        P("UID", "u"),
        P("GID", "u"),
        P_CONST("Sandbox", "s"),
        P_CONST("SandboxKeys", "as"),
        /* Violations (dbus-violation.c): read when asked, no PropertiesChanged. */
        SD_BUS_PROPERTY("PolicyViolations", "t", bus_agent_property_get_violations, 0, 0),
        SD_BUS_PROPERTY("LastPolicyViolations", "a(tsats)", bus_agent_property_get_violations, 0, 0),
        SD_BUS_PROPERTY("PolicyReportLost", "b", bus_agent_property_get_violations, 0, 0), /* agent-violation-carry.c */
        SD_BUS_METHOD("Stop", NULL, NULL, method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_ARGS("i", signal), SD_BUS_NO_RESULT, method_kill,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Restart", NULL, NULL, method_restart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Freeze", NULL, NULL, method_freeze, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Thaw", NULL, NULL, method_thaw, SD_BUS_VTABLE_UNPRIVILEGED),
};

static sd_bus_vtable agent_vtable[1 + ELEMENTSOF(vtable_head) + ELEMENTSOF(vtable_middle) + ELEMENTSOF(vtable_tail) +
                                  AGENT_SCHEMA_MAX + 1];

static size_t vtable_append(size_t n, const sd_bus_vtable *v, size_t n_v) {
        memcpy(agent_vtable + n, v, n_v * sizeof(sd_bus_vtable));
        return n + n_v;
}

static size_t vtable_append_spec(size_t n, AgentPropertySection section) {
        for (size_t i = 0; i < agent_schema_n; i++)
                if (agent_schema[i].property && agent_schema[i].section == section)
                        agent_vtable[n++] = (sd_bus_vtable) SD_BUS_PROPERTY(agent_schema[i].property,
                                                                            agent_schema[i].signature,
                                                                            property_get_spec, 0,
                                                                            SD_BUS_VTABLE_PROPERTY_CONST);
        return n;
}

/* Built once: the spec's properties follow the schema. */
static const sd_bus_vtable *agent_vtable_get(void) {
        static bool built = false;
        size_t n = 0;

        if (built)
                return agent_vtable;
        agent_vtable[n++] = (sd_bus_vtable) SD_BUS_VTABLE_START(0);
        n = vtable_append(n, vtable_head, ELEMENTSOF(vtable_head));
        n = vtable_append_spec(n, AGENT_PROPERTIES_EXEC);
        n = vtable_append(n, vtable_middle, ELEMENTSOF(vtable_middle));
        n = vtable_append_spec(n, AGENT_PROPERTIES_LIMITS);
        n = vtable_append(n, vtable_tail, ELEMENTSOF(vtable_tail));
        agent_vtable[n++] = (sd_bus_vtable) SD_BUS_VTABLE_END;
        built = true;
        return agent_vtable;
}

int bus_agent_register_vtables(Manager *m) {
        int r = sd_bus_add_fallback_vtable(m->bus, NULL, BUS_AGENT_PREFIX, BUS_AGENT_IFACE, agent_vtable_get(),
                                           find_agent, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(m->bus, NULL, BUS_AGENT_PREFIX, enumerate_agents, m);
}
