/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filesystem view of an agent (see sandbox-mount.h): the planner runs in
 * the parent and allocates; mount_plan_apply() runs in the spawn child, on
 * the parent's memory (CLONE_VM), and makes raw system calls only. */

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox-mount.h"
#include "string-table.h"

/* As in spawn.c: the child runs on a borrowed stack, without sanitizers. */
#define _child_ __attribute__((no_sanitize("address", "undefined"), noinline))

static const char *const protect_system_table[_PROTECT_SYSTEM_MAX] = {
        [PROTECT_SYSTEM_NO] = "no",
        [PROTECT_SYSTEM_YES] = "yes",
        [PROTECT_SYSTEM_FULL] = "full",
        [PROTECT_SYSTEM_STRICT] = "strict",
};
DEFINE_STRING_TABLE_LOOKUP(protect_system, ProtectSystem);

static const char *const protect_home_table[_PROTECT_HOME_MAX] = {
        [PROTECT_HOME_NO] = "no",
        [PROTECT_HOME_READ_ONLY] = "read-only",
        [PROTECT_HOME_TMPFS] = "tmpfs",
        [PROTECT_HOME_YES] = "yes",
};
DEFINE_STRING_TABLE_LOOKUP(protect_home, ProtectHome);

static const char *const protect_proc_table[_PROTECT_PROC_MAX] = {
        [PROTECT_PROC_DEFAULT] = "default",
        [PROTECT_PROC_INVISIBLE] = "invisible",
};
DEFINE_STRING_TABLE_LOOKUP(protect_proc, ProtectProc);

static const char *const proc_subset_table[_PROC_SUBSET_MAX] = {
        [PROC_SUBSET_ALL] = "all",
        [PROC_SUBSET_PID] = "pid",
};
DEFINE_STRING_TABLE_LOOKUP(proc_subset, ProcSubset);

/* ---- planner (parent) ---- */

/* What happens at one path; sorted by path, then by rank. */
typedef enum EntryKind {
        ENTRY_TMPFS,
        ENTRY_PROC,
        ENTRY_ATTACH,
        ENTRY_RESTORE,          /* a writable path: its copy from before the read-only step above it */
        ENTRY_DEVICES,
        ENTRY_READ_ONLY,
        ENTRY_INACCESSIBLE,
} EntryKind;

typedef struct Entry {
        EntryKind kind;
        const char *path;
        const char *options;
        unsigned long flags;
        size_t slot;
        bool ignore_missing;
        size_t seq;
        ssize_t cover;          /* RESTORE: the read-only entry it is copied before; -1: nothing to restore */
} Entry;

typedef struct Builder {
        MountPlan *plan;
        size_t ops_allocated;
        size_t n_strings;
        Entry *entries;
        size_t n_entries, entries_allocated;
        size_t n_inaccessible;
        char *error;
} Builder;

/* Parents first ("/a" < "/a/b"), and at one path a mount before the
 * read-only pass before inaccessibility, so the stricter setting wins; a
 * writable path's copy goes first, where anything else at the path covers
 * it (see restores_resolve()). */
static int entry_rank(EntryKind k) {
        switch (k) {
        case ENTRY_RESTORE:
                return -1;
        case ENTRY_READ_ONLY:
                return 1;
        case ENTRY_INACCESSIBLE:
                return 2;
        default:
                return 0;
        }
}

