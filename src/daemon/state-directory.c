/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* StateDirectory=: creation and re-owning through directory fds only, so a
 * symlink an agent plants in its tree never leads the daemon (root) out of
 * it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isolation-util.h"
#include "macro.h"
#include "path-util.h"
#include "state-directory.h"

static bool name_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
}

bool state_directory_name_is_valid(const char *name, char **ret_message) {
        size_t len = 0;

        if (!name || !*name) {
                message_set(ret_message, "state directory name is empty");
                return false;
        }
        if (strlen(name) >= PATH_MAX) {
                message_set(ret_message, "state directory name is longer than %d bytes", PATH_MAX - 1);
                return false;
        }
        if (name[0] == '/') {
                message_set(ret_message, "state directory name \"%s\" must be relative to the state directory base",
                            name);
                return false;
        }
        for (const char *s = name;; s++) {
                if (*s != '/' && *s != '\0') {
                        if (!name_char_ok(*s)) {
                                message_set(ret_message,
                                            "state directory name \"%s\": character %zu is not one of A-Z a-z 0-9 . _ -",
                                            name, (size_t) (s - name) + 1);
                                return false;
                        }
                        len++;
                        continue;
                }
                /* The end of a component of len bytes. */
                if (len == 0) {
                        message_set(ret_message, "state directory name \"%s\" has an empty component at byte %zu",
                                    name, (size_t) (s - name) + 1);
                        return false;
                }
                if ((len == 1 && s[-1] == '.') || (len == 2 && s[-1] == '.' && s[-2] == '.')) {
                        message_set(ret_message, "state directory name \"%s\" may not contain \".\" or \"..\"", name);
                        return false;
                }
                if (len > NAME_MAX) {
                        message_set(ret_message, "state directory name \"%s\" has a component longer than %d bytes",
                                    name, NAME_MAX);
                        return false;
                }
                if (*s == '\0')
                        return true;
                len = 0;
        }
}

/* Opens the directory dir_fd/name without following a symlink there, with a
 * message saying exactly what is wrong with it otherwise. */
static int open_dir_nofollow(int dir_fd, const char *name, const char *path_for_message, char **ret_message) {
        struct stat st;
        int fd;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0)
                return fd;
        fd = -errno;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISLNK(st.st_mode)) {
                        message_set(ret_message, "%s is a symbolic link; refusing to follow it", path_for_message);
                        return -ELOOP;
                }
                if (!S_ISDIR(st.st_mode)) {
                        message_set(ret_message, "%s exists and is not a directory", path_for_message);
                        return -ENOTDIR;
                }
        }
        message_set(ret_message, "Failed to open %s: %s", path_for_message, strerror(-fd));
        return fd;
}

typedef struct Reown {
        uid_t old_uid, uid;
        gid_t gid;
        const char *top;        /* for messages */
        char **ret_message;
} Reown;

/* Re-owns what dir_fd contains, depth levels below the leaf; the caller
 * re-owns dir_fd itself afterwards. */
static int reown_children(const Reown *o, int dir_fd, unsigned depth) {
        _cleanup_close_ int dup_fd = -EBADF;
        DIR *d;
        int r = 0;

        if (depth > STATE_DIRECTORY_DEPTH_MAX) {
                message_set(o->ret_message, "%s is nested deeper than %u levels; not re-owning it", o->top,
                            STATE_DIRECTORY_DEPTH_MAX);
                return -E2BIG;
        }
        dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return -errno;
        d = fdopendir(dup_fd);
        if (!d)
                return -errno;
        TAKE_FD(dup_fd);

        for (;;) {
                struct dirent *de;
                struct stat st;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = errno > 0 ? -errno : 0;
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                /* Stat and chown through one O_PATH fd: the inode judged is the
                 * inode re-owned, even if the name is swapped meanwhile (the old
                 * uid may belong to a running agent by now). */
                _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = -errno;
                        break;
                }
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        break;
                }

                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);

                        if (dfd < 0) {
                                r = -errno;
                                break;
                        }
                        r = reown_children(o, dfd, depth + 1);
                        if (r < 0)
                                break;
                        if (fchown(dfd, o->uid, o->gid) < 0) {
                                r = -errno;
                                break;
                        }
                        continue;
                }

                /* A second link to a file the old owner did not own is a way to make
                 * us re-own something outside the tree. */
                if (st.st_nlink > 1 && (st.st_uid != o->old_uid || o->old_uid == 0))
                        continue;
                /* Symlinks included: the link, not its target. */
                if (fchownat(fd, "", o->uid, o->gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
        }
        closedir(d);
        if (r < 0 && r != -E2BIG)
                message_set(o->ret_message, "Failed to re-own %s to %u:%u: %s", o->top, o->uid, o->gid, strerror(-r));
        return r;
}

/* The base is the administrator's: created if need be, and a symlink there
 * is theirs to make. Returns its fd. */
static int base_open(const char *base_dir, char **ret_message) {
        int fd, r;

        r = mkdir_p(base_dir, 0755);
        if (r < 0) {
                message_set(ret_message, "Failed to create %s: %s", base_dir, strerror(-r));
                return r;
        }
        fd = open(base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                message_set(ret_message, "Failed to open %s: %s", base_dir, strerror(-r));
                return r;
        }
        return fd;
}

/* Parents of the leaf: created for root, 0755, never re-owned. Walks *dir_fd
 * (which stays the caller's) down to the leaf's parent; name is the
 * caller's copy, restored on success; *ret_leaf points into it. */
