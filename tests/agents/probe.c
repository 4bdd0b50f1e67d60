/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A multi-purpose test agent for the end-to-end tests: the first argument
 * picks a behaviour (exit, crash, sleep, resist SIGTERM, escape by double
 * fork, fork bomb, eat memory or CPU, record its start time, describe its
 * sandbox, pass a lingering socket to the notify socket, flood it with
 * STATUS= or with fds, send it raw bytes). Built statically where possible so that its startup makes few
 * syscalls and no loader work. A trailing "--marker TOKEN" is ignored; it
 * only makes the process findable by its command line. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Upper bound on the fork bomb, so that a broken TasksMax cannot make the
 * machine unusable. */
#define FORKBOMB_CAP_DEFAULT 400

static const char *self_path = "/proc/self/exe";

static _Noreturn void usage(void) {
        fprintf(stderr,
                "usage: probe MODE [ARGS...] [--marker TOKEN]\n"
                "  exit N | signal NAME | sleep [SECS] | ignore-term\n"
                "  double-fork TOKEN [ignore-term] | forkbomb [MAX] | memhog MB\n"
                "  cpuburn | record FILE [MODE ARGS...] | inspect FILE\n"
                "  crash-after SECS CODE | linger-notify FILE | status-flood N\n"
                "  notify-send TEXT | notify-flood NPROC SECS | fd-flood NPROC SECS\n");
        exit(64);
}

static _Noreturn void sleep_forever(void) {
        for (;;)
                pause();
}

static void sleep_seconds(double secs) {
        struct timespec ts;

        if (secs <= 0)
                return;
        ts.tv_sec = (time_t) secs;
        ts.tv_nsec = (long) ((secs - (double) ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static double parse_seconds(const char *s) {
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0' || v < 0)
                usage();
        return v;
}

static long parse_long(const char *s) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0')
                usage();
        return v;
}

static int signal_from_name(const char *name) {
        static const struct {
                const char *name;
                int sig;
        } table[] = {
                { "SEGV", SIGSEGV }, { "ABRT", SIGABRT }, { "KILL", SIGKILL },
                { "TERM", SIGTERM }, { "BUS", SIGBUS },   { "FPE", SIGFPE },
                { "ILL", SIGILL },   { "INT", SIGINT },   { "HUP", SIGHUP },
                { "USR1", SIGUSR1 }, { "SYS", SIGSYS },
        };

        if (strncmp(name, "SIG", 3) == 0)
                name += 3;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcmp(table[i].name, name) == 0)
                        return table[i].sig;
        return (int) parse_long(name);
}

static _Noreturn void do_signal(const char *name) {
        int sig = signal_from_name(name);
        sigset_t mask;

        signal(sig, SIG_DFL);
        sigemptyset(&mask);
        sigaddset(&mask, sig);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        raise(sig);
        /* Still alive: the signal's default action is to ignore it. */
        exit(70);
}

static _Noreturn void do_sleep(double secs) {
        if (secs <= 0)
                sleep_forever();
        sleep_seconds(secs);
        exit(0);
}

static void ignore_term(void) {
        signal(SIGTERM, SIG_IGN);
}

/* The main process stays; a grandchild in a new session (so not in the
 * main process's process group or session) re-executes this program with a
 * marker so the test can find it. */
static _Noreturn void do_double_fork(const char *token, bool resist) {
        pid_t pid;

        if (resist)
                ignore_term();

        pid = fork();
        if (pid < 0) {
                perror("fork");
                exit(71);
        }
        if (pid == 0) {
                char *argv[] = { (char *) "probe", (char *) (resist ? "ignore-term" : "sleep"),
                                 (char *) "--marker", (char *) token, NULL };
                char *argv_sleep[] = { (char *) "probe", (char *) "sleep", (char *) "0",
                                       (char *) "--marker", (char *) token, NULL };

                if (setsid() < 0)
                        _exit(72);
                pid = fork();
                if (pid < 0)
                        _exit(73);
                if (pid > 0)
                        _exit(0);
                execv(self_path, resist ? argv : argv_sleep);
                _exit(74);
        }
        /* Reap the intermediate child so only the grandchild remains. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        sleep_forever();
}

static _Noreturn void do_forkbomb(long cap) {
        long made = 0;
        unsigned failures = 0;

        while (made < cap) {
                pid_t pid = fork();

                if (pid == 0)
                        sleep_forever();
                if (pid > 0) {
                        made++;
                        continue;
                }
                /* At the cgroup's limit: keep pushing, but do not spin hard. */
                if (++failures % 100 == 0)
                        fprintf(stderr, "probe forkbomb: %ld made, fork: %s\n", made, strerror(errno));
                sleep_seconds(0.001);
        }
        sleep_forever();
}

