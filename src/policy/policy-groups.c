/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syscall groups (@basic-io, @privileged, ...): this project's own
 * lists, written from what each syscall does in the kernel, naming x86-64 and
 * aarch64 syscalls alike. Members that do not exist on the native
 * architecture are left out when the group is resolved. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

typedef struct GroupDef {
        const char *name;
        const char *members;    /* space separated; "@x" pulls in another group */
} GroupDef;

static const GroupDef group_defs[] = {
        { "@aio",
          "io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents "
          "io_uring_setup io_uring_enter io_uring_register" },
        { "@basic-io",
          "read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 "
          "lseek close close_range dup dup2 dup3 ioctl fcntl sendfile" },
        { "@clock",
          "adjtimex clock_adjtime clock_settime settimeofday" },
        { "@cpu-emulation",
          "modify_ldt" },
        { "@debug",
          "ptrace process_vm_readv process_vm_writev perf_event_open kcmp pidfd_getfd "
          "process_madvise" },
        { "@file-system",
          "open openat openat2 creat access faccessat faccessat2 stat lstat fstat newfstatat "
          "statx statfs fstatfs getdents getdents64 getcwd chdir fchdir mkdir mkdirat rmdir "
          "unlink unlinkat rename renameat renameat2 link linkat symlink symlinkat readlink "
          "readlinkat chmod fchmod fchmodat fchmodat2 chown fchown fchownat lchown truncate "
          "ftruncate fallocate utime utimes utimensat futimesat mknod mknodat umask flock "
          "fadvise64 readahead copy_file_range cachestat name_to_handle_at inotify_init "
          "inotify_init1 inotify_add_watch inotify_rm_watch fanotify_mark getxattr lgetxattr "
          "fgetxattr listxattr llistxattr flistxattr setxattr lsetxattr fsetxattr removexattr "
          "lremovexattr fremovexattr" },
        { "@io-event",
          "poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_wait "
          "epoll_pwait epoll_pwait2 eventfd eventfd2" },
        { "@ipc",
          "pipe pipe2 splice tee vmsplice memfd_create msgget msgsnd msgrcv msgctl semget "
          "semop semtimedop semctl shmget shmat shmdt shmctl mq_open mq_unlink mq_timedsend "
          "mq_timedreceive mq_notify mq_getsetattr" },
        { "@keyring",
          "add_key request_key keyctl" },
        { "@memlock",
          "mlock mlock2 munlock mlockall munlockall" },
        { "@memory",
          "brk mmap munmap mremap mprotect madvise mincore pkey_alloc pkey_free pkey_mprotect "
          "memfd_secret map_shadow_stack" },
        { "@module",
          "init_module finit_module delete_module" },
        { "@mount",
          "mount umount2 pivot_root chroot fsopen fsconfig fsmount fspick move_mount "
          "open_tree mount_setattr" },
        { "@namespace",
          "unshare setns" },
        { "@network-io",
          "socket socketpair bind listen accept accept4 connect shutdown getsockname "
          "getpeername getsockopt setsockopt sendto recvfrom sendmsg recvmsg sendmmsg "
          "recvmmsg" },
        { "@obsolete",
          "_sysctl uselib ustat sysfs create_module get_kernel_syms query_module nfsservctl "
          "getpmsg putpmsg afs_syscall tuxcall security vserver epoll_ctl_old epoll_wait_old "
          "remap_file_pages lookup_dcookie" },
        { "@privileged",
          "@clock @module @mount @raw-io @reboot @swap acct bpf capset setuid setgid setreuid "
          "setregid setresuid setresgid setfsuid setfsgid setgroups sethostname setdomainname "
          "quotactl quotactl_fd vhangup open_by_handle_at fanotify_init syslog" },
        { "@process",
          "fork vfork clone clone3 execve execveat exit exit_group wait4 waitid getpid "
          "getppid gettid getpgid setpgid getpgrp getsid setsid getuid geteuid getgid getegid "
          "getresuid getresgid getgroups capget prctl arch_prctl set_tid_address "
          "set_robust_list get_robust_list futex futex_waitv futex_wake futex_wait "
          "futex_requeue rseq membarrier times getrusage pidfd_open process_mrelease seccomp "
          "landlock_create_ruleset landlock_add_rule landlock_restrict_self" },
        { "@raw-io",
          "ioperm iopl" },
        { "@reboot",
          "reboot kexec_load kexec_file_load" },
        { "@resources",
          "getrlimit setrlimit prlimit64 getpriority setpriority sched_yield sched_setparam "
          "sched_getparam sched_setscheduler sched_getscheduler sched_get_priority_max "
          "sched_get_priority_min sched_rr_get_interval sched_setaffinity sched_getaffinity "
          "sched_setattr sched_getattr ioprio_get ioprio_set mbind set_mempolicy "
          "get_mempolicy set_mempolicy_home_node migrate_pages move_pages" },
        { "@signal",
          "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending "
          "rt_sigtimedwait rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack signalfd signalfd4 "
          "kill tkill tgkill pidfd_send_signal pause restart_syscall" },
        { "@swap",
          "swapon swapoff" },
        { "@sync",
          "fsync fdatasync sync syncfs sync_file_range msync" },
        { "@system-info",
          "uname sysinfo getrandom getcpu" },
        { "@timer",
          "alarm getitimer setitimer nanosleep clock_nanosleep clock_gettime clock_getres "
          "gettimeofday time timer_create timer_settime timer_gettime timer_getoverrun "
          "timer_delete timerfd_create timerfd_settime timerfd_gettime" },
};

