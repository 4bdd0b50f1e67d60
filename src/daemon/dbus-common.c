/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bus connection, the access check for mutating calls, and the signals the
 * daemon emits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbus.h"
#include "log.h"
#include "string-table.h"
#include "strv.h"

int bus_agent_path(const char *name, char **ret) {
        return sd_bus_path_encode(BUS_AGENT_PREFIX, name, ret);
}

/* The one table from what the manager's operations say (error-detail.h) to
 * the SPEC's error names. */
static const char *const bus_error_kind_table[_ERROR_KIND_MAX] = {
        [ERROR_KIND_FAILED] = SD_BUS_ERROR_FAILED,
        [ERROR_KIND_INVALID_ARGS] = SD_BUS_ERROR_INVALID_ARGS,
        [ERROR_KIND_NO_SUCH_AGENT] = BUS_ERROR_NO_SUCH_AGENT,
        [ERROR_KIND_NO_SUCH_TYPE] = BUS_ERROR_NO_SUCH_TYPE,
        [ERROR_KIND_NO_SUCH_SUPERVISOR] = BUS_ERROR_NO_SUCH_SUPERVISOR,
        [ERROR_KIND_ALREADY_EXISTS] = BUS_ERROR_ALREADY_EXISTS,
        [ERROR_KIND_INVALID_SPEC] = BUS_ERROR_INVALID_SPEC,
        [ERROR_KIND_POLICY] = BUS_ERROR_POLICY,
        [ERROR_KIND_ESCALATED] = BUS_ERROR_ESCALATED,
        [ERROR_KIND_TOO_MANY_AGENTS] = BUS_ERROR_TOO_MANY_AGENTS,
        [ERROR_KIND_NOT_RUNNING] = BUS_ERROR_NOT_RUNNING,
        [ERROR_KIND_NOT_STOPPED] = BUS_ERROR_NOT_STOPPED,
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(bus_error_kind, ErrorKind);

int bus_error_from_detail(int r, const ErrorDetail *detail, sd_bus_error *error) {
        const char *name;

        if (r >= 0)
                return r;
        name = detail ? bus_error_kind_to_string(detail->kind) : NULL;
        if (!name || !detail->message)
                return r;       /* an internal failure: sd-bus names it after the errno */
        return sd_bus_error_set(error, name, detail->message);
}

int bus_reply_empty_or_error(sd_bus_message *msg, int r, const ErrorDetail *detail, sd_bus_error *error) {
        if (r < 0)
                return bus_error_from_detail(r, detail, error);
        return sd_bus_reply_method_return(msg, NULL);
}

/* One entry at a time, so that an array of 100,000 strings costs no more
 * than the limit: sd_bus_message_read_strv() would read it whole (growing
 * the vector an element at a time) before any count could be checked. */
int bus_read_strv_bounded(sd_bus_message *msg, const char *what, size_t max_n, size_t *budget, char ***ret,
                          sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, allocated = 0;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r <= 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s: expected an array of strings.", what);
        for (;;) {
                const char *s;
                size_t len;

                r = sd_bus_message_read_basic(msg, 's', &s);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s: malformed array of strings.",
                                                 what);
                if (r == 0)
                        break;
                if (n >= max_n)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "%s: more than %zu entries; at most %zu are allowed.", what, max_n,
                                                 max_n);
                len = strlen(s) + 1;
                if (len > *budget)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "%s: the input exceeds %d KiB in all (arguments, environment and "
                                                 "strings together).",
                                                 what, BUS_INPUT_BYTES_MAX / 1024);
                *budget -= len;
                if (n + 2 > allocated) {
                        size_t k = MIN(MAX(allocated * 2, (size_t) 16), max_n + 1);
                        char **t = reallocarray(l, k, sizeof(char *));
                        if (!t)
                                return -ENOMEM;
                        l = t;
                        allocated = k;
                }
                l[n] = strdup(s);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The bus daemon's own account of the sender (GetConnectionCredentials):
 * the uid and, where it reports them, the supplementary groups. Nothing the
 * caller says about itself is taken into account. */