static _Noreturn void do_memhog(long mb) {
        const size_t chunk = 1024 * 1024;

        if (mb <= 0)
                usage();
        for (long i = 0; i < mb; i++) {
                char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                if (p == MAP_FAILED) {
                        perror("mmap");
                        exit(75);
                }
                /* Touch every page so the memory is really charged. */
                for (size_t off = 0; off < chunk; off += 4096)
                        p[off] = (char) (i + 1);
        }
        fprintf(stderr, "probe memhog: %ld MiB allocated and still alive\n", mb);
        sleep_forever();
}

static _Noreturn void do_cpuburn(void) {
        volatile uint64_t x = 0;

        for (;;)
                x++;
}

static int append_line(const char *path, const char *line) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        size_t len = strlen(line);
        ssize_t n;

        if (fd < 0)
                return -errno;
        /* The file is shared by several writers; one write() per line keeps
         * lines whole under O_APPEND. */
        n = write(fd, line, len);
        close(fd);
        return n == (ssize_t) len ? 0 : -EIO;
}

static void record_start(const char *path) {
        struct timespec ts;
        char line[64];
        int r;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(line, sizeof(line), "%lld\n", (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
        /* fchmod is not needed: the file is created 0666 minus the umask. */
        r = append_line(path, line);
        if (r < 0) {
                fprintf(stderr, "probe record: %s: %s\n", path, strerror(-r));
                exit(76);
        }
}

static void print_status_lines(FILE *f) {
        static const char *const keys[] = {
                "Seccomp:", "Seccomp_filters:", "NoNewPrivs:", "CapInh:", "CapPrm:",
                "CapEff:", "CapBnd:", "CapAmb:", "Uid:", "Gid:", "Groups:",
        };
        char line[512];
        FILE *s = fopen("/proc/self/status", "re");

        if (!s) {
                fprintf(f, "status-error: %s\n", strerror(errno));
                return;
        }
        while (fgets(line, sizeof(line), s))
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        if (strncmp(line, keys[i], strlen(keys[i])) == 0)
                                fputs(line, f);
        fclose(s);
}

static void print_rlimit(FILE *f, const char *name, int resource) {
        struct rlimit rl;

        if (getrlimit(resource, &rl) < 0) {
                fprintf(f, "rlimit-%s: error\n", name);
                return;
        }
        fprintf(f, "rlimit-%s:", name);
        if (rl.rlim_cur == RLIM_INFINITY)
                fputs(" infinity", f);
        else
                fprintf(f, " %llu", (unsigned long long) rl.rlim_cur);
        if (rl.rlim_max == RLIM_INFINITY)
                fputs(" infinity\n", f);
        else
                fprintf(f, " %llu\n", (unsigned long long) rl.rlim_max);
}

/* Describes the sandbox as the agent sees it. The fd list is taken before
 * anything else is opened, and without the directory's own fd. The report
 * is written to FILE.tmp and renamed, so a reader never sees half of it. */
static _Noreturn void do_inspect(const char *path) {
        char fds[1024] = "";
        char tmp[4096], buf[4096];
        mode_t mask;
        DIR *d;
        FILE *f;
        int fd;

        d = opendir("/proc/self/fd");
        if (!d) {
                perror("opendir /proc/self/fd");
                exit(77);
        }
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(fds);

                if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                        continue;
                snprintf(fds + len, sizeof(fds) - len, "%s%s", len ? " " : "", de->d_name);
        }
        closedir(d);

        /* umask() can only be read by setting it; put it straight back. */
        mask = umask(0);
        umask(mask);

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "we");
        if (!f) {
                fprintf(stderr, "probe inspect: %s: %s\n", tmp, strerror(errno));
                exit(78);
        }

        fprintf(f, "pid: %d\n", (int) getpid());
        fprintf(f, "uid: %u\n", (unsigned) getuid());
        fprintf(f, "gid: %u\n", (unsigned) getgid());
        {
                gid_t groups[256];
                int n = getgroups(256, groups);

                fputs("groups:", f);
                for (int i = 0; i < n; i++)
                        fprintf(f, " %u", (unsigned) groups[i]);
                fputc('\n', f);
        }
        print_status_lines(f);
        fprintf(f, "fds: %s\n", fds);
        {
                ssize_t n = readlink("/proc/self/fd/0", buf, sizeof(buf) - 1);

                buf[n < 0 ? 0 : n] = '\0';
                fprintf(f, "stdin: %s\n", buf);
        }
        for (char **e = environ; e && *e; e++)
                fprintf(f, "env: %s\n", *e);
        fprintf(f, "cwd: %s\n", getcwd(buf, sizeof(buf)) ? buf : "?");
        fprintf(f, "umask: %04o\n", (unsigned) mask);
        print_rlimit(f, "core", RLIMIT_CORE);
        print_rlimit(f, "nofile", RLIMIT_NOFILE);
        print_rlimit(f, "nproc", RLIMIT_NPROC);
        fprintf(f, "session-leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
        fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) {
                fputs("ctty: yes\n", f);
                close(fd);
        } else
                fprintf(f, "ctty: none (%s)\n", strerror(errno));
        {
                FILE *c = fopen("/proc/self/cgroup", "re");

                while (c && fgets(buf, sizeof(buf), c))
                        fprintf(f, "cgroup: %s", buf);
                if (c)
                        fclose(c);
        }
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                fprintf(stderr, "probe inspect: writing %s: %s\n", path, strerror(errno));
                exit(79);
        }
        sleep_forever();
}

