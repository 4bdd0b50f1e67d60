/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What this host's kernel offers the sandbox, probed once at start: the
 * Manager property Features, and the facts the daemon checks a start
 * against so that a key the kernel cannot honour fails the start instead
 * of giving a quieter sandbox. */
#pragma once

#include <stdbool.h>

typedef struct KernelFeatures {
        int landlock_abi;             /* 0: no Landlock (not built, or disabled at boot) */
        bool userns;                  /* this process can create a user namespace */
        bool netns;
        bool pidns;
        /* Not the kernel's: agentvisor-nsinit, the init of an agent's PID
         * namespace, was found (sandbox_ns_init_path_set(); the daemon sets
         * this, kernel_features_probe() never does). */
        bool pidns_init;
        bool ipcns;
        bool cgroup2;                 /* a cgroup2 mount (pure or hybrid) */
        bool cgroup_v1_hybrid;        /* cgroup2 beside v1 hierarchies */
        bool clone3_into_cgroup;
        bool seccomp_notify;          /* SECCOMP_RET_USER_NOTIF available */
        bool pidfd;
        bool mount_setattr;
        bool so_passrights;
        bool so_passpidfd;
        /* A reporting policy's listener can reach the daemon (spawn-listener.c):
         * seccomp_notify, clone3_into_cgroup, spawn_listener_supported(), and
         * pidfd_getfd() on a child that took another uid is allowed (it
         * needs CAP_SYS_PTRACE; a seccomp filter on the daemon, such as
         * systemd's @debug group, or Yama's ptrace_scope=3 refuse it). */
        bool seccomp_notify_handover;
        int pidfd_getfd_error;        /* pidfd_getfd()'s refusal (-errno), 0 if allowed or not tried */
} KernelFeatures;

/* Probes everything; never fails (a probe that cannot tell says "no").
 * Forks short-lived children for the user namespace and the pidfd_getfd()
 * probes; call it at start, not on the spawn path. */
void kernel_features_probe(KernelFeatures *ret);

/* The Features strings, in a fixed order: "landlock=N" (N the ABI), then
 * the names of the features present: "userns", "netns", "pidns", "ipcns",
 * "cgroup2", "cgroup-v1-hybrid", "clone3-into-cgroup", "seccomp-notify",
 * "pidfd", "mount-setattr", "so-passrights", "so-passpidfd",
 * "seccomp-notify-handover" (reporting works). An absent
 * feature is left out ("landlock=N" too when there is no Landlock). A
 * NULL-terminated strv (free with strv_free()), -ENOMEM. */
int kernel_features_to_strv(const KernelFeatures *f, char ***ret);
