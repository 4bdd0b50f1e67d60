/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Freezing an agent's group against the real kernel (root; cgroup2, and the
 * v1 freezer where one is mounted): a shell that ticks a counter into a
 * file stops ticking once cgroup_is_frozen() says so, ticks again after a
 * thaw, and dies at once when killed while frozen; nothing is left behind
 * in either hierarchy. */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup-freeze.h"
#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "spawn.h"

static char dir_template[] = "/tmp/av-test-freeze-XXXXXX";
static char *tmpdir;
/* The agent of the running freeze_cycle(): a failed check leaves it to
 * cycle_cleanup(), so a failing run leaves no ticking shell behind. */
static Cgroup *live_agent;
static CgroupRoot *live_root;

/* Removes dir and the (empty) groups beneath it, children first. */
static void rmdir_tree(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if (snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= (int) sizeof sub)
                        continue;
                rmdir_tree(sub);
        }
        if (d)
                closedir(d);
        (void) rmdir(dir);
}

/* After a failed check: the run's groups in every hierarchy, from its root. */
static void remove_test_groups(CgroupRoot *r) {
        if (!r)
                return;
        rmdir_tree(r->dir);
        for (size_t i = 0; i < _CGROUP_V1_MAX; i++)
                if (r->v1_dir[i])
                        rmdir_tree(r->v1_dir[i]);
        if (r->freezer_v1_dir)
                rmdir_tree(r->freezer_v1_dir);
}

static int cycle_cleanup(void **state) {
        if (!live_agent)
                return 0;
        (void) cgroup_freeze(live_agent, false);
        (void) cgroup_kill(live_agent);
        for (unsigned i = 0; i < 500 && cgroup_is_populated(live_agent) != 0; i++)
                usleep(10000);
        (void) cgroup_remove(live_agent);
        live_agent = cgroup_free(live_agent);
        remove_test_groups(live_root);
        return 0;
}

static int setup(void **state) {
        tmpdir = mkdtemp(dir_template);
        return tmpdir ? 0 : -1;
}

static int teardown(void **state) {
        char path[256];

        snprintf(path, sizeof path, "%s/counter", tmpdir);
        (void) unlink(path);
        /* A shell killed between its echo and its mv leaves this one. */
        snprintf(path, sizeof path, "%s/counter.new", tmpdir);
        (void) unlink(path);
        return rmdir(tmpdir) < 0 ? -1 : 0;
}

/* A shell that writes 1, 2, 3... into FILE every 10 ms, forking a sleep for
 * each tick (so a freeze must catch children too). */
static pid_t spawn_counter(Cgroup *c, int *ret_pidfd) {
        char script[1024], path[256];
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", script, NULL };
        SpawnParams p = kt_params_in(c, argv[0], argv);
        const char *step = NULL;
        pid_t pid;
        int r;

        snprintf(path, sizeof path, "%s/counter", tmpdir);
        snprintf(script, sizeof script, "i=0; while :; do i=$((i+1)); echo $i > %s.new; /bin/mv %s.new %s; /bin/sleep 0.01; done",
                 path, path, path);
        r = cgroup_v1_procs_open(c, &p.v1_procs_fds, &p.n_v1_procs_fds);
        check(r == 0, "cgroup_v1_procs_open: %s", strerror(-r));
        r = spawn(&p, &pid, ret_pidfd, &step);
        cgroup_v1_procs_close(c);
        check(r == 0, "spawn failed at step %s: %s", step ?: "?", strerror(-r));
        return pid;
}

static long counter(void) {
        char path[256], *s = NULL;
        long v = -1;

        snprintf(path, sizeof path, "%s/counter", tmpdir);
        if (cgfs_read(AT_FDCWD, path, &s) == 0)
                v = strtol(s, NULL, 10);
        free(s);
        return v;
}

/* The counter moves within 2 s (or, moving = false, stays put for 300 ms). */
static bool counter_moves(void) {
        long first = counter();

        for (unsigned i = 0; i < 200; i++) {
                usleep(10000);
                if (counter() > first)
                        return true;
        }
        return false;
}

static bool counter_still(void) {
        long first = counter();

        usleep(300000);
        return counter() == first;
}

static void wait_frozen(Cgroup *c, int want) {
        int r = -1;

        for (unsigned i = 0; i < 500; i++) {
                r = cgroup_is_frozen(c);
                if (r == want)
                        return;
                usleep(10000);
        }
        fail_msg("cgroup_is_frozen() is %d after 5 s, expected %d", r, want);
}

static void reap_killed(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        siginfo_t si = {};

        check(poll(&pfd, 1, 5000) == 1, "the agent killed while frozen did not die within 5 s");
        check(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG) == 0, "waitid: %m");
        check(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "the agent should have died of SIGKILL");
        close(pidfd);
}

static void wait_empty(Cgroup *c) {
        for (unsigned i = 0; i < 500 && cgroup_is_populated(c) != 0; i++)
                usleep(10000);
        check(cgroup_is_populated(c) == 0, "the frozen group should be empty after its kill");
}

