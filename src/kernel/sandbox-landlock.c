/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Landlock rulesets for agents (see sandbox-landlock.h). The uapi is
 * declared here under our own names: the installed linux/landlock.h may
 * predate the ABI the running kernel offers. */

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macro.h"
#include "sandbox-landlock.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* As spawn.c's: runs in the spawn child on borrowed memory. */
#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REFER (1ULL << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define LL_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */

#define LL_NET_BIND_TCP (1ULL << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_NET_ABI 4

/* Rights that can be granted on a file that is no directory. */
#define LL_FS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_FS_READ (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

struct ll_path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
        uint64_t allowed_access;
        uint64_t port;
};

int landlock_abi(void) {
        static int cached = 0;
        long abi;

        if (cached != 0)
                return cached;
        abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        /* ENOSYS: not built; EOPNOTSUPP: built but not enabled at boot. */
        cached = abi >= 1 ? (int) abi : -EOPNOTSUPP;
        return cached;
}

static uint64_t fs_rights_of_abi(int abi) {
        uint64_t m = LL_FS_ABI1;

        if (abi >= 2)
                m |= LL_FS_REFER;
        if (abi >= 3)
                m |= LL_FS_TRUNCATE;
        if (abi >= 5)
                m |= LL_FS_IOCTL_DEV;
        return m;
}

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        errno = -r;    /* for %m, whatever ran since the failure */
        if (ret_error) {
                char *m = NULL;

                va_start(ap, fmt);
                if (vasprintf(&m, fmt, ap) < 0)
                        m = NULL;
                va_end(ap);
                *ret_error = m;
        }
        return r;
}

static const char *access_name(LandlockPathAccess a) {
        return a == LANDLOCK_PATH_READ_ONLY ? "read-only" : a == LANDLOCK_PATH_READ_WRITE ? "read-write" : "inaccessible";
}

static bool path_normalized(const char *p) {
        if (!p || p[0] != '/')
                return false;
        if (p[1] == 0)
                return true;
        for (const char *s = p; *s; ) {
                const char *c = s + 1, *e = strchrnul(c, '/');
                size_t n = (size_t) (e - c);

                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                s = e;
        }
        return true;
}

/* child strictly beneath parent, both normalized. */
static bool path_beneath(const char *child, const char *parent) {
        size_t n = strlen(parent);

        if (n == 1)
                return child[1] != 0;
        return strncmp(child, parent, n) == 0 && child[n] == '/';
}

typedef struct Rule {
        const char *path;
        uint64_t rights;                  /* 0: inaccessible */
        const LandlockPath *origin;
        bool bind_source;                 /* any of the merged paths is one */
        int fd;                           /* O_PATH */
} Rule;

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static Rule *rules_free(Rule *rules, size_t n) {
        for (size_t i = 0; rules && i < n; i++)
                safe_close(rules[i].fd);
        return mfree(rules);
}

typedef struct Builder {
        int ruleset_fd;
        Rule *rules;                      /* merged: one per path */
        size_t n_rules;
        char **ret_error;
} Builder;

