/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cost of `report` (agentvisor-bench --violations-only): one agent
 * makes 100000 getppid() calls its policy refuses with EPERM, once without
 * `report` (the kernel answers) and once with it (the daemon answers every
 * one through the seccomp listener). One agent each, so one filter (two
 * with `report`) is loaded and freed per row. While the reporting agent
 * runs, ListAgents is timed: the bus must not notice. Then other agents'
 * starts, timed without and with one agent refused FLOOD_RATE times a
 * second under `report`: the daemon answering violations must not delay
 * them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "bus-names.h"

#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC ((nsec_t) 1000000ULL)
#endif

#define LOOP_CALLS "100000"
#define LIST_CALLS_MAX 200U
#define FLOOD_RATE "1000"

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

/* RunAgent of argv under `policy`, as agent `tag`. */
static int run_with_policy(BenchEnv *e, const char *tag, char **argv, const char *policy) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
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
        if (r < 0)
                fprintf(stderr, "agentvisor-bench: RunAgent %s: %s\n", tag, error.message ?: strerror(-r));
        return r;
}

static int run_loop(BenchEnv *e, const char *policy, const char *tag, Samples *list, uint64_t *ret_ns) {
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "loop", (char *) tag, (char *) LOOP_CALLS, NULL };
        uint64_t deadline = now_nsec(CLOCK_MONOTONIC) + 60 * NSEC_PER_SEC;
        Record rec;
        int r;

        r = run_with_policy(e, tag, argv, policy);
        if (r < 0)
                return r;
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

/* PolicyViolations of the running agent `name`. */
static int read_violations(BenchEnv *e, const char *name, uint64_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(e->bus, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "GetAgent", &error, &reply, "s",
                               name);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = sd_bus_get_property_trivial(e->bus, BUS_NAME, path, "org.agentvisor1.Agent",
                                                "PolicyViolations", &error, 't', ret);
        return r;
}

/* Agent starts, quiet and then beside one agent refused FLOOD_RATE times a
 * second under `report`; the flooding agent is stopped afterwards. */
static int starts_beside_flood(const BenchOptions *o, BenchEnv *e, Table *t) {
        char *argv[] = { e->agent_path, (char *) "-", (char *) "flood", (char *) "flood", (char *) FLOOD_RATE,
                         NULL };
        unsigned n = o->short_mode ? 20 : 100;
        Samples quiet = {}, busy = {};
        uint64_t v0 = 0, v1 = 0, t0, t1;
        char a[32], b[32], ratio[32], rate[64];
        int r;

        r = bench_measure_starts(o, e, t, "vquiet-", n, NULL, &quiet);
        if (r >= 0)
                r = run_with_policy(e, "flood", argv, "bench-deny-report");
        if (r < 0) {
                table_note_failure(t, "the flood row: %s", strerror(-r));
                goto finish;
        }
        (void) usleep(200 * 1000);
        t0 = now_nsec(CLOCK_MONOTONIC);
        r = read_violations(e, "flood", &v0);
        if (r >= 0)
                r = bench_measure_starts(o, e, t, "vbusy-", n, NULL, &busy);
        t1 = now_nsec(CLOCK_MONOTONIC);
        if (r >= 0)
                r = read_violations(e, "flood", &v1);
        if (r < 0 || v1 <= v0) {
                table_note_failure(t, "the flooding agent's violations were not counted (%" PRIu64 " -> %" PRIu64 ")",
                                   v0, v1);
                r = r < 0 ? r : -EPROTO;
        } else {
                snprintf(rate, sizeof rate, "agent start beside %.0f violations/s",
                         (double) (v1 - v0) * 1e9 / (double) (t1 - t0));
                table_add(t, "agent start beside no violations", format_ns(a, sizeof a,
                          samples_percentile(&quiet, 50)), NULL, NULL, NULL, NULL);
                snprintf(ratio, sizeof ratio, "%.2fx", (double) samples_percentile(&busy, 50) /
                         (double) MAX(samples_percentile(&quiet, 50), 1));
                table_add(t, rate, format_ns(b, sizeof b, samples_percentile(&busy, 50)), NULL, ratio, NULL,
                          NULL);
        }
        (void) bus_name_call(e, "StopAgent", "flood", NULL);
finish:
        (void) bus_remove_agent(e, "flood", t);
        samples_done(&quiet);
        samples_done(&busy);
        return r;
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
        if (r >= 0)
                r = starts_beside_flood(o, e, t);
        (void) bus_remove_agent(e, "deny-plain", t);
        (void) bus_remove_agent(e, "deny-report", t);
        (void) env_stop_daemon(e, t);
        return r;
}
