/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount sandbox: the planner's order and its errors (pure), then real
 * spawns of a /bin/sh probe that reports what it can see and do from
 * inside, checked from the host too. Every mount lives and dies in the
 * probe's namespace: each test compares the host's mount table before and
 * after. */

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "sandbox-mount.h"
#include "spawn.h"

/* ---- planner ---- */

static ssize_t find_op(const MountPlan *plan, MountOpType type, const char *path) {
        for (size_t i = 0; i < plan->n_ops; i++)
                if (plan->ops[i].type == type && plan->ops[i].path && strcmp(plan->ops[i].path, path) == 0)
                        return (ssize_t) i;
        return -1;
}

static MountPlan *build_ok(const MountSettings *s) {
        MountPlan *plan = NULL;
        char *error = NULL;
        int r = mount_plan_build(s, &plan, &error);

        check(r == 0, "mount_plan_build: %s (%s)", strerror(-r), error ? error : "no message");
        free(error);
        return plan;
}

static void test_plan_nothing_to_do(void **state) {
        MountSettings s = {};

        check(build_ok(&s) == NULL, "default settings need no mount namespace");
}

/* The order the SPEC asks for: the bind source under /tmp is opened before
 * anything is mounted, / turns read-only before the private /tmp is made,
 * and the bind lands in that /tmp after both. */
static void test_plan_order(void **state) {
        char *binds[] = { (char *) "/tmp/host-dir", NULL };
        char *rw[] = { (char *) "/var/lib/x", NULL };
        MountSettings s = { .private_tmp = true, .protect_system = PROTECT_SYSTEM_STRICT, .bind_paths = binds,
                            .read_write_paths = rw };
        MountPlan *plan = build_ok(&s);
        ssize_t ro = find_op(plan, MOUNT_OP_READ_ONLY, "/"), tmp = find_op(plan, MOUNT_OP_TMPFS, "/tmp"),
                bind = find_op(plan, MOUNT_OP_ATTACH, "/tmp/host-dir"), rwp = find_op(plan, MOUNT_OP_ATTACH, "/var/lib/x");
        size_t first_mount = plan->n_ops, clones = 0;

        check(plan, "a plan");
        for (size_t i = 0; i < plan->n_ops; i++)
                if (plan->ops[i].type == MOUNT_OP_CLONE) {
                        check(i < first_mount, "op %zu clones %s after a mount was made", i, plan->ops[i].source);
                        clones++;
                } else if (first_mount == plan->n_ops)
                        first_mount = i;
        /* /tmp/host-dir, /var/lib/x, and the API file systems /dev, /proc, /sys. */
        check(clones == 5, "expected 5 clones, got %zu", clones);
        check(ro >= 0 && tmp >= 0 && bind >= 0 && rwp >= 0, "missing ops: ro %zd tmp %zd bind %zd rw %zd", ro, tmp,
              bind, rwp);
        check(ro < tmp && tmp < bind, "order must be ro / (%zd) < tmpfs /tmp (%zd) < bind (%zd)", ro, tmp, bind);
        check(ro < rwp, "ReadWritePaths must come back after the read-only pass");
        for (const char *const *api = (const char *const[]) { "/dev", "/proc", "/sys", NULL }; *api; api++)
                check(find_op(plan, MOUNT_OP_ATTACH, *api) > ro, "%s must be put back after / turns read-only", *api);
        check(plan->n_fds == 5, "one fd slot per clone, got %zu", plan->n_fds);
        mount_plan_free(plan);
}

static ssize_t find_clone(const MountPlan *plan, const char *source) {
        for (size_t i = 0; i < plan->n_ops; i++)
                if (plan->ops[i].type == MOUNT_OP_CLONE && strcmp(plan->ops[i].source, source) == 0)
                        return (ssize_t) i;
        return -1;
}

/* A writable path comes back only beneath a read-only step, copied right
 * before it; at one path, and beneath an inaccessible or fresh mount, the
 * stricter or fresher setting stands; a deeper path comes after its parent. */
