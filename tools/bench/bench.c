/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor-bench: starts a private dbus-daemon and agentvisord and
 * measures, in one run and beside the kernel's floor, what starting,
 * restarting and supervising agents costs (docs/benchmarks.md). Prints a
 * table and writes it to --output. The exit status reports correctness
 * only (every start seen, every agent cleaned up), never a time. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "parse-util.h"

#ifndef BENCH_DAEMON_PATH
#define BENCH_DAEMON_PATH "agentvisord"
#endif
#ifndef BENCH_AGENT_PATH
#define BENCH_AGENT_PATH "bench-agent"
#endif
#ifndef BENCH_NOTIFY_PATH
#define BENCH_NOTIFY_PATH "bench-notify"
#endif

volatile int bench_interrupted = 0;

static void on_signal(int sig) {
        bench_interrupted = sig;
}

static void help(void) {
        printf("Usage: agentvisor-bench [OPTIONS]\n\n"
               "Measures agent start, restart, scale and idle cost of agentvisord beside\n"
               "the kernel's floor (clone3 into a fresh cgroup with a seccomp filter).\n"
               "Needs root, cgroup2 and dbus-daemon.\n\n"
               "  --short               a quick correctness run (the CI smoke test)\n"
               "  --output FILE         results file (default bench-results.txt)\n"
               "  --scale-agents K      sleeping agents for the scale rows (default 2000, max %u)\n"
               "  --idle-agents N       agents for the idle CPU rows (default 1000, max %u)\n"
               "  --idle-sec S          length of each idle measurement (default 60)\n"
               "  --starts N            agent starts measured (default 1000)\n"
               "  --restarts N          restarts measured (default 1000)\n"
               "  --health-interval S   HealthCheckIntervalSec of the watched agents (default 30)\n"
               "  --watchdog S          WatchdogSec of the watched agents (default 20)\n"
               "  --shutdown-agents N   agents running at the daemon's SIGTERM (default: as --scale-agents,\n"
               "                        300 in --short)\n"
               "  --plot DIR            write SVG charts there (start latency histogram per preset,\n"
               "                        start p50 against agents supervised)\n"
               "  --floor-only          the floor and sandbox rows only, no daemon\n"
               "  --violations-only     only the rows of a refused syscall with and without `report`\n"
               "  --strict-scale-only   only the strict starts with none and with K strict agents\n"
               "                        running (K = --scale-agents, at most 500)\n"
               "  --sandbox-only        only the Sandbox= start rows (with the bwrap line) and the\n"
               "                        strict restarts (counts: --starts, --restarts)\n"
               "  --daemon PATH         agentvisord (default %s)\n"
               "  --agent PATH          bench-agent (default %s)\n"
               "  --notify-agent PATH   bench-notify (default %s)\n"
               "  --policy-dir DIR      where default.policy is (default %s)\n"
               "  --show-log            print the daemon's log at the end\n"
               "  -h --help             show this help\n",
               BENCH_AGENTS_CAP, BENCH_AGENTS_CAP, BENCH_DAEMON_PATH, BENCH_AGENT_PATH, BENCH_NOTIFY_PATH,
               SOURCE_POLICYDIR);
}

