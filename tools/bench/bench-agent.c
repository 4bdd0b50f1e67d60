/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark's agent. It records, as its first act after exec, the
 * CLOCK_MONOTONIC time in RECORD (a FIFO the harness reads), then exits,
 * sleeps until killed, or crashes (recording the time just before exit(1)).
 *
 *   bench-agent RECORD|- exit|sleep|crash TAG
 *
 * Each record is one line, "S TAG NS" (started) or "C TAG NS" (crashing),
 * written with a single write() shorter than PIPE_BUF, so lines from many
 * agents sharing the FIFO never interleave. Built statically where possible
 * and limited to calls the shipped `default` policy allows, so that it costs
 * the kernel's exec and nothing more. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

        if (argc != 4 || strlen(argv[3]) > 64) {
                fprintf(stderr, "usage: bench-agent RECORD|- exit|sleep|crash TAG\n");
                return 64;
        }
        if (strcmp(argv[1], "-") != 0) {
                fd = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        perror("bench-agent: open record");
                        return 65;
                }
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
