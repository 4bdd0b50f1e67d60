/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The native syscall table (names and numbers from libseccomp, read once per
 * process) and which syscall arguments the kernel takes as 32- or 16-bit
 * values. */
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

/* libseccomp knows no native numbers above this on x86-64 or aarch64; what it
 * does not name is "unknown" to the compiler and answers ENOSYS. */
#define SYSCALL_SCAN_MAX 1024

/* How wide each argument is for the kernel, one character per argument:
 * 'i' for 32 bits, 'm' for 16 bits, '.' (or nothing) for all 64.
 *
 * On 64-bit architectures a syscall's SYSCALL_DEFINE wrapper converts each
 * register to the declared type, so the kernel never sees the upper half of
 * an int, unsigned int, pid_t, uid_t, gid_t, clockid_t, key_serial_t,
 * mqd_t, timer_t, qid_t, rwf_t or u32 argument, nor more than the low 16 bits
 * of a umode_t. A filter comparing the whole register could be bypassed by
 * setting the bits the kernel drops (`ioctl(fd, TIOCSTI | 1UL << 32)` would
 * slip past `arg1 == TIOCSTI`), so the filter drops them too.
 *
 * A few unsigned long arguments are narrowed by the kernel itself and are
 * listed as 32-bit here as well: clone's flags (kernel_clone_args takes
 * lower_32_bits() of them), file descriptors declared unsigned long (fdget
 * takes an unsigned int), and mmap's prot and flags, whose upper halves do
 * not exist as flags and are ignored by do_mmap(). mprotect's prot is listed
 * too: the kernel refuses upper bits there (EINVAL), so comparing only the
 * low half cannot let anything through that the kernel would run.
 *
 * Every other argument is compared on all 64 bits: pointers, sizes and
 * offsets, and flags that the kernel checks on all 64 bits and refuses
 * unknown bits of (unshare, mremap, mseal, pkey_alloc; ptrace requests are
 * long). Listed in agentvisor.policy(5). */
