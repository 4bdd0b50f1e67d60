/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The namespaces of an agent, for spawn(): PrivateIPC, PrivateNetwork,
 * PrivatePIDs, PrivateUsers (SPEC "Isolation").
 *
 * IPC and network: the clone3() that creates the agent carries CLONE_NEWIPC
 * and CLONE_NEWNET, so both belong to the host's user namespace (the agent,
 * even as root in a user namespace of its own, cannot reconfigure them). The
 * child brings loopback up. Creating a network namespace is the costly part
 * of a start (tearing one down happens later, in the kernel's cleanup work,
 * off the start path).
 *
 * PID: the program must not be PID 1 of its namespace (PID 1 ignores every
 * signal it has no handler for, so a stop's SIGTERM would be lost), and the
 * daemon must keep waiting for it as its own child (waitid(P_PIDFD) gives
 * the exact status: an exit code, a seccomp SIGSYS). So spawn() first makes
 * the namespace with a minimal init of its own as PID 1, agentvisor-nsinit
 * (nsinit.S: a program without a C library that ignores SIGCHLD, so that
 * the kernel reaps the orphans it inherits, and sleeps forever). A clone
 * that shares the daemon's memory and fd table only until it executes that
 * program makes it, so a start copies neither the daemon's page tables nor
 * its fd table, which grow with the number of agents (a fork of the daemon,
 * as this init once was, made strict starts 1.3-1.6x slower with 300-500
 * strict agents running). The daemon then enters the namespace for its
 * children only (setns(CLONE_NEWPID) changes pid_ns_for_children, never the
 * caller), clones the agent as usual, which becomes PID 2 there and is the
 * daemon's own child on the host, and steps back. MainPID, the pidfd,
 * signals and the death record are therefore exactly those of a start
 * without the namespace. The init sits in the agent's cgroup: the
 * cgroup.kill that follows the end of the main process ends it, and when it
 * dies the kernel kills whatever was left in the namespace. It is the
 * daemon's child, with no exit signal (no SIGCHLD): the daemon reaps it with
 * sandbox_ns_init_release() once the agent's cgroup is empty. Its cost: the
 * exec of a static program of a few KiB, plus the namespace.
 *
 * User: a user namespace owned by, and mapping the agent's uid and gid to,
 * the host ids given here, with setgroups denied. The map must be written
 * from the parent namespace with CAP_SETUID, which the child cannot do (the
 * daemon waits for its exec and cannot write for it). So spawn() makes the namespace
 * before cloning: a short-lived holder process takes the host ids and
 * unshares a user namespace, the daemon writes its maps and keeps an fd on
 * it, and the holder is killed. The child enters it with setns() as its last
 * namespace step, after its mounts (made as host root: a /proc for the
 * agent's PID namespace needs that) and just before it changes uid: every
 * other namespace belongs to the host's user namespace, so root in the
 * agent's namespace has no capability over any of them. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

enum {
        SANDBOX_NS_IPC = 1U << 0,  /* PrivateIPC */
        SANDBOX_NS_NET = 1U << 1,  /* PrivateNetwork: only lo, up */
        SANDBOX_NS_PID = 1U << 2,  /* PrivatePIDs */
        SANDBOX_NS_USER = 1U << 3, /* PrivateUsers */
        /* Join those namespaces of the process join_pidfd refers to (an
         * agent's main process) instead of making new ones: for a health
         * check, which runs in its agent's sandbox. */
        SANDBOX_NS_JOIN = 1U << 4,
        /* With SANDBOX_NS_JOIN only (spawn makes these two through
         * SpawnParams.mounts and .protect_cgroups, not here): join the
         * target's mount namespace, which holds its mount plan (PrivateTmp's
         * /tmp, ProtectSystem, binds, StateDirectory, its /proc), and its
         * cgroup namespace (protect_cgroups). The caller then leaves
         * SpawnParams.mounts NULL and protect_cgroups false: the namespace
         * joined has them already, and a plan applied before the join would
         * be thrown away with the namespace it was made in. */
        SANDBOX_NS_MNT = 1U << 5,
        SANDBOX_NS_CGROUP = 1U << 6,
        _SANDBOX_NS_ALL = (1U << 7) - 1,
};

/* The SpawnParams field (p->ns). */
typedef struct SandboxNs {
        unsigned flags;            /* SANDBOX_NS_*; 0: the host's namespaces */
        /* SANDBOX_NS_USER: the host uid and gid that the agent's uid and gid
         * (SpawnParams.uid/gid, ids inside the namespace, 0 for root) map to.
         * Nothing else is mapped; SpawnParams.n_groups must be 0. */
        uid_t host_uid;
        gid_t host_gid;
        /* SANDBOX_NS_PID: required. On success spawn() stores here the pidfd
         * (O_CLOEXEC) of the namespace's init, which the caller must hand to
         * sandbox_ns_init_release() once the agent's cgroup is empty. */
        int *ret_init_pidfd;
        int join_pidfd;            /* SANDBOX_NS_JOIN: a pidfd; host ids and ret_init_pidfd unused */
        /* SANDBOX_NS_NET, not with SANDBOX_NS_JOIN: an fd of a fresh network
         * namespace with loopback up (netns_pool_take()) that the child
         * joins, first of all, instead of the clone making one. Stays the
         * caller's: close it after spawn(), and never hand it out again.
         * 0 (a zero-initialised struct; fd 0 is never such an fd) or
         * negative: none, the clone makes one. */
        int netns_fd;
} SandboxNs;

/* Parent-side state of one spawn (in spawn.c's child context). */
typedef struct SandboxNsState {
        int setns_fd;              /* what the child enters with setns(): user namespace or pidfd */
        int init_pidfd;            /* SANDBOX_NS_PID */
        /* A pidfd in whose PID namespace the child is made (init_pidfd or
         * the joined pidfd, not owned): spawn's forker enters it with
         * setns() before its clone, so that the daemon's own namespaces
         * never change. */
        int pidns_fd;
} SandboxNsState;

#define SANDBOX_NS_STATE_INIT { .setns_fd = -EBADF, .init_pidfd = -EBADF, .pidns_fd = -EBADF }

/* Where agentvisor-nsinit is (an absolute path, checked to be executable
 * now): set once at start, before the first SANDBOX_NS_PID spawn, which
 * fails with -ENOPKG without it. It runs as root, by path, at every such
 * spawn: -EPERM unless the file and its directory are root's and writable
 * by no group or other user. */
int sandbox_ns_init_path_set(const char *path);
const char *sandbox_ns_init_path(void);      /* NULL until set */

/* -EINVAL for unknown flags, a missing ret_init_pidfd or a host id of 0 or
 * -1; -EOPNOTSUPP for SANDBOX_NS_PID or SANDBOX_NS_USER where spawn has no
 * clone3 entry code for this architecture. */
int sandbox_ns_validate(const SandboxNs *ns);

/* Before the clone (ns validated): makes the user namespace and the PID namespace (with its
 * init, in cgroup_fd) and enters the latter for the caller's children.
 * inner_uid/gid: the ids the agent takes inside. stack: STACK_SIZE bytes the
 * helpers may run on (spawn's child stack). sandbox_ns_finish() must follow,
 * whatever happens. */
int sandbox_ns_prepare(const SandboxNs *ns, uid_t inner_uid, gid_t inner_gid, int cgroup_fd, void *stack,
                       size_t stack_size, SandboxNsState *st);

/* The CLONE_NEW* flags for the clone that makes the agent. */
unsigned long sandbox_ns_clone_flags(const SandboxNs *ns);

/* After the clone (spawned: the agent exec'd): steps back into the daemon's
 * PID namespace, drops the user namespace fd, and either hands over the
 * init's pidfd or kills and reaps the init. */
void sandbox_ns_finish(const SandboxNs *ns, SandboxNsState *st, bool spawned);

/* In the spawn child (raw syscalls only), after the mount sandbox and before
 * setgroups/setresgid: loopback up; for SANDBOX_NS_USER, the host's groups
 * dropped and the user namespace entered (setns_fd closed); with
 * SANDBOX_NS_JOIN, the mount, cgroup, IPC and network namespaces joined first,
 * in one setns() on the pidfd, as host root: each of them belongs to the
 * host's user namespace, over which the child has no capability once it is
 * in the agent's. Joining the mount namespace sets the root and
 * the working directory to that namespace's root: spawn's chdir() to the
 * working directory comes after. Returns 0, or -1 with errno set and
 * *ret_step naming the failing step. */
int sandbox_ns_child(const SandboxNs *ns, int setns_fd, const char **ret_step);

/* In the spawn child (raw syscalls only), as its first namespace step,
 * while the child still has every fd of the parent's (before the reserved
 * slots are all it keeps): joins ns->netns_fd, if any, so the child is in
 * it from then on, as it would be in one made by the clone. As host root:
 * the namespace belongs to the host's user namespace. Returns 0, or -1 with
 * errno set and *ret_step named. */
int sandbox_ns_child_netns(const SandboxNs *ns, const char **ret_step);

/* Which of SANDBOX_NS_IPC/NET/PID/USER this host can make (for the
 * Manager's Features and for naming what is missing when a start fails):
 * a child process tries each. Call once, at start; >= 0 or -errno. */
int sandbox_ns_supported(void);

/* For the daemon, once the agent's cgroup is empty: SIGKILL to the init (if
 * still there), reap it, close the fd. Returns -EBADF (for `fd = ...`). Accepts
 * a negative fd. */
int sandbox_ns_init_release(int pidfd);

/* For the daemon, once the agent's main process has exited: the init's pidfd
 * turns readable when the init has died, and by then the kernel has killed
 * and reaped everything else in its namespace. Reaps it without waiting: 1
 * reaped (the fd stays open, for the caller to close), 0 still running,
 * -errno. */
int sandbox_ns_init_try_reap(int pidfd);