static int entry_compare(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        int r = strcmp(x->path, y->path);

        if (r != 0)
                return r;
        if (entry_rank(x->kind) != entry_rank(y->kind))
                return entry_rank(x->kind) - entry_rank(y->kind);
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static _printf_(2, 3) int builder_error(Builder *b, const char *fmt, ...) {
        va_list ap;

        free(b->error);
        b->error = NULL;
        va_start(ap, fmt);
        if (vasprintf(&b->error, fmt, ap) < 0)
                b->error = NULL;
        va_end(ap);
        return -EINVAL;
}

static const char *builder_strndup(Builder *b, const char *s, size_t n) {
        char **strings, *copy;

        strings = realloc(b->plan->strings, (b->n_strings + 2) * sizeof(char *));
        if (!strings)
                return NULL;
        b->plan->strings = strings;
        copy = strndup(s, n);
        if (!copy)
                return NULL;
        strings[b->n_strings++] = copy;
        strings[b->n_strings] = NULL;
        return copy;
}

static int builder_op(Builder *b, MountOp op) {
        MountPlan *plan = b->plan;

        if (plan->n_ops == b->ops_allocated) {
                size_t n = MAX(b->ops_allocated * 2, (size_t) 16);
                MountOp *ops = realloc(plan->ops, n * sizeof *ops);
                if (!ops)
                        return -ENOMEM;
                plan->ops = ops;
                b->ops_allocated = n;
        }
        plan->ops[plan->n_ops++] = op;
        return 0;
}

static int builder_entry(Builder *b, Entry e) {
        if (b->n_entries == b->entries_allocated) {
                size_t n = MAX(b->entries_allocated * 2, (size_t) 16);
                Entry *entries = realloc(b->entries, n * sizeof *entries);
                if (!entries)
                        return -ENOMEM;
                b->entries = entries;
                b->entries_allocated = n;
        }
        e.seq = b->n_entries;
        b->entries[b->n_entries++] = e;
        return 0;
}

/* A detached copy of source, taken before anything is mounted; returns the slot. */
static int builder_clone(Builder *b, const char *source, bool recursive, bool ignore_missing, size_t *ret_slot) {
        size_t slot = b->plan->n_fds++;
        int r;

        r = builder_op(b, (MountOp) { .type = MOUNT_OP_CLONE, .source = source, .slot = slot,
                                      .recursive = recursive, .ignore_missing = ignore_missing });
        if (r < 0)
                return r;
        *ret_slot = slot;
        return 0;
}

/* An absolute path without "." or ".." components, with repeated and
 * trailing slashes dropped; a leading '-' (when allowed) sets *ret_ignore. */
static int builder_path(Builder *b, const char *key, const char *raw, size_t len, bool *ret_ignore,
                        const char **ret) {
        char buf[PATH_MAX];
        size_t n = 0, i = 0;

        if (ret_ignore) {
                *ret_ignore = len > 0 && raw[0] == '-';
                if (*ret_ignore)
                        i++;
        }
        if (i >= len || raw[i] != '/')
                return builder_error(b, "%s: \"%.*s\" is not an absolute path", key, (int) len, raw);
        if (len - i >= sizeof buf)
                return builder_error(b, "%s: \"%.*s\" is longer than PATH_MAX", key, (int) len, raw);
        while (i < len) {
                size_t start, c;

                while (i < len && raw[i] == '/')
                        i++;
                if (i == len)
                        break;
                start = i;
                while (i < len && raw[i] != '/')
                        i++;
                c = i - start;
                if ((c == 1 && raw[start] == '.') || (c == 2 && raw[start] == '.' && raw[start + 1] == '.'))
                        return builder_error(b, "%s: \"%.*s\" has a \".\" or \"..\" component", key, (int) len,
                                             raw);
                buf[n++] = '/';
                memcpy(buf + n, raw + start, c);
                n += c;
        }
        if (n == 0)
                buf[n++] = '/';
        *ret = builder_strndup(b, buf, n);
        return *ret ? 0 : -ENOMEM;
}

static int builder_paths(Builder *b, const char *key, char * const *list, EntryKind kind) {
        int r;

        for (char * const *p = list; p && *p; p++) {
                const char *path;
                bool ignore;
                size_t slot = 0;

                r = builder_path(b, key, *p, strlen(*p), &ignore, &path);
                if (r < 0)
                        return r;
                if (kind == ENTRY_INACCESSIBLE)
                        slot = b->n_inaccessible++;
                r = builder_entry(b, (Entry) { .kind = kind, .path = path, .slot = slot, .ignore_missing = ignore });
                if (r < 0)
                        return r;
        }
        return 0;
}

static int builder_binds(Builder *b, const char *key, char * const *list, bool read_only) {
        int r;

        for (char * const *p = list; p && *p; p++) {
                const char *colon = strchr(*p, ':'), *source, *dest;
                size_t slot;
                bool ignore;

                if (colon && strchr(colon + 1, ':'))
                        return builder_error(b, "%s: \"%s\" has more than one ':' (SRC[:DST])", key, *p);
                r = builder_path(b, key, *p, colon ? (size_t) (colon - *p) : strlen(*p), &ignore, &source);
                if (r < 0)
                        return r;
                if (colon) {
                        r = builder_path(b, key, colon + 1, strlen(colon + 1), NULL, &dest);
                        if (r < 0)
                                return r;
                } else
                        dest = source;
                r = builder_clone(b, source, true, ignore, &slot);
                if (r < 0)
                        return r;
                r = builder_entry(b, (Entry) { .kind = ENTRY_ATTACH, .path = dest, .slot = slot,
                                               .flags = read_only ? MS_RDONLY : 0, .ignore_missing = ignore });
                if (r < 0)
                        return r;
        }
        return 0;
}

static int builder_fixed(Builder *b, EntryKind kind, const char *path, const char *options, unsigned long flags,
                         bool ignore_missing) {
        size_t slot = 0;

        if (kind == ENTRY_INACCESSIBLE)
                slot = b->n_inaccessible++;
        return builder_entry(b, (Entry) { .kind = kind, .path = path, .options = options, .flags = flags,
                                          .slot = slot, .ignore_missing = ignore_missing });
}

/* The nodes PrivateDevices keeps, bound from the host's /dev. */
static const char *const device_nodes[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                            "/dev/tty" };
static const char *const device_links[][2] = {
        { "/dev/ptmx", "pts/ptmx" },
        { "/dev/fd", "/proc/self/fd" },
        { "/dev/stdin", "/proc/self/fd/0" },
        { "/dev/stdout", "/proc/self/fd/1" },
        { "/dev/stderr", "/proc/self/fd/2" },
};

static int builder_devices(Builder *b, size_t first_slot) {
        int r;

        r = builder_op(b, (MountOp) { .type = MOUNT_OP_TMPFS, .path = "/dev", .options = "mode=0755,size=4m",
                                      .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME });
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_nodes); i++)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_ATTACH, .path = device_nodes[i],
                                              .slot = first_slot + i });
        if (r >= 0)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_MKDIR, .path = "/dev/pts", .mode = 0755 });
        if (r >= 0)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_DEVPTS, .path = "/dev/pts",
                                              .options = "newinstance,ptmxmode=0666,mode=0620",
                                              .flags = MS_NOSUID | MS_NOEXEC });
        if (r >= 0)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_MKDIR, .path = "/dev/shm", .mode = 0755 });
        if (r >= 0)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_TMPFS, .path = "/dev/shm", .options = "mode=01777",
                                              .flags = MS_NOSUID | MS_NODEV | MS_STRICTATIME });
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_links); i++)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_SYMLINK, .path = device_links[i][0],
                                              .source = device_links[i][1] });
        return r;
}

