/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shipped policies (policies/ of the source tree): each loads, and the
 * resolved rule set is what its header comment promises, checked by running
 * the compiled filter for the syscalls and arguments that matter. */
#include <dirent.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "bpf-interp.h"
#include "policy-internal.h"

#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS
#define EPERM_ (SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_ (SECCOMP_RET_ERRNO | ENOSYS)
#define EAFNOSUPPORT_ (SECCOMP_RET_ERRNO | EAFNOSUPPORT)
#define EPROTONOSUPPORT_ (SECCOMP_RET_ERRNO | EPROTONOSUPPORT)

static char *search_path[] = { (char *) SOURCE_POLICYDIR, NULL };

static Policy *load(const char *name) {
        Policy *p = NULL;
        Diagnostic d = {};
        char buf[1024];
        int r = policy_load(name, search_path, &p, &d);

        if (r < 0) {
                diag_format(&d, buf, sizeof(buf));
                fail_msg("shipped policy %s does not load: %s", name, buf);
        }
        return p;
}

static void expect_nr3(const Policy *p, int nr, const char *what, uint64_t a0, uint64_t a1, uint64_t a2,
                       uint32_t want) {
        struct seccomp_data data = { .nr = nr, .arch = seccomp_arch_native(), .args = { a0, a1, a2 } };
        uint32_t got = 0;
        char g[64], w[64];

        assert_int_equal(bpf_run(policy_filter(p), &data, &got), 0);
        if (got == want)
                return;
        policy_action_format(got, g, sizeof(g));
        policy_action_format(want, w, sizeof(w));
        fail_msg("policy %s: %s(0x%llx, 0x%llx, 0x%llx) should be %s, is %s", policy_name(p), what,
                 (unsigned long long) a0, (unsigned long long) a1, (unsigned long long) a2, w, g);
}

static void expect_nr(const Policy *p, int nr, const char *what, uint64_t a0, uint64_t a1, uint32_t want) {
        expect_nr3(p, nr, what, a0, a1, 0, want);
}

static void expect3(const Policy *p, const char *syscall, uint64_t a0, uint64_t a1, uint64_t a2, uint32_t want) {
        int nr = syscall_resolve(syscall);

        if (nr == -EPROTONOSUPPORT)
                return;         /* not on this architecture */
        assert_true(nr >= 0);
        expect_nr3(p, nr, syscall, a0, a1, a2, want);
}

static void expect(const Policy *p, const char *syscall, uint64_t a0, uint64_t a1, uint32_t want) {
        expect3(p, syscall, a0, a1, 0, want);
}

/* Every native member of `group` gets `want` (arguments zero), except the
 * names in `except`, which the caller checks on their own. */
static void expect_group(const Policy *p, const char *group, uint32_t want, const char *const *except) {
        const SyscallTable *t = syscall_table_get();
        const int *members;
        unsigned n;

        assert_int_equal(syscall_group_get(group, &members, &n), 0);
        for (unsigned i = 0; i < n; i++) {
                bool skip = false;

                for (size_t j = 0; except && except[j]; j++)
                        skip = skip || strcmp(except[j], t->names[members[i]]) == 0;
                if (!skip)
                        expect_nr(p, members[i], t->names[members[i]], 0, 0, want);
        }
}

static const char *const base_exceptions[] = {
        "clone3", "personality", "unshare", NULL,
};

/* The default policy and those that include it report what they refuse
 * from @privileged (with the groups in it) and @debug: the notify filter
 * hands those to the daemon, which answers EPERM; nothing else is reported
 * (file I/O, a socket family refused with EAFNOSUPPORT, a refused ioctl). */
