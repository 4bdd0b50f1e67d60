/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisord: command line, then the manager does the rest. */
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon-state.h"
#include "log.h"
#include "manager.h"
#include "spawn.h"

static void help(void) {
        printf("Usage: agentvisord [--config FILE] [--bus system|user|ADDRESS] [--debug]\n"
               "\n"
               "Supervise sandboxed agents: each in its own cgroup under a seccomp policy,\n"
               "restarted by Erlang/OTP rules, driven over D-Bus (org.agentvisor1).\n"
               "\n"
               "  -c --config FILE   configuration (default %s)\n"
               "  -b --bus BUS       system (default), user, or a D-Bus address\n"
               "     --debug         log debug messages\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n",
               DEFAULT_CONFIG_FILE);
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_DEBUG };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' }, { "bus", required_argument, NULL, 'b' },
                { "debug", no_argument, NULL, ARG_DEBUG },   { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION }, {},
        };
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *config = DEFAULT_CONFIG_FILE, *bus = "system";
        int c, r;

        while ((c = getopt_long(argc, argv, "c:b:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config = optarg;
                        break;
                case 'b':
                        bus = optarg;
                        break;
                case ARG_DEBUG:
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("agentvisord %s\n", PROJECT_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try 'agentvisord --help'.\n");
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "agentvisord: unexpected argument '%s'. Try 'agentvisord --help'.\n", argv[optind]);
                return 2;
        }

        /* A daemon holds no fds it did not open itself: whatever the caller
         * left open (a test harness's pipes, a shell's descriptors) would
         * otherwise outlive it, and would take the low slots reserved next.
         * Then, before anything else opens an fd: spawns share the fd table
         * with the child instead of copying thousands of pidfds (spawn.h). */
        /* Executed anew by Reexecute, the fds it passed are open and all
         * others were closed by execve() (every fd the daemon opens is
         * O_CLOEXEC): they stay (daemon-reexec.c). */
        if (!getenv(REEXEC_FD_ENV))
                (void) close_range(3, ~0U, 0);
        r = spawn_reserve_fds();
        log_open(true);
        if (r < 0)
                log_warning_errno(r, "Cannot reserve fds 3-12 for spawning (%m); spawns will copy the fd table");
        r = daemon_reexec_init(argv);
        if (r < 0)
                log_warning_errno(r, "Cannot tell the daemon's own binary (%m): Reexecute will fail");
        r = manager_new(config, bus, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the manager: %m"), 1;
        /* Under a service manager's WatchdogSec= (WATCHDOG_USEC, WATCHDOG_PID),
         * each loop iteration sends WATCHDOG=1 as needed: a stall that still
         * happens gets the daemon killed and restarted instead of leaving
         * every agent unsupervised. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the service watchdog (%m); a stalled daemon will not be caught");
        r = manager_startup(m);
        if (r < 0)
                return 1;
        return manager_run(m);
}
