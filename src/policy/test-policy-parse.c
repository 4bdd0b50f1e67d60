/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy language: every construct, every error message with its
 * file:line:col, includes, groups and the dump. Behaviour is checked by
 * running the compiled filter in the test BPF interpreter. */
#include <fcntl.h>
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include "bpf-interp.h"
#include "policy-internal.h"

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_KILL SECCOMP_RET_KILL_PROCESS
#define RET_LOG SECCOMP_RET_LOG
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t) (e))

static Policy *load_ok(const char *text) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = policy_load_string(text, "test.policy", NULL, &p, &d);
        if (r < 0) {
                diag_format(&d, buf, sizeof(buf));
                fail_msg("expected this policy to load, got %s: %s\n--\n%s", strerror(-r), buf, text);
        }
        return p;
}

/* The whole formatted diagnostic must match: file:line:col: message. */
static void load_fails(const char *text, int error, const char *expected) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = policy_load_string(text, "test.policy", NULL, &p, &d);
        if (r >= 0) {
                policy_free(p);
                fail_msg("expected an error for:\n%s", text);
        }
        diag_format(&d, buf, sizeof(buf));
        if (r != error || strcmp(buf, expected) != 0)
                fail_msg("for:\n%s\nexpected %s: \"%s\"\n     got %s: \"%s\"", text, strerror(-error), expected,
                         strerror(-r), buf);
}

static uint32_t run(const Policy *p, int nr, uint64_t a0, uint64_t a1, uint64_t a2) {
        struct seccomp_data data = {
                .nr = nr,
                .arch = seccomp_arch_native(),
                .args = { a0, a1, a2 },
        };
        uint32_t ret = 0;

        assert_int_equal(bpf_run(policy_filter(p), &data, &ret), 0);
        return ret;
}

static int nr_of(const char *name) {
        int nr = syscall_resolve(name);
        if (nr < 0)
                fail_msg("syscall %s is not native here", name);
        return nr;
}

static void expect(const Policy *p, const char *syscall, uint64_t a0, uint64_t a1, uint64_t a2, uint32_t want) {
        uint32_t got = run(p, nr_of(syscall), a0, a1, a2);
        char g[64], w[64];

        if (got == want)
                return;
        policy_action_format(got, g, sizeof(g));
        policy_action_format(want, w, sizeof(w));
        fail_msg("%s(0x%llx, 0x%llx, 0x%llx): expected %s, got %s", syscall, (unsigned long long) a0,
                 (unsigned long long) a1, (unsigned long long) a2, w, g);
}

static void test_default_actions(void **state) {
        static const struct {
                const char *text;
                uint32_t action;
        } cases[] = {
                { "default allow", RET_ALLOW },
                { "default kill", RET_KILL },
                { "default log", RET_LOG },
                { "default errno EPERM", RET_ERRNO(EPERM) },
                { "default errno EACCES # trailing comment", RET_ERRNO(EACCES) },
                { "default errno 38", RET_ERRNO(38) },
                { "\t  default   errno\tENOENT  ", RET_ERRNO(ENOENT) },
                { "# no default at all kills", RET_KILL },
                { "default allow\ndefault log\n", RET_LOG },        /* the last one wins */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) Policy *p = load_ok(cases[i].text);
                expect(p, "getpid", 0, 0, 0, cases[i].action);
        }
}

