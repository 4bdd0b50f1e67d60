/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting the private dbus-daemon and agentvisord for a run: their
 * configuration in the temp dir, the processes (which die with the harness
 * through PR_SET_PDEATHSIG), and the wait until the daemon owns its name. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bus-names.h"

static int write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *path = NULL;
        FILE *f;
        int r = 0;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        if (fputs(text, f) < 0)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

/* fork + exec with stdout/stderr to `log`; the child gets SIGTERM when the
 * harness dies, so nothing outlives a crashed run. */
static int launch(char * const *argv, const char *log, pid_t *ret) {
        pid_t parent = getpid(), pid;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(126);
                if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(126);
                execv(argv[0], argv);
                fprintf(stderr, "agentvisor-bench: cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        *ret = pid;
        return 0;
}

static bool child_exited(pid_t pid, const char *what, const char *log) {
        int status;

        if (waitpid(pid, &status, WNOHANG) != pid)
                return false;
        fprintf(stderr, "agentvisor-bench: %s ended early (%s %d); its log, %s:\n", what,
                WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log);
        {
                char buf[4096];
                int fd = open(log, O_RDONLY | O_CLOEXEC);
                ssize_t n;

                while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
                        fwrite(buf, 1, (size_t) n, stderr);
                if (fd >= 0)
                        close(fd);
        }
        return true;
}

static int start_dbus(BenchEnv *e) {
        _cleanup_free_ char *conf = NULL, *conf_path = NULL, *log = NULL, *arg = NULL;
        char *argv[5];
        uint64_t deadline;
        int r;

        if (asprintf(&e->bus_address, "unix:path=%s/bus", e->tmpdir) < 0 ||
            asprintf(&conf,
                     "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                     " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                     "<busconfig>\n"
                     "  <type>custom</type>\n"
                     "  <listen>%s</listen>\n"
                     "  <auth>EXTERNAL</auth>\n"
                     "  <policy context=\"default\">\n"
                     "    <allow user=\"*\"/>\n"
                     "    <allow own=\"*\"/>\n"
                     "    <allow send_destination=\"*\"/>\n"
                     "    <allow receive_sender=\"*\"/>\n"
                     "  </policy>\n"
                     "</busconfig>\n",
                     e->bus_address) < 0 ||
            asprintf(&conf_path, "%s/bus.conf", e->tmpdir) < 0 || asprintf(&log, "%s/dbus.log", e->tmpdir) < 0 ||
            asprintf(&arg, "--config-file=%s", conf_path) < 0)
                return -ENOMEM;
        r = write_file(e->tmpdir, "bus.conf", conf);
        if (r < 0)
                return r;

        argv[0] = (char *) (access("/usr/bin/dbus-daemon", X_OK) == 0 ? "/usr/bin/dbus-daemon" : "/bin/dbus-daemon");
        argv[1] = arg;
        argv[2] = (char *) "--nofork";
        argv[3] = (char *) "--nopidfile";
        argv[4] = NULL;
        r = launch(argv, log, &e->dbus_pid);
        if (r < 0)
                return r;

        deadline = now_nsec(CLOCK_MONOTONIC) + 10 * NSEC_PER_SEC;
        for (;;) {
                sd_bus *bus = NULL;

                if (sd_bus_new(&bus) < 0)
                        return -ENOMEM;
                if (sd_bus_set_address(bus, e->bus_address) >= 0 && sd_bus_set_bus_client(bus, 1) >= 0 &&
                    sd_bus_start(bus) >= 0) {
                        e->bus = bus;
                        return 0;
                }
                sd_bus_unref(bus);
                if (child_exited(e->dbus_pid, "dbus-daemon", log)) {
                        e->dbus_pid = 0;
                        return -ESRCH;
                }
                if (bench_interrupted)
                        return -EINTR;
                if (now_nsec(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "agentvisor-bench: cannot connect to the private bus %s within 10 s\n",
                                e->bus_address);
                        return -ETIME;
                }
                usleep(10000);
        }
}

/* The type the scale and shutdown phases start K of. bench-sleep costs the
 * daemon FDS_PER_AGENT fds; where the daemon's fd limit (the harness's hard
 * limit, which it raises its soft one to) cannot hold K of them, they are
 * bench-sleep-lean: the same program with StandardOutput=null and a policy
 * that refuses the same syscalls unreported, so one fd (the pidfd) each.
 * The rows then say so. Under systemd the unit's LimitNOFILE=524288 holds
 * either. */
static void scale_type_pick(BenchEnv *e, const BenchOptions *o) {
        unsigned most = MAX(o->scale_agents, o->shutdown_agents);
        struct rlimit rl;

        e->scale_type = "bench-sleep";
        e->scale_type_note[0] = 0;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY ||
            (rlim_t) most * FDS_PER_AGENT + FDS_BASE <= rl.rlim_max)
                return;
        e->scale_type = "bench-sleep-lean";
        snprintf(e->scale_type_note, sizeof e->scale_type_note,
                 "the fd limit %lu holds about %lu bench-sleep agents (%u fds each): the %u of the scale and "
                 "shutdown rows are bench-sleep-lean (StandardOutput=null, no `report`: 1 fd each)",
                 (unsigned long) rl.rlim_max,
                 (unsigned long) (rl.rlim_max > FDS_BASE ? (rl.rlim_max - FDS_BASE) / FDS_PER_AGENT : 0),
                 FDS_PER_AGENT, most);
}

