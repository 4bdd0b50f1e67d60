/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seccomp-free-repro: installs and frees seccomp filters in the shapes the
 * daemon makes them (issue 16), in bounded steps, and reports how long the
 * kernel takes to free them. Built with the bench, never run by a test:
 * this kernel has hung in bpf_prog_pack_free after ~18,000 frees, so every
 * run is bounded (at most REPRO_MAX_FREES filters) and watched:
 *
 *   - alarm(--timeout): the whole run ends, whatever the kernel does;
 *   - a step that takes longer than --step-limit-ms, or more than 10x the
 *     median of the steps before it, ends the run at once (the first sign of
 *     a stall), and what was seen is printed.
 *
 * Each filter is the daemon's own `default` policy (compiled by
 * policy_load(), as agentvisord does), loaded by a forked child after
 * PR_SET_NO_NEW_PRIVS. The shapes:
 *
 *   single  one child at a time installs its filter and exits; the parent
 *           reaps it (an agent that ends, then the next);
 *   group   --group M children install their filters and wait on a pipe;
 *           closing it ends them all at once, and the parent reaps them (a
 *           shutdown or a group stop of M agents).
 *
 * The kernel frees a filter when its last task is reaped (release_task()),
 * and the program's JIT image and struct bpf_prog later, from a workqueue
 * (bpf_prog_free_deferred). Every live struct bpf_prog is a vmalloc area
 * ("bpf_prog_alloc_no_stats" in /proc/vmallocinfo), so a step also waits,
 * bounded, for that count to fall back: that is the deferred part. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define REPRO_MAX_FREES 2000U
#define REPRO_MAX_GROUP 200U
#define REPRO_MAX_STEPS 200U
#define REPRO_DRAIN_SLACK 8

typedef struct Step {
        unsigned frees;
        uint64_t wall_ns;          /* forks, installs, exits and reaps */
        uint64_t reap_ns;          /* group: the pipe's close to the last reap */
        uint64_t drain_ns;         /* last reap to the bpf_prog count back (0: not seen) */
        long progs_before, progs_peak, progs_after;
        long progs_zombies;        /* group: 100 ms after the close, none reaped yet */
        long packs_after;
} Step;

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static _Noreturn void on_alarm(int sig) {
        static const char msg[] = "seccomp-free-repro: the run's time limit passed: stopping\n";

        (void) sig;
        (void) write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(3);
}

/* Live struct bpf_prog and bpf_prog_pack areas, from /proc/vmallocinfo. */
static int count_bpf_areas(long *ret_progs, long *ret_packs) {
        char line[512];
        long progs = 0, packs = 0;
        FILE *f = fopen("/proc/vmallocinfo", "re");

        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                if (strstr(line, "bpf_prog_alloc_no_stats") || strstr(line, "bpf_prog_realloc"))
                        progs++;
                else if (strstr(line, "bpf_prog_pack_alloc"))
                        packs++;
        }
        fclose(f);
        *ret_progs = progs;
        if (ret_packs)
                *ret_packs = packs;
        return 0;
}

static _Noreturn void child_run(const struct sock_fprog *filter, int wait_fd) {
        char c;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter) < 0)
                _exit(10);
        if (wait_fd >= 0)
                while (read(wait_fd, &c, 1) < 0 && errno == EINTR)
                        ;
        _exit(0);
}

/* Reaps n children; counts those that did not exit 0 (their filter may not
 * have been installed). */
static int reap(unsigned n, unsigned *bad) {
        for (unsigned i = 0; i < n; i++) {
                int status;

                if (wait(&status) < 0)
                        return -errno;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        (*bad)++;
        }
        return 0;
}

/* Waits, at most limit_ms, for the live bpf_prog count to fall to `target`.
 * Returns the time it took, 0 when it did not. */
static uint64_t wait_drain(long target, unsigned limit_ms, long *ret_now) {
        uint64_t start = now_ns(), end = start + (uint64_t) limit_ms * 1000000ULL;
        long progs = 0;

        for (;;) {
                if (count_bpf_areas(&progs, NULL) < 0)
                        break;
                if (progs <= target) {
                        *ret_now = progs;
                        return now_ns() - start ?: 1;
                }
                if (now_ns() >= end)
                        break;
                usleep(500);
        }
        *ret_now = progs;
        return 0;
}

static int step_single(const struct sock_fprog *filter, unsigned n, Step *s, unsigned *bad) {
        uint64_t start = now_ns();

        for (unsigned i = 0; i < n; i++) {
                pid_t pid = fork();

                if (pid < 0)
                        return -errno;
                if (pid == 0)
                        child_run(filter, -1);
                if (reap(1, bad) < 0)
                        return -errno;
        }
        s->wall_ns = now_ns() - start;
        s->reap_ns = 0;
        return 0;
}

