/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Landlock rulesets enforced in spawned agents, against the real kernel, as
 * root: a directory that root could write (the control spawn shows it) is
 * read-only under Landlock, a writable one stays writable, narrower paths
 * inside wider ones are carved out, TCP connect and bind are limited to the
 * listed ports, and the ruleset fd does not leak into the agent. The spawned
 * program is this binary in "--child" mode: it makes one call and exits
 * with the errno it got (0: success). */

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "kernel-test-util.h"
#include "macro.h"
#include "sandbox-landlock.h"
#include "spawn.h"

static char self[PATH_MAX];
static char tmpdir[] = "/tmp/agentvisor-test-landlock-XXXXXX";

/* --child OP ARG: one call, exit status = its errno. */
static int child_main(const char *op, const char *arg) {
        if (strcmp(op, "write") == 0) {
                int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd < 0 || write(fd, "x", 1) != 1)
                        return errno;
                return close(fd) < 0 ? errno : 0;
        }
        if (strcmp(op, "read") == 0) {
                char c;
                int fd = open(arg, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || read(fd, &c, 1) < 0)
                        return errno;
                return 0;
        }
        if (strcmp(op, "list") == 0) {
                DIR *d = opendir(arg);
                if (!d)
                        return errno;
                closedir(d);
                return 0;
        }
        if (strcmp(op, "connect") == 0 || strcmp(op, "bind") == 0) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(arg)),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return errno;
                if (op[0] == 'c' ? connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0
                                 : bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                        return errno;
                return 0;
        }
        if (strcmp(op, "fds") == 0) {
                /* Exit status: the number of fds above 2 (the listing's own
                 * fd included). */
                DIR *d = opendir("/proc/self/fd");
                struct dirent *de;
                int n = 0;
                if (!d)
                        return 200;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.' && atoi(de->d_name) > 2)
                                n++;
                return n;
        }
        return 201;
}

static int setup(void **state) {
        ssize_t n;

        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0)
                return -1;
        self[n] = 0;
        if (kt_setup(state) < 0)
                return -1;
        if (!mkdtemp(tmpdir)) {
                print_error("mkdtemp: %m\n");
                return -1;
        }
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        (void) kt_teardown(state);
        /* Only our own mkdtemp() directory. */
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static char *tpath(const char *rel) {
        static char buf[4][PATH_MAX];
        static unsigned i;
        char *p = buf[i++ % 4];

        snprintf(p, PATH_MAX, "%s%s%s", tmpdir, rel[0] ? "/" : "", rel);
        return p;
}

/* Runs this binary as "--child op arg" as uid 0 with the ruleset (NULL:
 * none) and returns its exit status, or -errno of a failed spawn. */
static int run_child(const LandlockRuleset *rs, const char *op, const char *arg, const char **ret_step) {
        char *argv[] = { (char *) "child", (char *) "--child", (char *) op, (char *) arg, NULL };
        SpawnParams p = kt_params(self, argv);
        struct pollfd pfd;
        siginfo_t si = {};
        pid_t pid;
        int pidfd, r;

        p.landlock = rs;
        r = spawn(&p, &pid, &pidfd, ret_step);
        if (r < 0)
                return r;
        pfd = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        check(poll(&pfd, 1, 10000) == 1, "child %s %s did not exit within 10 s", op, arg);
        check(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG) == 0, "waitid: %m");
        close(pidfd);
        check(si.si_code == CLD_EXITED, "child %s %s was killed by signal %d", op, arg, si.si_status);
        return si.si_status;
}

static void expect_child(const LandlockRuleset *rs, const char *op, const char *arg, int error) {
        const char *step = NULL;
        int r = run_child(rs, op, arg, &step);

        check(r >= 0, "spawn for %s %s failed at %s: %s", op, arg, step ? step : "?", strerror(-r));
        check(r == error, "child %s %s: expected %s, got %s (%d)", op, arg, error ? strerror(error) : "success",
              r ? strerror(r) : "success", r);
}

