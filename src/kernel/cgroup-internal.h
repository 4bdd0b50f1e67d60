/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the cgroup*.c files share: the two structures and the functions one
 * file offers the others. cgroup.c lays out and creates the groups,
 * cgroup-limits.c writes their limits, cgroup-kill.c kills what runs in them
 * (and clears stale ones), cgroup-stats.c reads their accounting. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

struct CgroupRoot {
        bool unified;
        char *path;                          /* <own>/<name> as /proc/PID/cgroup shows it */
        char *dir;                           /* the same in the v2 file system */
        int lock_fd;                         /* dir, flock()ed: this instance's (cgroup.c) */
        char *enable;                        /* "+pids +memory +cpu" for subtree_control (pure v2) */
        bool has[_CGROUP_V1_MAX];            /* limits of this kind can be applied */
        char *v1_dir[_CGROUP_V1_MAX];        /* <own>/<name> in each v1 hierarchy (hybrid) */
        /* cgroup-freeze.c: the freezer the agents get (CgroupFreezer),
         * probed at the first freeze, and the v1 freezer's root group
         * (made then) when that is the one. */
        int freezer;
        bool freezer_probed;
        char *freezer_v1_dir;
        bool kept;                           /* groups were kept for adoption: existing ones are reused */
};

struct Cgroup {
        CgroupRoot *root;
        char *rel;                           /* beneath the root group; "" for the root group */
        char *path;
        /* No fd is held between operations (at 10,000 agents the fds ran
         * out): each opens the v2 directory by path beneath the root's
         * lock_fd (cgroup_dir_open()) and closes it again. */
        uint64_t id;                         /* the v2 directory's inode number (the cgroup id),
                                              * recorded at creation */
        bool agent;
        bool v1_made[_CGROUP_V1_MAX];        /* agents: v1 groups created (every mounted hierarchy) */
        uint64_t cpu_quota;                  /* per period, the lowest of this group's and its
                                              * ancestors' (v1 refuses a child above its parent);
                                              * UINT64_MAX: none */
        /* The v2 directory and the `tasks` of each v1 group, open only from
         * cgroup_v1_procs_open() to cgroup_v1_procs_close() (one spawn). */
        int spawn_dir_fd;
        int v1_procs_fds[_CGROUP_V1_MAX];
        size_t n_v1_procs_fds;
};

/* cgroup.c: the group's directory in the v2 file system and in the v1
 * hierarchy of controller k; NULL when out of memory. */
char *cgroup_v2_dir(const Cgroup *c);
char *cgroup_v1_dir(const Cgroup *c, CgroupV1Controller k);

/* cgroup-limits.c */
/* Whether the host can enforce every limit in l (NULL: none). */
bool cgroup_limits_supported(const CgroupRoot *r, const Limits *l);
/* Limits in every hierarchy; -EOPNOTSUPP where the host cannot enforce them.
 * On hybrid hosts this makes c's v1 groups. */
int cgroup_apply_limits(Cgroup *c, const Limits *l);
/* The root group is reused from one daemon to the next: drops the limits an
 * earlier configuration set there. */
int cgroup_reset_root_limits(Cgroup *c);

/* cgroup-kill.c */
/* cgroup.events "populated" of dir beneath dfd ("" names dfd itself). */
int cgroup_populated_at(int dfd, const char *dir);
/* Kills, waits for (bounded) and removes every group beneath dir, and dir
 * itself if remove_self: what an earlier daemon left. keep (NULL: none)
 * lists groups beneath dir ("x.supervisor/y.agent") to leave alone, with
 * their ancestors: agents a new daemon takes over. */
int cgroup_stale_tree_remove(const char *dir, bool v2, bool remove_self, char *const *keep);

/* cgroup-freeze.c */
/* c's group in the v1 freezer hierarchy, if one was made: removed with c
 * (it is empty once c's v2 group is). */
int cgroup_freeze_v1_remove(Cgroup *c);
/* The v1 freezer's root group, with the CgroupRoot. */
void cgroup_freeze_root_done(CgroupRoot *r);
/* The v1 freezer even where the kernel has the v2 one (tests). */
int cgroup_freezer_use_v1(CgroupRoot *r);