static void check_reports(const Policy *p) {
        static const char *const groups[] = { "@privileged", "@debug" };
        static const char *const quiet[] = { "read", "openat", "clone3", "io_uring_setup", "keyctl" };
        const SyscallTable *t = syscall_table_get();

        assert_true(policy_has_report(p));
        for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
                const int *members;
                unsigned n;

                assert_int_equal(syscall_group_get(groups[g], &members, &n), 0);
                for (unsigned i = 0; i < n; i++) {
                        struct seccomp_data d = { .nr = members[i], .arch = seccomp_arch_native() };
                        uint32_t got = 0;

                        assert_int_equal(bpf_run(policy_notify_filter(p), &d, &got), 0);
                        if (got != SECCOMP_RET_USER_NOTIF)
                                fail_msg("policy %s: %s is not reported", policy_name(p), t->names[members[i]]);
                        assert_int_equal(bpf_run(policy_enforce_filter(p), &d, &got), 0);
                        assert_int_equal(got, SECCOMP_RET_ALLOW);
                        assert_int_equal(policy_answer(p, &d, &got), 0);
                        assert_int_equal(got, EPERM_);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(quiet); i++) {
                struct seccomp_data d = { .nr = syscall_resolve(quiet[i]), .arch = seccomp_arch_native() };
                uint32_t got = 0;

                assert_int_equal(bpf_run(policy_notify_filter(p), &d, &got), 0);
                if (got != SECCOMP_RET_ALLOW)
                        fail_msg("policy %s: %s is reported", policy_name(p), quiet[i]);
        }
}

static void check_common_denies(const Policy *p) {
        static const char *const denied_groups[] = {
                "@privileged", "@mount", "@module", "@reboot", "@swap", "@raw-io", "@debug",
                "@keyring", "@cpu-emulation", "@obsolete", "@clock",
        };
        uint64_t newns[] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS,
                             CLONE_NEWIPC, CLONE_NEWCGROUP };

        for (size_t i = 0; i < ELEMENTSOF(denied_groups); i++)
                expect_group(p, denied_groups[i], EPERM_, NULL);
        expect(p, "bpf", 0, 0, EPERM_);
        expect(p, "userfaultfd", 0, 0, EPERM_);
        expect(p, "open_by_handle_at", 0, 0, EPERM_);
        expect(p, "io_uring_setup", 0, 0, EPERM_);
        expect(p, "io_uring_enter", 0, 0, EPERM_);
        expect(p, "io_uring_register", 0, 0, EPERM_);
        expect(p, "ptrace", 0, 0, EPERM_);
        expect(p, "perf_event_open", 0, 0, EPERM_);
        expect(p, "process_vm_readv", 0, 0, EPERM_);
        expect(p, "process_vm_writev", 0, 0, EPERM_);

        /* personality: only PER_LINUX and the query. */
        expect(p, "personality", PER_LINUX, 0, ALLOW);
        expect(p, "personality", 0xffffffffULL, 0, ALLOW);
        expect(p, "personality", PER_LINUX | ADDR_NO_RANDOMIZE, 0, EPERM_);
        expect(p, "personality", READ_IMPLIES_EXEC, 0, EPERM_);
        expect(p, "personality", PER_LINUX32, 0, EPERM_);
        expect(p, "personality", 1ULL << 32, 0, ALLOW);         /* the kernel sees PER_LINUX */

        /* Namespaces. */
        for (size_t i = 0; i < ELEMENTSOF(newns); i++) {
                expect(p, "unshare", newns[i], 0, EPERM_);
                expect(p, "clone", newns[i] | CLONE_THREAD | CLONE_VM | CLONE_SIGHAND, 0, EPERM_);
        }
        expect(p, "unshare", CLONE_NEWTIME, 0, EPERM_);
        expect(p, "unshare", CLONE_FILES, 0, ALLOW);
        expect(p, "setns", 0, 0, EPERM_);
        expect(p, "clone3", 0, 0, ENOSYS_);

        /* Terminal injection, also with upper bits set. */
        expect(p, "ioctl", 0, TIOCSTI, EPERM_);
        expect(p, "ioctl", 0, TIOCSTI | (1ULL << 32), EPERM_);
        expect(p, "ioctl", 0, TIOCLINUX, EPERM_);
        expect(p, "ioctl", 0, TIOCLINUX | (0xffULL << 40), EPERM_);
        expect(p, "ioctl", 0, TIOCSETD, EPERM_);
        expect(p, "ioctl", 0, TIOCSETD | (1ULL << 63), EPERM_);
        expect(p, "ioctl", 0, TIOCGETD, ALLOW);
        expect(p, "ioctl", 0, TCGETS, ALLOW);
        expect(p, "ioctl", 0, FIONREAD, ALLOW);

        /* The fixed prologue: unknown numbers and x32. */
        expect_nr(p, 1000, "syscall 1000", 0, 0, ENOSYS_);
        expect_nr(p, -1, "syscall -1", 0, 0, ENOSYS_);
        expect_nr(p, (int) 0xfffffffeU, "syscall 0xfffffffe", 0, 0, ENOSYS_);
        expect_nr(p, (int) 0x80000000U, "syscall 0x80000000", 0, 0, ENOSYS_);
        expect_nr(p, 0x7fffffff, "syscall 0x7fffffff", 0, 0, ENOSYS_);