static void test_plan_writable_paths(void **state) {
        char *rw[] = { (char *) "/srv", (char *) "/usr/local", (char *) "/tmp/x", (char *) "/etc", NULL };
        char *ro[] = { (char *) "/srv/sub", NULL };
        char *in[] = { (char *) "/srv", NULL };
        MountSettings s = { .read_write_paths = rw, .read_only_paths = ro, .inaccessible_paths = in,
                            .protect_system = PROTECT_SYSTEM_FULL, .private_tmp = true };
        MountPlan *plan = build_ok(&s);
        ssize_t i = find_op(plan, MOUNT_OP_INACCESSIBLE, "/srv"), sub = find_op(plan, MOUNT_OP_READ_ONLY, "/srv/sub"),
                usr = find_op(plan, MOUNT_OP_READ_ONLY, "/usr"), local = find_op(plan, MOUNT_OP_ATTACH, "/usr/local"),
                copy = find_clone(plan, "/usr/local"), stage = find_op(plan, MOUNT_OP_STAGE, "/dev");

        check(i >= 0 && i < sub, "expected inaccessible /srv < ro /srv/sub: %zd %zd", i, sub);
        check(find_op(plan, MOUNT_OP_ATTACH, "/srv") < 0 && find_clone(plan, "/srv") < 0,
              "/srv is inaccessible: nothing to put back");
        check(usr >= 0 && copy == usr - 1 && usr < local,
              "/usr/local: copied right before /usr turns read-only (%zd, %zd), put back after (%zd)", copy, usr, local);
        check(find_clone(plan, "/tmp/x") < 0 && find_op(plan, MOUNT_OP_ATTACH, "/tmp/x") < 0,
              "/tmp/x is in the private, writable /tmp: the host's must not come back");
        check(find_op(plan, MOUNT_OP_ATTACH, "/etc") < 0 && find_op(plan, MOUNT_OP_READ_ONLY, "/etc") >= 0,
              "ReadWritePaths=/etc against ProtectSystem=full: the stricter stands");
        check(stage >= 0 && stage < usr, "the inaccessible file is staged before the sorted steps");
        check(plan->ops[usr].ignore_missing && !plan->ops[sub].ignore_missing,
              "ProtectSystem's paths may be missing; a listed path must exist");
        mount_plan_free(plan);

        /* With a /dev and a /proc of its own, strict puts back only /sys. */
        s = (MountSettings) { .protect_system = PROTECT_SYSTEM_STRICT, .private_devices = true,
                              .proc_subset = PROC_SUBSET_PID, .protect_proc = PROTECT_PROC_INVISIBLE };
        plan = build_ok(&s);
        check(find_op(plan, MOUNT_OP_ATTACH, "/sys") > find_op(plan, MOUNT_OP_READ_ONLY, "/"), "/sys put back");
        check(find_op(plan, MOUNT_OP_ATTACH, "/dev") < 0 && find_op(plan, MOUNT_OP_ATTACH, "/proc") < 0,
              "the host's /dev and /proc must not cover the agent's own");
        i = find_op(plan, MOUNT_OP_PROC, "/proc");
        check(i >= 0 && strcmp(plan->ops[i].options, "hidepid=invisible,subset=pid") == 0, "procfs options: %s",
              i >= 0 ? plan->ops[i].options : "(no procfs)");
        check(find_clone(plan, "/dev/null") < find_op(plan, MOUNT_OP_TMPFS, "/dev") &&
              find_op(plan, MOUNT_OP_TMPFS, "/dev") < find_op(plan, MOUNT_OP_ATTACH, "/dev/null"),
              "/dev/null is copied before the private /dev hides it, and bound into it after");
        mount_plan_free(plan);
}

static void expect_bad(MountSettings *s, const char *word1, const char *word2) {
        MountPlan *plan = NULL;
        char *error = NULL;
        int r = mount_plan_build(s, &plan, &error);

        check(r == -EINVAL, "expected EINVAL, got %d", r);
        check(!plan, "no plan on error");
        check(error && strstr(error, word1) && strstr(error, word2), "error should name %s and %s: %s", word1, word2,
              error ? error : "(none)");
        free(error);
}

