/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The generated BPF: the fixed prologue (arch, x32, unknown numbers), 32-
 * versus 64-bit argument comparisons against a reference evaluator, long
 * jumps in big programs and the size limit. */
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <seccomp.h>

#include "bpf-interp.h"
#include "policy-internal.h"

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t) (e))

static Policy *load_ok(const char *text) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];
        int r;

        r = policy_load_string(text, "test.policy", NULL, &p, &d);
        if (r < 0) {
                diag_format(&d, buf, sizeof(buf));
                fail_msg("expected the policy to load, got %s: %s", strerror(-r), buf);
        }
        return p;
}

static uint32_t run_data(const Policy *p, const struct seccomp_data *data) {
        uint32_t ret = 0;
        int r = bpf_run(policy_filter(p), data, &ret);

        if (r < 0)
                fail_msg("the generated program is invalid (bad jump or load) for nr %d", data->nr);
        return ret;
}

static uint32_t run(const Policy *p, int nr, const uint64_t args[6]) {
        struct seccomp_data data = { .nr = nr, .arch = seccomp_arch_native() };

        if (args)
                memcpy(data.args, args, sizeof(data.args));
        return run_data(p, &data);
}

/* Numbers above the table that the kernel answers ENOSYS get ENOSYS from
 * the filter whatever the default; on x86-64 only real x32 numbers
 * (0x40000000 + n, n below 1024) kill, since the kernel would run those. */
static void check_bogus_numbers(const Policy *p) {
        static const uint32_t enosys[] = {
                0xffffffffU, 0xfffffffeU, 0x80000000U, 0x7fffffffU, 0xc0000000U, 0xc0000001U,
                0x40000400U, 0x40000000U + 100000U, 0x4fffffffU,
        };

        for (size_t i = 0; i < ELEMENTSOF(enosys); i++)
                if (run(p, (int) enosys[i], NULL) != RET_ERRNO(ENOSYS))
                        fail_msg("syscall number 0x%x should answer ENOSYS", enosys[i]);
#if defined(__x86_64__)
        static const uint32_t x32[] = { 0x40000000U, 0x40000000U + 1, 0x40000000U + 39, 0x40000000U + 59,
                                        0x40000000U + 520, 0x40000000U + 1023 };

        for (size_t i = 0; i < ELEMENTSOF(x32); i++)
                if (run(p, (int) x32[i], NULL) != SECCOMP_RET_KILL_PROCESS)
                        fail_msg("x32 syscall number 0x%x should kill", x32[i]);
#else
        assert_int_equal(run(p, 0x40000000 + 59, NULL), RET_ERRNO(ENOSYS));
#endif
}

static void test_ref(void **state) {
        Policy *p = load_ok("default allow\n");
        const struct sock_fprog *f = policy_filter(p);

        /* The loader's reference goes (a Reload); a holder's keeps it whole. */
        assert_ptr_equal(policy_ref(p), p);
        assert_null(policy_free(p));
        assert_ptr_equal(policy_filter(p), f);
        assert_int_equal(run(p, 0, NULL), SECCOMP_RET_ALLOW);
        assert_null(policy_unref(p));
        assert_null(policy_ref(NULL));
        assert_null(policy_unref(NULL));
}

static void test_prologue(void **state) {
        _cleanup_(policy_freep) Policy *p = load_ok("default allow\n");
        const SyscallTable *t = syscall_table_get();
        struct seccomp_data data = { .nr = 0, .arch = AUDIT_ARCH_I386 };

        /* Another architecture's entry point (i386 on x86-64, arm on aarch64). */
        assert_int_equal(run_data(p, &data), SECCOMP_RET_KILL_PROCESS);
        data.arch = seccomp_arch_native() ^ 0x1;
        assert_int_equal(run_data(p, &data), SECCOMP_RET_KILL_PROCESS);

        /* Unknown numbers answer ENOSYS whatever the default, as the kernel
         * does: -1 (which libc and the kernel treat as "no syscall") and
         * every other negative or huge number among them. */
        assert_int_equal(run(p, 1000, NULL), RET_ERRNO(ENOSYS));
        assert_int_equal(run(p, t->max_nr + 1, NULL), RET_ERRNO(ENOSYS));
        assert_int_equal(run(p, 0x3fffffff, NULL), RET_ERRNO(ENOSYS));
        check_bogus_numbers(p);
        assert_int_equal(run(p, t->max_nr, NULL), RET_ALLOW);
        for (int nr = 0; nr <= t->max_nr; nr++)
                if (!t->names[nr])
                        assert_int_equal(run(p, nr, NULL), RET_ERRNO(ENOSYS));
                else
                        assert_int_equal(run(p, nr, NULL), RET_ALLOW);

        _cleanup_(policy_freep) Policy *k = load_ok("default kill\n");
        assert_int_equal(run(k, 1000, NULL), RET_ERRNO(ENOSYS));
        assert_int_equal(run(k, 0, NULL), SECCOMP_RET_KILL_PROCESS);
        check_bogus_numbers(k);
}