/* st: what fd is (fstat). */
static int add_rule_st(Builder *b, int fd, const struct stat *st, uint64_t rights, const char *path) {
        struct ll_path_beneath_attr attr = { .parent_fd = fd };

        /* The kernel refuses directory rights on anything else. */
        if (!S_ISDIR(st->st_mode))
                rights &= LL_FS_FILE;
        if (rights == 0)
                return 0;
        attr.allowed_access = rights;
        if (syscall(SYS_landlock_add_rule, b->ruleset_fd, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
                return fail(b->ret_error, -errno, "Landlock: cannot add a rule for %s: %m", path);
        return 0;
}

static int add_rule_fd(Builder *b, int fd, uint64_t rights, const char *path) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return fail(b->ret_error, -errno, "Landlock: cannot stat %s: %m", path);
        return add_rule_st(b, fd, &st, rights, path);
}

/* A listing of the directory open as fd, on an fd of its own: fd is O_PATH
 * and stays the caller's. */
static int dir_open(Builder *b, int fd, const char *path, DIR **ret) {
        int dfd, r;

        dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return fail(b->ret_error, -errno, "Landlock: cannot list %s: %m", path);
        *ret = fdopendir(dfd);
        if (!*ret) {
                r = -errno;
                safe_close(dfd);
                return fail(b->ret_error, r, "Landlock: cannot list %s: %m", path);
        }
        return 0;
}

/* Gives rights beneath path (open as fd), except beneath the narrower rules
 * inside it, which are granted on their own. */
static int grant(Builder *b, int fd, const char *path, uint64_t rights) {
        _cleanup_(closedirp) DIR *d = NULL;
        uint64_t common = rights;
        bool narrower = false;
        struct dirent *de;
        int r;

        for (size_t i = 0; i < b->n_rules; i++)
                if ((b->rules[i].rights & rights) != rights && path_beneath(b->rules[i].path, path)) {
                        narrower = true;
                        common &= b->rules[i].rights;
                }
        if (!narrower)
                return add_rule_fd(b, fd, rights, path);

        if (common != 0) {
                r = add_rule_fd(b, fd, common, path);
                if (r < 0)
                        return r;
        }

        r = dir_open(b, fd, path, &d);
        if (r < 0)
                return r;

        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                _cleanup_close_ int cfd = -EBADF;
                bool is_rule = false, holds_rule = false;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (asprintf(&child, "%s/%s", strcmp(path, "/") == 0 ? "" : path, de->d_name) < 0)
                        return fail(b->ret_error, -ENOMEM, "Landlock: out of memory");
                for (size_t i = 0; i < b->n_rules; i++) {
                        if ((b->rules[i].rights & rights) == rights)
                                continue;
                        if (strcmp(b->rules[i].path, child) == 0)
                                is_rule = true;
                        else if (path_beneath(b->rules[i].path, child))
                                holds_rule = true;
                }
                /* is_rule: granted on its own, with its own access. A
                 * symlink needs no rule: access goes to where it points, and
                 * is checked there (d_type spares opening it; one that
                 * became something else since the listing gets no rule,
                 * which only denies more). */
                if (is_rule || de->d_type == DT_LNK)
                        continue;

                cfd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (errno == ENOENT)
                                continue;    /* gone since the listing */
                        return fail(b->ret_error, -errno, "Landlock: cannot open %s: %m", child);
                }
                {
                        struct stat st;

                        if (fstat(cfd, &st) < 0)
                                return fail(b->ret_error, -errno, "Landlock: cannot stat %s: %m", child);
                        if (S_ISLNK(st.st_mode))
                                continue;
                        if (holds_rule && S_ISDIR(st.st_mode)) {
                                r = grant(b, cfd, child, rights);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        r = add_rule_st(b, cfd, &st, rights, child);
                }
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return fail(b->ret_error, -errno, "Landlock: cannot list %s: %m", path);
        return 0;
}

static int rules_merge(const LandlockSpec *spec, uint64_t write_rights, Rule **ret, size_t *ret_n, char **ret_error) {
        _cleanup_free_ Rule *rules = NULL;
        size_t n = 0;
        int r;

        rules = calloc(MAX(spec->n_paths, (size_t) 1), sizeof(Rule));
        if (!rules)
                return fail(ret_error, -ENOMEM, "Landlock: out of memory");
        for (size_t i = 0; i < spec->n_paths; i++) {
                const LandlockPath *lp = &spec->paths[i];
                uint64_t rights;
                size_t j;

                if (!path_normalized(lp->path))
                        return fail(ret_error, -EINVAL, "Landlock: path \"%s\" is not absolute and normalized",
                                    lp->path ? lp->path : "(null)");
                switch (lp->access) {
                case LANDLOCK_PATH_READ_ONLY:
                        rights = LL_FS_READ;
                        break;
                case LANDLOCK_PATH_READ_WRITE:
                        rights = write_rights;
                        break;
                case LANDLOCK_PATH_INACCESSIBLE:
                        rights = 0;
                        break;
                default:
                        return fail(ret_error, -EINVAL, "Landlock: invalid access %d for %s", (int) lp->access,
                                    lp->path);
                }
                for (j = 0; j < n; j++)
                        if (strcmp(rules[j].path, lp->path) == 0)
                                break;
                if (j < n) {
                        rules[j].rights &= rights;
                        rules[j].bind_source = rules[j].bind_source || lp->bind_source;
                        continue;
                }
                rules[n++] = (Rule) { .path = lp->path, .rights = rights, .origin = lp, .bind_source = lp->bind_source,
                                      .fd = -EBADF };
        }

        /* Nothing beneath an inaccessible path but a bind source. */
        for (size_t i = 0; i < n; ) {
                bool hidden = false;

                for (size_t j = 0; j < n && !hidden && !rules[i].bind_source; j++)
                        hidden = rules[j].rights == 0 && path_beneath(rules[i].path, rules[j].path);
                if (hidden)
                        rules[i] = rules[--n];
                else
                        i++;
        }

        /* A missing optional path is no rule at all: it must not carve its
         * parent up either. */
        for (size_t i = 0; i < n; ) {
                if (rules[i].origin->child_mount) {
                        i++;
                        continue;
                }
                rules[i].fd = open(rules[i].path, O_PATH | O_CLOEXEC);
                if (rules[i].fd >= 0) {
                        i++;
                        continue;
                }
                if (errno != ENOENT || !rules[i].origin->optional) {
                        r = fail(ret_error, -errno, "Landlock: cannot open %s (%s): %m", rules[i].path,
                                 access_name(rules[i].origin->access));
                        rules_free(TAKE_PTR(rules), n);
                        return r;
                }
                rules[i] = rules[--n];
        }
        *ret = TAKE_PTR(rules);
        *ret_n = n;
        return 0;
}

static int add_port_rules(int ruleset_fd, uint64_t right, const uint16_t *ports, size_t n, const char *key,
                          char **ret_error) {
        for (size_t i = 0; i < n; i++) {
                struct ll_net_port_attr attr = { .allowed_access = right, .port = ports[i] };

                if (syscall(SYS_landlock_add_rule, ruleset_fd, LL_RULE_NET_PORT, &attr, 0) < 0)
                        return fail(ret_error, -errno, "Landlock: cannot add the %s rule for port %u: %m", key,
                                    (unsigned) ports[i]);
        }
        return 0;
}

LandlockRuleset *landlock_ruleset_free(LandlockRuleset *r) {
        if (!r)
                return NULL;
        safe_close(r->fd);
        for (size_t i = 0; i < r->n_mount_rules; i++)
                free(r->mount_rules[i].path);
        free(r->mount_rules);
        return mfree(r);
}

/* The child_mount rules, for the child to add. */
static int mount_rules_collect(const Rule *rules, size_t n, LandlockRuleset *rs, char **ret_error) {
        for (size_t i = 0; i < n; i++) {
                if (!rules[i].origin->child_mount || rules[i].rights == 0)
                        continue;
                if (!rs->mount_rules) {
                        rs->mount_rules = calloc(n, sizeof(LandlockMountRule));
                        if (!rs->mount_rules)
                                return fail(ret_error, -ENOMEM, "Landlock: out of memory");
                }
                rs->mount_rules[rs->n_mount_rules].path = strdup(rules[i].path);
                if (!rs->mount_rules[rs->n_mount_rules].path)
                        return fail(ret_error, -ENOMEM, "Landlock: out of memory");
                rs->mount_rules[rs->n_mount_rules++].rights = rules[i].rights;
        }
        return 0;
}

/* Refused before anything is created: a spec this kernel cannot enforce
 * must not run unconfined. */
static int abi_check(const LandlockSpec *spec, int abi, char **ret_error) {
        if (spec->filesystem && abi < 1)
                return fail(ret_error, -EOPNOTSUPP, "Landlock=yes needs Landlock, which this kernel does not offer");
        if (spec->tcp_connect && abi < LL_NET_ABI)
                return fail(ret_error, -EOPNOTSUPP,
                            abi < 1 ? "AllowTCPConnect= needs Landlock ABI %d (TCP port rules), this kernel has no Landlock"
                                    : "AllowTCPConnect= needs Landlock ABI %d (TCP port rules), this kernel has ABI %d",
                            LL_NET_ABI, abi);
        if (spec->tcp_bind && abi < LL_NET_ABI)
                return fail(ret_error, -EOPNOTSUPP,
                            abi < 1 ? "AllowTCPBind= needs Landlock ABI %d (TCP port rules), this kernel has no Landlock"
                                    : "AllowTCPBind= needs Landlock ABI %d (TCP port rules), this kernel has ABI %d",
                            LL_NET_ABI, abi);
        return 0;
}

/* The merged path rules into the ruleset (and their mounts into rs); the
 * rules stay the caller's. */
static int rules_grant(int ruleset_fd, Rule *rules, size_t n_rules, LandlockRuleset *rs, char **ret_error) {
        Builder b = { .ruleset_fd = ruleset_fd, .rules = rules, .n_rules = n_rules, .ret_error = ret_error };
        int r;

        r = mount_rules_collect(rules, n_rules, rs, ret_error);
        for (size_t i = 0; r >= 0 && i < n_rules; i++) {
                /* Inaccessible: denied by being left out. */
                if (rules[i].rights == 0 || rules[i].origin->child_mount)
                        continue;
                r = grant(&b, rules[i].fd, rules[i].path, rules[i].rights);
                if (r < 0)
                        break;
        }
        return r;
}

/* The spawn child's stdio takes 0-2. */
static int fd_move_above_stdio(int *fd, char **ret_error) {
        int moved;

        if (*fd >= 3)
                return 0;
        moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
        if (moved < 0)
                return fail(ret_error, -errno, "Landlock: cannot move the ruleset fd: %m");
        safe_close(*fd);
        *fd = moved;
        return 0;
}

int landlock_ruleset_build(const LandlockSpec *spec, LandlockRuleset **ret, char **ret_error) {
        _cleanup_(landlock_ruleset_freep) LandlockRuleset *rs = NULL;
        _cleanup_close_ int ruleset_fd = -EBADF;
        Rule *rules = NULL;
        struct ll_ruleset_attr attr = {};
        size_t n_rules = 0;
        int abi, r = 0;

        if (!spec || !ret || (spec->n_paths > 0 && !spec->paths) ||
            (spec->n_tcp_connect_ports > 0 && !spec->tcp_connect_ports) ||
            (spec->n_tcp_bind_ports > 0 && !spec->tcp_bind_ports))
                return fail(ret_error, -EINVAL, "Landlock: invalid arguments");

        if (!spec->filesystem && !spec->tcp_connect && !spec->tcp_bind) {
                *ret = NULL;
                return 0;
        }

        abi = landlock_abi();
        r = abi_check(spec, abi, ret_error);
        if (r < 0)
                return r;

        if (spec->filesystem) {
                attr.handled_access_fs = fs_rights_of_abi(abi);
                r = rules_merge(spec, attr.handled_access_fs, &rules, &n_rules, ret_error);
                if (r < 0)
                        return r;
        }
        if (spec->tcp_connect)
                attr.handled_access_net |= LL_NET_CONNECT_TCP;
        if (spec->tcp_bind)
                attr.handled_access_net |= LL_NET_BIND_TCP;

        /* An older kernel takes the larger struct as long as the fields it
         * does not know are zero, and they are unless asked for above. */
        ruleset_fd = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
        if (ruleset_fd < 0) {
                r = fail(ret_error, -errno, "Landlock: cannot create a ruleset: %m");
                rules_free(rules, n_rules);
                return r;
        }

        rs = calloc(1, sizeof *rs);
        if (!rs) {
                rules_free(rules, n_rules);
                return fail(ret_error, -ENOMEM, "Landlock: out of memory");
        }
        rs->fd = -EBADF;

        if (spec->filesystem) {
                r = rules_grant(ruleset_fd, rules, n_rules, rs, ret_error);
                rules = rules_free(rules, n_rules);
                if (r < 0)
                        return r;
        }

        r = add_port_rules(ruleset_fd, LL_NET_CONNECT_TCP, spec->tcp_connect_ports, spec->n_tcp_connect_ports,
                           "AllowTCPConnect=", ret_error);
        if (r < 0)
                return r;
        r = add_port_rules(ruleset_fd, LL_NET_BIND_TCP, spec->tcp_bind_ports, spec->n_tcp_bind_ports, "AllowTCPBind=",
                           ret_error);
        if (r < 0)
                return r;

        r = fd_move_above_stdio(&ruleset_fd, ret_error);
        if (r < 0)
                return r;

        rs->fd = TAKE_FD(ruleset_fd);
        *ret = TAKE_PTR(rs);
        return 0;
}

int _child_ landlock_child_enforce(const LandlockRuleset *r, int fd) {
        for (size_t i = 0; i < r->n_mount_rules; i++) {
                struct ll_path_beneath_attr attr = { .allowed_access = r->mount_rules[i].rights };
                long dfd;

                dfd = syscall(SYS_openat, AT_FDCWD, r->mount_rules[i].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                attr.parent_fd = (int32_t) dfd;
                if (syscall(SYS_landlock_add_rule, fd, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
                        return -errno;
                (void) syscall(SYS_close, dfd);
        }
        if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
                return -errno;
        return 0;
}
