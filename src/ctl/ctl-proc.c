/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading an agent's processes from its cgroup and /proc. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl-proc.h"
#include "parse-util.h"

const char *cgroup2_root(void) {
        if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
                return "/sys/fs/cgroup/unified";
        if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
                return "/sys/fs/cgroup";
        return NULL;
}

static int read_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t k;

                if (size + 1 >= alloc) {
                        char *p;

                        if (alloc >= 1024 * 1024)
                                break;   /* enough of any /proc or cgroup file for a status view */
                        alloc = alloc ? alloc * 2 : 4096;
                        p = realloc(buf, alloc);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                k = read(fd, buf + size, alloc - size - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
        }
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int proc_read_entry(pid_t pid, ProcEntry *ret) {
        _cleanup_free_ char *stat = NULL, *cmdline = NULL;
        char path[64];
        const char *open_paren, *close_paren;
        size_t size;
        int ppid, r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_file(path, &stat, NULL);
        if (r < 0)
                return r;

        /* "PID (comm) S PPID ...": comm may hold spaces and parentheses. */
        open_paren = strchr(stat, '(');
        close_paren = strrchr(stat, ')');
        if (!open_paren || !close_paren || close_paren < open_paren ||
            sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
                return -EIO;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        r = read_file(path, &cmdline, &size);
        if (r < 0)
                return r;

        while (size > 0 && cmdline[size - 1] == '\0')
                size--;
        if (size == 0) {
                free(cmdline);
                if (asprintf(&cmdline, "[%.*s]", (int) (close_paren - open_paren - 1), open_paren + 1) < 0) {
                        cmdline = NULL;
                        return -ENOMEM;
                }
        } else
                for (size_t i = 0; i < size; i++)
                        if (cmdline[i] == '\0' || cmdline[i] == '\n')
                                cmdline[i] = ' ';

        *ret = (ProcEntry) { .pid = pid, .ppid = ppid, .cmdline = TAKE_PTR(cmdline) };
        return 0;
}

int cgroup_read_processes(const char *control_group, ProcEntry **ret, size_t *ret_n) {
        _cleanup_free_ char *path = NULL, *procs = NULL;
        ProcEntry *list = NULL;
        size_t n = 0;
        const char *root = cgroup2_root();
        char *saveptr = NULL;
        int r;

        if (!root)
                return -ENOMEDIUM;
        if (!control_group || control_group[0] != '/' || strstr(control_group, "/../"))
                return -EINVAL;
        if (asprintf(&path, "%s%s/cgroup.procs", root, control_group) < 0)
                return -ENOMEM;

        r = read_file(path, &procs, NULL);
        if (r < 0)
                return r;

        for (char *tok = strtok_r(procs, "\n", &saveptr); tok; tok = strtok_r(NULL, "\n", &saveptr)) {
                ProcEntry e, *p;
                int pid;

                if (parse_int(tok, &pid) < 0 || pid <= 0)
                        continue;
                if (proc_read_entry(pid, &e) < 0)
                        continue;
                p = reallocarray(list, n + 1, sizeof(ProcEntry));
                if (!p) {
                        free(e.cmdline);
                        proc_entries_free(list, n);
                        return -ENOMEM;
                }
                list = p;
                list[n++] = e;
        }

        *ret = list;
        *ret_n = n;
        return 0;
}