static void test_ioctl_32bit(void **state) {
        _cleanup_(policy_freep) Policy *p = load_ok("default allow\ndeny ioctl if arg1 == TIOCSTI\n");
        uint64_t args[6] = { 0, 0x5412 };
        int nr = syscall_resolve("ioctl");

        assert_int_equal(run(p, nr, args), RET_ERRNO(EPERM));
        /* The kernel takes the request as unsigned int: upper bits must not help. */
        args[1] = 0x5412 | (1ULL << 32);
        assert_int_equal(run(p, nr, args), RET_ERRNO(EPERM));
        args[1] = 0xffffffff00005412ULL;
        assert_int_equal(run(p, nr, args), RET_ERRNO(EPERM));
        args[1] = 0x5413;
        assert_int_equal(run(p, nr, args), RET_ALLOW);
}

static bool reference(PolicyOp op, uint64_t a, uint64_t b) {
        switch (op) {
        case POLICY_OP_EQ: return a == b;
        case POLICY_OP_NE: return a != b;
        case POLICY_OP_LT: return a < b;
        case POLICY_OP_LE: return a <= b;
        case POLICY_OP_GT: return a > b;
        case POLICY_OP_GE: return a >= b;
        default: abort();
        }
}

static uint64_t next_random(uint64_t *s) {
        /* xorshift64: reproducible, so a failure names a case that reruns. */
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

/* Values that sit on the boundaries between the halves. */
static uint64_t interesting(uint64_t *s, uint64_t near) {
        switch (next_random(s) % 6) {
        case 0: return near;
        case 1: return near + 1;
        case 2: return near - 1;
        case 3: return near ^ (1ULL << 32);
        case 4: return near & 0xffffffffULL;
        default: return next_random(s);
        }
}

/* width: how many low bits of the argument the kernel uses (16, 32, 64). */
static void check_ops(const char *syscall, unsigned arg, unsigned width) {
        uint64_t keep = width == 64 ? UINT64_MAX : (1ULL << width) - 1;
        uint64_t seed = 0x9e3779b97f4a7c15ULL;
        int nr = syscall_resolve(syscall);

        assert_true(nr >= 0);
        for (PolicyOp op = 0; op < _POLICY_OP_MAX; op++)
                for (int masked = 0; masked <= 1; masked++)
                        for (int round = 0; round < 12; round++) {
                                uint64_t value = next_random(&seed), mask = next_random(&seed);
                                char text[256];

                                if (round % 3 == 0)
                                        value &= 0xffffffffULL;
                                if (round % 4 == 1)
                                        mask &= 0xffffffffULL;
                                value &= keep;
                                mask &= keep;
                                if (masked)
                                        value &= round % 2 ? mask : ~0ULL;
                                if (masked)
                                        snprintf(text, sizeof(text), "default allow\ndeny %s if arg%u & 0x%llx %s 0x%llx\n",
                                                 syscall, arg, (unsigned long long) mask, policy_op_to_string(op),
                                                 (unsigned long long) value);
                                else
                                        snprintf(text, sizeof(text), "default allow\ndeny %s if arg%u %s 0x%llx\n",
                                                 syscall, arg, policy_op_to_string(op), (unsigned long long) value);
                                _cleanup_(policy_freep) Policy *p = load_ok(text);

                                for (int probe = 0; probe < 64; probe++) {
                                        uint64_t args[6] = {}, a = interesting(&seed, value), seen;
                                        bool deny;

                                        args[arg] = a;
                                        seen = a & keep;
                                        if (masked)
                                                seen &= mask;
                                        deny = reference(op, seen, value);
                                        if (run(p, nr, args) != (deny ? RET_ERRNO(EPERM) : RET_ALLOW))
                                                fail_msg("%s with arg%u = 0x%llx: expected %s\npolicy:\n%s", syscall, arg,
                                                         (unsigned long long) a, deny ? "deny" : "allow", text);
                                }
                        }
}

static void test_ops_64bit(void **state) {
        check_ops("mmap", 1, 64);               /* length: size_t */
        check_ops("unshare", 0, 64);            /* flags: upper bits are EINVAL in the kernel */
        check_ops("mremap", 3, 64);             /* flags: likewise */
}

static void test_ops_32bit(void **state) {
        check_ops("ioctl", 1, 32);
        check_ops("socket", 0, 32);
        check_ops("personality", 0, 32);
        check_ops("clone", 0, 32);              /* unsigned long, but the kernel takes lower_32_bits() */
        check_ops("mmap", 2, 32);               /* prot */
        check_ops("mmap", 3, 32);               /* flags */
        check_ops("mprotect", 2, 32);           /* prot */
}

static void test_ops_16bit(void **state) {
        check_ops("chmod", 1, 16);              /* umode_t */
        check_ops("openat", 3, 16);
}

/* A rule without a mask on a narrow argument holds however the bits the
 * kernel drops are set. */
static void test_high_bits(void **state) {
        static const struct {
                const char *rule;
                const char *syscall;
                unsigned arg;
                uint64_t value;
        } cases[] = {
                { "deny clone if arg0 == 0x10000000", "clone", 0, 0x10000000 },        /* CLONE_NEWUSER */
                { "deny clone if arg0 & CLONE_NEWUSER != 0", "clone", 0, 0x10000000 },
                { "deny mmap if arg2 == 7", "mmap", 2, 7 },
                { "deny mmap if arg3 == 0x22", "mmap", 3, 0x22 },
                { "deny mprotect if arg2 == 4", "mprotect", 2, 4 },
                { "deny socket if arg0 == AF_VSOCK", "socket", 0, 40 },
                { "deny socketpair if arg0 == AF_VSOCK", "socketpair", 0, 40 },
                { "deny ioctl if arg1 == TIOCSETD", "ioctl", 1, 0x5423 },
                { "deny personality if arg0 == ADDR_NO_RANDOMIZE", "personality", 0, 0x0040000 },
                { "deny prctl if arg0 == PR_SET_DUMPABLE", "prctl", 0, 4 },
                { "deny kill if arg1 == 9", "kill", 1, 9 },
                { "deny setuid if arg0 == 0", "setuid", 0, 0 },
                { "deny chmod if arg1 == 04755", "chmod", 1, 04755 },
                { "deny fchmodat if arg2 & 04000 != 0", "fchmodat", 2, 04755 },
                { "deny openat if arg2 == 0x241", "openat", 2, 0x241 },
                { "deny mount if arg3 == 0x1000", "mount", 3, 0x1000 },
                { "deny ptrace if arg1 == 1", "ptrace", 1, 1 },
                { "deny readv if arg0 == 3", "readv", 0, 3 },
                { "deny getrandom if arg2 == 2", "getrandom", 2, 2 },                  /* GRND_RANDOM */
                { "deny getrandom if arg2 & 4 != 0", "getrandom", 2, 4 },              /* GRND_INSECURE */
                { "deny mbind if arg2 == 3", "mbind", 2, 3 },                          /* MPOL_INTERLEAVE */
                { "deny socket if arg2 == 9", "socket", 2, 9 },                        /* NETLINK_AUDIT */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char text[256];
                int nr = syscall_resolve(cases[i].syscall);
                const SyscallTable *t = syscall_table_get();
                bool narrow16 = t->arg16[nr] & (1U << cases[i].arg);
                uint64_t dropped[] = { 1ULL << 32, 0xffffffffULL << 32, 0x8000000000000000ULL,
                                       narrow16 ? 0xffff0000ULL : 0, narrow16 ? 0x10000ULL : 0 };

                assert_true(nr >= 0);
                snprintf(text, sizeof(text), "default allow\n%s\n", cases[i].rule);
                _cleanup_(policy_freep) Policy *p = load_ok(text);

                for (size_t j = 0; j < ELEMENTSOF(dropped); j++) {
                        uint64_t args[6] = {};

                        args[cases[i].arg] = cases[i].value | dropped[j];
                        if (run(p, nr, args) != RET_ERRNO(EPERM))
                                fail_msg("'%s' lets %s(arg%u = 0x%llx) through", cases[i].rule,
                                         cases[i].syscall, cases[i].arg, (unsigned long long) args[cases[i].arg]);
                }
        }
}

/* The table names syscalls libseccomp knows, each once, and says nothing
 * but 'i', 'm' and '.' for at most six arguments. Syscalls newer than
 * libseccomp 2.5 are listed so that their widths apply once the build's
 * libseccomp knows them; only those may be unknown here. */
static void test_width_table(void **state) {
        static const char *const newer[] = {
                "setxattrat", "getxattrat", "listxattrat", "removexattrat", "file_getattr",
                "file_setattr", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
                "open_tree_attr", "statmount", "listmount",
        };
        const char *name, *args;
        size_t n = 0;

        for (size_t i = 0; (args = syscall_arg_widths(i, &name)); i++, n++) {
                const char *other;
                bool is_newer = false;

                for (size_t j = 0; j < ELEMENTSOF(newer); j++)
                        is_newer = is_newer || strcmp(newer[j], name) == 0;
                if (!is_newer && seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name) < 0 &&
                    seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64, name) < 0)
                        fail_msg("argument width table: '%s' is a syscall on neither x86-64 nor aarch64", name);
                if (strlen(args) > 6 || strspn(args, "im.") != strlen(args))
                        fail_msg("argument width table: bad entry '%s' for %s", args, name);
                for (size_t j = 0; j < i; j++)
                        if (syscall_arg_widths(j, &other) && strcmp(other, name) == 0)
                                fail_msg("argument width table: %s listed twice", name);
        }
        assert_true(n > 200);
}

