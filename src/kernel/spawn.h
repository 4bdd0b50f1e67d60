/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting an agent: clone3(CLONE_VM|CLONE_PIDFD|CLONE_INTO_CGROUP) on a
 * small stack, the way posix_spawn does, so the cost does not grow with the
 * daemon's size. The clone is made by a forker with CLONE_VFORK|CLONE_PARENT
 * (spawn.c clone3_child()), so that the OOM killer never picks the child
 * while it shares the daemon's memory; the parent waits for the child's exec
 * beside it, bounded (CLONE_CHILD_CLEARTID's futex, see spawn-wait.c): a
 * child that its agent's user keeps stopped cannot hold the daemon. The child uses raw syscalls only: new session, signals
 * reset, fds closed, v1 cgroups joined, oom_score_adj, every rlimit (see
 * rlimits_prepare() in spawn.c), umask, groups, uid/gid, capabilities
 * dropped and securebits locked, no_new_privs, Landlock, the ready seccomp
 * filter, exec.
 * Falls back to clone() + a cgroup.procs write where clone3 is missing.
 * With a notify filter (a policy that reports) the parent takes the child's
 * seccomp listener during that wait (spawn-listener.c). */
#pragma once

#include <linux/filter.h>
#include <linux/securebits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "sandbox-ns.h"

typedef struct SpawnParams {
        const char *path;                  /* executable (absolute) */
        char * const *argv;
        char * const *envp;                /* complete environment */
        int cgroup_fd;                     /* v2 dir fd, required */
        const int *v1_procs_fds;           /* write "0" to each in the child */
        size_t n_v1_procs_fds;
        uid_t uid;
        gid_t gid;
        const gid_t *groups;               /* exact supplementary groups */
        size_t n_groups;
        const char *working_directory;     /* chdir; failure is a spawn failure */
        const struct sock_fprog *filter;   /* NULL: none (tests, benchmarks) */
        /* A policy that reports (policy.h): loaded before `filter`, with
         * SECCOMP_FILTER_FLAG_NEW_LISTENER; the listener (O_CLOEXEC) comes
         * back in *ret_listener_fd, which is required then. The agent never
         * holds it (see spawn-listener.c). NULL: none. Only where
         * spawn_listener_supported(). */
        const struct sock_fprog *notify_filter;
        int *ret_listener_fd;
        int stdout_fd;                     /* dup'd to 1 / 2; -1: /dev/null */
        int stderr_fd;
        RlimitSettings rlimits;
        mode_t umask;
        int oom_score_adj;
        bool oom_score_adj_set;
        bool protect_cgroups;              /* User=root: own cgroup+mount namespace, cgroupfs read-only */
        /* From landlock_ruleset_build(): completed with its mount rules
         * and enforced after the mounts and no_new_privs. NULL: none. */
        const struct LandlockRuleset *landlock;
        const struct MountPlan *mounts;    /* the agent's filesystem view (sandbox-mount.h); NULL: the host's */
        /* Where the child writes its own pid in decimal, NUL-terminated: the
         * value part of an envp entry such as "WATCHDOG_PID=" followed by at
         * least SPAWN_PID_SLOT_SIZE - 1 placeholder bytes. NULL: none. */
        char *pid_env_slot;
        SandboxNs ns;                      /* PrivateIPC/Network/PIDs/Users (sandbox-ns.h) */
        /* How long the child may take from the clone to its exec before it
         * is SIGKILLed and the spawn fails (SPAWN_STUCK_STEP); 0: the
         * default, SPAWN_EXEC_TIMEOUT_USEC. */
        uint64_t exec_timeout_usec;
        /* Tests only, 0/false in the daemon: after taking the agent's ids,
         * before its filters, the child SIGSTOPs itself this many times
         * (UINT_MAX: whenever it is continued), then, with
         * test_hangs_before_exec, sleeps until killed (stuck, not stopped). */
        unsigned test_stops_before_exec;
        bool test_hangs_before_exec;
        /* Tests only, 0 in the daemon: the forker fails with this errno in
         * place of its clone of the child (as clone3() into a group whose
         * pids.max is full fails with EAGAIN). */
        int test_child_clone_error;
} SpawnParams;

#define SPAWN_EXEC_TIMEOUT_USEC (5ULL * 1000 * 1000)
/* The failed step of a child that did not exec (or fail) in time, or was
 * found stopped again and again (about 250 ms): it was SIGKILLed; spawn()
 * returns -ETIMEDOUT. */
#define SPAWN_STUCK_STEP "spawn child stopped/stuck before exec"

#define SPAWN_PID_SLOT_SIZE 11

/* The securebits every agent gets, locked: root gains no capabilities at
 * exec (a User=root agent has none, as the SPEC says), ambient capabilities
 * cannot be raised, and capabilities are not kept across a change of uid. */
#define SPAWN_SECUREBITS                                                                                  \
        (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | \
         SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/* Returns 0 with the child's pid and pidfd (O_CLOEXEC). When the child
 * failed before exec, returns the negative errno of the failing step and, if
 * ret_failed_step is given, a static name for it ("execve", "chdir", ...,
 * SPAWN_STUCK_STEP with -ETIMEDOUT); the child is then already reaped. Never
 * waits longer than exec_timeout_usec plus a grace for a child killed. */
int spawn(const SpawnParams *p, pid_t *ret_pid, int *ret_pidfd, const char **ret_failed_step);

/* Whether spawn() can hand a listener over (SpawnParams.notify_filter): on
 * x86-64 and aarch64 with clone3. */
bool spawn_listener_supported(void);
/* Whether spawns use clone3(): false once clone3() or CLONE_INTO_CGROUP was
 * refused and spawn() fell back to clone() for good. */
bool spawn_clone3_in_use(void);

/* At most this many v1 cgroup.procs fds (pids, memory, cpu). */
#define _SPAWN_V1_MAX 4

/* Call once at start, before anything else opens fds: holds fds 3..12 on
 * /dev/null for the rest of the process's life. From then on spawn() shares
 * the fd table with the child (CLONE_FILES) and the child keeps only those
 * slots (close_range(CLOSE_RANGE_UNSHARE)), so a spawn does not copy a table
 * of 10,000 pidfds. -EBUSY when one of the slots is already in use.
 * spawn() is not thread-safe either way: one caller thread. */
int spawn_reserve_fds(void);

/* Raise RLIMIT_NOFILE to its hard limit once at start (10,000 agents need
 * 10,000+ pidfds). */
int spawn_raise_nofile(void);
