/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins the dynamic uid pool: a name keeps its uid, names never share one,
 * user database entries and other daemons' locks are skipped, remembered
 * uids go to another name only when nothing else is left, exhaustion and
 * DynamicUserRange= errors say what is wrong. The user database is a table
 * of this test; lock files go to a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dynamic-user.h"
#include "macro.h"
#include "state-directory.h"

#define check(cond, ...)                       \
        do {                                   \
                if (!(cond))                   \
                        fail_msg(__VA_ARGS__); \
        } while (0)

/* Uids of the test's ranges start here: far above anything real, though the
 * injected database means no real entry is looked at anyway. */
#define LO ((uid_t) 3000000000U)

typedef struct FakeDb {
        bool exists[64];        /* uid LO + i has a passwd or group entry */
        int error;              /* when set, every lookup fails with it */
        unsigned lookups;
} FakeDb;

static char tmp[] = "/tmp/test-dynamic-user-XXXXXX";
static char lock_dir[sizeof tmp + 32];

static int fake_lookup(uid_t uid, void *userdata) {
        FakeDb *db = userdata;

        db->lookups++;
        if (db->error)
                return -db->error;
        return uid >= LO && uid - LO < 64 && db->exists[uid - LO];
}

static DynamicUserPool *pool_new(uid_t lo, uid_t hi, FakeDb *db) {
        DynamicUserPool *p = NULL;
        char *m = NULL;
        int r;

        r = dynamic_user_pool_new(lo, hi, lock_dir, &p, &m);
        check(r == 0, "dynamic_user_pool_new: %s (%s)", strerror(-r), m ?: "no message");
        dynamic_user_pool_set_lookup(p, fake_lookup, db);
        return p;
}

static uid_t acquire(DynamicUserPool *p, const char *name) {
        char *m = NULL;
        uid_t uid = 0;
        int r;

        r = dynamic_user_acquire(p, name, NULL, &uid, &m);
        check(r == 0, "acquire %s: %s (%s)", name, strerror(-r), m ?: "no message");
        free(m);
        return uid;
}

static bool lock_file_exists(uid_t uid) {
        char path[sizeof lock_dir + 16];

        snprintf(path, sizeof path, "%s/%u", lock_dir, uid);
        return access(path, F_OK) == 0;
}

static int setup(void **state) {
        umask(022);
        if (!mkdtemp(tmp))
                return -1;
        /* A missing parent too: the pool makes it. */
        snprintf(lock_dir, sizeof lock_dir, "%s/run/dynamic-uid", tmp);
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int teardown(void **state) {
        return nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_same_uid_for_same_name(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO, LO + 9, &db);
        uid_t a = acquire(p, "alpha"), again;
        struct stat st;

        check(a >= LO && a <= LO + 9, "uid %u outside the range", a);
        check(lock_file_exists(a), "no lock file for held uid %u", a);
        check(stat(lock_dir, &st) == 0 && (st.st_mode & 07777) == 0755, "lock dir mode %04o, expected 0755",
              st.st_mode & 07777);
        /* Acquiring while held is idempotent. */
        check(acquire(p, "alpha") == a, "a second acquire while held changed the uid");

        assert_int_equal(dynamic_user_release(p, "alpha"), 0);
        check(!lock_file_exists(a), "lock file of released uid %u still there", a);
        check(dynamic_user_get(p, "alpha", &again) == 0 && again == a, "released name forgot its uid");
        /* Other names come and go meanwhile: alpha still gets its own back. */
        for (int i = 0; i < 5; i++) {
                char n[16];

                snprintf(n, sizeof n, "other%d", i);
                check(acquire(p, n) != a, "%s got alpha's remembered uid while others were free", n);
        }
        check(acquire(p, "alpha") == a, "re-acquire after release gave another uid");
        check(dynamic_user_get(p, "alpha", NULL) == 1, "alpha not reported as held");
        assert_int_equal(dynamic_user_release(p, "nosuch"), -ENOENT);
        dynamic_user_pool_free(p);
        check(!lock_file_exists(a), "pool_free left the lock file of %u", a);

        /* A new daemon (new pool, empty memory) starts from the same hash. */
        p = pool_new(LO, LO + 9, &db);
        check(acquire(p, "alpha") == a, "first choice not stable across pools");
        dynamic_user_pool_free(p);
}

/* After a daemon restart the agents start in any order: each still gets the
 * uid it had, as long as nothing else took it. */
static void test_stable_in_any_order(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO, LO + 999, &db);
        uid_t x = acquire(p, "web"), y = acquire(p, "worker");

        dynamic_user_pool_free(p);
        p = pool_new(LO, LO + 999, &db);
        check(acquire(p, "worker") == y && acquire(p, "web") == x, "uids depend on the order of acquisition");
        dynamic_user_pool_free(p);
}

