/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the notify socket lives: RUNTIME/CONTROLGROUP, a directory only the
 * daemon may write, and the lock in it that lets one daemon per
 * ControlGroup run (see notify.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "notify-runtime.h"

/* A directory the notify socket and lock may live in: made if missing, a
 * directory, not a symlink, owned by root (the daemon's user) and writable
 * by no one else, or anyone could swap the socket agents are told of. */
int notify_runtime_open_dir(int dirfd, const char *path, const char *shown, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (mkdirat(dirfd, path, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create the runtime directory %s: %m", shown);
        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open the runtime directory %s: %m", shown);
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat the runtime directory %s: %m", shown);
        if (st.st_uid != geteuid())
                return log_error_errno(EPERM, "Runtime directory %s is owned by uid %u, not by the daemon's uid %u: "
                                       "refusing to use it (fix its owner or set RuntimeDirectory=)",
                                       shown, (unsigned) st.st_uid, (unsigned) geteuid());
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_error_errno(EPERM, "Runtime directory %s is writable by %s (mode %04o): refusing to use it "
                                       "(chmod go-w it or set RuntimeDirectory=)",
                                       shown, st.st_mode & S_IWOTH ? "others" : "its group",
                                       (unsigned) (st.st_mode & 07777));
        *ret = TAKE_FD(fd);
        return 0;
}

/* One daemon per ControlGroup: the lock is held for the daemon's life, and
 * taken before anything under the cgroup subtree is touched (the stale-group
 * cleanup would kill a live daemon's agents). */
int notify_runtime_lock(Manager *m) {
        for (unsigned attempt = 0; attempt < 3; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st, now;
                char pid[32] = "";

                fd = openat(m->notify_dir_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0)
                        return log_error_errno(errno, "Failed to open the lock %s/lock: %m", m->notify_dir);
                if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        if (errno != EWOULDBLOCK)
                                return log_error_errno(errno, "Failed to lock %s/lock: %m", m->notify_dir);
                        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
                        pid[n > 0 ? strcspn(pid, "\n") : 0] = 0;
                        log_error("Another agentvisord%s%s%s already supervises ControlGroup=%s: it holds the lock %s/lock",
                                  pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", m->config->control_group,
                                  m->notify_dir);
                        return -EBUSY;
                }
                /* The previous holder may have removed the file between our
                 * open() and flock(): a lock on it would lock nothing. */
                if (fstat(fd, &st) < 0 || fstatat(m->notify_dir_fd, "lock", &now, AT_SYMLINK_NOFOLLOW) < 0 ||
                    st.st_ino != now.st_ino || st.st_dev != now.st_dev)
                        continue;
                if (ftruncate(fd, 0) >= 0) {
                        snprintf(pid, sizeof pid, "%d\n", (int) getpid());
                        (void) pwrite(fd, pid, strlen(pid), 0);
                }
                m->notify_lock_fd = TAKE_FD(fd);
                return 0;
        }
        return log_error_errno(EBUSY, "Failed to lock %s/lock: it keeps being replaced", m->notify_dir);
}

/* At exit, by the daemon that held the lock only: the socket and the lock
 * go, so nothing stale is left behind. */
void notify_runtime_release(Manager *m) {
        if (m->notify_lock_fd < 0)
                return;
        if (m->notify_bound && unlinkat(m->notify_dir_fd, "notify", 0) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove the notify socket %s: %m", m->notify_socket);
        if (unlinkat(m->notify_dir_fd, "lock", 0) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove the lock %s/lock: %m", m->notify_dir);
        /* Another daemon may be starting on it: then it stays. */
        (void) rmdir(m->notify_dir);
        m->notify_lock_fd = safe_close(m->notify_lock_fd);
}