static void test_allow_deny(void **state) {
        _cleanup_(policy_freep) Policy *p = load_ok(
                "# comment line\n"
                "\n"
                "default kill\n"
                "allow read write\n"
                "deny getpid\n"
                "deny getppid action kill\n"
                "deny gettid log\n"
                "deny uname errno EACCES\n"
                "deny sysinfo errno 99\n"
                "deny kill\n"                   /* the syscall kill (a deny needs a name), EPERM */
                "deny tkill action kill\n"      /* explicitly the action */
                "deny io_uring_setup kill\n"    /* SPEC's own line: last word after a name is the action */
                "deny tgkill getsid errno EACCES\n"
                "deny rt_sigqueueinfo kill errno EACCES\n"     /* the syscall: not last */
                "deny getpgid action errno ENOENT\n");

        expect(p, "read", 0, 0, 0, RET_ALLOW);
        expect(p, "write", 0, 0, 0, RET_ALLOW);
        expect(p, "getpid", 0, 0, 0, RET_ERRNO(EPERM));
        expect(p, "getppid", 0, 0, 0, RET_KILL);
        expect(p, "gettid", 0, 0, 0, RET_LOG);
        expect(p, "uname", 0, 0, 0, RET_ERRNO(EACCES));
        expect(p, "sysinfo", 0, 0, 0, RET_ERRNO(99));
        expect(p, "kill", 0, 0, 0, RET_ERRNO(EACCES));
        expect(p, "tkill", 0, 0, 0, RET_KILL);
        expect(p, "io_uring_setup", 0, 0, 0, RET_KILL);
        expect(p, "tgkill", 0, 0, 0, RET_ERRNO(EACCES));
        expect(p, "rt_sigqueueinfo", 0, 0, 0, RET_ERRNO(EACCES));
        expect(p, "getpgid", 0, 0, 0, RET_ERRNO(ENOENT));

        _cleanup_(policy_freep) Policy *k = load_ok("default allow\ndeny kill\n");
        expect(k, "kill", 0, 0, 0, RET_ERRNO(EPERM));
        expect(k, "tkill", 0, 0, 0, RET_ALLOW);
        expect(p, "close", 0, 0, 0, RET_KILL);
}

static void test_override_order(void **state) {
        _cleanup_(policy_freep) Policy *p = load_ok(
                "default errno EPERM\n"
                "allow read\n"
                "deny read\n"                           /* later line wins */
                "deny write\n"
                "allow write\n"
                "allow @timer\n"
                "deny nanosleep errno EINTR\n"          /* overrides one member */
                "allow ioctl\n"
                "deny ioctl if arg1 == 5\n"             /* layered on top of the allow */
                "allow ioctl if arg1 == 5 and arg0 == 1\n"
                "deny ioctl action kill if arg1 == 6\n"
                "deny mmap if arg2 == 7\n"
                "allow mmap\n");                        /* unconditional: drops the condition */

        expect(p, "read", 0, 0, 0, RET_ERRNO(EPERM));
        expect(p, "write", 0, 0, 0, RET_ALLOW);
        expect(p, "nanosleep", 0, 0, 0, RET_ERRNO(EINTR));
        expect(p, "clock_gettime", 0, 0, 0, RET_ALLOW);
        expect(p, "ioctl", 0, 4, 0, RET_ALLOW);
        expect(p, "ioctl", 0, 5, 0, RET_ERRNO(EPERM));
        expect(p, "ioctl", 1, 5, 0, RET_ALLOW);
        expect(p, "ioctl", 1, 6, 0, RET_KILL);
        expect(p, "mmap", 0, 0, 7, RET_ALLOW);
}

static void test_conditions(void **state) {
        _cleanup_(policy_freep) Policy *p = load_ok(
                "default allow\n"
                "deny read if arg0 == 3\n"
                "deny write if arg0 != 1 and arg0 != 2\n"
                "deny pread64 if arg2 < 10\n"
                "deny pwrite64 if arg2 <= 10\n"
                "deny readv if arg2 > 10\n"
                "deny writev if arg2 >= 10\n"
                "deny clone if arg0 & CLONE_NEWUSER == CLONE_NEWUSER\n"
                "deny unshare if arg0 & CLONE_NEWNS|CLONE_NEWNET != 0\n"
                "deny socket if arg0==AF_PACKET\n"              /* no spaces needed */
                "deny lseek if arg1 == -1\n"
                "deny fcntl if arg1 == 0x406\n"
                "deny mprotect if arg2 & 0x4 == 0x4 and arg0 >= 0x1000 and arg1 < 010\n");

        expect(p, "read", 3, 0, 0, RET_ERRNO(EPERM));
        expect(p, "read", 4, 0, 0, RET_ALLOW);
        expect(p, "write", 1, 0, 0, RET_ALLOW);
        expect(p, "write", 2, 0, 0, RET_ALLOW);
        expect(p, "write", 3, 0, 0, RET_ERRNO(EPERM));
        expect(p, "pread64", 0, 0, 9, RET_ERRNO(EPERM));
        expect(p, "pread64", 0, 0, 10, RET_ALLOW);
        expect(p, "pwrite64", 0, 0, 10, RET_ERRNO(EPERM));
        expect(p, "pwrite64", 0, 0, 11, RET_ALLOW);
        expect(p, "readv", 0, 0, 10, RET_ALLOW);
        expect(p, "readv", 0, 0, 11, RET_ERRNO(EPERM));
        expect(p, "writev", 0, 0, 9, RET_ALLOW);
        expect(p, "writev", 0, 0, 10, RET_ERRNO(EPERM));
        expect(p, "clone", 0x10000000 | 0x11, 0, 0, RET_ERRNO(EPERM));
        expect(p, "clone", 0x11, 0, 0, RET_ALLOW);
        expect(p, "unshare", 0x40000000, 0, 0, RET_ERRNO(EPERM));
        expect(p, "unshare", 0x20000, 0, 0, RET_ERRNO(EPERM));
        expect(p, "unshare", 0x400, 0, 0, RET_ALLOW);
        expect(p, "socket", 17, 0, 0, RET_ERRNO(EPERM));
        expect(p, "socket", 2, 0, 0, RET_ALLOW);
        expect(p, "lseek", 0, UINT64_MAX, 0, RET_ERRNO(EPERM));
        expect(p, "lseek", 0, UINT32_MAX, 0, RET_ALLOW);           /* lseek's offset is 64-bit */
        expect(p, "fcntl", 0, 0x406, 0, RET_ERRNO(EPERM));
        expect(p, "mprotect", 0x1000, 7, 0x5, RET_ERRNO(EPERM));
        expect(p, "mprotect", 0x1000, 8, 0x5, RET_ALLOW);
        expect(p, "mprotect", 0xfff, 7, 0x5, RET_ALLOW);
        expect(p, "mprotect", 0x1000, 7, 0x3, RET_ALLOW);
}

