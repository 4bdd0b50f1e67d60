/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Landlock for an agent: the filesystem rules of its sandbox enforced a
 * second time by the kernel's Landlock LSM (Landlock=yes), and TCP limited
 * to port lists (AllowTCPConnect=, AllowTCPBind=). The ruleset is built in
 * the daemon before the spawn, as an fd; the spawn child adds the rules for
 * the file systems it mounts itself and enforces it (SpawnParams.landlock).
 * A request the kernel cannot honour is an error, never a smaller ruleset. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The running kernel's Landlock ABI (>= 1), or -EOPNOTSUPP when it has no
 * Landlock or it is disabled at boot. Asked once, then cached. */
int landlock_abi(void);

typedef enum LandlockPathAccess {
        LANDLOCK_PATH_READ_ONLY,       /* read files, list directories, execute */
        LANDLOCK_PATH_READ_WRITE,      /* every right the kernel's ABI knows */
        LANDLOCK_PATH_INACCESSIBLE,    /* nothing, whatever an enclosing path allows */
        _LANDLOCK_PATH_ACCESS_MAX,
        _LANDLOCK_PATH_ACCESS_INVALID = -EINVAL,
} LandlockPathAccess;

typedef struct LandlockPath {
        const char *path;              /* absolute, normalized ("/a/b", no "//", ".", "..", trailing "/") */
        LandlockPathAccess access;
        bool optional;                 /* the "-" prefix: a missing path is skipped */
        /* The spawn child mounts a new file system here (PrivateTmp's /tmp
         * and /var/tmp, PrivateDevices' /dev, a procfs of its own, a
         * ProtectHome tmpfs). Landlock ties a rule to the inode it names and
         * skips the directory a file system is mounted on, so a rule made
         * in the daemon's namespace would not reach the new mount: this one
         * is added by the child, after its mounts. */
        bool child_mount;
        /* The source of a bind mount (BindPaths= SRC): reached through the
         * bind's destination, so it keeps its rule even beneath an
         * inaccessible path (see landlock_ruleset_build()). */
        bool bind_source;
} LandlockPath;

/* The effective rules of one agent. Paths nest: a path beneath another
 * gets its own access, narrower or wider (a read-only or inaccessible path
 * inside a writable one is carved out of it, see landlock_ruleset_build()).
 * The same path given twice gets the narrower access. A path beneath an
 * inaccessible one gets no rule at all (but a bind source): the mount
 * sandbox hides it under an empty tmpfs, and Landlock's view must not
 * reopen it either (ReadWritePaths=/x/secret/y with InaccessiblePaths=/x/secret
 * leaves /x/secret/y unreachable). */
typedef struct LandlockSpec {
        bool filesystem;               /* Landlock=yes: everything not granted by paths is denied */
        const LandlockPath *paths;
        size_t n_paths;
        bool tcp_connect;              /* AllowTCPConnect= given: connect() only to these ports */
        const uint16_t *tcp_connect_ports;
        size_t n_tcp_connect_ports;
        bool tcp_bind;                 /* AllowTCPBind= given: bind() only to these ports */
        const uint16_t *tcp_bind_ports;
        size_t n_tcp_bind_ports;
} LandlockSpec;

/* A rule the spawn child adds after its mounts (child_mount paths). */
typedef struct LandlockMountRule {
        char *path;
        uint64_t rights;
} LandlockMountRule;

typedef struct LandlockRuleset {
        int fd;                        /* O_CLOEXEC */
        LandlockMountRule *mount_rules;
        size_t n_mount_rules;
} LandlockRuleset;

LandlockRuleset *landlock_ruleset_free(LandlockRuleset *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(LandlockRuleset *, landlock_ruleset_free);

/* Builds the ruleset in the calling process (the daemon: it may open and
 * list directories) for SpawnParams.landlock; free it after spawn(). One
 * ruleset per spawn: the child adds its mount rules to the same kernel
 * object. With nothing to restrict (no filesystem, no port list) returns 0
 * and NULL.
 *
 * Landlock cannot take a right away beneath a path that grants it, so a
 * path with a narrower path beneath it is granted entry by entry instead:
 * every entry beside the narrower path gets the full access; the directories
 * on the way to it keep only what both accesses allow (a directory holding
 * an inaccessible path can then not be listed, nor have entries added), and
 * an entry made there after the build has no rule, so it is denied. A bind
 * mount's contents are checked against rules on its source (give BindPaths'
 * SRC, not DST) and on the ancestors of its mount point.
 *
 * Errors, each with *ret_error (if given) set to a malloc'd message naming
 * what is missing or wrong (NULL when out of memory; untouched on success):
 *   -EOPNOTSUPP: "Landlock=yes needs Landlock, which this kernel does not
 *                 offer" / "AllowTCPConnect= needs Landlock ABI 4 (TCP port
 *                 rules), this kernel has ABI N" (or "... has no Landlock");
 *   -EINVAL:     a path that is not absolute and normalized, a bad access;
 *   -ENOENT etc: a path that cannot be opened and is not optional
 *                ("Landlock: cannot open /x (read-only): No such file...");
 *   other -errno from the kernel with the failing call named. */
int landlock_ruleset_build(const LandlockSpec *spec, LandlockRuleset **ret, char **ret_error);

/* In the spawn child, after its mounts and no_new_privs: adds the mount
 * rules and enforces the ruleset, which the child holds as fd. Raw system
 * calls only. 0, or -errno with errno set (an open of a mount rule's path or
 * a Landlock call failed). */
int landlock_child_enforce(const LandlockRuleset *r, int fd);
