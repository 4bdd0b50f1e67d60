/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* StateDirectory= against the real file system (root: it chowns): created
 * 0700 for the agent's uid, re-owned with everything in it when the uid
 * changes, never following a symlink or a foreign hard link out of the tree,
 * bad names refused. Everything happens under one temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "state-directory.h"

#define check(cond, ...)                       \
        do {                                   \
                if (!(cond))                   \
                        fail_msg(__VA_ARGS__); \
        } while (0)

#define U1 ((uid_t) 3000000101U)
#define U2 ((uid_t) 3000000202U)

static char tmp[] = "/tmp/test-state-directory-XXXXXX";
static char base[PATH_MAX];       /* not there yet: prepare makes it */
static char outside[PATH_MAX];    /* root-owned, not under base */

static void pathf(char *buf, const char *format, ...) _printf_(2, 3);
static void pathf(char *buf, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        vsnprintf(buf, PATH_MAX, format, ap);
        va_end(ap);
}

static void assert_owner(const char *path, uid_t uid, gid_t gid) {
        struct stat st;

        check(lstat(path, &st) == 0, "lstat %s: %m", path);
        check(st.st_uid == uid && st.st_gid == gid, "%s owned by %u:%u, expected %u:%u", path, st.st_uid, st.st_gid,
              uid, gid);
}

static void assert_mode(const char *path, mode_t mode) {
        struct stat st;

        check(lstat(path, &st) == 0, "lstat %s: %m", path);
        check((st.st_mode & 07777) == mode, "%s has mode %04o, expected %04o", path, st.st_mode & 07777, mode);
}

static void prepare_ok(const char *name, uid_t uid, gid_t gid) {
        char *path = NULL, *m = NULL, want[PATH_MAX];
        int r;

        r = state_directory_prepare(base, name, uid, gid, &path, &m);
        check(r == 0, "prepare %s: %s (%s)", name, strerror(-r), m ?: "no message");
        pathf(want, "%s/%s", base, name);
        check(path && strcmp(path, want) == 0, "path %s, expected %s", path ?: "(null)", want);
        free(path);
        free(m);
}

static void prepare_fails(const char *name, int expect, const char *in_message) {
        char *path = NULL, *m = NULL;
        int r;

        r = state_directory_prepare(base, name, U2, U2, &path, &m);
        check(r == expect, "prepare \"%s\": %d, expected %d (%s)", name, r, expect, m ?: "no message");
        check(!path, "path returned on failure");
        check(m && strstr(m, in_message), "prepare \"%s\": message \"%s\" lacks \"%s\"", name, m ?: "(none)",
              in_message);
        free(m);
}

static void touch(const char *path, uid_t uid) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        check(fd >= 0, "create %s: %m", path);
        close(fd);
        check(chown(path, uid, uid) == 0, "chown %s: %m", path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        umask(022);
        if (!mkdtemp(tmp))
                return -1;
        pathf(outside, "%s/outside", tmp);
        return mkdir(outside, 0755);
}