static int builder_settings(Builder *b, const MountSettings *s) {
        static const char *const system_yes[] = { "/usr", "/boot", "/efi" };
        static const char *const home[] = { "/home", "/root", "/run/user" };
        bool own_proc = s->protect_proc == PROTECT_PROC_INVISIBLE || s->proc_subset == PROC_SUBSET_PID;
        size_t devices_slot = 0;
        int r = 0;

        if ((unsigned) s->protect_system >= _PROTECT_SYSTEM_MAX)
                return builder_error(b, "ProtectSystem: unknown value %d", (int) s->protect_system);
        if ((unsigned) s->protect_home >= _PROTECT_HOME_MAX)
                return builder_error(b, "ProtectHome: unknown value %d", (int) s->protect_home);
        if ((unsigned) s->protect_proc >= _PROTECT_PROC_MAX)
                return builder_error(b, "ProtectProc: unknown value %d", (int) s->protect_proc);
        if ((unsigned) s->proc_subset >= _PROC_SUBSET_MAX)
                return builder_error(b, "ProcSubset: unknown value %d", (int) s->proc_subset);

        /* The sources that /dev's tmpfs will hide, first of all. */
        if (s->private_devices)
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_nodes); i++) {
                        size_t slot;
                        /* Containers may have no /dev/tty (the last one). */
                        r = builder_clone(b, device_nodes[i], false, i == ELEMENTSOF(device_nodes) - 1, &slot);
                        if (i == 0)
                                devices_slot = slot;
                }
        if (r < 0)
                return r;

        if (s->private_tmp) {
                r = builder_fixed(b, ENTRY_TMPFS, "/tmp", "mode=01777", MS_NOSUID | MS_NODEV, false);
                if (r >= 0)
                        r = builder_fixed(b, ENTRY_TMPFS, "/var/tmp", "mode=01777", MS_NOSUID | MS_NODEV, false);
                if (r < 0)
                        return r;
        }

        switch (s->protect_system) {
        case PROTECT_SYSTEM_STRICT:
                r = builder_fixed(b, ENTRY_READ_ONLY, "/", NULL, 0, false);
                /* The API file systems stay as they are (unless replaced below). */
                if (r >= 0)
                        r = builder_fixed(b, ENTRY_RESTORE, "/dev", NULL, 0, false);
                if (r >= 0)
                        r = builder_fixed(b, ENTRY_RESTORE, "/proc", NULL, 0, false);
                if (r >= 0)
                        r = builder_fixed(b, ENTRY_RESTORE, "/sys", NULL, 0, false);
                break;
        case PROTECT_SYSTEM_FULL:
                r = builder_fixed(b, ENTRY_READ_ONLY, "/etc", NULL, 0, false);
                __attribute__((fallthrough));
        case PROTECT_SYSTEM_YES:
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(system_yes); i++)
                        r = builder_fixed(b, ENTRY_READ_ONLY, system_yes[i], NULL, 0, true);
                break;
        default:
                break;
        }
        if (r < 0)
                return r;

        for (size_t i = 0; s->protect_home != PROTECT_HOME_NO && r >= 0 && i < ELEMENTSOF(home); i++)
                switch (s->protect_home) {
                case PROTECT_HOME_READ_ONLY:
                        r = builder_fixed(b, ENTRY_READ_ONLY, home[i], NULL, 0, true);
                        break;
                case PROTECT_HOME_TMPFS:
                        r = builder_fixed(b, ENTRY_TMPFS, home[i], "mode=0755",
                                          MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true);
                        break;
                default:
                        r = builder_fixed(b, ENTRY_INACCESSIBLE, home[i], NULL, 0, true);
                        break;
                }
        if (r < 0)
                return r;

        if (s->private_devices) {
                r = builder_entry(b, (Entry) { .kind = ENTRY_DEVICES, .path = "/dev", .slot = devices_slot });
                if (r < 0)
                        return r;
        }

        if (own_proc) {
                const char *options = s->protect_proc == PROTECT_PROC_INVISIBLE ?
                        (s->proc_subset == PROC_SUBSET_PID ? "hidepid=invisible,subset=pid" : "hidepid=invisible") :
                        "subset=pid";
                r = builder_fixed(b, ENTRY_PROC, "/proc", options, MS_NOSUID | MS_NODEV | MS_NOEXEC, false);
                if (r < 0)
                        return r;
        }

        r = builder_paths(b, "ReadOnlyPaths", s->read_only_paths, ENTRY_READ_ONLY);
        if (r >= 0)
                r = builder_paths(b, "ReadWritePaths", s->read_write_paths, ENTRY_RESTORE);
        if (r >= 0)
                r = builder_paths(b, "InaccessiblePaths", s->inaccessible_paths, ENTRY_INACCESSIBLE);
        if (r >= 0)
                r = builder_binds(b, "BindPaths", s->bind_paths, false);
        if (r >= 0)
                r = builder_binds(b, "BindReadOnlyPaths", s->bind_read_only_paths, true);
        if (r >= 0 && s->state_directory) {
                const char *path;
                size_t slot;

                r = builder_path(b, "StateDirectory", s->state_directory, strlen(s->state_directory), NULL, &path);
                if (r >= 0)
                        r = builder_clone(b, path, true, false, &slot);
                if (r >= 0)
                        r = builder_entry(b, (Entry) { .kind = ENTRY_ATTACH, .path = path, .slot = slot });
        }
        return r;
}