static const struct {
        const char *name;
        const char *args;
} arg_widths[] = {
        /* files and descriptors */
        { "read", "i" },
        { "write", "i" },
        { "open", ".im" },
        { "openat", "i.im" },
        { "openat2", "i" },
        { "creat", ".m" },
        { "close", "i" },
        { "close_range", "iii" },
        { "fstat", "i" },
        { "newfstatat", "i..i" },
        { "statx", "i.ii" },
        { "fstatfs", "i" },
        { "lseek", "i.i" },
        { "pread64", "i" },
        { "pwrite64", "i" },
        { "readv", "i" },
        { "writev", "i" },
        { "preadv", "i" },
        { "pwritev", "i" },
        { "preadv2", "i....i" },
        { "pwritev2", "i....i" },
        { "sendfile", "ii" },
        { "ioctl", "ii" },
        { "fcntl", "ii" },
        { "flock", "ii" },
        { "fsync", "i" },
        { "fdatasync", "i" },
        { "syncfs", "i" },
        { "sync_file_range", "i..i" },
        { "ftruncate", "i" },
        { "fallocate", "ii" },
        { "fadvise64", "i..i" },
        { "readahead", "i" },
        { "getdents", "i.i" },
        { "getdents64", "i.i" },
        { "fchdir", "i" },
        { "dup", "i" },
        { "dup2", "ii" },
        { "dup3", "iii" },
        { "pipe2", ".i" },
        { "access", ".i" },
        { "faccessat", "i.i" },
        { "faccessat2", "i.ii" },
        { "readlink", "..i" },
        { "readlinkat", "i..i" },
        { "mkdir", ".m" },
        { "mkdirat", "i.m" },
        { "mknod", ".mi" },
        { "mknodat", "i.mi" },
        { "unlinkat", "i.i" },
        { "renameat", "i.i" },
        { "renameat2", "i.i.i" },
        { "linkat", "i.i.i" },
        { "symlinkat", ".i" },
        { "chmod", ".m" },
        { "fchmod", "im" },
        { "fchmodat", "i.m" },
        { "fchmodat2", "i.mi" },
        { "chown", ".ii" },
        { "lchown", ".ii" },
        { "fchown", "iii" },
        { "fchownat", "i.iii" },
        { "umask", "i" },
        { "utimensat", "i..i" },
        { "futimesat", "i" },
        { "setxattr", "....i" },
        { "lsetxattr", "....i" },
        { "fsetxattr", "i...i" },
        { "fgetxattr", "i" },
        { "flistxattr", "i" },
        { "fremovexattr", "i" },
        { "setxattrat", "i.i" },
        { "getxattrat", "i.i" },
        { "listxattrat", "i.i" },
        { "removexattrat", "i.i" },
        { "file_getattr", "i...i" },
        { "file_setattr", "i...i" },
        { "name_to_handle_at", "i...i" },
        { "open_by_handle_at", "i.i" },
        { "splice", "i.i..i" },
        { "tee", "ii.i" },
        { "vmsplice", "i..i" },
        { "copy_file_range", "i.i..i" },
        { "cachestat", "i..i" },
        { "memfd_create", ".i" },
        { "memfd_secret", "i" },
        { "inotify_init1", "i" },
        { "inotify_add_watch", "i.i" },
        { "inotify_rm_watch", "ii" },
        { "fanotify_init", "ii" },
        { "fanotify_mark", "ii.i" },

        /* polling, events, timers, clocks */
        { "poll", ".ii" },
        { "ppoll", ".i" },
        { "select", "i" },
        { "pselect6", "i" },
        { "epoll_create", "i" },
        { "epoll_create1", "i" },
        { "epoll_ctl", "iii" },
        { "epoll_wait", "i.ii" },
        { "epoll_pwait", "i.ii" },
        { "epoll_pwait2", "i.i" },
        { "eventfd", "i" },
        { "eventfd2", "ii" },
        { "signalfd", "i" },
        { "signalfd4", "i..i" },
        { "timerfd_create", "ii" },
        { "timerfd_settime", "ii" },
        { "timerfd_gettime", "i" },
        { "alarm", "i" },
        { "getitimer", "i" },
        { "setitimer", "i" },
        { "timer_create", "i" },
        { "timer_settime", "ii" },
        { "timer_gettime", "i" },
        { "timer_getoverrun", "i" },
        { "timer_delete", "i" },
        { "clock_settime", "i" },
        { "clock_gettime", "i" },
        { "clock_getres", "i" },
        { "clock_nanosleep", "ii" },
        { "clock_adjtime", "i" },

        /* memory */
        { "mmap", "..iii" },            /* prot, flags, fd */
        { "mprotect", "..i" },          /* prot */
        { "pkey_mprotect", "..ii" },    /* prot, pkey */
        { "pkey_free", "i" },
        { "msync", "..i" },
        { "madvise", "..i" },
        { "mlock2", "..i" },
        { "mlockall", "i" },
        { "mbind", "..i..i" },          /* mode: the kernel keeps `int lmode = mode` */
        { "set_mempolicy", "i" },
        { "migrate_pages", "i" },
        { "move_pages", "i....i" },
        { "map_shadow_stack", "..i" },
        { "process_madvise", "i..ii" },
        { "process_mrelease", "ii" },

        /* processes, threads, signals */
        { "clone", "i" },               /* flags: lower_32_bits() in the kernel */
        { "exit", "i" },
        { "exit_group", "i" },
        { "wait4", "i.i" },
        { "waitid", "ii.i" },
        { "execveat", "i...i" },
        { "kill", "ii" },
        { "tkill", "ii" },
        { "tgkill", "iii" },
        { "rt_sigqueueinfo", "ii" },
        { "rt_tgsigqueueinfo", "iii" },
        { "rt_sigaction", "i" },
        { "rt_sigprocmask", "i" },
        { "pidfd_open", "ii" },
        { "pidfd_send_signal", "ii.i" },
        { "pidfd_getfd", "iii" },
        { "futex", ".ii..i" },
        { "futex_waitv", ".ii.i" },
        { "futex_wake", "..ii" },
        { "futex_wait", "...i.i" },
        { "futex_requeue", ".iii" },
        { "get_robust_list", "i" },
        { "rseq", ".iii" },
        { "membarrier", "iii" },
        { "personality", "i" },
        { "prctl", "i" },
        { "arch_prctl", "i" },
        { "seccomp", "ii" },
        { "setns", "ii" },
        { "setpgid", "ii" },
        { "getpgid", "i" },
        { "getsid", "i" },
        { "setuid", "i" },
        { "setgid", "i" },
        { "setfsuid", "i" },
        { "setfsgid", "i" },
        { "setreuid", "ii" },
        { "setregid", "ii" },
        { "setresuid", "iii" },
        { "setresgid", "iii" },
        { "getgroups", "i" },
        { "setgroups", "i" },
        { "getrlimit", "i" },
        { "setrlimit", "i" },
        { "prlimit64", "ii" },
        { "getrusage", "i" },
        { "getpriority", "ii" },
        { "setpriority", "iii" },
        { "ioprio_get", "ii" },
        { "ioprio_set", "iii" },
        { "sched_setparam", "i" },
        { "sched_getparam", "i" },
        { "sched_setscheduler", "ii" },
        { "sched_getscheduler", "i" },
        { "sched_get_priority_max", "i" },
        { "sched_get_priority_min", "i" },
        { "sched_rr_get_interval", "i" },
        { "sched_setaffinity", "ii" },
        { "sched_getaffinity", "ii" },
        { "sched_setattr", "i.i" },
        { "sched_getattr", "i.ii" },
        { "ptrace", ".i" },             /* pid; the request is a long */
        { "process_vm_readv", "i" },
        { "process_vm_writev", "i" },
        { "kcmp", "iii" },
        { "perf_event_open", ".iii" },
        { "landlock_create_ruleset", "..i" },
        { "landlock_add_rule", "ii.i" },
        { "landlock_restrict_self", "ii" },
        { "lsm_get_self_attr", "i..i" },
        { "lsm_set_self_attr", "i.ii" },
        { "lsm_list_modules", "..i" },

        /* sockets */
        { "socket", "iii" },
        { "socketpair", "iii" },
        { "bind", "i.i" },
        { "connect", "i.i" },
        { "listen", "ii" },
        { "accept", "i" },
        { "accept4", "i..i" },
        { "getsockname", "i" },
        { "getpeername", "i" },
        { "setsockopt", "iii.i" },
        { "getsockopt", "iii" },
        { "sendto", "i..i.i" },
        { "recvfrom", "i..i" },
        { "sendmsg", "i.i" },
        { "recvmsg", "i.i" },
        { "sendmmsg", "i.ii" },
        { "recvmmsg", "i.ii" },
        { "shutdown", "ii" },

        /* IPC */
        { "shmget", "i.i" },
        { "shmat", "i.i" },
        { "shmctl", "ii" },
        { "semget", "iii" },
        { "semop", "i.i" },
        { "semtimedop", "i.i" },
        { "semctl", "iii" },
        { "msgget", "ii" },
        { "msgsnd", "i..i" },
        { "msgrcv", "i...i" },
        { "msgctl", "ii" },
        { "mq_open", ".im" },
        { "mq_timedsend", "i..i" },
        { "mq_timedreceive", "i" },
        { "mq_notify", "i" },
        { "mq_getsetattr", "i" },

        /* the system */
        { "mount", "...i" },            /* flags: every MS_* is in the low half */
        { "umount2", ".i" },
        { "open_tree", "i.i" },
        { "open_tree_attr", "i.i" },
        { "move_mount", "i.i.i" },
        { "fsopen", ".i" },
        { "fsconfig", "ii..i" },
        { "fsmount", "iii" },
        { "fspick", "i.i" },
        { "mount_setattr", "i.i" },
        { "statmount", "...i" },
        { "listmount", "...i" },
        { "swapon", ".i" },
        { "reboot", "iii" },
        { "sethostname", ".i" },
        { "setdomainname", ".i" },
        { "syslog", "i.i" },
        { "sysfs", "i" },
        { "getrandom", "..i" },         /* flags */
        { "ustat", "i" },
        { "quotactl", "i.i" },
        { "quotactl_fd", "iii" },
        { "delete_module", ".i" },
        { "finit_module", "i.i" },
        { "kexec_file_load", "ii" },
        { "bpf", "i.i" },
        { "keyctl", "i" },
        { "add_key", "....i" },
        { "request_key", "...i" },
        { "userfaultfd", "i" },
        { "iopl", "i" },
        { "ioperm", "..i" },
        { "modify_ldt", "i" },
        { "io_setup", "i" },
        { "io_uring_setup", "i" },
        { "io_uring_enter", "iiii" },
        { "io_uring_register", "ii.i" },
};

