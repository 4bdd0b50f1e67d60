/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test interpreter itself: it must refuse what the kernel refuses, or
 * the filter tests could pass on programs the kernel would not load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf-interp.h"
#include "macro.h"

#define PROG(...)                                                               \
        ({                                                                      \
                static struct sock_filter _f[] = { __VA_ARGS__ };               \
                (struct sock_fprog) { .len = ELEMENTSOF(_f), .filter = _f };    \
        })

static void test_runs(void **state) {
        struct seccomp_data d = { .nr = 7, .args = { 0x1122334455667788ULL } };
        struct sock_fprog p = PROG(
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args)),
                BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffff),
                BPF_STMT(BPF_RET | BPF_A, 0),
                BPF_STMT(BPF_RET | BPF_K, 1));
        uint32_t ret = 0;

        assert_int_equal(bpf_run(&p, &d, &ret), 0);
        assert_int_equal(ret, 0x7788);          /* args[0] low half on little endian */
        d.nr = 8;
        assert_int_equal(bpf_run(&p, &d, &ret), 0);
        assert_int_equal(ret, 1);
}

static void test_rejects(void **state) {
        struct seccomp_data d = {};
        uint32_t ret;
        struct sock_fprog out_of_range = PROG(
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
                BPF_STMT(BPF_RET | BPF_K, 0));
        struct sock_fprog falls_off = PROG(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0));
        struct sock_fprog bad_load = PROG(
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
                BPF_STMT(BPF_RET | BPF_K, 0));
        struct sock_fprog unaligned = PROG(
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
                BPF_STMT(BPF_RET | BPF_K, 0));
        struct sock_fprog ja_out = PROG(
                BPF_STMT(BPF_JMP | BPF_JA, 1),
                BPF_STMT(BPF_RET | BPF_K, 0));

        assert_int_equal(bpf_run(&out_of_range, &d, &ret), -EINVAL);
        assert_int_equal(bpf_run(&falls_off, &d, &ret), -EINVAL);
        assert_int_equal(bpf_run(&bad_load, &d, &ret), -EINVAL);
        assert_int_equal(bpf_run(&unaligned, &d, &ret), -EINVAL);
        assert_int_equal(bpf_run(&ja_out, &d, &ret), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runs),
                cmocka_unit_test(test_rejects),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
