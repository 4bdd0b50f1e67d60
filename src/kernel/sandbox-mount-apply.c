/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount plan's executor (see sandbox-mount.h): mount_plan_apply() runs
 * in the spawn child, on the parent's memory (CLONE_VM), and makes raw
 * system calls only: no allocation, no libc state. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox-mount.h"

/* As in spawn.c: the child runs on a borrowed stack, without sanitizers. */
#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

static _child_ int child_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static _child_ bool child_is_dir_fd(int fd) {
        struct statx stx;

        return syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx) >= 0 && S_ISDIR(stx.stx_mode);
}

/* Creates path's missing parents, then path itself as a directory or an
 * empty file: the mount point for a bind whose destination the sandbox
 * does not have (a BindPaths= target in the private /tmp). */
static _child_ int child_make_mount_point(const char *path, bool dir) {
        char buf[PATH_MAX];
        size_t n = 0;
        long fd;

        for (size_t i = 0; path[i]; i++) {
                if (n + 1 >= sizeof buf)
                        return -ENAMETOOLONG;
                if (path[i] == '/' && n > 0) {
                        buf[n] = 0;
                        if (syscall(SYS_mkdirat, AT_FDCWD, buf, 0755) < 0 && errno != EEXIST)
                                return child_errno();
                }
                buf[n++] = path[i];
        }
        buf[n] = 0;
        if (dir)
                return syscall(SYS_mkdirat, AT_FDCWD, buf, 0755) < 0 && errno != EEXIST ? child_errno() : 0;
        fd = syscall(SYS_openat, AT_FDCWD, buf, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
        if (fd < 0)
                return errno == EEXIST ? 0 : child_errno();
        (void) syscall(SYS_close, fd);
        return 0;
}

static _child_ int child_attach(int fd, const char *path) {
        int r;

        if (syscall(SYS_move_mount, fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) >= 0)
                return 0;
        if (errno != ENOENT)
                return child_errno();
        r = child_make_mount_point(path, child_is_dir_fd(fd));
        if (r < 0)
                return r;
        return syscall(SYS_move_mount, fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? child_errno() : 0;
}

/* Every mount at and beneath path read-only, in place. mount_setattr()
 * wants a mount's root: a plain directory is bound onto itself first, as
 * systemd does. */
static _child_ int child_read_only(const char *path, bool ignore_missing) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

        if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) >= 0)
                return 0;
        if (errno == ENOENT && ignore_missing)
                return 0;
        if (errno != EINVAL)
                return child_errno();
        if (syscall(SYS_mount, path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return child_errno();
        return syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) < 0 ? child_errno() : 0;
}

/* A read-only tmpfs on op->path holding one empty mode-000 file, copied
 * once per slot, then detached: the copies outlive it. */
