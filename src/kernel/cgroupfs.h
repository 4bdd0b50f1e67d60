/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Low-level helpers for the cgroup file systems: reading and writing the
 * small control files, and finding where each hierarchy is mounted and where
 * a process sits in it. Used by the cgroup*.c files, and by the notify
 * socket for a sender's cgroup. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Files are named relative to dfd (AT_FDCWD for absolute paths; O_PATH
 * directory fds work too). */
int cgfs_write(int dfd, const char *file, const char *value);
int cgfs_write_uint64(int dfd, const char *file, uint64_t value);  /* UINT64_MAX: "max" */
int cgfs_read(int dfd, const char *file, char **ret);              /* whole file, NUL-terminated */
int cgfs_read_uint64(int dfd, const char *file, uint64_t *ret);    /* "max": UINT64_MAX */
/* The value of a "KEY VALUE" line; -ENODATA when there is no such line. */
int cgfs_read_keyed(int dfd, const char *file, const char *key, uint64_t *ret);
int cgfs_count_lines(int dfd, const char *file, uint64_t *ret);
int cgfs_read_pids(int dfd, const char *file, pid_t **ret, size_t *ret_n);
/* mkdir -p of base/rel where base exists; existing directories are fine. */
int cgfs_mkdir_p(const char *base, const char *rel);
/* An rmdir that treats a directory already gone as removed. */
int cgfs_rmdir(const char *path);

/* The cgroup2 mount: /sys/fs/cgroup (pure v2) or /sys/fs/cgroup/unified
 * (hybrid); -EOPNOTSUPP on legacy-only hosts. */
int cgfs_find_unified(char **ret_mount, bool *ret_pure);
/* The one parser of /proc/PID/cgroup text: the path of the entry of the v2
 * hierarchy (controller NULL: the "0::" line) or of the v1 hierarchy that
 * carries controller, as a pointer into text and a length; -ENOENT if there is
 * none. Pure. */
int cgfs_proc_cgroup_find(const char *text, const char *controller, const char **ret_path, size_t *ret_len);
/* pid's path (pid 0: this process) from /proc/PID/cgroup, as above; the
 * daemon's notify socket credits a message by its sender's v2 path. */
int cgfs_pid_path(pid_t pid, const char *controller, char **ret);
int cgfs_own_path(const char *controller, char **ret);     /* cgfs_pid_path(0, ...) */
/* The directory of own_path in the mounted v1 hierarchy of controller
 * (libcgroup first, /proc/self/mountinfo when it cannot tell). */
int cgfs_v1_dir(const char *controller, const char *own_path, char **ret);

/* The cgroup id (on cgroup2, the inode number of the group's directory) of
 * the process behind a pidfd, also after it was reaped (Linux 6.16;
 * PIDFD_GET_INFO came in 6.13). -EOPNOTSUPP where the kernel cannot tell,
 * -ESRCH when it does not say. */
int cgfs_pidfd_cgroup_id(int pidfd, uint64_t *ret);