static int teardown(void **state) {
        return nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Each test starts with a base that does not exist. */
static int fresh_base(void **state) {
        static unsigned n;

        pathf(base, "%s/base%u/lib", tmp, n++);
        return 0;
}

static bool streq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static void touch_dir_owned(const char *dir, const char *name, uid_t uid) {
        char path[PATH_MAX];

        pathf(path, "%s/%s", dir, name);
        check(mkdir(path, 0700) == 0 && chown(path, uid, uid) == 0, "mkdir %s: %m", path);
}

static void test_created(void **state) {
        char p[PATH_MAX];

        prepare_ok("svc", U1, U1 + 1);
        pathf(p, "%s/svc", base);
        assert_owner(p, U1, U1 + 1);
        assert_mode(p, 0700);
        assert_owner(base, 0, 0);
        assert_mode(base, 0755);

        /* Subdirectories: parents for root, world-traversable; leaf the agent's. */
        prepare_ok("team/svc.2", U2, U2);
        pathf(p, "%s/team", base);
        assert_owner(p, 0, 0);
        assert_mode(p, 0755);
        pathf(p, "%s/team/svc.2", base);
        assert_owner(p, U2, U2);
        assert_mode(p, 0700);

        /* Again with the same owner: nothing to do, still fine. */
        prepare_ok("team/svc.2", U2, U2);
}

static void test_reowned(void **state) {
        char p[PATH_MAX], deep[PATH_MAX], f[PATH_MAX];
        const char *names[] = { "svc", "svc/data", "svc/data/x", "svc/data/y", "svc/data/y/z" };

        prepare_ok("svc", U1, U1);
        /* What the agent left as U1: a tree of files and directories. */
        pathf(p, "%s/svc/data", base);
        check(mkdir(p, 0750) == 0 && chown(p, U1, U1) == 0, "mkdir %s: %m", p);
        pathf(f, "%s/svc/data/x", base);
        touch(f, U1);
        pathf(deep, "%s/svc/data/y", base);
        check(mkdir(deep, 0700) == 0 && chown(deep, U1, U1) == 0, "mkdir %s: %m", deep);
        pathf(f, "%s/svc/data/y/z", base);
        touch(f, U1);
        /* Someone loosened the mode meanwhile. */
        pathf(p, "%s/svc", base);
        check(chmod(p, 0755) == 0, "chmod: %m");

        prepare_ok("svc", U2, U2 + 1);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                pathf(p, "%s/%s", base, names[i]);
                assert_owner(p, U2, U2 + 1);
        }
        pathf(p, "%s/svc", base);
        assert_mode(p, 0700);
        /* Modes of the contents are the agent's business. */
        pathf(p, "%s/svc/data", base);
        assert_mode(p, 0750);

        /* The leaf marks a finished re-own: with the right owner there is no
         * walk; with the old one (re-own interrupted) the walk is redone. */
        check(chown(f, U1, U1) == 0, "chown: %m");
        prepare_ok("svc", U2, U2 + 1);
        assert_owner(f, U1, U1);
        pathf(p, "%s/svc", base);
        check(chown(p, U1, U1) == 0, "chown: %m");
        prepare_ok("svc", U2, U2 + 1);
        assert_owner(f, U2, U2 + 1);
}

static void test_links_not_followed(void **state) {
        char p[PATH_MAX], target[PATH_MAX], dtarget[PATH_MAX], mine[PATH_MAX];

        prepare_ok("svc", U1, U1);
        pathf(target, "%s/secret", outside);
        touch(target, 0);
        pathf(dtarget, "%s/dir", outside);
        check(mkdir(dtarget, 0755) == 0, "mkdir: %m");

        /* Planted by the agent: symlinks to a file and a directory outside,
         * a hard link to a root file, and a hard link of its own. */
        pathf(p, "%s/svc/link", base);
        check(symlink(target, p) == 0 && lchown(p, U1, U1) == 0, "symlink %s: %m", p);
        pathf(p, "%s/svc/dlink", base);
        check(symlink(dtarget, p) == 0 && lchown(p, U1, U1) == 0, "symlink %s: %m", p);
        pathf(p, "%s/svc/hard", base);
        check(link(target, p) == 0, "link %s: %m", p);
        pathf(mine, "%s/svc/mine", base);
        touch(mine, U1);
        pathf(p, "%s/svc/mine2", base);
        check(link(mine, p) == 0, "link %s: %m", p);

        prepare_ok("svc", U2, U2);
        assert_owner(target, 0, 0);
        assert_owner(dtarget, 0, 0);
        pathf(p, "%s/svc/link", base);
        assert_owner(p, U2, U2);               /* the link itself */
        pathf(p, "%s/svc/dlink", base);
        assert_owner(p, U2, U2);
        assert_owner(mine, U2, U2);            /* its own file, two links */

        /* The leaf itself a symlink to a directory outside. */
        pathf(p, "%s/evil", base);
        check(symlink(dtarget, p) == 0, "symlink: %m");
        prepare_fails("evil", -ELOOP, "symbolic link");
        assert_owner(dtarget, 0, 0);
        assert_mode(dtarget, 0755);

        /* A parent a symlink: nothing created through it. */
        pathf(p, "%s/up", base);
        check(symlink(dtarget, p) == 0, "symlink: %m");
        prepare_fails("up/x", -ELOOP, "symbolic link");
        pathf(p, "%s/x", dtarget);
        check(access(p, F_OK) < 0 && errno == ENOENT, "%s created through a symlink", p);

        /* The leaf a file. */
        pathf(p, "%s/file", base);
        touch(p, 0);
        prepare_fails("file", -ENOTDIR, "not a directory");
        assert_owner(p, 0, 0);
}