static int sender_credentials(Manager *m, sd_bus_message *msg, uid_t *ret_uid, gid_t **ret_gids,
                              size_t *ret_n_gids) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        bool have_uid = false;
        gid_t *gids = NULL;
        size_t n_gids = 0;
        int r;

        if (!sender)
                return -EPERM;
        r = sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionCredentials", &error, &reply, "s", sender);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        goto fail;
                if (strcmp(key, "UnixUserID") == 0) {
                        uint32_t u;
                        r = sd_bus_message_read(reply, "v", "u", &u);
                        if (r < 0)
                                goto fail;
                        *ret_uid = u;
                        have_uid = true;
                } else if (strcmp(key, "UnixGroupIDs") == 0) {
                        const void *p;
                        size_t sz;
                        r = sd_bus_message_enter_container(reply, 'v', "au");
                        if (r >= 0)
                                r = sd_bus_message_read_array(reply, 'u', &p, &sz);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto fail;
                        free(gids);
                        gids = malloc(sz ?: 1);
                        if (!gids) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        memcpy(gids, p, sz);
                        n_gids = sz / sizeof(uint32_t);
                } else {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                goto fail;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto fail;
        }
        if (r < 0 || !have_uid) {
                r = r < 0 ? r : -EPERM;
                goto fail;
        }
        *ret_gids = gids;
        *ret_n_gids = n_gids;
        return 0;
fail:
        free(gids);
        return r;
}

/* What the bus daemon said about a connection. A unique name is never
 * reused and the credentials are those of connect time, so the answer holds
 * until the name goes away (NameOwnerChanged). */
typedef struct CallerCredentials {
        char *name;
        uid_t uid;
        bool in_admin_group;
} CallerCredentials;

void bus_callers_clear(Manager *m) {
        CallerCredentials *c;

        if (!m->callers)
                return;
        HASHMAP_FOREACH(c, m->callers) {
                free(c->name);
                free(c);
        }
        m->callers = hashmap_free(m->callers);
}

static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;
        CallerCredentials *c;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 || *new_owner)
                return 0;
        c = hashmap_remove(m->callers, name);
        if (c) {
                free(c->name);
                free(c);
        }
        return 0;
}

static int caller_lookup(Manager *m, sd_bus_message *msg, const CallerCredentials **ret) {
        _cleanup_free_ gid_t *gids = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        CallerCredentials *c;
        size_t n_gids = 0;
        uid_t uid = (uid_t) -1;
        int r;

        if (sender && (c = hashmap_get(m->callers, sender))) {
                *ret = c;
                return 0;
        }
        r = sender_credentials(m, msg, &uid, &gids, &n_gids);
        if (r < 0)
                return r;
        c = calloc(1, sizeof *c);
        if (!c || !(c->name = strdup(sender))) {
                free(c);
                return -ENOMEM;
        }
        c->uid = uid;
        for (size_t i = 0; m->have_admin_gid && i < n_gids; i++)
                if (gids[i] == m->admin_gid)
                        c->in_admin_group = true;
        r = hashmap_put(m->callers, c->name, c);
        if (r < 0) {
                free(c->name);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int bus_check_admin(Manager *m, sd_bus_message *msg, bool root_only, sd_bus_error *error) {
        const CallerCredentials *c;
        uid_t uid;
        int r;

        r = caller_lookup(m, msg, &c);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Cannot determine the caller's credentials (%s); access denied.",
                                         strerror(-r));
        uid = c->uid;
        if (uid == 0)
                return 1;
        if (root_only)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s may only be called by root (caller uid %u).",
                                         sd_bus_message_get_member(msg), (unsigned) uid);
        if (c->in_admin_group)
                return 1;
        if (m->have_admin_gid)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s needs root or membership in group %s (caller uid %u).",
                                         sd_bus_message_get_member(msg), m->config->admin_group, (unsigned) uid);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "%s may only be called by root (caller uid %u).",
                                 sd_bus_message_get_member(msg), (unsigned) uid);
}

static bool bus_ready(Manager *m) {
        return m->bus && m->state != MANAGER_STARTING;
}

void bus_emit_agent_started(Agent *a) {
        Manager *m = a->manager;
        if (bus_ready(m))
                (void) sd_bus_emit_signal(m->bus, BUS_PATH, BUS_MANAGER_IFACE, "AgentStarted", "sou", a->name,
                                          a->object_path, (uint32_t) a->pid);
}

void bus_emit_agent_exited(Agent *a) {
        Manager *m = a->manager;
        if (bus_ready(m))
                (void) sd_bus_emit_signal(m->bus, BUS_PATH, BUS_MANAGER_IFACE, "AgentExited", "sosi", a->name,
                                          a->object_path, exit_reason_to_string(a->exit.reason),
                                          (int32_t) a->exit.status);
}

void bus_emit_agent_restarted(Agent *a) {
        Manager *m = a->manager;
        if (bus_ready(m) && a->sv)
                (void) sd_bus_emit_signal(m->bus, BUS_PATH, BUS_MANAGER_IFACE, "AgentRestarted", "sou", a->name,
                                          a->object_path, (uint32_t) sv_agent_restart_count(a->sv));
}

