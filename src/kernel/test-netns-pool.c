/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool of network namespaces made ahead of time: each one fresh (its
 * own inode, none of them the host's), owned by the initial user namespace,
 * with loopback up; refilled after takes; nothing left behind when freed,
 * with a helper running or not. */

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "netns-pool.h"

#define check(cond, ...)                        \
        do {                                    \
                if (!(cond)) {                  \
                        print_error(__VA_ARGS__); \
                        print_error("\n");      \
                        fail();                 \
                }                               \
        } while (0)

static ino_t inode_of(int fd) {
        struct stat st;

        check(fstat(fd, &st) == 0, "fstat: %m");
        return st.st_ino;
}

static ino_t inode_of_path(const char *path) {
        struct stat st;

        check(stat(path, &st) == 0, "stat %s: %m", path);
        return st.st_ino;
}

static unsigned count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        unsigned n = 0;

        check(d, "opendir: %m");
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* Bounded: 10 s for the helper to send the batch asked for. */
static void wait_helper(NetnsPool *p) {
        int r = 0;

        check(netns_pool_helper_fd(p) >= 0, "no batch in flight");
        for (unsigned i = 0; i < 100 && r == 0; i++) {
                struct pollfd pfd = { .fd = netns_pool_helper_fd(p), .events = POLLIN };

                if (pfd.fd < 0 || poll(&pfd, 1, 100) >= 0)
                        r = netns_pool_helper_done(p);
        }
        check(r == 1, "netns_pool_helper_done: %d (%s)", r, r < 0 ? strerror(-r) : "batch not complete in 10 s");
        check(netns_pool_helper_fd(p) < 0, "the helper's socket is still watched after its batch");
}

/* The helper: our only child (0 if none). */
static pid_t helper_pid(void) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        pid_t found = 0;

        check(d, "opendir /proc: %m");
        while ((de = readdir(d))) {
                char path[300], line[256];
                FILE *f;
                int ppid = -1;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/status", de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof line, f))
                        if (sscanf(line, "PPid: %d", &ppid) == 1)
                                break;
                fclose(f);
                if (ppid == getpid())
                        found = (pid_t) atoi(de->d_name);
        }
        closedir(d);
        return found;
}

/* In a child: joins the namespace and reports whether lo is up and whether
 * it is the only interface up. */
static bool lo_up_inside(int fd) {
        siginfo_t si = {};
        pid_t pid;

        pid = fork();
        check(pid >= 0, "fork: %m");
        if (pid == 0) {
                struct ifreq ifr = { .ifr_name = "lo" };
                int s;

                if (setns(fd, CLONE_NEWNET) < 0)
                        _exit(2);
                s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                        _exit(3);
                _exit((ifr.ifr_flags & IFF_UP) ? 0 : 1);
        }
        check(waitid(P_PID, (id_t) pid, &si, WEXITED) == 0, "waitid: %m");
        check(si.si_code == CLD_EXITED && si.si_status <= 1, "the probe child failed: code %d status %d", si.si_code,
              si.si_status);
        return si.si_status == 0;
}

static void test_invalid(void **state) {
        NetnsPool *p = NULL;

        check(netns_pool_new(0, &p) == -EINVAL, "a pool of 0 must be refused");
        check(netns_pool_new(NETNS_POOL_MAX + 1, &p) == -EINVAL, "a pool above NETNS_POOL_MAX must be refused");
        check(!p, "nothing returned on failure");
}

static void test_fresh_and_refill(void **state) {
        ino_t host = inode_of_path("/proc/self/ns/net"), init_userns = inode_of_path("/proc/self/ns/user");
        ino_t seen[4];
        int fds[4], r;
        NetnsPool *p;
        pid_t helper;
        char path[64];

        check(netns_pool_new(3, &p) == 0, "netns_pool_new");
        check(netns_pool_take(p) == -EAGAIN, "an empty pool must answer -EAGAIN");
        check(netns_pool_refill(p) == 1, "the first refill must start a helper");
        check(netns_pool_refill(p) == 0, "no second helper while one runs");
        wait_helper(p);
        check(netns_pool_ready(p) == 3, "3 namespaces expected, %u ready", netns_pool_ready(p));
        check(netns_pool_refill(p) == 0, "a full pool needs no helper");

        for (int i = 0; i < 3; i++) {
                int owner;

                fds[i] = netns_pool_take(p);
                check(fds[i] >= 0, "take %d: %s", i, strerror(-fds[i]));
                check(fcntl(fds[i], F_GETFD) == FD_CLOEXEC, "a pooled fd must be O_CLOEXEC");
                seen[i] = inode_of(fds[i]);
                check(seen[i] != host, "a pooled namespace must not be the host's");
                for (int j = 0; j < i; j++)
                        check(seen[i] != seen[j], "namespaces %d and %d are the same (inode %lu)", i, j,
                              (unsigned long) seen[i]);
                owner = ioctl(fds[i], NS_GET_USERNS);
                check(owner >= 0, "NS_GET_USERNS: %m");
                check(inode_of(owner) == init_userns, "a pooled namespace must belong to the initial user namespace");
                close(owner);
                check(lo_up_inside(fds[i]), "loopback must be up in a pooled namespace");
        }
        r = netns_pool_take(p);
        check(r == -EAGAIN, "after 3 takes the pool is empty, take gave %d", r);

        /* The helper stays, back in the host's namespace: it keeps none of
         * those it handed out alive. */
        helper = helper_pid();
        check(helper > 0, "the helper should live on between batches");
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int) helper);
        check(inode_of_path(path) == host, "between batches the helper must be in the host's network namespace");

        /* Refilled by the same helper (no new copy of the daemon): fresh
         * ones again, none of those handed out before. */
        check(netns_pool_refill(p) == 1, "a refill after takes must ask the helper");
        wait_helper(p);
        check(helper_pid() == helper, "the refill must not start another helper");
        check(netns_pool_ready(p) == 3, "3 namespaces expected after the refill, %u ready", netns_pool_ready(p));
        fds[3] = netns_pool_take(p);
        check(fds[3] >= 0, "take after refill");
        seen[3] = inode_of(fds[3]);
        for (int j = 0; j < 3; j++)
                check(seen[3] != seen[j], "a refilled namespace is one handed out before (inode %lu)",
                      (unsigned long) seen[3]);
        check(netns_pool_ready(p) == 2, "2 left after one take");
        for (int i = 0; i < 4; i++)
                close(fds[i]);
        netns_pool_free(p);
}