/* bench-sleep-lean and its policy: default's refusals, none reported (an
 * unconditional rule replaces what was said of a syscall before it). */
static int write_lean(BenchEnv *e, const char *agents) {
        _cleanup_free_ char *dir = NULL, *type = NULL;
        int r;

        if (asprintf(&dir, "%s/policies", e->tmpdir) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        r = write_file(dir, "bench-quiet.policy",
                       "include default\n"
                       "deny @privileged @mount @module @reboot @swap @raw-io @clock\n"
                       "deny @debug\n"
                       "deny bpf userfaultfd open_by_handle_at\n");
        if (r < 0)
                return r;
        if (asprintf(&type,
                     "[Agent]\n"
                     "Exec=%s %s sleep\n"
                     "Restart=temporary\n"
                     "StandardOutput=null\n"
                     "Policy=bench-quiet\n",
                     e->agent_path, e->fifo_path) < 0)
                return -ENOMEM;
        return write_file(agents, "bench-sleep-lean.agent", type);
}

static int write_config(BenchEnv *e, const BenchOptions *o) {
        _cleanup_free_ char *conf = NULL, *agents = NULL, *logdir = NULL, *rundir = NULL, *sleep_type = NULL,
                            *watched_type = NULL, *watchdog_type = NULL, *strict_type = NULL;
        unsigned max_children = MAX(MAX(MAX(o->scale_agents, o->idle_agents), o->shutdown_agents), o->reexec_agents) + 64;
        int r;

        /* The run's own RuntimeDirectory (notify socket, lock): removed with
         * tmpdir, never /run/agentvisor. */
        if (asprintf(&agents, "%s/agents.d", e->tmpdir) < 0 || asprintf(&logdir, "%s/log", e->tmpdir) < 0 ||
            asprintf(&rundir, "%s/run", e->tmpdir) < 0)
                return -ENOMEM;
        if ((mkdir(agents, 0755) < 0 && errno != EEXIST) || (mkdir(logdir, 0755) < 0 && errno != EEXIST))
                return -errno;

        /* Intensity far beyond what a run reaches, so the crash loop of the
         * restart phase never escalates; no backoff, as in OTP. */
        if (asprintf(&conf,
                     "[Daemon]\n"
                     "AgentsDirectory=%s\n"
                     "PolicyPath=%s/policies:%s\n"
                     "LogDirectory=%s\n"
                     "RuntimeDirectory=%s\n"
                     "DefaultUser=nobody\n"
                     /* The rows without a Sandbox= are really without one;
                      * the sandbox rows name their preset per RunAgent. */
                     "DefaultSandbox=none\n"
                     "ControlGroup=%s\n"
                     "\n"
                     "[Supervisor]\n"
                     "Strategy=one-for-one\n"
                     "MaxRestarts=1000000\n"
                     "RestartWindowSec=1\n"
                     "MaxChildren=%u\n"
                     "AgentTimeoutSec=10\n"
                     "HealthCheckIntervalSec=%u\n"
                     "RestartDelaySec=0\n"
                     "\n"
                     "[Supervisor crashers]\n"
                     "Parent=root\n"
                     "Strategy=one-for-one\n"
                     "MaxRestarts=1000000\n"
                     "RestartWindowSec=1\n"
                     "RestartDelaySec=0\n",
                     agents, e->tmpdir, o->policy_dir, logdir, rundir, e->control_group, max_children, o->health_interval_sec) < 0)
                return -ENOMEM;
        r = write_file(e->tmpdir, "agentvisor.conf", conf);
        if (r < 0)
                return r;

        /* StartAgent appends the per-agent tag through Arguments. */
        if (asprintf(&sleep_type,
                     "[Agent]\n"
                     "Exec=%s %s sleep\n"
                     "Restart=temporary\n",
                     e->agent_path, e->fifo_path) < 0 ||
            asprintf(&watched_type,
                     "[Agent]\n"
                     "Exec=%s %s\n"
                     "Restart=temporary\n"
                     "Type=notify\n"
                     "WatchdogSec=%u\n"
                     "HealthCheck=/bin/true\n"
                     "HealthCheckIntervalSec=%u\n",
                     e->notify_path, e->fifo_path, o->watchdog_sec, o->health_interval_sec) < 0 ||
            asprintf(&strict_type,
                     "[Agent]\n"
                     "Exec=%s %s sleep\n"
                     "Restart=temporary\n"
                     "Sandbox=strict\n"
                     "BindPaths=%s\n",
                     e->agent_path, e->fifo_path, e->tmpdir) < 0 ||
            asprintf(&watchdog_type,
                     "[Agent]\n"
                     "Exec=%s %s\n"
                     "Restart=temporary\n"
                     "Type=notify\n"
                     "WatchdogSec=%u\n",
                     e->notify_path, e->fifo_path, o->watchdog_sec) < 0)
                return -ENOMEM;
        /* Only when used: a daemon from before StandardOutput= (an old one
         * measured side by side) must still read the directory. */
        r = strcmp(e->scale_type, "bench-sleep-lean") == 0 ? write_lean(e, agents) : 0;
        if (r < 0)
                return r;
        r = write_file(agents, "bench-sleep.agent", sleep_type);
        if (r >= 0)
                r = write_file(agents, "bench-sleep-strict.agent", strict_type);
        if (r >= 0)
                r = write_file(agents, "bench-watchdog.agent", watchdog_type);
        if (r < 0)
                return r;
        return write_file(agents, "bench-watched.agent", watched_type);
}

static int on_agent_exited(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BenchEnv *e = userdata;
        const char *name, *path, *reason;
        int32_t status;

        if (sd_bus_message_read(m, "sosi", &name, &path, &reason, &status) < 0)
                return 0;
        e->n_exited++;
        if (e->watch && (e->watch_exact ? strcmp(name, e->watch) == 0 : strncmp(name, e->watch, strlen(e->watch)) == 0))
                e->n_watched++;
        if (strcmp(reason, "shutdown") == 0)
                e->n_shutdown++;
        else if (strcmp(reason, "exited") != 0 && strcmp(reason, "stopped") != 0) {
                e->n_abnormal++;
                snprintf(e->last_abnormal, sizeof e->last_abnormal, "%s: %s (status %d)", name, reason,
                         (int) status);
        }
        return 0;
}

static int name_has_owner(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int b = 0, r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &b);
        sd_bus_message_unref(reply);
        return r < 0 ? r : b;
}