static void test_distinct_and_exhausted(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO, LO + 7, &db);
        bool seen[8] = {};
        char *m = NULL;
        uid_t uid = 0;
        int r;

        for (int i = 0; i < 8; i++) {
                char n[16];
                uid_t u;

                snprintf(n, sizeof n, "agent%d", i);
                u = acquire(p, n);
                check(u >= LO && u <= LO + 7, "uid %u outside the range", u);
                check(!seen[u - LO], "uid %u handed out twice", u);
                seen[u - LO] = true;
        }
        r = dynamic_user_acquire(p, "ninth", NULL, &uid, &m);
        check(r == -EUSERS, "acquire in a full range: %d, expected -EUSERS", r);
        check(uid == 0, "ret_uid written on failure");
        check(m && strstr(m, "3000000000-3000000007") && strstr(m, "ninth"),
              "exhaustion message does not name the range and the agent: %s", m ?: "(none)");
        free(m);
        dynamic_user_pool_free(p);
}

static void test_skips_user_database(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO, LO + 9, &db);
        uid_t first = acquire(p, "alpha"), u;

        dynamic_user_pool_free(p);
        /* alpha's first choice now has a passwd or group entry. */
        db.exists[first - LO] = true;
        p = pool_new(LO, LO + 9, &db);
        u = acquire(p, "alpha");
        check(u != first, "got uid %u which is in the user database", u);
        check(u == LO + (first - LO + 1) % 10, "not the next uid after the taken first choice: %u", u);

        /* A remembered uid that appears in the database meanwhile is dropped. */
        assert_int_equal(dynamic_user_release(p, "alpha"), 0);
        db.exists[u - LO] = true;
        check(acquire(p, "alpha") != u, "remembered uid reused although it is in the user database now");
        dynamic_user_pool_free(p);

        /* Only one uid of the range is free. */
        memset(db.exists, 1, 10);
        db.exists[6] = false;
        p = pool_new(LO, LO + 9, &db);
        check(acquire(p, "beta") == LO + 6, "did not find the one free uid");
        dynamic_user_pool_free(p);

        /* A failing lookup fails the acquisition, with a message. */
        memset(&db, 0, sizeof db);
        db.error = EIO;
        p = pool_new(LO, LO + 9, &db);
        {
                char *m = NULL;
                uid_t x;
                int r = dynamic_user_acquire(p, "gamma", NULL, &x, &m);

                check(r == -EIO && m && strstr(m, "user database"), "lookup error: %d %s", r, m ?: "(none)");
                free(m);
        }
        dynamic_user_pool_free(p);
}

static void test_other_daemon_locks(void **state) {
        FakeDb db = {};
        DynamicUserPool *a = pool_new(LO, LO, &db), *b = pool_new(LO, LO, &db);
        char *m = NULL;
        uid_t uid;
        int r;

        check(acquire(a, "one") == LO, "the only uid not handed out");
        /* The second daemon knows nothing of "one" but sees the lock. */
        r = dynamic_user_acquire(b, "two", NULL, &uid, &m);
        check(r == -EUSERS, "second pool took a uid the first holds (%d)", r);
        free(m);
        m = NULL;
        r = dynamic_user_acquire(b, "one", NULL, &uid, &m);
        check(r == -EUSERS, "second pool took a uid the first holds for the same name (%d)", r);
        free(m);
        m = NULL;
        r = dynamic_user_adopt(b, "one", LO, &m);
        check(r == -EBUSY, "second pool adopted a uid the first holds (%d)", r);
        free(m);

        assert_int_equal(dynamic_user_release(a, "one"), 0);
        check(acquire(b, "two") == LO, "the released uid was not free for the other daemon");
        /* Now the first pool cannot get it back, even for the name that had it. */
        m = NULL;
        r = dynamic_user_acquire(a, "one", NULL, &uid, &m);
        check(r == -EUSERS, "first pool re-took a uid the second holds (%d)", r);
        free(m);
        dynamic_user_pool_free(a);
        dynamic_user_pool_free(b);

        /* With room for both, the same name in two daemons gets two uids. */
        a = pool_new(LO, LO + 1, &db);
        b = pool_new(LO, LO + 1, &db);
        check(acquire(a, "same") != acquire(b, "same"), "two daemons share a uid");
        dynamic_user_pool_free(a);
        dynamic_user_pool_free(b);
}

