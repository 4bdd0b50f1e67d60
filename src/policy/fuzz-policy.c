/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the policy parser and compiler: any input either
 * fails with a diagnostic or yields a program the BPF interpreter accepts
 * for every syscall number. */
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-interp.h"
#include "policy-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *search_path[] = { (char *) SOURCE_POLICYDIR, NULL };
        _cleanup_free_ char *text = NULL;
        Policy *p = NULL;
        Diagnostic d = {};

        /* Includes by path could read anything (/dev/stdin would block);
         * names still reach the shipped policies. */
        if (size > 64 * 1024 || memchr(data, '/', size) || memchr(data, '\0', size))
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        int r = policy_load_string(text, "fuzz.policy", search_path, &p, &d);
        if (r < 0) {
                if (r != -ENOMEM && d.message[0] == '\0')
                        abort();        /* every failure must say why */
                return 0;
        }

        const SyscallTable *t = syscall_table_get();
        for (int nr = 0; nr <= t->max_nr + 1; nr++) {
                struct seccomp_data sd = { .nr = nr, .arch = t->audit_arch, .args = { (uint64_t) nr << 31 } };
                uint32_t ret;

                if (bpf_run(policy_filter(p), &sd, &ret) < 0)
                        abort();
        }
        policy_free(p);
        return 0;
}
