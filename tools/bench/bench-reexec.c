/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live-upgrade row (issue 15): N sleeping agents, then Reexecute; the
 * time from the call until the new image owns org.agentvisor1 again (the
 * SPEC's bound is 2 s), whether every agent is still the same running
 * process (restart counts unchanged), and the daemon's RSS before and
 * after. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bus-names.h"

static int name_owner(BenchEnv *e, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *owner;
        int r;

        r = sd_bus_call_method(e->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &error, &reply, "s", BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &owner);
        if (r >= 0)
                *ret = strdup(owner) ?: NULL;
        sd_bus_message_unref(reply);
        return r < 0 ? r : (*ret ? 0 : -ENOMEM);
}

/* Every agent prefix0..n-1 running, and the restarts they have made. */
static int wait_running(BenchEnv *e, unsigned n, unsigned *ret_restarts) {
        unsigned listed = 0, running = 0;
        int r = 0;

        for (unsigned i = 0; i < 600 && !bench_interrupted; i++) {
                r = bus_list_agents(e, "running", NULL, &listed, &running, ret_restarts);
                if (r < 0 || running == n)
                        break;
                usleep(50000);
        }
        return r < 0 ? r : running == n ? 0 : -ETIME;
}

static int start_sleepers(BenchEnv *e, Table *t, unsigned n) {
        for (unsigned i = 0; i < n && !bench_interrupted; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                char name[64];
                int r;

                snprintf(name, sizeof name, "reexec-%u", i);
                r = bus_start_agent(e, "bench-sleep", name, &error);
                if (r < 0) {
                        table_note_failure(t, "StartAgent(bench-sleep, %s): %s", name,
                                           error.message ? error.message : strerror(-r));
                        return r;
                }
                bus_pump(e);
                env_drain_records(e);
        }
        return 0;
}

/* Polls GetNameOwner until another unique name owns the bus name. */
static int wait_new_owner(BenchEnv *e, const char *old, uint64_t deadline) {
        while (now_nsec(CLOCK_MONOTONIC) < deadline && !bench_interrupted) {
                _cleanup_free_ char *owner = NULL;

                if (name_owner(e, &owner) >= 0 && strcmp(owner, old) != 0)
                        return 0;
                usleep(1000);
        }
        return -ETIME;
}

int bench_reexec(const BenchOptions *o, BenchEnv *e, Table *t) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *owner = NULL;
        unsigned n = o->reexec_agents, restarts0 = 0, restarts1 = 0;
        uint64_t rss0 = 0, rss1 = 0, t0, t1 = 0;
        char name[80], value[32], met[160];
        int r;

        r = start_sleepers(e, t, n);
        if (r >= 0 && (r = wait_running(e, n, &restarts0)) < 0)
                table_note_failure(t, "%u agents 'reexec-*' did not all reach running", n);
        if (r >= 0)
                r = name_owner(e, &owner);
        if (r < 0)
                goto finish;
        (void) daemon_rss_bytes(e->daemon_pid, &rss0);

        t0 = now_nsec(CLOCK_MONOTONIC);
        r = sd_bus_call_method(e->bus, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "Reexecute", &error, NULL, NULL);
        if (r < 0) {
                table_note_failure(t, "Reexecute: %s", error.message ? error.message : strerror(-r));
                goto finish;
        }
        r = wait_new_owner(e, owner, t0 + 10 * NSEC_PER_SEC);
        t1 = now_nsec(CLOCK_MONOTONIC);
        if (r < 0) {
                table_note_failure(t, "after Reexecute, %s was not owned again within 10 s", BUS_NAME);
                goto finish;
        }
        r = wait_running(e, n, &restarts1);
        if (r < 0 || restarts1 != restarts0) {
                table_note_failure(t, "after Reexecute: %s (restarts %u -> %u)",
                                   r < 0 ? "not every agent runs" : "agents were restarted", restarts0, restarts1);
                r = -EPROTO;
        }
        (void) daemon_rss_bytes(e->daemon_pid, &rss1);

        snprintf(name, sizeof name, "Reexecute to name owned again, %u agents", n);
        snprintf(met, sizeof met, "%s", t1 - t0 < 2 * NSEC_PER_SEC && r >= 0 ? "yes" : "NO");
        table_add(t, name, format_ns(value, sizeof value, t1 - t0), NULL, NULL, "< 2 s, none restarted", met);
        snprintf(name, sizeof name, "daemon RSS before Reexecute, %u agents", n);
        snprintf(value, sizeof value, "%.1f MiB", (double) rss0 / 1048576.0);
        table_add(t, name, value, NULL, NULL, NULL, NULL);
        snprintf(name, sizeof name, "daemon RSS after Reexecute, %u agents", n);
        snprintf(value, sizeof value, "%.1f MiB", (double) rss1 / 1048576.0);
        table_add(t, name, value, NULL, NULL, NULL, NULL);

finish:
        if (bus_stop_remove_all(e, "reexec-", n, t) < 0 && r >= 0)
                r = -EPROTO;
        env_drain_records(e);
        return r;
}