static void test_plan_bad_input(void **state) {
        char *relative[] = { (char *) "/ok", (char *) "tmp/x", NULL };
        char *dotdot[] = { (char *) "/a/../etc", NULL };
        char *colons[] = { (char *) "/a:/b:/c", NULL };
        char *rel_dest[] = { (char *) "/a:b", NULL };
        char *dash_only[] = { (char *) "-", NULL };

        expect_bad(&(MountSettings) { .read_only_paths = relative }, "ReadOnlyPaths", "\"tmp/x\"");
        expect_bad(&(MountSettings) { .inaccessible_paths = dotdot }, "InaccessiblePaths", "/a/../etc");
        expect_bad(&(MountSettings) { .bind_paths = colons }, "BindPaths", "/a:/b:/c");
        expect_bad(&(MountSettings) { .bind_read_only_paths = rel_dest }, "BindReadOnlyPaths", "\"b\"");
        expect_bad(&(MountSettings) { .read_write_paths = dash_only }, "ReadWritePaths", "\"-\"");
        expect_bad(&(MountSettings) { .protect_system = (ProtectSystem) 9 }, "ProtectSystem", "9");
}

static void test_plan_normalizes(void **state) {
        char *ro[] = { (char *) "-//usr///share/", NULL };
        char *binds[] = { (char *) "/a/:/b//c/", NULL };
        MountSettings s = { .read_only_paths = ro, .bind_read_only_paths = binds };
        MountPlan *plan = build_ok(&s);
        ssize_t i = find_op(plan, MOUNT_OP_READ_ONLY, "/usr/share"), b = find_op(plan, MOUNT_OP_ATTACH, "/b/c");

        check(i >= 0 && plan->ops[i].ignore_missing, "\"-//usr///share/\" should be /usr/share, missing allowed");
        check(b >= 0 && (plan->ops[b].flags & MS_RDONLY), "a read-only bind onto /b/c");
        check(plan->ops[0].type == MOUNT_OP_CLONE && strcmp(plan->ops[0].source, "/a") == 0 && plan->ops[0].recursive,
              "the bind's source /a is copied recursively first");
        check(protect_home_from_string("read-only") == PROTECT_HOME_READ_ONLY &&
              protect_system_from_string("strict") == PROTECT_SYSTEM_STRICT &&
              protect_proc_from_string("invisible") == PROTECT_PROC_INVISIBLE &&
              proc_subset_from_string("pid") == PROC_SUBSET_PID && protect_system_from_string("maybe") < 0,
              "systemd's words");
        mount_plan_free(plan);
}

/* ---- against the kernel ---- */

static char *const no_env[] = { (char *) "PATH=/usr/bin:/bin", NULL };
static bool probe_protect_cgroups;      /* SpawnParams.protect_cgroups for the next probes */
/* What a test made on the host, removed by test_teardown() even when a
 * check failed half-way. */
static char *host_paths[4];

static void host_path_add(const char *path) {
        for (size_t i = 0; i < ELEMENTSOF(host_paths); i++)
                if (!host_paths[i]) {
                        host_paths[i] = strdup(path);
                        return;
                }
        fail_msg("too many host paths in one test");
}

static int test_setup(void **state) {
        if (kt_test_setup(state) < 0)
                return -1;
        return kt_mountinfo_save();
}

/* Also the check that no test changed the host's mounts. */
static int test_teardown(void **state) {
        int r = kt_test_teardown(state);

        if (kt_mountinfo_check() < 0)
                r = -1;
        for (size_t i = 0; i < ELEMENTSOF(host_paths); i++)
                if (host_paths[i]) {
                        char cmd[512];

                        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", host_paths[i]);
                        if (system(cmd) != 0)
                                r = -1;
                        host_paths[i] = mfree(host_paths[i]);
                }
        return r < 0 ? -1 : 0;
}

static SpawnParams params(const char *path, char *const *argv, uid_t uid) {
        SpawnParams p = kt_params(path, argv);

        p.envp = no_env;
        p.uid = p.gid = uid;
        p.umask = 0022;
        return p;
}

static char *read_pipe(int fd) {
        static char buf[8192];
        size_t n = 0;

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t k;

                check(poll(&pfd, 1, 10000) == 1, "no output from the child within 10 s");
                k = read(fd, buf + n, sizeof buf - 1 - n);
                check(k >= 0, "read: %m");
                if (k == 0)
                        break;
                n += (size_t) k;
                check(n < sizeof buf - 1, "too much output from the child");
        }
        buf[n] = 0;
        return buf;
}