#if defined(__x86_64__)
        expect_nr(p, 0x40000000 | 39, "x32 getpid", 0, 0, KILL);
#endif
        expect(p, "mlock", 0, 0, ALLOW);
        expect(p, "io_setup", 0, 0, ALLOW);
}

static void check_base_allows(const Policy *p) {
        static const char *const groups[] = {
                "@basic-io", "@file-system", "@io-event", "@sync", "@memory", "@signal", "@timer",
                "@resources", "@system-info", "@ipc",
        };

        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                expect_group(p, groups[i], ALLOW, (const char *const[]) { "ioctl", NULL });
        expect(p, "execve", 0, 0, ALLOW);
        expect(p, "execveat", 0, 0, ALLOW);
        expect(p, "exit_group", 0, 0, ALLOW);
        expect(p, "futex", 0, 0, ALLOW);
        expect(p, "clone", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
               CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, 0, ALLOW);
}

static void test_base(void **state) {
        _cleanup_(policy_freep) Policy *p = load("base");

        /* No default line: what base does not name is killed. */
        assert_int_equal(p->default_action, KILL);
        check_base_allows(p);
        expect_group(p, "@process", ALLOW, NULL);
        expect(p, "socket", AF_INET, 0, KILL);
        expect(p, "mount", 0, 0, KILL);
}

/* Families the default policy refuses; every one of them is refused by
 * no-network too. */
static const uint64_t refused_families[] = {
        AF_UNSPEC, AF_PACKET, AF_VSOCK, AF_ALG, AF_BLUETOOTH, AF_KEY, AF_XDP, AF_CAN, AF_TIPC,
        AF_RDS, AF_APPLETALK, AF_X25, AF_AX25, AF_IPX, AF_LLC, AF_NFC, AF_PPPOX, AF_SMC, AF_MCTP,
        AF_MAX, 255, 0xffffffffULL,
};

static void check_refused_families(const Policy *p) {
        for (size_t i = 0; i < ELEMENTSOF(refused_families); i++) {
                uint64_t f = refused_families[i];

                expect(p, "socket", f, SOCK_DGRAM, EAFNOSUPPORT_);
                expect(p, "socketpair", f, SOCK_DGRAM, EAFNOSUPPORT_);
                /* The kernel sees the family on 32 bits: upper bits do not help. */
                expect(p, "socket", f | (1ULL << 32), SOCK_DGRAM, EAFNOSUPPORT_);
                expect(p, "socketpair", f | (0xffffffffULL << 32), SOCK_DGRAM, EAFNOSUPPORT_);
        }
        expect(p, "socket", (uint64_t) AF_UNIX << 32, SOCK_DGRAM, EAFNOSUPPORT_);   /* the kernel sees 0 */
}

/* socket(AF_INET, SOCK_PACKET) is turned into an AF_PACKET socket by the
 * kernel (__sock_create), so a policy that refuses AF_PACKET must refuse it
 * too, whatever the flags (SOCK_CLOEXEC, SOCK_NONBLOCK) above the type bits;
 * socketpair() creates its sockets the same way. */
static void check_sock_packet(const Policy *p, uint32_t want) {
        static const uint64_t types[] = {
                SOCK_PACKET, SOCK_PACKET | SOCK_CLOEXEC, SOCK_PACKET | SOCK_NONBLOCK,
                SOCK_PACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, SOCK_PACKET | (1ULL << 32),
        };

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                expect(p, "socket", AF_INET, types[i], want);
                expect(p, "socketpair", AF_INET, types[i], want);
        }
}

/* Netlink protocols other than NETLINK_ROUTE: each unregistered one makes
 * the kernel load the module net-pf-16-proto-N for anybody. */
