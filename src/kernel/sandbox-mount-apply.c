/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount plan's executor (see sandbox-mount.h): mount_plan_apply() runs
 * in the spawn child, on the parent's memory (CLONE_VM), and makes raw
 * system calls only: no allocation, no libc state. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static _child_ void child_close(long fd) {
        if (fd >= 0)
                (void) syscall(SYS_close, fd);
}

/* dir_fd/path without following a symlink anywhere in it (ELOOP): the
 * child is root over host file systems, and a directory on the way may be
 * an agent's. */
static _child_ long child_open(int dir_fd, const char *path, unsigned long long flags) {
        struct open_how how = { .flags = flags | O_CLOEXEC, .mode = flags & O_CREAT ? 0644 : 0,
                                .resolve = RESOLVE_NO_SYMLINKS };

        return syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
}

/* An O_PATH fd of a step's path: a fixed system path (op->system: /home,
 * /usr, /dev/null, ... which a host may well make a symlink, /home to
 * /var/home) is the host's to point anywhere; any other, from an agent's
 * keys, is resolved without symlinks. */
static _child_ long child_open_path(const char *path, bool system) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = system ? 0 : RESOLVE_NO_SYMLINKS };

        return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/* Walks path from "/" one component at a time on directory fds, making the
 * missing ones (0755 directories; the last an empty 0644 file unless dir),
 * and returns an O_PATH fd of the last: the mount point for a bind whose
 * destination the sandbox does not have (a BindPaths= target in the private
 * /tmp). mkdirat() and the O_CREAT open act on the name in the directory
 * fd, and a symlink there is refused (EEXIST, then ELOOP on the open). */
static _child_ long child_make_mount_point(const char *path, bool dir) {
        char name[NAME_MAX + 1];
        long dfd, next;
        size_t i = 0;

        dfd = child_open(AT_FDCWD, "/", O_PATH | O_DIRECTORY);
        if (dfd < 0)
                return child_errno();
        for (;;) {
                size_t n = 0;
                bool last;

                while (path[i] == '/')
                        i++;
                while (path[i] && path[i] != '/') {
                        if (n >= NAME_MAX) {
                                child_close(dfd);
                                return -ENAMETOOLONG;
                        }
                        name[n++] = path[i++];
                }
                name[n] = 0;
                while (path[i] == '/')
                        i++;
                last = path[i] == 0;
                if (n == 0) {           /* "/" itself */
                        return dfd;
                }
                if (!last || dir) {
                        if (syscall(SYS_mkdirat, dfd, name, 0755) < 0 && errno != EEXIST) {
                                next = child_errno();
                                child_close(dfd);
                                return next;
                        }
                        next = child_open((int) dfd, name, O_PATH | O_DIRECTORY);
                } else {
                        next = child_open((int) dfd, name, O_RDONLY | O_CREAT | O_NOCTTY | O_NONBLOCK);
                        child_close(next);
                        next = next < 0 ? next : child_open((int) dfd, name, O_PATH);
                }
                if (next < 0)
                        next = child_errno();
                child_close(dfd);
                if (next < 0 || last)
                        return next;
                dfd = next;
        }
}

/* Attaches the detached tree fd onto path, made as a mount point if
 * missing: onto the fd of the path resolved without symlinks, never onto
 * wherever a link on the way points. */
static _child_ int child_attach(int fd, const char *path, bool system) {
        long target;
        int r;

        target = child_open_path(path, system);
        if (target < 0 && errno == ENOENT)
                target = child_make_mount_point(path, child_is_dir_fd(fd));
        else if (target < 0)
                target = child_errno();
        if (target < 0)
                return (int) target;
        r = syscall(SYS_move_mount, fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ?
                    child_errno() : 0;
        child_close(target);
        return r;
}

/* Every mount at and beneath path read-only, in place. mount_setattr()
 * wants a mount's root: a plain directory gets a recursive copy of itself
 * bound onto it first (as systemd does), made read-only before it is
 * attached. */
static _child_ int child_read_only(const char *path, bool ignore_missing, bool system) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        long fd, tree;
        int r;

        fd = child_open_path(path, system);
        if (fd < 0)
                return errno == ENOENT && ignore_missing ? 0 : child_errno();
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) >= 0) {
                child_close(fd);
                return 0;
        }
        if (errno != EINVAL) {
                r = child_errno();
                child_close(fd);
                return r;
        }
        tree = syscall(SYS_open_tree, fd, "", AT_EMPTY_PATH | AT_RECURSIVE | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0 || syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0 ||
            syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = child_errno();
        else
                r = 0;
        child_close(tree);
        child_close(fd);
        return r;
}