static bool path_below_or_at(const char *parent, const char *path) {
        size_t n = strlen(parent);

        if (strcmp(parent, "/") == 0)
                return true;
        return strncmp(parent, path, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* A writable path needs its copy put back only where the last step above
 * it (or at it, before it) is a read-only one: beneath a fresh writable
 * mount (the private /tmp, /dev, a bind) it is writable already, and
 * beneath an inaccessible or read-only tmpfs the stricter setting wins.
 * Its copy is taken right before that read-only step, so it is the
 * namespace's view at that point, not necessarily the host's. */
static void restores_resolve(Builder *b) {
        for (size_t i = 0; i < b->n_entries; i++) {
                Entry *e = &b->entries[i];

                if (e->kind != ENTRY_RESTORE)
                        continue;
                e->cover = -1;
                /* Anything else at the same path sorts after it and stands. */
                for (size_t k = i + 1; k < b->n_entries && strcmp(b->entries[k].path, e->path) == 0; k++)
                        if (b->entries[k].kind != ENTRY_RESTORE)
                                goto next;
                for (size_t j = i; j-- > 0;) {
                        const Entry *a = &b->entries[j];

                        if (a->kind == ENTRY_RESTORE || !path_below_or_at(a->path, e->path))
                                continue;
                        if (a->kind == ENTRY_READ_ONLY)
                                e->cover = (ssize_t) j;
                        break;
                }
        next:;
        }
}

/* The bind sources are copied by now; next the staged file for the
 * inaccessible non-directories, on /dev while nothing else needs it, then
 * every entry in order, each writable path's copy taken right before the
 * read-only step that covers it. */
static int builder_finish(Builder *b) {
        size_t stage_first = b->plan->n_fds;
        int r = 0;

        if (b->n_inaccessible > 0) {
                b->plan->n_fds += b->n_inaccessible;
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_STAGE, .path = "/dev", .slot = stage_first,
                                              .n_slots = b->n_inaccessible });
                if (r < 0)
                        return r;
        }

        qsort(b->entries, b->n_entries, sizeof *b->entries, entry_compare);
        restores_resolve(b);
        for (size_t i = 0; r >= 0 && i < b->n_entries; i++) {
                Entry *e = &b->entries[i];
                MountOp op = { .path = e->path, .options = e->options, .flags = e->flags, .slot = e->slot,
                               .ignore_missing = e->ignore_missing };

                /* The copies of the writable paths beneath, as they are now. */
                for (size_t k = i + 1; r >= 0 && k < b->n_entries; k++)
                        if (b->entries[k].kind == ENTRY_RESTORE && b->entries[k].cover == (ssize_t) i)
                                r = builder_clone(b, b->entries[k].path, true, b->entries[k].ignore_missing,
                                                  &b->entries[k].slot);
                if (r < 0)
                        break;

                switch (e->kind) {
                case ENTRY_TMPFS:
                        op.type = MOUNT_OP_TMPFS;
                        break;
                case ENTRY_PROC:
                        op.type = MOUNT_OP_PROC;
                        break;
                case ENTRY_ATTACH:
                        op.type = MOUNT_OP_ATTACH;
                        break;
                case ENTRY_RESTORE:
                        if (e->cover < 0)
                                continue;
                        op.type = MOUNT_OP_ATTACH;
                        break;
                case ENTRY_READ_ONLY:
                        op.type = MOUNT_OP_READ_ONLY;
                        break;
                case ENTRY_INACCESSIBLE:
                        op.type = MOUNT_OP_INACCESSIBLE;
                        op.slot = stage_first + e->slot;
                        break;
                case ENTRY_DEVICES:
                        r = builder_devices(b, e->slot);
                        continue;
                }
                r = builder_op(b, op);
        }
        return r;
}