/* One run of freeze, thaw, freeze and kill with the root's freezer. */
static void freeze_cycle(CgroupRoot *root, Cgroup *top, const char *name) {
        Cgroup *agent = NULL;
        char events[1024] = "";
        int pidfd, r;

        r = cgroup_agent_new(root, top, name, NULL, &agent);
        check(r == 0, "cgroup_agent_new(%s): %s", name, strerror(-r));
        live_agent = agent;
        live_root = root;
        (void) spawn_counter(agent, &pidfd);
        check(counter_moves(), "the counter does not tick before any freeze");
        check(cgroup_is_frozen(agent) == 0, "a fresh group is not frozen");

        r = cgroup_freeze(agent, true);
        check(r == 0, "cgroup_freeze: %s", strerror(-r));
        wait_frozen(agent, 1);
        check(counter_still(), "the counter still ticks while the group is frozen");
        if (cgroup_freeze_notifies(agent)) {
                char *s = NULL;
                check(cgfs_read(cgroup_dir_fd(agent), "cgroup.events", &s) == 0, "reading cgroup.events");
                snprintf(events, sizeof events, "%s", s);
                free(s);
                check(strstr(events, "frozen 1"), "cgroup.events should say frozen 1: %s", events);
        }

        r = cgroup_freeze(agent, false);
        check(r == 0, "thawing: %s", strerror(-r));
        wait_frozen(agent, 0);
        check(counter_moves(), "the counter does not tick again after the thaw");

        r = cgroup_freeze(agent, true);
        check(r == 0, "cgroup_freeze again: %s", strerror(-r));
        wait_frozen(agent, 1);
        r = cgroup_kill_frozen(agent);
        check(r == 0, "cgroup_kill_frozen: %s", strerror(-r));
        reap_killed(pidfd);
        wait_empty(agent);
        r = cgroup_remove(agent);
        check(r == 0, "removing the killed group: %s", strerror(-r));
        live_agent = NULL;
        cgroup_free(agent);
}

static void test_freeze_v2(void **state) {
        char name[64];
        CgroupRoot *root = NULL;
        Cgroup *top = NULL;
        int r;

        snprintf(name, sizeof name, "av-test-freeze-%d", (int) getpid());
        r = cgroup_root_open(name, &root);
        check(r == 0, "cgroup_root_open: %s", strerror(-r));
        r = cgroup_supervisor_new(root, NULL, NULL, UINT64_MAX, NULL, &top);
        check(r == 0, "the root supervisor's group: %s", strerror(-r));
        check(cgroup_root_freezer(root) == CGROUP_FREEZER_V2,
              "this kernel has cgroup.freeze: the v2 freezer should be chosen");
        freeze_cycle(root, top, "ticker");
        cgroup_free(top);
        cgroup_root_free(root);
}

/* The fallback for hybrid hosts without cgroup.freeze, forced here. */
static void test_freeze_v1(void **state) {
        char name[64], v1[1024];
        CgroupRoot *root = NULL;
        Cgroup *top = NULL, *sup = NULL;
        struct stat st;
        char *own = NULL;
        int r;

        if (cgfs_own_path("freezer", &own) < 0) {
                skip();
                return;
        }
        free(own);
        snprintf(name, sizeof name, "av-test-freeze1-%d", (int) getpid());
        r = cgroup_root_open(name, &root);
        check(r == 0, "cgroup_root_open: %s", strerror(-r));
        if (cgroup_root_is_unified(root)) {
                cgroup_root_free(root);
                skip();
                return;
        }
        r = cgroup_supervisor_new(root, NULL, NULL, UINT64_MAX, NULL, &top);
        check(r == 0, "the root supervisor's group: %s", strerror(-r));
        r = cgroup_supervisor_new(root, top, "w", UINT64_MAX, NULL, &sup);
        check(r == 0, "supervisor w: %s", strerror(-r));
        r = cgroup_freezer_use_v1(root);
        check(r == 0, "the v1 freezer: %s", strerror(-r));
        check(cgroup_root_freezer(root) == CGROUP_FREEZER_V1, "the v1 freezer should be in use");
        check(!cgroup_freeze_notifies(top), "the v1 freezer has no cgroup.events to watch");
        freeze_cycle(root, sup, "ticker1");

        snprintf(v1, sizeof v1, "%s/w.supervisor/ticker1.agent", root->freezer_v1_dir);
        check(stat(v1, &st) < 0, "the agent's v1 freezer group %s should be gone", v1);
        r = cgroup_remove(sup);
        check(r == 0, "removing supervisor w: %s", strerror(-r));
        snprintf(v1, sizeof v1, "%s/w.supervisor", root->freezer_v1_dir);
        check(stat(v1, &st) < 0, "the supervisor's v1 freezer group %s should be gone", v1);
        snprintf(v1, sizeof v1, "%s", root->freezer_v1_dir);
        cgroup_free(sup);
        cgroup_free(top);
        cgroup_root_free(root);
        check(stat(v1, &st) < 0, "the root's v1 freezer group %s should be gone", v1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_freeze_v2, cycle_cleanup),
                cmocka_unit_test_teardown(test_freeze_v1, cycle_cleanup),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
