/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark's notify agent: records its start like bench-agent, sends
 * READY=1 to $NOTIFY_SOCKET, then WATCHDOG=1 every half $WATCHDOG_USEC until
 * killed (or sleeps when there is no watchdog). It speaks the sd_notify
 * datagram protocol with a raw sendto(), so it needs no libsystemd and can be
 * built statically.
 *
 *   bench-notify RECORD|- TAG */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000000ULL + (unsigned long long) ts.tv_nsec;
}

/* An '@' in front names an abstract socket, as in sd_notify(). */
static int notify_open(struct sockaddr_un *sa, socklen_t *ret_len) {
        const char *path = getenv("NOTIFY_SOCKET");
        size_t len;
        int fd;

        if (!path || (path[0] != '/' && path[0] != '@'))
                return -EINVAL;
        len = strlen(path);
        if (len >= sizeof sa->sun_path)
                return -EINVAL;
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path, path, len);
        if (path[0] == '@')
                sa->sun_path[0] = '\0';
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        return fd < 0 ? -errno : fd;
}

static int notify_send(int fd, const struct sockaddr_un *sa, socklen_t len, const char *msg) {
        if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *) sa, len) < 0)
                return -errno;
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned long long started = now_ns();
        struct sockaddr_un sa;
        socklen_t sa_len = 0;
        const char *wd;
        unsigned long long interval_usec = 0;
        int fd, r;

        if (argc != 3 || strlen(argv[2]) > 64) {
                fprintf(stderr, "usage: bench-notify RECORD|- TAG\n");
                return 64;
        }
        if (strcmp(argv[1], "-") != 0) {
                char line[128];
                int rec = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
                int n;

                if (rec < 0) {
                        perror("bench-notify: open record");
                        return 65;
                }
                n = snprintf(line, sizeof line, "S %s %llu\n", argv[2], started);
                if (n > 0 && (size_t) n < sizeof line)
                        (void) write(rec, line, (size_t) n);
                close(rec);
        }

        fd = notify_open(&sa, &sa_len);
        if (fd < 0) {
                fprintf(stderr, "bench-notify: no usable NOTIFY_SOCKET: %s\n", strerror(-fd));
                return 66;
        }
        r = notify_send(fd, &sa, sa_len, "READY=1\nSTATUS=idle");
        if (r < 0) {
                fprintf(stderr, "bench-notify: sending READY=1: %s\n", strerror(-r));
                return 67;
        }

        wd = getenv("WATCHDOG_USEC");
        if (wd)
                interval_usec = strtoull(wd, NULL, 10) / 2;
        for (;;) {
                struct timespec ts;

                if (interval_usec == 0) {
                        pause();
                        continue;
                }
                ts.tv_sec = (time_t) (interval_usec / 1000000ULL);
                ts.tv_nsec = (long) (interval_usec % 1000000ULL) * 1000L;
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                r = notify_send(fd, &sa, sa_len, "WATCHDOG=1");
                if (r < 0)
                        fprintf(stderr, "bench-notify: sending WATCHDOG=1: %s\n", strerror(-r));
        }
}