/* A device node at op->path, as the host's node of the O_PATH fd src: made
 * with mknod() (a mount costs more, and its copy's detach an RCU grace
 * period on a failed start); where the kernel refuses that (a user
 * namespace's root, a device cgroup), the host's node bound there, as it
 * is in the namespace now (open_tree() of the covered copy). */
static _child_ int child_device(long src, const MountOp *op) {
        struct statx stx;
        long fd;
        int r;

        if (syscall(SYS_statx, src, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE, &stx) < 0)
                return child_errno();
        if (!S_ISCHR(stx.stx_mode))
                return -ENODEV;
        if (syscall(SYS_mknodat, AT_FDCWD, op->path, S_IFCHR | 0666,
                    makedev(stx.stx_rdev_major, stx.stx_rdev_minor)) >= 0)
                return 0;
        if (errno != EPERM)
                return child_errno();
        fd = syscall(SYS_open_tree, src, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (fd < 0)
                return child_errno();
        r = child_attach((int) fd, op->path, op->system);
        child_close(fd);
        return r;
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

/* An empty read-only tmpfs of mode 000, made with the new mount API and
 * attached onto fd. */
static _child_ int child_tmpfs_onto(long fd) {
        long fs, mnt;
        int r = 0;

        fs = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return child_errno();
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "000", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                r = child_errno();
        mnt = r < 0 ? -1 : syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (r >= 0 && mnt < 0)
                r = child_errno();
        if (r >= 0 && syscall(SYS_move_mount, mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = child_errno();
        child_close(mnt);
        child_close(fs);
        return r;
}

/* A directory gets an empty read-only tmpfs of mode 000 (no staging
 * needed); anything else the staged empty file, staged at the first such
 * path (*stage, then NULL): the stage's detach waits for an RCU grace
 * period, which the usual inaccessible paths (the home directories, all
 * directories) never need to pay. */
static _child_ int child_inaccessible(const MountPlan *plan, const MountOp *op, const MountOp **stage,
                                      const char **ret_step) {
        long fd;
        int r;

        fd = child_open_path(op->path, op->system);
        if (fd < 0)
                return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
        if (child_is_dir_fd((int) fd))
                r = child_tmpfs_onto(fd);
        else {
                r = 0;
                if (*stage) {
                        *ret_step = "mount_stage";
                        r = child_stage(plan, *stage);
                        *stage = NULL;
                        *ret_step = "mount_inaccessible";
                }
                if (r >= 0 && syscall(SYS_move_mount, plan->fds[op->slot], "", fd, "",
                                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        r = child_errno();
        }
        child_close(fd);
        return r;
}

/* A detached copy of the path as the namespace shows it now, resolved
 * without symlinks; for a device node (op->device), its O_PATH fd only. */
static _child_ int child_clone(const MountPlan *plan, const MountOp *op) {
        long src, fd;

        src = child_open_path(op->source, op->system);
        if (src < 0)
                return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
        if (op->device) {
                plan->fds[op->slot] = (int) src;
                return 0;
        }
        fd = syscall(SYS_open_tree, src, "",
                     AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
        if (fd < 0)
                fd = child_errno();
        child_close(src);
        if (fd < 0)
                return (int) fd;
        plan->fds[op->slot] = (int) fd;
        return 0;
}

/* The copies of the sources the daemon opened, made while the child is
 * still in the daemon's mount namespace (open_tree() copies only mounts of
 * the caller's namespace), each a slave of its source, as a copy made in
 * the agent's namespace would be: nothing mounted beneath a bind in there
 * propagates back to the host. */
static _child_ int child_clone_sources(const MountPlan *plan) {
        struct mount_attr attr = { .propagation = MS_SLAVE };

        for (size_t i = 0; i < plan->n_ops; i++) {
                const MountOp *op = &plan->ops[i];
                long src, fd;

                if (op->type != MOUNT_OP_CLONE || !op->from_parent)
                        continue;
                src = plan->received[op->source_index];
                plan->received[op->source_index] = -1;
                if (src < 0)            /* missing, with '-' */
                        continue;
                fd = syscall(SYS_open_tree, src, "",
                             AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
                if (fd < 0)
                        fd = child_errno();
                child_close(src);
                if (fd < 0)
                        return (int) fd;
                plan->fds[op->slot] = (int) fd;
                if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                        return child_errno();
        }
        return 0;
}

/* The sources the daemon opened, in the order of plan->sources, skipping
 * the missing ones: every datagram was queued before the clone. */
static _child_ int child_receive_sources(const MountPlan *plan, int sources_fd) {
        size_t k = 0;

        for (size_t i = 0; i < plan->n_sources; i++)
                plan->received[i] = -1;
        for (;;) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * MOUNT_PLAN_SOURCES_PER_MESSAGE)];
                } control;
                char byte;
                struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof control };
                struct cmsghdr *c;
                size_t n;

                while (k < plan->n_sources && plan->sources[k] < 0)
                        k++;
                if (k == plan->n_sources)
                        return 0;
                if (syscall(SYS_recvmsg, sources_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) < 0)
                        return child_errno();
                c = CMSG_FIRSTHDR(&mh);
                if ((mh.msg_flags & MSG_CTRUNC) || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        return -EBADMSG;
                n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t j = 0; j < n; j++) {
                        int fd;

                        __builtin_memcpy(&fd, CMSG_DATA(c) + j * sizeof(int), sizeof fd);
                        while (k < plan->n_sources && plan->sources[k] < 0)
                                k++;
                        if (k == plan->n_sources) {
                                child_close(fd);
                                continue;
                        }
                        plan->received[k++] = fd;
                }
        }
}

/* What the daemon logs for a refused symlink (ELOOP). */
static _child_ const char *symlink_step(MountOpType type) {
        switch (type) {
        case MOUNT_OP_CLONE:
                return "open_tree (a symlink in the source's path)";
        case MOUNT_OP_ATTACH:
                return "bind (a symlink in the mount point's path)";
        case MOUNT_OP_READ_ONLY:
                return "mount_read_only (a symlink in the path)";
        case MOUNT_OP_INACCESSIBLE:
                return "mount_inaccessible (a symlink in the path)";
        default:
                return "mount (a symlink in the path)";
        }
}

static _child_ int child_op(const MountPlan *plan, const MountOp *op, const MountOp **stage, const char **ret_step) {
        long fd;
        int r;

        switch (op->type) {
        case MOUNT_OP_CLONE:
                *ret_step = "open_tree";
                /* The daemon's sources are copied before the unshare. */
                return op->from_parent ? 0 : child_clone(plan, op);
        case MOUNT_OP_STAGE:
                /* Made by the first inaccessible path that needs it. */
                *stage = op;
                return 0;
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
                if (op->device) {
                        *ret_step = "mknod";
                        r = child_device(fd, op);
                        (void) syscall(SYS_close, fd);
                        plan->fds[op->slot] = -1;
                        return r;
                }
                if (op->flags & MS_RDONLY) {
                        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                        *ret_step = "mount_setattr";
                        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                                return child_errno();
                        *ret_step = "bind";
                }
                r = child_attach((int) fd, op->path, op->system);
                (void) syscall(SYS_close, fd);
                plan->fds[op->slot] = -1;
                return r;
        case MOUNT_OP_READ_ONLY:
                *ret_step = "mount_read_only";
                return child_read_only(op->path, op->ignore_missing, op->system);
        case MOUNT_OP_INACCESSIBLE:
                *ret_step = "mount_inaccessible";
                return child_inaccessible(plan, op, stage, ret_step);
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

_child_ int mount_plan_take_sources(const MountPlan *plan, int sources_fd, const char **ret_step) {
        int r;

        for (size_t i = 0; i < plan->n_fds; i++)
                plan->fds[i] = -1;
        if (plan->n_sources == 0)
                return 0;
        *ret_step = "mount_sources";
        if (!plan->received || sources_fd < 0)
                return -EBADF;
        r = child_receive_sources(plan, sources_fd);
        (void) syscall(SYS_close, sources_fd);
        *ret_step = "open_tree";
        return r < 0 ? r : child_clone_sources(plan);
}

_child_ int mount_plan_apply(const MountPlan *plan, const char **ret_step) {
        const MountOp *stage = NULL;
        int r = 0;

        *ret_step = "unshare_mount";
        if (syscall(SYS_unshare, CLONE_NEWNS) < 0)
                return child_errno();
        /* The host's mount events still reach us; none of ours reach it. */
        *ret_step = "mount_slave";
        if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return child_errno();

        /* The modes of the plan are exact: the agent's UMask= (set before
         * the plan) would make a 0755 mount point 0700, which a non-root
         * agent cannot cross. */
        long mask = syscall(SYS_umask, 0);
        for (size_t i = 0; r >= 0 && i < plan->n_ops; i++) {
                r = child_op(plan, &plan->ops[i], &stage, ret_step);
                if (r == -ELOOP)
                        *ret_step = symlink_step(plan->ops[i].type);
        }
        (void) syscall(SYS_umask, mask);
        /* Unused copies (a directory's staged file, a step not reached);
         * all O_CLOEXEC anyway. */
        for (size_t i = 0; i < plan->n_sources; i++)
                if (plan->received[i] >= 0) {
                        (void) syscall(SYS_close, plan->received[i]);
                        plan->received[i] = -1;
                }
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
