/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading and writing cgroup control files, and locating the hierarchies. */

#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "cgroupfs.h"
#include "macro.h"

int cgfs_write(int dfd, const char *file, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(value);
        ssize_t k;

        fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* kernfs takes a control value in one write() */
        k = write(fd, value, n);
        if (k < 0)
                return -errno;
        if ((size_t) k != n)
                return -EIO;
        return 0;
}

int cgfs_write_uint64(int dfd, const char *file, uint64_t value) {
        char buf[32];

        if (value == UINT64_MAX)
                return cgfs_write(dfd, file, "max");
        snprintf(buf, sizeof buf, "%" PRIu64, value);
        return cgfs_write(dfd, file, buf);
}

int cgfs_read(int dfd, const char *file, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, used = 0;

        fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t k;

                if (size - used < 2) {
                        size_t nsize = size == 0 ? 4096 : size * 2;
                        char *p = realloc(buf, nsize);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        size = nsize;
                }
                k = read(fd, buf + used, size - used - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                used += (size_t) k;
        }
        buf[used] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_value(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (strncmp(s, "max", 3) == 0 && (s[3] == 0 || s[3] == '\n')) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -errno;
        if (*end != 0 && *end != '\n' && *end != ' ')
                return -EINVAL;
        *ret = (uint64_t) v;
        return 0;
}

int cgfs_read_uint64(int dfd, const char *file, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = cgfs_read(dfd, file, &s);
        if (r < 0)
                return r;
        return parse_value(s, ret);
}

int cgfs_read_keyed(int dfd, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        size_t n = strlen(key);
        int r;

        r = cgfs_read(dfd, file, &s);
        if (r < 0)
                return r;

        for (const char *line = s; line && *line; ) {
                const char *nl = strchr(line, '\n');

                if (strncmp(line, key, n) == 0 && line[n] == ' ')
                        return parse_value(line + n + 1, ret);
                line = nl ? nl + 1 : NULL;
        }
        return -ENODATA;
}

int cgfs_count_lines(int dfd, const char *file, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        uint64_t n = 0;
        int r;

        r = cgfs_read(dfd, file, &s);
        if (r < 0)
                return r;
        for (const char *p = s; *p; p++)
                if (*p == '\n')
                        n++;
        *ret = n;
        return 0;
}

int cgfs_read_pids(int dfd, const char *file, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0, lines = 0;
        int r;

        r = cgfs_read(dfd, file, &s);
        if (r < 0)
                return r;
        for (const char *p = s; *p; p++)
                if (*p == '\n')
                        lines++;

        pids = malloc(sizeof(pid_t) * (lines + 1));
        if (!pids)
                return -ENOMEM;
        for (char *p = s; *p; ) {
                char *end;
                long v;

                errno = 0;
                v = strtol(p, &end, 10);
                if (errno != 0 || end == p || v <= 0 || (*end != '\n' && *end != 0) || n >= lines)
                        return -EINVAL;
                pids[n++] = (pid_t) v;
                p = *end ? end + 1 : end;
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

int cgfs_mkdir_p(const char *base, const char *rel) {
        _cleanup_free_ char *path = NULL;
        size_t base_len = strlen(base);

        if (asprintf(&path, "%s/%s", base, rel) < 0)
                return -ENOMEM;

        /* Each '/' after base ends a component to create, then the whole. */
        for (char *p = path + base_len + 1; ; p++) {
                if (*p != '/' && *p != 0)
                        continue;
                char saved = *p;
                *p = 0;
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = saved;
                if (saved == 0)
                        return 0;
        }
}

int cgfs_rmdir(const char *path) {
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static bool is_cgroup2(const char *path) {
        struct statfs s;

        return statfs(path, &s) >= 0 && (uint64_t) s.f_type == (uint64_t) CGROUP2_SUPER_MAGIC;
}

int cgfs_find_unified(char **ret_mount, bool *ret_pure) {
        static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (is_cgroup2(candidates[i])) {
                        char *m = strdup(candidates[i]);
                        if (!m)
                                return -ENOMEM;
                        *ret_mount = m;
                        *ret_pure = i == 0;
                        return 0;
                }
        return -EOPNOTSUPP;
}

static bool list_contains(const char *list, size_t len, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list, *end = list + len; p < end; ) {
                const char *comma = memchr(p, ',', (size_t) (end - p));
                size_t l = comma ? (size_t) (comma - p) : (size_t) (end - p);

                if (l == n && memcmp(p, word, n) == 0)
                        return true;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return false;
}

int cgfs_proc_cgroup_find(const char *text, const char *controller, const char **ret_path, size_t *ret_len) {
        /* Lines are "ID:CONTROLLERS:PATH"; v2 is "0::PATH". */
        for (const char *line = text; line && *line; ) {
                const char *nl = strchr(line, '\n');
                const char *end = nl ? nl : line + strlen(line);
                const char *c1 = memchr(line, ':', (size_t) (end - line));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;

                if (c2) {
                        bool match = controller ? list_contains(c1 + 1, (size_t) (c2 - c1 - 1), controller)
                                                : c2 == c1 + 1 && strncmp(line, "0:", 2) == 0;
                        if (match) {
                                *ret_path = c2 + 1;
                                *ret_len = (size_t) (end - c2 - 1);
                                return 0;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

int cgfs_pid_path(pid_t pid, const char *controller, char **ret) {
        _cleanup_free_ char *s = NULL;
        char file[64];
        const char *path;
        size_t len;
        char *p;
        int r;

        if (pid == 0)
                strcpy(file, "/proc/self/cgroup");
        else
                (void) snprintf(file, sizeof file, "/proc/%d/cgroup", (int) pid);
        r = cgfs_read(AT_FDCWD, file, &s);
        if (r < 0)
                return r;
        r = cgfs_proc_cgroup_find(s, controller, &path, &len);
        if (r < 0)
                return r;
        p = strndup(path, len);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int cgfs_own_path(const char *controller, char **ret) {
        return cgfs_pid_path(0, controller, ret);
}

static bool is_dir(const char *path) {
        struct stat st;

        return stat(path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static bool path_is_root(const char *p) {
        return p[0] == '/' && p[1] == 0;
}

/* "/sys/fs/cgroup/pids" + "/" must not give a trailing "/". */
static int join_dir(const char *mount, const char *path, char **ret) {
        if (asprintf(ret, "%s%s", mount, path_is_root(path) ? "" : path) < 0)
                return -ENOMEM;
        return 0;
}

static int v1_dir_libcgroup(const char *controller, const char *own_path, char **ret) {
        static int init_result = 1;
        _cleanup_free_ char *mount = NULL, *dir = NULL;

        if (init_result > 0)
                init_result = cgroup_init();
        if (init_result != 0)
                return -ENOENT;
        if (cgroup_get_subsys_mount_point(controller, &mount) != 0 || !mount)
                return -ENOENT;
        if (join_dir(mount, own_path, &dir) < 0)
                return -ENOMEM;
        if (!is_dir(dir))
                return -ENOENT;
        *ret = TAKE_PTR(dir);
        return 0;
}

/* Hierarchies mounted from a subdirectory (containers) need the mount's
 * root taken off the process's path. */
static int v1_dir_mountinfo(const char *controller, const char *own_path, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = cgfs_read(AT_FDCWD, "/proc/self/mountinfo", &s);
        if (r < 0)
                return r;

        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
        for (char *line = s; line && *line; ) {
                char *nl = strchr(line, '\n'), *sep, *field[5] = {}, *fstype, *superopts, *save = NULL;
                const char *rest;
                size_t root_len;

                if (nl)
                        *nl = 0;
                sep = strstr(line, " - ");
                if (!sep) {
                        line = nl ? nl + 1 : NULL;
                        continue;
                }
                *sep = 0;
                for (size_t i = 0; i < ELEMENTSOF(field); i++)
                        field[i] = strtok_r(i == 0 ? line : NULL, " ", &save);
                save = NULL;
                fstype = strtok_r(sep + 3, " ", &save);
                (void) strtok_r(NULL, " ", &save);
                superopts = strtok_r(NULL, " ", &save);
                line = nl ? nl + 1 : NULL;

                if (!field[4] || !fstype || !superopts || strcmp(fstype, "cgroup") != 0 ||
                    !list_contains(superopts, strlen(superopts), controller))
                        continue;

                root_len = path_is_root(field[3]) ? 0 : strlen(field[3]);
                if (strncmp(own_path, field[3], root_len) != 0 ||
                    (own_path[root_len] != '/' && own_path[root_len] != 0))
                        continue;
                rest = own_path + root_len;
                if (join_dir(field[4], *rest ? rest : "/", ret) < 0)
                        return -ENOMEM;
                return 0;
        }
        return -ENOENT;
}

int cgfs_v1_dir(const char *controller, const char *own_path, char **ret) {
        if (v1_dir_libcgroup(controller, own_path, ret) >= 0)
                return 0;
        return v1_dir_mountinfo(controller, own_path, ret);
}

/* PIDFD_GET_INFO (Linux 6.13), which older headers lack. Only the fields up
 * to exit_code (the first version of the struct, 64 bytes) are used; the
 * kernel takes the size from the ioctl number. */
struct cgfs_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
};
#define CGFS_PIDFD_INFO_CGROUPID 0x4u
#define CGFS_PIDFD_INFO_EXIT 0x8u         /* asked for, a reaped task's cgroup id comes too */
#define CGFS_PIDFD_GET_INFO _IOWR(0xFF, 11, struct cgfs_pidfd_info)

int cgfs_pidfd_cgroup_id(int pidfd, uint64_t *ret) {
        /* Answers (1), does not exist here (0), not tried yet (-1). */
        static int have_info = -1;
        struct cgfs_pidfd_info info = { .mask = CGFS_PIDFD_INFO_CGROUPID | CGFS_PIDFD_INFO_EXIT };

        if (have_info == 0)
                return -EOPNOTSUPP;
        if (ioctl(pidfd, CGFS_PIDFD_GET_INFO, &info) < 0) {
                if (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP) {
                        have_info = 0;
                        return -EOPNOTSUPP;
                }
                return -errno;
        }
        have_info = 1;
        if (!(info.mask & CGFS_PIDFD_INFO_CGROUPID))
                return -ESRCH;
        *ret = info.cgroupid;
        return 0;
}
