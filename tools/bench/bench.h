/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor-bench: what the harness's parts share. The options, the
 * results table, the run's environment (temp dir, record FIFO, private
 * dbus-daemon, agentvisord) and the measuring phases. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "time-util.h"

/* Never more agents than this in one run. Every agent frees a seccomp
 * filter; this kernel once hung in bpf_prog_pack_free after ~18,000 frees.
 * What was found (docs/benchmarks.md, "Freeing seccomp filters"): the
 * kernel frees filters from a workqueue under one mutex, with nothing that
 * grows with the count freed; bounded runs of up to 200 filters freed at
 * once drained within milliseconds. What the daemon can do it does: it ends
 * at most 64 agents at once. So the 10,000 is allowed; a full run
 * at that size frees about 30,000 filters, so run it on a machine you can
 * lose, not a shared one. */
#define BENCH_AGENTS_CAP 10000U

/* Fds the daemon holds per agent of bench-sleep without journald: its
 * pidfd, the output pipe and the seccomp listener of default's `report`
 * rules; and what else it has open, with room to spare. */
#define FDS_PER_AGENT 3U
#define FDS_BASE 512U

typedef struct BenchOptions {
        bool short_mode;
        const char *output;
        const char *daemon_path;
        const char *agent_path;
        const char *notify_path;
        const char *agentctl_path;     /* for the `agentctl list` row */
        const char *policy_dir;
        unsigned floor_runs;           /* spawns per floor row */
        unsigned sandbox_runs;         /* bwrap / firejail / unshare runs, namespace rows */
        unsigned sandbox_starts;       /* starts per Sandbox= row */
        unsigned sandbox_restarts;     /* restarts under Sandbox=strict */
        unsigned starts;               /* agent starts through the daemon */
        unsigned restarts;
        unsigned scale_agents;         /* K sleeping agents */
        unsigned scale_starts;         /* starts measured beside them */
        unsigned list_calls;
        unsigned property_reads;
        unsigned idle_agents;
        unsigned idle_sec;
        unsigned health_interval_sec;
        unsigned watchdog_sec;
        unsigned reexec_agents;        /* agents running across Reexecute (bench-reexec.c) */
        unsigned shutdown_agents;      /* agents ended by the daemon's SIGTERM */
        const char *plot_dir;          /* --plot: SVG charts written there */
        bool skip_daemon;              /* floor and sandbox rows only */
        bool violations_only;          /* the `report` rows only */
        bool strict_scale_only;        /* bench_scale_strict() only */
        bool sandbox_only;             /* bench_sandbox_only() */
        bool keep_log;                 /* print the daemon's log at the end */
} BenchOptions;

/* A progress line per phase, on a terminal only (bench-progress.c): what,
 * how far of `total` (0: no count), elapsed. */
void progress_begin(unsigned total, const char *format, ...) _printf_(2, 3);
void progress_step(unsigned done);
void progress_end(unsigned done);

/* Nanosecond samples. */
typedef struct Samples {
        uint64_t *v;
        size_t n;
        size_t allocated;
        bool sorted;
} Samples;

int samples_add(Samples *s, uint64_t v);
uint64_t samples_percentile(Samples *s, unsigned pct);    /* 0 when empty */
void samples_done(Samples *s);

/* --plot DIR (bench-plot.c): the phases hand over what the charts show. */
void plot_keep_histogram(const char *preset, const Samples *s);
void plot_keep_scale_point(unsigned agents, uint64_t p50, uint64_t floor_p50);
int plot_write(const char *dir, const char *caption);
void plot_done(void);

typedef struct Row {
        char name[64];
        char p50[32];
        char p99[32];
        char ratio[24];
        char target[40];
        char met[160];           /* "yes", "NO" or "skipped: why" */
} Row;

typedef struct Table {
        Row *rows;
        size_t n;
        unsigned failures;             /* correctness failures: the exit status */
} Table;

/* Any field may be NULL, shown as "-". */
void table_add(Table *t, const char *name, const char *p50, const char *p99, const char *ratio,
               const char *target, const char *met);
void table_note_failure(Table *t, const char *format, ...) _printf_(2, 3);
void table_print(const Table *t, FILE *f);
void table_done(Table *t);

/* "1.234 ms", "87.1 us" */
char *format_ns(char *buf, size_t size, uint64_t ns);

typedef struct Record {
        char kind;                     /* 'S' started, 'C' crashing */
        char tag[72];
        uint64_t ns;
} Record;

