/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dynamic uid pool: name -> uid memory, user database checks and one
 * flock()ed lock file per held uid, shared with other agentvisords. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dynamic-user.h"
#include "hashmap.h"
#include "isolation-util.h"
#include "macro.h"
#include "parse-util.h"

#define UID_MAX_VALID ((uid_t) 4294967294U)
/* The 16-bit (uid_t) -1: some interfaces still mean "no change" by it. */
#define UID_16BIT_INVALID ((uid_t) 65535)
/* Retries when a lock file we locked was released (unlinked) under us. */
#define LOCK_ATTEMPTS_MAX 8
#define NSS_BUFFER_MAX (1024U * 1024U)

typedef struct DynamicUser {
        char *name;
        uid_t uid;
        int lock_fd;            /* >= 0 while held */
} DynamicUser;

struct DynamicUserPool {
        uid_t lo, hi;
        char *lock_dir;
        int dir_fd;
        Hashmap *by_name;       /* name -> DynamicUser (owned), held or remembered */
        Hashmap *by_uid;        /* uid -> the same DynamicUser */
        DynamicUserLookup lookup;
        void *userdata;
        DynamicUserVeto veto;
        void *veto_userdata;
};

/* One fresh pick: the agent's own StateDirectory=, and how many uids the
 * veto barred (for the message when none is left). */
typedef struct Pick {
        const char *own_state_directory;
        uint64_t vetoed;
} Pick;

int dynamic_user_range_parse(const char *s, uid_t *ret_lo, uid_t *ret_hi, char **ret_message) {
        _cleanup_free_ char *lo_text = NULL;
        uint64_t lo, hi;
        const char *dash;

        dash = s ? strchr(s, '-') : NULL;
        if (!dash) {
                message_set(ret_message, "\"%s\" is not a uid range: expected LO-HI, for example %s", s ?: "",
                            DYNAMIC_USER_RANGE_DEFAULT);
                return -EINVAL;
        }
        lo_text = strndup(s, (size_t) (dash - s));
        if (!lo_text)
                return -ENOMEM;
        if (parse_uint64(lo_text, &lo) < 0 || parse_uint64(dash + 1, &hi) < 0) {
                message_set(ret_message, "\"%s\" is not a uid range: expected LO-HI, two decimal uids, for example %s",
                            s, DYNAMIC_USER_RANGE_DEFAULT);
                return -EINVAL;
        }
        if (lo < 1 || hi > UID_MAX_VALID) {
                message_set(ret_message, "uid range \"%s\" must lie within 1-%u", s, UID_MAX_VALID);
                return -EINVAL;
        }
        if (lo > hi) {
                message_set(ret_message, "uid range \"%s\" is empty: its start is above its end", s);
                return -EINVAL;
        }
        if (hi - lo + 1 > DYNAMIC_USER_RANGE_SIZE_MAX) {
                message_set(ret_message, "uid range \"%s\" has %" PRIu64 " uids, more than the %u allowed", s,
                            hi - lo + 1, DYNAMIC_USER_RANGE_SIZE_MAX);
                return -EINVAL;
        }
        if (lo <= DYNAMIC_USER_SYSTEM_UID_MAX) {
                message_set(ret_message, "uid range \"%s\" overlaps the system users (uids below %u)", s,
                            DYNAMIC_USER_SYSTEM_UID_MAX + 1);
                return -ERANGE;
        }
        *ret_lo = (uid_t) lo;
        *ret_hi = (uid_t) hi;
        return 0;
}

/* getpwuid_r/getgrgid_r answer "no entry" with a NULL result and either 0 or
 * one of these, depending on the NSS module. */
static bool nss_not_found(int e) {
        return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

int dynamic_user_lookup_nss(uid_t uid, void *userdata) {
        size_t size = 4096;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct passwd pw, *pwr = NULL;
                struct group gr, *grr = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getpwuid_r(uid, &pw, buf, size, &pwr);
                if (e == 0 && pwr)
                        return 1;
                if (e != ERANGE) {
                        if (!nss_not_found(e))
                                return -e;
                        e = getgrgid_r((gid_t) uid, &gr, buf, size, &grr);
                        if (e == 0 && grr)
                                return 1;
                        if (e != ERANGE)
                                return nss_not_found(e) ? 0 : -e;
                }
                /* An entry too large for the buffer: bounded doubling. */
                if (size >= NSS_BUFFER_MAX)
                        return -ERANGE;
                size *= 2;
        }
}

