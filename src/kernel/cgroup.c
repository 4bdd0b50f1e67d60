/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agents' cgroups: layout beneath the daemon's own cgroup in every
 * hierarchy, limits, kill, removal and statistics (see cgroup.h). */

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "log.h"
#include "time-util.h"

#define CPU_PERIOD_USEC 100000ULL
#define CPU_QUOTA_MIN_USEC 1000ULL      /* the kernel refuses smaller quotas */
/* ... and larger ones than this (its bandwidth arithmetic has 44 bits of
 * microseconds); a quota above it is more CPU than any machine has: none. */
#define CPU_QUOTA_MAX_USEC ((1ULL << 44) - 1)
/* pids.max refuses values from PID_MAX_LIMIT + 1 on (EINVAL); there cannot
 * be more tasks than that anyway. */
#define TASKS_MAX_KERNEL (4ULL * 1024 * 1024)
#define STALE_WAIT_USEC (2 * USEC_PER_SEC)
#define STALE_POLL_USEC (10 * USEC_PER_MSEC)
/* Killing by pid (no cgroup.kill): rounds until cgroup.procs is empty, each
 * after a short pause; bounded, as it runs on the daemon's loop. */
#define KILL_ROUNDS_MAX 50
#define KILL_ROUND_PAUSE_USEC (2 * USEC_PER_MSEC)

static const char *const controller_names[_CGROUP_V1_MAX] = {
        [CGROUP_V1_PIDS] = "pids",
        [CGROUP_V1_MEMORY] = "memory",
        [CGROUP_V1_CPU] = "cpu",
};

struct CgroupRoot {
        bool unified;
        char *path;                          /* <own>/<name> as /proc/PID/cgroup shows it */
        char *dir;                           /* the same in the v2 file system */
        char *enable;                        /* "+pids +memory +cpu" for subtree_control (pure v2) */
        bool has[_CGROUP_V1_MAX];            /* limits of this kind can be applied */
        char *v1_dir[_CGROUP_V1_MAX];        /* <own>/<name> in each v1 hierarchy (hybrid) */
};

struct Cgroup {
        CgroupRoot *root;
        char *rel;                           /* beneath the root group; "" for the root group */
        char *path;
        int fd;                              /* v2 directory, O_PATH */
        bool agent;
        bool v1_made[_CGROUP_V1_MAX];        /* agents: v1 groups created (every mounted hierarchy) */
        uint64_t cpu_quota;                  /* per period, the lowest of this group's and its
                                              * ancestors' (v1 refuses a child above its parent);
                                              * UINT64_MAX: none */
        int v1_procs_fds[_CGROUP_V1_MAX];
        size_t n_v1_procs_fds;
};

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static usec_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static void sleep_usec(usec_t t) {
        struct timespec ts = { .tv_sec = (time_t) (t / USEC_PER_SEC), .tv_nsec = (long) (t % USEC_PER_SEC) * 1000 };

        (void) nanosleep(&ts, NULL);
}