typedef struct BenchEnv {
        char *tmpdir;                  /* 0755: agents (nobody) reach the FIFO and binaries */
        char *fifo_path;
        int fifo_fd;                   /* O_RDWR: never EOF, agents' open() never blocks */
        char rbuf[8192];
        size_t rlen;
        char *agent_path;              /* copies in tmpdir */
        char *notify_path;
        char *v2_base;                 /* the harness's own cgroup2 directory */
        char *control_group;           /* the daemon's ControlGroup= name */
        char *bus_address;
        pid_t dbus_pid;
        pid_t daemon_pid;
        int daemon_pidfd;
        sd_bus *bus;
        sd_bus_slot *exited_slot;
        unsigned long n_exited;        /* AgentExited signals seen */
        const char *watch;             /* AgentExited of this name (watch_exact) or prefix ... */
        bool watch_exact;
        unsigned long n_watched;       /* ... counted here */
        unsigned long n_abnormal;      /* ... with a reason other than exited/stopped/shutdown */
        unsigned long n_shutdown;      /* AgentExited with reason shutdown */
        char last_abnormal[160];
        /* The type of the scale and shutdown phases' agents: bench-sleep, or
         * bench-sleep-lean where the fd limit cannot hold K of those
         * (bench-launch.c scale_type_pick()). */
        const char *scale_type;
        char scale_type_note[200];
} BenchEnv;

extern volatile int bench_interrupted;          /* the signal that asked us to stop */

int env_setup(BenchEnv *e, const BenchOptions *o);
void env_cleanup(BenchEnv *e);
/* The next record from the FIFO; pumps the bus while it waits. -ETIME at
 * the deadline (CLOCK_MONOTONIC ns), -EINTR when interrupted. */
int env_next_record(BenchEnv *e, Record *ret, uint64_t deadline);
void env_drain_records(BenchEnv *e);
int env_read_own_cgroup(char **ret_v2_base);

/* The private dbus-daemon and agentvisord. */
int env_start_daemon(BenchEnv *e, const BenchOptions *o);
int env_stop_daemon(BenchEnv *e, Table *t);
int daemon_rss_bytes(pid_t pid, uint64_t *ret);
int daemon_fd_count(pid_t pid, unsigned *ret);
int daemon_cpu_ticks(pid_t pid, uint64_t *ret);
/* Agent cgroups (*.agent) below the daemon's root group, in every hierarchy. */
int env_count_agent_cgroups(BenchEnv *e, unsigned *ret);

/* RunAgent's isolation properties; NULL / -1: not sent (the daemon's
 * DefaultSandbox=, none in the bench's configuration). */
typedef struct RunSandbox {
        const char *preset;            /* Sandbox= */
        int private_network;           /* PrivateNetwork=, -1 unset */
        const char *bind_path;         /* BindPaths= of one path (the run's temp dir) */
} RunSandbox;

/* Bus calls to the daemon, each bounded by the bus's method timeout. */
int bus_run_agent(BenchEnv *e, const char *name, char * const *argv, const char *restart,
                  const char *supervisor, const RunSandbox *sandbox, sd_bus_error *error);
int bus_start_agent(BenchEnv *e, const char *type, const char *name, sd_bus_error *error);
int bus_name_call(BenchEnv *e, const char *method, const char *name, sd_bus_error *error);
/* n agents, and how many have the state (and health, if given). */
int bus_list_agents(BenchEnv *e, const char *state, const char *health, unsigned *ret_n,
                    unsigned *ret_matching, unsigned *ret_restarts);
int bus_get_agent_state(BenchEnv *e, const char *name, char **ret);
void bus_pump(BenchEnv *e);
/* Counts AgentExited of `name` (exact) or of names starting with it in
 * n_watched from now on (reset to 0); NULL stops counting. */
void bus_watch_exits(BenchEnv *e, const char *name, bool exact);
/* Waits until n_watched reaches `count`; -ETIME at the deadline. */
int bus_wait_exits(BenchEnv *e, unsigned long count, uint64_t deadline);
/* RemoveAgent, retried while the agent's end is on its way. */
int bus_remove_agent(BenchEnv *e, const char *name, Table *t);
/* StopAgent (where running) and RemoveAgent for names PREFIX0..PREFIX(n-1),
 * waiting for each to end. */
int bus_stop_remove_all(BenchEnv *e, const char *prefix, unsigned n, Table *t);

/* RunAgent of `count` agents that exit at once (PREFIX0...), each timed
 * from the call to its exec (bench-daemon.c). */
