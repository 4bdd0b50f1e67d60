/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run's environment: a temp dir with the record FIFO and copies of the
 * agents, the harness's place in the cgroup2 hierarchy, and what it takes
 * down on every exit path (the daemon, the dbus-daemon, cgroups, files). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cgroupfs.h"

static int copy_executable(const char *src, const char *dst) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        char buf[65536];
        ssize_t n;

        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -errno;
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (out < 0)
                return -errno;
        while ((n = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t) n) != n)
                        return errno > 0 ? -errno : -EIO;
        if (n < 0)
                return -errno;
        /* umask may have taken bits away; agents run as nobody. */
        if (fchmod(out, 0755) < 0)
                return -errno;
        return 0;
}

static bool is_cgroup2(const char *path) {
        struct statfs fs;

        return statfs(path, &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

int env_read_own_cgroup(char **ret_v2_base) {
        _cleanup_free_ char *mount = NULL, *own = NULL;
        bool pure;
        int r;

        r = cgfs_find_unified(&mount, &pure);
        if (r < 0)
                return r == -EOPNOTSUPP ? -ENOMEDIUM : r;
        r = cgfs_own_path(NULL, &own);
        if (r < 0)
                return r;
        if (asprintf(ret_v2_base, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own) < 0)
                return -ENOMEM;
        return 0;
}

int env_setup(BenchEnv *e, const BenchOptions *o) {
        const char *tmp = getenv("TMPDIR");
        int r;

        *e = (BenchEnv) { .fifo_fd = -EBADF, .daemon_pidfd = -EBADF, .dbus_pid = 0, .daemon_pid = 0 };

        if (asprintf(&e->tmpdir, "%s/agentvisor-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                return -ENOMEM;
        if (!mkdtemp(e->tmpdir)) {
                r = -errno;
                e->tmpdir = mfree(e->tmpdir);
                return r;
        }
        /* Agents run as nobody and must reach the FIFO and the binaries. */
        if (chmod(e->tmpdir, 0755) < 0)
                return -errno;

        if (asprintf(&e->fifo_path, "%s/records", e->tmpdir) < 0 ||
            asprintf(&e->agent_path, "%s/bench-agent", e->tmpdir) < 0 ||
            asprintf(&e->notify_path, "%s/bench-notify", e->tmpdir) < 0 ||
            asprintf(&e->control_group, "agentvisor-bench.%d", (int) getpid()) < 0)
                return -ENOMEM;
        if (mkfifo(e->fifo_path, 0666) < 0 || chmod(e->fifo_path, 0666) < 0)
                return -errno;
        e->fifo_fd = open(e->fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (e->fifo_fd < 0)
                return -errno;

        r = copy_executable(o->agent_path, e->agent_path);
        if (r < 0) {
                fprintf(stderr, "agentvisor-bench: cannot copy %s: %s\n", o->agent_path, strerror(-r));
                return r;
        }
        r = copy_executable(o->notify_path, e->notify_path);
        if (r < 0) {
                fprintf(stderr, "agentvisor-bench: cannot copy %s: %s\n", o->notify_path, strerror(-r));
                return r;
        }

        r = env_read_own_cgroup(&e->v2_base);
        if (r < 0) {
                fprintf(stderr, "agentvisor-bench: cannot find the harness's cgroup2 directory: %s\n",
                        strerror(-r));
                return r;
        }
        return 0;
}

static bool record_parse(const char *line, Record *ret) {
        unsigned long long ns;
        char kind;

        if (sscanf(line, "%c %71s %llu", &kind, ret->tag, &ns) != 3 || (kind != 'S' && kind != 'C'))
                return false;
        ret->kind = kind;
        ret->ns = ns;
        return true;
}

int env_next_record(BenchEnv *e, Record *ret, uint64_t deadline) {
        for (;;) {
                char *nl = memchr(e->rbuf, '\n', e->rlen);
                struct pollfd p[2];
                uint64_t now;
                ssize_t n;
                int timeout;

                if (nl) {
                        bool ok;

                        *nl = '\0';
                        ok = record_parse(e->rbuf, ret);
                        e->rlen -= (size_t) (nl + 1 - e->rbuf);
                        memmove(e->rbuf, nl + 1, e->rlen);
                        if (ok)
                                return 0;
                        fprintf(stderr, "agentvisor-bench: ignoring a malformed record\n");
                        continue;
                }
                if (e->rlen == sizeof e->rbuf)
                        e->rlen = 0;         /* a line this long is no record */

                n = read(e->fifo_fd, e->rbuf + e->rlen, sizeof e->rbuf - e->rlen);
                if (n > 0) {
                        e->rlen += (size_t) n;
                        continue;
                }
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;

                if (bench_interrupted)
                        return -EINTR;
                now = now_nsec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        return -ETIME;
                timeout = (int) MIN((deadline - now) / 1000000 + 1, 100ULL);
                p[0] = (struct pollfd) { .fd = e->fifo_fd, .events = POLLIN };
                p[1] = (struct pollfd) { .fd = e->bus ? sd_bus_get_fd(e->bus) : -1, .events = POLLIN };
                (void) poll(p, 2, timeout);
                if (e->bus)
                        bus_pump(e);
        }
}

void env_drain_records(BenchEnv *e) {
        char buf[4096];

        while (read(e->fifo_fd, buf, sizeof buf) > 0)
                ;
        e->rlen = 0;
}

/* The daemon's root group in each hierarchy it may use: cgroup2 and the v1
 * pids, memory and cpu hierarchies (beneath the harness's own group in each,
 * as the daemon makes them). */
static int daemon_cgroup_dirs(BenchEnv *e, char ***ret) {
        _cleanup_free_ char *line = NULL;
        char **dirs = NULL;
        size_t n = 0, size = 0;
        FILE *f;

        dirs = calloc(8, sizeof *dirs);
        if (!dirs)
                return -ENOMEM;
        if (asprintf(&dirs[n++], "%s/%s", e->v2_base, e->control_group) < 0)
                goto oom;

        f = fopen("/proc/self/cgroup", "re");
        if (f) {
                while (n < 7 && getline(&line, &size, f) > 0) {
                        char *ctrl = strchr(line, ':'), *path;
                        char mount[PATH_MAX];

                        if (!ctrl)
                                continue;
                        ctrl++;
                        path = strchr(ctrl, ':');
                        if (!path)
                                continue;
                        *path++ = '\0';
                        path[strcspn(path, "\n")] = '\0';
                        if (!strstr(ctrl, "pids") && !strstr(ctrl, "memory") &&
                            !(strstr(ctrl, "cpu") && !strstr(ctrl, "cpuset")))
                                continue;
                        snprintf(mount, sizeof mount, "/sys/fs/cgroup/%s", ctrl);
                        if (access(mount, F_OK) < 0 || is_cgroup2(mount))
                                continue;
                        if (asprintf(&dirs[n++], "%s%s/%s", mount, strcmp(path, "/") == 0 ? "" : path,
                                     e->control_group) < 0) {
                                fclose(f);
                                goto oom;
                        }
                }
                fclose(f);
        }
        *ret = dirs;
        return 0;
oom:
        for (size_t i = 0; i < n; i++)
                free(dirs[i]);
        free(dirs);
        return -ENOMEM;
}

static void strv_free_n(char **l) {
        for (char **i = l; i && *i; i++)
                free(*i);
        free(l);
}

static unsigned agent_dirs_found;

static int count_agent_dir(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        size_t len = strlen(path);

        if (type == FTW_D && len > 6 && strcmp(path + len - 6, ".agent") == 0)
                agent_dirs_found++;
        return 0;
}

int env_count_agent_cgroups(BenchEnv *e, unsigned *ret) {
        _cleanup_free_ char *root = NULL;

        if (asprintf(&root, "%s/%s", e->v2_base, e->control_group) < 0)
                return -ENOMEM;
        agent_dirs_found = 0;
        if (nftw(root, count_agent_dir, 16, FTW_PHYS) < 0 && errno != ENOENT)
                return -errno;
        *ret = agent_dirs_found;
        return 0;
}

static int remove_dir(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (type == FTW_DP)
                (void) rmdir(path);
        return 0;
}

static int remove_any(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (type == FTW_DP)
                (void) rmdir(path);
        else
                (void) unlink(path);
        return 0;
}

/* Kills whatever still runs in a cgroup2 subtree and removes it; bounded. */
static void cgroup2_tree_destroy(const char *dir) {
        _cleanup_free_ char *kill_path = NULL, *events = NULL;
        int fd;

        if (asprintf(&kill_path, "%s/cgroup.kill", dir) < 0 || asprintf(&events, "%s/cgroup.events", dir) < 0)
                return;
        fd = open(kill_path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) write(fd, "1", 1);
                close(fd);
        }
        for (int i = 0; i < 500; i++) {
                char buf[256] = {};
                int efd = open(events, O_RDONLY | O_CLOEXEC);
                ssize_t n;

                if (efd < 0)
                        break;
                n = read(efd, buf, sizeof buf - 1);
                close(efd);
                if (n <= 0 || strstr(buf, "populated 0"))
                        break;
                usleep(10000);
        }
        (void) nftw(dir, remove_dir, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the daemon should have removed itself; returns how many hierarchies
 * still had its root group. */
static unsigned cleanup_daemon_cgroups(BenchEnv *e) {
        char **dirs = NULL;
        unsigned left = 0;

        if (!e->control_group || !e->v2_base || daemon_cgroup_dirs(e, &dirs) < 0)
                return 0;
        for (char **d = dirs; *d; d++) {
                if (access(*d, F_OK) < 0)
                        continue;
                left++;
                fprintf(stderr, "agentvisor-bench: removing the leftover cgroup %s\n", *d);
                if (d == dirs)
                        cgroup2_tree_destroy(*d);
                else
                        (void) nftw(*d, remove_dir, 16, FTW_DEPTH | FTW_PHYS);
        }
        strv_free_n(dirs);
        return left;
}

static int wait_pidfd(int pidfd, unsigned timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        uint64_t deadline = now_nsec(CLOCK_MONOTONIC) + (uint64_t) timeout_ms * 1000000;

        for (;;) {
                uint64_t now = now_nsec(CLOCK_MONOTONIC);
                int r;

                if (now >= deadline)
                        return -ETIME;
                r = poll(&p, 1, (int) ((deadline - now) / 1000000 + 1));
                if (r > 0)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return -errno;
        }
}

/* SIGTERM, then SIGKILL after the timeout; returns the wait status, or
 * -ETIME when SIGKILL was needed. */
static int terminate(pid_t pid, unsigned timeout_ms, int *ret_status) {
        int pidfd = (int) pidfd_open(pid, 0), status = 0, r = 0;

        if (pidfd < 0)
                return -errno;
        (void) kill(pid, SIGTERM);
        if (wait_pidfd(pidfd, timeout_ms) < 0) {
                (void) kill(pid, SIGKILL);
                r = -ETIME;
        }
        close(pidfd);
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        *ret_status = status;
        return r;
}

int env_stop_daemon(BenchEnv *e, Table *t) {
        unsigned left;
        int status = 0, r;

        if (e->daemon_pid <= 0)
                return 0;
        r = terminate(e->daemon_pid, 60000, &status);
        e->daemon_pid = 0;
        e->daemon_pidfd = safe_close(e->daemon_pidfd);
        if (r == -ETIME) {
                if (t)
                        table_note_failure(t, "agentvisord did not exit within 60 s of SIGTERM; killed");
        } else if (r < 0) {
                if (t)
                        table_note_failure(t, "waiting for agentvisord: %s", strerror(-r));
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (t)
                        table_note_failure(t, "agentvisord ended with %s %d on SIGTERM (expected exit 0)",
                                           WIFEXITED(status) ? "exit status" : "signal",
                                           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }

        left = cleanup_daemon_cgroups(e);
        if (left > 0 && t)
                table_note_failure(t, "agentvisord left its cgroup %s in %u hierarchies after SIGTERM",
                                   e->control_group, left);
        return 0;
}

void env_cleanup(BenchEnv *e) {
        int status;

        if (e->exited_slot)
                e->exited_slot = sd_bus_slot_unref(e->exited_slot);
        (void) env_stop_daemon(e, NULL);
        if (e->bus)
                e->bus = sd_bus_flush_close_unref(e->bus);
        if (e->dbus_pid > 0) {
                (void) terminate(e->dbus_pid, 5000, &status);
                e->dbus_pid = 0;
        }
        if (e->v2_base) {
                _cleanup_free_ char *floor_dir = NULL;

                if (asprintf(&floor_dir, "%s/bench-floor.%d", e->v2_base, (int) getpid()) >= 0 &&
                    access(floor_dir, F_OK) >= 0)
                        cgroup2_tree_destroy(floor_dir);
        }
        e->fifo_fd = safe_close(e->fifo_fd);
        if (e->tmpdir)
                (void) nftw(e->tmpdir, remove_any, 16, FTW_DEPTH | FTW_PHYS);
        free(e->tmpdir);
        free(e->fifo_path);
        free(e->agent_path);
        free(e->notify_path);
        free(e->v2_base);
        free(e->control_group);
        free(e->bus_address);
        *e = (BenchEnv) { .fifo_fd = -EBADF, .daemon_pidfd = -EBADF };
}

int daemon_rss_bytes(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *line = NULL;
        char path[64];
        size_t size = 0;
        FILE *f;
        int r = -ENOENT;

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0) {
                unsigned long long kb;

                if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
                        *ret = kb * 1024;
                        r = 0;
                        break;
                }
        }
        fclose(f);
        return r;
}

int daemon_fd_count(pid_t pid, unsigned *ret) {
        char path[64];
        struct dirent *de;
        unsigned n = 0;
        DIR *d;

        snprintf(path, sizeof path, "/proc/%d/fd", (int) pid);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        *ret = n;
        return 0;
}

int daemon_cpu_ticks(pid_t pid, uint64_t *ret) {
        char path[64], buf[2048], *p;
        unsigned long long utime, stime;
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        /* The command name may hold spaces and parentheses: fields count
         * from the last ')'. utime and stime are fields 14 and 15. */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
                return -EIO;
        *ret = utime + stime;
        return 0;
}
