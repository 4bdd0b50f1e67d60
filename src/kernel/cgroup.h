/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroups for agents, on pure cgroup v2 and on hybrid hosts (cgroup2 for
 * tracking, kill and events; v1 pids/memory/cpu for limits). All groups are
 * created beneath the daemon's own cgroup in each hierarchy:
 *
 *   <own>/<ControlGroup>                      the root supervisor
 *   <own>/<ControlGroup>/NAME.supervisor      a nested supervisor (nested again for deeper ones)
 *   <sup-path>/NAME.agent                     an agent
 *
 * On pure v2 the daemon first moves itself into <own>/daemon (a leaf of its
 * own subtree) and enables the pids/memory/cpu controllers down the tree.
 *
 * On hybrid hosts the v1 hierarchies have the same layout beneath the
 * daemon's own v1 group, except for the root group's name there: see
 * cgroup_v1_root_name(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "macro.h"

typedef enum CgroupV1Controller {
        CGROUP_V1_PIDS,
        CGROUP_V1_MEMORY,
        CGROUP_V1_CPU,
        _CGROUP_V1_MAX,
} CgroupV1Controller;

typedef struct CgroupRoot CgroupRoot;
typedef struct Cgroup Cgroup;

/* Finds the hierarchies and the daemon's own place in each, creates
 * <own>/<name>, removes stale agent groups left by an earlier daemon (killing
 * what runs in them, logging each) and, on pure v2, moves the daemon into its
 * leaf. */
int cgroup_root_open(const char *name, CgroupRoot **ret);
/* The same, leaving the groups listed in keep (relative to the root group,
 * "NAME.agent" or "S.supervisor/NAME.agent"; NULL-terminated) and what runs
 * in them: agents a new daemon takes over (Reexecute, a restart after a
 * crash). Supervisor groups found then are reused by
 * cgroup_supervisor_new(). */
int cgroup_root_open_keep(const char *name, char *const *keep, CgroupRoot **ret);
/* The name of the root group in a v1 hierarchy where the daemon sits at
 * own_v1, for ControlGroup= name and the daemon's own v2 path own_v2: name
 * itself where own_v1 is own_v2 (the daemon at the same place in both, as
 * under systemd), else "name@ESCAPED" with own_v2 escaped ("/" is "-",
 * otherwise the leading '/' dropped, each '/' made '-', and '-', '\' and
 * '@' as \xNN). A plain name has no '@' (else it gets the suffix too), and
 * the escape can be undone: two daemons whose v2 groups differ (and the v2
 * group is what the instance lock covers) never share a v1 group, so the
 * stale groups one removes at start are never another's. -ENAMETOOLONG past
 * NAME_MAX. */
int cgroup_v1_root_name(const char *name, const char *own_v2, const char *own_v1, char **ret);
/* Removes every group it created (they must be empty) and frees. */
CgroupRoot *cgroup_root_free(CgroupRoot *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgroupRoot *, cgroup_root_free);
bool cgroup_root_is_unified(const CgroupRoot *r);          /* pure v2 */
const char *cgroup_root_path(const CgroupRoot *r);         /* v2 path of <own>/<name>, e.g. "/agentvisor" */
/* Whether limits of this kind can be applied (v2 controller enabled, or the
 * v1 hierarchy mounted); cgroup_agent_new() refuses limits that cannot with
 * -EOPNOTSUPP. On pure v2 the enum names the v2 controller of the same name. */
bool cgroup_root_has_controller(const CgroupRoot *r, CgroupV1Controller c);

/* A supervisor's group beneath parent's (parent NULL: the root group itself,
 * no new directory). max_descendants: written to cgroup.max.descendants
 * (UINT64_MAX: "max"). `name` is the bare name: the directory is
 * NAME.supervisor (NAME.agent for agents); -EEXIST if it is there already,
 * -EAGAIN when an ancestor's cgroup.max.descendants is reached. limits
 * (TasksMax/MemoryMax/CPUQuota; NULL: none) bound every agent beneath it
 * together; on hybrid hosts the group is made in every v1 hierarchy too. */
int cgroup_supervisor_new(CgroupRoot *r, Cgroup *parent, const char *name, uint64_t max_descendants,
                          const Limits *limits, Cgroup **ret);
int cgroup_set_max_descendants(Cgroup *c, uint64_t max);
/* An agent's group. On hybrid hosts it is made in every mounted v1 hierarchy,
 * limits or not: beneath its supervisor's there (whose limits then hold),
 * and accounted for (pids.current, memory usage). On v2 with the memory
 * controller, memory.oom.group is set. */
int cgroup_agent_new(CgroupRoot *r, Cgroup *parent, const char *name, const Limits *limits,
                     Cgroup **ret);
/* An agent's group that is there already (kept by cgroup_root_open_keep()),
 * opened without touching it or its limits. */
int cgroup_agent_adopt(CgroupRoot *r, Cgroup *parent, const char *name, Cgroup **ret);
/* Removes the directories (all hierarchies); -EBUSY if still populated. */
int cgroup_remove(Cgroup *c);
Cgroup *cgroup_free(Cgroup *c);                            /* frees memory only */
DEFINE_TRIVIAL_CLEANUP_FUNC(Cgroup *, cgroup_free);

const char *cgroup_path(const Cgroup *c);                  /* v2 path as /proc/PID/cgroup "0::" shows */
/* A group holds no fd between operations (fds per agent bound how many
 * agents fit under RLIMIT_NOFILE). */
/* The v2 directory, opened now (O_PATH|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
 * the caller closes it. -ENOENT once the group is gone. */
int cgroup_dir_open(const Cgroup *c);
/* The v2 directory's inode number, recorded when the group was made or
 * adopted: the kernel's cgroup id, which identifies the group. */
uint64_t cgroup_id(const Cgroup *c);
/* v2 directory, O_PATH|O_DIRECTORY, for CLONE_INTO_CGROUP, still owned by
 * c: opened at the first call (or by cgroup_v1_procs_open()) and kept until
 * cgroup_v1_procs_close(), or until the group is removed or freed; -errno
 * if it cannot be opened. */
int cgroup_dir_fd(Cgroup *c);
/* For one spawn: opens the group's v2 directory (cgroup_dir_fd()) and, on
 * hybrid hosts, the agent's v1 `tasks` files, which the child writes "0"
 * into before exec, and returns the latter, still owned by c (n = 0 on pure
 * v2, and for supervisors). They stay open until cgroup_v1_procs_close()
 * (call it once spawn() returned), or until the group is removed or freed;
 * a second call before that returns the same fds. -errno if one cannot be
 * opened (none is then left open). */
int cgroup_v1_procs_open(Cgroup *c, const int **ret, size_t *ret_n);
void cgroup_v1_procs_close(Cgroup *c);
/* fd of cgroup.events (for inotify/IN_MODIFY) */
int cgroup_events_path(const Cgroup *c, char **ret);
int cgroup_is_populated(const Cgroup *c);                 /* 1, 0 or -errno */
int cgroup_kill(Cgroup *c);                                /* cgroup.kill, or cgroup_kill_by_pids() where missing */
/* The fallback for kernels without cgroup.kill (before 5.14): freezes the
 * group where cgroup.freeze exists, then SIGKILLs each process through a
 * pidfd, opened before the pid is checked to still be in the group (never a
 * reused pid), round after round until cgroup.procs is empty (bounded).
 * 0 when empty, -EBUSY if processes were still there after the last round. */
int cgroup_kill_by_pids(Cgroup *c);
int cgroup_pids(const Cgroup *c, pid_t **ret, size_t *ret_n);

typedef struct CgroupStats {
        uint64_t memory_current;      /* UINT64_MAX when unknown */
        uint64_t memory_peak;
        uint64_t tasks_current;
        uint64_t cpu_usage_nsec;
        uint64_t oom_kills;           /* memory.events oom_kill (v2) / memory.oom_control oom_kill (v1) */
} CgroupStats;
int cgroup_read_stats(const Cgroup *c, CgroupStats *ret);
int cgroup_read_cpu_usage(const Cgroup *c, nsec_t *ret);  /* cpu.stat usage_usec (v2) */
int cgroup_read_oom_kills(const Cgroup *c, uint64_t *ret);
/* memory.pressure "some avg10": the share of the last 10 s, in percent, in
 * which some task of the group waited for memory. -ENOENT without PSI. */
int cgroup_read_memory_pressure(const Cgroup *c, double *ret);
