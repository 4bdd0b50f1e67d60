/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filesystem view of an agent (systemd's PrivateTmp=, ProtectSystem=,
 * ProtectHome=, PrivateDevices=, ProtectProc=, ProcSubset=, the *Paths= keys
 * and StateDirectory=). The parent turns the settings into a MountPlan, a
 * flat array of steps with every string allocated; the spawn child, between
 * clone and exec, makes its own mount namespace and walks the array with raw
 * syscalls only (mount_plan_apply()).
 *
 * Order of the plan:
 *   1. every source that a later step hides is opened first, as a detached
 *      copy (open_tree(OPEN_TREE_CLONE)): bind sources (so a host path under
 *      /tmp can be passed in past PrivateTmp), StateDirectory, and the device
 *      nodes PrivateDevices keeps. The bind sources and StateDirectory are
 *      opened once, by the daemon (mount_plan_open_sources(): no symlink
 *      anywhere in the path, checked on the fd), and the child copies the
 *      tree from that fd: nothing swapped in on the path between the
 *      daemon's check and the child's open is ever mounted;
 *   2. every other step sorted by path, parents first (systemd's rule: the
 *      most specific path wins); at one path a mount is made first, then
 *      made read-only, then made inaccessible, so the stricter setting wins.
 * Read-only is set in place on the namespace's copy of every mount beneath
 * the path (mount_setattr(AT_RECURSIVE)); a path that is no mount point is
 * bound onto itself first. A writable path (ReadWritePaths, and /dev, /proc,
 * /sys under ProtectSystem=strict) beneath a read-only step is copied right
 * before that step and put back after it, with its mount flags as they
 * were, so a read-only cgroupfs (SpawnParams.protect_cgroups) stays
 * read-only. Beneath a fresh writable mount (the private /tmp, the private
 * /dev, a bind) there is nothing to put back; at the path of any other
 * step, or beneath an inaccessible one, the other step stands.
 *
 * No symlink is followed in the child where a path comes from the agent's
 * keys: every path it binds onto, makes a mount point in, makes read-only
 * or inaccessible, or copies is resolved with openat2(RESOLVE_NO_SYMLINKS)
 * (mount points made one component at a time on directory fds), and
 * mounts are attached onto that fd (move_mount(MOVE_MOUNT_T_EMPTY_PATH)).
 * Only the fixed system paths of the presets (/usr, /etc, the home
 * directories, /tmp, /proc, the device nodes, ...: MountOp.system) are
 * resolved as the host has them, symlinks included (/home may be a link
 * to /var/home): they are the host's, not an agent's. The child is root over
 * host file systems: a symlink an agent plants in a directory it can write
 * (a BindPaths= target under /tmp, its StateDirectory) would otherwise
 * redirect a mkdir, a file creation or a mount. Such a path fails the spawn
 * with ELOOP at a step that says so ("bind: symlink in path").
 *
 * InaccessiblePaths (and ProtectHome=yes): a directory gets an empty
 * read-only tmpfs of mode 000, anything else an empty mode-000 file from a
 * tmpfs staged briefly on /dev and detached again, at the first path that
 * is no directory (a detach waits for an RCU grace period: the home
 * directories of ProtectHome=yes never pay for it). BindPaths destinations that the sandbox lacks (one in
 * the private /tmp) are created, with their parents, as mount points.
 *
 * Privileges: the child needs CAP_SYS_ADMIN over the mount namespace (the
 * daemon's root). A fresh procfs (ProtectProc=, ProcSubset=) also needs it
 * over the user namespace that owns the agent's PID namespace: host root is
 * fine; in a private user namespace it works only for a PID namespace that
 * user namespace owns, and only where /proc has no locked overmounts. So
 * the plan is applied before any PrivateUsers= unshare(CLONE_NEWUSER): the
 * agent then cannot undo a mount, since it holds no capability over the
 * mount namespace that contains them.
 *
 * Needs the new mount API: open_tree/move_mount (Linux 5.2) and
 * mount_setattr (5.12). There is no fallback to MS_REMOUNT of the top
 * mount alone, which would leave the submounts writable: on older kernels
 * the spawn fails at the step that needs it with ENOSYS (never a quieter
 * sandbox than asked for), and mount_plan_supported()
 * says which, for the Manager's Features. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum ProtectSystem {
        PROTECT_SYSTEM_NO,
        PROTECT_SYSTEM_YES,             /* /usr, /boot, /efi read-only */
        PROTECT_SYSTEM_FULL,            /* ... and /etc */
        PROTECT_SYSTEM_STRICT,          /* everything but /dev, /proc, /sys */
        _PROTECT_SYSTEM_MAX,
        _PROTECT_SYSTEM_INVALID = -EINVAL,
} ProtectSystem;

