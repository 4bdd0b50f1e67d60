/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's own share of a restart, from the kernel's scheduler
 * tracepoints: `perf record` of sched_process_exit and sched_process_fork
 * while the crash loop runs, then, for each exit of the crashing agent, the
 * time until agentvisord's next clone. That span is the daemon's wakeup and
 * its own work (supervision, cgroup, spawn up to the clone), without the
 * agent's exec. Where perf is missing or cannot trace, the row is skipped. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define PERF "/usr/bin/perf"

static int run_redirected(char * const *argv, const char *out_path, pid_t *ret) {
        pid_t parent = getpid(), pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(126);
                if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(null, 2) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        *ret = pid;
        return 0;
}

/* Waits up to timeout_ms, then SIGKILL; returns the wait status. */
static int wait_bounded(pid_t pid, unsigned timeout_ms, int *ret_status) {
        int fd = (int) pidfd_open(pid, 0);
        struct pollfd p = { .fd = fd, .events = POLLIN };

        if (fd >= 0) {
                if (poll(&p, 1, (int) timeout_ms) <= 0)
                        (void) kill(pid, SIGKILL);
                close(fd);
        }
        if (waitpid(pid, ret_status, 0) < 0)
                return -errno;
        return 0;
}

int perf_start(BenchEnv *e, pid_t *ret) {
        _cleanup_free_ char *data = NULL, *log = NULL;
        int status;
        pid_t pid;
        int r;

        if (access(PERF, X_OK) < 0)
                return -ENOENT;
        if (asprintf(&data, "%s/perf.data", e->tmpdir) < 0 || asprintf(&log, "%s/perf-record.log", e->tmpdir) < 0)
                return -ENOMEM;
        {
                char *argv[] = { (char *) PERF, (char *) "record", (char *) "-q", (char *) "--no-buildid",
                                 (char *) "-e", (char *) "sched:sched_process_exit,sched:sched_process_fork",
                                 (char *) "-a", (char *) "-o", data, NULL };

                r = run_redirected(argv, log, &pid);
                if (r < 0)
                        return r;
        }
        /* perf has no readiness signal; it is recording well within this. */
        usleep(1500000);
        if (waitpid(pid, &status, WNOHANG) == pid)
                return -ENOTSUP;
        *ret = pid;
        return 0;
}

int perf_stop(BenchEnv *e, pid_t pid, pid_t daemon_pid, Samples *s) {
        _cleanup_free_ char *data = NULL, *text = NULL, *line = NULL;
        size_t size = 0;
        uint64_t pending = 0;
        int status, r;
        pid_t script;
        FILE *f;

        (void) kill(pid, SIGINT);
        r = wait_bounded(pid, 20000, &status);
        if (r < 0)
                return r;
        if (asprintf(&data, "%s/perf.data", e->tmpdir) < 0 || asprintf(&text, "%s/perf.txt", e->tmpdir) < 0)
                return -ENOMEM;
        {
                char *argv[] = { (char *) PERF, (char *) "script", (char *) "-i", data, (char *) "--ns",
                                 (char *) "-F", (char *) "comm,pid,time,event,trace", NULL };

                r = run_redirected(argv, text, &script);
                if (r < 0)
                        return r;
        }
        r = wait_bounded(script, 120000, &status);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EIO;

        f = fopen(text, "re");
        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0) {
                unsigned long long sec, nsec;
                char comm[64];
                int p;
                uint64_t t;

                if (sscanf(line, "%63s %d %llu.%llu:", comm, &p, &sec, &nsec) != 4)
                        continue;
                t = (uint64_t) sec * NSEC_PER_SEC + (uint64_t) nsec;
                if (strstr(line, "sched_process_exit:") && strcmp(comm, "bench-agent") == 0)
                        pending = t;
                else if (strstr(line, "sched_process_fork:") && p == (int) daemon_pid && pending > 0) {
                        if (samples_add(s, t - pending) < 0) {
                                fclose(f);
                                return -ENOMEM;
                        }
                        pending = 0;
                }
        }
        fclose(f);
        return 0;
}