static void test_remembered_reused_last(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO, LO + 1, &db), *probe;
        char other[16] = "";
        uid_t a, b, c;
        char *m = NULL;
        int r;

        a = acquire(p, "alpha");
        assert_int_equal(dynamic_user_release(p, "alpha"), 0);

        /* A name whose first choice is alpha's uid, found with a scratch pool. */
        for (int i = 0; i < 64 && !*other; i++) {
                char n[16];

                snprintf(n, sizeof n, "n%d", i);
                probe = pool_new(LO + 10, LO + 11, &db);
                if (acquire(probe, n) - 10 == a)
                        snprintf(other, sizeof other, "%s", n);
                dynamic_user_pool_free(probe);
        }
        check(*other, "no name hashes to alpha's uid");

        b = acquire(p, other);
        check(b != a, "%s took alpha's remembered uid while another was free", other);
        /* Nothing free but alpha's remembered uid: a third name gets it. */
        c = acquire(p, "third");
        check(c == a, "exhausted range did not fall back to a released remembered uid");
        r = dynamic_user_acquire(p, "alpha", NULL, &a, &m);
        check(r == -EUSERS, "alpha still got a uid (%d)", r);
        free(m);
        assert_int_equal(dynamic_user_release(p, other), 0);
        check(acquire(p, "alpha") == b, "alpha did not take the uid freed last");
        dynamic_user_pool_free(p);
}

/* The daemon's veto over a state base in tmp (state_directory_owned_by()). */
static char state_base[sizeof tmp + 32];

static int state_veto(uid_t uid, const char *own, void *userdata) {
        return state_directory_owned_by(state_base, uid, own, NULL);
}

static void state_make(const char *name, uid_t uid) {
        char *m = NULL;
        int r = state_directory_prepare(state_base, name, uid, (gid_t) uid, NULL, &m);

        check(r == 0, "state_directory_prepare(%s): %s (%s)", name, strerror(-r), m ?: "no message");
        free(m);
}

/* A recycled uid never reaches another agent's StateDirectory: not when
 * the range runs out (a released name's uid), not after a restart (a fresh
 * pool, another name hashing to the uid); the owner itself gets it back. */
static void test_veto_state_directory_owner(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO + 40, LO + 40, &db);
        char *m = NULL;
        uid_t u, v;
        int r;

        if (geteuid() != 0)
                skip();         /* chown */
        snprintf(state_base, sizeof state_base, "%s/state", tmp);
        dynamic_user_pool_set_veto(p, state_veto, NULL);
        u = acquire(p, "alpha");
        state_make("a/data", u);
        assert_int_equal(dynamic_user_release(p, "alpha"), 0);

        /* Exhausted: only alpha's uid is left, and it owns alpha's state. */
        r = dynamic_user_acquire(p, "beta", "b", &v, &m);
        check(r == -EUSERS, "beta got alpha's uid %u, which owns alpha's StateDirectory (%d)", v, r);
        check(m && strstr(m, "StateDirectory") && strstr(m, "1 checks"), "message: %s", m ?: "(none)");
        m = mfree(m);
        r = dynamic_user_acquire(p, "gamma", NULL, &v, &m);
        check(r == -EUSERS, "an agent without a StateDirectory got alpha's uid (%d)", r);
        m = mfree(m);
        r = dynamic_user_acquire(p, "alpha", "a/data", &v, &m);
        check(r == 0 && v == u, "alpha did not get its uid back: %d (%s)", r, m ?: "");
        assert_int_equal(dynamic_user_release(p, "alpha"), 0);
        dynamic_user_pool_free(p);

        /* A restart: the pool remembers nothing; only the owner gets it. */
        p = pool_new(LO + 40, LO + 40, &db);
        dynamic_user_pool_set_veto(p, state_veto, NULL);
        r = dynamic_user_acquire(p, "beta", "b", &v, &m);
        check(r == -EUSERS, "after a restart, beta got alpha's uid (%d)", r);
        m = mfree(m);
        r = dynamic_user_acquire(p, "alpha", "a/data", &v, &m);
        check(r == 0 && v == u, "after a restart, alpha did not get its uid: %d (%s)", r, m ?: "");
        dynamic_user_pool_free(p);

        /* The control: once alpha's state has another owner, the uid is free again. */
        state_make("a/data", LO + 41);
        p = pool_new(LO + 40, LO + 40, &db);
        dynamic_user_pool_set_veto(p, state_veto, NULL);
        check(dynamic_user_acquire(p, "beta", "b", &v, NULL) == 0 && v == u, "the uid should be free");
        dynamic_user_pool_free(p);
}