MountPlan *mount_plan_free(MountPlan *plan) {
        if (!plan)
                return NULL;
        for (char **s = plan->strings; s && *s; s++)
                free(*s);
        free(plan->strings);
        free(plan->ops);
        free(plan->fds);
        free(plan);
        return NULL;
}

int mount_plan_build(const MountSettings *s, MountPlan **ret, char **ret_error) {
        Builder b = {};
        int r;

        if (!s || !ret)
                return -EINVAL;
        b.plan = calloc(1, sizeof *b.plan);
        if (!b.plan)
                return -ENOMEM;

        r = builder_settings(&b, s);
        if (r >= 0)
                r = builder_finish(&b);
        if (r >= 0 && b.plan->n_fds > 0) {
                b.plan->fds = malloc(b.plan->n_fds * sizeof(int));
                if (!b.plan->fds)
                        r = -ENOMEM;
                for (size_t i = 0; r >= 0 && i < b.plan->n_fds; i++)
                        b.plan->fds[i] = -1;
        }
        free(b.entries);
        if (r < 0) {
                mount_plan_free(b.plan);
                if (ret_error && b.error)
                        *ret_error = b.error;
                else
                        free(b.error);
                return r;
        }
        free(b.error);
        if (b.plan->n_ops == 0)
                b.plan = mount_plan_free(b.plan);
        *ret = b.plan;
        return 0;
}

/* ---- executor (spawn child: raw syscalls, no allocation) ---- */

static _child_ int child_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static _child_ bool child_is_dir_fd(int fd) {
        struct statx stx;

        return syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx) >= 0 && S_ISDIR(stx.stx_mode);
}

/* Creates path's missing parents, then path itself as a directory or an
 * empty file: the mount point for a bind whose destination the sandbox
 * does not have (a BindPaths= target in the private /tmp). */