#define N_GROUPS ELEMENTSOF(group_defs)
#define GROUP_NESTING_MAX 4

typedef struct ResolvedGroup {
        int *members;
        unsigned n;
} ResolvedGroup;

static ResolvedGroup resolved[N_GROUPS];
static const char *group_names[N_GROUPS + 1];
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;

static int group_index(const char *name) {
        for (size_t i = 0; i < N_GROUPS; i++)
                if (strcmp(group_defs[i].name, name) == 0)
                        return (int) i;
        return -ENOENT;
}

static int cmp_name(const void *a, const void *b) {
        return strcmp(*(const char * const *) a, *(const char * const *) b);
}

/* Adds the native members of group `idx` (and of groups it names) to
 * `marks`, one flag per syscall number. */
static void group_mark(size_t idx, bool *marks, int max_nr, unsigned depth) {
        const char *p = group_defs[idx].members;

        if (depth > GROUP_NESTING_MAX)
                return;

        while (*p) {
                char word[64];
                size_t len = strcspn(p, " ");

                if (len > 0 && len < sizeof(word)) {
                        memcpy(word, p, len);
                        word[len] = '\0';
                        if (word[0] == '@') {
                                int sub = group_index(word);
                                if (sub >= 0)
                                        group_mark((size_t) sub, marks, max_nr, depth + 1);
                        } else {
                                int nr = syscall_resolve(word);
                                if (nr >= 0 && nr <= max_nr)
                                        marks[nr] = true;
                        }
                }
                p += len;
                p += strspn(p, " ");
        }
}

static void groups_build(void) {
        const SyscallTable *t = syscall_table_get();
        size_t n_marks = (size_t) (t->max_nr + 1);

        for (size_t i = 0; i < N_GROUPS; i++) {
                bool *marks = calloc(n_marks ?: 1, sizeof(bool));
                unsigned n = 0;

                group_names[i] = group_defs[i].name;
                if (!marks)
                        continue;
                group_mark(i, marks, t->max_nr, 0);
                for (size_t nr = 0; nr < n_marks; nr++)
                        n += marks[nr];
                resolved[i].members = calloc(n ?: 1, sizeof(int));
                if (resolved[i].members) {
                        for (size_t nr = 0; nr < n_marks; nr++)
                                if (marks[nr])
                                        resolved[i].members[resolved[i].n++] = (int) nr;
                }
                free(marks);
        }
}

int syscall_group_get(const char *name, const int **ret_members, unsigned *ret_n) {
        int idx;

        (void) pthread_once(&groups_once, groups_build);
        idx = group_index(name);
        if (idx < 0)
                return idx;
        if (!resolved[idx].members)
                return -ENOMEM;
        *ret_members = resolved[idx].members;
        *ret_n = resolved[idx].n;
        return 0;
}

const char *syscall_group_source(const char *name) {
        int idx = group_index(name);
        return idx < 0 ? NULL : group_defs[idx].members;
}

const char * const *policy_group_names(void) {
        (void) pthread_once(&groups_once, groups_build);
        return group_names;
}

int policy_group_dump(const char *group, FILE *f) {
        char buf[80];
        const SyscallTable *t = syscall_table_get();
        const int *members;
        unsigned n;
        const char **names;
        int r;

        if (group[0] != '@') {
                r = snprintf(buf, sizeof(buf), "@%s", group);
                if (r < 0 || (size_t) r >= sizeof(buf))
                        return -ENOENT;
                group = buf;
        }
        r = syscall_group_get(group, &members, &n);
        if (r < 0)
                return r;

        names = calloc(n ?: 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                names[i] = t->names[members[i]];
        qsort(names, n, sizeof(char *), cmp_name);
        for (unsigned i = 0; i < n; i++)
                fprintf(f, "%s\n", names[i]);
        free(names);
        return ferror(f) ? -EIO : 0;
}