static void test_constants(void **state) {
        static const struct {
                const char *name;
                uint64_t value;
        } cases[] = {
                { "TIOCSTI", 0x5412 },
                { "TIOCLINUX", 0x541C },
                { "CLONE_NEWUSER", 0x10000000 },
                { "CLONE_NEWNS", 0x20000 },
                { "CLONE_NEWTIME", 0x80 },
                { "CLONE_THREAD", 0x10000 },
                { "AF_UNIX", 1 },
                { "AF_INET6", 10 },
                { "AF_NETLINK", 16 },
                { "PER_LINUX", 0 },
                { "ADDR_NO_RANDOMIZE", 0x0040000 },
                { "READ_IMPLIES_EXEC", 0x0400000 },
        };
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(policy_constant_lookup(cases[i].name, &v), 0);
                if (v != cases[i].value)
                        fail_msg("constant %s: expected 0x%llx, got 0x%llx", cases[i].name,
                                 (unsigned long long) cases[i].value, (unsigned long long) v);
        }
        assert_int_equal(policy_constant_lookup("CLONE_NOPE", &v), -ENOENT);
        assert_int_equal(policy_errno_from_name("EPERM"), EPERM);
        assert_int_equal(policy_errno_from_name("ENOSYS"), ENOSYS);
        assert_int_equal(policy_errno_from_name("EFOO"), 0);
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                int error;
                const char *diag;
        } cases[] = {
                { "frobnicate read", -EINVAL,
                  "test.policy:1:1: expected 'default', 'allow', 'deny' or 'include', got 'frobnicate'" },
                { "== read", -EINVAL,
                  "test.policy:1:1: expected 'default', 'allow', 'deny' or 'include', got '=='" },
                { "default", -EINVAL,
                  "test.policy:1:8: expected an action (allow, kill, log or errno NAME) after 'default', got end of line" },
                { "default deny", -EINVAL,
                  "test.policy:1:9: expected an action (allow, kill, log or errno NAME) after 'default', got 'deny'" },
                { "default errno", -EINVAL,
                  "test.policy:1:14: expected an errno name or number after 'errno', got end of line" },
                { "default errno EFOO", -EINVAL,
                  "test.policy:1:15: unknown errno 'EFOO' (expected a name like EPERM or a number)" },
                { "default errno 0", -EINVAL,
                  "test.policy:1:15: errno value 0 is not a number from 1 to 4095" },
                { "default errno 4096", -EINVAL,
                  "test.policy:1:15: errno value 4096 is not a number from 1 to 4095" },
                { "default kill now", -EINVAL,
                  "test.policy:1:14: expected end of line after the action, got 'now'" },
                { "\n\nallow", -EINVAL,
                  "test.policy:3:6: expected a syscall or @group name after 'allow', got end of line" },
                { "allow if arg0 == 1", -EINVAL,
                  "test.policy:1:7: expected a syscall or @group name after 'allow', got 'if'" },
                { "deny", -EINVAL,
                  "test.policy:1:5: expected a syscall or @group name after 'deny', got end of line" },
                { "deny errno EPERM", -EINVAL,
                  "test.policy:1:6: expected a syscall or @group name after 'deny', got 'errno'" },
                { "allow read frobnicate", -EINVAL,
                  "test.policy:1:12: unknown syscall 'frobnicate'" },
                { "allow @nonsense", -EINVAL,
                  "test.policy:1:7: unknown group '@nonsense' (see 'agentctl policy show @GROUP')" },
                { "allow read errno EPERM", -EINVAL,
                  "test.policy:1:12: 'allow' takes no action, got 'errno'" },
                { "deny read errno", -EINVAL,
                  "test.policy:1:16: expected an errno name or number after 'errno', got end of line" },
                { "deny read errno if arg0 == 1", -EINVAL,
                  "test.policy:1:17: expected an errno name or number after 'errno', got 'if'" },
                { "deny tkill action", -EINVAL,
                  "test.policy:1:18: expected an action (kill, log or errno NAME) after 'action', got end of line" },
                { "deny tkill action tgkill", -EINVAL,
                  "test.policy:1:19: expected an action (kill, log or errno NAME) after 'action', got 'tgkill'" },
                { "deny action kill", -EINVAL,
                  "test.policy:1:6: expected a syscall or @group name after 'deny', got 'action'" },
                { "allow tkill action kill", -EINVAL,
                  "test.policy:1:13: 'allow' takes no action, got 'action'" },
                { "deny read allow", -EINVAL,
                  "test.policy:1:11: 'deny' cannot take the action 'allow'; write an 'allow' line" },
                { "deny allow", -EINVAL,
                  "test.policy:1:6: the action of 'deny' goes after all names, got 'allow'" },
                { "allow read log", -EINVAL,
                  "test.policy:1:12: 'allow' takes no action, got 'log'" },
                { "allow read if", -EINVAL,
                  "test.policy:1:14: expected an argument 'arg0' to 'arg5', got end of line" },
                { "allow read if arg6 == 1", -EINVAL,
                  "test.policy:1:15: expected an argument 'arg0' to 'arg5', got 'arg6'" },
                { "allow read if arg0", -EINVAL,
                  "test.policy:1:19: expected a comparison operator (==, !=, <, <=, >, >=) or '&', got end of line" },
                { "allow read if arg0 = 1", -EINVAL,
                  "test.policy:1:20: unexpected '='; comparisons are written ==, !=, <, <=, >, >=" },
                { "allow read if arg0 ! 1", -EINVAL,
                  "test.policy:1:20: unexpected '!'; comparisons are written ==, !=, <, <=, >, >=" },
                { "allow read if arg0 is 1", -EINVAL,
                  "test.policy:1:20: expected a comparison operator (==, !=, <, <=, >, >=) or '&', got 'is'" },
                { "allow read if arg0 & 4", -EINVAL,
                  "test.policy:1:23: expected a comparison operator (==, !=, <, <=, >, >=) after the mask, got end of line" },
                { "allow read if arg0 &", -EINVAL,
                  "test.policy:1:21: expected a value after '&', got end of line" },
                { "allow read if arg0 ==", -EINVAL,
                  "test.policy:1:22: expected a value after '==', got end of line" },
                { "allow read if arg0 == <", -EINVAL,
                  "test.policy:1:23: expected a value after '==', got '<'" },
                { "allow read if arg0 == 1|", -EINVAL,
                  "test.policy:1:25: expected a value after '|', got end of line" },
                { "allow read if arg0 == NOT_A_CONSTANT", -EINVAL,
                  "test.policy:1:23: unknown constant 'NOT_A_CONSTANT'" },
                { "allow read if arg0 == 12abc", -EINVAL,
                  "test.policy:1:23: invalid number '12abc'" },
                { "allow read if arg0 == 0x1ffffffffffffffff", -EINVAL,
                  "test.policy:1:23: number '0x1ffffffffffffffff' is out of range" },
                { "allow read if arg0 == -9223372036854775809", -EINVAL,
                  "test.policy:1:23: number '-9223372036854775809' is out of range" },
                { "allow read if arg0 == 1 or arg1 == 2", -EINVAL,
                  "test.policy:1:25: expected 'and' or end of line, got 'or'" },
                { "allow read if arg0 == 1 and", -EINVAL,
                  "test.policy:1:28: expected an argument 'arg0' to 'arg5', got end of line" },
                { "allow read if arg0 == 1 and arg0 == 1 and arg0 == 1 and arg0 == 1 and arg0 == 1 and arg0 == 1 "
                  "and arg0 == 1 and arg0 == 1 and arg0 == 1", -EINVAL,
                  "test.policy:1:127: too many conditions (at most 8 per rule)" },
                { "deny ioctl if arg1 == 0x100005412", -EINVAL,
                  "test.policy:1:23: value 0x100005412 does not fit in 32-bit argument arg1 of ioctl (named at column 6)" },
                { "deny ioctl if arg1 & 0x100000000 == 0", -EINVAL,
                  "test.policy:1:37: value 0x100000000 does not fit in 32-bit argument arg1 of ioctl (named at column 6)" },
                { "deny clone if arg0 == 0x100000000", -EINVAL,
                  "test.policy:1:23: value 0x100000000 does not fit in 32-bit argument arg0 of clone (named at column 6)" },
                { "deny chmod if arg1 == 0x10000", -EINVAL,
                  "test.policy:1:23: value 0x10000 does not fit in 16-bit argument arg1 of chmod (named at column 6)" },
                { "deny fchmodat if arg2 & -1 == 04000", -EINVAL,
                  "test.policy:1:31: value 0xffffffffffffffff does not fit in 16-bit argument arg2 of fchmodat (named at column 6)" },
                { "include", -EINVAL,
                  "test.policy:1:8: expected a policy name or path after 'include', got end of line" },
                { "include a b", -EINVAL,
                  "test.policy:1:11: expected end of line after the policy name, got 'b'" },
                { "include -bad", -EINVAL,
                  "test.policy:1:9: invalid policy name '-bad' (a name, or a path containing '/')" },
                { "include no-such-policy-here", -ENOENT,
                  "test.policy:1:9: policy 'no-such-policy-here' not found (looked in .)" },
                { "include /nonexistent/x.policy", -ENOENT,
                  "test.policy:1:9: cannot include '/nonexistent/x.policy': No such file or directory" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                load_fails(cases[i].text, cases[i].error, cases[i].diag);
}

static void test_not_native(void **state) {
        char want[256];

        /* A name that exists on another architecture only is an error when
         * written directly (groups skip such names). */
#if defined(__x86_64__)
        const char *name = "socketcall";
#else
        const char *name = "open";
#endif
        char text[64];

        snprintf(text, sizeof(text), "allow %s", name);
        snprintf(want, sizeof(want), "test.policy:1:7: syscall '%s' does not exist on %s", name,
                 syscall_native_arch_name());
        load_fails(text, -EINVAL, want);
}

static char tmpdir[] = "/tmp/test-policy-XXXXXX";

static void write_file(const char *name, const char *text) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static int setup_tmpdir(void **state) {
        char sub[256];

        if (!mkdtemp(tmpdir))
                return -1;
        snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
        if (mkdir(sub, 0755) < 0)
                return -1;
        write_file("inner.policy", "allow read\ndeny write action kill\n");
        write_file("outer.policy", "default errno EPERM\ninclude inner\ndeny read\n");
        write_file("rel.policy", "default allow\ninclude sub/leaf.policy\n");
        write_file("sub/leaf.policy", "# leaf\ndeny getpid\n");
        write_file("cycle-a.policy", "include cycle-b\n");
        write_file("cycle-b.policy", "allow read\ninclude cycle-a\n");
        write_file("self.policy", "include self\n");
        write_file("bad-inner.policy", "allow read\n\n   deny bogus_call\n");
        write_file("bad-outer.policy", "default kill\ninclude bad-inner\n");
        write_file("nul.policy", "allow read\n");
        return 0;
}

static int teardown_tmpdir(void **state) {
        static const char *const files[] = {
                "inner.policy", "outer.policy", "rel.policy", "sub/leaf.policy", "cycle-a.policy",
                "cycle-b.policy", "self.policy", "bad-inner.policy", "bad-outer.policy", "nul.policy",
        };
        char path[256];

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
                (void) unlink(path);
        }
        snprintf(path, sizeof(path), "%s/sub", tmpdir);
        (void) rmdir(path);
        (void) rmdir(tmpdir);
        return 0;
}

