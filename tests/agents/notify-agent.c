/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test agent that speaks sd_notify through libsystemd, exactly as real
 * agents would, to drive the daemon's readiness, status and watchdog
 * handling. Modes:
 *   ready [DELAY]   STATUS=starting..., READY=1 after DELAY seconds (default
 *                   0), STATUS=running; keeps the watchdog fed when asked to
 *   never-ready     stays alive without ever sending READY=1
 *   no-watchdog     READY=1, then never WATCHDOG=1
 *   status TEXT     READY=1 with STATUS=TEXT
 *   stopping        READY=1, then STOPPING=1 after a second */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void usage(void) {
        fprintf(stderr, "usage: notify-agent ready [DELAY] | never-ready | no-watchdog | status TEXT | stopping\n");
        exit(64);
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = {
                .tv_sec = (time_t) (usec / 1000000),
                .tv_nsec = (long) (usec % 1000000) * 1000,
        };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void notify(const char *msg) {
        int r = sd_notify(0, msg);

        /* 0 means NOTIFY_SOCKET is unset: the test will see the agent never
         * become ready, which says more than an early exit would. */
        if (r < 0)
                fprintf(stderr, "notify-agent: sd_notify(\"%s\"): %s\n", msg, strerror(-r));
        else if (r == 0)
                fprintf(stderr, "notify-agent: NOTIFY_SOCKET is not set\n");
}

/* Sleeps forever, feeding the watchdog at half its period if one is set. */
static _Noreturn void idle(int feed_watchdog) {
        uint64_t usec = 0;

        if (feed_watchdog && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
                for (;;) {
                        notify("WATCHDOG=1");
                        sleep_usec(usec / 2);
                }
        for (;;)
                pause();
}

int main(int argc, char **argv) {
        const char *mode;

        if (argc < 2)
                usage();
        mode = argv[1];

        if (strcmp(mode, "ready") == 0 && argc <= 3) {
                double delay = argc == 3 ? strtod(argv[2], NULL) : 0;

                notify("STATUS=starting...");
                if (delay > 0)
                        sleep_usec((uint64_t) (delay * 1e6));
                notify("READY=1");
                notify("STATUS=running");
                idle(1);
        }
        if (strcmp(mode, "never-ready") == 0 && argc == 2) {
                notify("STATUS=never going to be ready");
                idle(0);
        }
        if (strcmp(mode, "no-watchdog") == 0 && argc == 2) {
                notify("READY=1\nSTATUS=ready, and will not feed the watchdog");
                idle(0);
        }
        if (strcmp(mode, "status") == 0 && argc == 3) {
                char *msg;

                if (asprintf(&msg, "READY=1\nSTATUS=%s", argv[2]) < 0)
                        return 71;
                notify(msg);
                free(msg);
                idle(1);
        }
        if (strcmp(mode, "stopping") == 0 && argc == 2) {
                notify("READY=1\nSTATUS=running");
                sleep_usec(1000000);
                notify("STOPPING=1\nSTATUS=stopping");
                idle(1);
        }
        usage();
}
