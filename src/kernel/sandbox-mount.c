/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filesystem view of an agent (see sandbox-mount.h). The planner runs
 * in the parent and allocates: here the settings become entries, and
 * sandbox-mount-builder.c turns the sorted entries into the plan's ops.
 * mount_plan_apply() (sandbox-mount-apply.c) runs in the spawn child, on
 * the parent's memory (CLONE_VM), and makes raw system calls only. */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "macro.h"
#include "sandbox-mount-internal.h"
#include "string-table.h"

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

/* ---- planner (parent): settings to entries ---- */

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
                r = builder_clone_source(b, key, source, ignore, false, 0, &slot);
                if (r < 0)
                        return r;
                r = builder_entry(b, (Entry) { .kind = ENTRY_ATTACH, .path = dest, .slot = slot,
                                               .flags = read_only ? MS_RDONLY : 0, .ignore_missing = ignore });
                if (r < 0)
                        return r;
        }
        return 0;
}

static int settings_check(Builder *b, const MountSettings *s) {
        if ((unsigned) s->protect_system >= _PROTECT_SYSTEM_MAX)
                return builder_error(b, "ProtectSystem: unknown value %d", (int) s->protect_system);
        if ((unsigned) s->protect_home >= _PROTECT_HOME_MAX)
                return builder_error(b, "ProtectHome: unknown value %d", (int) s->protect_home);
        if ((unsigned) s->protect_proc >= _PROTECT_PROC_MAX)
                return builder_error(b, "ProtectProc: unknown value %d", (int) s->protect_proc);
        if ((unsigned) s->proc_subset >= _PROC_SUBSET_MAX)
                return builder_error(b, "ProcSubset: unknown value %d", (int) s->proc_subset);
        return 0;
}

static int builder_private_tmp(Builder *b) {
        int r;

        r = builder_fixed(b, ENTRY_TMPFS, "/tmp", "mode=01777", MS_NOSUID | MS_NODEV, false);
        if (r >= 0)
                r = builder_fixed(b, ENTRY_TMPFS, "/var/tmp", "mode=01777", MS_NOSUID | MS_NODEV, false);
        return r;
}

static int builder_protect_system(Builder *b, ProtectSystem protect_system) {
        static const char *const system_yes[] = { "/usr", "/boot", "/efi" };
        int r = 0;

        switch (protect_system) {
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
        return r;
}

static int builder_protect_home(Builder *b, ProtectHome protect_home) {
        static const char *const home[] = { "/home", "/root", "/run/user" };
        int r = 0;

        for (size_t i = 0; protect_home != PROTECT_HOME_NO && r >= 0 && i < ELEMENTSOF(home); i++)
                switch (protect_home) {
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
        return r;
}

/* A private /proc where its mount options differ from the host's, and
 * always in a PID namespace of the agent's own: the host's /proc would show
 * every host process. */
static int builder_proc(Builder *b, const MountSettings *s) {
        const char *options;

        if (s->protect_proc != PROTECT_PROC_INVISIBLE && s->proc_subset != PROC_SUBSET_PID && !s->private_pids)
                return 0;
        if (s->protect_proc == PROTECT_PROC_INVISIBLE)
                options = s->proc_subset == PROC_SUBSET_PID ? "hidepid=invisible,subset=pid" : "hidepid=invisible";
        else
                options = s->proc_subset == PROC_SUBSET_PID ? "subset=pid" : NULL;
        return builder_fixed(b, ENTRY_PROC, "/proc", options, MS_NOSUID | MS_NODEV | MS_NOEXEC, false);
}

static int builder_state_directory(Builder *b, const char *state_directory, uid_t uid) {
        const char *path;
        size_t slot;
        int r;

        r = builder_path(b, "StateDirectory", state_directory, strlen(state_directory), NULL, &path);
        if (r >= 0)
                r = builder_clone_source(b, "StateDirectory", path, false, true, uid, &slot);
        if (r >= 0)
                r = builder_entry(b, (Entry) { .kind = ENTRY_ATTACH, .path = path, .slot = slot });
        return r;
}

/* The order of the calls is the order of the copies (slots) and of the
 * entries at one path and rank. */
static int builder_settings(Builder *b, const MountSettings *s) {
        size_t devices_slot = 0;
        int r;

        r = settings_check(b, s);
        if (r >= 0 && s->private_devices)
                r = builder_device_sources(b, &devices_slot);
        if (r >= 0 && s->private_tmp)
                r = builder_private_tmp(b);
        if (r >= 0)
                r = builder_protect_system(b, s->protect_system);
        if (r >= 0)
                r = builder_protect_home(b, s->protect_home);
        if (r >= 0 && s->private_devices)
                r = builder_entry(b, (Entry) { .kind = ENTRY_DEVICES, .path = "/dev", .slot = devices_slot });
        if (r >= 0)
                r = builder_proc(b, s);
        if (r >= 0)
                r = builder_paths(b, "ReadOnlyPaths", s->read_only_paths, ENTRY_READ_ONLY);
        if (r >= 0)
                r = builder_paths(b, "ReadWritePaths", s->read_write_paths, ENTRY_RESTORE);
        if (r >= 0)
                r = builder_paths(b, "InaccessiblePaths", s->inaccessible_paths, ENTRY_INACCESSIBLE);
        if (r >= 0)
                r = builder_binds(b, "BindPaths", s->bind_paths, false);
        if (r >= 0)
                r = builder_binds(b, "BindReadOnlyPaths", s->bind_read_only_paths, true);
        if (r >= 0 && s->state_directory)
                r = builder_state_directory(b, s->state_directory, s->state_directory_uid);
        return r;
}

MountPlan *mount_plan_free(MountPlan *plan) {
        if (!plan)
                return NULL;
        for (char **s = plan->strings; s && *s; s++)
                free(*s);
        for (size_t i = 0; plan->sources && i < plan->n_sources; i++)
                safe_close(plan->sources[i]);
        free(plan->sources);
        free(plan->received);
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
