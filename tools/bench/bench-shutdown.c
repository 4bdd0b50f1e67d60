/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last phase: a mass shutdown (issue 16). With shutdown_agents sleepers
 * running, SIGTERM to the daemon; timed until it has exited. Correct when
 * every agent reported AgentExited with reason `shutdown`, the daemon's
 * summary says the stop window held (never more stops in flight than its
 * limit), and, checked by env_stop_daemon() afterwards, the daemon exited 0
 * and left no cgroup. */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct StopSummary {
        unsigned long stopped, waited, slow;
        unsigned at_most, limit;
} StopSummary;

/* The daemon's last "stopped N agents, at most K at once (...=L), W waited
 * for a slot, S were slow to end" (stop-batch-agent.c). */
static int read_stop_summary(BenchEnv *e, StopSummary *ret) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        size_t size = 0;
        bool found = false;
        FILE *f;

        if (asprintf(&path, "%s/agentvisord.log", e->tmpdir) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0) {
                const char *p = strstr(line, "stopped ");
                StopSummary s;

                if (p && sscanf(p, "stopped %lu agents, at most %u at once (AGENTVISOR_STOP_BATCH=%u), %lu waited "
                                   "for a slot, %lu were slow to end",
                                &s.stopped, &s.at_most, &s.limit, &s.waited, &s.slow) == 5) {
                        *ret = s;
                        found = true;
                }
        }
        fclose(f);
        return found ? 0 : -ENOENT;
}

int bench_shutdown(const BenchOptions *o, BenchEnv *e, Table *t) {
        unsigned n = o->shutdown_agents, listed = 0, running = 0;
        struct pollfd p = { .fd = e->daemon_pidfd, .events = POLLIN };
        uint64_t t0, t1, deadline;
        StopSummary sum = {};
        char name[64], value[32], ratio[24], met[64];
        bool exited = false;
        int r;

        if (n == 0 || e->daemon_pid <= 0)
                return 0;
        r = bench_start_many(e, t, e->scale_type, "down-", 0, n);
        if (r < 0)
                return r;
        r = bus_list_agents(e, "running", NULL, &listed, &running, NULL);
        if (r >= 0 && running != n) {
                table_note_failure(t, "before the shutdown, %u of %u agents 'down-*' run", running, n);
                return -EPROTO;
        }

        bus_pump(e);
        e->n_shutdown = 0;
        progress_begin(n, "mass shutdown of %u agents", n);
        t0 = now_nsec(CLOCK_MONOTONIC);
        if (kill(e->daemon_pid, SIGTERM) < 0)
                return -errno;
        deadline = t0 + (60 + n / 50) * NSEC_PER_SEC;
        while (!exited && now_nsec(CLOCK_MONOTONIC) < deadline) {
                bus_pump(e);
                progress_step((unsigned) e->n_shutdown);
                exited = poll(&p, 1, 5) > 0;
        }
        t1 = now_nsec(CLOCK_MONOTONIC);
        /* AgentExited signals still queued at dbus-daemon's side. */
        for (unsigned i = 0; i < 500 && e->n_shutdown < n; i++) {
                bus_pump(e);
                (void) sd_bus_wait(e->bus, 10000);
        }
        progress_end((unsigned) e->n_shutdown);
        if (!exited) {
                table_note_failure(t, "agentvisord did not exit within %u s of SIGTERM with %u agents",
                                   60 + n / 50, n);
                return -ETIME;
        }

        snprintf(name, sizeof name, "mass shutdown, %u agents: SIGTERM to exit", n);
        snprintf(ratio, sizeof ratio, "%.1f us/agent", (double) (t1 - t0) / 1000.0 / n);
        table_add(t, name, format_ns(value, sizeof value, t1 - t0), NULL, ratio, NULL, NULL);
        if (e->n_shutdown != n)
                table_note_failure(t, "%lu of %u agents reported AgentExited with reason shutdown", e->n_shutdown, n);

        r = read_stop_summary(e, &sum);
        if (r < 0) {
                table_note_failure(t, "agentvisord's log has no stop window summary (%s)", strerror(-r));
                return -EPROTO;
        }
        snprintf(value, sizeof value, "%u of %u", sum.at_most, sum.limit);
        snprintf(met, sizeof met, "%s (%lu waited, %lu slow)", sum.at_most <= sum.limit ? "yes" : "NO", sum.waited,
                 sum.slow);
        table_add(t, "  stops in flight at most", value, NULL, NULL, "<= the window", met);
        if (sum.at_most > sum.limit)
                table_note_failure(t, "%u stops were in flight at once, above the window of %u", sum.at_most,
                                   sum.limit);
        if (sum.stopped < n)
                table_note_failure(t, "the daemon stopped %lu agents through its window, fewer than the %u running",
                                   sum.stopped, n);
        return e->n_shutdown == n && sum.at_most <= sum.limit && sum.stopped >= n ? 0 : -EPROTO;
}
