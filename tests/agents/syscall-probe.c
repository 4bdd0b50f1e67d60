/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Attempts one named syscall and reports "NAME: ok" or "NAME: errno=ENAME"
 * on stdout and, with --out FILE, appended to FILE; exits 0 either way. If
 * the seccomp policy kills it, the test sees the signal instead.
 *
 * The arguments are chosen so that a syscall the filter lets through gets a
 * harmless answer from the kernel that differs from the filter's (ENOENT,
 * EFAULT, EBADF, EINVAL, ENOTTY, ESRCH, ENODEV, or success), wherever the
 * kernel checks something before privilege. Built without sanitizers: their
 * runtimes make syscalls of their own that the policies refuse. */

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static const char *out_path;
static const char *extra_arg;

/* The outcome of one attempt: 0 for success or a positive errno. */
typedef int (*Attempt)(void);

static int result_of(long r) {
        return r < 0 ? errno : 0;
}

static int try_mount(void) {
        /* The target is looked up before CAP_SYS_ADMIN is checked. */
        return result_of(mount("none", "/nonexistent/agentvisor-probe", "tmpfs", 0, NULL));
}

static int try_unshare_user(void) {
        return result_of(unshare(CLONE_NEWUSER));
}

static int try_setns(void) {
        return result_of(setns(-1, 0));
}

static int try_ptrace(void) {
        /* We are nobody's tracee: ESRCH when the filter lets it through. */
        return result_of(syscall(SYS_ptrace, 3 /* PTRACE_PEEKUSER */, getpid(), 0L, 0L));
}

static int try_keyctl(void) {
        return result_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0L));
}

static int try_add_key(void) {
        /* An unknown key type: ENODEV when allowed. */
        return result_of(syscall(SYS_add_key, "agentvisor-probe", "probe", "x", 1L, KEY_SPEC_PROCESS_KEYRING));
}

static int try_bpf(void) {
        /* An unknown command: EINVAL when allowed. */
        return result_of(syscall(SYS_bpf, 0xffff, NULL, 0L));
}

static int try_perf_event_open(void) {
        /* The attribute is copied in first: EFAULT when allowed. */
        return result_of(syscall(SYS_perf_event_open, NULL, 0L, -1L, -1L, 0L));
}

static int try_io_uring_setup(void) {
        return result_of(syscall(SYS_io_uring_setup, 0L, NULL));
}

static int try_userfaultfd(void) {
        long fd = syscall(SYS_userfaultfd, (long) (UFFD_USER_MODE_ONLY | O_CLOEXEC));

        if (fd >= 0)
                close((int) fd);
        return result_of(fd);
}

static int try_kexec_load(void) {
        return result_of(syscall(SYS_kexec_load, 0L, 0L, NULL, ~0UL));
}

static int try_init_module(void) {
        return result_of(syscall(SYS_init_module, NULL, 0L, ""));
}

static int try_open_by_handle_at(void) {
        return result_of(syscall(SYS_open_by_handle_at, -1L, NULL, 0L));
}

static int try_personality(void) {
        return result_of(personality(PER_LINUX32));
}

static int try_tiocsti(void) {
        char c = 'x';

        /* stdin is /dev/null: ENOTTY when allowed. */
        return result_of(ioctl(0, TIOCSTI, &c));
}

static int try_tiocsti_high(void) {
        char c = 'x';

        /* The kernel truncates the request to 32 bits; a filter must too. */
        return result_of(syscall(SYS_ioctl, 0L, (unsigned long) TIOCSTI | (1UL << 32), &c));
}

static int try_tioclinux(void) {
        char c = 0;

        return result_of(ioctl(0, TIOCLINUX, &c));
}

static int try_tiocsetd(void) {
        int ldisc = 0;

        /* A line discipline change; upper bits set, which the kernel drops.
         * stdin is /dev/null: ENOTTY when allowed. */
        return result_of(syscall(SYS_ioctl, 0L, (unsigned long) TIOCSETD | (1UL << 32), &ldisc));
}

static int try_socket(int family, int type) {
        int fd = socket(family, type | SOCK_CLOEXEC, 0);

        if (fd >= 0)
                close(fd);
        return result_of(fd);
}

/* Unfiltered, AF_PACKET gives EPERM to non-root and a socket to root. */
static int try_socket_packet(void) {
        return try_socket(AF_PACKET, SOCK_DGRAM);
}

