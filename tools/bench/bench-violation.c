/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cost of `report` (agentvisor-bench --violations-only): one agent
 * makes 100000 getppid() calls its policy refuses with EPERM, once without
 * `report` (the kernel answers) and once with it (the daemon answers every
 * one through the seccomp listener). One agent each, so one filter (two
 * with `report`) is loaded and freed per row. While the reporting agent
 * runs, ListAgents is timed: the bus must not notice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "bus-names.h"

#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC ((nsec_t) 1000000ULL)
#endif

#define LOOP_CALLS "100000"
#define LIST_CALLS_MAX 200U

static int write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -EIO;
}

static int write_policies(BenchEnv *e) {
        _cleanup_free_ char *dir = NULL, *plain = NULL, *report = NULL;
        int r;

        if (asprintf(&dir, "%s/policies", e->tmpdir) < 0 || asprintf(&plain, "%s/bench-deny.policy", dir) < 0 ||
            asprintf(&report, "%s/bench-deny-report.policy", dir) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        r = write_file(plain, "default allow\ndeny getppid errno EPERM\n");
        if (r >= 0)
                r = write_file(report, "default allow\ndeny getppid errno EPERM report\n");
        return r;
}

static int run_loop(BenchEnv *e, const char *policy, const char *tag, Samples *list, uint64_t *ret_ns) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "loop", (char *) tag, (char *) LOOP_CALLS, NULL };
        uint64_t deadline = now_nsec(CLOCK_MONOTONIC) + 60 * NSEC_PER_SEC;
        Record rec;
        int r;

        r = sd_bus_message_new_method_call(e->bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "RunAgent");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", tag);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "Policy", "s", policy);
        if (r >= 0)
                r = sd_bus_call(e->bus, m, 0, &error, &reply);
        if (r < 0) {
                fprintf(stderr, "agentvisor-bench: RunAgent %s: %s\n", tag, error.message ?: strerror(-r));
                return r;
        }
        /* ListAgents while it runs, a bounded number of times. */
        for (unsigned i = 0; list && i < LIST_CALLS_MAX; i++) {
                uint64_t t0 = now_nsec(CLOCK_MONOTONIC);
                unsigned n = 0;

                if (bus_list_agents(e, NULL, NULL, &n, NULL, NULL) < 0)
                        break;
                (void) samples_add(list, now_nsec(CLOCK_MONOTONIC) - t0);
        }
        r = env_next_record(e, &rec, deadline);
        if (r < 0)
                return r;
        if (strcmp(rec.tag, tag) != 0)
                return -EPROTO;
        *ret_ns = rec.ns;
        return 0;
}

int bench_violations(const BenchOptions *o, BenchEnv *e, Table *t) {
        Samples list = {};
        uint64_t plain = 0, report = 0;
        char a[32], b[32], ratio[32], p50[32], p99[32];
        int r;

        r = write_policies(e);
        if (r < 0) {
                table_note_failure(t, "cannot write the bench policies: %s", strerror(-r));
                return r;
        }
        r = env_start_daemon(e, o);
        if (r < 0) {
                table_note_failure(t, "cannot start the private bus and agentvisord: %s", strerror(-r));
                return r;
        }
        r = run_loop(e, "bench-deny", "deny-plain", NULL, &plain);
        if (r >= 0)
                r = run_loop(e, "bench-deny-report", "deny-report", &list, &report);
        if (r < 0)
                table_note_failure(t, "the violation loops did not report: %s", strerror(-r));
        else {
                table_add(t, "denied syscall, errno EPERM (mean)", format_ns(a, sizeof a, plain), NULL, NULL, NULL,
                          NULL);
                snprintf(ratio, sizeof ratio, "%.1fx", plain ? (double) report / (double) plain : 0.0);
                table_add(t, "denied syscall, errno EPERM report (mean)", format_ns(b, sizeof b, report), NULL,
                          ratio, NULL, NULL);
                table_add(t, "ListAgents while 1e5 violations are reported",
                          format_ns(p50, sizeof p50, samples_percentile(&list, 50)),
                          format_ns(p99, sizeof p99, samples_percentile(&list, 99)), NULL, "p99 < 10 ms",
                          samples_percentile(&list, 99) < 10 * NSEC_PER_MSEC ? "yes" : "NO");
        }
        samples_done(&list);
        (void) bus_remove_agent(e, "deny-plain", t);
        (void) bus_remove_agent(e, "deny-report", t);
        (void) env_stop_daemon(e, t);
        return r;
}