static _child_ int child_stage(const MountPlan *plan, const MountOp *op) {
        char file[PATH_MAX];
        size_t n = strlen(op->path);
        long fd;

        if (n + 3 > sizeof file)
                return -ENAMETOOLONG;
        memcpy(file, op->path, n);
        memcpy(file + n, "/f", 3);
        if (syscall(SYS_mount, "tmpfs", op->path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k") < 0)
                return child_errno();
        fd = syscall(SYS_openat, AT_FDCWD, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0);
        if (fd < 0)
                return child_errno();
        (void) syscall(SYS_close, fd);
        if (syscall(SYS_mount, NULL, op->path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                return child_errno();
        for (size_t i = 0; i < op->n_slots; i++) {
                fd = syscall(SYS_open_tree, AT_FDCWD, file, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (fd < 0)
                        return child_errno();
                plan->fds[op->slot + i] = (int) fd;
        }
        return syscall(SYS_umount2, op->path, MNT_DETACH) < 0 ? child_errno() : 0;
}

/* A directory gets an empty read-only tmpfs of mode 000 (no staging
 * needed); anything else the staged empty file. */
static _child_ int child_inaccessible(const MountPlan *plan, const MountOp *op) {
        struct statx stx;

        if (syscall(SYS_statx, AT_FDCWD, op->path, 0, STATX_TYPE, &stx) < 0)
                return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
        if (S_ISDIR(stx.stx_mode))
                return syscall(SYS_mount, "tmpfs", op->path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               "mode=000,size=4k") < 0 ? child_errno() : 0;
        return child_attach(plan->fds[op->slot], op->path);
}

static _child_ int child_op(const MountPlan *plan, const MountOp *op, const char **ret_step) {
        long fd;
        int r;

        switch (op->type) {
        case MOUNT_OP_CLONE:
                *ret_step = "open_tree";
                fd = syscall(SYS_open_tree, AT_FDCWD, op->source,
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
                if (fd < 0)
                        return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
                plan->fds[op->slot] = (int) fd;
                return 0;
        case MOUNT_OP_STAGE:
                *ret_step = "mount_stage";
                return child_stage(plan, op);
        case MOUNT_OP_TMPFS:
                *ret_step = "mount_tmpfs";
                if (syscall(SYS_mount, "tmpfs", op->path, "tmpfs", op->flags, op->options) < 0)
                        return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
                return 0;
        case MOUNT_OP_PROC:
                *ret_step = "mount_proc";
                return syscall(SYS_mount, "proc", op->path, "proc", op->flags, op->options) < 0 ? child_errno() : 0;
        case MOUNT_OP_DEVPTS:
                *ret_step = "mount_devpts";
                return syscall(SYS_mount, "devpts", op->path, "devpts", op->flags, op->options) < 0 ? child_errno() :
                                                                                                        0;
        case MOUNT_OP_ATTACH:
                *ret_step = "bind";
                fd = plan->fds[op->slot];
                if (fd < 0)             /* a missing source with '-' */
                        return 0;
                if (op->flags & MS_RDONLY) {
                        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                        *ret_step = "mount_setattr";
                        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                                return child_errno();
                        *ret_step = "bind";
                }
                r = child_attach((int) fd, op->path);
                (void) syscall(SYS_close, fd);
                plan->fds[op->slot] = -1;
                return r;
        case MOUNT_OP_READ_ONLY:
                *ret_step = "mount_read_only";
                return child_read_only(op->path, op->ignore_missing);
        case MOUNT_OP_INACCESSIBLE:
                *ret_step = "mount_inaccessible";
                return child_inaccessible(plan, op);
        case MOUNT_OP_MKDIR:
                *ret_step = "mkdir";
                return syscall(SYS_mkdirat, AT_FDCWD, op->path, op->mode) < 0 && errno != EEXIST ? child_errno() : 0;
        case MOUNT_OP_SYMLINK:
                *ret_step = "symlink";
                return syscall(SYS_symlinkat, op->source, AT_FDCWD, op->path) < 0 ? child_errno() : 0;
        default:
                *ret_step = "mount_plan";
                return -EINVAL;
        }
}

_child_ int mount_plan_apply(const MountPlan *plan, const char **ret_step) {
        int r = 0;

        *ret_step = "unshare_mount";
        if (syscall(SYS_unshare, CLONE_NEWNS) < 0)
                return child_errno();
        /* The host's mount events still reach us; none of ours reach it. */
        *ret_step = "mount_slave";
        if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return child_errno();

        for (size_t i = 0; i < plan->n_fds; i++)
                plan->fds[i] = -1;
        /* The modes of the plan are exact: the agent's UMask= (set before
         * the plan) would make a 0755 mount point 0700, which a non-root
         * agent cannot cross. */
        long mask = syscall(SYS_umask, 0);
        for (size_t i = 0; r >= 0 && i < plan->n_ops; i++)
                r = child_op(plan, &plan->ops[i], ret_step);
        (void) syscall(SYS_umask, mask);
        /* Unused copies (a directory's staged file); all O_CLOEXEC anyway. */
        for (size_t i = 0; i < plan->n_fds; i++)
                if (plan->fds[i] >= 0) {
                        (void) syscall(SYS_close, plan->fds[i]);
                        plan->fds[i] = -1;
                }
        return r;
}

int mount_plan_supported(const char **ret_missing) {
        struct mount_attr attr = {};

        /* Each answers EBADF (or EINVAL) for a bad fd where it exists. */
        if (syscall(SYS_open_tree, -1, "", AT_EMPTY_PATH) < 0 && errno == ENOSYS) {
                if (ret_missing)
                        *ret_missing = "open_tree";
                return -EOPNOTSUPP;
        }
        if (syscall(SYS_move_mount, -1, "", -1, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 &&
            errno == ENOSYS) {
                if (ret_missing)
                        *ret_missing = "move_mount";
                return -EOPNOTSUPP;
        }
        if (syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0 && errno == ENOSYS) {
                if (ret_missing)
                        *ret_missing = "mount_setattr";
                return -EOPNOTSUPP;
        }
        return 0;
}