static int path_join(const char *a, const char *b, char **ret) {
        if (!b || !*b)
                *ret = strdup(a);
        else if (!*a)
                *ret = strdup(b);
        else if (asprintf(ret, "%s%s%s", a, a[strlen(a) - 1] == '/' ? "" : "/", b) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

static bool limit_needs(const Limits *l, CgroupV1Controller c) {
        if (!l)
                return false;
        switch (c) {
        case CGROUP_V1_PIDS:
                return l->tasks_max != UINT64_MAX;
        case CGROUP_V1_MEMORY:
                return l->memory_max != UINT64_MAX;
        case CGROUP_V1_CPU:
                return l->cpu_quota_per_sec_usec != UINT64_MAX;
        default:
                return false;
        }
}

/* CPUQuota is CPU time per second; the kernel wants it per period. Any
 * value a caller can send is safe: no product overflows, and a quota the
 * kernel cannot hold is no quota (UINT64_MAX). */
static uint64_t cpu_quota(const Limits *l) {
        uint64_t q;

        if (!l || l->cpu_quota_per_sec_usec == UINT64_MAX)
                return UINT64_MAX;
        q = u64_muldiv_sat(l->cpu_quota_per_sec_usec, CPU_PERIOD_USEC, USEC_PER_SEC);
        if (q > CPU_QUOTA_MAX_USEC)
                return UINT64_MAX;
        return MAX(q, CPU_QUOTA_MIN_USEC);
}

/* TasksMax as pids.max takes it: any value is safe, those past what the
 * kernel can count are no limit ("max"). */
static uint64_t tasks_max(const Limits *l) {
        return l->tasks_max > TASKS_MAX_KERNEL ? UINT64_MAX : l->tasks_max;
}

static int populated_at(int dfd, const char *dir) {
        _cleanup_free_ char *file = NULL;
        uint64_t v;
        int r;

        if (path_join(dir, "cgroup.events", &file) < 0)
                return -ENOMEM;
        r = cgfs_read_keyed(dfd, file, "populated", &v);
        if (r < 0)
                return r;
        return v > 0;
}

static bool pid_listed(const pid_t *pids, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* One round of SIGKILL by pid: a pidfd is opened for each process listed,
 * then the list is read again, and only a pidfd whose pid is still listed is
 * signalled: the pidfd pins the process it was opened for, so a pid that was
 * reused in between (by a process elsewhere) is never hit. Returns how many
 * processes were listed at first (0: the group is empty) or -errno. */
static int kill_round_at(int dfd, const char *procs) {
        _cleanup_free_ pid_t *pids = NULL, *again = NULL;
        _cleanup_free_ int *fds = NULL;
        size_t n, m;
        int r;

        r = cgfs_read_pids(dfd, procs, &pids, &n);
        if (r < 0 || n == 0)
                return r;
        fds = malloc(n * sizeof(int));
        if (!fds)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fds[i] = (int) syscall(SYS_pidfd_open, pids[i], 0);
        r = cgfs_read_pids(dfd, procs, &again, &m);
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;        /* gone already */
                if (r >= 0 && pid_listed(again, m, pids[i]) &&
                    syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0) < 0 && errno != ESRCH && r >= 0)
                        r = -errno;
                safe_close(fds[i]);
        }
        return r < 0 ? r : (int) MIN(n, (size_t) INT32_MAX);
}

/* dir "" with dfd names the directory dfd itself. */
static int kill_by_pids_at(int dfd, const char *dir) {
        _cleanup_free_ char *procs = NULL, *freeze = NULL;
        int r = 0;

        if (path_join(dir, "cgroup.procs", &procs) < 0 || path_join(dir, "cgroup.freeze", &freeze) < 0)
                return -ENOMEM;
        /* Frozen (v2, 5.2+), nothing forks while we read and kill; SIGKILL
         * still ends a frozen task. The group stays frozen: it is going. */
        (void) cgfs_write(dfd, freeze, "1");
        for (unsigned round = 0; round < KILL_ROUNDS_MAX; round++) {
                if (round > 0)
                        sleep_usec(KILL_ROUND_PAUSE_USEC);
                r = kill_round_at(dfd, procs);
                if (r <= 0)
                        return r;
        }
        return -EBUSY;
}

int cgroup_kill_by_pids(Cgroup *c) {
        return kill_by_pids_at(c->fd, "");
}

/* dir "" with dfd names the directory dfd itself. */
static int kill_at(int dfd, const char *dir) {
        _cleanup_free_ char *file = NULL;
        int r;

        if (path_join(dir, "cgroup.kill", &file) < 0)
                return -ENOMEM;
        r = cgfs_write(dfd, file, "1");
        if (r != -ENOENT)
                return r;
        return kill_by_pids_at(dfd, dir);
}

/* A stale group: everything in it is killed, waited for (bounded) and the
 * directory removed. v2 groups report emptiness in cgroup.events; v1 groups
 * are retried until their cgroup.procs is empty. */
static int stale_group_remove(const char *dir, bool v2) {
        usec_t deadline = now_usec() + STALE_WAIT_USEC;
        int r;

        for (;;) {
                if (v2) {
                        r = populated_at(AT_FDCWD, dir);
                        if (r == 1)
                                r = kill_at(AT_FDCWD, dir);
                } else {
                        _cleanup_free_ char *procs = NULL;

                        if (path_join(dir, "cgroup.procs", &procs) < 0)
                                return -ENOMEM;
                        r = kill_round_at(AT_FDCWD, procs);
                }
                if (r < 0)
                        return r;
                if (r == 0 && cgfs_rmdir(dir) >= 0)
                        return 0;
                if (now_usec() >= deadline)
                        return -EBUSY;
                sleep_usec(STALE_POLL_USEC);
        }
}

static int stale_tree_remove(const char *dir, bool v2, bool remove_self) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if (path_join(dir, de->d_name, &sub) < 0)
                        return -ENOMEM;
                r = stale_tree_remove(sub, v2, true);
                if (r < 0)
                        return r;
        }
        if (!remove_self)
                return 0;
        r = stale_group_remove(dir, v2);
        if (r < 0)
                return r;
        log_warning("Removed stale cgroup %s left by an earlier daemon.", dir);
        return 0;
}

