/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agents' cgroups: where they sit beneath the daemon's own cgroup in
 * every hierarchy, and their creation and removal (see cgroup.h). Limits,
 * kill and statistics are in the other cgroup-*.c files. */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "path-util.h"
#include "string-table.h"

static const char *const cgroup_v1_controller_table[_CGROUP_V1_MAX] = {
        [CGROUP_V1_PIDS] = "pids",
        [CGROUP_V1_MEMORY] = "memory",
        [CGROUP_V1_CPU] = "cpu",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(cgroup_v1_controller, CgroupV1Controller);

static int enable_controllers(const CgroupRoot *r, const char *dir) {
        _cleanup_free_ char *file = NULL;

        if (!r->enable)
                return 0;
        file = path_join(dir, "cgroup.subtree_control");
        if (!file)
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

        f_avail = path_join(own_dir, "cgroup.controllers");
        f_enabled = path_join(own_dir, "cgroup.subtree_control");
        if (!f_avail || !f_enabled)
                return -ENOMEM;
        k = cgfs_read(AT_FDCWD, f_avail, &available);
        if (k < 0)
                return k;
        k = cgfs_read(AT_FDCWD, f_enabled, &enabled);
        if (k < 0)
                return k;

        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                if (!word_in_list(available, cgroup_v1_controller_to_string(c)))
                        continue;
                r->has[c] = true;
                if (!word_in_list(enabled, cgroup_v1_controller_to_string(c)))
                        missing = true;
                strcat(buf, buf[0] ? " +" : "+");
                strcat(buf, cgroup_v1_controller_to_string(c));
        }
        if (!buf[0])
                return 0;
        r->enable = strdup(buf);
        if (!r->enable)
                return -ENOMEM;
        if (!missing)
                return 0;

        if (!own_is_root) {
                leaf = path_join(own_dir, "daemon");
                procs = leaf ? path_join(leaf, "cgroup.procs") : NULL;
                if (!procs)
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

/* Appends own_v2 escaped (see cgroup_v1_root_name()) to f. */
static void escape_v2_path(FILE *f, const char *own_v2) {
        if (strcmp(own_v2, "/") == 0) {
                fputc('-', f);
                return;
        }
        for (const char *p = own_v2 + 1; *p; p++) {
                if (*p == '/')
                        fputc('-', f);
                else if (strchr("-\\@", *p))
                        fprintf(f, "\\x%02x", (unsigned) (unsigned char) *p);
                else
                        fputc(*p, f);
        }
}

int cgroup_v1_root_name(const char *name, const char *own_v2, const char *own_v1, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!name || !own_v2 || own_v2[0] != '/' || !own_v1)
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs(name, f);
        if (strcmp(own_v1, own_v2) != 0 || strchr(name, '@')) {
                fputc('@', f);
                escape_v2_path(f, own_v2);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (size > NAME_MAX)
                return -ENAMETOOLONG;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The v1 groups are another daemon's whenever that daemon sits elsewhere in
 * cgroup2: named after our own v2 place (cgroup_v1_root_name()), they are
 * ours alone, and only then is what is left in them stale. The caller holds
 * the v2 lock (cgroup_root_open()). */
static int setup_v1(CgroupRoot *r, const char *name, const char *own_v2, char *const *keep) {
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                _cleanup_free_ char *own = NULL, *own_dir = NULL, *v1_name = NULL;
                int k;

                if (cgfs_own_path(cgroup_v1_controller_to_string(c), &own) < 0 ||
                    cgfs_v1_dir(cgroup_v1_controller_to_string(c), own, &own_dir) < 0)
                        continue;                /* not mounted: no such limits */
                k = cgroup_v1_root_name(name, own_v2, own, &v1_name);
                if (k < 0)
                        return k;
                r->v1_dir[c] = path_join(own_dir, v1_name);
                if (!r->v1_dir[c])
                        return -ENOMEM;
                if (mkdir(r->v1_dir[c], 0755) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                        k = cgroup_stale_tree_remove(r->v1_dir[c], false, false, keep);
                        if (k < 0)
                                return k;
                }
                r->has[c] = true;
        }
        return 0;
}

/* Creates the v2 root group and locks it (flock, held until
 * cgroup_root_free()): the lock that makes its subtree and the v1 groups
 * named after it (cgroup_v1_root_name()) this instance's, taken before any
 * stale group is touched. -EBUSY while another instance holds it. 1 if the
 * group was made now, 0 if it was there. */
static int lock_root(CgroupRoot *r) {
        for (unsigned attempt = 0; attempt < 3; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat a, b;
                bool made = true;

                if (mkdir(r->dir, 0755) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                        made = false;
                }
                fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) {
                        if (errno == ENOENT)
                                continue;        /* its holder removed it just now */
                        return -errno;
                }
                if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return errno == EWOULDBLOCK ? -EBUSY : -errno;
                /* Its last holder may have removed it between our open and
                 * our lock: a lock on a removed directory guards nothing. */
                if (fstat(fd, &a) < 0)
                        return -errno;
                if (stat(r->dir, &b) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        continue;
                r->lock_fd = TAKE_FD(fd);
                return made;
        }
        return -EBUSY;
}

static bool name_ok(const char *name) {
        return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
               strlen(name) < 128;
}

int cgroup_root_open(const char *name, CgroupRoot **ret) {
        return cgroup_root_open_keep(name, NULL, ret);
}

int cgroup_root_open_keep(const char *name, char *const *keep, CgroupRoot **ret) {
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
        /* Found in that leaf already (executed anew by Reexecute, or put
         * there by the service manager): the subtree is its parent's. */
        if (pure) {
                char *slash = strrchr(own, '/');

                if (slash && strcmp(slash + 1, "daemon") == 0)
                        slash[slash == own ? 1 : 0] = 0;
        }

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->unified = pure;
        r->lock_fd = -EBADF;
        r->kept = keep && keep[0];
        r->path = path_join(own, name);
        own_dir = path_join(mount, own + 1);
        r->dir = own_dir ? path_join(own_dir, name) : NULL;
        if (!r->path || !r->dir)
                return -ENOMEM;

        if (pure) {
                k = setup_unified(r, own_dir, strcmp(own, "/") == 0);
                if (k < 0)
                        return k;
        }

        k = lock_root(r);
        if (k < 0)
                return k;
        if (k == 0) {
                k = cgroup_stale_tree_remove(r->dir, true, false, keep);
                if (k < 0)
                        return k;
        }
        k = enable_controllers(r, r->dir);
        if (k < 0)
                return k;

        if (!pure) {
                k = setup_v1(r, name, own, keep);
                if (k < 0)
                        return k;
        }

        *ret = TAKE_PTR(r);
        return 0;
}

CgroupRoot *cgroup_root_free(CgroupRoot *r) {
        if (!r)
                return NULL;
        /* Without the lock the groups are not ours to remove (another
         * instance holds them, or we never got that far). */
        for (CgroupV1Controller c = 0; c < _CGROUP_V1_MAX; c++) {
                if (r->v1_dir[c] && r->lock_fd >= 0)
                        (void) cgfs_rmdir(r->v1_dir[c]);
                free(r->v1_dir[c]);
        }
        cgroup_freeze_root_done(r);     /* its v1 freezer group, if a freeze made one */
        if (r->dir && r->lock_fd >= 0)
                (void) cgfs_rmdir(r->dir);
        /* Only now: nothing of ours is left for a next instance to mistake. */
        safe_close(r->lock_fd);
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
        c->spawn_dir_fd = -EBADF;
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
        if (c->rel)
                c->path = path_join(r->path, c->rel);
        if (!c->path)
                return -ENOMEM;

        *ret = TAKE_PTR(c);
        return 0;
}

char *cgroup_v2_dir(const Cgroup *c) {
        return path_join(c->root->dir, c->rel);
}

char *cgroup_v1_dir(const Cgroup *c, CgroupV1Controller k) {
        return path_join(c->root->v1_dir[k], c->rel);
}

int cgroup_dir_open(const Cgroup *c) {
        int fd;

        /* Beneath the root group's fd, which the CgroupRoot holds anyway:
         * the path is c's relative one, whatever the mount is called. */
        fd = openat(c->root->lock_fd, *c->rel ? c->rel : ".", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* The identity notify.c indexes agents by, taken once: the group keeps no
 * fd to fstat() later. */
static int record_id(Cgroup *c) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = cgroup_dir_open(c);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        c->id = (uint64_t) st.st_ino;
        return 0;
}

/* Creates the v2 directory (unless it is the root group's) and records its
 * identity. */
static int cgroup_make_v2(Cgroup *c) {
        _cleanup_free_ char *dir = NULL;
        int k;

        dir = cgroup_v2_dir(c);
        if (!dir)
                return -ENOMEM;
        /* A supervisor's group kept for adopted agents beneath it is reused. */
        if (*c->rel && mkdir(dir, 0755) < 0 && !(errno == EEXIST && c->root->kept && !c->agent))
                return -errno;
        k = record_id(c);
        if (k < 0 && *c->rel)
                (void) rmdir(dir);
        return k;
}

int cgroup_supervisor_new(CgroupRoot *r, Cgroup *parent, const char *name, uint64_t max_descendants,
                          const Limits *limits, Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *c = NULL;
        int k;

        if (!cgroup_limits_supported(r, limits))
                return -EOPNOTSUPP;

        k = cgroup_new(r, parent, parent ? name : NULL, ".supervisor", &c);
        if (k < 0)
                return k;
        k = cgroup_make_v2(c);
        if (k < 0)
                return k;
        if (*c->rel) {
                _cleanup_free_ char *dir = NULL;

                dir = cgroup_v2_dir(c);
                k = dir ? enable_controllers(r, dir) : -ENOMEM;
        }
        if (k >= 0)
                k = cgroup_set_max_descendants(c, max_descendants);
        if (k >= 0 && !*c->rel)
                k = cgroup_reset_root_limits(c);
        if (k >= 0)
                k = cgroup_apply_limits(c, limits);
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
        if (!cgroup_limits_supported(r, limits))
                return -EOPNOTSUPP;

        k = cgroup_new(r, parent, name, ".agent", &c);
        if (k < 0)
                return k;
        c->agent = true;
        k = cgroup_make_v2(c);
        if (k < 0)
                return k;
        k = cgroup_apply_limits(c, limits);
        if (k < 0) {
                (void) cgroup_remove(c);
                return k;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int cgroup_agent_adopt(CgroupRoot *r, Cgroup *parent, const char *name, Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *c = NULL;
        int k;

        if (!name)
                return -EINVAL;
        k = cgroup_new(r, parent, name, ".agent", &c);
        if (k < 0)
                return k;
        c->agent = true;
        k = record_id(c);
        if (k < 0)
                return k;
        for (CgroupV1Controller i = 0; i < _CGROUP_V1_MAX; i++) {
                _cleanup_free_ char *v1 = NULL;

                if (!r->v1_dir[i])
                        continue;
                v1 = cgroup_v1_dir(c, i);
                if (!v1)
                        return -ENOMEM;
                c->v1_made[i] = access(v1, F_OK) >= 0;
        }
        /* A daemon before this one set memory.oom.group (see
         * cgroup-limits.c for why it must not be): cleared where there, at
         * best (the agent is taken over all the same). */
        if (r->unified) {
                _cleanup_close_ int dfd = cgroup_dir_open(c);

                if (dfd >= 0)
                        (void) cgfs_write(dfd, "memory.oom.group", "0");
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
                v1 = cgroup_v1_dir(c, i);
                if (!v1)
                        return -ENOMEM;
                k = cgfs_rmdir(v1);
                if (k < 0)
                        return k;
                c->v1_made[i] = false;
        }
        cgroup_v1_procs_close(c);
        /* The v1 freezer group, made at a first freeze (cgroup-freeze.c). */
        k = cgroup_freeze_v1_remove(c);
        if (k < 0)
                return k;

        dir = cgroup_v2_dir(c);
        if (!dir)
                return -ENOMEM;
        return cgfs_rmdir(dir);
}

Cgroup *cgroup_free(Cgroup *c) {
        if (!c)
                return NULL;
        cgroup_v1_procs_close(c);
        free(c->rel);
        free(c->path);
        return mfree(c);
}

const char *cgroup_path(const Cgroup *c) {
        return c->path;
}

uint64_t cgroup_id(const Cgroup *c) {
        return c->id;
}

int cgroup_events_path(const Cgroup *c, char **ret) {
        _cleanup_free_ char *dir = NULL;

        dir = cgroup_v2_dir(c);
        if (!dir)
                return -ENOMEM;
        *ret = path_join(dir, "cgroup.events");
        return *ret ? 0 : -ENOMEM;
}