/* Runs `sh -c script sh args...` as uid in the sandbox of s; returns its
 * output (stdout and stderr) after checking that it exited 0. */
static char *run_probe(const MountSettings *s, uid_t uid, const char *script, ...) {
        char *argv[16] = { (char *) "sh", (char *) "-c", (char *) script, (char *) "sh" };
        SpawnParams p = params("/bin/sh", argv, uid);
        MountPlan *plan = NULL;
        const char *step = NULL;
        char *error = NULL, *out;
        int pipefd[2], pidfd, r;
        size_t n = 4;
        va_list ap;
        pid_t pid;

        va_start(ap, script);
        for (char *a; n < ELEMENTSOF(argv) - 1 && (a = va_arg(ap, char *)); )
                argv[n++] = a;
        va_end(ap);

        r = mount_plan_build(s, &plan, &error);
        check(r == 0, "mount_plan_build: %s", error ? error : strerror(-r));
        r = mount_plan_open_sources(plan, &error);
        check(r == 0, "mount_plan_open_sources: %s", error ? error : strerror(-r));
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        p.stdout_fd = p.stderr_fd = pipefd[1];
        p.mounts = plan;
        p.protect_cgroups = probe_protect_cgroups;
        r = spawn(&p, &pid, &pidfd, &step);
        close(pipefd[1]);
        mount_plan_free(plan);
        check(r == 0, "spawn failed at step %s: %s", step ? step : "?", strerror(-r));
        out = read_pipe(pipefd[0]);
        close(pipefd[0]);
        siginfo_t si = kt_wait_exit(pidfd);
        close(pidfd);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "the probe should exit 0, got %d; output:\n%s",
              si.si_status, out);
        return out;
}

/* For each file argument: WRITABLE, EROFS, or DENIED with the message;
 * an append-open writes nothing even where it is allowed. */
#define PROBE_WRITE                                                                          \
        "for f; do if msg=$( (exec 3>>\"$f\") 2>&1 ); then echo \"WRITABLE $f\"; "          \
        "else case $msg in *Read-only*) echo \"EROFS $f\";; *) echo \"DENIED $f: $msg\";; " \
        "esac; fi; done"