static int enable_controllers(const CgroupRoot *r, const char *dir) {
        _cleanup_free_ char *file = NULL;

        if (!r->enable)
                return 0;
        if (path_join(dir, "cgroup.subtree_control", &file) < 0)
                return -ENOMEM;
        return cgfs_write(AT_FDCWD, file, r->enable);
}

/* Whole words of a space or newline separated list ("cpu" is not "cpuset"). */
static bool word_in_list(const char *list, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list; *p; ) {
                size_t l = strcspn(p, " \n");

                if (l == n && strncmp(p, word, n) == 0)
                        return true;
                p += l;
                p += strspn(p, " \n");
        }
        return false;
}

/* Pure v2: a group with processes cannot hand controllers to its children,
 * so the daemon leaves for <own>/daemon first; never beyond its own
 * subtree. The root cgroup is exempt from that rule. */
static int setup_unified(CgroupRoot *r, const char *own_dir, bool own_is_root) {
        _cleanup_free_ char *f_avail = NULL, *f_enabled = NULL, *available = NULL, *enabled = NULL;
        _cleanup_free_ char *leaf = NULL, *procs = NULL;
        char buf[64] = "";
        bool missing = false;
        int k;

        if (path_join(own_dir, "cgroup.controllers", &f_avail) < 0 ||
            path_join(own_dir, "cgroup.subtree_control", &f_enabled) < 0)
                return -ENOMEM;
        k = cgfs_read(AT_FDCWD, f_avail, &available);
        if (k < 0)
                return k;
        k = cgfs_read(AT_FDCWD, f_enabled, &enabled);
        if (k < 0)
                return k;

        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                if (!word_in_list(available, controller_names[c]))
                        continue;
                r->has[c] = true;
                if (!word_in_list(enabled, controller_names[c]))
                        missing = true;
                strcat(buf, buf[0] ? " +" : "+");
                strcat(buf, controller_names[c]);
        }
        if (!buf[0])
                return 0;
        r->enable = strdup(buf);
        if (!r->enable)
                return -ENOMEM;
        if (!missing)
                return 0;

        if (!own_is_root) {
                if (path_join(own_dir, "daemon", &leaf) < 0 || path_join(leaf, "cgroup.procs", &procs) < 0)
                        return -ENOMEM;
                if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                k = cgfs_write(AT_FDCWD, procs, "0");
                if (k < 0)
                        return k;
        }
        if (enable_controllers(r, own_dir) < 0) {
                /* Others share our group: no limits then, the rest works
                 * (cgroup_root_has_controller() tells the daemon). */
                for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++)
                        r->has[c] = false;
                r->enable = mfree(r->enable);
        }
        return 0;
}

static int setup_v1(CgroupRoot *r, const char *name) {
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                _cleanup_free_ char *own = NULL, *own_dir = NULL;
                int k;

                if (cgfs_own_path(controller_names[c], &own) < 0 ||
                    cgfs_v1_dir(controller_names[c], own, &own_dir) < 0)
                        continue;                /* not mounted: no such limits */
                if (path_join(own_dir, name, &r->v1_dir[c]) < 0)
                        return -ENOMEM;
                if (mkdir(r->v1_dir[c], 0755) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                        k = stale_tree_remove(r->v1_dir[c], false, false);
                        if (k < 0)
                                return k;
                }
                r->has[c] = true;
        }
        return 0;
}

static bool name_ok(const char *name) {
        return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
               strlen(name) < 128;
}