static void test_include(void **state) {
        char *search[] = { tmpdir, NULL };
        _cleanup_(policy_freep) Policy *p = NULL, *q = NULL, *s = NULL;
        Diagnostic d = {};
        char path[256];

        assert_int_equal(policy_load("outer", search, &p, &d), 0);
        assert_string_equal(policy_name(p), "outer");
        expect(p, "read", 0, 0, 0, RET_ERRNO(EPERM));   /* the including file's later line wins */
        expect(p, "write", 0, 0, 0, RET_KILL);          /* from the included file */
        expect(p, "getpid", 0, 0, 0, RET_ERRNO(EPERM));

        /* A path with '/' is relative to the including file's directory. */
        snprintf(path, sizeof(path), "%s/rel.policy", tmpdir);
        assert_int_equal(policy_load(path, NULL, &q, &d), 0);
        assert_string_equal(policy_name(q), path);
        expect(q, "getpid", 0, 0, 0, RET_ERRNO(EPERM));
        expect(q, "read", 0, 0, 0, RET_ALLOW);

        /* From a string, names are found along the search path. */
        assert_int_equal(policy_load_string("default kill\ninclude inner\n", "mem.policy", search, &s, &d), 0);
        expect(s, "read", 0, 0, 0, RET_ALLOW);
}