typedef enum ProtectHome {
        PROTECT_HOME_NO,
        PROTECT_HOME_READ_ONLY,         /* /home, /root, /run/user read-only */
        PROTECT_HOME_TMPFS,             /* an empty read-only tmpfs on each */
        PROTECT_HOME_YES,               /* each inaccessible */
        _PROTECT_HOME_MAX,
        _PROTECT_HOME_INVALID = -EINVAL,
} ProtectHome;

typedef enum ProtectProc {
        PROTECT_PROC_DEFAULT,
        PROTECT_PROC_INVISIBLE,         /* own procfs, hidepid=invisible */
        _PROTECT_PROC_MAX,
        _PROTECT_PROC_INVALID = -EINVAL,
} ProtectProc;

typedef enum ProcSubset {
        PROC_SUBSET_ALL,
        PROC_SUBSET_PID,                /* own procfs, subset=pid */
        _PROC_SUBSET_MAX,
        _PROC_SUBSET_INVALID = -EINVAL,
} ProcSubset;

const char *protect_system_to_string(ProtectSystem v);
ProtectSystem protect_system_from_string(const char *s);     /* -EINVAL when unknown */
const char *protect_home_to_string(ProtectHome v);
ProtectHome protect_home_from_string(const char *s);
const char *protect_proc_to_string(ProtectProc v);
ProtectProc protect_proc_from_string(const char *s);
const char *proc_subset_to_string(ProcSubset v);
ProcSubset proc_subset_from_string(const char *s);

/* Path lists are NULL-terminated; NULL means empty. Paths are absolute; a
 * leading '-' on an entry of any list means "skip it when missing". */
typedef struct MountSettings {
        bool private_tmp;
        ProtectSystem protect_system;
        ProtectHome protect_home;
        bool private_devices;
        ProtectProc protect_proc;
        ProcSubset proc_subset;
        /* The child is in a PID namespace of its own: /proc must be a procfs
         * of that namespace, whatever protect_proc and proc_subset say. */
        bool private_pids;
        char * const *read_write_paths;
        char * const *read_only_paths;
        char * const *inaccessible_paths;
        char * const *bind_paths;               /* SRC[:DST] */
        char * const *bind_read_only_paths;     /* SRC[:DST] */
        const char *state_directory;            /* host path, bound writable at the same path; NULL: none */
        uid_t state_directory_uid;              /* its owner, checked on the fd the daemon opens */
} MountSettings;

typedef enum MountOpType {
        MOUNT_OP_CLONE,         /* open_tree(source) into fds[slot]: a detached copy; from_parent: of the fd
                                 * sources[source_index] the daemon opened */
        MOUNT_OP_STAGE,         /* a read-only tmpfs on path holding an empty mode-000 file, copied into
                                 * fds[slot .. slot + n_slots), then detached again; done by the first
                                 * INACCESSIBLE step whose path is no directory, if any */
        MOUNT_OP_TMPFS,         /* mount("tmpfs", path, flags, options) */
        MOUNT_OP_PROC,          /* mount("proc", path, flags, options) */
        MOUNT_OP_DEVPTS,        /* mount("devpts", path, flags, options) */
        MOUNT_OP_ATTACH,        /* move_mount(fds[slot]) onto path, creating a missing path */
        MOUNT_OP_READ_ONLY,     /* every mount at and beneath path read-only */
        MOUNT_OP_INACCESSIBLE,  /* a dir: an empty read-only mode-000 tmpfs on it; else the staged file (fds[slot]) */
        MOUNT_OP_MKDIR,         /* mkdir(path, mode) */
        MOUNT_OP_SYMLINK,       /* symlink(source, path) */
        _MOUNT_OP_MAX,
} MountOpType;