static LandlockRuleset *build(const LandlockSpec *spec) {
        LandlockRuleset *rs = NULL;
        char *error = NULL;
        int r;

        r = landlock_ruleset_build(spec, &rs, &error);
        check(r == 0, "landlock_ruleset_build: %s (%s)", strerror(-r), error ? error : "no message");
        check(rs && rs->fd >= 3, "the ruleset fd must be above 2, got %d", rs ? rs->fd : -1);
        free(error);
        return rs;
}

static void make_tree(void) {
        const char *dirs[] = { "ro", "rw", "rw/secret", "rw/ro2" };
        const char *files[] = { "ro/file", "rw/secret/file", "rw/ro2/file" };

        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
                check(mkdir(tpath(dirs[i]), 0700) == 0 || errno == EEXIST, "mkdir %s: %m", dirs[i]);
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                int fd = open(tpath(files[i]), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                check(fd >= 0 && write(fd, "data", 4) == 4, "create %s: %m", files[i]);
                close(fd);
        }
}

static LandlockPath fs_paths[8];

/* / read-only, rw writable, an optional missing path; with carve, rw/secret
 * inaccessible and rw/ro2 read-only inside rw. */
static LandlockSpec fs_spec(bool carve) {
        size_t n = 0;

        fs_paths[n++] = (LandlockPath) { "/", LANDLOCK_PATH_READ_ONLY, false };
        fs_paths[n++] = (LandlockPath) { "/nonexistent-agentvisor-optional", LANDLOCK_PATH_READ_WRITE, true };
        fs_paths[n++] = (LandlockPath) { strdup(tpath("rw")), LANDLOCK_PATH_READ_WRITE, false };
        if (carve) {
                fs_paths[n++] = (LandlockPath) { strdup(tpath("rw/secret")), LANDLOCK_PATH_INACCESSIBLE, false };
                fs_paths[n++] = (LandlockPath) { strdup(tpath("rw/ro2")), LANDLOCK_PATH_READ_ONLY, false };
        }
        return (LandlockSpec) { .filesystem = true, .paths = fs_paths, .n_paths = n };
}

static void fs_spec_free(LandlockSpec *s) {
        for (size_t i = 2; i < s->n_paths; i++)
                free((char *) s->paths[i].path);
}

/* The first test, before any fd reservation: the ruleset fd is passed in
 * place and must survive the child's closing of fds until it is used. */
static void test_readonly_even_for_root(void **state) {
        LandlockSpec spec;
        LandlockRuleset *rs;

        make_tree();
        /* Without Landlock the uid-0 child writes there: the denial below
         * is Landlock's, not the file mode's. */
        expect_child(NULL, "write", tpath("ro/control"), 0);
        check(access(tpath("ro/control"), F_OK) == 0, "the control write left no file");

        spec = fs_spec(false);
        rs = build(&spec);
        expect_child(rs, "write", tpath("ro/new"), EACCES);
        check(access(tpath("ro/new"), F_OK) < 0 && errno == ENOENT, "the denied write created ro/new");
        expect_child(rs, "write", tpath("ro/control"), EACCES);
        expect_child(rs, "read", tpath("ro/file"), 0);
        expect_child(rs, "list", tpath("ro"), 0);
        expect_child(rs, "write", "/usr/agentvisor-landlock-test", EACCES);
        expect_child(rs, "read", "/etc/passwd", 0);

        expect_child(rs, "write", tpath("rw/new"), 0);
        check(access(tpath("rw/new"), F_OK) == 0, "the allowed write left no rw/new");
        expect_child(rs, "list", tpath("rw"), 0);
        fs_spec_free(&spec);
        landlock_ruleset_free(rs);
}

/* Landlock only adds rights down a tree: the narrower paths inside the
 * writable one must still hold. */