/* Freed with a helper running and namespaces ready: every fd closed, the
 * helper reaped. */
static void test_free_leaves_nothing(void **state) {
        unsigned before = count_fds();
        siginfo_t si = {};
        NetnsPool *p;
        int fd;

        check(netns_pool_new(2, &p) == 0, "netns_pool_new");
        check(netns_pool_refill(p) == 1, "refill");
        wait_helper(p);
        fd = netns_pool_take(p);
        check(fd >= 0, "take");
        check(netns_pool_refill(p) == 1, "refill after a take");
        netns_pool_free(p);
        /* The fd taken above is ours: the one left is closed. */
        check(count_fds() == before + 1, "fds before %u, after %u: the pool must close its own", before, count_fds());
        close(fd);
        errno = 0;
        check(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) < 0 && errno == ECHILD,
              "the helper must have been reaped (waitid: %m, pid %d)", (int) si.si_pid);
}

/* Whether pid is still running (not yet dead, a zombie counts as dead). */
static bool helper_pid_alive(pid_t pid) {
        char path[64], state = 0;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (fscanf(f, "%*d %*s %c", &state) != 1)
                state = 0;
        fclose(f);
        return state != 0 && state != 'Z' && state != 'X';
}

/* A helper that dies stops refills for good; what is ready is still
 * handed out. */
static void test_helper_dies(void **state) {
        NetnsPool *p;
        pid_t helper;
        int fd, r = 0;

        check(netns_pool_new(2, &p) == 0, "netns_pool_new");
        check(netns_pool_refill(p) == 1, "refill");
        wait_helper(p);
        helper = helper_pid();
        check(helper > 0, "no helper found");
        check(kill(helper, SIGKILL) == 0, "kill the helper: %m");
        /* Bounded: 10 s for it to die. */
        for (unsigned i = 0; i < 100 && helper_pid_alive(helper); i++)
                usleep(100000);
        /* What is ready is still handed out; the take that finds the pool
         * empty also finds the death, but a take does not tell it: the next
         * refill does, once. */
        for (int i = 0; i < 2; i++) {
                fd = netns_pool_take(p);
                check(fd >= 0, "ready namespace %d must be handed out after the helper died", i);
                close(fd);
        }
        check(netns_pool_take(p) == -EAGAIN, "the pool is empty now");
        check(helper_pid() == 0, "the dead helper must have been reaped by the take that found it");
        r = netns_pool_refill(p);
        check(r == -ECHILD, "the helper's death must be reported once as -ECHILD, got %d", r);
        r = netns_pool_refill(p);
        check(r == -EIO, "refills after the helper died must fail with -EIO, got %d", r);
        check(helper_pid() == 0, "the dead helper must have been reaped");
        netns_pool_free(p);
}

/* A figure, not an assertion: what joining costs against making. */
static void test_cost(void **state) {
        struct timespec a, b;
        NetnsPool *p;
        int fd;

        check(netns_pool_new(1, &p) == 0, "netns_pool_new");
        check(netns_pool_refill(p) == 1, "refill");
        clock_gettime(CLOCK_MONOTONIC, &a);
        wait_helper(p);
        clock_gettime(CLOCK_MONOTONIC, &b);
        print_message("one namespace made by a new helper (fork, unshare, lo up): %.1f us\n",
                      (double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3);
        fd = netns_pool_take(p);
        check(fd >= 0, "take");
        close(fd);
        check(netns_pool_refill(p) == 1, "refill");
        clock_gettime(CLOCK_MONOTONIC, &a);
        wait_helper(p);
        clock_gettime(CLOCK_MONOTONIC, &b);
        print_message("one namespace made by the running helper (unshare, lo up): %.1f us\n",
                      (double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3);
        netns_pool_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_fresh_and_refill),
                cmocka_unit_test(test_free_leaves_nothing),
                cmocka_unit_test(test_helper_dies),
                cmocka_unit_test(test_cost),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