int cgroup_root_open(const char *name, CgroupRoot **ret) {
        _cleanup_(cgroup_root_freep) CgroupRoot *r = NULL;
        _cleanup_free_ char *mount = NULL, *own = NULL, *own_dir = NULL;
        bool pure;
        int k;

        if (!name_ok(name))
                return -EINVAL;

        k = cgfs_find_unified(&mount, &pure);
        if (k < 0)
                return k;
        k = cgfs_own_path(NULL, &own);
        if (k < 0)
                return k;
        /* <own>/daemon is the daemon's leaf on pure v2. */
        if (pure && strcmp(name, "daemon") == 0)
                return -EINVAL;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->unified = pure;
        if (path_join(own, name, &r->path) < 0 ||
            path_join(mount, own + 1, &own_dir) < 0 ||
            path_join(own_dir, name, &r->dir) < 0)
                return -ENOMEM;

        if (pure) {
                k = setup_unified(r, own_dir, strcmp(own, "/") == 0);
                if (k < 0)
                        return k;
        }

        if (mkdir(r->dir, 0755) < 0) {
                if (errno != EEXIST)
                        return -errno;
                k = stale_tree_remove(r->dir, true, false);
                if (k < 0)
                        return k;
        }
        k = enable_controllers(r, r->dir);
        if (k < 0)
                return k;

        if (!pure) {
                k = setup_v1(r, name);
                if (k < 0)
                        return k;
        }

        *ret = TAKE_PTR(r);
        return 0;
}

CgroupRoot *cgroup_root_free(CgroupRoot *r) {
        if (!r)
                return NULL;
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                if (r->v1_dir[c])
                        (void) cgfs_rmdir(r->v1_dir[c]);
                free(r->v1_dir[c]);
        }
        if (r->dir)
                (void) cgfs_rmdir(r->dir);
        free(r->dir);
        free(r->path);
        free(r->enable);
        return mfree(r);
}

bool cgroup_root_is_unified(const CgroupRoot *r) {
        return r->unified;
}

const char *cgroup_root_path(const CgroupRoot *r) {
        return r->path;
}

bool cgroup_root_has_controller(const CgroupRoot *r, CgroupV1Controller c) {
        return c >= 0 && c < _CGROUP_V1_MAX && r->has[c];
}

static int cgroup_new(CgroupRoot *r, Cgroup *parent, const char *name, const char *suffix, Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *c = NULL;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->root = r;
        c->fd = -EBADF;
        c->cpu_quota = parent ? parent->cpu_quota : UINT64_MAX;
        for (size_t i = 0; i < _CGROUP_V1_MAX; i++)
                c->v1_procs_fds[i] = -EBADF;

        if (!name)
                c->rel = strdup("");
        else if (!name_ok(name))
                return -EINVAL;
        else if (asprintf(&c->rel, "%s%s%s%s", parent ? parent->rel : "", parent && *parent->rel ? "/" : "",
                          name, suffix) < 0)
                c->rel = NULL;
        if (!c->rel || path_join(r->path, c->rel, &c->path) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(c);
        return 0;
}

static int cgroup_v2_dir(const Cgroup *c, char **ret) {
        return path_join(c->root->dir, c->rel, ret);
}

static int cgroup_v1_dir(const Cgroup *c, CgroupV1Controller k, char **ret) {
        return path_join(c->root->v1_dir[k], c->rel, ret);
}

/* Creates the v2 directory (unless it is the root group's) and opens it. */
static int cgroup_make_v2(Cgroup *c) {
        _cleanup_free_ char *dir = NULL;

        if (cgroup_v2_dir(c, &dir) < 0)
                return -ENOMEM;
        if (*c->rel && mkdir(dir, 0755) < 0)
                return -errno;
        c->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->fd < 0) {
                int k = -errno;
                if (*c->rel)
                        (void) rmdir(dir);
                return k;
        }
        return 0;
}

int cgroup_set_max_descendants(Cgroup *c, uint64_t max) {
        return cgfs_write_uint64(c->fd, "cgroup.max.descendants", max);
}

static int write_v2_limits(Cgroup *c, const Limits *l) {
        int k;

        if (limit_needs(l, CGROUP_V1_PIDS)) {
                k = cgfs_write_uint64(c->fd, "pids.max", tasks_max(l));
                if (k < 0)
                        return k;
        }
        if (limit_needs(l, CGROUP_V1_MEMORY)) {
                k = cgfs_write_uint64(c->fd, "memory.max", l->memory_max);
                if (k < 0)
                        return k;
                /* Swap would let the agent run past MemoryMax. */
                k = cgfs_write(c->fd, "memory.swap.max", "0");
                if (k < 0 && k != -ENOENT)
                        return k;
        }
        if (limit_needs(l, CGROUP_V1_CPU)) {
                char buf[64];

                if (cpu_quota(l) == UINT64_MAX)
                        snprintf(buf, sizeof buf, "max %llu", CPU_PERIOD_USEC);
                else
                        snprintf(buf, sizeof buf, "%" PRIu64 " %llu", cpu_quota(l), CPU_PERIOD_USEC);
                k = cgfs_write(c->fd, "cpu.max", buf);
                if (k < 0)
                        return k;
        }
        /* An OOM kill takes the whole agent, not one process of it. (cgroup
         * v1 has no such switch: there the kernel kills one process and the
         * daemon ends the rest once the main process is gone.) */
        if (c->agent && c->root->has[CGROUP_V1_MEMORY]) {
                k = cgfs_write(c->fd, "memory.oom.group", "1");
                if (k < 0 && k != -ENOENT)
                        return k;
        }
        return 0;
}