/* Replaces FILE with TEXT (write to FILE.tmp, then rename), or exits. */
static void write_report(const char *path, const char *text) {
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        f = fopen(tmp, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
                fprintf(stderr, "probe: writing %s: %s\n", path, strerror(errno));
                exit(79);
        }
}

static int notify_socket_address(struct sockaddr_un *sa, socklen_t *len) {
        const char *e = getenv("NOTIFY_SOCKET");
        size_t n;

        if (!e || (e[0] != '/' && e[0] != '@'))
                return -1;
        n = strlen(e);
        if (n >= sizeof sa->sun_path)
                return -1;
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        memcpy(sa->sun_path, e, n);
        if (e[0] == '@')
                sa->sun_path[0] = 0;
        *len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (e[0] == '/'));
        return 0;
}

/* The lingering-fd attack of issue 11: a TCP socket whose last close()
 * blocks for an hour (SO_LINGER on a connection whose peer never reads, send
 * buffer full) goes to $NOTIFY_SOCKET with SCM_RIGHTS, and this process
 * drops its copy. Writes "armed" to FILE, then waits (60 s at most) for
 * FILE.go, so that the test can hold the daemon still and make the daemon's
 * copy the last one; then sends, writes "sent" or "refused ERRNO" to FILE,
 * sends STATUS=linger-done and sleeps. The listener stays open (never
 * accepting) until the process ends. */