static void test_adopt(void **state) {
        FakeDb db = {};
        DynamicUserPool *p = pool_new(LO, LO + 9, &db);
        uid_t u;

        /* A running agent found after a restart keeps its uid, even one the
         * range no longer has. */
        assert_int_equal(dynamic_user_adopt(p, "old", LO + 20, NULL), 0);
        check(dynamic_user_get(p, "old", &u) == 1 && u == LO + 20, "adopted uid not held");
        check(lock_file_exists(LO + 20), "adopted uid not locked");
        check(acquire(p, "old") == LO + 20, "acquire while held changed the adopted uid");
        assert_int_equal(dynamic_user_adopt(p, "old", LO + 21, NULL), -EEXIST);
        assert_int_equal(dynamic_user_release(p, "old"), 0);
        /* Out of range: released, it is not taken again. */
        u = acquire(p, "old");
        check(u >= LO && u <= LO + 9, "re-acquired out-of-range uid %u", u);

        assert_int_equal(dynamic_user_adopt(p, "new", u, NULL), -EBUSY);
        dynamic_user_pool_free(p);
}

/* Reexecute: the new image takes over the very lock the old one held (the
 * same open file, passed across execve()), so it is never free between the
 * two; an fd that is not that lock is closed and the uid locked again. */
static void test_adopt_fd(void **state) {
        FakeDb db = {};
        DynamicUserPool *old = pool_new(LO, LO + 9, &db), *new = pool_new(LO, LO + 9, &db);
        DynamicUserPool *other = pool_new(LO, LO + 9, &db);
        char path[sizeof lock_dir + 16];
        uid_t u = acquire(old, "one"), u2 = u == LO + 9 ? LO : u + 1;
        int fd;

        assert_int_equal(dynamic_user_lock_fd(old, "nobody"), -ENOENT);
        fd = dynamic_user_lock_fd(old, "one");
        check(fd >= 0, "no lock fd for a held uid");
        /* The same open file, as execve() leaves it. */
        assert_int_equal(dynamic_user_adopt_fd(new, "one", u, dup(fd), NULL), 0);
        check(dynamic_user_get(new, "one", NULL) == 1, "passed lock not held");
        check(dynamic_user_lock_fd(new, "one") >= 0, "passed lock has no fd");
        assert_int_equal(dynamic_user_adopt(other, "x", u, NULL), -EBUSY);

        /* The lock file opened anew is another open file: its flock() is
         * refused, and locking again fails too, as the uid is held. */
        snprintf(path, sizeof path, "%s/%u", lock_dir, u);
        fd = open(path, O_RDWR | O_CLOEXEC);
        check(fd >= 0, "open %s: %m", path);
        assert_int_equal(dynamic_user_adopt_fd(other, "one", u, fd, NULL), -EBUSY);

        /* Not a lock file of that uid: locked again. */
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_int_equal(dynamic_user_adopt_fd(other, "two", u2, fd, NULL), 0);
        check(lock_file_exists(u2) && dynamic_user_get(other, "two", NULL) == 1, "not locked again");
        dynamic_user_pool_free(other);
        dynamic_user_pool_free(new);
        dynamic_user_pool_free(old);
}