static void expect_load_error(const char *name, int error, const char *want) {
        char *search[] = { tmpdir, NULL };
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = policy_load(name, search, &p, &d);
        diag_format(&d, buf, sizeof(buf));
        if (r != error || strcmp(buf, want) != 0)
                fail_msg("loading %s: expected %s \"%s\", got %s \"%s\"", name, strerror(-error), want,
                         strerror(-r), buf);
}

static void test_include_errors(void **state) {
        char want[512];

        /* Cycles are -ELOOP, reported where the cycle closes. */
        snprintf(want, sizeof(want),
                 "%s/cycle-b.policy:2:9: include cycle: '%s/cycle-a.policy' is already being read", tmpdir, tmpdir);
        expect_load_error("cycle-a", -ELOOP, want);
        snprintf(want, sizeof(want), "%s/self.policy:1:9: include cycle: '%s/self.policy' is already being read",
                 tmpdir, tmpdir);
        expect_load_error("self", -ELOOP, want);

        /* An error inside an included file names that file and line. */
        snprintf(want, sizeof(want), "%s/bad-inner.policy:3:9: unknown syscall 'bogus_call'", tmpdir);
        expect_load_error("bad-outer", -EINVAL, want);

        snprintf(want, sizeof(want), "missing: policy 'missing' not found (looked in %s)", tmpdir);
        expect_load_error("missing", -ENOENT, want);
        expect_load_error("./no-such.policy", -ENOENT, "./no-such.policy: cannot read policy: No such file or directory");
        expect_load_error("-x", -EINVAL, "-x: invalid policy name (a name, or a path containing '/')");
}

