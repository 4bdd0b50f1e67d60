/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state files on disk (see state-file.h): their directory, atomic
 * writes, trusted reads; and what /proc says of a recorded main pid. */
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "state-file.h"

int state_dir_open(int dirfd, const char *shown, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (mkdirat(dirfd, STATE_DIR_NAME, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create the state directory %s: %m", shown);
        fd = openat(dirfd, STATE_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open the state directory %s: %m", shown);
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat the state directory %s: %m", shown);
        /* Whoever could write here could make the daemon adopt (and so
         * signal and supervise) any process: nothing here is trusted then. */
        if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return log_error_errno(EPERM, "State directory %s is owned by uid %u with mode %04o; it must be the "
                                       "daemon's (uid %u) and writable by no one else: refusing to use it",
                                       shown, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777),
                                       (unsigned) geteuid());
        *ret = TAKE_FD(fd);
        return 0;
}

int state_file_write(int dirfd, const char *name, const char *text) {
        char tmp[PATH_MAX];
        size_t n = strlen(text), done = 0;
        _cleanup_close_ int fd = -EBADF;
        int r = 0;

        if ((size_t) snprintf(tmp, sizeof tmp, ".#%s", name) >= sizeof tmp)
                return -ENAMETOOLONG;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        while (done < n) {
                ssize_t k = write(fd, text + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                done += (size_t) k;
        }
        /* The rename makes the new text appear whole or not at all, for the
         * daemon that reads it after this one's crash or exec: that needs
         * the kernel's page cache, not the disk. No fsync: a state file
         * outlives the machine only where RuntimeDirectory= is not the
         * usual tmpfs, and after a reboot its agents are gone anyway (a
         * torn file is then ignored with an error, as any bad one). */
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dirfd, tmp, 0);
        return r;
}

int state_file_read(int dirfd, const char *name, char **ret_text, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size = 0;
        int r;

        *ret_error = NULL;
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                (void) asprintf(ret_error, "%s: cannot open: %s", name, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) asprintf(ret_error, "%s: cannot stat: %s", name, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
                (void) asprintf(ret_error, "%s: not a regular file of uid %u with mode 0600 (uid %u, mode %04o): "
                                "not trusted", name, (unsigned) geteuid(), (unsigned) st.st_uid,
                                (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        if ((uint64_t) st.st_size > STATE_FILE_SIZE_MAX) {
                (void) asprintf(ret_error, "%s: %" PRIu64 " bytes, more than a state file has (%u)", name,
                                (uint64_t) st.st_size, STATE_FILE_SIZE_MAX);
                return -EFBIG;
        }
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        while (size < (size_t) st.st_size) {
                ssize_t k = read(fd, text + size, (size_t) st.st_size - size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                size += (size_t) k;
        }
        text[size] = 0;
        if (strlen(text) != size) {
                (void) asprintf(ret_error, "%s: contains a NUL byte", name);
                return -EBADMSG;
        }
        *ret_text = TAKE_PTR(text);
        return 0;
}

int state_pid_starttime(pid_t pid, uint64_t *ret, bool *ret_zombie) {
        _cleanup_free_ char *stat = NULL;
        char path[64], state;
        unsigned long long start;
        const char *p;
        int r;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        r = read_full_file(path, &stat, NULL);
        if (r < 0)
                return r;
        /* comm may hold spaces and parentheses: fields start after the
         * last ')'. Field 3 is the state, field 22 the start time. */
        p = strrchr(stat, ')');
        if (!p || sscanf(p + 1,
                         " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &state, &start) != 2)
                return -EBADMSG;
        *ret = start;
        if (ret_zombie)
                *ret_zombie = state == 'Z' || state == 'X';
        return 0;
}

int state_pid_cgroup(pid_t pid, char **ret) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        int r;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(line, "0::", 3) == 0) {
                        *ret = strdup(line + 3);
                        return *ret ? 0 : -ENOMEM;
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}
