/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount sandbox against a hostile file system: symlinks planted in the
 * paths the spawn child mounts on or makes mount points in, a bind source
 * swapped for a symlink between the daemon's open and the spawn, a
 * StateDirectory of the wrong owner, and the agent's fd table with sources
 * passed in. Runs with the daemon's reserved fd slots (spawn_reserve_fds()),
 * test-sandbox-mount without them. Each test checks the host's mount table
 * is unchanged and removes what it made. */

#include <fcntl.h>
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

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "sandbox-mount.h"
#include "spawn.h"

static char *const no_env[] = { (char *) "PATH=/usr/bin:/bin", NULL };
static char dir[] = "/var/tmp/avtest-sec-XXXXXX";       /* every test's files, removed at teardown */
static bool protect_cgroups;    /* SpawnParams.protect_cgroups (User=root) for the next run() */

static int test_setup(void **state) {
        if (kt_test_setup(state) < 0)
                return -1;
        memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
        if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
                return -1;
        return kt_mountinfo_save();
}

static int test_teardown(void **state) {
        char cmd[128];
        int r = kt_test_teardown(state);

        if (kt_mountinfo_check() < 0)
                r = -1;
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
        if (system(cmd) != 0)
                r = -1;
        return r < 0 ? -1 : 0;
}

static char *at(const char *fmt, ...) _printf_(1, 2);
static char *at(const char *fmt, ...) {
        static char bufs[8][256];
        static unsigned k;
        char *b = bufs[k++ % ELEMENTSOF(bufs)], rel[200];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(rel, sizeof rel, fmt, ap);
        va_end(ap);
        snprintf(b, sizeof bufs[0], "%s/%s", dir, rel);
        return b;
}

static void make_file(const char *path, const char *content) {
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);

        check(fd >= 0 && write(fd, content, strlen(content)) == (ssize_t) strlen(content), "writing %s: %m", path);
        close(fd);
}

/* Spawns `sh -c script` as root (no capabilities) in the sandbox of plan;
 * returns spawn()'s result, with the output in *ret_out when it ran. */
static int run(MountPlan *plan, const char *script, const char **ret_step, char *out, size_t size) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) script, NULL };
        SpawnParams p = kt_params("/bin/sh", argv);
        int pipefd[2], pidfd, r;
        size_t n = 0;
        pid_t pid;

        p.envp = no_env;
        p.umask = 0022;
        p.mounts = plan;
        p.protect_cgroups = protect_cgroups;
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p.stdout_fd = p.stderr_fd = pipefd[1];
        r = spawn(&p, &pid, &pidfd, ret_step);
        close(pipefd[1]);
        out[0] = 0;
        if (r == 0) {
                ssize_t k;

                while (n < size - 1 && (k = read(pipefd[0], out + n, size - 1 - n)) > 0)
                        n += (size_t) k;
                out[n] = 0;
                siginfo_t si = kt_wait_exit(pidfd);
                close(pidfd);
                check(si.si_code == CLD_EXITED && si.si_status == 0, "the probe exited %d:\n%s", si.si_status, out);
        }
        close(pipefd[0]);
        return r;
}

static MountPlan *plan_open(const MountSettings *s) {
        MountPlan *plan = NULL;
        char *error = NULL;
        int r;

        r = mount_plan_build(s, &plan, &error);
        check(r == 0, "mount_plan_build: %s", error ? error : strerror(-r));
        r = mount_plan_open_sources(plan, &error);
        check(r == 0, "mount_plan_open_sources: %s", error ? error : strerror(-r));
        return plan;
}

/* A BindPaths= destination whose missing parent lies under a symlink (a
 * directory an agent can write, such as /tmp): the child used to make the
 * mount point, as root, wherever the link pointed. */