static void check_netlink_protocols(const Policy *p, uint32_t want) {
        static const uint64_t protocols[] = {
                1, 2, 4 /* NETLINK_SOCK_DIAG */, 9 /* NETLINK_AUDIT */, 15 /* NETLINK_KOBJECT_UEVENT */,
                16 /* NETLINK_GENERIC */, 21 /* NETLINK_SMC */, 31, 32, 0xffffffffULL,
                1ULL << 32 | 9,
        };

        for (size_t i = 0; i < ELEMENTSOF(protocols); i++) {
                expect3(p, "socket", AF_NETLINK, SOCK_RAW, protocols[i], want);
                expect3(p, "socket", AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, protocols[i], want);
                expect3(p, "socketpair", AF_NETLINK, SOCK_RAW, protocols[i], want);
        }
}

/* IPv4 and IPv6 protocols that are modules on many kernels: each makes the
 * kernel load net-pf-N-proto-P for anybody. */
static void check_inet_protocols(const Policy *p, uint32_t want) {
        static const uint64_t families[] = { AF_INET, AF_INET6 };
        static const uint64_t protocols[] = {
                IPPROTO_SCTP, 33 /* DCCP */, IPPROTO_UDPLITE, 115 /* L2TP */, IPPROTO_MPTCP, 255, 0xffffffffULL,
                1ULL << 32 | IPPROTO_SCTP,
        };

        for (size_t f = 0; f < ELEMENTSOF(families); f++)
                for (size_t i = 0; i < ELEMENTSOF(protocols); i++) {
                        expect3(p, "socket", families[f], SOCK_STREAM, protocols[i], want);
                        expect3(p, "socket", families[f], SOCK_SEQPACKET | SOCK_CLOEXEC, protocols[i], want);
                        expect3(p, "socketpair", families[f], SOCK_STREAM, protocols[i], want);
                }
}

static void test_default(void **state) {
        _cleanup_(policy_freep) Policy *p = load("default");
        static const uint64_t allowed[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

        assert_int_equal(p->default_action, EPERM_);
        check_base_allows(p);
        check_common_denies(p);
        check_reports(p);
        expect_group(p, "@process", ALLOW, base_exceptions);
        expect_group(p, "@network-io", ALLOW, (const char *const[]) { "socket", "socketpair", NULL });
        expect(p, "socket", AF_INET, SOCK_STREAM, ALLOW);
        expect(p, "socket", AF_INET6, SOCK_DGRAM, ALLOW);
        expect(p, "socket", AF_UNIX, SOCK_STREAM, ALLOW);
        expect(p, "socket", AF_NETLINK, SOCK_RAW, ALLOW);
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++) {
                expect(p, "socket", allowed[i], SOCK_DGRAM, ALLOW);
                expect(p, "socketpair", allowed[i], SOCK_STREAM, ALLOW);
                expect(p, "socket", allowed[i] | (1ULL << 32), SOCK_DGRAM, ALLOW);     /* the kernel sees it */
        }
        check_refused_families(p);

        /* AF_INET, but with the type the kernel turns into AF_PACKET. */
        check_sock_packet(p, EAFNOSUPPORT_);
        expect(p, "socket", AF_INET, SOCK_STREAM | SOCK_CLOEXEC, ALLOW);
        expect(p, "socket", AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, ALLOW);
        expect(p, "socket", AF_INET, SOCK_RAW, ALLOW);
        expect(p, "socketpair", AF_INET, SOCK_STREAM, ALLOW);
        expect(p, "socket", AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, ALLOW);
        expect(p, "socket", AF_UNIX, SOCK_PACKET, ALLOW);      /* the kernel refuses it, no module */

        /* Netlink: only NETLINK_ROUTE, as the C library uses it. */
        expect3(p, "socket", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, ALLOW);
        expect3(p, "socket", AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE, ALLOW);
        expect3(p, "socket", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE | (1ULL << 32), ALLOW);   /* the kernel sees 0 */
        expect3(p, "socketpair", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, ALLOW);
        check_netlink_protocols(p, EPROTONOSUPPORT_);

        /* IPv4 and IPv6: only the protocols every kernel has built in. */
        expect3(p, "socket", AF_INET, SOCK_STREAM, IPPROTO_TCP, ALLOW);
        expect3(p, "socket", AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP, ALLOW);
        expect3(p, "socket", AF_INET, SOCK_DGRAM, IPPROTO_ICMP, ALLOW);
        expect3(p, "socket", AF_INET6, SOCK_STREAM, IPPROTO_TCP, ALLOW);
        expect3(p, "socket", AF_INET6, SOCK_DGRAM, IPPROTO_UDP, ALLOW);
        expect3(p, "socket", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, ALLOW);
        expect3(p, "socket", AF_INET, SOCK_STREAM, IPPROTO_TCP | (1ULL << 32), ALLOW);     /* the kernel sees TCP */
        expect3(p, "socket", AF_INET6, SOCK_DGRAM, IPPROTO_ICMP, EPROTONOSUPPORT_);
        check_inet_protocols(p, EPROTONOSUPPORT_);

        /* fork() is clone with SIGCHLD and the tid flags. */
        expect(p, "clone", CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | 17, 0, ALLOW);
        expect(p, "clone", CLONE_VM | CLONE_VFORK | 17, 0, ALLOW);
}