static int step_group(const struct sock_fprog *filter, unsigned n, Step *s, unsigned *bad) {
        uint64_t start = now_ns(), closed;
        unsigned started = 0;
        int p[2], r = 0;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        for (; started < n; started++) {
                pid_t pid = fork();

                if (pid < 0) {
                        r = -errno;
                        break;
                }
                if (pid == 0) {
                        close(p[1]);
                        child_run(filter, p[0]);
                }
        }
        close(p[0]);
        /* Every child has its filter once the peak shows them; bounded. */
        for (unsigned i = 0; i < 2000; i++) {
                long progs;

                if (count_bpf_areas(&progs, NULL) < 0 || progs >= s->progs_before + (long) started)
                        break;
                usleep(1000);
        }
        (void) count_bpf_areas(&s->progs_peak, NULL);
        closed = now_ns();
        close(p[1]);                 /* all of them end at once */
        /* Whether a filter goes when its task exits (do_exit()) or only when
         * it is reaped (release_task()): look before reaping any. */
        for (unsigned i = 0; i < 100; i++) {
                if (count_bpf_areas(&s->progs_zombies, NULL) < 0 ||
                    s->progs_zombies <= s->progs_before + REPRO_DRAIN_SLACK)
                        break;
                usleep(1000);
        }
        if (reap(started, bad) < 0 && r == 0)
                r = -errno;
        s->reap_ns = now_ns() - closed;
        s->wall_ns = now_ns() - start;
        return r;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static uint64_t median_wall(const Step *steps, unsigned n) {
        uint64_t v[REPRO_MAX_STEPS];

        for (unsigned i = 0; i < n; i++)
                v[i] = steps[i].wall_ns / (steps[i].frees ?: 1);
        qsort(v, n, sizeof v[0], cmp_u64);
        return v[n / 2];
}

static void help(void) {
        printf("Usage: seccomp-free-repro [OPTIONS]\n\n"
               "Installs and frees seccomp filters (the daemon's default policy) in bounded\n"
               "steps and prints the time per free. Needs root only for /proc/vmallocinfo.\n\n"
               "  --mode single|group    one child at a time, or --group at once (default single)\n"
               "  --frees N              filters in the whole run (default 1000, max %u)\n"
               "  --step K               filters per step in single mode (default 100)\n"
               "  --group M              children ending at once per step (default 64, max %u)\n"
               "  --timeout S            the whole run's limit (default 60)\n"
               "  --step-limit-ms MS     one step's limit (default 5000)\n"
               "  --policy-dir DIR       where default.policy is (default %s)\n",
               REPRO_MAX_FREES, REPRO_MAX_GROUP, SOURCE_POLICYDIR);
}

typedef struct Options {
        bool group;
        unsigned frees, step, group_size, timeout, step_limit_ms;
        const char *policy_dir;
} Options;

static int parse_num(const char *s, const char *opt, unsigned min, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max) {
                fprintf(stderr, "seccomp-free-repro: %s %s: expected a number from %u to %u\n", opt, s, min, max);
                return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

static int parse_args(int argc, char *argv[], Options *o) {
        static const struct option options[] = {
                { "mode", required_argument, NULL, 'm' },
                { "frees", required_argument, NULL, 'n' },
                { "step", required_argument, NULL, 's' },
                { "group", required_argument, NULL, 'g' },
                { "timeout", required_argument, NULL, 't' },
                { "step-limit-ms", required_argument, NULL, 'l' },
                { "policy-dir", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c, r = 0;

        *o = (Options) { .frees = 1000, .step = 100, .group_size = 64, .timeout = 60, .step_limit_ms = 5000,
                         .policy_dir = SOURCE_POLICYDIR };
        while (r == 0 && (c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        if (strcmp(optarg, "single") != 0 && strcmp(optarg, "group") != 0) {
                                fprintf(stderr, "seccomp-free-repro: --mode %s: expected single or group\n", optarg);
                                return -EINVAL;
                        }
                        o->group = strcmp(optarg, "group") == 0;
                        break;
                case 'n':
                        r = parse_num(optarg, "--frees", 1, REPRO_MAX_FREES, &o->frees);
                        break;
                case 's':
                        r = parse_num(optarg, "--step", 1, REPRO_MAX_FREES, &o->step);
                        break;
                case 'g':
                        r = parse_num(optarg, "--group", 1, REPRO_MAX_GROUP, &o->group_size);
                        break;
                case 't':
                        r = parse_num(optarg, "--timeout", 1, 600, &o->timeout);
                        break;
                case 'l':
                        r = parse_num(optarg, "--step-limit-ms", 10, 60000, &o->step_limit_ms);
                        break;
                case 'p':
                        o->policy_dir = optarg;
                        break;
                case 'h':
                        help();
                        exit(EXIT_SUCCESS);
                default:
                        return -EINVAL;
                }
        if (r == 0 && optind < argc) {
                fprintf(stderr, "seccomp-free-repro: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (r == 0 && (o->frees + (o->group ? o->group_size : o->step) - 1) / (o->group ? o->group_size : o->step) >
                              REPRO_MAX_STEPS) {
                fprintf(stderr, "seccomp-free-repro: more than %u steps; raise --step or --group\n", REPRO_MAX_STEPS);
                return -EINVAL;
        }
        return r;
}

static void print_step(unsigned i, unsigned done, const Step *s) {
        printf("step %3u  frees %4u  total %5u  %8.1f us/free  reap %8.3f ms  drain %s%8.3f ms  progs %ld->%ld->%ld",
               i, s->frees, done, (double) s->wall_ns / 1000.0 / (s->frees ?: 1), (double) s->reap_ns / 1e6,
               s->drain_ns ? " " : ">", (double) s->drain_ns / 1e6, s->progs_before, s->progs_peak, s->progs_after);
        if (s->reap_ns)
                printf("  unreaped %ld", s->progs_zombies);
        printf("  packs %ld\n", s->packs_after);
        fflush(stdout);
}

int main(int argc, char *argv[]) {
        _cleanup_(policy_freep) Policy *policy = NULL;
        Step steps[REPRO_MAX_STEPS] = {};
        unsigned n_steps = 0, done = 0, bad = 0;
        const char *stopped = NULL;
        Diagnostic diag = {};
        char *search[2];
        Options o;
        long progs0, packs0;
        int r;

        if (parse_args(argc, argv, &o) < 0)
                return 2;
        search[0] = (char *) o.policy_dir;
        search[1] = NULL;
        r = policy_load("default", search, &policy, &diag);
        if (r < 0) {
                char buf[1024];

                diag_format(&diag, buf, sizeof buf);
                fprintf(stderr, "seccomp-free-repro: cannot compile the default policy: %s\n", buf);
                return 1;
        }
        if (count_bpf_areas(&progs0, &packs0) < 0) {
                fprintf(stderr, "seccomp-free-repro: cannot read /proc/vmallocinfo: %m (needs root)\n");
                return 1;
        }
        signal(SIGALRM, on_alarm);
        alarm(o.timeout);
        printf("seccomp-free-repro: mode %s, %u frees, %s %u, filter of %u instructions; before: %ld bpf_prog areas, "
               "%ld bpf_prog_pack areas\n",
               o.group ? "group" : "single", o.frees, o.group ? "group" : "step", o.group ? o.group_size : o.step,
               (unsigned) policy_filter(policy)->len, progs0, packs0);

        while (done < o.frees && n_steps < REPRO_MAX_STEPS) {
                Step *s = &steps[n_steps];
                unsigned n = MIN(o.frees - done, o.group ? o.group_size : o.step);
                uint64_t limit = (uint64_t) o.step_limit_ms * 1000000ULL;

                s->frees = n;
                (void) count_bpf_areas(&s->progs_before, NULL);
                s->progs_peak = s->progs_before;
                r = o.group ? step_group(policy_filter(policy), n, s, &bad)
                            : step_single(policy_filter(policy), n, s, &bad);
                if (r < 0) {
                        fprintf(stderr, "seccomp-free-repro: step %u failed: %s\n", n_steps, strerror(-r));
                        stopped = "a step failed";
                        break;
                }
                /* Others on the machine start and end processes with
                 * filters too: back to within a few of the count before. */
                s->drain_ns = wait_drain(s->progs_before + REPRO_DRAIN_SLACK, o.step_limit_ms, &s->progs_after);
                (void) count_bpf_areas(&s->progs_after, &s->packs_after);
                done += n;
                n_steps++;
                print_step(n_steps, done, s);
                if (s->wall_ns > limit || !s->drain_ns) {
                        stopped = s->drain_ns ? "a step took longer than --step-limit-ms"
                                              : "the frees did not drain within --step-limit-ms";
                        break;
                }
                if (n_steps > 3 && s->wall_ns / n > 10 * median_wall(steps, n_steps - 1)) {
                        stopped = "a step took more than 10x the median of the steps before it";
                        break;
                }
        }
        alarm(0);
        if (stopped)
                printf("STOPPED after %u frees: %s\n", done, stopped);
        if (n_steps > 0)
                printf("summary: %u frees in %u steps, median %.1f us per free (fork+install+exit+reap), "
                       "%u children did not exit 0\n",
                       done, n_steps, (double) median_wall(steps, n_steps) / 1000.0, bad);
        return stopped ? 1 : 0;
}