void bus_emit_health_changed(Agent *a) {
        Manager *m = a->manager;
        if (bus_ready(m))
                (void) sd_bus_emit_signal(m->bus, BUS_PATH, BUS_MANAGER_IFACE, "HealthChanged", "sos", a->name,
                                          a->object_path, agent_health_to_string(a->health));
}

void bus_emit_agent_added(Agent *a) {
        Manager *m = a->manager;
        if (bus_ready(m))
                (void) sd_bus_emit_interfaces_added(m->bus, a->object_path, BUS_AGENT_IFACE, NULL);
}

void bus_emit_agent_removed(Agent *a) {
        Manager *m = a->manager;
        if (bus_ready(m))
                (void) sd_bus_emit_interfaces_removed(m->bus, a->object_path, BUS_AGENT_IFACE, NULL);
}

void bus_emit_escalated(Supervisor *s) {
        Manager *m = s->manager;
        if (bus_ready(m))
                (void) sd_bus_emit_signal(m->bus, BUS_PATH, BUS_MANAGER_IFACE, "Escalated", "ss", s->config.name,
                                          sv_supervisor_escalation_reason(s->sv));
}

/* The bus queue. Logic marks what changed (agent_changed(),
 * bus_emit_supervisor_changed(), bus_emit_manager_changed()); a defer source
 * of high priority, enabled only while something is queued, sends one
 * PropertiesChanged per object with every property marked since the last,
 * before the event loop dispatches anything else. Signals (AgentStarted,
 * AgentExited...) go out at once, so in one iteration they come before the
 * PropertiesChanged that goes with them. The values are read when sent: a
 * State that went starting -> running within one iteration is sent once,
 * as running (systemd's bus queue does the same). */

/* Bit i of AgentProperty is names[i]; order as in the vtable. */
static const char *const agent_property_names[] = {
        "InvocationID",      "State",          "Health",           "StatusText",
        "StatusErrno",       "MainPID",        "ControlGroup",     "RestartCount",
        "StartedUSec",       "ExitReason",     "ExitStatus",       "ExitKilledBy",
        "ExitTimestampUSec", "ExitRuntimeUSec", "ExitCPUUsageNSec", "ExitMemoryPeak",
        "OOMKills",          "HealthCheckFailures", "UID",              "GID",
};
_Static_assert(_AGENT_PROP_ALL == (1U << ELEMENTSOF(agent_property_names)) - 1,
               "every AgentProperty bit has a name");

static void bus_queue_kick(Manager *m) {
        if (m->bus_queue_source && sd_event_source_set_enabled(m->bus_queue_source, SD_EVENT_ONESHOT) >= 0)
                return;
        /* Without the source, at once rather than never. */
        bus_queue_flush(m);
}

static void dirty_unlink(Agent *a) {
        Manager *m = a->manager;

        if (!a->in_dirty_queue)
                return;
        if (a->dirty_prev)
                a->dirty_prev->dirty_next = a->dirty_next;
        else
                m->dirty_agents = a->dirty_next;
        if (a->dirty_next)
                a->dirty_next->dirty_prev = a->dirty_prev;
        a->dirty_prev = a->dirty_next = NULL;
        a->in_dirty_queue = false;
}

void bus_agent_changed(Agent *a, unsigned props) {
        Manager *m = a->manager;

        if (!bus_ready(m) || props == 0)
                return;
        a->dirty |= props;
        if (a->in_dirty_queue)
                return;
        a->dirty_next = m->dirty_agents;
        if (m->dirty_agents)
                m->dirty_agents->dirty_prev = a;
        m->dirty_agents = a;
        a->in_dirty_queue = true;
        bus_queue_kick(m);
}

void bus_agent_forget(Agent *a) {
        dirty_unlink(a);
        a->dirty = 0;
}

void bus_emit_supervisor_changed(Supervisor *s) {
        Manager *m = s->manager;

        if (!bus_ready(m))
                return;
        s->dirty = m->supervisors_dirty = true;
        bus_queue_kick(m);
}

void bus_emit_manager_changed(Manager *m) {
        if (!bus_ready(m))
                return;
        m->dirty = true;
        bus_queue_kick(m);
}

static void agent_flush(Agent *a) {
        const char *names[ELEMENTSOF(agent_property_names) + 1];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(agent_property_names); i++)
                if (a->dirty & (1U << i))
                        names[n++] = agent_property_names[i];
        names[n] = NULL;
        a->dirty = 0;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(a->manager->bus, a->object_path, BUS_AGENT_IFACE,
                                                           (char **) names);
}

/* Agents first (oldest mark first does not matter: each object's signal
 * stands alone), then supervisors, then the manager, whose NAgents and
 * State sum up the others. */
