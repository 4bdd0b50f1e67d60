/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor-bench-policy: how long each shipped policy takes to compile,
 * and what installing the filter adds to a spawn (fork + exec /bin/true,
 * with and without loading the default policy in the child). */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "time-util.h"

#define COMPILE_ROUNDS 200
#define SPAWN_ROUNDS 300

static const char *const shipped[] = { "base", "default", "no-network", "strict" };

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return (x > y) - (x < y);
}

static int load(const char *name, char **search_path, Policy **ret) {
        Diagnostic d = {};
        char buf[1024];
        int r = policy_load(name, search_path, ret, &d);

        if (r < 0) {
                diag_format(&d, buf, sizeof(buf));
                fprintf(stderr, "%s\n", buf);
        }
        return r;
}

/* One fork + exec /bin/true + wait, in nanoseconds; -1 on failure. */
static int64_t spawn_once(const struct sock_fprog *filter) {
        uint64_t start = now_nsec(CLOCK_MONOTONIC);
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid == 0) {
                char *argv[] = { (char *) "/bin/true", NULL };

                if (filter && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                               syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter) < 0))
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return (int64_t) (now_nsec(CLOCK_MONOTONIC) - start);
}

static int spawn_series(const struct sock_fprog *filter, uint64_t *samples) {
        for (int i = 0; i < SPAWN_ROUNDS; i++) {
                int64_t t = spawn_once(filter);
                if (t < 0)
                        return -EIO;
                samples[i] = (uint64_t) t;
        }
        qsort(samples, SPAWN_ROUNDS, sizeof(uint64_t), cmp_u64);
        return 0;
}

int main(int argc, char *argv[]) {
        char *search_path[] = { (char *) (argc > 1 ? argv[1] : SOURCE_POLICYDIR), NULL };
        static uint64_t plain[SPAWN_ROUNDS], filtered[SPAWN_ROUNDS];
        Policy *p = NULL;
        uint64_t start;

        /* The first load also reads libseccomp's syscall table. */
        start = now_nsec(CLOCK_MONOTONIC);
        if (load("default", search_path, &p) < 0)
                return EXIT_FAILURE;
        printf("first load (default, with syscall table): %8.1f us\n",
               (double) (now_nsec(CLOCK_MONOTONIC) - start) / 1000.0);
        policy_free(p);

        printf("%-12s %12s %8s\n", "policy", "compile(us)", "insns");
        for (size_t i = 0; i < ELEMENTSOF(shipped); i++) {
                unsigned len = 0;

                start = now_nsec(CLOCK_MONOTONIC);
                for (int n = 0; n < COMPILE_ROUNDS; n++) {
                        if (load(shipped[i], search_path, &p) < 0)
                                return EXIT_FAILURE;
                        len = policy_filter(p)->len;
                        policy_free(p);
                }
                printf("%-12s %12.1f %8u\n", shipped[i],
                       (double) (now_nsec(CLOCK_MONOTONIC) - start) / COMPILE_ROUNDS / 1000.0, len);
        }

        if (load("default", search_path, &p) < 0)
                return EXIT_FAILURE;
        if (spawn_series(NULL, plain) < 0 || spawn_series(policy_filter(p), filtered) < 0) {
                fprintf(stderr, "spawning /bin/true failed\n");
                policy_free(p);
                return EXIT_FAILURE;
        }
        policy_free(p);

        printf("\nspawn of /bin/true, N=%d each   %10s %10s\n", SPAWN_ROUNDS, "p50(us)", "p99(us)");
        printf("%-32s %10.1f %10.1f\n", "without filter", plain[SPAWN_ROUNDS / 2] / 1000.0,
               plain[SPAWN_ROUNDS * 99 / 100] / 1000.0);
        printf("%-32s %10.1f %10.1f\n", "with default policy", filtered[SPAWN_ROUNDS / 2] / 1000.0,
               filtered[SPAWN_ROUNDS * 99 / 100] / 1000.0);
        return EXIT_SUCCESS;
}