static _printf_(2, 3) void expect_line(const char *out, const char *fmt, ...) {
        char line[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        check(strstr(out, line), "expected \"%s\" from the probe, got:\n%s", line, out);
}

static void test_private_tmp(void **state) {
        MountSettings s = { .private_tmp = true };
        char host[64], agent[64], *out;
        int fd;

        snprintf(host, sizeof host, "/tmp/avtest-host-%d", (int) getpid());
        snprintf(agent, sizeof agent, "/tmp/avtest-agent-%d", (int) getpid());
        host_path_add(host);
        host_path_add(agent);
        fd = open(host, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        check(fd >= 0, "creating %s: %m", host);
        close(fd);

        out = run_probe(&s, 65534, "echo \"[$(ls -A /tmp /var/tmp | tr '\\n' ' ')]\"; "
                                   "stat -c 'mode %a' /tmp; echo x > \"$1\" && echo WROTE; ls -A /tmp", agent, NULL);
        expect_line(out, "[/tmp:  /var/tmp: ]");
        expect_line(out, "mode 1777\n");
        expect_line(out, "WROTE\navtest-agent-%d\n", (int) getpid());
        check(access(agent, F_OK) < 0 && errno == ENOENT, "the agent's %s leaked onto the host", agent);
}

/* EROFS, not EACCES: the probe is uid 0 (without capabilities). */
static void test_protect_system(void **state) {
        MountSettings s = { .protect_system = PROTECT_SYSTEM_YES };
        char *out;

        out = run_probe(&s, 0, PROBE_WRITE, "/usr/lib/os-release", "/etc/passwd", NULL);
        expect_line(out, "EROFS /usr/lib/os-release\n");
        expect_line(out, "WRITABLE /etc/passwd\n");

        /* The agent cannot undo it: without CAP_SYS_ADMIN no umount, no remount. */
        s.protect_system = PROTECT_SYSTEM_FULL;
        out = run_probe(&s, 0, "umount -l /usr 2>/dev/null; umount -l /etc 2>/dev/null; "
                               "mount -o remount,bind,rw /usr 2>/dev/null; " PROBE_WRITE,
                        "/usr/lib/os-release", "/etc/passwd", NULL);
        expect_line(out, "EROFS /usr/lib/os-release\n");
        expect_line(out, "EROFS /etc/passwd\n");

        s.protect_system = PROTECT_SYSTEM_NO;
        out = run_probe(&s, 0, PROBE_WRITE, "/usr/lib/os-release", NULL);
        expect_line(out, "WRITABLE /usr/lib/os-release\n");
}

/* /root as the probe for all three (/home and /run/user may be missing,
 * which ProtectHome allows). */
static void test_protect_home(void **state) {
        MountSettings s = { .protect_home = PROTECT_HOME_READ_ONLY };
        const char *script = PROBE_WRITE "; echo \"[$(ls -A /root 2>&1 | grep -c .)]\"";
        char *out;

        if (access("/root/.profile", F_OK) < 0)
                skip();
        out = run_probe(&s, 0, script, "/root/.profile", NULL);
        expect_line(out, "EROFS /root/.profile\n");
        check(!strstr(out, "[0]"), "ProtectHome=read-only should still show /root:\n%s", out);

        s.protect_home = PROTECT_HOME_TMPFS;
        out = run_probe(&s, 0, script, "/root/.profile", NULL);
        expect_line(out, "EROFS /root/.profile\n");
        expect_line(out, "[0]\n");

        s.protect_home = PROTECT_HOME_YES;
        out = run_probe(&s, 0, script, "/root/.profile", NULL);
        expect_line(out, "DENIED /root/.profile");
        check(strstr(out, "Permission denied"), "ProtectHome=yes should deny /root:\n%s", out);
}

static void test_strict_writable_paths(void **state) {
        char rw[] = "/var/tmp/avtest-rw-XXXXXX", ro[] = "/var/tmp/avtest-ro-XXXXXX",
             st[] = "/var/tmp/avtest-state-XXXXXX", f_rw[64], f_ro[64], f_st[64], *out;
        char *rws[] = { rw, (char *) "-/nonexistent/avtest", NULL };
        MountSettings s = { .protect_system = PROTECT_SYSTEM_STRICT, .read_write_paths = rws, .state_directory = st };

        check(mkdtemp(rw) && mkdtemp(ro) && mkdtemp(st), "mkdtemp: %m");
        host_path_add(rw);
        host_path_add(ro);
        host_path_add(st);
        snprintf(f_rw, sizeof f_rw, "%s/f", rw);
        snprintf(f_ro, sizeof f_ro, "%s/f", ro);
        snprintf(f_st, sizeof f_st, "%s/f", st);
        out = run_probe(&s, 0, PROBE_WRITE "; echo hi > \"$1\"", f_rw, f_ro, f_st, "/usr/lib/os-release", "/etc/passwd",
                        "/dev/null", "/proc/self/comm", NULL);
        check(access(f_ro, F_OK) < 0, "a path outside ReadWritePaths was written under strict");
        expect_line(out, "WRITABLE %s\n", f_rw);
        expect_line(out, "EROFS %s\n", f_ro);
        expect_line(out, "WRITABLE %s\n", f_st);
        expect_line(out, "EROFS /usr/lib/os-release\n");
        expect_line(out, "EROFS /etc/passwd\n");
        expect_line(out, "WRITABLE /dev/null\n");
        expect_line(out, "WRITABLE /proc/self/comm\n");
        check(access(f_rw, F_OK) == 0, "the write to ReadWritePaths did not reach the host:\n%s", out);
}

static void test_inaccessible_paths(void **state) {
        char dir[] = "/var/tmp/avtest-in-XXXXXX", sub[64], secret[64], missing[64], *out;
        char *in[] = { sub, secret, missing, NULL };
        MountSettings s = { .inaccessible_paths = in };
        char *argv[] = { (char *) "true", NULL };
        SpawnParams p;
        MountPlan *plan = NULL;
        const char *step = NULL;
        pid_t pid = 0;
        int pidfd = -1, r;

        check(mkdtemp(dir), "mkdtemp: %m");
        host_path_add(dir);
        snprintf(sub, sizeof sub, "%s/sub", dir);
        snprintf(secret, sizeof secret, "%s/secret", dir);
        snprintf(missing, sizeof missing, "-%s/missing", dir);
        check(mkdir(sub, 0755) == 0, "mkdir: %m");
        check((r = open(secret, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) >= 0, "open: %m");
        check(write(r, "s3cret\n", 7) == 7, "write: %m");
        close(r);

        out = run_probe(&s, 0, "ls \"$1\" 2>&1; cat \"$2\" 2>&1; ls \"$3\" | tr '\\n' ' '; echo", sub, secret, dir,
                        NULL);
        check(!strstr(out, "s3cret"), "an inaccessible file was read:\n%s", out);
        check(strstr(out, "Permission denied"), "expected EACCES for the inaccessible paths:\n%s", out);
        expect_line(out, "secret sub \n");

        /* Without '-' a missing path is an error, named by step. */
        missing[0] = '/';
        memmove(missing, missing + 1, strlen(missing));
        check(mount_plan_build(&s, &plan, NULL) == 0, "mount_plan_build");
        p = params("/bin/true", argv, 0);
        p.mounts = plan;
        r = spawn(&p, &pid, &pidfd, &step);
        mount_plan_free(plan);
        check(r == -ENOENT && step && strcmp(step, "mount_inaccessible") == 0,
              "a missing InaccessiblePaths entry should fail at mount_inaccessible with ENOENT, got %d at %s", r,
              step ? step : "?");
}

/* A host directory under /tmp passes into the private /tmp, at its own
 * path and at another one; the read-only copy refuses writes. */
static void test_bind_under_private_tmp(void **state) {
        char dir[] = "/tmp/avtest-bind-XXXXXX", hello[64], bind2[128], bindro[128], elsewhere[64], *out;
        char *binds[] = { dir, bind2, (char *) "-/nonexistent/avtest:/tmp/never", NULL };
        char *robinds[] = { bindro, NULL };
        MountSettings s = { .private_tmp = true, .protect_system = PROTECT_SYSTEM_STRICT, .bind_paths = binds,
                            .bind_read_only_paths = robinds };
        int fd;

        check(mkdtemp(dir), "mkdtemp: %m");
        host_path_add(dir);
        snprintf(hello, sizeof hello, "%s/hello", dir);
        snprintf(elsewhere, sizeof elsewhere, "/tmp/avtest-elsewhere-%d", (int) getpid());
        snprintf(bind2, sizeof bind2, "%s:%s/x", dir, elsewhere);
        snprintf(bindro, sizeof bindro, "%s:/tmp/avtest-ro-%d", dir, (int) getpid());
        fd = open(hello, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        check(fd >= 0 && write(fd, "hello\n", 6) == 6, "writing %s: %m", hello);
        close(fd);

        out = run_probe(&s, 0, "cat \"$1/hello\" \"$2/x/hello\" \"$3/hello\"; echo new > \"$1/new\" && echo WROTE; "
                               "(echo > \"$3/new2\") 2>&1; test -e /tmp/never || echo NEVER",
                        dir, elsewhere, strchr(bindro, ':') + 1, NULL);
        expect_line(out, "hello\nhello\nhello\nWROTE\n");
        check(strstr(out, "Read-only file system"), "BindReadOnlyPaths should refuse writes:\n%s", out);
        expect_line(out, "NEVER\n");
        check(access(elsewhere, F_OK) < 0, "the bind's mount point %s was made on the host", elsewhere);
        snprintf(hello, sizeof hello, "%s/new", dir);
        check(access(hello, F_OK) == 0, "a write through BindPaths should reach the host");
}

static void test_private_devices(void **state) {
        MountSettings s = { .private_devices = true, .protect_system = PROTECT_SYSTEM_STRICT };
        const char *expected = access("/dev/tty", F_OK) == 0 ?
                "[fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ]" :
                "[fd full null ptmx pts random shm stderr stdin stdout urandom zero ]";
        char *out;

        out = run_probe(&s, 0, "echo \"[$(ls -A /dev | sort | tr '\\n' ' ')]\"; echo x > /dev/null && echo NULL; "
                               "head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; ls -A /dev/pts; "
                               "echo s > /dev/shm/s && echo SHM",
                        NULL);
        expect_line(out, "%s\n", expected);
        expect_line(out, "NULL\n4\n4\nptmx\nSHM\n");

        /* The nodes are made (mknod) as the host's, not bound from it: no
         * mount of its own, and usable by an agent that is not root. */
        out = run_probe(&s, 65534, "stat -c '%F %a %t:%T' /dev/null /dev/zero /dev/urandom; "
                                   "grep -c ' /dev/null ' /proc/self/mountinfo; echo x > /dev/null && echo NULL",
                        NULL);
        expect_line(out, "character special file 666 1:3\ncharacter special file 666 1:5\n"
                         "character special file 666 1:9\n0\nNULL\n");
}

/* Where the kernel refuses mknod() (here: a v1 device cgroup that denies
 * it, as container managers set; a user namespace's root likewise), the
 * private /dev gets the host's nodes bound instead, and still works. The
 * spawn is made from a fork of this test inside that group (a spawn child
 * starts in its parent's device group); the fork reports through a pipe. */
static void test_private_devices_mknod_refused(void **state) {
        static const char script[] = "stat -c '%F %a %t:%T' /dev/null; grep -c ' /dev/null ' /proc/self/mountinfo; "
                                     "echo x > /dev/null && echo NULL";
        MountSettings s = { .private_devices = true, .protect_system = PROTECT_SYSTEM_STRICT };
        char own[256] = "", group[512], procs[600], deny[600], *cg = NULL, *line, *out;
        int pipefd[2], status = 0;
        pid_t child;

        if (access("/sys/fs/cgroup/devices/devices.deny", W_OK) < 0) {
                fprintf(stderr, "skipped: no writable v1 device cgroup here\n");
                skip();
        }
        check(cgfs_read(AT_FDCWD, "/proc/self/cgroup", &cg) == 0, "cannot read /proc/self/cgroup");
        line = strstr(cg, ":devices:");
        check(line, "no devices line in /proc/self/cgroup:\n%s", cg);
        sscanf(line + strlen(":devices:"), "%255[^\n]", own);
        free(cg);
        snprintf(group, sizeof group, "/sys/fs/cgroup/devices%s/avtest-mknod-%d", strcmp(own, "/") == 0 ? "" : own,
                 (int) getpid());
        snprintf(procs, sizeof procs, "%s/cgroup.procs", group);
        snprintf(deny, sizeof deny, "%s/devices.deny", group);
        check(mkdir(group, 0755) == 0, "mkdir %s: %m", group);
        if (cgfs_write(AT_FDCWD, deny, "c *:* m") < 0) {
                (void) rmdir(group);
                fail_msg("cannot deny mknod in %s", group);
        }

        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe2: %m");
        child = fork();
        check(child >= 0, "fork: %m");
        if (child == 0) {
                char *argv[] = { (char *) "sh", (char *) "-c", (char *) script, NULL };
                SpawnParams p = params("/bin/sh", argv, 0);
                MountPlan *plan = NULL;
                const char *step = NULL;
                pid_t pid;
                int pidfd;

                if (cgfs_write(AT_FDCWD, procs, "0") < 0 || mount_plan_build(&s, &plan, NULL) < 0 ||
                    mount_plan_open_sources(plan, NULL) < 0)
                        _exit(2);
                p.stdout_fd = p.stderr_fd = pipefd[1];
                p.mounts = plan;
                if (spawn(&p, &pid, &pidfd, &step) < 0) {
                        dprintf(pipefd[1], "spawn failed at %s\n", step ? step : "?");
                        _exit(3);
                }
                (void) waitid((idtype_t) P_PIDFD, (id_t) pidfd, NULL, WEXITED);
                _exit(0);
        }
        close(pipefd[1]);
        out = read_pipe(pipefd[0]);
        close(pipefd[0]);
        (void) waitpid(child, &status, 0);
        check(rmdir(group) == 0, "rmdir %s: %m", group);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fork failed (%d):\n%s", status, out);
        expect_line(out, "character special file 666 1:3\n1\nNULL\n");
}

/* A process of another uid is not listed under ProtectProc=invisible; the
 * same probe without it sees it, so the check means something. The probe is
 * not gid 0: procfs always shows everything to its gid= (0 by default). */
static void test_protect_proc(void **state) {
        char *argv[] = { (char *) "sleep", (char *) "10", NULL };
        SpawnParams p = params("/bin/sleep", argv, 65534);
        MountSettings s = { .protect_proc = PROTECT_PROC_INVISIBLE };
        const char *step = NULL, *script = "test -e /proc/$1 && echo VISIBLE || echo HIDDEN; "
                                           "test -e /proc/self/status && echo SELF; test -e /proc/sys/kernel && echo SYS; true";
        char pidstr[16], *out;
        int pidfd, r;
        pid_t pid;

        r = spawn(&p, &pid, &pidfd, &step);
        check(r == 0, "spawn(sleep) failed at %s: %s", step ? step : "?", strerror(-r));
        snprintf(pidstr, sizeof pidstr, "%d", (int) pid);

        out = run_probe(&(MountSettings) {}, 65533, script, pidstr, NULL);
        expect_line(out, "VISIBLE\nSELF\nSYS\n");
        out = run_probe(&s, 65533, script, pidstr, NULL);
        expect_line(out, "HIDDEN\nSELF\nSYS\n");
        s.protect_proc = PROTECT_PROC_DEFAULT;
        s.proc_subset = PROC_SUBSET_PID;
        out = run_probe(&s, 65533, script, pidstr, NULL);
        expect_line(out, "VISIBLE\nSELF\n");
        check(!strstr(out, "SYS"), "ProcSubset=pid should hide /proc/sys:\n%s", out);

        check(pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        (void) kt_wait_exit(pidfd);
        close(pidfd);
}

/* The two mount namespaces compose: under ProtectSystem=strict /sys comes
 * back as the host has it (the probe can reach its cgroup.procs), and with
 * protect_cgroups (User=root) the read-only cgroupfs stays read-only. */
static void test_strict_keeps_protect_cgroups(void **state) {
        MountSettings s = { .protect_system = PROTECT_SYSTEM_STRICT };
        char *mount = NULL, *procs = NULL, *out;
        bool pure;

        check(cgfs_find_unified(&mount, &pure) == 0, "no cgroup2 mount");
        check(asprintf(&procs, "%s%s/cgroup.procs", mount, cgroup_path(kt_group)) > 0, "oom");
        free(mount);

        out = run_probe(&s, 0, PROBE_WRITE, procs, "/usr/lib/os-release", NULL);
        expect_line(out, "WRITABLE %s\n", procs);
        expect_line(out, "EROFS /usr/lib/os-release\n");

        probe_protect_cgroups = true;
        out = run_probe(&s, 0, PROBE_WRITE, procs, "/usr/lib/os-release", NULL);
        probe_protect_cgroups = false;
        expect_line(out, "EROFS %s\n", procs);
        expect_line(out, "EROFS /usr/lib/os-release\n");
        free(procs);
}

int main(int argc, char **argv) {
        const struct CMUnitTest unit[] = {
                cmocka_unit_test(test_plan_nothing_to_do),
                cmocka_unit_test(test_plan_order),
                cmocka_unit_test(test_plan_writable_paths),
                cmocka_unit_test(test_plan_bad_input),
                cmocka_unit_test(test_plan_normalizes),
        };
        const struct CMUnitTest kernel[] = {
                cmocka_unit_test_setup_teardown(test_private_tmp, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_protect_system, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_protect_home, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_strict_writable_paths, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_inaccessible_paths, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_private_devices_mknod_refused, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_bind_under_private_tmp, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_private_devices, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_protect_proc, test_setup, test_teardown),
                cmocka_unit_test_setup_teardown(test_strict_keeps_protect_cgroups, test_setup, test_teardown),
        };
        int r;

        r = cmocka_run_group_tests_name("planner", unit, NULL, NULL);
        if (r != 0)
                return r;
        if (!kt_mount_can_run())
                return 0;
        return cmocka_run_group_tests_name("kernel", kernel, kt_setup, kt_teardown);
}