int env_start_daemon(BenchEnv *e, const BenchOptions *o) {
        _cleanup_free_ char *conf_path = NULL, *log = NULL;
        char *argv[6];
        uint64_t deadline;
        int r;

        r = start_dbus(e);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(e->bus, &e->exited_slot, NULL, BUS_PATH, BUS_MANAGER_IFACE,
                                "AgentExited", on_agent_exited, e);
        if (r < 0)
                return r;

        scale_type_pick(e, o);
        r = write_config(e, o);
        if (r < 0)
                return r;
        if (asprintf(&conf_path, "%s/agentvisor.conf", e->tmpdir) < 0 ||
            asprintf(&log, "%s/agentvisord.log", e->tmpdir) < 0)
                return -ENOMEM;
        argv[0] = (char *) o->daemon_path;
        argv[1] = (char *) "--config";
        argv[2] = conf_path;
        argv[3] = (char *) "--bus";
        argv[4] = e->bus_address;
        argv[5] = NULL;
        r = launch(argv, log, &e->daemon_pid);
        if (r < 0)
                return r;
        e->daemon_pidfd = (int) pidfd_open(e->daemon_pid, 0);
        if (e->daemon_pidfd < 0)
                return -errno;

        deadline = now_nsec(CLOCK_MONOTONIC) + 20 * NSEC_PER_SEC;
        for (;;) {
                r = name_has_owner(e->bus);
                if (r > 0)
                        return 0;
                if (child_exited(e->daemon_pid, "agentvisord", log)) {
                        e->daemon_pid = 0;
                        return -ESRCH;
                }
                if (bench_interrupted)
                        return -EINTR;
                if (now_nsec(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "agentvisor-bench: agentvisord did not take %s within 20 s (log: %s)\n",
                                BUS_NAME, log);
                        return -ETIME;
                }
                usleep(5000);
        }
}
