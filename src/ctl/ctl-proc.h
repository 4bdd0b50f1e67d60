/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The processes of a cgroup, read locally from cgroupfs and /proc for
 * `agentctl status NAME`. */
#pragma once

#include <stddef.h>

#include "ctl-format.h"

/* Where the cgroup2 hierarchy is mounted: /sys/fs/cgroup/unified on
 * hybrid hosts, /sys/fs/cgroup on unified ones. NULL when neither. */
const char *cgroup2_root(void);

/* Reads cgroup.procs of control_group (a path in the cgroup2 hierarchy as
 * the daemon reports it) and each process's parent and command line.
 * Processes that vanish meanwhile are skipped. */
int cgroup_read_processes(const char *control_group, ProcEntry **ret, size_t *ret_n);

/* Parent PID and command line of one process; a process without a command
 * line (a kernel thread, a zombie) gets "[comm]". */
int proc_read_entry(pid_t pid, ProcEntry *ret);