static void test_mount_point_under_symlink(void **state) {
        char bind[512], bindf[512], script[512], out[4096];
        char *binds[] = { bind, NULL };
        const char *step = NULL;
        MountPlan *plan;
        int r;

        check(mkdir(at("src"), 0755) == 0 && mkdir(at("victim"), 0755) == 0 && mkdir(at("agentdir"), 0777) == 0,
              "mkdir: %m");
        make_file(at("srcfile"), "x\n");
        check(symlink(at("victim"), at("agentdir/link")) == 0, "symlink: %m");

        /* A directory bind: mkdir through the link. */
        snprintf(bind, sizeof bind, "%s:%s", at("src"), at("agentdir/link/made"));
        plan = plan_open(&(MountSettings) { .bind_paths = binds });
        r = run(plan, "true", &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == -ELOOP, "a symlink in the mount point's path must fail the spawn with ELOOP, got %d (%s)", r,
              strerror(-r));
        check(step && strstr(step, "symlink"), "the step should say a symlink is refused: %s", step ?: "(none)");
        check(access(at("victim/made"), F_OK) < 0 && errno == ENOENT, "a directory was made through the symlink");

        /* A file bind: its empty mount point file, created through the link. */
        snprintf(bindf, sizeof bindf, "%s:%s", at("srcfile"), at("agentdir/link/f"));
        binds[0] = bindf;
        plan = plan_open(&(MountSettings) { .bind_paths = binds });
        r = run(plan, "true", &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == -ELOOP, "file bind: expected ELOOP, got %d", r);
        check(access(at("victim/f"), F_OK) < 0 && errno == ENOENT, "a file was made through the symlink");

        /* The destination itself a symlink: the bind used to land on its target. */
        snprintf(bind, sizeof bind, "%s:%s", at("src"), at("agentdir/link"));
        binds[0] = bind;
        plan = plan_open(&(MountSettings) { .bind_paths = binds });
        r = run(plan, "true", &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == -ELOOP, "a symlink as the mount point: expected ELOOP, got %d", r);

        /* The control: the same bind without the link works, and the mount point is made. */
        snprintf(bind, sizeof bind, "%s:%s", at("src"), at("agentdir/real/made"));
        make_file(at("src/hello"), "hello\n");
        plan = plan_open(&(MountSettings) { .bind_paths = binds });
        snprintf(script, sizeof script, "cat %s", at("agentdir/real/made/hello"));
        r = run(plan, script, &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == 0, "the control bind failed at %s: %s", step ?: "?", strerror(-r));
        check(strstr(out, "hello"), "the control bind shows:\n%s", out);
}

/* ReadOnlyPaths= and InaccessiblePaths= through a symlink: refused, not
 * applied to wherever the link points (leaving the named path as it was). */
static void test_paths_through_symlink(void **state) {
        char *ro[] = { NULL, NULL }, *in[] = { NULL, NULL }, out[256];
        const char *step = NULL;
        MountPlan *plan;
        int r;

        check(mkdir(at("real"), 0755) == 0, "mkdir: %m");
        check(symlink(at("real"), at("link")) == 0, "symlink: %m");
        ro[0] = at("link");
        plan = plan_open(&(MountSettings) { .read_only_paths = ro });
        r = run(plan, "true", &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == -ELOOP && step && strstr(step, "mount_read_only"), "ReadOnlyPaths via a symlink: %d at %s", r,
              step ?: "?");

        in[0] = at("link");
        plan = plan_open(&(MountSettings) { .inaccessible_paths = in });
        r = run(plan, "true", &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == -ELOOP && step && strstr(step, "mount_inaccessible"), "InaccessiblePaths via a symlink: %d at %s",
              r, step ?: "?");
}

/* The source is opened by the daemon once: swapping it for a symlink
 * before the spawn changes nothing the agent sees. */
static void test_source_swapped_after_open(void **state) {
        char bind[512], script[512], out[4096];
        char *binds[] = { bind, NULL };
        const char *step = NULL;
        MountPlan *plan;
        int r;

        check(mkdir(at("src"), 0755) == 0 && mkdir(at("secret"), 0700) == 0, "mkdir: %m");
        make_file(at("src/which"), "the checked source\n");
        make_file(at("secret/which"), "the swapped-in target\n");
        snprintf(bind, sizeof bind, "%s:/mnt", at("src"));
        plan = plan_open(&(MountSettings) { .bind_paths = binds });
        check(rename(at("src"), at("src.old")) == 0 && symlink(at("secret"), at("src")) == 0, "swap: %m");
        snprintf(script, sizeof script, "cat /mnt/which");
        r = run(plan, script, &step, out, sizeof out);
        mount_plan_free(plan);
        check(r == 0, "spawn failed at %s: %s", step ?: "?", strerror(-r));
        check(strstr(out, "the checked source") && !strstr(out, "swapped-in"), "the agent saw:\n%s", out);

        /* Opened after the swap, the symlink is refused with a message. */
        {
                MountPlan *p2 = NULL;
                char *error = NULL;

                check(mount_plan_build(&(MountSettings) { .bind_paths = binds }, &p2, NULL) == 0, "build");
                r = mount_plan_open_sources(p2, &error);
                check(r == -ELOOP && error && strstr(error, "BindPaths") && strstr(error, "symlink"),
                      "a symlink source: %d, %s", r, error ?: "(no message)");
                free(error);
                mount_plan_free(p2);
        }
}

/* StateDirectory= is checked on the fd: a directory of mode 0700 owned by
 * the agent's uid. */