/* The v1 group of controller k for c (hybrid): made in every mounted
 * hierarchy, limits or not, so that the supervision tree is the same tree in
 * each, a supervisor's limits bound all its agents, and every agent is
 * accounted for (pids.current, memory.usage_in_bytes). Agents also get the
 * cgroup.procs fd their child joins through. */
static int make_v1(Cgroup *c, CgroupV1Controller k, const Limits *l) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        uint64_t quota;
        int q;

        if (c->agent)
                c->v1_made[k] = true;        /* cgroup_remove() cleans up even half-made groups */
        q = cgfs_mkdir_p(c->root->v1_dir[k], c->rel);
        if (q < 0)
                return q;
        if (cgroup_v1_dir(c, k, &dir) < 0)
                return -ENOMEM;
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;

        switch (k) {
        case CGROUP_V1_PIDS:
                q = limit_needs(l, k) ? cgfs_write_uint64(dfd, "pids.max", tasks_max(l)) : 0;
                break;
        case CGROUP_V1_MEMORY:
                if (!limit_needs(l, k)) {
                        q = 0;
                        break;
                }
                /* memsw (memory+swap) may never be below the memory limit:
                 * lifted first, so that a higher limit can be written. */
                q = cgfs_write(dfd, "memory.memsw.limit_in_bytes", "-1");
                q = q == -ENOENT ? 0 : q;
                if (q >= 0)
                        q = cgfs_write_uint64(dfd, "memory.limit_in_bytes", l->memory_max);
                /* memsw counts memory+swap: the same value means no swap. */
                if (q >= 0) {
                        q = cgfs_write_uint64(dfd, "memory.memsw.limit_in_bytes", l->memory_max);
                        if (q == -ENOENT)
                                q = 0;
                }
                break;
        case CGROUP_V1_CPU:
                /* v1 refuses a quota above an ancestor's: the lower one holds. */
                quota = MIN(cpu_quota(l), c->cpu_quota);
                if (quota == UINT64_MAX) {
                        q = 0;
                        break;
                }
                q = cgfs_write_uint64(dfd, "cpu.cfs_period_us", CPU_PERIOD_USEC);
                if (q >= 0)
                        q = cgfs_write_uint64(dfd, "cpu.cfs_quota_us", quota);
                break;
        default:
                q = -EINVAL;
        }
        if (q < 0 || !c->agent)
                return q;

        q = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (q < 0)
                return -errno;
        c->v1_procs_fds[c->n_v1_procs_fds++] = q;
        return 0;
}

/* Limits in every hierarchy; refused (-EOPNOTSUPP) where the host cannot
 * enforce them. */
static int apply_limits(Cgroup *c, const Limits *l) {
        CgroupRoot *r = c->root;
        int k = 0;

        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX; i++)
                if (limit_needs(l, i) && !r->has[i])
                        return -EOPNOTSUPP;
        c->cpu_quota = MIN(c->cpu_quota, cpu_quota(l));

        if (r->unified)
                return write_v2_limits(c, l);
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX && k >= 0; i++)
                if (r->v1_dir[i])
                        k = make_v1(c, i, l);
        return k;
}

/* The root group is reused from one daemon to the next, not made afresh:
 * limits an earlier configuration set there go before this one's apply. */