static void lock_file_name(uid_t uid, char buf[static 16]) {
        (void) snprintf(buf, 16, "%u", uid);
}

/* Locks DIR/UID. A holder unlinks its file before it unlocks, so a file we
 * locked may already be gone from the directory: then we locked a dead
 * inode, and try again with the file now there. -EBUSY if somebody holds it. */
static int lock_take(DynamicUserPool *p, uid_t uid, const char *name) {
        char fn[16];

        lock_file_name(uid, fn);
        for (unsigned attempt = 0; attempt < LOCK_ATTEMPTS_MAX; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat a, b;

                fd = openat(p->dir_fd, fn, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
                if (fd < 0)
                        return -errno;
                if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return errno == EWOULDBLOCK ? -EBUSY : -errno;
                if (fstat(fd, &a) < 0)
                        return -errno;
                if (fstatat(p->dir_fd, fn, &b, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        continue;

                /* Who holds it, for an administrator looking at the directory. */
                if (ftruncate(fd, 0) == 0)
                        (void) dprintf(fd, "%s\n", name);
                return TAKE_FD(fd);
        }
        return -EBUSY;
}

static void lock_drop(DynamicUserPool *p, DynamicUser *u) {
        char fn[16];

        if (u->lock_fd < 0)
                return;
        lock_file_name(u->uid, fn);
        /* Unlinked while still locked: see lock_take(). */
        (void) unlinkat(p->dir_fd, fn, 0);
        u->lock_fd = safe_close(u->lock_fd);
}

/* 1 and *ret_fd: uid is ours now; 0: not usable (in the user database,
 * locked elsewhere, or barred by the veto for a fresh pick); negative errno
 * with a message. */
static int uid_try(DynamicUserPool *p, uid_t uid, const char *name, Pick *pick, int *ret_fd, char **ret_message) {
        int r;

        if (uid == UID_16BIT_INVALID || uid == 0 || uid > UID_MAX_VALID)
                return 0;
        if (pick && p->veto) {
                r = p->veto(uid, pick->own_state_directory, p->veto_userdata);
                if (r < 0) {
                        message_set(ret_message, "Failed to check whether uid %u owns a state directory: %s", uid,
                                    strerror(-r));
                        return r;
                }
                if (r > 0) {
                        pick->vetoed++;
                        return 0;
                }
        }
        r = p->lookup(uid, p->userdata);
        if (r < 0) {
                message_set(ret_message, "Failed to look up uid %u in the user database: %s", uid, strerror(-r));
                return r;
        }
        if (r > 0)
                return 0;
        r = lock_take(p, uid, name);
        if (r == -EBUSY)
                return 0;
        if (r < 0) {
                message_set(ret_message, "Failed to lock %s/%u: %s", p->lock_dir, uid, strerror(-r));
                return r;
        }
        *ret_fd = r;
        return 1;
}

static void user_forget(DynamicUserPool *p, DynamicUser *u) {
        (void) hashmap_remove(p->by_name, u->name);
        (void) hashmap_remove(p->by_uid, HASHMAP_UINT(u->uid));
        lock_drop(p, u);
        free(u->name);
        free(u);
}

/* Takes fd; on failure the lock is dropped. */
static int user_add(DynamicUserPool *p, const char *name, uid_t uid, int fd) {
        DynamicUser *u;
        int r;

        u = calloc(1, sizeof *u);
        if (!u) {
                safe_close(fd);
                return -ENOMEM;
        }
        *u = (DynamicUser) { .name = strdup(name), .uid = uid, .lock_fd = fd };
        if (!u->name) {
                r = -ENOMEM;
                goto fail;
        }
        r = hashmap_put(p->by_name, u->name, u);
        if (r < 0)
                goto fail;
        r = hashmap_put(p->by_uid, HASHMAP_UINT(uid), u);
        if (r < 0) {
                (void) hashmap_remove(p->by_name, u->name);
                goto fail;
        }
        return 0;
fail:
        lock_drop(p, u);
        free(u->name);
        free(u);
        return r;
}

int dynamic_user_pool_new(uid_t lo, uid_t hi, const char *lock_dir, DynamicUserPool **ret, char **ret_message) {
        DynamicUserPool *p;
        struct stat st;
        int r;

        if (lo < 1 || hi > UID_MAX_VALID || lo > hi || (uint64_t) hi - lo + 1 > DYNAMIC_USER_RANGE_SIZE_MAX) {
                message_set(ret_message, "invalid dynamic uid range %u-%u", lo, hi);
                return -EINVAL;
        }
        if (!lock_dir || lock_dir[0] != '/') {
                message_set(ret_message, "the dynamic uid lock directory must be an absolute path");
                return -EINVAL;
        }

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        *p = (DynamicUserPool) {
                .lo = lo,
                .hi = hi,
                .dir_fd = -EBADF,
                .lookup = dynamic_user_lookup_nss,
                .lock_dir = strdup(lock_dir),
                .by_name = hashmap_new_string(),
                .by_uid = hashmap_new_uint(),
        };
        if (!p->lock_dir || !p->by_name || !p->by_uid) {
                r = -ENOMEM;
                goto fail;
        }

        r = mkdir_p(lock_dir, 0755);
        if (r < 0) {
                message_set(ret_message, "Failed to create %s: %s", lock_dir, strerror(-r));
                goto fail;
        }
        p->dir_fd = open(lock_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (p->dir_fd < 0) {
                r = -errno;
                message_set(ret_message, "Failed to open %s: %s", lock_dir, strerror(-r));
                goto fail;
        }
        if (fstat(p->dir_fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        /* Whoever can create files there can hold every uid of the range. */
        if (st.st_uid != geteuid() || (st.st_mode & 0022)) {
                r = -EPERM;
                message_set(ret_message, "%s must be owned by uid %u and writable by nobody else (owner %u, mode %04o)",
                            lock_dir, geteuid(), st.st_uid, st.st_mode & 07777);
                goto fail;
        }

        *ret = p;
        return 0;
fail:
        dynamic_user_pool_free(p);
        return r;
}

DynamicUserPool *dynamic_user_pool_free(DynamicUserPool *p) {
        DynamicUser *u;

        if (!p)
                return NULL;
        if (p->by_name)
                HASHMAP_FOREACH(u, p->by_name) {
                        lock_drop(p, u);
                        free(u->name);
                        free(u);
                }
        hashmap_free(p->by_name);
        hashmap_free(p->by_uid);
        safe_close(p->dir_fd);
        free(p->lock_dir);
        free(p);
        return NULL;
}

void dynamic_user_pool_set_lookup(DynamicUserPool *p, DynamicUserLookup lookup, void *userdata) {
        p->lookup = lookup ?: dynamic_user_lookup_nss;
        p->userdata = userdata;
}

void dynamic_user_pool_set_veto(DynamicUserPool *p, DynamicUserVeto veto, void *userdata) {
        p->veto = veto;
        p->veto_userdata = userdata;
}

static uint64_t name_hash(const char *s) {
        /* FNV-1a: fixed, so a name's first choice survives daemon restarts. */
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

int dynamic_user_acquire(DynamicUserPool *p, const char *name, const char *own_state_directory, uid_t *ret_uid,
                         char **ret_message) {
        Pick pick = { .own_state_directory = own_state_directory };
        DynamicUser *u;
        uint64_t n, start;
        int fd = -EBADF, r;

        if (!name || !*name)
                return -EINVAL;

        u = hashmap_get(p->by_name, name);
        if (u && u->lock_fd >= 0) {
                *ret_uid = u->uid;
                return 0;
        }
        /* The name's own uid since this pool handed it out: no other name had
         * it since, so it owns no other agent's state (no veto). */
        if (u) {
                r = u->uid >= p->lo && u->uid <= p->hi ? uid_try(p, u->uid, name, NULL, &fd, ret_message) : 0;
                if (r < 0)
                        return r;
                if (r > 0) {
                        u->lock_fd = fd;
                        *ret_uid = u->uid;
                        return 0;
                }
                /* Taken by another daemon or added to the user database since. */
                user_forget(p, u);
        }

        n = (uint64_t) p->hi - p->lo + 1;
        start = name_hash(name) % n;

        /* First the uids no name of ours remembers. */
        for (uint64_t i = 0; i < n; i++) {
                uid_t uid = (uid_t) (p->lo + (start + i) % n);

                if (hashmap_get(p->by_uid, HASHMAP_UINT(uid)))
                        continue;
                r = uid_try(p, uid, name, &pick, &fd, ret_message);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = user_add(p, name, uid, fd);
                if (r < 0)
                        return r;
                *ret_uid = uid;
                return 0;
        }

        /* Then, rather than fail, one remembered by a name that released it:
         * that name loses its stable uid, which is better than no start. */
        for (uint64_t i = 0; i < n; i++) {
                uid_t uid = (uid_t) (p->lo + (start + i) % n);

                u = hashmap_get(p->by_uid, HASHMAP_UINT(uid));
                if (!u || u->lock_fd >= 0)
                        continue;
                r = uid_try(p, uid, name, &pick, &fd, ret_message);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                user_forget(p, u);
                r = user_add(p, name, uid, fd);
                if (r < 0)
                        return r;
                *ret_uid = uid;
                return 0;
        }

        message_set(ret_message,
                    "No dynamic uid left for %s: every uid of DynamicUserRange=%u-%u is in the user database, "
                    "held by a running agent, locked by another agentvisord (lock files in %s), or owns another "
                    "agent's StateDirectory (%" PRIu64 " checks refused one)",
                    name, p->lo, p->hi, p->lock_dir, pick.vetoed);
        return -EUSERS;
}

/* A lock passed over Reexecute: ours if it is the lock file now in the
 * directory for uid and flock() still finds it ours (our own lock is
 * taken again, another's refused). Else -EBADF, and it is closed. */
static int lock_check(DynamicUserPool *p, uid_t uid, int fd) {
        _cleanup_close_ int owned = fd;
        struct stat a, b;
        char fn[16];

        lock_file_name(uid, fn);
        if (fstat(owned, &a) < 0 || fstatat(p->dir_fd, fn, &b, AT_SYMLINK_NOFOLLOW) < 0)
                return -EBADF;
        if (!S_ISREG(a.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -EBADF;
        if (flock(owned, LOCK_EX | LOCK_NB) < 0)
                return -EBADF;
        return TAKE_FD(owned);
}

/* fd: a lock for uid that we hold already (Reexecute), or -EBADF. */
static int adopt(DynamicUserPool *p, const char *name, uid_t uid, int fd, char **ret_message) {
        _cleanup_close_ int passed = fd;
        DynamicUser *u, *other;
        int r;

        if (!name || !*name || uid == 0 || uid > UID_MAX_VALID)
                return -EINVAL;

        u = hashmap_get(p->by_name, name);
        if (u && u->uid != uid) {
                if (u->lock_fd >= 0) {
                        message_set(ret_message, "%s holds uid %u, not %u", name, u->uid, uid);
                        return -EEXIST;
                }
                user_forget(p, u);
                u = NULL;
        }
        if (u && u->lock_fd >= 0)
                return 0;

        other = hashmap_get(p->by_uid, HASHMAP_UINT(uid));
        if (other && other != u && other->lock_fd >= 0) {
                message_set(ret_message, "uid %u is held by %s", uid, other->name);
                return -EBUSY;
        }

        r = passed >= 0 ? lock_check(p, uid, TAKE_FD(passed)) : -EBADF;
        if (r < 0)
                r = lock_take(p, uid, name);
        if (r < 0) {
                if (r == -EBUSY)
                        message_set(ret_message, "uid %u is locked by another agentvisord (lock files in %s)", uid,
                                    p->lock_dir);
                else
                        message_set(ret_message, "Failed to lock %s/%u: %s", p->lock_dir, uid, strerror(-r));
                return r;
        }
        if (u) {
                u->lock_fd = r;
                return 0;
        }
        if (other)
                user_forget(p, other);
        return user_add(p, name, uid, r);
}

int dynamic_user_adopt(DynamicUserPool *p, const char *name, uid_t uid, char **ret_message) {
        return adopt(p, name, uid, -EBADF, ret_message);
}

int dynamic_user_adopt_fd(DynamicUserPool *p, const char *name, uid_t uid, int lock_fd, char **ret_message) {
        return adopt(p, name, uid, lock_fd, ret_message);
}

int dynamic_user_lock_fd(const DynamicUserPool *p, const char *name) {
        DynamicUser *u;

        u = p && name ? hashmap_get(p->by_name, name) : NULL;
        return u && u->lock_fd >= 0 ? u->lock_fd : -ENOENT;
}

int dynamic_user_release(DynamicUserPool *p, const char *name) {
        DynamicUser *u;

        u = name ? hashmap_get(p->by_name, name) : NULL;
        if (!u || u->lock_fd < 0)
                return -ENOENT;
        lock_drop(p, u);
        return 0;
}

int dynamic_user_get(const DynamicUserPool *p, const char *name, uid_t *ret_uid) {
        DynamicUser *u;

        u = name ? hashmap_get(p->by_name, name) : NULL;
        if (!u)
                return -ENOENT;
        if (ret_uid)
                *ret_uid = u->uid;
        return u->lock_fd >= 0;
}
