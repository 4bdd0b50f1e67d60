/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount planner's second half (see sandbox-mount-internal.h): growing
 * the plan, and turning the sorted entries into its ops. Parent side only. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "sandbox-mount-internal.h"

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

int builder_error(Builder *b, const char *fmt, ...) {
        va_list ap;

        free(b->error);
        b->error = NULL;
        va_start(ap, fmt);
        if (vasprintf(&b->error, fmt, ap) < 0)
                b->error = NULL;
        va_end(ap);
        return -EINVAL;
}

const char *builder_strndup(Builder *b, const char *s, size_t n) {
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

int builder_op(Builder *b, MountOp op) {
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

int builder_entry(Builder *b, Entry e) {
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
int builder_clone(Builder *b, const char *source, bool recursive, bool ignore_missing, bool system, size_t *ret_slot) {
        size_t slot = b->plan->n_fds++;
        int r;

        r = builder_op(b, (MountOp) { .type = MOUNT_OP_CLONE, .source = source, .slot = slot,
                                      .recursive = recursive, .ignore_missing = ignore_missing, .system = system });
        if (r < 0)
                return r;
        *ret_slot = slot;
        return 0;
}

/* A copy of a source the daemon opens (mount_plan_open_sources()). */
int builder_clone_source(Builder *b, const char *key, const char *source, bool ignore_missing, bool check_owner,
                         uid_t owner, size_t *ret_slot) {
        size_t slot = b->plan->n_fds;
        int r;

        if (b->plan->n_sources >= MOUNT_PLAN_SOURCES_MAX)
                return builder_error(b, "%s: more than %u bind sources in one sandbox", key, MOUNT_PLAN_SOURCES_MAX);
        r = builder_op(b, (MountOp) { .type = MOUNT_OP_CLONE, .source = source, .slot = slot, .recursive = true,
                                      .ignore_missing = ignore_missing, .from_parent = true,
                                      .source_index = b->plan->n_sources, .key = key, .check_owner = check_owner,
                                      .owner = owner });
        if (r < 0)
                return r;
        b->plan->n_fds++;
        b->plan->n_sources++;
        *ret_slot = slot;
        return 0;
}

int builder_fixed(Builder *b, EntryKind kind, const char *path, const char *options, unsigned long flags,
                         bool ignore_missing) {
        size_t slot = 0;

        if (kind == ENTRY_INACCESSIBLE)
                slot = b->n_inaccessible++;
        return builder_entry(b, (Entry) { .kind = kind, .path = path, .options = options, .flags = flags,
                                          .slot = slot, .ignore_missing = ignore_missing, .system = true });
}

/* The nodes PrivateDevices keeps: made anew as the host's numbers (a bind
 * mount of the host's node where the kernel refuses mknod(), in a user
 * namespace or under a device cgroup). */
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

        /* No MS_NODEV: the nodes made in it must work. Nothing of the
         * agent's can make one (no CAP_MKNOD). */
        r = builder_op(b, (MountOp) { .type = MOUNT_OP_TMPFS, .path = "/dev", .options = "mode=0755,size=4m",
                                      .flags = MS_NOSUID | MS_NOEXEC | MS_STRICTATIME });
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_nodes); i++)
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_ATTACH, .path = device_nodes[i],
                                              .slot = first_slot + i, .system = true, .device = true });
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

/* The nodes that /dev's tmpfs will hide, opened first of all (O_PATH: a
 * copy is made only where mknod() is refused); returns the first of their
 * slots. */
int builder_device_sources(Builder *b, size_t *ret_first_slot) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_nodes); i++) {
                size_t slot = b->plan->n_fds++;

                /* Containers may have no /dev/tty (the last one). */
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_CLONE, .source = device_nodes[i], .slot = slot,
                                              .ignore_missing = i == ELEMENTSOF(device_nodes) - 1,
                                              .system = true, .device = true });
                if (i == 0)
                        *ret_first_slot = slot;
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
int builder_finish(Builder *b) {
        size_t stage_first = b->plan->n_fds;
        int r = 0;

        if (b->n_inaccessible > 0) {
                b->plan->n_fds += b->n_inaccessible;
                r = builder_op(b, (MountOp) { .type = MOUNT_OP_STAGE, .path = "/dev", .slot = stage_first,
                                              .n_slots = b->n_inaccessible });
                if (r < 0)
                        return r;
        }

        if (b->n_entries > 0)
                qsort(b->entries, b->n_entries, sizeof *b->entries, entry_compare);
        restores_resolve(b);
        for (size_t i = 0; r >= 0 && i < b->n_entries; i++) {
                Entry *e = &b->entries[i];
                MountOp op = { .path = e->path, .options = e->options, .flags = e->flags, .slot = e->slot,
                               .ignore_missing = e->ignore_missing, .system = e->system };

                /* The copies of the writable paths beneath, as they are now. */
                for (size_t k = i + 1; r >= 0 && k < b->n_entries; k++)
                        if (b->entries[k].kind == ENTRY_RESTORE && b->entries[k].cover == (ssize_t) i)
                                r = builder_clone(b, b->entries[k].path, true, b->entries[k].ignore_missing,
                                                  b->entries[k].system, &b->entries[k].slot);
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
