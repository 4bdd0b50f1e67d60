/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the mount planner (sandbox-mount.c, sandbox-mount-builder.c):
 * the settings become entries (one per path and setting), and the sorted
 * entries become the plan's ops. */

#include "macro.h"
#include "sandbox-mount.h"

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
        bool system;            /* a fixed system path (builder_fixed()): see MountOp.system */
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

int builder_error(Builder *b, const char *fmt, ...) _printf_(2, 3);
const char *builder_strndup(Builder *b, const char *s, size_t n);
int builder_op(Builder *b, MountOp op);
int builder_entry(Builder *b, Entry e);
int builder_clone(Builder *b, const char *source, bool recursive, bool ignore_missing, bool system, size_t *ret_slot);
int builder_clone_source(Builder *b, const char *key, const char *source, bool ignore_missing, bool check_owner,
                         uid_t owner, size_t *ret_slot);
int builder_fixed(Builder *b, EntryKind kind, const char *path, const char *options, unsigned long flags,
                  bool ignore_missing);
int builder_device_sources(Builder *b, size_t *ret_first_slot);
int builder_finish(Builder *b);