static _Noreturn void do_linger_notify(const char *path) {
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t inlen = sizeof in, ualen;
        struct linger lg = { .l_onoff = 1, .l_linger = 3600 };
        static char chunk[65536];
        struct sockaddr_un ua;
        char go[4096], report[256];
        int l, c, u, err = 0;

        l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l < 0 || bind(l, (struct sockaddr *) &in, sizeof in) < 0 || listen(l, 1) < 0 ||
            getsockname(l, (struct sockaddr *) &in, &inlen) < 0) {
                fprintf(stderr, "probe linger-notify: listener: %s\n", strerror(errno));
                exit(71);
        }
        c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c < 0 || connect(c, (struct sockaddr *) &in, inlen) < 0 ||
            fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK) < 0) {
                fprintf(stderr, "probe linger-notify: connect: %s\n", strerror(errno));
                exit(71);
        }
        /* Bounded at 256 MiB; loopback buffers fill after a few MiB. */
        for (int i = 0; i < 4096; i++)
                if (write(c, chunk, sizeof chunk) < 0) {
                        if (errno == EAGAIN)
                                break;
                        fprintf(stderr, "probe linger-notify: filling: %s\n", strerror(errno));
                        exit(71);
                }
        if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0 || notify_socket_address(&ua, &ualen) < 0) {
                fprintf(stderr, "probe linger-notify: SO_LINGER or NOTIFY_SOCKET: %s\n", strerror(errno));
                exit(71);
        }
        write_report(path, "armed\n");

        snprintf(go, sizeof go, "%s.go", path);
        for (int i = 0; access(go, F_OK) < 0; i++) {
                if (i >= 1200)
                        exit(75);
                sleep_seconds(0.05);
        }

        u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        {
                char text[] = "STATUS=linger-fd";
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int))];
                } control = {};
                struct iovec iov = { text, sizeof text - 1 };
                struct msghdr mh = {
                        .msg_name = &ua, .msg_namelen = ualen, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof control,
                };
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &c, sizeof c);
                if (u < 0 || sendmsg(u, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                        err = errno;
        }
        if (err != 0) {
                /* Refused: this copy is the last, and this process must not
                 * hang on it either. */
                lg.l_onoff = 0;
                (void) setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(c);
        if (u >= 0)
                (void) sendto(u, "STATUS=linger-done", 18, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &ua, ualen);
        if (err != 0)
                snprintf(report, sizeof report, "refused %d %s\n", err, strerror(err));
        else
                snprintf(report, sizeof report, "sent\n");
        write_report(path, report);
        sleep_forever();
}

/* Sends N datagrams "STATUS=flood I\nERRNO=I" (I = 1..N) to $NOTIFY_SOCKET
 * as fast as the daemon takes them, then sleeps. */
static _Noreturn void do_status_flood(long count) {
        struct sockaddr_un ua;
        socklen_t ualen;
        char text[64];
        int u;

        if (count < 1 || count > 100000)
                usage();
        u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (u < 0 || notify_socket_address(&ua, &ualen) < 0) {
                fprintf(stderr, "probe status-flood: no notify socket: %s\n", strerror(errno));
                exit(71);
        }
        for (long i = 1; i <= count; i++) {
                int n = snprintf(text, sizeof text, "STATUS=flood %ld\nERRNO=%ld", i, i);
                if (sendto(u, text, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &ua, ualen) < 0) {
                        fprintf(stderr, "probe status-flood: sendto: %s\n", strerror(errno));
                        exit(71);
                }
        }
        sleep_forever();
}

/* Sends TEXT to $NOTIFY_SOCKET once, with \n, \\ and \xNN decoded (so
 * that a test can send bytes no command line carries), then sleeps. */
static _Noreturn void do_notify_send(const char *text) {
        char buf[4096];
        size_t n = 0;
        struct sockaddr_un ua;
        socklen_t ualen;
        int u;

        for (const char *p = text; *p && n < sizeof buf; p++) {
                if (p[0] == '\\' && p[1] == 'n') {
                        buf[n++] = '\n';
                        p++;
                } else if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
                        char hex[3] = { p[2], p[3], 0 };
                        buf[n++] = (char) strtoul(hex, NULL, 16);
                        p += 3;
                } else if (p[0] == '\\' && p[1] == '\\') {
                        buf[n++] = '\\';
                        p++;
                } else
                        buf[n++] = *p;
        }
        u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (u < 0 || notify_socket_address(&ua, &ualen) < 0 ||
            sendto(u, buf, n, MSG_NOSIGNAL, (struct sockaddr *) &ua, ualen) < 0) {
                fprintf(stderr, "probe notify-send: %s\n", strerror(errno));
                exit(71);
        }
        sleep_forever();
}

/* NPROC processes send to $NOTIFY_SOCKET as fast as it takes them for SECS
 * seconds: "STATUS=flood", or with pass_fds 253 fds (the kernel's limit per
 * message) of /dev/null each, as an agent that wants to keep the daemon's
 * fd closer busy. Then the processes end and this one sleeps. */
