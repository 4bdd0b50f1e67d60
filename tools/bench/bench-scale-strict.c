/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start cost at scale with isolation (issue 16): Sandbox=strict starts with
 * none and with K Sandbox=strict agents running, side by side, and what
 * those K cost the kernel. Each strict agent holds a mount, network, IPC,
 * PID and user namespace of its own (and its PID namespace's init), so this
 * shows whether any of them makes the next start slower as they add up:
 * mount propagation to K namespaces, K network namespaces on the kernel's
 * lists. Its agents come from the type bench-sleep-strict (bench-launch.c).
 * Run after the Sandbox= rows, only when strict worked there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define STRICT_SCALE_MAX 500U

int bench_scale_strict(const BenchOptions *o, BenchEnv *e, Table *t) {
        unsigned k = o->short_mode ? 50U : MIN(o->scale_agents, STRICT_SCALE_MAX);
        unsigned n = o->short_mode ? 20U : 100U;
        RunSandbox sb = { .preset = "strict", .private_network = -1, .bind_path = e->tmpdir };
        Samples none_running = {}, k_running = {};
        KernelMemory m0 = {}, mk = {};
        bool kmem;
        char name[96], ratio[24];
        int r;

        r = bench_measure_starts(o, e, t, "ss0-", n, &sb, &none_running);
        kmem = r >= 0 && kmem_read_settled(&m0) >= 0;
        if (r >= 0)
                r = bench_start_many(e, t, "bench-sleep-strict", "ssk-", 0, k);
        if (r >= 0) {
                kmem = kmem && kmem_read(&mk) >= 0;
                r = bench_measure_starts(o, e, t, "ssn-", n, &sb, &k_running);
        }
        if (r >= 0) {
                uint64_t p0 = samples_percentile(&none_running, 50), pk = samples_percentile(&k_running, 50);
                char p50[32], p99[32];
                double x = p0 ? (double) pk / (double) p0 : 0;

                table_add(t, "strict start p50, no other agent", format_ns(p50, sizeof p50, p0),
                          format_ns(p99, sizeof p99, samples_percentile(&none_running, 99)), NULL, NULL, NULL);
                snprintf(name, sizeof name, "strict start p50, %u strict agents running", k);
                snprintf(ratio, sizeof ratio, "%.2f", x);
                table_add(t, name, format_ns(p50, sizeof p50, pk),
                          format_ns(p99, sizeof p99, samples_percentile(&k_running, 99)), ratio,
                          "<= 1.1x none running", x <= 1.1 ? "yes" : "NO");
                if (kmem)
                        kmem_report(t, "Sandbox=strict agents", &m0, &mk, k);
        }
        samples_done(&none_running);
        samples_done(&k_running);
        return bench_end_phase(e, t, "ssk-", k, "the strict scale phase", r);
}

/* --strict-scale-only: this phase on its own, to look into it (perf,
 * strace) without the half hour of the other phases. */
int bench_strict_scale_only(const BenchOptions *o, BenchEnv *e, Table *t) {
        int r;

        r = env_start_daemon(e, o);
        if (r < 0) {
                table_note_failure(t, "cannot start the private bus and agentvisord: %s", strerror(-r));
                return r;
        }
        r = bench_scale_strict(o, e, t);
        (void) env_stop_daemon(e, t);
        return r;
}