/* Every argument the first width table (commit b9c6b9f) compared on its low
 * 32 bits still is (or on 16): narrowing an argument must never be lost
 * again when the table is rewritten. Bit N of `args` is argN. */
static void test_width_table_regressions(void **state) {
        static const struct {
                const char *name;
                uint8_t args;
        } old_table[] = {
                { "ioctl", 0x03 }, { "fcntl", 0x03 }, { "socket", 0x07 }, { "socketpair", 0x07 },
                { "setsockopt", 0x17 }, { "getsockopt", 0x07 }, { "bind", 0x05 },
                { "connect", 0x05 }, { "listen", 0x03 }, { "accept4", 0x09 }, { "sendto", 0x29 },
                { "recvfrom", 0x09 }, { "sendmsg", 0x05 }, { "recvmsg", 0x05 },
                { "shutdown", 0x03 }, { "personality", 0x01 }, { "prctl", 0x01 },
                { "arch_prctl", 0x01 }, { "setns", 0x03 }, { "kill", 0x03 }, { "tkill", 0x03 },
                { "tgkill", 0x07 }, { "rt_sigqueueinfo", 0x03 }, { "pidfd_send_signal", 0x0b },
                { "pidfd_open", 0x03 }, { "madvise", 0x04 }, { "mlock2", 0x04 },
                { "mlockall", 0x01 }, { "open", 0x06 }, { "openat", 0x0d }, { "creat", 0x02 },
                { "umount2", 0x02 }, { "reboot", 0x07 }, { "bpf", 0x05 }, { "seccomp", 0x03 },
                { "keyctl", 0x01 }, { "setuid", 0x01 }, { "setgid", 0x01 }, { "setfsuid", 0x01 },
                { "setfsgid", 0x01 }, { "setreuid", 0x03 }, { "setregid", 0x03 },
                { "setresuid", 0x07 }, { "setresgid", 0x07 }, { "chmod", 0x02 }, { "fchmod", 0x03 },
                { "fchmodat", 0x05 }, { "chown", 0x06 }, { "lchown", 0x06 }, { "fchown", 0x07 },
                { "fchownat", 0x1d }, { "dup2", 0x03 }, { "dup3", 0x07 }, { "close", 0x01 },
                { "setpriority", 0x07 }, { "getpriority", 0x03 }, { "sched_setscheduler", 0x03 },
                { "ioprio_set", 0x07 }, { "memfd_create", 0x02 }, { "pipe2", 0x02 },
                { "eventfd2", 0x03 }, { "epoll_create1", 0x01 }, { "inotify_init1", 0x01 },
                { "timerfd_create", 0x03 }, { "getrandom", 0x04 }, { "perf_event_open", 0x0e },
                { "process_vm_readv", 0x01 }, { "process_vm_writev", 0x01 }, { "kcmp", 0x07 },
                { "finit_module", 0x05 }, { "userfaultfd", 0x01 }, { "wait4", 0x05 },
                { "waitid", 0x0b }, { "execveat", 0x11 }, { "flock", 0x03 }, { "lseek", 0x05 },
                { "umask", 0x01 }, { "setpgid", 0x03 }, { "quotactl", 0x05 }, { "syslog", 0x05 },
                { "swapon", 0x02 }, { "io_uring_setup", 0x01 }, { "io_uring_enter", 0x0f },
                { "open_tree", 0x05 }, { "fsopen", 0x02 }, { "fsmount", 0x07 },
        };
        const SyscallTable *t = syscall_table_get();

        for (size_t i = 0; i < ELEMENTSOF(old_table); i++) {
                int nr = syscall_resolve(old_table[i].name);
                uint8_t lost;

                if (nr == -EPROTONOSUPPORT)
                        continue;       /* not on this architecture */
                if (nr < 0)
                        fail_msg("%s: no longer a known syscall", old_table[i].name);
                lost = old_table[i].args & (uint8_t) ~t->arg32[nr];
                if (lost != 0)
                        fail_msg("%s: arguments 0x%02x are no longer compared on 32 bits", old_table[i].name,
                                 lost);
        }

        /* Added since: the kernel takes these as int or unsigned int. */
        assert_true(t->arg32[syscall_resolve("getrandom")] & (1U << 2));       /* flags */
        assert_true(t->arg32[syscall_resolve("mbind")] & (1U << 2));           /* int lmode = mode */
}