static int try_socket_netlink(void) {
        return try_socket(AF_NETLINK, SOCK_RAW);
}

/* The kernel turns AF_INET with SOCK_PACKET into an AF_PACKET socket:
 * unfiltered, root gets one and others EPERM. */
static int try_socket_inet_packet(void) {
        return try_socket(AF_INET, SOCK_PACKET);
}

/* A netlink protocol other than NETLINK_ROUTE: unfiltered, a socket (or
 * EPROTONOSUPPORT on a kernel without audit). */
static int try_socket_netlink_audit(void) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9 /* NETLINK_AUDIT */);

        if (fd >= 0)
                close(fd);
        return result_of(fd);
}

static int try_x32(void) {
        /* getpid through the x32 ABI. */
        return result_of(syscall(0x40000000L | 39L));
}

static int try_int80(void) {
#if defined(__x86_64__)
        long ret;

        /* getpid (20) through the i386 entry point. */
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
        if (ret < 0 && ret > -4096) {
                errno = (int) -ret;
                return errno;
        }
        return 0;
#else
        return ENOSYS;
#endif
}

static int try_swapon(void) {
        return result_of(swapon("/nonexistent/agentvisor-probe", 0));
}

static int try_reboot(void) {
        /* Bad magic numbers: EINVAL from a privileged caller when allowed. */
        return result_of(syscall(SYS_reboot, 0L, 0L, 0L, NULL));
}

static int try_clock_settime(void) {
        /* The time is copied in first: EFAULT when allowed. */
        return result_of(syscall(SYS_clock_settime, (long) CLOCK_REALTIME, NULL));
}

static int try_chroot(void) {
        return result_of(chroot("/nonexistent/agentvisor-probe"));
}

static int try_sys1000(void) {
        return result_of(syscall(1000L));
}

static int try_sys_minus1(void) {
        /* Number 0xffffffff: has the x32 bit, yet is no x32 call. */
        return result_of(syscall(-1L));
}

static int try_sys_minus2(void) {
        /* Negative, with the x32 bit, yet no x32 call: the kernel says ENOSYS. */
        return result_of(syscall(-2L));
}

static int try_sys_bit31(void) {
        return result_of(syscall((long) (int) 0x80000000U));
}

static int try_sys_7fffffff(void) {
        /* The x32 bit, but far above any x32 syscall: ENOSYS from the kernel. */
        return result_of(syscall(0x7fffffffL));
}

static int try_file_io(void) {
        char dir[4096] = "/tmp", path[4200], buf[16] = "";
        const char *slash;
        int fd, r = 0;

        if (out_path && (slash = strrchr(out_path, '/')) && slash != out_path)
                snprintf(dir, sizeof(dir), "%.*s", (int) (slash - out_path), out_path);
        snprintf(path, sizeof(path), "%s/syscall-probe.XXXXXX", dir);
        fd = mkstemp(path);
        if (fd < 0)
                return errno;
        if (write(fd, "probe", 5) != 5 || lseek(fd, 0, SEEK_SET) != 0 || read(fd, buf, 5) != 5)
                r = errno ? errno : EIO;
        else if (memcmp(buf, "probe", 5) != 0)
                r = EIO;
        close(fd);
        if (unlink(path) < 0 && r == 0)
                r = errno;
        return r;
}

static void *thread_main(void *arg) {
        *(int *) arg = 42;
        return NULL;
}

static int try_threads(void) {
        pthread_t t;
        int value = 0, r;

        r = pthread_create(&t, NULL, thread_main, &value);
        if (r != 0)
                return r;
        r = pthread_join(t, NULL);
        if (r != 0)
                return r;
        return value == 42 ? 0 : EIO;
}

static int wait_child(pid_t pid, int expect) {
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == expect ? 0 : ECHILD;
}

static int try_fork_child(void) {
        pid_t pid = fork();

        if (pid < 0)
                return errno;
        if (pid == 0)
                _exit(7);
        return wait_child(pid, 7);
}