static void test_state_directory_owner(void **state) {
        MountPlan *plan = NULL;
        char *error = NULL;
        int r;

        check(mkdir(at("state"), 0700) == 0 && chown(at("state"), 61999, 61999) == 0, "mkdir: %m");
        check(mount_plan_build(&(MountSettings) { .state_directory = at("state"), .state_directory_uid = 61998 },
                               &plan, NULL) == 0, "build");
        r = mount_plan_open_sources(plan, &error);
        check(r == -EPERM && error && strstr(error, "StateDirectory") && strstr(error, "61999"),
              "a StateDirectory of another uid: %d, %s", r, error ?: "(no message)");
        error = mfree(error);
        plan = mount_plan_free(plan);

        check(chmod(at("state"), 0755) == 0, "chmod: %m");
        check(mount_plan_build(&(MountSettings) { .state_directory = at("state"), .state_directory_uid = 61999 },
                               &plan, NULL) == 0, "build");
        r = mount_plan_open_sources(plan, &error);
        check(r == -EPERM && error && strstr(error, "0755"), "a StateDirectory of mode 0755: %d, %s", r,
              error ?: "(no message)");
        free(error);
        mount_plan_free(plan);
}

/* The sources reach the agent as mounts only: its fd table is 0-2 and the
 * fd ls uses to list it. Also with protect_cgroups (User=root), whose mount
 * namespace is made before the plan's: the sources are copied before it. */
static void test_no_fd_leaks(void **state) {
        char b1[512], b2[512], out[4096];
        char *binds[] = { b1, b2, (char *) "-/nonexistent/avtest:/never", NULL };
        const char *step = NULL;
        MountPlan *plan;
        int r;

        check(mkdir(at("a"), 0755) == 0 && mkdir(at("b"), 0755) == 0, "mkdir: %m");
        snprintf(b1, sizeof b1, "%s:/mnt", at("a"));
        snprintf(b2, sizeof b2, "%s:/media", at("b"));
        make_file(at("b/hello"), "hello\n");
        for (int i = 0; i < 2; i++) {
                protect_cgroups = i == 1;
                plan = plan_open(&(MountSettings) { .bind_paths = binds, .protect_system = PROTECT_SYSTEM_STRICT });
                r = run(plan, "echo \"[$(ls /proc/self/fd | tr '\\n' ' ')]\"; cat /media/hello", &step, out,
                        sizeof out);
                protect_cgroups = false;
                mount_plan_free(plan);
                check(r == 0, "spawn (protect_cgroups=%d) failed at %s: %s", i, step ?: "?", strerror(-r));
                check(strstr(out, "[0 1 2 3 ]"), "the agent holds more fds than stdio:\n%s", out);
                check(strstr(out, "hello\n"), "the bind is missing:\n%s", out);
        }
}

/* Which steps follow symlinks: the fixed system paths of the presets (a
 * host may make /home a link to /var/home) do, the agent's own keys do not. */
static void test_plan_system_paths(void **state) {
        char *ro[] = { (char *) "/srv/ro", NULL };
        MountPlan *plan = NULL;
        size_t seen = 0;

        check(mount_plan_build(&(MountSettings) { .protect_home = PROTECT_HOME_READ_ONLY,
                                                  .protect_system = PROTECT_SYSTEM_FULL, .private_devices = true,
                                                  .read_only_paths = ro },
                               &plan, NULL) == 0, "build");
        for (size_t i = 0; i < plan->n_ops; i++) {
                const MountOp *op = &plan->ops[i];
                const char *path = op->type == MOUNT_OP_CLONE ? op->source : op->path;

                if (!path)
                        continue;
                if (strcmp(path, "/srv/ro") == 0) {
                        check(!op->system, "ReadOnlyPaths= must not follow symlinks");
                        seen++;
                } else if (op->type == MOUNT_OP_READ_ONLY || strcmp(path, "/dev/null") == 0) {
                        check(op->system, "%s is a fixed system path", path);
                        seen++;
                }
        }
        check(seen >= 6, "expected /srv/ro, /home, /root, /run/user, /usr, /etc and /dev/null, saw %zu", seen);
        mount_plan_free(plan);
}

int main(int argc, char **argv) {
        const struct CMUnitTest kernel[] = {
                cmocka_unit_test_setup_teardown(test_mount_point_under_symlink, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_paths_through_symlink, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_source_swapped_after_open, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_state_directory_owner, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_no_fd_leaks, test_setup, test_teardown),
        };
        const struct CMUnitTest unit[] = {
                cmocka_unit_test(test_plan_system_paths),
        };
        if (cmocka_run_group_tests_name("planner", unit, NULL, NULL) != 0)
                return 1;
        if (!kt_mount_can_run())
                return 0;
        /* As the daemon: the child keeps only the reserved slots (unless
         * the runner left fds open there; test-sandbox-mount covers that). */
        if (spawn_reserve_fds() < 0)
                fprintf(stderr, "fds 3-12 are in use: running without the reserved spawn slots\n");
        return cmocka_run_group_tests_name("kernel", kernel, kt_setup, kt_teardown);
}
