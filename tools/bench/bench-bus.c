/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The harness's calls to agentvisord's org.agentvisor1.Manager. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bus-names.h"

void bus_pump(BenchEnv *e) {
        for (unsigned i = 0; i < 100000; i++)
                if (sd_bus_process(e->bus, NULL) <= 0)
                        return;
}

static int append_string_prop(sd_bus_message *m, const char *key, const char *value) {
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "sv", key, "s", value);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_bool_prop(sd_bus_message *m, const char *key, bool value) {
        return sd_bus_message_append(m, "{sv}", key, "b", (int) value);
}

static int append_strv_prop(sd_bus_message *m, const char *key, const char *value) {
        return sd_bus_message_append(m, "{sv}", key, "as", 1, value);
}

int bus_run_agent(BenchEnv *e, const char *name, char * const *argv, const char *restart,
                  const char *supervisor, const RunSandbox *sandbox, sd_bus_error *error) {
        sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(e->bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "RunAgent");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) argv);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && restart)
                r = append_string_prop(m, "Restart", restart);
        if (r >= 0 && supervisor)
                r = append_string_prop(m, "Supervisor", supervisor);
        if (r >= 0 && sandbox && sandbox->preset)
                r = append_string_prop(m, "Sandbox", sandbox->preset);
        if (r >= 0 && sandbox && sandbox->private_network >= 0)
                r = append_bool_prop(m, "PrivateNetwork", sandbox->private_network > 0);
        if (r >= 0 && sandbox && sandbox->bind_path)
                r = append_strv_prop(m, "BindPaths", sandbox->bind_path);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_call(e->bus, m, 0, error, &reply);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

int bus_start_agent(BenchEnv *e, const char *type, const char *name, sd_bus_error *error) {
        sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(e->bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "StartAgent");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", type, name);
        /* The agent's tag (its name) goes after the type's Exec=. */
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "Arguments", "as", 1, name);
        if (r >= 0)
                r = sd_bus_call(e->bus, m, 0, error, &reply);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

int bus_name_call(BenchEnv *e, const char *method, const char *name, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(e->bus, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, method, error, &reply, "s", name);
        sd_bus_message_unref(reply);
        return r;
}

int bus_list_agents(BenchEnv *e, const char *state, const char *health, unsigned *ret_n,
                    unsigned *ret_matching, unsigned *ret_restarts) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name, *type, *st, *hl, *path;
        unsigned n = 0, matching = 0, restarts = 0;
        uint32_t pid, count;
        int r;

        r = sd_bus_call_method(e->bus, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "ListAgents", &error, &reply, NULL);
        if (r < 0) {
                fprintf(stderr, "agentvisor-bench: ListAgents: %s\n", error.message ? error.message : strerror(-r));
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssuuo)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssuuo)", &name, &type, &st, &hl, &pid, &count,
                                                  &path)) > 0) {
                n++;
                restarts += count;
                if ((!state || strcmp(st, state) == 0) && (!health || strcmp(hl, health) == 0))
                        matching++;
        }
        sd_bus_message_unref(reply);
        if (r < 0)
                return r;
        if (ret_n)
                *ret_n = n;
        if (ret_matching)
                *ret_matching = matching;
        if (ret_restarts)
                *ret_restarts = restarts;
        return 0;
}

int bus_get_agent_state(BenchEnv *e, const char *name, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode(BUS_AGENT_PREFIX, name, &path);
        if (r < 0)
                return r;
        return sd_bus_get_property_string(e->bus, BUS_NAME, path, BUS_AGENT_IFACE, "State", &error, ret);
}

void bus_watch_exits(BenchEnv *e, const char *name, bool exact) {
        /* Signals already queued belong to what came before. */
        bus_pump(e);
        e->watch = name;
        e->watch_exact = exact;
        e->n_watched = 0;
}

int bus_wait_exits(BenchEnv *e, unsigned long count, uint64_t deadline) {
        for (;;) {
                uint64_t now;

                bus_pump(e);
                if (e->n_watched >= count)
                        return 0;
                if (bench_interrupted)
                        return -EINTR;
                now = now_nsec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        return -ETIME;
                (void) sd_bus_wait(e->bus, MIN((deadline - now) / 1000, 100000ULL));
        }
}

static bool state_is_ended(const char *s) {
        return strcmp(s, "exited") == 0 || strcmp(s, "failed") == 0;
}

int bus_remove_agent(BenchEnv *e, const char *name, Table *t) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = 0;

        for (unsigned tries = 0; tries < 200; tries++) {
                _cleanup_free_ char *state = NULL;

                sd_bus_error_free(&error);
                r = bus_name_call(e, "RemoveAgent", name, &error);
                if (r >= 0 || sd_bus_error_has_name(&error, BUS_ERROR_NO_SUCH_AGENT))
                        return 0;
                /* NotStopped: its end may still be on the way; an agent that
                 * says it has ended must be removable. */
                if (!sd_bus_error_has_name(&error, BUS_ERROR_NOT_STOPPED))
                        break;
                if (bus_get_agent_state(e, name, &state) >= 0 && state_is_ended(state))
                        break;
                bus_pump(e);
                (void) sd_bus_wait(e->bus, 10000);
        }
        table_note_failure(t, "RemoveAgent(%s): %s", name, error.message ? error.message : strerror(-r));
        return r < 0 ? r : -EBUSY;
}

int bus_stop_remove_all(BenchEnv *e, const char *prefix, unsigned n, Table *t) {
        unsigned stopped = 0;
        uint64_t deadline;
        int ret = 0;

        bus_watch_exits(e, prefix, false);

        progress_begin(n, "stopping and removing agents '%s*'", prefix);
        for (unsigned i = 0; i < n && !bench_interrupted; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                char name[80];
                int r;

                progress_step(i / 2);
                snprintf(name, sizeof name, "%s%u", prefix, i);
                r = bus_name_call(e, "StopAgent", name, &error);
                if (r >= 0) {
                        stopped++;
                        continue;
                }
                if (sd_bus_error_has_name(&error, BUS_ERROR_NOT_RUNNING) ||
                    sd_bus_error_has_name(&error, BUS_ERROR_NO_SUCH_AGENT))
                        continue;
                table_note_failure(t, "StopAgent(%s): %s", name, error.message ? error.message : strerror(-r));
                ret = r;
        }
        /* Every stopped agent reports its end before it can be removed. */
        deadline = now_nsec(CLOCK_MONOTONIC) + (60 + n / 50) * NSEC_PER_SEC;
        if (bus_wait_exits(e, stopped, deadline) < 0)
                table_note_failure(t, "%lu of %u stopped agents '%s*' did not report AgentExited within the timeout",
                                   stopped - e->n_watched, stopped, prefix);
        bus_watch_exits(e, NULL, false);

        for (unsigned i = 0; i < n && !bench_interrupted; i++) {
                char name[80];
                int r;

                snprintf(name, sizeof name, "%s%u", prefix, i);
                r = bus_remove_agent(e, name, t);
                if (r < 0)
                        ret = r;
                progress_step(n / 2 + i / 2);
        }
        progress_end(n);
        return ret;
}