static int try_tcp_loopback(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        long port;
        int fd, r = 0;

        if (!extra_arg)
                return EINVAL;
        port = strtol(extra_arg, NULL, 10);
        if (port <= 0 || port > 65535)
                return EINVAL;
        sa.sin_port = htons((uint16_t) port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                r = errno;
        close(fd);
        return r;
}

static int try_clone_newuser(void) {
        long pid = syscall(SYS_clone, (long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0L);

        if (pid < 0)
                return errno;
        if (pid == 0)
                _exit(0);
        return wait_child((pid_t) pid, 0);
}

static int try_clone3(void) {
        /* struct clone_args, first version: flags, pidfd, child_tid,
         * parent_tid, exit_signal, stack, stack_size, tls. */
        uint64_t args[8] = { [4] = SIGCHLD };
        long pid = syscall(SYS_clone3, args, sizeof(args));

        if (pid < 0)
                return errno;
        if (pid == 0)
                _exit(0);
        return wait_child((pid_t) pid, 0);
}

static const struct {
        const char *name;
        Attempt attempt;
} attempts[] = {
        { "mount", try_mount },
        { "unshare-user", try_unshare_user },
        { "setns", try_setns },
        { "ptrace", try_ptrace },
        { "keyctl", try_keyctl },
        { "add_key", try_add_key },
        { "bpf", try_bpf },
        { "perf_event_open", try_perf_event_open },
        { "io_uring_setup", try_io_uring_setup },
        { "userfaultfd", try_userfaultfd },
        { "kexec_load", try_kexec_load },
        { "init_module", try_init_module },
        { "open_by_handle_at", try_open_by_handle_at },
        { "personality", try_personality },
        { "ioctl-tiocsti", try_tiocsti },
        { "ioctl-tiocsti-high", try_tiocsti_high },
        { "tioclinux", try_tioclinux },
        { "ioctl-tiocsetd", try_tiocsetd },
        { "socket-packet", try_socket_packet },
        { "socket-netlink", try_socket_netlink },
        { "socket-inet-packet", try_socket_inet_packet },
        { "socket-netlink-audit", try_socket_netlink_audit },
        { "x32", try_x32 },
        { "int80", try_int80 },
        { "swapon", try_swapon },
        { "reboot", try_reboot },
        { "clock_settime", try_clock_settime },
        { "chroot", try_chroot },
        { "sys1000", try_sys1000 },
        { "sys-minus1", try_sys_minus1 },
        { "sys-minus2", try_sys_minus2 },
        { "sys-bit31", try_sys_bit31 },
        { "sys-7fffffff", try_sys_7fffffff },
        { "file-io", try_file_io },
        { "threads", try_threads },
        { "fork-child", try_fork_child },
        { "tcp-loopback", try_tcp_loopback },
        { "clone-newuser", try_clone_newuser },
        { "clone3", try_clone3 },
};

static _Noreturn void usage(void) {
        fputs("usage: syscall-probe [--out FILE] [--repeat N] NAME [ARG]\nnames:", stderr);
        for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++)
                fprintf(stderr, " %s", attempts[i].name);
        fputc('\n', stderr);
        exit(64);
}

static void report(const char *name, int err) {
        char line[256];
        const char *ename = err ? strerrorname_np(err) : NULL;

        if (err == 0)
                snprintf(line, sizeof(line), "%s: ok\n", name);
        else if (ename)
                snprintf(line, sizeof(line), "%s: errno=%s\n", name, ename);
        else
                snprintf(line, sizeof(line), "%s: errno=%d\n", name, err);

        fputs(line, stdout);
        fflush(stdout);
        if (out_path) {
                int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);

                if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t) strlen(line)) {
                        fprintf(stderr, "syscall-probe: %s: %s\n", out_path, strerror(errno));
                        exit(75);
                }
                close(fd);
        }
}

int main(int argc, char **argv) {
        unsigned long repeat = 1;
        int i = 1;

        if (argc >= 3 && strcmp(argv[1], "--out") == 0) {
                out_path = argv[2];
                i = 3;
        }
        /* --repeat N: N attempts (at most 100000), the last one reported. */
        if (argc - i >= 2 && strcmp(argv[i], "--repeat") == 0) {
                repeat = strtoul(argv[i + 1], NULL, 10);
                if (repeat == 0 || repeat > 100000)
                        usage();
                i += 2;
        }
        if (argc - i < 1 || argc - i > 2)
                usage();
        if (argc - i == 2)
                extra_arg = argv[i + 1];

        for (size_t k = 0; k < sizeof(attempts) / sizeof(attempts[0]); k++)
                if (strcmp(attempts[k].name, argv[i]) == 0) {
                        int err = 0;

                        for (unsigned long n = 0; n < repeat; n++) {
                                errno = 0;
                                err = attempts[k].attempt();
                        }
                        report(argv[i], err);
                        return 0;
                }
        usage();
}
