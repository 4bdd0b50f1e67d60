/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reference rows: what the kernel charges for starting the benchmark
 * agent without agentvisord. The floor is the project's own spawn() (clone3
 * with a pidfd, CLONE_INTO_CGROUP into a cgroup made and removed for each
 * spawn, the shipped `default` policy compiled once and loaded in the
 * child); beside it a plain vfork+exec, bwrap, firejail and unshare(1)
 * where they are installed, and what creating namespaces costs alone. */

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "policy.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static char *agent_env[] = { (char *) "PATH=/usr/bin:/bin", NULL };

/* The start record of the spawn just made; it is in the FIFO already, the
 * agent having exited. */
static int read_start(BenchEnv *e, const char *tag, uint64_t *ret_ns) {
        Record rec;
        int r;

        do {
                r = env_next_record(e, &rec, now_nsec(CLOCK_MONOTONIC) + 5 * NSEC_PER_SEC);
                if (r < 0)
                        return r;
        } while (rec.kind != 'S' || strcmp(rec.tag, tag) != 0);
        *ret_ns = rec.ns;
        return 0;
}

static void add_ns_row(Table *t, const char *name, Samples *s, const char *ratio, const char *target,
                       const char *met) {
        char p50[32], p99[32];

        table_add(t, name, format_ns(p50, sizeof p50, samples_percentile(s, 50)),
                  format_ns(p99, sizeof p99, samples_percentile(s, 99)), ratio, target, met);
}

/* label NULL: the floor rows of the table; else one row of that name for
 * the time until exec'd (the floor measured again under other load). */
static int floor_spawn(const BenchOptions *o, BenchEnv *e, Table *t, const struct sock_fprog *filter,
                       const char *label, FloorResult *res) {
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        Samples full = {}, to_exec = {};
        struct passwd *pw = getpwnam("nobody");
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "exit", (char *) "floor", NULL };
        SpawnParams p = {
                .path = e->agent_path,
                .argv = argv,
                .envp = agent_env,
                .uid = pw ? pw->pw_uid : 65534,
                .gid = pw ? pw->pw_gid : 65534,
                .working_directory = "/",
                .filter = filter,
                .stdout_fd = -EBADF,
                .stderr_fd = -EBADF,
                .rlimits = { .nofile = RLIM_UNSET, .core = RLIM_UNSET, .nproc = RLIM_UNSET },
                .umask = 0077,
        };
        int r = 0;

        if (asprintf(&parent, "%s/bench-floor.%d", e->v2_base, (int) getpid()) < 0)
                return -ENOMEM;
        if (mkdir(parent, 0755) < 0) {
                r = -errno;
                table_note_failure(t, "cannot create the floor's cgroup %s: %s", parent, strerror(-r));
                return r;
        }
        parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd < 0) {
                r = -errno;
                goto finish;
        }

        progress_begin(o->floor_runs, "floor spawns%s%s", label ? ": " : "", label ?: "");
        for (unsigned i = 0; i < o->floor_runs && !bench_interrupted; i++) {
                _cleanup_close_ int cg = -EBADF, pidfd = -EBADF;

                progress_step(i);
                const char *step = NULL;
                uint64_t t0, t1, started;
                siginfo_t si = {};
                char name[32];
                pid_t pid;

                snprintf(name, sizeof name, "s%u", i);
                t0 = now_nsec(CLOCK_MONOTONIC);
                if (mkdirat(parent_fd, name, 0755) < 0) {
                        r = -errno;
                        table_note_failure(t, "floor: mkdir %s/%s: %s", parent, name, strerror(-r));
                        break;
                }
                cg = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (cg < 0) {
                        r = -errno;
                        (void) unlinkat(parent_fd, name, AT_REMOVEDIR);
                        break;
                }
                p.cgroup_fd = cg;
                r = spawn(&p, &pid, &pidfd, &step);
                if (r < 0) {
                        table_note_failure(t, "floor: spawn() failed at %s: %s", step ? step : "clone",
                                           strerror(-r));
                        (void) unlinkat(parent_fd, name, AT_REMOVEDIR);
                        break;
                }
                if (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0) {
                        r = -errno;
                        break;
                }
                cg = safe_close(cg);
                if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0) {
                        r = -errno;
                        table_note_failure(t, "floor: rmdir %s/%s: %s", parent, name, strerror(-r));
                        break;
                }
                t1 = now_nsec(CLOCK_MONOTONIC);

                if (si.si_code != CLD_EXITED || si.si_status != 0) {
                        table_note_failure(t, "floor: the agent under the default policy ended with %s %d "
                                           "(the policy must allow what bench-agent calls)",
                                           si.si_code == CLD_EXITED ? "exit status" : "signal", si.si_status);
                        r = -EPROTO;
                        break;
                }
                r = read_start(e, "floor", &started);
                if (r < 0) {
                        table_note_failure(t, "floor: no start record from spawn %u: %s", i, strerror(-r));
                        break;
                }
                if (samples_add(&full, t1 - t0) < 0 || samples_add(&to_exec, started - t0) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }

        if (r >= 0 && full.n > 0) {
                if (label)
                        add_ns_row(t, label, &to_exec, NULL, NULL, NULL);
                else {
                        add_ns_row(t, "floor: clone3+fresh cgroup+seccomp, to exit", &full, "1.00", NULL, NULL);
                        add_ns_row(t, "floor: same, until exec'd", &to_exec, NULL, NULL, NULL);
                }
                res->spawn_p50 = samples_percentile(&full, 50);
                res->to_exec_p50 = samples_percentile(&to_exec, 50);
        }
