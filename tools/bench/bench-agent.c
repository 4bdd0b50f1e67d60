/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark's agent. It records, as its first act after exec, the
 * CLOCK_MONOTONIC time in RECORD (a FIFO the harness reads), then exits,
 * sleeps until killed, or crashes (recording the time just before exit(1)).
 *
 *   bench-agent RECORD|- exit|sleep|crash TAG
 *   bench-agent RECORD loop TAG N
 *   bench-agent RECORD flood TAG RATE
 *
 * `loop` makes N getppid() calls (a policy of the bench refuses them) and
 * records "S TAG NS" with NS the mean time of one call. `flood` makes RATE
 * getppid() calls a second, in batches every 10 ms, until it is stopped
 * (at most 10 minutes), recording nothing.
 *
 * Each record is one line, "S TAG NS" (started) or "C TAG NS" (crashing),
 * written with a single write() shorter than PIPE_BUF, so lines from many
 * agents sharing the FIFO never interleave. Built statically where possible
 * and limited to calls the shipped `default` policy allows, so that it costs
 * the kernel's exec and nothing more. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000000ULL + (unsigned long long) ts.tv_nsec;
}

static void record(int fd, char kind, const char *tag, unsigned long long ns) {
        char line[128];
        int n;

        if (fd < 0)
                return;
        n = snprintf(line, sizeof line, "%c %s %llu\n", kind, tag, ns);
        if (n > 0 && (size_t) n < sizeof line)
                (void) write(fd, line, (size_t) n);
}

int main(int argc, char *argv[]) {
        unsigned long long started = now_ns();
        int fd = -1;

        if ((argc != 4 && !(argc == 5 && (strcmp(argv[2], "loop") == 0 || strcmp(argv[2], "flood") == 0))) ||
            strlen(argv[3]) > 64) {
                fprintf(stderr, "usage: bench-agent RECORD|- exit|sleep|crash TAG\n"
                                "       bench-agent RECORD loop TAG N\n"
                                "       bench-agent RECORD flood TAG RATE\n");
                return 64;
        }
        if (strcmp(argv[1], "-") != 0) {
                fd = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        perror("bench-agent: open record");
                        return 65;
                }
        }
        if (argc == 5 && strcmp(argv[2], "flood") == 0) {
                /* Bounded: at most 100000 a second, for at most 600 s. */
                unsigned long rate = strtoul(argv[4], NULL, 10), batch = rate / 100;
                struct timespec tick = { 0, 10 * 1000 * 1000 };

                if (batch == 0 || rate > 100000)
                        return 64;
                for (unsigned long round = 0; round < 600UL * 100; round++) {
                        for (unsigned long i = 0; i < batch; i++)
                                (void) syscall(SYS_getppid);
                        (void) nanosleep(&tick, NULL);
                }
                return 0;
        }
        if (argc == 5) {
                /* Bounded: at most 100000 calls. */
                unsigned long n = strtoul(argv[4], NULL, 10);

                if (n == 0 || n > 100000)
                        return 64;
                started = now_ns();
                for (unsigned long i = 0; i < n; i++)
                        (void) syscall(SYS_getppid);
                record(fd, 'S', argv[3], (now_ns() - started) / n);
                return 0;
        }
        record(fd, 'S', argv[3], started);

        if (strcmp(argv[2], "crash") == 0) {
                record(fd, 'C', argv[3], now_ns());
                _exit(1);
        }
        if (strcmp(argv[2], "sleep") == 0) {
                if (fd >= 0)
                        close(fd);
                for (;;)
                        pause();
        }
        return 0;
}