static int parents_create(const char *base_dir, char *name, int *dir_fd, char **ret_leaf, char **ret_message) {
        char *component, *next;
        int r;

        for (component = name; (next = strchr(component, '/')); component = next + 1) {
                _cleanup_free_ char *parent = NULL;
                int fd;

                *next = '\0';
                parent = path_join(base_dir, name);
                if (!parent)
                        return -ENOMEM;
                if (mkdirat(*dir_fd, component, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        message_set(ret_message, "Failed to create %s: %s", parent, strerror(-r));
                        return r;
                }
                fd = open_dir_nofollow(*dir_fd, component, parent, ret_message);
                if (fd < 0)
                        return fd;
                safe_close(*dir_fd);
                *dir_fd = fd;
                *next = '/';
        }
        *ret_leaf = component;
        return 0;
}

/* The leaf (open as leaf_fd, stat as st) to uid:gid and mode 0700. */
static int leaf_own(int leaf_fd, const struct stat *st, bool created, uid_t uid, gid_t gid, const char *path,
                    char **ret_message) {
        int r;

        if (st->st_uid != uid || st->st_gid != gid) {
                Reown o = { .old_uid = st->st_uid, .uid = uid, .gid = gid, .top = path, .ret_message = ret_message };

                /* A fresh directory is empty; an old one is re-owned leaf last,
                 * so a half-done re-own shows as a wrong owner and is redone. */
                if (!created) {
                        r = reown_children(&o, leaf_fd, 0);
                        if (r < 0)
                                return r;
                }
                if (fchown(leaf_fd, uid, gid) < 0) {
                        r = -errno;
                        message_set(ret_message, "Failed to chown %s to %u:%u: %s", path, uid, gid, strerror(-r));
                        return r;
                }
        }
        if ((st->st_mode & 07777) != 0700 && fchmod(leaf_fd, 0700) < 0) {
                r = -errno;
                message_set(ret_message, "Failed to chmod %s: %s", path, strerror(-r));
                return r;
        }
        return 0;
}

int state_directory_prepare(const char *base_dir, const char *name, uid_t uid, gid_t gid, char **ret_path,
                            char **ret_message) {
        _cleanup_free_ char *path = NULL, *copy = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char *component = NULL;
        struct stat st;
        int r;

        if (!state_directory_name_is_valid(name, ret_message))
                return -EINVAL;
        if (!base_dir || base_dir[0] != '/') {
                message_set(ret_message, "state directory base \"%s\" is not an absolute path", base_dir ?: "");
                return -EINVAL;
        }
        path = path_join(base_dir, name);
        copy = strdup(name);
        if (!path || !copy)
                return -ENOMEM;

        dir_fd = base_open(base_dir, ret_message);
        if (dir_fd < 0)
                return dir_fd;
        r = parents_create(base_dir, copy, &dir_fd, &component, ret_message);
        if (r < 0)
                return r;

        /* The leaf. mkdir's mode is masked by the umask; fchmod below is not. */
        bool created = mkdirat(dir_fd, component, 0700) == 0;
        if (!created && errno != EEXIST) {
                r = -errno;
                message_set(ret_message, "Failed to create %s: %s", path, strerror(-r));
                return r;
        }
        _cleanup_close_ int leaf_fd = open_dir_nofollow(dir_fd, component, path, ret_message);
        if (leaf_fd < 0)
                return leaf_fd;
        if (fstat(leaf_fd, &st) < 0) {
                r = -errno;
                message_set(ret_message, "Failed to stat %s: %s", path, strerror(-r));
                return r;
        }
        r = leaf_own(leaf_fd, &st, created, uid, gid, path, ret_message);
        if (r < 0)
                return r;

        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

typedef struct OwnerWalk {
        uid_t uid;
        const char *own;
        char name[PATH_MAX];    /* the NAME of the directory at hand */
} OwnerWalk;

static int owner_walk(OwnerWalk *w, int dir_fd, size_t len, unsigned depth) {
        _cleanup_close_ int dup_fd = -EBADF;
        DIR *d;
        int r = 0;

        dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return -errno;
        d = fdopendir(dup_fd);
        if (!d)
                return -errno;
        TAKE_FD(dup_fd);

        for (;;) {
                struct dirent *de;
                struct stat st;
                size_t k;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = errno > 0 ? -errno : 0;
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = -errno;
                        break;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;
                k = strlen(de->d_name);
                if (len + 1 + k >= sizeof w->name)
                        continue;       /* no valid NAME is this long */
                if (len > 0)
                        w->name[len] = '/';
                memcpy(w->name + len + (len > 0), de->d_name, k + 1);
                if (st.st_uid == w->uid && (!w->own || strcmp(w->name, w->own) != 0)) {
                        r = 1;
                        break;
                }
                if (st.st_uid == 0 && (st.st_mode & 07777) == 0755 && depth < STATE_DIRECTORY_DEPTH_MAX) {
                        _cleanup_close_ int fd = openat(dirfd(d), de->d_name,
                                                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

                        if (fd < 0 && errno != ENOENT) {
                                r = -errno;
                                break;
                        }
                        if (fd >= 0) {
                                r = owner_walk(w, fd, len + (len > 0) + k, depth + 1);
                                if (r != 0)
                                        break;
                        }
                }
                w->name[len] = 0;
        }
        closedir(d);
        return r;
}

int state_directory_owned_by(const char *base_dir, uid_t uid, const char *own, char **ret_name) {
        _cleanup_free_ OwnerWalk *w = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!base_dir || base_dir[0] != '/')
                return -EINVAL;
        fd = open(base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->uid = uid;
        w->own = own;
        r = owner_walk(w, fd, 0, 0);
        if (r > 0 && ret_name) {
                *ret_name = strdup(w->name);
                if (!*ret_name)
                        return -ENOMEM;
        }
        return r;
}
