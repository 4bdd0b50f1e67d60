/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rows measured through agentvisord: agent start, restart latency,
 * start cost and memory with K agents supervised, ListAgents and a property
 * read, idle CPU with and without watchdogs and health checks, and agent
 * start and restart under the Sandbox= presets (issue 13). Besides
 * the figures, each phase checks that every start was seen and every agent
 * is gone afterwards; those checks, not the figures, decide the exit
 * status. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bus-names.h"

#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC ((nsec_t) 1000000ULL)
#endif

typedef struct DaemonFigures {
        uint64_t start_p50;
        uint64_t rss_fresh;
} DaemonFigures;

static const char *yes_no(bool b) {
        return b ? "yes" : "NO";
}

static char *format_bytes(char *buf, size_t size, double bytes) {
        if (bytes >= 1024.0 * 1024.0)
                snprintf(buf, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
        else if (bytes >= 10240.0)
                snprintf(buf, size, "%.1f KiB", bytes / 1024.0);
        else
                snprintf(buf, size, "%.0f B", bytes);
        return buf;
}

static void add_ns_row(Table *t, const char *name, Samples *s, const char *ratio, const char *target,
                       const char *met) {
        char p50[32], p99[32];

        table_add(t, name, format_ns(p50, sizeof p50, samples_percentile(s, 50)),
                  format_ns(p99, sizeof p99, samples_percentile(s, 99)), ratio, target, met);
}

static int wait_start_record(BenchEnv *e, const char *tag, uint64_t *ret_ns) {
        uint64_t deadline = now_nsec(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC;
        Record rec;
        int r;

        do {
                r = env_next_record(e, &rec, deadline);
                if (r < 0)
                        return r;
        } while (rec.kind != 'S' || strcmp(rec.tag, tag) != 0);
        *ret_ns = rec.ns;
        return 0;
}

/* RunAgent of an agent that exits at once: call to exec'd into s, then its
 * end and RemoveAgent outside the timing. */
static int measure_one_start(BenchEnv *e, Table *t, const char *name, const RunSandbox *sb, Samples *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "exit", (char *) name, NULL };
        uint64_t t0, started;
        int r;

        bus_watch_exits(e, name, true);
        t0 = now_nsec(CLOCK_MONOTONIC);
        r = bus_run_agent(e, name, argv, NULL, NULL, sb, &error);
        if (r < 0) {
                table_note_failure(t, "RunAgent(%s): %s", name, error.message ? error.message : strerror(-r));
                return r;
        }
        r = wait_start_record(e, name, &started);
        if (r < 0) {
                table_note_failure(t, "agent %s was started but never recorded its exec: %s", name, strerror(-r));
                return r;
        }
        r = samples_add(s, started - t0);
        if (r < 0)
                return r;
        r = bus_wait_exits(e, 1, now_nsec(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC);
        bus_watch_exits(e, NULL, false);
        if (r < 0) {
                table_note_failure(t, "agent %s exited but no AgentExited came within 10 s", name);
                return r;
        }
        return bus_remove_agent(e, name, t);
}

static int check_abnormal(BenchEnv *e, Table *t, unsigned long before, const char *what) {
        if (e->n_abnormal == before)
                return 0;
        table_note_failure(t, "%lu agents of %s ended abnormally, last %s", e->n_abnormal - before, what,
                           e->last_abnormal);
        return -EPROTO;
}

/* measure_one_start() `count` times, agents PREFIX0.., with `pause_usec` of
 * nothing after each. */
static int measure_starts(const BenchOptions *o, BenchEnv *e, Table *t, const char *prefix, unsigned count,
                          const RunSandbox *sb, uint64_t pause_usec, Samples *s) {
        unsigned long abnormal = e->n_abnormal;
        int r;

        progress_begin(count, "agent starts '%s*'", prefix);
        for (unsigned i = 0; i < count && !bench_interrupted; i++) {
                char name[64];

                snprintf(name, sizeof name, "%s%u", prefix, i);
                r = measure_one_start(e, t, name, sb, s);
                if (r < 0)
                        return r;
                if (pause_usec > 0)
                        (void) usleep((useconds_t) pause_usec);
                progress_step(i + 1);
        }
        progress_end((unsigned) s->n);
        r = check_abnormal(e, t, abnormal, prefix);
        if (r < 0)
                return r;
        return bench_interrupted ? -EINTR : 0;
}

/* The same starts, each after 100 ms of quiet: what a user who starts an
 * agent now and then sees. Back to back, the kernel's state stays warm
 * (on a hybrid host a v1 cgroup move through cgroup.procs waited for an
 * RCU grace period only when none had come for a while). */
#define SPACED_PAUSE_USEC (100 * 1000)

static int phase_start_spaced(const BenchOptions *o, BenchEnv *e, Table *t, const DaemonFigures *fig) {
        Samples s = {};
        char ratio[24] = "-";
        int r;

        r = measure_starts(o, e, t, "spaced-", MIN(o->starts, o->short_mode ? 20U : 50U), NULL, SPACED_PAUSE_USEC,
                           &s);
        if (r >= 0) {
                if (fig->start_p50)
                        snprintf(ratio, sizeof ratio, "%.2f",
                                 (double) samples_percentile(&s, 50) / (double) fig->start_p50);
                add_ns_row(t, "agent start, 100 ms apart", &s, ratio, NULL, NULL);
        }
        samples_done(&s);
        return r;
}

static int phase_start(const BenchOptions *o, BenchEnv *e, Table *t, const FloorResult *floor,
                       DaemonFigures *fig) {
        Samples s = {};
        char ratio[24] = "-", target[40], met[16] = "-";
        int r;

        r = measure_starts(o, e, t, "start-", o->starts, NULL, 0, &s);
        if (r >= 0) {
                double x = floor->spawn_p50 ? (double) samples_percentile(&s, 50) / (double) floor->spawn_p50 : 0;

                fig->start_p50 = samples_percentile(&s, 50);
                plot_keep_scale_point(1, fig->start_p50, floor->to_exec_p50);
                if (floor->spawn_p50) {
                        snprintf(ratio, sizeof ratio, "%.2f", x);
                        snprintf(met, sizeof met, "%s", yes_no(x <= 1.25));
                }
                snprintf(target, sizeof target, "<= 1.25x floor");
                add_ns_row(t, "agent start: RunAgent until exec'd", &s, ratio, target, met);
                if (floor->to_exec_p50) {
                        snprintf(ratio, sizeof ratio, "%.2f", (double) fig->start_p50 / (double) floor->to_exec_p50);
                        table_add(t, "  same, vs floor until exec'd", NULL, NULL, ratio, NULL, NULL);
                }
                if (floor->bwrap_p50) {
                        x = (double) floor->bwrap_p50 / (double) fig->start_p50;
                        snprintf(ratio, sizeof ratio, "%.2f", x);
                        table_add(t, "  bwrap p50 / agent start p50", NULL, NULL, ratio, ">= 3x", yes_no(x >= 3.0));
                }
        }
        samples_done(&s);
        if (r >= 0)
                r = phase_start_spaced(o, e, t, fig);
        return r;
}

static int wait_agent_ended(BenchEnv *e, const char *name, Table *t) {
        for (unsigned i = 0; i < 1000 && !bench_interrupted; i++) {
                _cleanup_free_ char *state = NULL;

                if (bus_get_agent_state(e, name, &state) >= 0 &&
                    (strcmp(state, "exited") == 0 || strcmp(state, "failed") == 0))
                        return 0;
                bus_pump(e);
                (void) sd_bus_wait(e->bus, 10000);
        }
        table_note_failure(t, "agent %s did not end within 10 s of StopAgent", name);
        return -ETIME;
}

/* A permanent agent that crashes at once under a one-for-one supervisor
 * with no backoff, until `count` restarts are seen: the crash record to the
 * replacement's start record. Then stopped and removed. */
static int crash_loop(const BenchOptions *o, BenchEnv *e, Table *t, unsigned count, const RunSandbox *sb,
                      Samples *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "crash", (char *) "crash", NULL };
        uint64_t deadline = now_nsec(CLOCK_MONOTONIC) + (60 + count / 50) * NSEC_PER_SEC, crash_ns = 0;
        bool crashed = false;
        int r;

        r = bus_run_agent(e, "crash", argv, "permanent", "crashers", sb, &error);
        if (r < 0) {
                table_note_failure(t, "RunAgent(crash, Restart=permanent, Supervisor=crashers): %s",
                                   error.message ? error.message : strerror(-r));
                return r;
        }
        progress_begin(count, "restarts");
        while (s->n < count) {
                Record rec;

                progress_step((unsigned) s->n);
                r = env_next_record(e, &rec, deadline);
                if (r < 0) {
                        table_note_failure(t, "restart loop: %zu restarts of %u seen before %s", s->n, count,
                                           r == -ETIME ? "the timeout" : strerror(-r));
                        break;
                }
                if (strcmp(rec.tag, "crash") != 0)
                        continue;
                if (rec.kind == 'C') {
                        crash_ns = rec.ns;
                        crashed = true;
                } else {
                        if (crashed && samples_add(s, rec.ns - crash_ns) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        crashed = false;
                }
        }

        progress_end((unsigned) s->n);
        /* It may be between a crash and its restart: NotRunning is retried. */
        for (unsigned i = 0; i < 100; i++) {
                sd_bus_error_free(&error);
                if (bus_name_call(e, "StopAgent", "crash", &error) >= 0 ||
                    !sd_bus_error_has_name(&error, BUS_ERROR_NOT_RUNNING))
                        break;
                usleep(1000);
        }
        if (sd_bus_error_is_set(&error) && !sd_bus_error_has_name(&error, BUS_ERROR_NOT_RUNNING))
                table_note_failure(t, "StopAgent(crash): %s", error.message);
        if (wait_agent_ended(e, "crash", t) < 0 || bus_remove_agent(e, "crash", t) < 0)
                r = r < 0 ? r : -EPROTO;
        env_drain_records(e);
        return r;
}

static int phase_restart(const BenchOptions *o, BenchEnv *e, Table *t) {
        const char *own_row = "  daemon's own: agent exit -> its clone";
        Samples s = {}, traced = {}, own = {};
        pid_t perf = 0;
        int r;

        r = crash_loop(o, e, t, o->restarts, NULL, &s);
        if (r < 0)
                goto finish;
        add_ns_row(t, "restart: crash until replacement exec'd", &s, NULL, NULL, NULL);

        /* A second, shorter loop under perf, so tracing cannot colour the
         * figure above. */
        r = perf_start(e, &perf);
        if (r < 0) {
                table_add(t, own_row, NULL, NULL, NULL, "p50 < 1 ms",
                          r == -ENOENT ? "skipped: no perf" : "skipped: perf cannot trace");
                r = 0;
                goto finish;
        }
        r = crash_loop(o, e, t, MIN(o->restarts, 300U), NULL, &traced);
        if (perf_stop(e, perf, e->daemon_pid, &own) < 0 || own.n == 0)
                table_add(t, own_row, NULL, NULL, NULL, "p50 < 1 ms", "skipped: no perf events");
        else
                add_ns_row(t, own_row, &own, NULL, "p50 < 1 ms", yes_no(samples_percentile(&own, 50) < 1000000));
finish:
        samples_done(&s);
        samples_done(&traced);
        samples_done(&own);
        return r;
}

int bench_start_many(BenchEnv *e, Table *t, const char *type, const char *prefix, unsigned first, unsigned n) {
        uint64_t deadline;
        unsigned seen = 0;
        Record rec;

        progress_begin(n, "starting agents '%s%u..%u'", prefix, first, first + n - 1);
        for (unsigned i = 0; i < n && !bench_interrupted; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                char name[64];
                int r;

                progress_step(seen);
                snprintf(name, sizeof name, "%s%u", prefix, first + i);
                r = bus_start_agent(e, type, name, &error);
                if (r < 0) {
                        table_note_failure(t, "StartAgent(%s, %s): %s", type, name,
                                           error.message ? error.message : strerror(-r));
                        return r;
                }
                /* Take the records as they come so none waits on a full FIFO. */
                while (env_next_record(e, &rec, 0) >= 0)
                        if (rec.kind == 'S' && strncmp(rec.tag, prefix, strlen(prefix)) == 0)
                                seen++;
        }
        deadline = now_nsec(CLOCK_MONOTONIC) + (30 + n / 20) * NSEC_PER_SEC;
        while (seen < n) {
                int r = env_next_record(e, &rec, deadline);

                progress_step(seen);
                if (r < 0) {
                        table_note_failure(t, "%u of %u agents '%s*' recorded their start (%s)", seen, n, prefix,
                                           r == -ETIME ? "timeout" : strerror(-r));
                        return r;
                }
                if (rec.kind == 'S' && strncmp(rec.tag, prefix, strlen(prefix)) == 0)
                        seen++;
        }
        progress_end(seen);
        return 0;
}

/* Every agent gone: none listed, no agent cgroup left behind. */
static int check_all_gone(BenchEnv *e, Table *t, const char *after) {
        unsigned n = 0, groups = 0;
        int r;

        r = bus_list_agents(e, NULL, NULL, &n, NULL, NULL);
        if (r >= 0 && n != 0)
                table_note_failure(t, "after %s, ListAgents still lists %u agents", after, n);
        r = env_count_agent_cgroups(e, &groups);
        if (r >= 0 && groups != 0)
                table_note_failure(t, "after %s, %u agent cgroups are left beneath %s/%s", after, groups, e->v2_base,
                                   e->control_group);
        return n == 0 && groups == 0 ? 0 : -EBUSY;
}

/* --plot: the start p50 at K/4, K/2 and 3K/4 agents on the way to K, for the
 * p50-against-agents chart (fewer starts at each: a quarter of the row's).
 * *ret_started: the sleepers running now. */
static int scale_levels(const BenchOptions *o, BenchEnv *e, Table *t, unsigned *ret_started) {
        unsigned started = 0;
        int r = 0;

        *ret_started = 0;
        if (!o->plot_dir || o->scale_agents < 4)
                return 0;
        for (unsigned q = 1; q <= 3 && r >= 0 && !bench_interrupted; q++) {
                unsigned level = o->scale_agents * q / 4;
                char prefix[32];
                Samples s = {};

                r = bench_start_many(e, t, e->scale_type, "sleep-", started, level - started);
                if (r < 0)
                        break;
                started = level;
                *ret_started = started;
                snprintf(prefix, sizeof prefix, "lvl%u-", q);
                r = measure_starts(o, e, t, prefix, MAX(o->scale_starts / 4, 20U), NULL, 0, &s);
                if (r >= 0)
                        plot_keep_scale_point(level, samples_percentile(&s, 50), 0);
                samples_done(&s);
        }
        return r;
}

static int phase_scale(const BenchOptions *o, BenchEnv *e, Table *t, const FloorResult *floor,
                       DaemonFigures *fig) {
        unsigned k = o->scale_agents, n = 0, running = 0, fd0 = 0, fdk = 0, started = 0;
        uint64_t rss0 = 0, rssk = 0, floor_k = 0;
        KernelMemory kmem0 = {}, kmemk = {};
        bool kmem = kmem_read_settled(&kmem0) >= 0;
        Samples starts = {}, lists = {}, props = {};
        char name[64], p50[32], ratio[24], target[40];
        int r;

        if (daemon_rss_bytes(e->daemon_pid, &rss0) < 0 || daemon_fd_count(e->daemon_pid, &fd0) < 0) {
                table_note_failure(t, "cannot read /proc/%d", (int) e->daemon_pid);
                return -EIO;
        }

        if (e->scale_type_note[0]) {
                fprintf(stderr, "agentvisor-bench: %s\n", e->scale_type_note);
                snprintf(name, sizeof name, "scale agents are %s (fd limit)", e->scale_type);
                table_add(t, name, NULL, NULL, NULL, NULL, NULL);
        }
        r = scale_levels(o, e, t, &started);
        if (r >= 0)
                r = bench_start_many(e, t, e->scale_type, "sleep-", started, k - started);
        if (r < 0)
                goto finish;
        r = bus_list_agents(e, "running", NULL, &n, &running, NULL);
        if (r >= 0 && (n != k || running != k)) {
                table_note_failure(t, "with %u sleeping agents started, ListAgents shows %u, %u running", k, n,
                                   running);
                r = -EPROTO;
        }
        if (r < 0)
                goto finish;
        (void) daemon_rss_bytes(e->daemon_pid, &rssk);
        (void) daemon_fd_count(e->daemon_pid, &fdk);
        kmem = kmem && kmem_read(&kmemk) >= 0;
        r = kmem_agentctl_list(o, e, t, k);
        if (r < 0)
                goto finish;

        r = measure_starts(o, e, t, "kstart-", o->scale_starts, NULL, 0, &starts);
        if (r < 0)
                goto finish;
        /* K sleeping processes in K cgroups slow the kernel's own spawn too:
         * the floor again, under the same load. */
        snprintf(name, sizeof name, "floor until exec'd, %u agents running", k);
        r = bench_floor_again(o, e, t, name, &floor_k);
        if (r < 0)
                goto finish;

        for (unsigned i = 0; i < o->list_calls && r >= 0; i++) {
                uint64_t t0 = now_nsec(CLOCK_MONOTONIC);

                r = bus_list_agents(e, NULL, NULL, &n, NULL, NULL);
                if (r >= 0)
                        r = samples_add(&lists, now_nsec(CLOCK_MONOTONIC) - t0);
                if (r >= 0 && n != k) {
                        table_note_failure(t, "ListAgents listed %u agents, expected %u", n, k);
                        r = -EPROTO;
                }
        }
        for (unsigned i = 0; i < o->property_reads && r >= 0; i++) {
                _cleanup_free_ char *state = NULL;
                uint64_t t0 = now_nsec(CLOCK_MONOTONIC);

                r = bus_get_agent_state(e, "sleep-0", &state);
                if (r >= 0)
                        r = samples_add(&props, now_nsec(CLOCK_MONOTONIC) - t0);
                if (r >= 0 && strcmp(state, "running") != 0) {
                        table_note_failure(t, "sleep-0 has State=%s, expected running", state);
                        r = -EPROTO;
                }
        }
        if (r < 0)
                goto finish;

        plot_keep_scale_point(k, samples_percentile(&starts, 50), floor_k);
        snprintf(name, sizeof name, "start p50, 1 agent supervised");
        table_add(t, name, format_ns(p50, sizeof p50, fig->start_p50), NULL, NULL, NULL, NULL);
        snprintf(name, sizeof name, "start p50, %u agents supervised", k);
        snprintf(ratio, sizeof ratio, "%.2f",
                 fig->start_p50 ? (double) samples_percentile(&starts, 50) / (double) fig->start_p50 : 0.0);
        add_ns_row(t, name, &starts, ratio, "<= 1.1x the 1-agent p50",
                   yes_no(fig->start_p50 && samples_percentile(&starts, 50) <= fig->start_p50 * 11 / 10));
        if (fig->start_p50 && floor->to_exec_p50 && floor_k) {
                /* (start_K / floor_K) / (start_1 / floor_1): what the daemon adds
                 * with K agents, the kernel's own slowdown divided out. */
                double daemon_share = ((double) samples_percentile(&starts, 50) / (double) floor_k) /
                                      ((double) fig->start_p50 / (double) floor->to_exec_p50);
                snprintf(ratio, sizeof ratio, "%.2f", daemon_share);
                snprintf(name, sizeof name, "  same, each over its floor (daemon's share)");
                table_add(t, name, NULL, NULL, ratio, "<= 1.1x", yes_no(daemon_share <= 1.1));
        }

        table_add(t, "daemon RSS, fresh (0 agents)", format_bytes(p50, sizeof p50, (double) fig->rss_fresh), NULL,
                  NULL, NULL, NULL);
        table_add(t, "daemon RSS, 0 agents (after the runs above)", format_bytes(p50, sizeof p50, (double) rss0),
                  NULL, NULL, NULL, NULL);
        snprintf(name, sizeof name, "daemon RSS, %u agents", k);
        table_add(t, name, format_bytes(p50, sizeof p50, (double) rssk), NULL, NULL, NULL, NULL);
        {
                double per = ((double) rssk - (double) rss0) / (double) k;

                table_add(t, "daemon RSS per agent", format_bytes(p50, sizeof p50, per), NULL, NULL,
                          "< 4 KiB + base", yes_no(per < 4096.0));
        }
        if (kmem)
                kmem_report(t, "agents, no sandbox", &kmem0, &kmemk, k);
        snprintf(ratio, sizeof ratio, "%.2f", ((double) fdk - (double) fd0) / (double) k);
        snprintf(target, sizeof target, "%u -> %u fds", fd0, fdk);
        table_add(t, "daemon open fds per agent", ratio, NULL, NULL, target, NULL);

        snprintf(name, sizeof name, "ListAgents, %u agents", k);
        add_ns_row(t, name, &lists, NULL, "< 50 ms (at 10,000)", yes_no(samples_percentile(&lists, 50) < 50000000));
        add_ns_row(t, "property read (Agent.State)", &props, NULL, "< 200 us",
                   yes_no(samples_percentile(&props, 50) < 200000));

finish:
        samples_done(&starts);
        samples_done(&lists);
        samples_done(&props);
        return bench_end_phase(e, t, "sleep-", k, "the scale phase", r);
}

/* I agents of `type` idle for idle_sec: the daemon's utime+stime over it. */
/* target: whether issue 8's "< 0.5%" applies to the row; the health-check
 * row (issue 6) is a figure to compare, with no target. */
static int idle_run(const BenchOptions *o, BenchEnv *e, Table *t, const char *type, const char *prefix,
                    bool notify, bool target, const char *row) {
        unsigned n = o->idle_agents, listed = 0, matching = 0, restarts = 0;
        uint64_t cpu0, cpu1, t0, t1, settle;
        unsigned long exited;
        long tck = sysconf(_SC_CLK_TCK);
        char value[32];
        int r;

        r = bench_start_many(e, t, type, prefix, 0, n);
        if (r < 0)
                goto finish;

        /* Notify agents count once READY=1 has made them running. */
        for (unsigned i = 0; i < 600 && !bench_interrupted; i++) {
                r = bus_list_agents(e, "running", NULL, &listed, &matching, NULL);
                if (r < 0 || matching == n)
                        break;
                usleep(100000);
        }
        if (r >= 0 && matching != n) {
                table_note_failure(t, "%u of %u agents '%s*' reached running (%s)", matching, n, prefix,
                                   notify ? "READY=1 not taken?" : "start failed?");
                r = -EPROTO;
        }
        if (r < 0)
                goto finish;

        /* Let the start's work drain before measuring. */
        settle = now_nsec(CLOCK_MONOTONIC) + 2 * NSEC_PER_SEC;
        bus_watch_exits(e, NULL, false);
        (void) bus_wait_exits(e, 1, settle);
        exited = e->n_exited;

        if (daemon_cpu_ticks(e->daemon_pid, &cpu0) < 0) {
                r = -EIO;
                goto finish;
        }
        t0 = now_nsec(CLOCK_MONOTONIC);
        progress_begin(0, "idle CPU of %u agents '%s*' over %u s", n, prefix, o->idle_sec);
        (void) bus_wait_exits(e, 1, t0 + (uint64_t) o->idle_sec * NSEC_PER_SEC);
        progress_end(0);
        t1 = now_nsec(CLOCK_MONOTONIC);
        if (daemon_cpu_ticks(e->daemon_pid, &cpu1) < 0) {
                r = -EIO;
                goto finish;
        }
        if (bench_interrupted) {
                r = -EINTR;
                goto finish;
        }
        if (e->n_exited != exited) {
                table_note_failure(t, "%lu idle agents '%s*' ended while idle, last %s", e->n_exited - exited, prefix,
                                   e->last_abnormal);
                r = -EPROTO;
        }
        r = bus_list_agents(e, "running", notify ? "unhealthy" : NULL, &listed, &matching, &restarts);
        if (r >= 0 && notify && matching > 0) {
                table_note_failure(t, "%u watched agents are unhealthy after the idle phase", matching);
                r = -EPROTO;
        }

        {
                double pct = (double) (cpu1 - cpu0) / (double) tck / ((double) (t1 - t0) / 1e9) * 100.0;

                snprintf(value, sizeof value, "%.3f%%", pct);
                if (target)
                        table_add(t, row, value, NULL, NULL, "< 0.5%", yes_no(pct < 0.5));
                else
                        table_add(t, row, value, NULL, NULL, NULL, NULL);
        }

finish:
        if (bus_stop_remove_all(e, prefix, n, t) < 0 && r >= 0)
                r = -EPROTO;
        env_drain_records(e);
        if (check_all_gone(e, t, "an idle phase") < 0 && r >= 0)
                r = -EPROTO;
        return r;
}

static int phase_idle(const BenchOptions *o, BenchEnv *e, Table *t) {
        char row[64];
        int r;

        snprintf(row, sizeof row, "idle CPU, %u agents, %us, plain", o->idle_agents, o->idle_sec);
        r = idle_run(o, e, t, "bench-sleep", "idle-", false, true, row);
        if (r < 0)
                return r;
        /* Issue 8's row: watchdogs only. */
        snprintf(row, sizeof row, "idle CPU, %u agents, watchdog %us", o->idle_agents, o->watchdog_sec);
        r = idle_run(o, e, t, "bench-watchdog", "wdog-", true, true, row);
        if (r < 0)
                return r;
        snprintf(row, sizeof row, "idle CPU, %u agents, watchdog %us+health %us", o->idle_agents, o->watchdog_sec,
                 o->health_interval_sec);
        return idle_run(o, e, t, "bench-watched", "watch-", true, false, row);
}

/* One untimed start under `sb` decides whether its rows can run here: a
 * refusal (the daemon names what the kernel lacks) or an agent that ends
 * before its exec record (its sandbox could not be set up on this host)
 * puts the reason in `skip` and is no failure. After a start that worked,
 * every failure counts. 1: usable, 0: skipped, < 0: a harness error. */
static int sandbox_probe(BenchEnv *e, Table *t, const char *name, const RunSandbox *sb, char *skip,
                         size_t skip_size) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "exit", (char *) name, NULL };
        uint64_t deadline = now_nsec(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC;
        unsigned long abnormal = e->n_abnormal;
        bool recorded = false;
        int r;

        bus_watch_exits(e, name, true);
        r = bus_run_agent(e, name, argv, NULL, NULL, sb, &error);
        if (r < 0) {
                bus_watch_exits(e, NULL, false);
                snprintf(skip, skip_size, "skipped: %s", error.message ? error.message : strerror(-r));
                return 0;
        }
        /* The record, or the agent's end without one (then the FIFO once
         * more: the record may be behind the signal). */
        while (!recorded && !bench_interrupted) {
                Record rec;

                r = env_next_record(e, &rec, MIN(deadline, now_nsec(CLOCK_MONOTONIC) + 100 * NSEC_PER_MSEC));
                if (r >= 0) {
                        recorded = rec.kind == 'S' && strcmp(rec.tag, name) == 0;
                        continue;
                }
                if (r != -ETIME || e->n_watched > 0 || now_nsec(CLOCK_MONOTONIC) >= deadline)
                        break;
        }
        while (!recorded) {
                Record rec;

                if (env_next_record(e, &rec, 0) < 0)
                        break;
                recorded = rec.kind == 'S' && strcmp(rec.tag, name) == 0;
        }
        r = bus_wait_exits(e, 1, now_nsec(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC);
        bus_watch_exits(e, NULL, false);
        if (r < 0) {
                table_note_failure(t, "probe agent %s: no AgentExited within 10 s", name);
                return r;
        }
        r = bus_remove_agent(e, name, t);
        if (r < 0)
                return r;
        if (!recorded || e->n_abnormal != abnormal) {
                snprintf(skip, skip_size, "skipped: agent did not start (%s)",
                         e->n_abnormal != abnormal ? e->last_abnormal : "no exec record");
                e->n_abnormal = abnormal;
                return 0;
        }
        return 1;
}

static void add_skipped(Table *t, const char *row, const char *skip) {
        table_add(t, row, NULL, NULL, NULL, NULL, skip);
        fprintf(stderr, "agentvisor-bench: %s: %s\n", row, skip);
}

/* Agent start under Sandbox=none, standard and strict side by side, and
 * PrivateNetwork= alone; then restarts under strict. The sandboxed agents
 * get the run's temp dir through BindPaths= (their binary and the record
 * FIFO are there, below the /tmp that PrivateTmp= replaces); Sandbox=none
 * gets nothing, so it stays without a mount namespace.
 *
 * The rows are measured interleaved, one start of each in turn, with a run
 * of the bwrap line in every round: on a shared machine the speed
 * drifts by tens of percent within a minute, and rows measured one after
 * the other compared the drift as much as the presets. */
static const struct SandboxRow {
        const char *prefix;
        const char *row;
        const char *preset;
        int private_network;
        bool bind;
} sandbox_rows[] = {
        { "sbnone-", "agent start, Sandbox=none", "none", -1, false },
        { "sbstd-", "agent start, Sandbox=standard", "standard", -1, true },
        { "sbstrict-", "agent start, Sandbox=strict", "strict", -1, true },
        { "sbnet-", "agent start, Sandbox=none+PrivateNetwork", "none", 1, false },
};
#define N_SANDBOX_ROWS ELEMENTSOF(sandbox_rows)
enum { ROW_NONE, ROW_STANDARD, ROW_STRICT, ROW_NET };

typedef struct SandboxRun {
        bool usable[N_SANDBOX_ROWS];
        Samples s[N_SANDBOX_ROWS];
        Samples bwrap;                   /* the bwrap line, interleaved */
        uint64_t p50[N_SANDBOX_ROWS];
} SandboxRun;

static RunSandbox sandbox_of(const BenchEnv *e, size_t k) {
        return (RunSandbox) {
                .preset = sandbox_rows[k].preset,
                .private_network = sandbox_rows[k].private_network,
                .bind_path = sandbox_rows[k].bind ? e->tmpdir : NULL,
        };
}

static int sandbox_measure(const BenchOptions *o, BenchEnv *e, Table *t, SandboxRun *run) {
        unsigned long abnormal = e->n_abnormal;
        bool bwrap = true;
        int r = 0;

        progress_begin(o->sandbox_starts, "sandbox starts, the presets and the bwrap line in turn");
        for (unsigned i = 0; i < o->sandbox_starts && r >= 0 && !bench_interrupted; i++) {
                /* Slot N_SANDBOX_ROWS is the bwrap line. Each round begins
                 * one slot later, so that every row follows every other as
                 * often (a start pays for what the kernel still does for
                 * the sandbox before it). */
                for (size_t j = 0; j <= N_SANDBOX_ROWS && r >= 0; j++) {
                        size_t k = (i + j) % (N_SANDBOX_ROWS + 1);
                        RunSandbox sb;
                        char name[64];

                        if (k == N_SANDBOX_ROWS) {
                                uint64_t ns;

                                /* Not there or not working: the floor phase said why. */
                                bwrap = bwrap && bench_bwrap_line_once(o, &ns) >= 0 &&
                                        samples_add(&run->bwrap, ns) >= 0;
                                continue;
                        }
                        if (!run->usable[k])
                                continue;
                        sb = sandbox_of(e, k);
                        snprintf(name, sizeof name, "%s%u", sandbox_rows[k].prefix, i);
                        r = measure_one_start(e, t, name, &sb, &run->s[k]);
                }
                progress_step(i + 1);
        }
        progress_end(o->sandbox_starts);
        if (r >= 0)
                r = check_abnormal(e, t, abnormal, "the Sandbox= rows");
        return r < 0 ? r : bench_interrupted ? -EINTR : 0;
}

static void sandbox_report(Table *t, SandboxRun *run, const FloorResult *floor) {
        uint64_t bwrap = run->bwrap.n > 0 ? samples_percentile(&run->bwrap, 50) : floor->bwrap_all_p50;

        if (run->bwrap.n > 0)
                add_ns_row(t, "bwrap line, in turn with the rows below", &run->bwrap, NULL, NULL, NULL);
        for (size_t k = 0; k < N_SANDBOX_ROWS; k++) {
                char ratio[24] = "-", target[40] = "", met[16] = "";
                Samples *s = &run->s[k];

                if (s->n == 0)
                        continue;
                run->p50[k] = samples_percentile(s, 50);
                if (sandbox_rows[k].private_network < 0)
                        plot_keep_histogram(sandbox_rows[k].preset, s);
                if (k == ROW_NONE)
                        snprintf(ratio, sizeof ratio, "1.00");
                else if (k == ROW_STRICT) {
                        snprintf(target, sizeof target, "<= 0.5x the bwrap line");
                        if (bwrap) {
                                double x = (double) run->p50[k] / (double) bwrap;

                                snprintf(ratio, sizeof ratio, "%.2f", x);
                                snprintf(met, sizeof met, "%s", yes_no(x <= 0.5));
                        } else
                                snprintf(met, sizeof met, "no bwrap");
                } else if (run->p50[ROW_NONE]) {
                        double x = (double) run->p50[k] / (double) run->p50[ROW_NONE];

                        snprintf(ratio, sizeof ratio, "%.2f", x);
                        if (k == ROW_STANDARD) {
                                snprintf(target, sizeof target, "<= 1.5x none");
                                snprintf(met, sizeof met, "%s", yes_no(x <= 1.5));
                        }
                }
                add_ns_row(t, sandbox_rows[k].row, s, ratio, target[0] ? target : NULL, met[0] ? met : NULL);
                if (k == ROW_STRICT && run->p50[ROW_NONE]) {
                        snprintf(ratio, sizeof ratio, "%.2f", (double) run->p50[k] / (double) run->p50[ROW_NONE]);
                        table_add(t, "  strict vs none", NULL, NULL, ratio, NULL, NULL);
                }
        }
        if (run->p50[ROW_NONE] && run->p50[ROW_NET]) {
                char d[32];
                uint64_t a = run->p50[ROW_NET], b = run->p50[ROW_NONE];

                /* What the network namespace adds to a start, on its own. */
                table_add(t, "  PrivateNetwork's share of a start", format_ns(d, sizeof d, a > b ? a - b : 0), NULL,
                          NULL, NULL, NULL);
        }
}

static int phase_sandbox(const BenchOptions *o, BenchEnv *e, Table *t, const FloorResult *floor, bool scale) {
        SandboxRun run = {};
        char skip[200];
        int r = 0;

        for (size_t k = 0; k < N_SANDBOX_ROWS && r >= 0 && !bench_interrupted; k++) {
                RunSandbox sb = sandbox_of(e, k);
                char probe[64];

                snprintf(probe, sizeof probe, "%sprobe", sandbox_rows[k].prefix);
                r = sandbox_probe(e, t, probe, &sb, skip, sizeof skip);
                if (r == 0)
                        add_skipped(t, sandbox_rows[k].row, skip);
                run.usable[k] = r > 0;
        }
        if (r >= 0)
                r = sandbox_measure(o, e, t, &run);
        if (r >= 0)
                sandbox_report(t, &run, floor);
        for (size_t k = 0; k < N_SANDBOX_ROWS; k++)
                samples_done(&run.s[k]);
        samples_done(&run.bwrap);
        if (r < 0)
                return r;

        if (run.usable[ROW_STRICT] && !bench_interrupted) {
                RunSandbox sb = sandbox_of(e, ROW_STRICT);
                Samples s = {};

                r = crash_loop(o, e, t, o->sandbox_restarts, &sb, &s);
                if (r >= 0 && s.n > 0)
                        add_ns_row(t, "restart, Sandbox=strict: crash until exec'd", &s, NULL, "p50 < 5 ms",
                                   yes_no(samples_percentile(&s, 50) < 5 * NSEC_PER_MSEC));
                samples_done(&s);
        } else if (!run.usable[ROW_STRICT])
                add_skipped(t, "restart, Sandbox=strict: crash until exec'd", "skipped: Sandbox=strict did not run");
        if (r >= 0 && scale && run.usable[ROW_STRICT] && !bench_interrupted)
                r = bench_scale_strict(o, e, t);
        return r;
}

int bench_sandbox_only(const BenchOptions *o, BenchEnv *e, Table *t) {
        const FloorResult no_floor = {};
        int r;

        r = env_start_daemon(e, o);
        if (r < 0) {
                table_note_failure(t, "cannot start the private bus and agentvisord: %s", strerror(-r));
                return r;
        }
        r = phase_sandbox(o, e, t, &no_floor, false);
        if (r >= 0)
                r = check_all_gone(e, t, "the sandbox phase");
        (void) env_stop_daemon(e, t);
        return r;
}

int bench_daemon(const BenchOptions *o, BenchEnv *e, Table *t, const FloorResult *floor) {
        DaemonFigures fig = {};
        int r;

        r = env_start_daemon(e, o);
        if (r < 0) {
                table_note_failure(t, "cannot start the private bus and agentvisord: %s", strerror(-r));
                return r;
        }
        (void) daemon_rss_bytes(e->daemon_pid, &fig.rss_fresh);

        r = phase_start(o, e, t, floor, &fig);
        if (r >= 0)
                r = phase_restart(o, e, t);
        if (r >= 0)
                r = phase_sandbox(o, e, t, floor, true);
        if (r >= 0)
                r = check_all_gone(e, t, "the start, restart and sandbox phases");
        if (r >= 0)
                r = phase_scale(o, e, t, floor, &fig);
        if (r >= 0)
                r = phase_idle(o, e, t);
        if (r >= 0)
                r = bench_reexec(o, e, t);
        /* Last: it ends the daemon. */
        if (r >= 0)
                r = bench_shutdown(o, e, t);
        (void) env_stop_daemon(e, t);
        return r;
}

/* measure_starts() and check_all_gone() for the other phases
 * (bench-violation.c, bench-scale-strict.c). */
int bench_measure_starts(const BenchOptions *o, BenchEnv *e, Table *t, const char *prefix, unsigned count,
                         const RunSandbox *sb, Samples *s) {
        return measure_starts(o, e, t, prefix, count, sb, 0, s);
}

int bench_end_phase(BenchEnv *e, Table *t, const char *prefix, unsigned n, const char *after, int r) {
        if (bus_stop_remove_all(e, prefix, n, t) < 0 && r >= 0)
                r = -EPROTO;
        env_drain_records(e);
        if (check_all_gone(e, t, after) < 0 && r >= 0)
                r = -EPROTO;
        return r;
}