void bus_queue_flush(Manager *m) {
        while (m->dirty_agents) {
                Agent *a = m->dirty_agents;
                dirty_unlink(a);
                if (bus_ready(m))
                        agent_flush(a);
                a->dirty = 0;
        }
        if (m->supervisors_dirty)
                for (size_t i = 0; i < m->n_supervisors; i++) {
                        Supervisor *s = m->supervisors[i];
                        if (s->dirty && bus_ready(m))
                                (void) sd_bus_emit_properties_changed(m->bus, s->object_path, BUS_SUPERVISOR_IFACE,
                                                                      "Escalated", "EscalationReason", "NAgents",
                                                                      "RestartTimesUSec", NULL);
                        s->dirty = false;
                }
        m->supervisors_dirty = false;
        if (m->dirty && bus_ready(m))
                (void) sd_bus_emit_properties_changed(m->bus, BUS_PATH, BUS_MANAGER_IFACE, "State", "NAgents",
                                                      "Escalated", NULL);
        m->dirty = false;
}

static int on_bus_queue(sd_event_source *s, void *userdata) {
        bus_queue_flush(userdata);
        return 0;
}

static int bus_queue_setup(Manager *m) {
        int r;

        r = sd_event_add_defer(m->event, &m->bus_queue_source, on_bus_queue, m);
        if (r < 0)
                return r;
        /* Before the next message or timer: a client that reads a
         * property after a signal sees the state the signal announced. */
        r = sd_event_source_set_priority(m->bus_queue_source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->bus_queue_source, SD_EVENT_OFF);
        if (r < 0)
                m->bus_queue_source = sd_event_source_disable_unref(m->bus_queue_source);
        return r;
}

/* The address sd_bus_open_system() and sd_bus_open_user() would use. */
static int bus_default_address(const char *which, char **ret) {
        const char *e;

        if (strcmp(which, "system") == 0) {
                e = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
                *ret = strdup(e ?: "unix:path=/run/dbus/system_bus_socket");
                return *ret ? 0 : -ENOMEM;
        }
        e = secure_getenv("DBUS_SESSION_BUS_ADDRESS");
        if (e) {
                *ret = strdup(e);
                return *ret ? 0 : -ENOMEM;
        }
        e = secure_getenv("XDG_RUNTIME_DIR");
        if (!e)
                return -ENOMEDIUM;
        /* Unescaped: a runtime directory is /run/user/UID. */
        if (strpbrk(e, ",;=%"))
                return -EINVAL;
        return asprintf(ret, "unix:path=%s/bus", e) < 0 ? -ENOMEM : 0;
}

static int bus_open(Manager *m) {
        _cleanup_free_ char *address = NULL;
        bool system = strcmp(m->bus_address, "system") == 0;
        int r;

        if (system || strcmp(m->bus_address, "user") == 0)
                r = bus_default_address(m->bus_address, &address);
        else
                r = (address = strdup(m->bus_address)) ? 0 : -ENOMEM;
        /* Not sd_bus_open_system(): it starts the connection at once, and fd
         * passing can only be declined before. A caller's fd would be closed
         * by the daemon when the message is freed, and its last close() may
         * block as long as the caller likes (a TCP socket lingering on a full
         * send buffer): the bus then refuses such calls itself. */
        if (r >= 0)
                r = sd_bus_new(&m->bus);
        if (r >= 0)
                r = sd_bus_set_address(m->bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(m->bus, true);
        if (r >= 0)
                r = sd_bus_negotiate_fds(m->bus, false);
        /* What sd_bus_open_system() sets: per-method access checks, and the
         * credentials they need. */
        if (r >= 0 && system)
                r = sd_bus_set_trusted(m->bus, false);
        if (r >= 0 && system)
                r = sd_bus_negotiate_creds(m->bus, true,
                                           SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_EFFECTIVE_CAPS);
        if (r >= 0)
                r = sd_bus_start(m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m", m->bus_address);
        return 0;
}

int bus_setup(Manager *m) {
        int r;

        r = bus_open(m);
        if (r < 0)
                return r;
        r = bus_manager_register_vtable(m);
        if (r >= 0)
                r = sd_bus_match_signal(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, m);
        if (r >= 0)
                r = bus_agent_register_vtables(m);
        if (r >= 0)
                r = bus_supervisor_register_vtables(m);
        if (r >= 0)
                r = sd_bus_add_object_manager(m->bus, NULL, BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register bus objects: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = bus_queue_setup(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the PropertiesChanged queue: %m");
        /* Taken last: once the name is visible, every object answers. */
        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s: %m", BUS_NAME);
        return 0;
}
