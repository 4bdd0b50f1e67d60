/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fixtures shared by the kernel tests that spawn into cgroups (root,
 * cgroup2): one cgroup root per test binary, a fresh agent group per test,
 * SpawnParams defaults and a bounded wait for a child's exit. Built into
 * the tests only. Include after <cmocka.h>. */

#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cgroup.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define check(cond, ...)                        \
        do {                                    \
                if (!(cond))                    \
                        fail_msg(__VA_ARGS__);  \
        } while (0)

/* The binary's root, "agentvisor-<program name>-<pid>", and the running
 * test's own agent group beneath it. */
extern CgroupRoot *kt_root;
extern Cgroup *kt_group;

/* cmocka group fixtures: open and free kt_root. */
int kt_setup(void **state);
int kt_teardown(void **state);

/* cmocka test fixtures: a fresh kt_group for each test, so that one test's
 * leftovers cannot make the next one pass; then killed and removed (bounded
 * wait for the killed processes to be reaped). */
int kt_test_setup(void **state);
int kt_test_teardown(void **state);

/* The entries of /proc/PID/fd (pid 0: our own, less the one the listing
 * itself opens); -1 when it cannot be read. */
int kt_count_fds(pid_t pid);

/* /proc/PID/oom_score_adj (pid 0: ours); fails the test if unreadable. */
int kt_oom_score_adj(pid_t pid);

/* Makes every clone3() of this process and its children fail with error
 * (a seccomp filter, as systemd's RestrictNamespaces= does with ENOSYS). */
int kt_refuse_clone3(int error);
/* The environment's test options, for main(): AV_TEST_NO_CLONE3 set:
 * kt_refuse_clone3(ENOSYS), so that spawn() takes its clone() path. */
int kt_main_options(void);

/* Whether the tests that need root and a cgroup2 mount can run here. */
bool kt_can_run(void);

/* A child that runs path with argv in group c (kt_params(): kt_group), as
 * root, in "/", with an empty environment, no output, no rlimits and umask
 * 0077; the tests change what they need. */
SpawnParams kt_params_in(Cgroup *c, const char *path, char *const *argv);
SpawnParams kt_params(const char *path, char *const *argv);

/* Whether the mount sandbox tests can run here (kt_can_run() and the
 * kernel's mount API); if not, says on stderr why they are skipped. */
bool kt_mount_can_run(void);

/* The host's mount table, read before a test that mounts in a sandbox;
 * then whether the test left it as it was (-1, with both printed, if not). */
int kt_mountinfo_save(void);
int kt_mountinfo_check(void);

/* Waits at most 10 s for the child of pidfd to end and returns its siginfo. */
siginfo_t kt_wait_exit(int pidfd);