static void test_too_deep(void **state) {
        char p[PATH_MAX], base_leaf[PATH_MAX];
        int n;

        prepare_ok("deep", U1, U1);
        n = snprintf(p, sizeof p, "%s/deep", base);
        for (unsigned i = 0; i <= STATE_DIRECTORY_DEPTH_MAX; i++) {
                n += snprintf(p + n, sizeof p - (size_t) n, "/d");
                check(mkdir(p, 0700) == 0, "mkdir %s: %m", p);
        }
        prepare_fails("deep", -E2BIG, "deeper");
        /* The leaf keeps the old owner, so the next start tries again. */
        pathf(base_leaf, "%s/deep", base);
        assert_owner(base_leaf, U1, U1);
        /* Exactly STATE_DIRECTORY_DEPTH_MAX levels are fine. */
        check(rmdir(p) == 0, "rmdir %s: %m", p);
        prepare_ok("deep", U2, U2);
        p[strlen(p) - 2] = '\0';
        assert_owner(p, U2, U2);
}

/* The dynamic uid pool's veto: which state directory a uid owns, the
 * asking agent's own excluded, through the root-owned parents only. */
static void test_owned_by(void **state) {
        char path[PATH_MAX], *name = NULL;

        check(state_directory_owned_by(base, U1, NULL, NULL) == 0, "a missing base holds nothing");
        prepare_ok("alpha", U1, U1);
        prepare_ok("deep/er/beta", U2, U2);
        check(state_directory_owned_by(base, U1, NULL, &name) == 1 && streq(name, "alpha"), "U1 owns alpha: %s",
              name ?: "(none)");
        name = mfree(name);
        check(state_directory_owned_by(base, U2, "alpha", &name) == 1 && streq(name, "deep/er/beta"),
              "U2 owns deep/er/beta: %s", name ?: "(none)");
        name = mfree(name);
        check(state_directory_owned_by(base, U1, "alpha", NULL) == 0, "alpha's own directory does not count");
        check(state_directory_owned_by(base, U2, "deep/er/beta", NULL) == 0, "beta's own directory does not count");
        check(state_directory_owned_by(base, U2 + 1, NULL, NULL) == 0, "an unknown uid owns nothing");

        /* Not beneath a state directory (the agent's own tree), not through a
         * symlink, not beneath a parent that is not root's 0755. */
        pathf(path, "%s/alpha/sub", base);
        check(mkdir(path, 0700) == 0 && chown(path, U2 + 2, U2 + 2) == 0, "mkdir: %m");
        check(state_directory_owned_by(base, U2 + 2, NULL, NULL) == 0, "a directory inside a state directory");
        pathf(path, "%s/link", base);
        check(symlink(outside, path) == 0, "symlink: %m");
        touch_dir_owned(outside, "x", U2 + 3);
        check(state_directory_owned_by(base, U2 + 3, NULL, NULL) == 0, "a directory through a symlink");
}

static void test_bad_names(void **state) {
        static const char *const bad[] = {
                "", "/abs", "..", ".", "a/../b", "a/./b", "a//b", "a/", "../x", "a b", "a\nb", "a:b", "x/..",
        };
        struct stat st;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                prepare_fails(bad[i], -EINVAL, "state directory name");
        check(stat(base, &st) < 0 && errno == ENOENT, "a bad name still created the base");
        check(state_directory_name_is_valid("a/b/c-1.x_y", NULL), "a good name refused");
        check(state_directory_name_is_valid("...", NULL), "\"...\" is an ordinary name");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_created, fresh_base),
                cmocka_unit_test_setup(test_reowned, fresh_base),
                cmocka_unit_test_setup(test_links_not_followed, fresh_base),
                cmocka_unit_test_setup(test_too_deep, fresh_base),
                cmocka_unit_test_setup(test_bad_names, fresh_base),
                cmocka_unit_test_setup(test_owned_by, fresh_base),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "test-state-directory needs root (it chowns)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