static void test_no_network(void **state) {
        _cleanup_(policy_freep) Policy *p = load("no-network");

        check_base_allows(p);
        check_common_denies(p);
        check_reports(p);
        expect(p, "socket", AF_UNIX, SOCK_STREAM, ALLOW);
        expect(p, "socketpair", AF_UNIX, SOCK_STREAM, ALLOW);
        expect(p, "socket", AF_INET, SOCK_STREAM, EAFNOSUPPORT_);
        expect(p, "socket", AF_INET6, SOCK_DGRAM, EAFNOSUPPORT_);
        expect(p, "socket", AF_NETLINK, SOCK_RAW, EAFNOSUPPORT_);
        expect(p, "socket", AF_PACKET, SOCK_RAW, EAFNOSUPPORT_);
        expect(p, "socket", AF_UNIX | (1ULL << 32), 0, ALLOW); /* the kernel sees AF_UNIX */
        expect(p, "socket", AF_INET | (1ULL << 32), 0, EAFNOSUPPORT_);
        expect(p, "socketpair", AF_INET, SOCK_STREAM, EAFNOSUPPORT_);
        expect(p, "socketpair", AF_NETLINK, SOCK_STREAM, EAFNOSUPPORT_);
        check_refused_families(p);
        check_sock_packet(p, EAFNOSUPPORT_);
        check_netlink_protocols(p, EAFNOSUPPORT_);
        expect(p, "connect", 0, 0, ALLOW);      /* only AF_UNIX sockets can exist */
}

static void test_strict(void **state) {
        _cleanup_(policy_freep) Policy *p = load("strict");
        uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

        check_base_allows(p);
        check_common_denies(p);
        check_reports(p);
        expect_group(p, "@network-io", EPERM_, NULL);
        expect(p, "socket", AF_UNIX, SOCK_STREAM, EPERM_);
        expect(p, "socket", AF_VSOCK, SOCK_STREAM, EPERM_);    /* no socket at all: EPERM */
        expect(p, "socketpair", AF_UNIX, SOCK_STREAM, EPERM_);
        check_sock_packet(p, EPERM_);
        check_netlink_protocols(p, EPERM_);
        expect3(p, "socket", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, EPERM_);
        expect(p, "fork", 0, 0, EPERM_);
        expect(p, "vfork", 0, 0, EPERM_);
        expect(p, "clone", thread, 0, ALLOW);
        expect(p, "clone", CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | 17, 0, EPERM_);
        expect(p, "clone", CLONE_VM | CLONE_VFORK | 17, 0, EPERM_);
        expect(p, "clone", thread | CLONE_NEWUSER, 0, EPERM_);
        expect(p, "execve", 0, 0, ALLOW);
}

/* Any new file in policies/ must load too. */
static void test_all_load(void **state) {
        DIR *d = opendir(SOURCE_POLICYDIR);
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char path[512];

                if (len < 8 || strcmp(de->d_name + len - 7, ".policy") != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", SOURCE_POLICYDIR, de->d_name);
                _cleanup_(policy_freep) Policy *p = load(path);
                assert_true(policy_filter(p)->len > 10);
                n++;
        }
        closedir(d);
        assert_true(n >= 4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_base),
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_no_network),
                cmocka_unit_test(test_strict),
                cmocka_unit_test(test_all_load),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