static void test_narrower_paths_carved_out(void **state) {
        LandlockSpec spec;
        LandlockRuleset *rs;

        make_tree();
        check(open(tpath("rw/existing"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0, "create rw/existing: %m");
        spec = fs_spec(true);
        rs = build(&spec);
        expect_child(rs, "read", tpath("rw/secret/file"), EACCES);
        expect_child(rs, "list", tpath("rw/secret"), EACCES);
        expect_child(rs, "write", tpath("rw/secret/new"), EACCES);
        expect_child(rs, "write", tpath("rw/ro2/new"), EACCES);
        expect_child(rs, "write", tpath("rw/ro2/file"), EACCES);
        expect_child(rs, "read", tpath("rw/ro2/file"), 0);
        /* Beside them, what was in the writable directory stays writable;
         * adding entries directly to it would mean adding them to rw/secret
         * too, so that is denied (the documented cost of a carve-out). */
        expect_child(rs, "write", tpath("rw/existing"), 0);
        expect_child(rs, "write", tpath("rw/carved-new"), EACCES);
        expect_child(rs, "list", tpath("rw"), EACCES);
        fs_spec_free(&spec);
        landlock_ruleset_free(rs);
}

/* A path beneath an inaccessible one gets no rule: Landlock's view keeps
 * it unreachable, as the mount sandbox does (ReadWritePaths=/x/secret/y
 * with InaccessiblePaths=/x/secret). A bind source there keeps its rule:
 * it is reached through the bind. */
static void test_nothing_beneath_inaccessible(void **state) {
        char rw[PATH_MAX], secret[PATH_MAX], inner[PATH_MAX];
        LandlockPath paths[] = {
                { "/", LANDLOCK_PATH_READ_ONLY, false },
                { rw, LANDLOCK_PATH_READ_WRITE, false },
                { secret, LANDLOCK_PATH_INACCESSIBLE, false },
                { inner, LANDLOCK_PATH_READ_WRITE, false },
        };
        LandlockSpec spec = { .filesystem = true, .paths = paths, .n_paths = ELEMENTSOF(paths) };
        LandlockRuleset *rs;
        int fd;

        make_tree();
        snprintf(rw, sizeof rw, "%s", tpath("rw"));
        snprintf(secret, sizeof secret, "%s", tpath("rw/secret"));
        snprintf(inner, sizeof inner, "%s", tpath("rw/secret/inner"));
        check(mkdir(inner, 0700) == 0 || errno == EEXIST, "mkdir: %m");
        fd = open(tpath("rw/secret/inner/file"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        check(fd >= 0 && write(fd, "data", 4) == 4, "create: %m");
        close(fd);

        rs = build(&spec);
        expect_child(rs, "read", tpath("rw/secret/inner/file"), EACCES);
        expect_child(rs, "write", tpath("rw/secret/inner/new"), EACCES);
        expect_child(rs, "read", tpath("rw/secret/file"), EACCES);
        landlock_ruleset_free(rs);

        paths[3].bind_source = true;
        rs = build(&spec);
        expect_child(rs, "read", tpath("rw/secret/inner/file"), 0);
        expect_child(rs, "read", tpath("rw/secret/file"), EACCES);
        landlock_ruleset_free(rs);
}

/* A read-only path inside a writable one: the writable directory itself
 * keeps what both allow (it can be listed and read), not more. */
static void test_readonly_inside_writable(void **state) {
        char rw[PATH_MAX], ro2[PATH_MAX];
        LandlockPath paths[] = {
                { "/", LANDLOCK_PATH_READ_ONLY, false },
                { rw, LANDLOCK_PATH_READ_WRITE, false },
                { ro2, LANDLOCK_PATH_READ_ONLY, false },
        };
        LandlockSpec spec = { .filesystem = true, .paths = paths, .n_paths = ELEMENTSOF(paths) };
        LandlockRuleset *rs;

        snprintf(rw, sizeof rw, "%s", tpath("rw"));
        snprintf(ro2, sizeof ro2, "%s", tpath("rw/ro2"));
        make_tree();
        check(open(tpath("rw/existing"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0, "create rw/existing: %m");
        rs = build(&spec);
        expect_child(rs, "list", tpath("rw"), 0);
        expect_child(rs, "read", tpath("rw/existing"), 0);
        expect_child(rs, "write", tpath("rw/existing"), 0);
        expect_child(rs, "write", tpath("rw/ro2/new"), EACCES);
        expect_child(rs, "write", tpath("rw/ro2/file"), EACCES);
        expect_child(rs, "read", tpath("rw/ro2/file"), 0);
        expect_child(rs, "list", tpath("rw/ro2"), 0);
        landlock_ruleset_free(rs);
}

static void test_missing_path_is_error(void **state) {
        LandlockPath paths[] = {
                { "/", LANDLOCK_PATH_READ_ONLY, false },
                { "/nonexistent-agentvisor-required", LANDLOCK_PATH_READ_WRITE, false },
        };
        LandlockSpec spec = { .filesystem = true, .paths = paths, .n_paths = 2 };
        LandlockRuleset *rs = (LandlockRuleset *) 1;
        char *error = NULL;
        int r;

        r = landlock_ruleset_build(&spec, &rs, &error);
        check(r == -ENOENT, "a missing required path should give ENOENT, got %d", r);
        check(error && strstr(error, "/nonexistent-agentvisor-required"), "the message must name the path: %s",
              error ? error : "(none)");
        check(rs == (LandlockRuleset *) 1, "*ret must be untouched on failure");
        free(error);

        paths[1].path = "/usr//lib";
        error = NULL;
        r = landlock_ruleset_build(&spec, &rs, &error);
        check(r == -EINVAL && error && strstr(error, "/usr//lib"), "an unnormalized path should give EINVAL "
              "naming it, got %d (%s)", r, error ? error : "(none)");
        free(error);
}

static void test_nothing_to_restrict(void **state) {
        LandlockSpec spec = {};
        LandlockRuleset *rs = (LandlockRuleset *) 1;

        check(landlock_ruleset_build(&spec, &rs, NULL) == 0 && !rs, "an empty spec gives no ruleset");
}

/* A listener on 127.0.0.1, ephemeral port; returns the fd, port in *ret. */
static int listener(uint16_t *ret) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        check(fd >= 0, "socket: %m");
        check(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0 && listen(fd, 8) == 0, "bind/listen: %m");
        check(getsockname(fd, (struct sockaddr *) &sa, &len) == 0, "getsockname: %m");
        *ret = ntohs(sa.sin_port);
        return fd;
}

static bool net_skip(void) {
        if (landlock_abi() >= 4)
                return false;
        print_message("SKIP: Landlock ABI %d has no TCP port rules (needs 4)\n", landlock_abi());
        return true;
}

static void test_tcp_connect(void **state) {
        uint16_t a, b;
        int la, lb;
        LandlockRuleset *rs;
        char pa[8], pb[8];

        if (net_skip())
                skip();
        la = listener(&a);
        lb = listener(&b);
        snprintf(pa, sizeof pa, "%u", a);
        snprintf(pb, sizeof pb, "%u", b);
        {
                LandlockSpec spec = { .tcp_connect = true, .tcp_connect_ports = &a, .n_tcp_connect_ports = 1 };
                rs = build(&spec);
        }
        expect_child(NULL, "connect", pb, 0);    /* reachable without the ruleset */
        expect_child(rs, "connect", pa, 0);
        expect_child(rs, "connect", pb, EACCES);
        /* No filesystem rules asked for: files are not restricted. */
        expect_child(rs, "write", tpath("net-file"), 0);
        landlock_ruleset_free(rs);
        close(la);
        close(lb);
}

static void test_tcp_bind(void **state) {
        uint16_t a, b;
        int la, lb;
        LandlockRuleset *rs;
        char pa[8], pb[8];

        if (net_skip())
                skip();
        /* Two free ports: take them, then let them go for the child. */
        la = listener(&a);
        lb = listener(&b);
        close(la);
        close(lb);
        snprintf(pa, sizeof pa, "%u", a);
        snprintf(pb, sizeof pb, "%u", b);
        {
                LandlockSpec spec = { .tcp_bind = true, .tcp_bind_ports = &a, .n_tcp_bind_ports = 1 };
                rs = build(&spec);
        }
        expect_child(NULL, "bind", pb, 0);
        expect_child(rs, "bind", pa, 0);
        expect_child(rs, "bind", pb, EACCES);
        landlock_ruleset_free(rs);
}

/* A ruleset the kernel refuses to enforce is a spawn failure at step
 * "landlock", never an agent without it. */
static void test_bad_ruleset_fails_spawn(void **state) {
        LandlockRuleset rs = { .fd = open("/dev/null", O_RDONLY | O_CLOEXEC) };
        const char *step = NULL;
        int r;

        check(rs.fd >= 3, "open /dev/null: %m");
        r = run_child(&rs, "write", tpath("never"), &step);
        check(r < 0 && step && strcmp(step, "landlock") == 0,
              "a non-ruleset fd must fail the spawn at landlock, got %d at %s", r, step ? step : "-");
        check(access(tpath("never"), F_OK) < 0, "the agent ran without its ruleset");
        close(rs.fd);
}

/* With the fd slots reserved (the daemon's way), the ruleset goes through
 * a slot; the agent sees no fd of it after exec. In a worker process, so
 * that this process's own fds need not move. */
static void test_reserved_slots(void **state) {
        LandlockSpec spec;
        LandlockRuleset *rs;
        int status;
        pid_t worker;

        make_tree();
        spec = fs_spec(false);
        rs = build(&spec);
        worker = fork();
        check(worker >= 0, "fork: %m");
        if (worker == 0) {
                int high = fcntl(rs->fd, F_DUPFD_CLOEXEC, 64), cg = fcntl(cgroup_dir_fd(kt_group), F_DUPFD_CLOEXEC, 64);
                char *argv[] = { (char *) "child", (char *) "--child", (char *) "write", tpath("ro/slot"), NULL };
                SpawnParams p = kt_params(self, argv);
                siginfo_t si = {};
                pid_t pid;
                int pidfd;

                p.cgroup_fd = cg;
                p.landlock = rs;
                if (high < 0 || cg < 0)
                        _exit(10);
                rs->fd = high;
                for (int i = 3; i < 12; i++)
                        (void) close(i);
                if (spawn_reserve_fds() < 0)
                        _exit(11);
                if (spawn(&p, &pid, &pidfd, NULL) < 0)
                        _exit(12);
                if (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 || si.si_status != EACCES)
                        _exit(13);
                argv[2] = (char *) "fds";
                if (spawn(&p, &pid, &pidfd, NULL) < 0)
                        _exit(14);
                /* Only the listing's own directory fd. */
                if (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 || si.si_status != 1)
                        _exit(15);
                _exit(0);
        }
        check(waitpid(worker, &status, 0) == worker, "waitpid: %m");
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "reserved-slot spawn with a ruleset failed (worker exit %d: 12/14 spawn, 13 write not "
              "denied, 15 fd leaked)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        check(access(tpath("ro/slot"), F_OK) < 0, "the write through a reserved slot was not denied");
        fs_spec_free(&spec);
        landlock_ruleset_free(rs);
}

/* The daemon builds the ruleset in its own mount namespace and the child
 * mounts its sandbox afterwards (PrivateTmp, PrivateDevices...). Landlock
 * skips the directory a file system is mounted on, so a rule on it does not
 * reach the new mount: rw must be a child_mount path, added in the child.
 * Pinned both ways: without child_mount the tmpfs over rw is not writable,
 * with it it is, and a tmpfs over ro stays read-only. In a worker with its
 * own mount namespace, so that the mounts vanish with it. */
static void test_child_mount_rules(void **state) {
        LandlockPath paths[2];
        LandlockSpec spec = { .filesystem = true, .paths = paths, .n_paths = 2 };
        LandlockRuleset *host_rule, *child_rule;
        char rw[PATH_MAX];
        int status;
        pid_t worker;

        make_tree();
        snprintf(rw, sizeof rw, "%s", tpath("rw"));
        paths[0] = (LandlockPath) { .path = "/", .access = LANDLOCK_PATH_READ_ONLY };
        paths[1] = (LandlockPath) { .path = rw, .access = LANDLOCK_PATH_READ_WRITE };
        host_rule = build(&spec);
        paths[1].child_mount = true;
        child_rule = build(&spec);
        check(child_rule->n_mount_rules == 1 && strcmp(child_rule->mount_rules[0].path, rw) == 0,
              "the child_mount path must be left to the child");

        worker = fork();
        check(worker >= 0, "fork: %m");
        if (worker == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(10);
                if (mount("tmpfs", tpath("rw"), "tmpfs", 0, "mode=0700") < 0 ||
                    mount("tmpfs", tpath("ro"), "tmpfs", 0, "mode=0700") < 0)
                        _exit(11);
                if (run_child(NULL, "write", tpath("ro/control"), NULL) != 0)
                        _exit(12);
                if (run_child(host_rule, "write", tpath("rw/host-rule"), NULL) != EACCES)
                        _exit(13);
                if (run_child(child_rule, "write", tpath("rw/child-rule"), NULL) != 0)
                        _exit(14);
                if (run_child(child_rule, "write", tpath("ro/child-rule"), NULL) != EACCES)
                        _exit(15);
                if (access(tpath("rw/child-rule"), F_OK) < 0)
                        _exit(16);
                _exit(0);
        }
        check(waitpid(worker, &status, 0) == worker, "waitpid: %m");
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "rules and later mounts (worker exit %d: 10/11 mount setup, 12 control write failed, 13 a rule made "
              "before the mount reached it, 14 the child's rule did not, 15 a tmpfs over ro was writable, "
              "16 file missing)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        check(access(tpath("rw/child-rule"), F_OK) < 0, "the worker's tmpfs leaked into the host namespace");
        landlock_ruleset_free(host_rule);
        landlock_ruleset_free(child_rule);
}

/* A child_mount path the child cannot open fails the spawn at "landlock". */
static void test_child_mount_missing_fails_spawn(void **state) {
        LandlockPath paths[] = {
                { .path = "/", .access = LANDLOCK_PATH_READ_ONLY },
                { .path = "/nonexistent-agentvisor-mount", .access = LANDLOCK_PATH_READ_WRITE, .child_mount = true },
        };
        LandlockSpec spec = { .filesystem = true, .paths = paths, .n_paths = ELEMENTSOF(paths) };
        LandlockRuleset *rs;
        const char *step = NULL;
        int r;

        rs = build(&spec);
        r = run_child(rs, "write", tpath("never2"), &step);
        check(r == -ENOENT && step && strcmp(step, "landlock") == 0,
              "expected ENOENT at landlock, got %d at %s", r, step ? step : "-");
        landlock_ruleset_free(rs);
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_readonly_even_for_root, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_narrower_paths_carved_out, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_nothing_beneath_inaccessible, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_readonly_inside_writable, kt_test_setup, kt_test_teardown),
                cmocka_unit_test(test_missing_path_is_error),
                cmocka_unit_test(test_nothing_to_restrict),
                cmocka_unit_test_setup_teardown(test_tcp_connect, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_tcp_bind, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_bad_ruleset_fails_spawn, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_reserved_slots, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_child_mount_rules, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_child_mount_missing_fails_spawn, kt_test_setup, kt_test_teardown),
        };

        if (argc == 4 && strcmp(argv[1], "--child") == 0)
                return child_main(argv[2], argv[3]);
        if (argc == 3 && strcmp(argv[1], "--child") == 0)
                return child_main(argv[2], "");

        if (landlock_abi() < 1) {
                /* Nothing here can run without Landlock; cmocka's skip would
                 * need a test to run in. */
                printf("SKIP: this kernel has no Landlock\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