static int parse_count(const char *arg, const char *opt, unsigned min, unsigned max, unsigned *ret) {
        unsigned v;

        if (parse_uint(arg, &v) < 0 || v < min || v > max) {
                fprintf(stderr, "agentvisor-bench: %s %s: expected a number from %u to %u\n", opt, arg, min, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int parse_args(int argc, char *argv[], BenchOptions *o) {
        enum {
                ARG_SHORT = 0x100,
                ARG_OUTPUT,
                ARG_SCALE,
                ARG_IDLE_AGENTS,
                ARG_IDLE_SEC,
                ARG_STARTS,
                ARG_RESTARTS,
                ARG_HEALTH,
                ARG_WATCHDOG,
                ARG_FLOOR_ONLY,
                ARG_DAEMON,
                ARG_AGENT,
                ARG_NOTIFY,
                ARG_POLICY_DIR,
                ARG_SHOW_LOG,
                ARG_VIOLATIONS_ONLY,
                ARG_SHUTDOWN,
                ARG_PLOT,
                ARG_STRICT_SCALE_ONLY,
                ARG_SANDBOX_ONLY,
        };
        static const struct option options[] = {
                { "short", no_argument, NULL, ARG_SHORT },
                { "output", required_argument, NULL, ARG_OUTPUT },
                { "scale-agents", required_argument, NULL, ARG_SCALE },
                { "idle-agents", required_argument, NULL, ARG_IDLE_AGENTS },
                { "idle-sec", required_argument, NULL, ARG_IDLE_SEC },
                { "starts", required_argument, NULL, ARG_STARTS },
                { "restarts", required_argument, NULL, ARG_RESTARTS },
                { "health-interval", required_argument, NULL, ARG_HEALTH },
                { "watchdog", required_argument, NULL, ARG_WATCHDOG },
                { "floor-only", no_argument, NULL, ARG_FLOOR_ONLY },
                { "daemon", required_argument, NULL, ARG_DAEMON },
                { "agent", required_argument, NULL, ARG_AGENT },
                { "notify-agent", required_argument, NULL, ARG_NOTIFY },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "show-log", no_argument, NULL, ARG_SHOW_LOG },
                { "violations-only", no_argument, NULL, ARG_VIOLATIONS_ONLY },
                { "shutdown-agents", required_argument, NULL, ARG_SHUTDOWN },
                { "plot", required_argument, NULL, ARG_PLOT },
                { "strict-scale-only", no_argument, NULL, ARG_STRICT_SCALE_ONLY },
                { "sandbox-only", no_argument, NULL, ARG_SANDBOX_ONLY },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        /* Explicit options win over --short wherever it appears. */
        unsigned set[ARG_PLOT + 1] = {};
        unsigned scale = 0, idle_agents = 0, idle_sec = 0, starts = 0, restarts = 0, health = 0, watchdog = 0,
                 shutdown = 0;
        int c;

        *o = (BenchOptions) {
                .output = "bench-results.txt",
                .daemon_path = BENCH_DAEMON_PATH,
                .agent_path = BENCH_AGENT_PATH,
                .agentctl_path = BENCH_AGENTCTL_PATH,
                .notify_path = BENCH_NOTIFY_PATH,
                .policy_dir = SOURCE_POLICYDIR,
        };
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                int r = 0;

                if (c >= ARG_SHORT && c <= ARG_PLOT)
                        set[c] = 1;
                switch (c) {
                case ARG_SHORT:
                        o->short_mode = true;
                        break;
                case ARG_OUTPUT:
                        o->output = optarg;
                        break;
                case ARG_SCALE:
                        r = parse_count(optarg, "--scale-agents", 1, BENCH_AGENTS_CAP, &scale);
                        break;
                case ARG_IDLE_AGENTS:
                        r = parse_count(optarg, "--idle-agents", 1, BENCH_AGENTS_CAP, &idle_agents);
                        break;
                case ARG_IDLE_SEC:
                        r = parse_count(optarg, "--idle-sec", 1, 3600, &idle_sec);
                        break;
                case ARG_STARTS:
                        r = parse_count(optarg, "--starts", 1, 100000, &starts);
                        break;
                case ARG_RESTARTS:
                        r = parse_count(optarg, "--restarts", 1, 100000, &restarts);
                        break;
                case ARG_HEALTH:
                        r = parse_count(optarg, "--health-interval", 1, 3600, &health);
                        break;
                case ARG_WATCHDOG:
                        r = parse_count(optarg, "--watchdog", 1, 3600, &watchdog);
                        break;
                case ARG_FLOOR_ONLY:
                        o->skip_daemon = true;
                        break;
                case ARG_DAEMON:
                        o->daemon_path = optarg;
                        break;
                case ARG_AGENT:
                        o->agent_path = optarg;
                        break;
                case ARG_NOTIFY:
                        o->notify_path = optarg;
                        break;
                case ARG_POLICY_DIR:
                        o->policy_dir = optarg;
                        break;
                case ARG_SHOW_LOG:
                        o->keep_log = true;
                        break;
                case ARG_VIOLATIONS_ONLY:
                        o->violations_only = true;
                        break;
                case ARG_STRICT_SCALE_ONLY:
                        o->strict_scale_only = true;
                        break;
                case ARG_SANDBOX_ONLY:
                        o->sandbox_only = true;
                        break;
                case ARG_SHUTDOWN:
                        r = parse_count(optarg, "--shutdown-agents", 0, BENCH_AGENTS_CAP, &shutdown);
                        break;
                case ARG_PLOT:
                        o->plot_dir = optarg;
                        break;
                case 'h':
                        help();
                        exit(EXIT_SUCCESS);
                default:
                        fprintf(stderr, "Try 'agentvisor-bench --help'.\n");
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (optind < argc) {
                fprintf(stderr, "agentvisor-bench: unexpected argument '%s'. Try 'agentvisor-bench --help'.\n",
                        argv[optind]);
                return -EINVAL;
        }

        if (o->short_mode) {
                o->floor_runs = 300;
                o->sandbox_runs = 20;
                o->sandbox_starts = 20;
                o->sandbox_restarts = 20;
                o->starts = 300;
                o->restarts = 100;
                o->scale_agents = 100;
                o->reexec_agents = 5;
                o->scale_starts = 50;
                /* A few hundred: enough that the daemon's stop window of 64
                 * must queue most of them. */
                o->shutdown_agents = 300;
                o->list_calls = 10;
                o->property_reads = 200;
                o->idle_agents = 50;
                o->idle_sec = 5;
                o->health_interval_sec = 2;
                o->watchdog_sec = 2;
        } else {
                /* Seccomp filters freed in one full run: about 13,000 at the
                 * defaults (floor twice, starts, restarts, scale, idle and
                 * health checks, the shutdown of scale_agents); see
                 * BENCH_AGENTS_CAP before raising K. */
                o->floor_runs = 1000;
                o->sandbox_runs = 200;
                /* Each Sandbox= row frees a filter per start too: 5 rows of
                 * 300 and 300 strict restarts keep the run under 12,000. */
                o->sandbox_starts = 300;
                o->sandbox_restarts = 300;
                o->starts = 1000;
                o->restarts = 1000;
                o->scale_agents = 2000;
                o->reexec_agents = 1000;
                o->scale_starts = 200;
                o->list_calls = 50;
                o->property_reads = 1000;
                o->idle_agents = 1000;
                o->idle_sec = 60;
                o->health_interval_sec = 30;
                o->watchdog_sec = 20;
        }
        if (set[ARG_SCALE])
                o->scale_agents = scale;
        if (set[ARG_SHUTDOWN])
                o->shutdown_agents = shutdown;
        else if (!o->short_mode)
                o->shutdown_agents = o->scale_agents;
        if (set[ARG_IDLE_AGENTS])
                o->idle_agents = idle_agents;
        if (set[ARG_IDLE_SEC])
                o->idle_sec = idle_sec;
        if (set[ARG_STARTS])
                o->starts = starts;
        if (set[ARG_RESTARTS])
                o->restarts = restarts;
        o->sandbox_starts = MIN(o->sandbox_starts, o->starts);
        o->sandbox_restarts = MIN(o->sandbox_restarts, o->restarts);
        if (set[ARG_HEALTH])
                o->health_interval_sec = health;
        if (set[ARG_WATCHDOG])
                o->watchdog_sec = watchdog;
        return 0;
}

static void machine_describe(char *buf, size_t size) {
        _cleanup_free_ char *line = NULL;
        char model[128] = "unknown CPU";
        struct utsname u = {};
        size_t n = 0;
        FILE *f;

        f = fopen("/proc/cpuinfo", "re");
        if (f) {
                while (getline(&line, &n, f) > 0)
                        if (strncmp(line, "model name", 10) == 0) {
                                char *v = strchr(line, ':');

                                if (v) {
                                        v += strspn(v + 1, " \t") + 1;
                                        v[strcspn(v, "\n")] = '\0';
                                        snprintf(model, sizeof model, "%s", v);
                                }
                                break;
                        }
                fclose(f);
        }
        (void) uname(&u);
        snprintf(buf, size, "%s, %ld CPUs, Linux %s", model, sysconf(_SC_NPROCESSORS_ONLN), u.release);
}

static void print_log(BenchEnv *e) {
        _cleanup_free_ char *path = NULL;
        char buf[4096];
        size_t n;
        FILE *f;

        if (!e->tmpdir || asprintf(&path, "%s/agentvisord.log", e->tmpdir) < 0)
                return;
        f = fopen(path, "re");
        if (!f)
                return;
        fprintf(stderr, "---- agentvisord log ----\n");
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, n, stderr);
        fprintf(stderr, "---- end of log ----\n");
        fclose(f);
}

/* The daemon holds up to FDS_PER_AGENT fds per agent and raises its soft
 * limit to the hard one it is given; a login shell's hard limit (20,000
 * here) holds some 6,500 agents. Under systemd the unit sets LimitNOFILE=;
 * here the harness, as root, lifts the hard limit it passes on to what the
 * largest row needs, within fs.nr_open, where it may (CAP_SYS_RESOURCE). */
static void raise_fd_limit(const BenchOptions *o) {
        unsigned most = MAX(MAX(o->scale_agents, o->shutdown_agents), o->idle_agents);
        rlim_t need = (rlim_t) most * FDS_PER_AGENT + FDS_BASE, nr_open = 1048576;
        struct rlimit rl;
        FILE *f;

        f = fopen("/proc/sys/fs/nr_open", "re");
        if (f) {
                unsigned long v;

                if (fscanf(f, "%lu", &v) == 1)
                        nr_open = (rlim_t) v;
                fclose(f);
        }
        need = MIN(need, nr_open);
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max >= need)
                return;
        rl.rlim_max = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                fprintf(stderr, "agentvisor-bench: cannot raise the fd limit to %lu: %m; the daemon may run out of fds\n",
                        (unsigned long) need);
}

int main(int argc, char *argv[]) {
        struct sigaction sa = { .sa_handler = on_signal };
        BenchOptions o;
        BenchEnv e = { .fifo_fd = -EBADF, .daemon_pidfd = -EBADF };
        FloorResult floor = {};
        Table t = {};
        char machine[256];
        FILE *out;
        int r;

        if (parse_args(argc, argv, &o) < 0)
                return 2;
        if (geteuid() != 0) {
                fprintf(stderr, "agentvisor-bench: needs root (cgroups, agents as nobody, RunAgent)\n");
                return 77;
        }

        raise_fd_limit(&o);

        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        machine_describe(machine, sizeof machine);
        printf("agentvisor-bench %s (%s mode) on %s\n", PROJECT_VERSION, o.short_mode ? "short" : "full", machine);
        fflush(stdout);

        r = env_setup(&e, &o);
        if (r < 0) {
                fprintf(stderr, "agentvisor-bench: cannot set up the run: %s\n", strerror(-r));
                env_cleanup(&e);
                return 1;
        }

        if (o.violations_only)
                (void) bench_violations(&o, &e, &t);
        else if (o.strict_scale_only)
                (void) bench_strict_scale_only(&o, &e, &t);
        else if (o.sandbox_only)
                (void) bench_sandbox_only(&o, &e, &t);
        else {
                r = bench_floor(&o, &e, &t, &floor);
                if (r >= 0 && !bench_interrupted)
                        bench_sandboxes(&o, &e, &t, &floor);
                if (r >= 0 && !bench_interrupted)
                        bench_namespaces(&o, &t);
                if (r >= 0 && !bench_interrupted && !o.skip_daemon)
                        (void) bench_daemon(&o, &e, &t, &floor);
        }

        if (bench_interrupted)
                table_note_failure(&t, "interrupted by signal %d", bench_interrupted);
        if (o.keep_log || t.failures > 0)
                print_log(&e);
        env_cleanup(&e);

        printf("\n");
        table_print(&t, stdout);
        out = fopen(o.output, "we");
        if (out) {
                fprintf(out, "agentvisor-bench %s (%s mode) on %s\n\n", PROJECT_VERSION,
                        o.short_mode ? "short" : "full", machine);
                table_print(&t, out);
                if (t.failures > 0)
                        fprintf(out, "\n%u correctness failures (see the harness's stderr)\n", t.failures);
                fclose(out);
                printf("\nresults written to %s\n", o.output);
        } else
                fprintf(stderr, "agentvisor-bench: cannot write %s: %m\n", o.output);

        if (o.plot_dir) {
                char caption[512];

                snprintf(caption, sizeof caption, "%s mode, %u starts, %u per Sandbox row, K=%u; %s",
                         o.short_mode ? "short" : "full", o.starts, o.sandbox_starts, o.scale_agents, machine);
                r = plot_write(o.plot_dir, caption);
                if (r < 0)
                        fprintf(stderr, "agentvisor-bench: cannot write the charts to %s: %s\n", o.plot_dir,
                                strerror(-r));
                else
                        printf("charts written to %s\n", o.plot_dir);
        }
        plot_done();

        r = t.failures > 0 ? 1 : 0;
        if (t.failures > 0)
                printf("%u correctness failures\n", t.failures);
        table_done(&t);
        return r;
}