static _child_ int child_make_mount_point(const char *path, bool dir) {
        char buf[PATH_MAX];
        size_t n = 0;
        long fd;

        for (size_t i = 0; path[i]; i++) {
                if (n + 1 >= sizeof buf)
                        return -ENAMETOOLONG;
                if (path[i] == '/' && n > 0) {
                        buf[n] = 0;
                        if (syscall(SYS_mkdirat, AT_FDCWD, buf, 0755) < 0 && errno != EEXIST)
                                return child_errno();
                }
                buf[n++] = path[i];
        }
        buf[n] = 0;
        if (dir)
                return syscall(SYS_mkdirat, AT_FDCWD, buf, 0755) < 0 && errno != EEXIST ? child_errno() : 0;
        fd = syscall(SYS_openat, AT_FDCWD, buf, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
        if (fd < 0)
                return errno == EEXIST ? 0 : child_errno();
        (void) syscall(SYS_close, fd);
        return 0;
}

static _child_ int child_attach(int fd, const char *path) {
        int r;

        if (syscall(SYS_move_mount, fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) >= 0)
                return 0;
        if (errno != ENOENT)
                return child_errno();
        r = child_make_mount_point(path, child_is_dir_fd(fd));
        if (r < 0)
                return r;
        return syscall(SYS_move_mount, fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? child_errno() : 0;
}

/* Every mount at and beneath path read-only, in place. mount_setattr()
 * wants a mount's root: a plain directory is bound onto itself first, as
 * systemd does. */
static _child_ int child_read_only(const char *path, bool ignore_missing) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

        if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) >= 0)
                return 0;
        if (errno == ENOENT && ignore_missing)
                return 0;
        if (errno != EINVAL)
                return child_errno();
        if (syscall(SYS_mount, path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return child_errno();
        return syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) < 0 ? child_errno() : 0;
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

/* A directory gets an empty read-only tmpfs of mode 000 (no staging
 * needed); anything else the staged empty file. */
static _child_ int child_inaccessible(const MountPlan *plan, const MountOp *op) {
        struct statx stx;

        if (syscall(SYS_statx, AT_FDCWD, op->path, 0, STATX_TYPE, &stx) < 0)
                return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
        if (S_ISDIR(stx.stx_mode))
                return syscall(SYS_mount, "tmpfs", op->path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               "mode=000,size=4k") < 0 ? child_errno() : 0;
        return child_attach(plan->fds[op->slot], op->path);
}

static _child_ int child_op(const MountPlan *plan, const MountOp *op, const char **ret_step) {
        long fd;
        int r;

        switch (op->type) {
        case MOUNT_OP_CLONE:
                *ret_step = "open_tree";
                fd = syscall(SYS_open_tree, AT_FDCWD, op->source,
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op->recursive ? AT_RECURSIVE : 0));
                if (fd < 0)
                        return errno == ENOENT && op->ignore_missing ? 0 : child_errno();
                plan->fds[op->slot] = (int) fd;
                return 0;
        case MOUNT_OP_STAGE:
                *ret_step = "mount_stage";
                return child_stage(plan, op);
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
                if (op->flags & MS_RDONLY) {
                        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                        *ret_step = "mount_setattr";
                        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                                return child_errno();
                        *ret_step = "bind";
                }
                r = child_attach((int) fd, op->path);
                (void) syscall(SYS_close, fd);
                plan->fds[op->slot] = -1;
                return r;
        case MOUNT_OP_READ_ONLY:
                *ret_step = "mount_read_only";
                return child_read_only(op->path, op->ignore_missing);
        case MOUNT_OP_INACCESSIBLE:
                *ret_step = "mount_inaccessible";
                return child_inaccessible(plan, op);
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

_child_ int mount_plan_apply(const MountPlan *plan, const char **ret_step) {
        int r = 0;

        *ret_step = "unshare_mount";
        if (syscall(SYS_unshare, CLONE_NEWNS) < 0)
                return child_errno();
        /* The host's mount events still reach us; none of ours reach it. */
        *ret_step = "mount_slave";
        if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return child_errno();

        for (size_t i = 0; i < plan->n_fds; i++)
                plan->fds[i] = -1;
        /* The modes of the plan are exact: the agent's UMask= (set before
         * the plan) would make a 0755 mount point 0700, which a non-root
         * agent cannot cross. */
        long mask = syscall(SYS_umask, 0);
        for (size_t i = 0; r >= 0 && i < plan->n_ops; i++)
                r = child_op(plan, &plan->ops[i], ret_step);
        (void) syscall(SYS_umask, mask);
        /* Unused copies (a directory's staged file); all O_CLOEXEC anyway. */
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