static SyscallTable table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_build(void) {
        static const char *names[SYSCALL_SCAN_MAX];
        static uint8_t arg32[SYSCALL_SCAN_MAX], arg16[SYSCALL_SCAN_MAX];

        table.audit_arch = seccomp_arch_native();
        table.max_nr = -1;
        for (int nr = 0; nr < SYSCALL_SCAN_MAX; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(table.audit_arch, nr);

                /* Kept for the life of the process: the table is shared. */
                names[nr] = name;
                if (name)
                        table.max_nr = nr;
        }
        for (size_t i = 0; i < ELEMENTSOF(arg_widths); i++) {
                int nr = seccomp_syscall_resolve_name(arg_widths[i].name);

                if (nr < 0 || nr >= SYSCALL_SCAN_MAX)
                        continue;       /* not on this architecture */
                for (unsigned a = 0; a < POLICY_ARGS_MAX && arg_widths[i].args[a]; a++) {
                        /* 16 bits are within 32: both bits set. */
                        if (arg_widths[i].args[a] == 'i' || arg_widths[i].args[a] == 'm')
                                arg32[nr] |= 1U << a;
                        if (arg_widths[i].args[a] == 'm')
                                arg16[nr] |= 1U << a;
                }
        }
        table.names = names;
        table.arg32 = arg32;
        table.arg16 = arg16;
}

const char *syscall_arg_widths(size_t i, const char **ret_name) {
        if (i >= ELEMENTSOF(arg_widths))
                return NULL;
        *ret_name = arg_widths[i].name;
        return arg_widths[i].args;
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