static void test_pool_new_errors(void **state) {
        DynamicUserPool *p = NULL;
        char *m = NULL;
        char bad[sizeof tmp + 16];

        assert_int_equal(dynamic_user_pool_new(10, 5, lock_dir, &p, NULL), -EINVAL);
        assert_int_equal(dynamic_user_pool_new(0, 5, lock_dir, &p, NULL), -EINVAL);
        assert_int_equal(dynamic_user_pool_new(LO, LO + 65536, lock_dir, &p, NULL), -EINVAL);
        assert_int_equal(dynamic_user_pool_new(LO, LO, "relative", &p, NULL), -EINVAL);

        /* Anybody who can write the lock directory could hold every uid. */
        snprintf(bad, sizeof bad, "%s/open", tmp);
        check(mkdir(bad, 0777) == 0 && chmod(bad, 0777) == 0, "mkdir %s: %m", bad);
        assert_int_equal(dynamic_user_pool_new(LO, LO, bad, &p, &m), -EPERM);
        check(m && strstr(m, "writable"), "message: %s", m ?: "(none)");
        free(m);
        check(p == NULL, "ret written on failure");
}

/* The real lookup: a passwd entry or a group entry alone is enough. */
static void test_lookup_nss(void **state) {
        struct group *g;
        gid_t group_only = 0;

        assert_int_equal(dynamic_user_lookup_nss(0, NULL), 1);
        assert_int_equal(dynamic_user_lookup_nss(4294967000U, NULL), 0);

        setgrent();
        for (unsigned i = 0; i < 10000 && (g = getgrent()); i++)
                if (g->gr_gid != 0 && !getpwuid(g->gr_gid)) {
                        group_only = g->gr_gid;
                        break;
                }
        endgrent();
        if (group_only == 0)
                skip();
        check(dynamic_user_lookup_nss(group_only, NULL) == 1, "gid %u has a group entry, but was reported free",
              group_only);
}

static void assert_range(const char *s, int expect, uid_t lo, uid_t hi) {
        uid_t l = 1, h = 1;
        char *m = NULL;
        int r;

        r = dynamic_user_range_parse(s, &l, &h, &m);
        check(r == expect, "\"%s\": %d (%s), expected %d", s, r, m ?: "no message", expect);
        if (r == 0)
                check(l == lo && h == hi && !m, "\"%s\" gave %u-%u", s, l, h);
        else
                check(m && strstr(m, s) && l == 1 && h == 1, "\"%s\": no message naming it, or outputs written", s);
        free(m);
}

static void test_range_parse(void **state) {
        assert_range(DYNAMIC_USER_RANGE_DEFAULT, 0, DYNAMIC_USER_RANGE_MIN_DEFAULT, DYNAMIC_USER_RANGE_MAX_DEFAULT);
        assert_range("1000-1000", 0, 1000, 1000);
        assert_range("4294901759-4294967294", 0, 4294901759U, 4294967294U);   /* 65536 uids */
        assert_range("4294901758-4294967294", -EINVAL, 0, 0);                 /* 65537 */
        assert_range("500-2000", -ERANGE, 0, 0);
        assert_range("1-10", -ERANGE, 0, 0);
        assert_range("0-10", -EINVAL, 0, 0);
        assert_range("2000-1000", -EINVAL, 0, 0);
        assert_range("4294967290-4294967295", -EINVAL, 0, 0);
        assert_range("61184", -EINVAL, 0, 0);
        assert_range("61184-", -EINVAL, 0, 0);
        assert_range("-65519", -EINVAL, 0, 0);
        assert_range("61184-65519-1", -EINVAL, 0, 0);
        assert_range(" 61184-65519", -EINVAL, 0, 0);
        assert_range("61184 - 65519", -EINVAL, 0, 0);
        assert_range("0x1000-0x2000", -EINVAL, 0, 0);
        assert_range("99999999999999999999-1", -EINVAL, 0, 0);
        assert_range("", -EINVAL, 0, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_uid_for_same_name),
                cmocka_unit_test(test_stable_in_any_order),
                cmocka_unit_test(test_distinct_and_exhausted),
                cmocka_unit_test(test_skips_user_database),
                cmocka_unit_test(test_other_daemon_locks),
                cmocka_unit_test(test_remembered_reused_last),
                cmocka_unit_test(test_veto_state_directory_owner),
                cmocka_unit_test(test_adopt),
                cmocka_unit_test(test_adopt_fd),
                cmocka_unit_test(test_pool_new_errors),
                cmocka_unit_test(test_lookup_nss),
                cmocka_unit_test(test_range_parse),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