typedef struct MountOp {
        MountOpType type;
        const char *path;
        const char *source;     /* CLONE: what to copy; SYMLINK: the link's target */
        const char *options;    /* TMPFS, PROC, DEVPTS: mount data */
        unsigned long flags;    /* TMPFS, PROC, DEVPTS: MS_*; ATTACH: MS_RDONLY for a read-only bind */
        mode_t mode;            /* MKDIR */
        size_t slot;            /* CLONE, STAGE, ATTACH, INACCESSIBLE */
        size_t n_slots;         /* STAGE */
        bool recursive;         /* CLONE: with every mount beneath (a bind of a tree) */
        /* CLONE: an O_PATH fd of the source, not yet a copy; ATTACH of such
         * a slot: a device node, made with mknod() as the source's number,
         * or, where mknod() is refused, a copy of the source bound there. */
        bool device;
        bool ignore_missing;    /* a leading '-': a missing path or source skips the step */
        bool from_parent;       /* CLONE: source opened by mount_plan_open_sources() */
        size_t source_index;    /* CLONE with from_parent */
        const char *key;        /* CLONE with from_parent: the key, for messages */
        bool check_owner;       /* CLONE with from_parent: a directory of mode 0700 owned by owner */
        uid_t owner;
        bool system;            /* a fixed system path (not from an agent's keys): symlinks followed */
} MountOp;

typedef struct MountPlan {
        MountOp *ops;
        size_t n_ops;
        /* The only memory the child writes: the fd each CLONE/STAGE slot
         * got, -1 when skipped. One spawn at a time may use a plan. */
        int *fds;
        size_t n_fds;
        char **strings;         /* owns every string the ops point to */
        /* The sources the daemon opens (O_PATH, -1: a missing '-' one),
         * closed by mount_plan_free(); `received` is where the child keeps
         * its copies of them (written by the child only). */
        size_t n_sources;
        int *sources;
        int *received;
} MountPlan;

/* At most this many bind sources (BindPaths=, BindReadOnlyPaths=,
 * StateDirectory=) in one plan. */
#define MOUNT_PLAN_SOURCES_MAX 256U
/* Fds per datagram of mount_plan_sources_socket(). */
#define MOUNT_PLAN_SOURCES_PER_MESSAGE 32U

/* Builds the plan. -EINVAL for bad input, with ret_error (if given) set to
 * a message naming the key and the entry ("BindPaths: \"x\" is not an
 * absolute path"); -ENOMEM. A plan of no steps is returned as NULL with 0:
 * nothing to do, no mount namespace needed. */
int mount_plan_build(const MountSettings *s, MountPlan **ret, char **ret_error);
MountPlan *mount_plan_free(MountPlan *plan);

/* In the daemon, after mount_plan_build() and before spawn(): opens every
 * from_parent source with openat2(O_PATH, RESOLVE_NO_SYMLINKS) and checks
 * it on the fd (StateDirectory: a directory of mode 0700 owned by its uid).
 * -ELOOP (a symlink in the path), -ENOENT (missing, without '-'), -EPERM
 * (StateDirectory's owner or mode), other -errno; each with *ret_error (if
 * given) naming the key and the path. */
int mount_plan_open_sources(MountPlan *plan, char **ret_error);

/* spawn() (parent side): a datagram socket holding every opened source as
 * SCM_RIGHTS, for the child to receive (mount_plan_apply()). -1 when the
 * plan has none. The caller closes it after the clone. */
int mount_plan_sources_socket(const MountPlan *plan, int *ret_fd);

/* In the spawn child only (raw syscalls, no allocation), first, while it
 * is still in the daemon's mount namespace (open_tree() copies only mounts
 * of the caller's namespace): receives the opened sources from sources_fd
 * (mount_plan_sources_socket(), -1: none), closes it, and makes their
 * detached copies, slaves of their sources. 0 or a negative errno with
 * *ret_step. Call it for every plan before mount_plan_apply(). */
int mount_plan_take_sources(const MountPlan *plan, int sources_fd, const char **ret_step);

/* In the spawn child only (raw syscalls, no allocation; CAP_SYS_ADMIN):
 * unshare(CLONE_NEWNS), every mount a slave of the host's so nothing
 * propagates back, then each step. Returns 0, or a negative errno with
 * *ret_step a static name of the failing step ("mount_tmpfs", ...). */
int mount_plan_apply(const MountPlan *plan, const char **ret_step);

/* 0 when this kernel has everything mount_plan_apply() uses, else
 * -EOPNOTSUPP with *ret_missing naming it ("mount_setattr"). Probes
 * without changing anything. */
int mount_plan_supported(const char **ret_missing);