static void test_nul_byte(void **state) {
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/nul.policy", tmpdir);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "allow read\0\n", 12), 12);
        close(fd);

        char want[512];
        snprintf(want, sizeof(want), "%s: the file contains a NUL byte", path);
        expect_load_error("nul", -EINVAL, want);
}

static void test_dump(void **state) {
        _cleanup_(policy_freep) Policy *p = load_ok(
                "default errno EPERM\n"
                "allow write read\n"
                "deny ptrace action kill\n"
                "allow ioctl\n"
                "deny ioctl if arg1 == TIOCSTI\n"
                "deny ioctl errno EACCES if arg1 & 0xff00 == 0x5400 and arg0 > 2\n"
                "deny personality\n"
                "allow personality if arg0 == PER_LINUX|ADDR_NO_RANDOMIZE\n");
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(policy_dump(p, f), 0);
        fclose(f);

        static const char *const want =
                "default: errno EPERM\n"
                "allow:\n"
                "        ioctl [0] otherwise\n"
                "        personality [1] if arg0 == PER_LINUX|ADDR_NO_RANDOMIZE\n"
                "        read\n"
                "        write\n"
                "errno EPERM:\n"
                "        ioctl [1] if arg1 == TIOCSTI\n"
                "        personality [0] otherwise\n"
                "errno EACCES:\n"
                "        ioctl [2] if arg1 & 0xff00 == 0x5400 and arg0 > 2\n"
                "kill:\n"
                "        ptrace\n";
        const char *body = strstr(buf, "default:");
        assert_non_null(body);
        if (strcmp(body, want) != 0)
                fail_msg("dump differs; got:\n%s\nexpected:\n%s", body, want);
        free(buf);
}