static _Noreturn void do_notify_flood(long nproc, double secs, bool pass_fds) {
        if (nproc < 1 || nproc > 32 || secs <= 0 || secs > 60)
                usage();
        for (long i = 0; i < nproc; i++) {
                pid_t pid = fork();

                if (pid < 0) {
                        fprintf(stderr, "probe flood: fork: %s\n", strerror(errno));
                        exit(71);
                }
                if (pid > 0)
                        continue;

                struct timeval tmo = { .tv_sec = 1 };
                struct sockaddr_un ua;
                socklen_t ualen;
                int fds[253], u;
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof fds)];
                } control = {};
                char text[] = "STATUS=flood";
                struct iovec iov = { text, sizeof text - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                struct timespec start, now;

                u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (u < 0 || notify_socket_address(&ua, &ualen) < 0)
                        _exit(71);
                (void) setsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof tmo);
                mh.msg_name = &ua;
                mh.msg_namelen = ualen;
                if (pass_fds) {
                        struct cmsghdr *cm;

                        fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                        for (size_t j = 1; j < 253; j++)
                                fds[j] = fds[0] < 0 ? -1 : fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
                        if (fds[0] < 0 || fds[252] < 0)
                                _exit(72);
                        mh.msg_control = &control;
                        mh.msg_controllen = sizeof control;
                        cm = CMSG_FIRSTHDR(&mh);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof fds);
                        memcpy(CMSG_DATA(cm), fds, sizeof fds);
                }
                clock_gettime(CLOCK_MONOTONIC, &start);
                for (;;) {
                        (void) sendmsg(u, &mh, MSG_NOSIGNAL);
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if ((double) (now.tv_sec - start.tv_sec) + (double) (now.tv_nsec - start.tv_nsec) / 1e9 > secs)
                                _exit(0);
                }
        }
        for (long i = 0; i < nproc; i++)
                (void) wait(NULL);
        sleep_forever();
}

/* Strips a trailing "--marker TOKEN" and returns the new argc. */
static int strip_marker(int argc, char **argv) {
        if (argc >= 3 && strcmp(argv[argc - 2], "--marker") == 0)
                return argc - 2;
        return argc;
}

static _Noreturn void run_mode(int argc, char **argv);

static _Noreturn void do_record(int argc, char **argv) {
        if (argc < 2)
                usage();
        record_start(argv[1]);
        if (argc == 2)
                exit(0);
        run_mode(argc - 2, argv + 2);
}

static _Noreturn void run_mode(int argc, char **argv) {
        const char *mode;

        if (argc < 1)
                usage();
        mode = argv[0];

        if (strcmp(mode, "exit") == 0 && argc == 2)
                exit((int) parse_long(argv[1]));
        if (strcmp(mode, "signal") == 0 && argc == 2)
                do_signal(argv[1]);
        if (strcmp(mode, "sleep") == 0 && argc <= 2)
                do_sleep(argc == 2 ? parse_seconds(argv[1]) : 0);
        if (strcmp(mode, "ignore-term") == 0 && argc == 1) {
                ignore_term();
                sleep_forever();
        }
        if (strcmp(mode, "double-fork") == 0 && (argc == 2 || argc == 3)) {
                if (argc == 3 && strcmp(argv[2], "ignore-term") != 0)
                        usage();
                do_double_fork(argv[1], argc == 3);
        }
        if (strcmp(mode, "forkbomb") == 0 && argc <= 2)
                do_forkbomb(argc == 2 ? parse_long(argv[1]) : FORKBOMB_CAP_DEFAULT);
        if (strcmp(mode, "memhog") == 0 && argc == 2)
                do_memhog(parse_long(argv[1]));
        if (strcmp(mode, "cpuburn") == 0 && argc == 1)
                do_cpuburn();
        if (strcmp(mode, "record") == 0)
                do_record(argc, argv);
        if (strcmp(mode, "inspect") == 0 && argc == 2)
                do_inspect(argv[1]);
        if (strcmp(mode, "status-flood") == 0 && argc == 2)
                do_status_flood(parse_long(argv[1]));
        if (strcmp(mode, "linger-notify") == 0 && argc == 2)
                do_linger_notify(argv[1]);
        if (strcmp(mode, "notify-send") == 0 && argc == 2)
                do_notify_send(argv[1]);
        if (strcmp(mode, "notify-flood") == 0 && argc == 3)
                do_notify_flood(parse_long(argv[1]), parse_seconds(argv[2]), false);
        if (strcmp(mode, "fd-flood") == 0 && argc == 3)
                do_notify_flood(parse_long(argv[1]), parse_seconds(argv[2]), true);
        if (strcmp(mode, "crash-after") == 0 && argc == 3) {
                sleep_seconds(parse_seconds(argv[1]));
                exit((int) parse_long(argv[2]));
        }
        usage();
}

int main(int argc, char **argv) {
        argc = strip_marker(argc, argv);
        if (argc < 2)
                usage();
        run_mode(argc - 1, argv + 1);
}