static int reset_root_limits(Cgroup *c) {
        static const char *const v1_files[_CGROUP_V1_MAX][2] = {
                [CGROUP_V1_PIDS] = { "pids.max", "max" },
                [CGROUP_V1_MEMORY] = { "memory.memsw.limit_in_bytes", "memory.limit_in_bytes" },
                [CGROUP_V1_CPU] = { "cpu.cfs_quota_us", NULL },
        };
        CgroupRoot *r = c->root;
        int k = 0;

        if (r->unified) {
                if (r->has[CGROUP_V1_PIDS])
                        k = cgfs_write(c->fd, "pids.max", "max");
                if (k >= 0 && r->has[CGROUP_V1_MEMORY])
                        k = cgfs_write(c->fd, "memory.max", "max");
                if (k >= 0 && r->has[CGROUP_V1_CPU])
                        k = cgfs_write(c->fd, "cpu.max", "max");
                return k;
        }
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX && k >= 0; i++) {
                _cleanup_close_ int dfd = -EBADF;

                if (!r->v1_dir[i])
                        continue;
                dfd = open(r->v1_dir[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                if (i == CGROUP_V1_PIDS)
                        k = cgfs_write(dfd, v1_files[i][0], v1_files[i][1]);
                else
                        for (size_t j = 0; j < 2 && k >= 0 && v1_files[i][j]; j++) {
                                k = cgfs_write(dfd, v1_files[i][j], "-1");
                                k = k == -ENOENT ? 0 : k;
                        }
        }
        return k;
}

int cgroup_supervisor_new(CgroupRoot *r, Cgroup *parent, const char *name, uint64_t max_descendants,
                          const Limits *limits, Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *c = NULL;
        int k;

        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX; i++)
                if (limit_needs(limits, i) && !r->has[i])
                        return -EOPNOTSUPP;

        k = cgroup_new(r, parent, parent ? name : NULL, ".supervisor", &c);
        if (k < 0)
                return k;
        k = cgroup_make_v2(c);
        if (k < 0)
                return k;
        if (*c->rel) {
                _cleanup_free_ char *dir = NULL;

                k = cgroup_v2_dir(c, &dir);
                if (k >= 0)
                        k = enable_controllers(r, dir);
        }
        if (k >= 0)
                k = cgroup_set_max_descendants(c, max_descendants);
        if (k >= 0 && !*c->rel)
                k = reset_root_limits(c);
        if (k >= 0)
                k = apply_limits(c, limits);
        if (k < 0) {
                (void) cgroup_remove(c);
                return k;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int cgroup_agent_new(CgroupRoot *r, Cgroup *parent, const char *name, const Limits *limits,
                     Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *c = NULL;
        int k;

        if (!name)
                return -EINVAL;
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX; i++)
                if (limit_needs(limits, i) && !r->has[i])
                        return -EOPNOTSUPP;

        k = cgroup_new(r, parent, name, ".agent", &c);
        if (k < 0)
                return k;
        c->agent = true;
        k = cgroup_make_v2(c);
        if (k < 0)
                return k;
        k = apply_limits(c, limits);
        if (k < 0) {
                (void) cgroup_remove(c);
                return k;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int cgroup_remove(Cgroup *c) {
        _cleanup_free_ char *dir = NULL;
        int k;

        if (!*c->rel)
                return 0;                /* the root group goes with the CgroupRoot */

        /* v1 first: the v2 group is what the daemon watches for emptiness. */
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX; i++) {
                _cleanup_free_ char *v1 = NULL;

                if (!c->root->v1_dir[i] || (c->agent && !c->v1_made[i]))
                        continue;
                if (cgroup_v1_dir(c, i, &v1) < 0)
                        return -ENOMEM;
                k = cgfs_rmdir(v1);
                if (k < 0)
                        return k;
                c->v1_made[i] = false;
        }
        for (size_t i = 0; i < c->n_v1_procs_fds; i++)
                c->v1_procs_fds[i] = safe_close(c->v1_procs_fds[i]);
        c->n_v1_procs_fds = 0;

        if (cgroup_v2_dir(c, &dir) < 0)
                return -ENOMEM;
        return cgfs_rmdir(dir);
}

Cgroup *cgroup_free(Cgroup *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_v1_procs_fds; i++)
                safe_close(c->v1_procs_fds[i]);
        safe_close(c->fd);
        free(c->rel);
        free(c->path);
        return mfree(c);
}

const char *cgroup_path(const Cgroup *c) {
        return c->path;
}

int cgroup_dir_fd(const Cgroup *c) {
        return c->fd;
}

size_t cgroup_v1_procs_fds(const Cgroup *c, const int **ret) {
        *ret = c->v1_procs_fds;
        return c->n_v1_procs_fds;
}

int cgroup_events_path(const Cgroup *c, char **ret) {
        _cleanup_free_ char *dir = NULL;

        if (cgroup_v2_dir(c, &dir) < 0)
                return -ENOMEM;
        return path_join(dir, "cgroup.events", ret);
}

int cgroup_is_populated(const Cgroup *c) {
        return populated_at(c->fd, "");
}

int cgroup_kill(Cgroup *c) {
        return kill_at(c->fd, "");
}

int cgroup_pids(const Cgroup *c, pid_t **ret, size_t *ret_n) {
        return cgfs_read_pids(c->fd, "cgroup.procs", ret, ret_n);
}

/* Reads one value of the agent's v1 group of controller k; -ENOENT when
 * there is no such group. */
static int read_v1(const Cgroup *c, CgroupV1Controller k, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *dir = NULL, *path = NULL;

        if (!c->v1_made[k])
                return -ENOENT;
        if (cgroup_v1_dir(c, k, &dir) < 0 || path_join(dir, file, &path) < 0)
                return -ENOMEM;
        return key ? cgfs_read_keyed(AT_FDCWD, path, key, ret) : cgfs_read_uint64(AT_FDCWD, path, ret);
}

static int read_v2(const Cgroup *c, const char *file, const char *key, uint64_t *ret) {
        if (!c->root->unified)
                return -ENOENT;
        return key ? cgfs_read_keyed(c->fd, file, key, ret) : cgfs_read_uint64(c->fd, file, ret);
}

/* A missing file or key is "not known" (fallback), anything else an error. */
static int read_either(const Cgroup *c, CgroupV1Controller k, const char *v2_file, const char *v2_key,
                       const char *v1_file, const char *v1_key, uint64_t fallback, uint64_t *ret) {
        int q;

        q = read_v2(c, v2_file, v2_key, ret);
        if (q == -ENOENT || q == -ENODATA)
                q = read_v1(c, k, v1_file, v1_key, ret);
        if (q == -ENOENT || q == -ENODATA) {
                *ret = fallback;
                return 0;
        }
        return q;
}

int cgroup_read_cpu_usage(const Cgroup *c, nsec_t *ret) {
        uint64_t usec;
        int k;

        k = cgfs_read_keyed(c->fd, "cpu.stat", "usage_usec", &usec);
        if (k < 0)
                return k;
        *ret = usec > UINT64_MAX / NSEC_PER_USEC ? UINT64_MAX : usec * NSEC_PER_USEC;
        return 0;
}

int cgroup_read_oom_kills(const Cgroup *c, uint64_t *ret) {
        return read_either(c, CGROUP_V1_MEMORY, "memory.events", "oom_kill", "memory.oom_control", "oom_kill",
                           0, ret);
}

int cgroup_read_memory_pressure(const Cgroup *c, double *ret) {
        _cleanup_free_ char *text = NULL;
        const char *p;
        double v;
        int k;

        /* PSI is a cgroup2 file that exists without the memory controller. */
        k = cgfs_read(c->fd, "memory.pressure", &text);
        if (k < 0)
                return k;
        p = strstr(text, "some avg10=");
        if (!p || sscanf(p, "some avg10=%lf", &v) != 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cgroup_read_stats(const Cgroup *c, CgroupStats *ret) {
        CgroupStats s;
        int k;

        /* cpu.stat exists in every v2 group, controllers or not: it tells
         * whether the group is still there. */
        k = cgroup_read_cpu_usage(c, &s.cpu_usage_nsec);
        if (k >= 0)
                k = read_either(c, CGROUP_V1_MEMORY, "memory.current", NULL, "memory.usage_in_bytes", NULL,
                                UINT64_MAX, &s.memory_current);
        if (k >= 0)
                k = read_either(c, CGROUP_V1_MEMORY, "memory.peak", NULL, "memory.max_usage_in_bytes", NULL,
                                UINT64_MAX, &s.memory_peak);
        if (k >= 0)
                k = read_either(c, CGROUP_V1_PIDS, "pids.current", NULL, "pids.current", NULL, UINT64_MAX,
                                &s.tasks_current);
        if (k >= 0 && s.tasks_current == UINT64_MAX)
                k = cgfs_count_lines(c->fd, "cgroup.threads", &s.tasks_current);
        if (k >= 0)
                k = cgroup_read_oom_kills(c, &s.oom_kills);
        if (k < 0)
                return k;
        *ret = s;
        return 0;
}
