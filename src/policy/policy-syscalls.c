/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The native syscall table (names and numbers from libseccomp, read once per
 * process) and which syscall arguments the kernel takes as 32-bit values. */
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

/* libseccomp knows no native numbers above this on x86-64 or aarch64; what it
 * does not name is "unknown" to the compiler and answers ENOSYS. */
#define SYSCALL_SCAN_MAX 1024

/* Arguments the kernel declares as int/unsigned int (or pid_t, uid_t, ...).
 * On 64-bit architectures the upper half of the register is ignored by the
 * syscall, so a filter must ignore it too or `ioctl(fd, TIOCSTI | 1UL << 32)`
 * would slip past `arg1 == TIOCSTI`. Every other argument compares on all 64
 * bits (clone and unshare flags, mmap/mprotect flags, ptrace requests,
 * mount flags are unsigned long). Listed in agentvisor.policy(5). */
static const struct {
        const char *name;
        uint8_t args;   /* bit N: argN is 32-bit */
} arg32_table[] = {
        { "ioctl", 0x03 },              /* fd, request */
        { "fcntl", 0x03 },              /* fd, cmd */
        { "socket", 0x07 },             /* family, type, protocol */
        { "socketpair", 0x07 },         /* family, type, protocol */
        { "setsockopt", 0x17 },         /* fd, level, optname, optlen */
        { "getsockopt", 0x07 },         /* fd, level, optname */
        { "bind", 0x05 },               /* fd, addrlen */
        { "connect", 0x05 },            /* fd, addrlen */
        { "listen", 0x03 },             /* fd, backlog */
        { "accept4", 0x09 },            /* fd, flags */
        { "sendto", 0x29 },             /* fd, flags, addrlen */
        { "recvfrom", 0x09 },           /* fd, flags */
        { "sendmsg", 0x05 },            /* fd, flags */
        { "recvmsg", 0x05 },            /* fd, flags */
        { "shutdown", 0x03 },           /* fd, how */
        { "personality", 0x01 },        /* persona */
        { "prctl", 0x01 },              /* option */
        { "arch_prctl", 0x01 },         /* option */
        { "setns", 0x03 },              /* fd, nstype */
        { "kill", 0x03 },               /* pid, sig */
        { "tkill", 0x03 },              /* tid, sig */
        { "tgkill", 0x07 },             /* tgid, tid, sig */
        { "rt_sigqueueinfo", 0x03 },    /* pid, sig */
        { "pidfd_send_signal", 0x0b },  /* pidfd, sig, flags */
        { "pidfd_open", 0x03 },         /* pid, flags */
        { "madvise", 0x04 },            /* advice */
        { "mlock2", 0x04 },             /* flags */
        { "mlockall", 0x01 },           /* flags */
        { "open", 0x06 },               /* flags, mode */
        { "openat", 0x0d },             /* dirfd, flags, mode */
        { "creat", 0x02 },              /* mode */
        { "umount2", 0x02 },            /* flags */
        { "reboot", 0x07 },             /* magic, magic2, cmd */
        { "bpf", 0x05 },                /* cmd, size */
        { "seccomp", 0x03 },            /* operation, flags */
        { "keyctl", 0x01 },             /* operation */
        { "setuid", 0x01 },
        { "setgid", 0x01 },
        { "setfsuid", 0x01 },
        { "setfsgid", 0x01 },
        { "setreuid", 0x03 },
        { "setregid", 0x03 },
        { "setresuid", 0x07 },
        { "setresgid", 0x07 },
        { "chmod", 0x02 },              /* mode */
        { "fchmod", 0x03 },             /* fd, mode */
        { "fchmodat", 0x05 },           /* dirfd, mode */
        { "chown", 0x06 },              /* uid, gid */
        { "lchown", 0x06 },             /* uid, gid */
        { "fchown", 0x07 },             /* fd, uid, gid */
        { "fchownat", 0x1d },           /* dirfd, uid, gid, flags */
        { "dup2", 0x03 },
        { "dup3", 0x07 },
        { "close", 0x01 },
        { "setpriority", 0x07 },        /* which, who, prio */
        { "getpriority", 0x03 },        /* which, who */
        { "sched_setscheduler", 0x03 }, /* pid, policy */
        { "ioprio_set", 0x07 },         /* which, who, ioprio */
        { "memfd_create", 0x02 },       /* flags */
        { "pipe2", 0x02 },              /* flags */
        { "eventfd2", 0x03 },           /* initval, flags */
        { "epoll_create1", 0x01 },      /* flags */
        { "inotify_init1", 0x01 },      /* flags */
        { "timerfd_create", 0x03 },     /* clockid, flags */
        { "getrandom", 0x04 },          /* flags */
        { "perf_event_open", 0x0e },    /* pid, cpu, group_fd */
        { "process_vm_readv", 0x01 },   /* pid */
        { "process_vm_writev", 0x01 },  /* pid */
        { "kcmp", 0x07 },               /* pid1, pid2, type */
        { "finit_module", 0x05 },       /* fd, flags */
        { "userfaultfd", 0x01 },        /* flags */
        { "wait4", 0x05 },              /* pid, options */
        { "waitid", 0x0b },             /* idtype, id, options */
        { "execveat", 0x11 },           /* dirfd, flags */
        { "flock", 0x03 },              /* fd, operation */
        { "lseek", 0x05 },              /* fd, whence */
        { "umask", 0x01 },
        { "setpgid", 0x03 },
        { "quotactl", 0x05 },           /* cmd, id */
        { "syslog", 0x05 },             /* type, len */
        { "swapon", 0x02 },             /* flags */
        { "io_uring_setup", 0x01 },     /* entries */
        { "io_uring_enter", 0x0f },     /* fd, to_submit, min_complete, flags */
        { "open_tree", 0x05 },          /* dirfd, flags */
        { "fsopen", 0x02 },             /* flags */
        { "fsmount", 0x07 },            /* fs_fd, flags, attr_flags */
};

static SyscallTable table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_build(void) {
        static const char *names[SYSCALL_SCAN_MAX];
        static uint8_t arg32[SYSCALL_SCAN_MAX];

        table.audit_arch = seccomp_arch_native();
        table.max_nr = -1;
        for (int nr = 0; nr < SYSCALL_SCAN_MAX; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(table.audit_arch, nr);

                /* Kept for the life of the process: the table is shared. */
                names[nr] = name;
                if (name)
                        table.max_nr = nr;
        }
        for (size_t i = 0; i < ELEMENTSOF(arg32_table); i++) {
                int nr = seccomp_syscall_resolve_name(arg32_table[i].name);

                if (nr >= 0 && nr < SYSCALL_SCAN_MAX)
                        arg32[nr] = arg32_table[i].args;
        }
        table.names = names;
        table.arg32 = arg32;
}

const SyscallTable *syscall_table_get(void) {
        (void) pthread_once(&table_once, table_build);
        return &table;
}

int syscall_resolve(const char *name) {
        const SyscallTable *t = syscall_table_get();
        int nr = seccomp_syscall_resolve_name(name);

        if (nr == __NR_SCMP_ERROR)
                return -ENOENT;
        if (nr < 0)
                return -EPROTONOSUPPORT;
        /* A number outside the scanned table would make the filter disagree
         * with the table; treat it as unknown rather than half-known. */
        if (nr > t->max_nr || !t->names[nr])
                return -ENOENT;
        return nr;
}

const char *syscall_native_arch_name(void) {
#if defined(__x86_64__)
        return "x86-64";
#elif defined(__aarch64__)
        return "aarch64";
#else
        return "this architecture";
#endif
}
