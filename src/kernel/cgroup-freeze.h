/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Freezing an agent's group (SPEC "Freezing"): every process in it stopped
 * where it stands, its memory, its /proc entries and its cgroup kept, until
 * it is thawed or killed.
 *
 * Through cgroup.freeze of cgroup v2 (Linux 5.2+; the v2 hierarchy of a
 * hybrid host has it too, with no controller enabled), else through the v1
 * freezer hierarchy where one is mounted (hybrid hosts on older kernels):
 * there the agent's processes are moved, at the first freeze, into a group
 * of their own laid out as in the other v1 hierarchies (cgroup.h). */
#pragma once

#include <stdbool.h>

#include "cgroup.h"

typedef enum CgroupFreezer {
        CGROUP_FREEZER_NONE,
        CGROUP_FREEZER_V2,
        CGROUP_FREEZER_V1,
} CgroupFreezer;

/* Which freezer the agents' groups get (probed once per root). */
CgroupFreezer cgroup_root_freezer(CgroupRoot *r);
/* Asks the kernel to freeze (or thaw) every process of c. A freeze is not
 * complete when this returns: cgroup_is_frozen() tells when it is.
 * -EOPNOTSUPP without a freezer. */
int cgroup_freeze(Cgroup *c, bool freeze);
/* 1 once every process of c is stopped, 0 while some still run, -errno. On
 * v1, processes that joined c's v2 group since (forked before their parent
 * stopped) are moved into the frozen group here, where they stop too. */
int cgroup_is_frozen(Cgroup *c);
/* Read only, for whoever froze it (the daemon or anyone else): 1 when c's
 * v2 group is frozen or freezing (cgroup.events "frozen 1", which an
 * ancestor's freeze sets too, or cgroup.freeze 1), or its v1 freezer group is
 * not THAWED; 0 otherwise, also where there is no freezer. A process cloned
 * into such a group stops before it can exec, and a vfork()ing parent with it. */
int cgroup_kernel_frozen(const Cgroup *c);
/* Whether a completed freeze shows in cgroup.events ("frozen 1"), which
 * inotify reports (v2); if not, cgroup_is_frozen() must be polled (v1). */
bool cgroup_freeze_notifies(Cgroup *c);
/* Kills every process of a frozen c at once. cgroup.kill works on a frozen
 * v2 group (no process runs another instruction); a process frozen by the v1
 * freezer dies only once thawed, so there it is sent SIGKILL first and then
 * thawed. cgroup.events then reports the group empty as for any kill. */
int cgroup_kill_frozen(Cgroup *c);