/* Conditional rules on every syscall make a program of thousands of
 * instructions: search jumps then span more than 255 instructions. */
static void test_long_jumps(void **state) {
        const SyscallTable *t = syscall_table_get();
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        _cleanup_(policy_freep) Policy *p = NULL;

        assert_non_null(f);
        fprintf(f, "default errno EACCES\n");
        for (int nr = 0; nr <= t->max_nr; nr++)
                if (t->names[nr])
                        fprintf(f, "allow %s if arg0 == %d\n", t->names[nr], nr);
        fclose(f);
        p = load_ok(text);
        free(text);

        assert_true(policy_filter(p)->len > 1000);
        for (int nr = 0; nr <= t->max_nr; nr++) {
                uint64_t args[6] = { (uint64_t) nr };

                if (!t->names[nr])
                        continue;
                assert_int_equal(run(p, nr, args), RET_ALLOW);
                args[0] = (uint64_t) nr + 1;
                assert_int_equal(run(p, nr, args), RET_ERRNO(EACCES));
                args[0] = (uint64_t) nr | (1ULL << 40);
                assert_int_equal(run(p, nr, args), (t->arg32[nr] & 1) ? RET_ALLOW : RET_ERRNO(EACCES));
        }
}

static void test_too_big(void **state) {
        const SyscallTable *t = syscall_table_get();
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[512];

        assert_non_null(f);
        fprintf(f, "default allow\n");
        for (int nr = 0; nr <= t->max_nr; nr++)
                if (t->names[nr] && t->arg32[nr] == 0)
                        for (int i = 0; i < 4; i++)
                                fprintf(f, "deny %s if arg5 > 0x%x00000000 and arg4 < 0x%x00000000\n",
                                        t->names[nr], i + 1, i + 2);
        fclose(f);
        assert_int_equal(policy_load_string(text, "big.policy", NULL, &p, &d), -E2BIG);
        free(text);
        diag_format(&d, buf, sizeof(buf));
        assert_string_equal(buf, "big.policy: the compiled filter is larger than 4096 instructions");
}

static void test_small_program(void **state) {
        /* A typical allow list compiles to a compact search, not one
         * comparison per syscall. */
        _cleanup_(policy_freep) Policy *p = load_ok(
                "default errno EPERM\n"
                "allow @basic-io @file-system @io-event @memory @process @signal @timer\n");

        assert_true(policy_filter(p)->len < 400);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prologue),
                cmocka_unit_test(test_ioctl_32bit),
                cmocka_unit_test(test_ops_64bit),
                cmocka_unit_test(test_ops_32bit),
                cmocka_unit_test(test_ops_16bit),
                cmocka_unit_test(test_high_bits),
                cmocka_unit_test(test_width_table),
                cmocka_unit_test(test_width_table_regressions),
                cmocka_unit_test(test_long_jumps),
                cmocka_unit_test(test_too_big),
                cmocka_unit_test(test_small_program),
                cmocka_unit_test(test_ref),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