static void test_groups(void **state) {
        static const char *const required[] = {
                "@basic-io", "@file-system", "@io-event", "@ipc", "@network-io", "@process", "@signal",
                "@timer", "@privileged", "@mount", "@module", "@raw-io", "@reboot", "@swap", "@debug",
                "@obsolete", "@clock", "@cpu-emulation", "@keyring", "@aio", "@resources", "@sync",
                "@memlock",
        };
        const char * const *names = policy_group_names();

        for (size_t i = 0; i < ELEMENTSOF(required); i++) {
                bool found = false;
                for (size_t j = 0; names[j]; j++)
                        found = found || strcmp(names[j], required[i]) == 0;
                if (!found)
                        fail_msg("group %s is missing from policy_group_names()", required[i]);
        }

        /* Every member name must be a real syscall on x86-64 or aarch64 (a
         * typo would otherwise vanish silently), and every group resolves. */
        for (size_t j = 0; names[j]; j++) {
                const char *src = syscall_group_source(names[j]);
                const int *members;
                unsigned n;
                char word[64];

                assert_non_null(src);
                assert_int_equal(syscall_group_get(names[j], &members, &n), 0);
                while (*src) {
                        size_t len = strcspn(src, " ");
                        assert_true(len > 0 && len < sizeof(word));
                        memcpy(word, src, len);
                        word[len] = '\0';
                        if (word[0] == '@') {
                                if (!syscall_group_source(word))
                                        fail_msg("group %s names unknown group %s", names[j], word);
                        } else if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, word) < 0 &&
                                   seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64, word) < 0)
                                fail_msg("group %s: '%s' is a syscall on neither x86-64 nor aarch64", names[j], word);
                        src += len;
                        src += strspn(src, " ");
                }
        }
}

static bool group_has(const char *group, const char *syscall) {
        const int *members;
        unsigned n;
        int nr = syscall_resolve(syscall);

        assert_int_equal(syscall_group_get(group, &members, &n), 0);
        for (unsigned i = 0; i < n; i++)
                if (members[i] == nr)
                        return true;
        return false;
}

static void test_group_contents(void **state) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        /* Namespace syscalls stay out of @process (clone is filtered by flags). */
        assert_false(group_has("@process", "unshare"));
        assert_false(group_has("@process", "setns"));
        assert_true(group_has("@namespace", "unshare"));
        assert_true(group_has("@process", "clone"));
        assert_true(group_has("@process", "execve"));
        assert_true(group_has("@debug", "ptrace"));
        assert_true(group_has("@debug", "process_vm_readv"));
        assert_true(group_has("@privileged", "mount"));          /* via @mount */
        assert_true(group_has("@privileged", "setuid"));
        assert_true(group_has("@network-io", "connect"));
        assert_true(group_has("@basic-io", "read"));
#if defined(__x86_64__)
        assert_true(group_has("@file-system", "open"));          /* native on x86-64 only */
        assert_true(group_has("@cpu-emulation", "modify_ldt"));
#endif

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        assert_int_equal(policy_group_dump("@swap", f), 0);
        assert_int_equal(policy_group_dump("keyring", f), 0);    /* '@' is optional */
        fclose(f);
        assert_string_equal(buf, "swapoff\nswapon\nadd_key\nkeyctl\nrequest_key\n");
        free(buf);

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        assert_int_equal(policy_group_dump("@nope", f), -ENOENT);
        fclose(f);
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_actions),
                cmocka_unit_test(test_allow_deny),
                cmocka_unit_test(test_override_order),
                cmocka_unit_test(test_conditions),
                cmocka_unit_test(test_constants),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_not_native),
                cmocka_unit_test(test_include),
                cmocka_unit_test(test_include_errors),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_dump),
                cmocka_unit_test(test_groups),
                cmocka_unit_test(test_group_contents),
        };

        return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