finish:
        progress_end((unsigned) to_exec.n);
        samples_done(&full);
        samples_done(&to_exec);
        if (rmdir(parent) < 0 && errno != ENOENT)
                table_note_failure(t, "floor: cannot remove %s: %s", parent, strerror(errno));
        return r;
}

/* vfork + exec + wait: `argv` from `path`, output to /dev/null. Returns
 * the wait status. (Not posix_spawn: src/kernel's spawn.h shadows <spawn.h>
 * here, and vfork is what posix_spawn does anyway.) */
static int run_plain(const char *path, char * const *argv, int *ret_status) {
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        pid_t pid;

        if (null < 0)
                return -errno;
        pid = vfork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (dup2(null, 0) >= 0 && dup2(null, 1) >= 0 && dup2(null, 2) >= 0)
                        execve(path, argv, agent_env);
                _exit(127);
        }
        if (waitpid(pid, ret_status, 0) < 0)
                return -errno;
        return 0;
}

static int floor_vfork(const BenchOptions *o, BenchEnv *e, Table *t, FloorResult *res) {
        char *argv[] = { e->agent_path, e->fifo_path, (char *) "exit", (char *) "vfork", NULL };
        Samples full = {}, to_exec = {};
        int r = 0;

        progress_begin(o->floor_runs, "vfork+exec runs");
        for (unsigned i = 0; i < o->floor_runs && !bench_interrupted; i++) {
                uint64_t t0, t1, started;
                int status;

                progress_step(i);
                t0 = now_nsec(CLOCK_MONOTONIC);
                r = run_plain(e->agent_path, argv, &status);
                t1 = now_nsec(CLOCK_MONOTONIC);
                if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        table_note_failure(t, "vfork+exec of %s failed: %s", e->agent_path,
                                           r < 0 ? strerror(-r) : "non-zero exit");
                        r = r < 0 ? r : -EPROTO;
                        break;
                }
                r = read_start(e, "vfork", &started);
                if (r < 0) {
                        table_note_failure(t, "vfork: no start record from run %u: %s", i, strerror(-r));
                        break;
                }
                if (samples_add(&full, t1 - t0) < 0 || samples_add(&to_exec, started - t0) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        progress_end((unsigned) full.n);
        if (r >= 0 && full.n > 0) {
                char ratio[24] = "-";

                res->vfork_p50 = samples_percentile(&full, 50);
                if (res->spawn_p50 > 0)
                        snprintf(ratio, sizeof ratio, "%.2f", (double) res->vfork_p50 / (double) res->spawn_p50);
                add_ns_row(t, "vfork+exec, no cgroup/filter, to exit", &full, ratio, NULL, NULL);
                add_ns_row(t, "vfork+exec, until exec'd", &to_exec, NULL, NULL, NULL);
        }
        samples_done(&full);
        samples_done(&to_exec);
        return r;
}

static int floor_run(const BenchOptions *o, BenchEnv *e, Table *t, const char *label, FloorResult *ret) {
        _cleanup_(policy_freep) Policy *policy = NULL;
        char *search[] = { (char *) o->policy_dir, NULL };
        Diagnostic diag = {};
        int r;

        *ret = (FloorResult) {};
        r = policy_load("default", search, &policy, &diag);
        if (r < 0) {
                char buf[1024];

                diag_format(&diag, buf, sizeof buf);
                table_note_failure(t, "cannot compile the default policy from %s: %s (%s)", o->policy_dir, buf,
                                   strerror(-r));
                return r;
        }
        return floor_spawn(o, e, t, policy_filter(policy), label, ret);
}

int bench_floor(const BenchOptions *o, BenchEnv *e, Table *t, FloorResult *ret) {
        int r = floor_run(o, e, t, NULL, ret);
        if (r < 0)
                return r;
        return floor_vfork(o, e, t, ret);
}

int bench_floor_again(const BenchOptions *o, BenchEnv *e, Table *t, const char *label, uint64_t *ret_to_exec_p50) {
        FloorResult res = {};
        int r = floor_run(o, e, t, label, &res);
        if (r >= 0)
                *ret_to_exec_p50 = res.to_exec_p50;
        return r;
}

static char *find_in_path(const char *name) {
        const char *dirs[] = { "/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char *p;

                if (asprintf(&p, "%s/%s", dirs[i], name) < 0)
                        return NULL;
                if (access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

/* One sandbox tool starting the agent (no record: it may not reach the
 * FIFO); first a trial run, so a tool that cannot work here is skipped with
 * the reason rather than timed. */
static void sandbox_row(const BenchOptions *o, BenchEnv *e, Table *t, const char *tool, const char *row,
                        char **argv, const FloorResult *floor, uint64_t *ret_p50) {
        _cleanup_free_ char *path = find_in_path(tool);
        Samples s = {};
        int status, r;

        *ret_p50 = 0;
        if (!path) {
                table_add(t, row, NULL, NULL, NULL, NULL, "skipped: not installed");
                return;
        }
        argv[0] = path;
        r = run_plain(path, argv, &status);
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                table_add(t, row, NULL, NULL, NULL, NULL, "skipped: fails here");
                fprintf(stderr, "agentvisor-bench: %s cannot start the agent on this machine (%s); row skipped\n",
                        tool, r < 0 ? strerror(-r) : "non-zero exit");
                return;
        }
        progress_begin(o->sandbox_runs, "%s runs", tool);
        for (unsigned i = 0; i < o->sandbox_runs && !bench_interrupted; i++) {
                uint64_t t0 = now_nsec(CLOCK_MONOTONIC);

                progress_step(i);
                r = run_plain(path, argv, &status);
                if (r < 0 || samples_add(&s, now_nsec(CLOCK_MONOTONIC) - t0) < 0)
                        break;
        }
        progress_end((unsigned) s.n);
        if (s.n > 0) {
                char ratio[24] = "-";

                *ret_p50 = samples_percentile(&s, 50);
                if (floor->spawn_p50 > 0)
                        snprintf(ratio, sizeof ratio, "%.2f", (double) *ret_p50 / (double) floor->spawn_p50);
                add_ns_row(t, row, &s, ratio, NULL, NULL);
        }
        samples_done(&s);
}

void bench_sandboxes(const BenchOptions *o, BenchEnv *e, Table *t, FloorResult *floor) {
        /* The bwrap line and unshare(1): the agent from where the
         * build put it, since --tmpfs /tmp hides the run's temp dir. */
        char *bwrap_all[] = { NULL, (char *) "--unshare-all", (char *) "--ro-bind", (char *) "/", (char *) "/",
                              (char *) "--proc", (char *) "/proc", (char *) "--dev", (char *) "/dev",
                              (char *) "--tmpfs", (char *) "/tmp", (char *) o->agent_path, (char *) "-",
                              (char *) "exit", (char *) "bwrap", NULL };
        char *unshare[] = { NULL, (char *) "-Urnm", (char *) o->agent_path, (char *) "-", (char *) "exit",
                            (char *) "unshare", NULL };
        char *bwrap[] = { NULL, (char *) "--ro-bind", (char *) "/", (char *) "/", (char *) "--unshare-all",
                          e->agent_path, (char *) "-", (char *) "exit", (char *) "bwrap", NULL };
        char *firejail[] = { NULL, (char *) "--quiet", (char *) "--noprofile", e->agent_path, (char *) "-",
                             (char *) "exit", (char *) "firejail", NULL };

        sandbox_row(o, e, t, "bwrap", "bwrap --ro-bind / / --unshare-all, to exit", bwrap, floor, &floor->bwrap_p50);
        sandbox_row(o, e, t, "firejail", "firejail --noprofile, to exit", firejail, floor, &floor->firejail_p50);
        sandbox_row(o, e, t, "bwrap", "bwrap --unshare-all --ro-bind / / +proc,dev,tmp", bwrap_all,
                    floor, &floor->bwrap_all_p50);
        sandbox_row(o, e, t, "unshare", "unshare -Urnm, to exit", unshare, floor, &floor->unshare_p50);
}

int bench_bwrap_line_once(const BenchOptions *o, uint64_t *ret_ns) {
        static char *path;
        char *argv[] = { NULL, (char *) "--unshare-all", (char *) "--ro-bind", (char *) "/", (char *) "/",
                         (char *) "--proc", (char *) "/proc", (char *) "--dev", (char *) "/dev",
                         (char *) "--tmpfs", (char *) "/tmp", (char *) o->agent_path, (char *) "-",
                         (char *) "exit", (char *) "bwrap", NULL };
        uint64_t t0;
        int status, r;

        if (!path)
                path = find_in_path("bwrap");
        if (!path)
                return -ENOENT;
        argv[0] = path;
        t0 = now_nsec(CLOCK_MONOTONIC);
        r = run_plain(path, argv, &status);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EPROTO;
        *ret_ns = now_nsec(CLOCK_MONOTONIC) - t0;
        return 0;
}

/* fork, unshare(flags) in the child, _exit, waitpid: the namespaces'
 * creation on the start path. Their teardown runs after the wait returns
 * (a network namespace is dismantled by a kernel worker, in batches), so
 * it shows only as load on the next iterations, which run back to back. */
static int ns_cycle(int flags, uint64_t *ret_ns, int *ret_child_errno) {
        uint64_t t0 = now_nsec(CLOCK_MONOTONIC);
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (flags != 0 && unshare(flags) < 0)
                        _exit(errno & 0xff);
                _exit(0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        *ret_ns = now_nsec(CLOCK_MONOTONIC) - t0;
        *ret_child_errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
        return 0;
}

void bench_namespaces(const BenchOptions *o, Table *t) {
        static const struct {
                const char *row;
                int flags;
        } rows[] = {
                { "ns: fork+exit, no namespace", 0 },
                { "ns: fork+unshare(NEWNET)+exit", CLONE_NEWNET },
                { "ns: fork+unshare(NEWNS|NEWIPC|NEWPID)+exit", CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID },
                { "ns: fork+unshare(NEWNS|NEWIPC|NEWPID|NEWNET)+exit",
                  CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET },
        };
        uint64_t none_p50 = 0;

        for (size_t k = 0; k < ELEMENTSOF(rows) && !bench_interrupted; k++) {
                Samples s = {};
                char ratio[24] = "-", why[48];
                int child_errno = 0, r = 0;

                progress_begin(o->sandbox_runs, "%s", rows[k].row);
                for (unsigned i = 0; i < o->sandbox_runs && !bench_interrupted; i++) {
                        uint64_t ns = 0;

                        progress_step(i);
                        r = ns_cycle(rows[k].flags, &ns, &child_errno);
                        if (r < 0 || child_errno != 0)
                                break;
                        r = samples_add(&s, ns);
                        if (r < 0)
                                break;
                }
                progress_end((unsigned) s.n);
                if (r < 0 || child_errno != 0) {
                        snprintf(why, sizeof why, "skipped: %s", strerror(r < 0 ? -r : child_errno));
                        table_add(t, rows[k].row, NULL, NULL, NULL, NULL, why);
                } else if (s.n > 0) {
                        uint64_t p50 = samples_percentile(&s, 50);

                        if (rows[k].flags == 0)
                                none_p50 = p50;
                        else if (none_p50 > 0)
                                snprintf(ratio, sizeof ratio, "%.2f", (double) p50 / (double) none_p50);
                        add_ns_row(t, rows[k].row, &s, rows[k].flags == 0 ? "1.00" : ratio, NULL, NULL);
                }
                samples_done(&s);
        }
}
