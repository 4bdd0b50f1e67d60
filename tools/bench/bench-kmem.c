/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Two rows of the scale phase (issue 16): what K agents cost the kernel, from
 * /proc/meminfo before and after they started, and `agentctl list` of them.
 *
 * /proc/meminfo is the whole machine's: anything else running moves it too,
 * so the per-agent figures are a measurement of this run, not a constant.
 * The shares that can be told apart by field: Slab (SUnreclaim is what
 * cgroups, seccomp filters, namespaces, pidfds and the tasks themselves keep;
 * SReclaimable mostly dentries and inodes, such as cgroupfs'), PageTables
 * (the agents' own address spaces), KernelStack (one per task), Percpu (per
 * cgroup and per controller state, the larger share of a cgroup on a
 * hybrid host). A seccomp filter's JIT image and its struct bpf_prog are
 * vmalloc'd: VmallocUsed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static const char *const fields[_KMEM_MAX] = {
        [KMEM_SUNRECLAIM] = "SUnreclaim",
        [KMEM_SRECLAIMABLE] = "SReclaimable",
        [KMEM_PAGE_TABLES] = "PageTables",
        [KMEM_KERNEL_STACK] = "KernelStack",
        [KMEM_PERCPU] = "Percpu",
        [KMEM_VMALLOC] = "VmallocUsed",
};

int kmem_read(KernelMemory *ret) {
        FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        unsigned found = 0;

        if (!f)
                return -errno;
        *ret = (KernelMemory) {};
        while (fgets(line, sizeof line, f)) {
                for (size_t i = 0; i < _KMEM_MAX; i++) {
                        size_t n = strlen(fields[i]);
                        unsigned long long kb;

                        if (strncmp(line, fields[i], n) != 0 || line[n] != ':')
                                continue;
                        if (sscanf(line + n + 1, "%llu", &kb) == 1) {
                                ret->kib[i] = kb;
                                found |= 1U << i;
                        }
                }
        }
        fclose(f);
        /* Percpu and VmallocUsed are younger than the rest: 0 without. */
        return (found & 0xf) == 0xf ? 0 : -EBADMSG;
}

/* Agents ended just before (a phase's, a sandbox's namespaces) are freed by
 * RCU callbacks and kernel workers for a while after: waits until the
 * unreclaimable slab holds still (three reads 100 ms apart within 512 KiB),
 * 3 s at most, then reads. */
int kmem_read_settled(KernelMemory *ret) {
        unsigned long long last[3] = {};
        int r = 0;

        for (unsigned i = 0; i < 30; i++) {
                r = kmem_read(ret);
                if (r < 0)
                        return r;
                if (i >= 3) {
                        unsigned long long lo = ret->kib[KMEM_SUNRECLAIM], hi = lo;

                        for (size_t j = 0; j < 3; j++) {
                                lo = MIN(lo, last[j]);
                                hi = MAX(hi, last[j]);
                        }
                        if (hi - lo < 512)
                                break;
                }
                last[i % 3] = ret->kib[KMEM_SUNRECLAIM];
                (void) usleep(100 * 1000);
        }
        return r;
}

void kmem_report(Table *t, const char *what, const KernelMemory *before, const KernelMemory *after, unsigned k) {
        double per[_KMEM_MAX], total = 0;
        char name[96], value[32];

        for (size_t i = 0; i < _KMEM_MAX; i++) {
                per[i] = ((double) after->kib[i] - (double) before->kib[i]) * 1024.0 / (double) k;
                if (i != KMEM_VMALLOC)
                        total += per[i];
        }
        snprintf(name, sizeof name, "kernel memory per agent, %u %s", k, what);
        snprintf(value, sizeof value, "%.1f KiB", total / 1024.0);
        table_add(t, name, value, NULL, NULL, "slab+tables+stacks+percpu", NULL);
        for (size_t i = 0; i < _KMEM_MAX; i++) {
                snprintf(name, sizeof name, "  %s per agent (/proc/meminfo)", fields[i]);
                snprintf(value, sizeof value, "%.0f B", per[i]);
                table_add(t, name, value, NULL, NULL, NULL, NULL);
        }
}

/* agentctl list of the K agents, to its exit (its table on /dev/null). */
int kmem_agentctl_list(const BenchOptions *o, BenchEnv *e, Table *t, unsigned k) {
        _cleanup_free_ char *address = NULL;
        unsigned runs = o->short_mode ? 3 : 5;
        Samples s = {};
        char name[64], p50[32], p99[32];
        int r = 0;

        if (access(o->agentctl_path, X_OK) < 0) {
                table_add(t, "agentctl list", NULL, NULL, NULL, NULL, "skipped: agentctl not built");
                return 0;
        }
        if (asprintf(&address, "--address=%s", e->bus_address) < 0)
                return -ENOMEM;
        for (unsigned i = 0; i < runs && r >= 0; i++) {
                char *argv[] = { (char *) o->agentctl_path, address, (char *) "--no-pager", (char *) "list", NULL };
                uint64_t t0 = now_nsec(CLOCK_MONOTONIC);
                int status;
                pid_t pid = fork();

                if (pid < 0) {
                        r = -errno;
                        break;
                }
                if (pid == 0) {
                        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                        if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
                                _exit(127);
                        execv(argv[0], argv);
                        _exit(127);
                }
                if (waitpid(pid, &status, 0) < 0) {
                        r = -errno;
                        break;
                }
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        table_note_failure(t, "agentctl list of %u agents failed (status 0x%x)", k, (unsigned) status);
                        r = -EPROTO;
                        break;
                }
                r = samples_add(&s, now_nsec(CLOCK_MONOTONIC) - t0);
        }
        if (r >= 0 && s.n > 0) {
                snprintf(name, sizeof name, "agentctl list, %u agents", k);
                table_add(t, name, format_ns(p50, sizeof p50, samples_percentile(&s, 50)),
                          format_ns(p99, sizeof p99, samples_percentile(&s, 99)), NULL, "< 1 s (at 10,000)",
                          samples_percentile(&s, 50) < 1000000000ULL ? "yes" : "NO");
        }
        samples_done(&s);
        return r;
}