int bench_measure_starts(const BenchOptions *o, BenchEnv *e, Table *t, const char *prefix, unsigned count,
                         const RunSandbox *sb, Samples *s);
/* The end of a phase: its n agents PREFIX0.. stopped and removed, the
 * records drained, no agent cgroup left; r, or -EPROTO (noted) when any of
 * that failed. */
int bench_end_phase(BenchEnv *e, Table *t, const char *prefix, unsigned n, const char *after, int r);
/* Start cost with K Sandbox=strict agents running (bench-scale-strict.c). */
int bench_scale_strict(const BenchOptions *o, BenchEnv *e, Table *t);
int bench_strict_scale_only(const BenchOptions *o, BenchEnv *e, Table *t);
/* --sandbox-only: the Sandbox= rows and the strict restarts on their own
 * (bench-daemon.c), to compare daemons on them without the other phases. */
int bench_sandbox_only(const BenchOptions *o, BenchEnv *e, Table *t);

/* bench-reexec.c: the Reexecute row, on the running daemon. */
int bench_reexec(const BenchOptions *o, BenchEnv *e, Table *t);

/* perf record of the scheduler's exit and fork tracepoints (bench-perf.c):
 * -ENOENT without perf, -ENOTSUP when it cannot trace. perf_stop() adds, for
 * each exit of a bench-agent, the time to daemon_pid's next clone. */
int perf_start(BenchEnv *e, pid_t *ret);
int perf_stop(BenchEnv *e, pid_t pid, pid_t daemon_pid, Samples *s);

/* The phases: each adds its rows; correctness failures are counted in t. */
typedef struct FloorResult {
        uint64_t spawn_p50;            /* clone3 + fresh cgroup + filter, full cycle */
        uint64_t to_exec_p50;
        uint64_t vfork_p50;
        uint64_t bwrap_p50;            /* 0: not measured */
        uint64_t firejail_p50;
        uint64_t bwrap_all_p50;        /* bwrap --unshare-all --ro-bind / / --proc --dev --tmpfs /tmp */
        uint64_t unshare_p50;          /* unshare -Urnm */
} FloorResult;
int bench_floor(const BenchOptions *o, BenchEnv *e, Table *t, FloorResult *ret);
/* The floor until exec'd again, as one row named `label` (e.g. while K
 * agents run, to tell the kernel's share of a slowdown from the daemon's). */
int bench_floor_again(const BenchOptions *o, BenchEnv *e, Table *t, const char *label, uint64_t *ret_to_exec_p50);
void bench_sandboxes(const BenchOptions *o, BenchEnv *e, Table *t, FloorResult *floor);
/* One run of the bwrap line, to its exit (for rows interleaved with
 * it); -ENOENT without bwrap, -EPROTO when it failed. */
int bench_bwrap_line_once(const BenchOptions *o, uint64_t *ret_ns);
/* What creating namespaces costs on its own: fork + unshare() + exit. */
void bench_namespaces(const BenchOptions *o, Table *t);
int bench_daemon(const BenchOptions *o, BenchEnv *e, Table *t, const FloorResult *floor);
/* --violations-only: a refused syscall with and without `report` (bench-violation.c). */
int bench_violations(const BenchOptions *o, BenchEnv *e, Table *t);
/* StartAgent of n agents of `type` named PREFIX<first>..; waits for every
 * start record. */
int bench_start_many(BenchEnv *e, Table *t, const char *type, const char *prefix, unsigned first, unsigned n);
/* The last phase (bench-shutdown.c): SIGTERM to the daemon with
 * shutdown_agents running, through its stop window. */
int bench_shutdown(const BenchOptions *o, BenchEnv *e, Table *t);

/* Kernel memory of K agents, and agentctl list of them (bench-kmem.c). */
typedef enum KernelMemoryField {
        KMEM_SUNRECLAIM,
        KMEM_SRECLAIMABLE,
        KMEM_PAGE_TABLES,
        KMEM_KERNEL_STACK,
        KMEM_PERCPU,
        KMEM_VMALLOC,
        _KMEM_MAX,
} KernelMemoryField;

typedef struct KernelMemory {
        unsigned long long kib[_KMEM_MAX];
} KernelMemory;

int kmem_read(KernelMemory *ret);
int kmem_read_settled(KernelMemory *ret);
void kmem_report(Table *t, const char *what, const KernelMemory *before, const KernelMemory *after, unsigned k);
int kmem_agentctl_list(const BenchOptions *o, BenchEnv *e, Table *t, unsigned k);
