/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The namespaces of an agent against the real kernel (root, cgroup2): what
 * an agent under PrivateIPC/PrivateNetwork/PrivatePIDs/PrivateUsers sees and
 * can reach, checked from inside (this binary re-executed as the agent, in a
 * probe mode) and from the host; and that PrivatePIDs leaves MainPID, signals
 * and the exit status exactly as without it. */

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "netns-pool.h"
#include "spawn.h"

/* Ids of no user on this machine (the default DynamicUserRange): a
 * kill(-1) as PROBE_UID reaches only what this test runs as PROBE_UID. */
#define PROBE_UID 61901
#define MAPPED_UID 61902
#define MAPPED_GID 61903

static char self_exe[4096];

/* ---- probe modes: this binary as the agent ---- */

/* Prints the interfaces that are up (a new namespace may also hold the
 * kernel's fallback tunnel devices, down) and what a connect to the port on
 * 127.0.0.1 gives. */
static int probe_net(const char *port) {
        struct if_nameindex *ifs = if_nameindex(), *i;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(port)) };
        bool first = true;
        int fd, r;

        printf("up=");
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        for (i = ifs; i && i->if_index; i++) {
                struct ifreq ifr = {};

                snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", i->if_name);
                if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP)) {
                        printf("%s%s", first ? "" : ",", i->if_name);
                        first = false;
                }
        }
        close(fd);
        if (ifs)
                if_freenameindex(ifs);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        r = connect(fd, (struct sockaddr *) &sa, sizeof sa);
        printf(" connect=%s\n", r == 0 ? "ok" : strerrorname_np(errno));
        close(fd);
        return 0;
}

static int probe_main(int argc, char **argv) {
        const char *mode = argv[1];
        char ns[256];
        ssize_t n;

        if (strcmp(mode, "net") == 0 && argc > 2)
                return probe_net(argv[2]);
        if (strcmp(mode, "ns") == 0) {
                static const char *const kinds[] = { "ipc", "net", "pid", "user" };

                for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                        char path[64];

                        snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[k]);
                        n = readlink(path, ns, sizeof ns - 1);
                        ns[n > 0 ? n : 0] = 0;
                        printf("%s%s", k ? " " : "", ns);
                }
                printf(" uid=%d\n", (int) getuid());
                return 0;
        }
        if (strcmp(mode, "mnt") == 0) {      /* the mount and cgroup namespaces, the cwd */
                char cg[256], cwd[4096];

                n = readlink("/proc/self/ns/mnt", ns, sizeof ns - 1);
                ns[n > 0 ? n : 0] = 0;
                n = readlink("/proc/self/ns/cgroup", cg, sizeof cg - 1);
                cg[n > 0 ? n : 0] = 0;
                printf("%s %s cwd=%s\n", ns, cg, getcwd(cwd, sizeof cwd) ? cwd : strerrorname_np(errno));
                return 0;
        }
        if (strcmp(mode, "ipc") == 0) {
                n = readlink("/proc/self/ns/ipc", ns, sizeof ns - 1);
                ns[n > 0 ? n : 0] = 0;
                printf("%s\n", ns);
                return 0;
        }
        if (strcmp(mode, "ids") == 0) {
                printf("uid=%d gid=%d pid=%d\n", (int) getuid(), (int) getgid(), (int) getpid());
                fflush(stdout);
                pause();
                return 0;
        }
        if (strcmp(mode, "kill-all") == 0)   /* ESRCH: nothing it may signal */
                return kill(-1, SIGKILL) == 0 || errno == ESRCH ? 0 : 1;
        if (strcmp(mode, "exit7") == 0)
                return 7;
        if (strcmp(mode, "getppid") == 0) {
                (void) syscall(SYS_getppid);
                return 0;
        }
        return 100;
}

/* ---- fixtures ---- */

typedef struct Agent {
        pid_t pid;
        int pidfd;
        int init_pidfd;
        int out;                             /* read end of its stdout, or -1 */
} Agent;

static SpawnParams params(char **argv, unsigned flags, Agent *a) {
        SpawnParams p = kt_params(argv[0], argv);

        p.uid = p.gid = PROBE_UID;
        p.ns = (SandboxNs) { .flags = flags, .ret_init_pidfd = &a->init_pidfd };
        return p;
}

static void start(SpawnParams *p, Agent *a, bool capture) {
        const char *step = NULL;
        int fds[2] = { -1, -1 }, r;

        if (capture) {
                check(pipe2(fds, O_CLOEXEC) == 0, "pipe2: %m");
                p->stdout_fd = fds[1];
        }
        a->init_pidfd = -1;
        r = spawn(p, &a->pid, &a->pidfd, &step);
        if (fds[1] >= 0)
                close(fds[1]);
        a->out = fds[0];
        check(r == 0, "spawn(%s, namespaces 0x%x) failed at step %s: %s", p->path, p->ns.flags, step ? step : "?",
              strerror(-r));
        check((a->init_pidfd >= 0) == ((p->ns.flags & (SANDBOX_NS_PID | SANDBOX_NS_JOIN)) == SANDBOX_NS_PID),
              "init pidfd %d for namespaces 0x%x: one exactly with a new PID namespace", a->init_pidfd,
              p->ns.flags);
}

static siginfo_t wait_exit(Agent *a) {
        siginfo_t si = kt_wait_exit(a->pidfd);

        close(a->pidfd);
        a->pidfd = -1;
        return si;
}

/* Ends the agent and its namespace's init, which must have lived until
 * killed here: it once died of SIGSEGV now and then, the kernel writing to
 * the rseq area it had unmapped, and took the namespace with it. */
static void finish(Agent *a) {
        if (a->pidfd >= 0) {
                (void) pidfd_send_signal(a->pidfd, SIGKILL, NULL, 0);
                (void) wait_exit(a);
        }
        if (a->init_pidfd >= 0) {
                siginfo_t si = {};

                check(pidfd_send_signal(a->init_pidfd, SIGKILL, NULL, 0) == 0, "the init was gone: %m");
                check(waitid((idtype_t) P_PIDFD, (id_t) a->init_pidfd, &si, WEXITED | __WALL) == 0, "waitid: %m");
                check(si.si_code == CLD_KILLED && si.si_status == SIGKILL,
                      "the init must end by our SIGKILL, it ended with code %d status %d", si.si_code,
                      si.si_status);
                /* Already reaped: only closes. */
                a->init_pidfd = sandbox_ns_init_release(a->init_pidfd);
        }
        if (a->out >= 0)
                close(a->out);
        a->out = -1;
}

/* One line of the agent's output (bounded by poll). */
static char *read_line(Agent *a) {
        static char buf[1024];
        size_t n = 0;

        while (n < sizeof buf - 1) {
                struct pollfd pfd = { .fd = a->out, .events = POLLIN };
                ssize_t k;

                check(poll(&pfd, 1, 10000) == 1, "no output from the agent within 10 s");
                k = read(a->out, buf + n, 1);
                check(k >= 0, "read: %m");
                if (k == 0 || buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = 0;
        return buf;
}

/* Asks the pool's helper for a batch and waits for all of it (bounded:
 * 20 s). */
static void pool_fill(NetnsPool *pool) {
        int r = 0;

        check(netns_pool_refill(pool) == 1, "cannot ask the pool's helper");
        for (unsigned i = 0; i < 200 && r == 0; i++) {
                struct pollfd pfd = { .fd = netns_pool_helper_fd(pool), .events = POLLIN };

                if (pfd.fd < 0 || poll(&pfd, 1, 100) >= 0)
                        r = netns_pool_helper_done(pool);
        }
        check(r == 1, "the pool's helper failed: %d", r);
}

static char *status_field(pid_t pid, const char *key, char *buf, size_t size) {
        char path[64], *s = NULL, *p;
        size_t n = strlen(key);

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &s) == 0, "cannot read %s", path);
        for (p = s; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ':') {
                        p += n + 1;
                        p += strspn(p, " \t");
                        snprintf(buf, size, "%.*s", (int) strcspn(p, "\n"), p);
                        free(s);
                        return buf;
                }
        free(s);
        fail_msg("no %s: in /proc/%d/status", key, (int) pid);
        return NULL;
}

/* The pid a pidfd refers to, from its fdinfo. */
static pid_t pidfd_pid(int fd) {
        char path[64], line[256];
        pid_t pid = 0;
        FILE *f;

        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
        f = fopen(path, "re");
        check(f, "fopen %s: %m", path);
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "Pid: %d", &pid) == 1)
                        break;
        fclose(f);
        return pid;
}

/* ---- tests ---- */

static void test_private_ipc(void **state) {
        char *argv[] = { self_exe, (char *) "ipc", NULL };
        char own[256] = {}, *seen;
        Agent a;
        SpawnParams p = params(argv, SANDBOX_NS_IPC, &a);

        check(readlink("/proc/self/ns/ipc", own, sizeof own - 1) > 0, "readlink: %m");
        start(&p, &a, true);
        seen = read_line(&a);
        check(strncmp(seen, "ipc:[", 5) == 0 && strcmp(seen, own) != 0,
              "PrivateIPC: the agent's IPC namespace is \"%s\", the host's \"%s\"", seen, own);
        finish(&a);

        p = params(argv, 0, &a);
        start(&p, &a, true);
        seen = read_line(&a);
        check(strcmp(seen, own) == 0, "without PrivateIPC the agent must share \"%s\", it has \"%s\"", own, seen);
        finish(&a);
}

static void test_private_network(void **state) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        char port[16], *seen;
        int listener;
        Agent a;

        /* A host listener on 127.0.0.1 that the agent must not reach. */
        listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(listener >= 0 && bind(listener, (struct sockaddr *) &sa, sizeof sa) == 0 && listen(listener, 4) == 0 &&
                      getsockname(listener, (struct sockaddr *) &sa, &len) == 0,
              "host listener: %m");
        snprintf(port, sizeof port, "%u", (unsigned) ntohs(sa.sin_port));
        char *argv[] = { self_exe, (char *) "net", port, NULL };
        SpawnParams p = params(argv, SANDBOX_NS_NET, &a);

        start(&p, &a, true);
        seen = read_line(&a);
        check(strcmp(seen, "up=lo connect=ECONNREFUSED") == 0,
              "PrivateNetwork: expected only lo up and the host listener out of reach; the agent saw \"%s\"", seen);
        finish(&a);

        /* The same probe without the key reaches the listener: the test can fail. */
        p = params(argv, 0, &a);
        start(&p, &a, true);
        seen = read_line(&a);
        check(strstr(seen, "connect=ok"), "without PrivateNetwork the agent should reach the host listener: \"%s\"",
              seen);
        finish(&a);
        close(listener);
}

/* One namespace from a pool of one (the helper waited for, bounded). */
static int pooled_netns(void) {
        NetnsPool *pool = NULL;
        int fd;

        check(netns_pool_new(1, &pool) == 0, "netns_pool_new");
        pool_fill(pool);
        fd = netns_pool_take(pool);
        check(fd > 0, "netns_pool_take: %s", strerror(-fd));
        netns_pool_free(pool);
        return fd;
}

/* PrivateNetwork= with a pooled namespace: the agent is in exactly that
 * one (not a new one, not the host's), with lo up and the host out of
 * reach; with PrivateUsers= too, the join happens before the user
 * namespace is entered (from inside it the host-owned namespace could not
 * be joined). */
static void test_private_network_pooled(void **state) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        char port[16], want[64], host[64], *seen;
        int listener;
        struct stat st;
        ssize_t n;
        Agent a;

        n = readlink("/proc/self/ns/net", host, sizeof host - 1);
        check(n > 0, "readlink: %m");
        host[n] = 0;
        listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(listener >= 0 && bind(listener, (struct sockaddr *) &sa, sizeof sa) == 0 && listen(listener, 4) == 0 &&
                      getsockname(listener, (struct sockaddr *) &sa, &len) == 0,
              "host listener: %m");
        snprintf(port, sizeof port, "%u", (unsigned) ntohs(sa.sin_port));

        for (int users = 0; users < 2; users++) {
                char *argv_ns[] = { self_exe, (char *) "ns", NULL };
                char *argv_net[] = { self_exe, (char *) "net", port, NULL };
                unsigned flags = SANDBOX_NS_NET | (users ? SANDBOX_NS_USER : 0);
                SpawnParams p = params(argv_ns, flags, &a);
                int fd = pooled_netns();

                check(fstat(fd, &st) == 0, "fstat: %m");
                snprintf(want, sizeof want, "net:[%lu]", (unsigned long) st.st_ino);
                check(strcmp(want, host) != 0, "the pooled namespace is the host's");
                if (users) {
                        p.uid = p.gid = 0;
                        p.ns.host_uid = MAPPED_UID;
                        p.ns.host_gid = MAPPED_GID;
                }
                p.ns.netns_fd = fd;
                start(&p, &a, true);
                seen = read_line(&a);
                check(strstr(seen, want), "with PrivateUsers=%s the agent must be in the pooled %s: \"%s\"",
                      users ? "yes" : "no", want, seen);
                check(!users || strstr(seen, "uid=0"), "PrivateUsers: root inside expected: \"%s\"", seen);
                finish(&a);

                /* A fresh one each time: never handed out again. */
                close(fd);
                fd = pooled_netns();
                p = params(argv_net, flags, &a);
                if (users) {
                        p.uid = p.gid = 0;
                        p.ns.host_uid = MAPPED_UID;
                        p.ns.host_gid = MAPPED_GID;
                }
                p.ns.netns_fd = fd;
                start(&p, &a, true);
                seen = read_line(&a);
                check(strcmp(seen, "up=lo connect=ECONNREFUSED") == 0,
                      "pooled PrivateNetwork: only lo up and the host listener out of reach expected; \"%s\"", seen);
                finish(&a);
                close(fd);
        }

        /* Refused: a pooled namespace without SANDBOX_NS_NET, or for a join. */
        {
                char *argv[] = { self_exe, (char *) "ns", NULL };
                SpawnParams p = params(argv, SANDBOX_NS_IPC, &a);
                const char *step = NULL;
                int fd = pooled_netns(), r;

                p.ns.netns_fd = fd;
                r = spawn(&p, &a.pid, &a.pidfd, &step);
                check(r == -EINVAL, "a pooled namespace without PrivateNetwork must be refused, got %d", r);
                close(fd);
        }
        close(listener);
}

static void test_private_pids_main_pid(void **state) {
        char *argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        char exe[4096] = {}, real[4096], buf[256], nspid[64];
        Agent a;
        SpawnParams p = params(argv, SANDBOX_NS_PID, &a);
        siginfo_t si;

        start(&p, &a, false);
        snprintf(buf, sizeof buf, "/proc/%d/exe", (int) a.pid);
        check(realpath("/bin/sleep", real), "realpath: %m");
        /* spawn() returns when the exec releases the old mm (the child's
         * tid is cleared then), a moment before the task takes the new one:
         * /proc/PID/exe may still name this test (the mm it shared) for
         * that moment. Bounded: 2 s. */
        for (unsigned i = 0; i < 200; i++) {
                ssize_t n = readlink(buf, exe, sizeof exe - 1);

                check(n > 0, "readlink %s: %m", buf);
                exe[n] = 0;
                if (strcmp(exe, real) == 0)
                        break;
                usleep(10000);
        }
        check(strcmp(exe, real) == 0, "MainPID %d must be the program (%s), it is %s", (int) a.pid, real, exe);
        /* On the host its own pid, in its namespace PID 2: not the init. */
        snprintf(nspid, sizeof nspid, "%d\t2", (int) a.pid);
        check(strcmp(status_field(a.pid, "NSpid", buf, sizeof buf), nspid) == 0,
              "NSpid of the agent: expected \"%s\", got \"%s\"", nspid, buf);

        check(pidfd_send_signal(a.pidfd, SIGTERM, NULL, 0) == 0, "pidfd_send_signal: %m");
        si = wait_exit(&a);
        check(si.si_pid == a.pid && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
              "a stop's SIGTERM must kill the handler-less program: pid %d code %d status %d", (int) si.si_pid,
              si.si_code, si.si_status);
        finish(&a);
}

/* The namespace's init lives as long as the agent (it once died of a
 * SIGSEGV now and then, the kernel writing to the rseq area it had
 * unmapped), and it holds no memory of the daemon's. */
static void test_private_pids_init_survives(void **state) {
        char *argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        Agent agents[30];
        char buf[256];

        for (size_t i = 0; i < ELEMENTSOF(agents); i++) {
                SpawnParams p = params(argv, SANDBOX_NS_PID, &agents[i]);
                start(&p, &agents[i], false);
        }
        usleep(200000);
        for (size_t i = 0; i < ELEMENTSOF(agents); i++) {
                Agent *a = &agents[i];
                siginfo_t si = {};
                pid_t init = 0;

                check(waitid((idtype_t) P_PIDFD, (id_t) a->init_pidfd, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0,
                      "waitid: %m");
                check(si.si_pid == 0, "the init of agent %zu ended: code %d status %d", i, si.si_code, si.si_status);
                check(sscanf(status_field(a->pid, "PPid", buf, sizeof buf), "%d", &init) == 1 && init == getpid(),
                      "the agent's parent must be the daemon, it is %s", buf);
                check(waitid((idtype_t) P_PIDFD, (id_t) a->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                              si.si_pid == 0,
                      "agent %zu died with its namespace", i);
        }
        /* The init is agentvisor-nsinit, not a copy of the daemon: a few
         * pages, no fd, SIGCHLD ignored (orphans reaped by the kernel), and
         * every signal still blocked. */
        pid_t init_pid = pidfd_pid(agents[0].init_pidfd);
        check(init_pid > 0, "no pid for the init's pidfd");
        status_field(init_pid, "VmRSS", buf, sizeof buf);
        check(atoi(buf) <= 64, "the init should hold almost no memory, VmRSS %s", buf);
        print_message("init VmRSS: %s\n", buf);
        {
                char path[64], exe[PATH_MAX] = "";
                unsigned long long ign = 0, blk = 0;
                ssize_t n;

                snprintf(path, sizeof path, "/proc/%d/exe", (int) init_pid);
                n = readlink(path, exe, sizeof exe - 1);
                check(n > 0 && strcmp(exe, sandbox_ns_init_path()) == 0, "the init runs %s, not %s", exe,
                      sandbox_ns_init_path());
                check(kt_count_fds(init_pid) == 0, "the init holds %d fds", kt_count_fds(init_pid));
                check(sscanf(status_field(init_pid, "SigIgn", buf, sizeof buf), "%llx", &ign) == 1 &&
                              (ign & (1ULL << (SIGCHLD - 1))),
                      "the init must ignore SIGCHLD (SigIgn %s)", buf);
                check(sscanf(status_field(init_pid, "SigBlk", buf, sizeof buf), "%llx", &blk) == 1 &&
                              (blk & (1ULL << (SIGTERM - 1))),
                      "the init must keep SIGTERM blocked (SigBlk %s)", buf);
        }
        for (size_t i = 0; i < ELEMENTSOF(agents); i++)
                finish(&agents[i]);
}

/* What the daemon does when an agent ends: cgroup.kill of its group ends
 * the init too (a SIGKILL from the host reaches a namespace's init), the
 * group empties, and the init is left for sandbox_ns_init_release(). */
static void test_private_pids_cgroup_kill(void **state) {
        char *argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        struct pollfd pfd;
        Agent a;
        SpawnParams p = params(argv, SANDBOX_NS_PID, &a);
        siginfo_t si;
        int populated = -1;

        start(&p, &a, false);
        check(cgroup_kill(kt_group) == 0, "cgroup_kill: %m");
        si = wait_exit(&a);
        check(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "the agent: code %d status %d", si.si_code,
              si.si_status);
        pfd = (struct pollfd) { .fd = a.init_pidfd, .events = POLLIN };
        check(poll(&pfd, 1, 10000) == 1, "the init outlived cgroup.kill by 10 s");
        for (unsigned i = 0; i < 500 && (populated = cgroup_is_populated(kt_group)) > 0; i++)
                usleep(10000);
        check(populated == 0, "the agent's group should be empty (populated: %d)", populated);
        /* No SIGCHLD came for it; it waits as a zombie until released. */
        memset(&si, 0, sizeof si);
        check(waitid((idtype_t) P_PIDFD, (id_t) a.init_pidfd, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 &&
                      si.si_code == CLD_KILLED && si.si_status == SIGKILL,
              "the init should have died of SIGKILL (code %d status %d)", si.si_code, si.si_status);
        a.init_pidfd = sandbox_ns_init_release(a.init_pidfd);
        check(a.init_pidfd < 0, "sandbox_ns_init_release returns a negative fd");
}

/* What the daemon does when the main process exits under PrivatePIDs: a
 * SIGKILL to the init alone ends whatever the agent left in its namespace,
 * and once the init's pidfd turns readable the group is already empty (the
 * daemon then finishes at once, not on cgroup.events, which the kernel
 * notifies at most once per 10 ms). */
static void test_private_pids_init_try_reap(void **state) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "/bin/sleep 30 & exec /bin/sleep 31", NULL };
        struct pollfd pfd;
        Agent a;
        SpawnParams p = params(argv, SANDBOX_NS_PID, &a);
        siginfo_t si;
        size_t n = 0;
        int r;

        start(&p, &a, false);
        /* The init, the main process and the one it left behind. */
        for (unsigned i = 0; i < 500 && n < 3; i++) {
                _cleanup_free_ pid_t *pids = NULL;

                check(cgroup_pids(kt_group, &pids, &n) == 0, "cgroup_pids: %m");
                if (n < 3)
                        usleep(10000);
        }
        check(n == 3, "expected 3 processes in the agent's group, found %zu", n);
        check(sandbox_ns_init_try_reap(a.init_pidfd) == 0, "the init runs: nothing to reap yet");

        check(pidfd_send_signal(a.pidfd, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
        si = wait_exit(&a);
        check(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "the agent: code %d status %d", si.si_code,
              si.si_status);
        check(cgroup_is_populated(kt_group) == 1, "the left-behind sleep and the init keep the group populated");

        check(pidfd_send_signal(a.init_pidfd, SIGKILL, NULL, 0) == 0, "SIGKILL to the init: %m");
        pfd = (struct pollfd) { .fd = a.init_pidfd, .events = POLLIN };
        check(poll(&pfd, 1, 10000) == 1, "the init outlived its SIGKILL by 10 s");
        r = sandbox_ns_init_try_reap(a.init_pidfd);
        check(r == 1, "a dead init must be reaped at once: %d", r);
        /* No retry here: this is the ordering the daemon relies on. */
        check(cgroup_is_populated(kt_group) == 0, "the group must be empty once the init has gone");
        check(sandbox_ns_init_try_reap(a.init_pidfd) == -ECHILD, "reaped twice");
        check(sandbox_ns_init_try_reap(-EBADF) == -EBADF, "no fd");
        /* Already reaped: only closes. */
        a.init_pidfd = sandbox_ns_init_release(a.init_pidfd);
}

/* The exit status through the pidfd, with and without PrivatePIDs. */
static siginfo_t run_status(char **argv, unsigned flags, const struct sock_fprog *filter) {
        Agent a;
        SpawnParams p = params(argv, flags, &a);
        siginfo_t si;

        p.filter = filter;
        start(&p, &a, false);
        si = wait_exit(&a);
        finish(&a);
        return si;
}

static void test_private_pids_exit_status(void **state) {
        char *exit7[] = { self_exe, (char *) "exit7", NULL };
        char *getppid_argv[] = { self_exe, (char *) "getppid", NULL };
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog filter = { .len = ELEMENTSOF(insns), .filter = insns };
        siginfo_t with, without;

        with = run_status(exit7, SANDBOX_NS_PID, NULL);
        check(with.si_code == CLD_EXITED && with.si_status == 7, "exit 7 under PrivatePIDs: code %d status %d",
              with.si_code, with.si_status);

        with = run_status(getppid_argv, SANDBOX_NS_PID, &filter);
        without = run_status(getppid_argv, 0, &filter);
        check(without.si_status == SIGSYS, "the seccomp kill without namespace: status %d", without.si_status);
        check(with.si_code == without.si_code && with.si_status == SIGSYS,
              "a seccomp kill under PrivatePIDs must read as without: code %d status %d, expected %d %d",
              with.si_code, with.si_status, without.si_code, without.si_status);
}

/* A sibling of uid PROBE_UID outside the agent survives its kill(-1). */
static void kill_all_from_agent(unsigned flags, bool expect_alive) {
        char *argv[] = { self_exe, (char *) "kill-all", NULL };
        Agent a;
        SpawnParams p = params(argv, flags, &a);
        siginfo_t si = {};
        pid_t sibling;
        int status;

        sibling = fork();
        check(sibling >= 0, "fork: %m");
        if (sibling == 0) {
                if (setresgid(PROBE_UID, PROBE_UID, PROBE_UID) < 0 || setresuid(PROBE_UID, PROBE_UID, PROBE_UID) < 0)
                        _exit(2);
                execl("/bin/sleep", "sleep", "30", NULL);
                _exit(3);
        }
        usleep(50000);       /* until it runs as PROBE_UID */

        start(&p, &a, false);
        si = wait_exit(&a);
        finish(&a);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "kill(-1) in the agent failed: code %d status %d",
              si.si_code, si.si_status);

        for (unsigned i = 0; i < 50; i++) {
                memset(&si, 0, sizeof si);
                if (waitid(P_PID, (id_t) sibling, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != 0)
                        break;
                usleep(2000);
        }
        check((si.si_pid == 0) == expect_alive, "the sibling %s the agent's kill(-1)%s",
              si.si_pid == 0 ? "survived" : "died of", flags ? " under PrivatePIDs" : "");
        (void) kill(sibling, SIGKILL);
        (void) waitpid(sibling, &status, 0);
}

static void test_private_pids_kill_all(void **state) {
        kill_all_from_agent(SANDBOX_NS_PID, true);
        /* And without the namespace it dies: the test can fail. */
        kill_all_from_agent(0, false);
}

static void test_private_users(void **state) {
        char *argv[] = { self_exe, (char *) "ids", NULL };
        char buf[256], expected[128], *seen;
        Agent a;
        SpawnParams p = params(argv, SANDBOX_NS_USER | SANDBOX_NS_PID | SANDBOX_NS_IPC | SANDBOX_NS_NET, &a);

        int fds_before;

        p.uid = 0;
        p.gid = 0;
        p.protect_cgroups = true;            /* as for User=root: its mounts come first, as host root */
        p.ns.host_uid = MAPPED_UID;
        p.ns.host_gid = MAPPED_GID;
        /* Once first: spawn keeps an fd on the daemon's own PID namespace
         * from its first PrivatePIDs start on. */
        start(&p, &a, true);
        finish(&a);
        fds_before = kt_count_fds(0);
        p.stdout_fd = -1;
        start(&p, &a, true);
        /* The pidfd, the init's pidfd, the output pipe: nothing else (the
         * user namespace fd is closed). */
        check(kt_count_fds(0) == fds_before + 3, "spawn left %d fds open besides its results",
              kt_count_fds(0) - fds_before - 3);
        seen = read_line(&a);
        check(strcmp(seen, "uid=0 gid=0 pid=2") == 0, "PrivateUsers: the agent should be root inside, it says \"%s\"",
              seen);
        snprintf(expected, sizeof expected, "%d\t%d\t%d\t%d", MAPPED_UID, MAPPED_UID, MAPPED_UID, MAPPED_UID);
        check(strcmp(status_field(a.pid, "Uid", buf, sizeof buf), expected) == 0, "host Uid: expected %s, got %s",
              expected, buf);
        snprintf(expected, sizeof expected, "%d\t%d\t%d\t%d", MAPPED_GID, MAPPED_GID, MAPPED_GID, MAPPED_GID);
        check(strcmp(status_field(a.pid, "Gid", buf, sizeof buf), expected) == 0, "host Gid: expected %s, got %s",
              expected, buf);
        check(strcmp(status_field(a.pid, "Groups", buf, sizeof buf), "") == 0, "host Groups: expected none, got %s",
              buf);
        check(strcmp(status_field(a.pid, "CapEff", buf, sizeof buf), "0000000000000000") == 0,
              "CapEff must be empty, got %s", buf);
        finish(&a);

        /* Mapping to host root is refused. */
        p.ns.host_uid = 0;
        p.stdout_fd = -1;
        a.init_pidfd = -1;
        check(spawn(&p, &a.pid, &a.pidfd, NULL) == -EINVAL, "PrivateUsers mapped to host root must be EINVAL");
}

/* A health check joins its agent's namespaces: the same four links as the
 * agent's, the same uid inside, and no init of its own. */
static void test_join_agent_namespaces(void **state) {
        char *sleep_argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        char *probe_argv[] = { self_exe, (char *) "ns", NULL };
        const unsigned all = SANDBOX_NS_IPC | SANDBOX_NS_NET | SANDBOX_NS_PID | SANDBOX_NS_USER;
        static const char *const kinds[] = { "ipc", "net", "pid", "user" };
        char expected[1024] = "", link[256], path[64], *seen;
        Agent agent, probe;
        SpawnParams p = params(sleep_argv, all, &agent);
        siginfo_t si;
        ssize_t n;

        p.uid = p.gid = 0;
        p.ns.host_uid = MAPPED_UID;
        p.ns.host_gid = MAPPED_GID;
        start(&p, &agent, false);
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) agent.pid, kinds[k]);
                n = readlink(path, link, sizeof link - 1);
                check(n > 0, "readlink %s: %m", path);
                link[n] = 0;
                snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s", k ? " " : "", link);
        }
        strcat(expected, " uid=0");

        p = params(probe_argv, all | SANDBOX_NS_JOIN, &probe);
        p.uid = p.gid = 0;
        p.ns.join_pidfd = agent.pidfd;
        start(&p, &probe, true);
        seen = read_line(&probe);
        check(strcmp(seen, expected) == 0, "the check should be in the agent's namespaces:\n  %s\nit is in\n  %s",
              expected, seen);
        si = wait_exit(&probe);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "the check: code %d status %d", si.si_code,
              si.si_status);
        finish(&probe);
        finish(&agent);
}

/* A health check joins its agent's mount namespace (where its PrivateTmp
 * and the rest of its mount plan are) and cgroup namespace, and is in its
 * working directory there, not at the root the join leaves it in. Without
 * SANDBOX_NS_MNT it stays in the host's: the test can fail. */
static void test_join_agent_mount_namespace(void **state) {
        char *sleep_argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        char *probe_argv[] = { self_exe, (char *) "mnt", NULL };
        char agent_mnt[256], agent_cg[256], host[1024], expected[1024], path[64], *seen;
        Agent agent, probe;
        SpawnParams p = params(sleep_argv, 0, &agent);
        siginfo_t si;
        ssize_t n;

        /* Its own mount and cgroup namespaces, as for a User=root agent. */
        p.protect_cgroups = true;
        start(&p, &agent, false);
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) agent.pid);
        /* Until the child exec'd, spawn() does not return: the namespaces
         * are the agent's final ones. */
        n = readlink(path, agent_mnt, sizeof agent_mnt - 1);
        check(n > 0, "readlink %s: %m", path);
        agent_mnt[n] = 0;
        snprintf(path, sizeof path, "/proc/%d/ns/cgroup", (int) agent.pid);
        n = readlink(path, agent_cg, sizeof agent_cg - 1);
        check(n > 0, "readlink %s: %m", path);
        agent_cg[n] = 0;
        n = readlink("/proc/self/ns/mnt", host, sizeof host - 1);
        check(n > 0, "readlink: %m");
        host[n] = 0;
        check(strcmp(agent_mnt, host) != 0, "the agent should have a mount namespace of its own, it has the host's %s",
              host);
        snprintf(expected, sizeof expected, "%s %s cwd=/usr", agent_mnt, agent_cg);

        p = params(probe_argv, SANDBOX_NS_JOIN | SANDBOX_NS_MNT | SANDBOX_NS_CGROUP, &probe);
        p.ns.join_pidfd = agent.pidfd;
        p.working_directory = "/usr";
        start(&p, &probe, true);
        seen = read_line(&probe);
        check(strcmp(seen, expected) == 0, "the check should be in the agent's mount namespace:\n  %s\nit is in\n  %s",
              expected, seen);
        si = wait_exit(&probe);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "the check: code %d status %d", si.si_code,
              si.si_status);
        finish(&probe);

        /* Without the flag, the host's mount namespace. */
        p = params(probe_argv, SANDBOX_NS_JOIN, &probe);
        p.ns.join_pidfd = agent.pidfd;
        start(&p, &probe, true);
        seen = read_line(&probe);
        check(strncmp(seen, host, strlen(host)) == 0 && seen[strlen(host)] == ' ',
              "without SANDBOX_NS_MNT the check should stay in %s, it says \"%s\"", host, seen);
        (void) wait_exit(&probe);
        finish(&probe);
        finish(&agent);

        /* A mount namespace is made by the mount plan, never joined without
         * a pidfd. */
        p = params(sleep_argv, SANDBOX_NS_MNT, &probe);
        check(spawn(&p, &probe.pid, &probe.pidfd, NULL) == -EINVAL, "SANDBOX_NS_MNT without SANDBOX_NS_JOIN must be EINVAL");
        p = params(sleep_argv, SANDBOX_NS_CGROUP, &probe);
        check(spawn(&p, &probe.pid, &probe.pidfd, NULL) == -EINVAL,
              "SANDBOX_NS_CGROUP without SANDBOX_NS_JOIN must be EINVAL");
}

/* The same for a User=root agent under PrivateUsers: the check joins the
 * mount and cgroup namespaces as host root, then every other namespace of
 * the agent's, and runs as root inside. */
static void test_join_agent_mount_namespace_userns(void **state) {
        char *sleep_argv[] = { (char *) "/bin/sleep", (char *) "30", NULL };
        char *probe_argv[] = { self_exe, (char *) "mnt", NULL };
        const unsigned all = SANDBOX_NS_IPC | SANDBOX_NS_NET | SANDBOX_NS_PID | SANDBOX_NS_USER;
        char mnt[256], cg[256], expected[1024], path[64], *seen;
        Agent agent, probe;
        SpawnParams p = params(sleep_argv, all, &agent);
        siginfo_t si;
        ssize_t n;

        p.uid = p.gid = 0;
        p.protect_cgroups = true;
        p.ns.host_uid = MAPPED_UID;
        p.ns.host_gid = MAPPED_GID;
        start(&p, &agent, false);
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) agent.pid);
        n = readlink(path, mnt, sizeof mnt - 1);
        check(n > 0, "readlink %s: %m", path);
        mnt[n] = 0;
        snprintf(path, sizeof path, "/proc/%d/ns/cgroup", (int) agent.pid);
        n = readlink(path, cg, sizeof cg - 1);
        check(n > 0, "readlink %s: %m", path);
        cg[n] = 0;
        snprintf(expected, sizeof expected, "%s %s cwd=/usr", mnt, cg);

        p = params(probe_argv, all | SANDBOX_NS_JOIN | SANDBOX_NS_MNT | SANDBOX_NS_CGROUP, &probe);
        p.uid = p.gid = 0;
        p.ns.join_pidfd = agent.pidfd;
        p.working_directory = "/usr";
        start(&p, &probe, true);
        seen = read_line(&probe);
        check(strcmp(seen, expected) == 0, "the check should be in the agent's mount namespace:\n  %s\nit is in\n  %s",
              expected, seen);
        si = wait_exit(&probe);
        check(si.si_code == CLD_EXITED && si.si_status == 0, "the check: code %d status %d", si.si_code,
              si.si_status);
        finish(&probe);
        finish(&agent);
}

/* This host (Linux 6.x, root) has them all; the tests above need them. */
static void test_supported(void **state) {
        int r = sandbox_ns_supported();

        check(r == (SANDBOX_NS_IPC | SANDBOX_NS_NET | SANDBOX_NS_PID | SANDBOX_NS_USER),
              "sandbox_ns_supported() = %d, expected all four", r);
}

/* pool: a filled one to take a network namespace from for each spawn. */
static double spawn_usec_pool(unsigned flags, unsigned n, NetnsPool *pool) {
        char *argv[] = { (char *) "/bin/true", NULL };
        struct timespec t0, t1;
        double total = 0;

        for (unsigned i = 0; i < n; i++) {
                Agent a;
                SpawnParams p = params(argv, flags, &a);
                int netns = pool ? netns_pool_take(pool) : -EBADF;

                check(!pool || netns > 0, "the pool ran dry");
                p.ns.host_uid = MAPPED_UID;
                p.ns.host_gid = MAPPED_GID;
                p.ns.netns_fd = netns;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                start(&p, &a, false);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                total += (double) (t1.tv_sec - t0.tv_sec) * 1e6 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e3;
                if (netns >= 0)
                        close(netns);
                (void) wait_exit(&a);
                finish(&a);
        }
        return total / n;
}

static double spawn_usec(unsigned flags, unsigned n) {
        return spawn_usec_pool(flags, n, NULL);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_double);
        return v[n / 2];
}

/* A figure for the report, not an assertion: what each namespace adds to
 * spawn() (the clone returns once the child exec'd). */
static void test_cost(void **state) {
        static const struct {
                const char *name;
                unsigned flags;
        } rows[] = {
                { "none", 0 },
                { "ipc", SANDBOX_NS_IPC },
                { "net", SANDBOX_NS_NET },
                { "pid", SANDBOX_NS_PID },
                { "user", SANDBOX_NS_USER },
                { "all", SANDBOX_NS_IPC | SANDBOX_NS_NET | SANDBOX_NS_PID | SANDBOX_NS_USER },
        };
        size_t big = 256UL << 20;
        NetnsPool *pool;
        char *mem;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                double us = spawn_usec(rows[i].flags, 20);

                print_message("spawn with namespaces %-4s: %8.1f us (mean of 20)\n", rows[i].name, us);
        }

        /* Interleaved, medians (a shared machine drifts): no namespace, a
         * network namespace made by the clone, one joined from the pool. */
        {
                enum { N = 48 };
                double none[N], made[N], pooled[N];

                check(netns_pool_new(NETNS_POOL_MAX, &pool) == 0, "pool");
                for (unsigned i = 0; i < N; i++) {
                        if (netns_pool_ready(pool) == 0)
                                pool_fill(pool);
                        none[i] = spawn_usec(0, 1);
                        made[i] = spawn_usec(SANDBOX_NS_NET, 1);
                        pooled[i] = spawn_usec_pool(SANDBOX_NS_NET, 1, pool);
                }
                netns_pool_free(pool);
                print_message("interleaved medians of %d: none %8.1f us, net made %8.1f us, net pooled %8.1f us\n", N,
                              median(none, N), median(made, N), median(pooled, N));
        }

        /* The PID namespace's init is a fork of the caller: its cost grows
         * with the caller's memory (page tables copied, then unmapped). */
        mem = malloc(big);
        check(mem, "malloc");
        memset(mem, 1, big);
        print_message("with 256 MiB touched: none %8.1f us, pid %8.1f us (mean of 10)\n", spawn_usec(0, 10),
                      spawn_usec(SANDBOX_NS_PID, 10));
        free(mem);
}

/* agentvisor-nsinit runs as root by path at every PrivatePIDs= start: only
 * a copy that only root can change is taken. */
static void test_init_path_root_only(void **state) {
        char dir[] = "/tmp/agentvisor-test-nsinit.XXXXXX", path[64], *saved;
        int in = -1, out = -1;
        char buf[65536];
        ssize_t n;

        check(sandbox_ns_init_path(), "no agentvisor-nsinit set");
        saved = strdup(sandbox_ns_init_path());
        check(saved && mkdtemp(dir), "mkdtemp: %m");
        snprintf(path, sizeof path, "%s/agentvisor-nsinit", dir);
        in = open(saved, O_RDONLY | O_CLOEXEC);
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        check(in >= 0 && out >= 0, "copy %s: %m", saved);
        while ((n = read(in, buf, sizeof buf)) > 0)
                check(write(out, buf, (size_t) n) == n, "write: %m");
        close(in);
        close(out);
        check(chmod(dir, 0755) == 0, "chmod: %m");

        check(sandbox_ns_init_path_set(path) == 0, "a root-owned 0755 copy in a 0755 directory is taken");
        check(chmod(path, 0777) == 0, "chmod: %m");
        check(sandbox_ns_init_path_set(path) == -EPERM, "a world-writable file must be refused");
        check(chmod(path, 0755) == 0 && chmod(dir, 0777) == 0, "chmod: %m");
        check(sandbox_ns_init_path_set(path) == -EPERM, "a file in a world-writable directory must be refused");
        check(sandbox_ns_init_path_set("agentvisor-nsinit") == -EINVAL, "a relative path must be refused");
        check(strcmp(sandbox_ns_init_path(), path) == 0, "a refused path must leave the last one set");

        check(sandbox_ns_init_path_set(saved) == 0, "the build's agentvisor-nsinit again");
        check(unlink(path) == 0 && rmdir(dir) == 0, "cleanup of %s: %m", dir);
        free(saved);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_private_ipc, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_network, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_network_pooled, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_pids_main_pid, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_pids_init_survives, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_pids_cgroup_kill, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_pids_init_try_reap, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_pids_exit_status, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_pids_kill_all, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_private_users, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_join_agent_namespaces, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_join_agent_mount_namespace, kt_test_setup, kt_test_teardown),
                cmocka_unit_test_setup_teardown(test_join_agent_mount_namespace_userns, kt_test_setup, kt_test_teardown),
                cmocka_unit_test(test_supported),
                cmocka_unit_test(test_init_path_root_only),
                cmocka_unit_test_setup_teardown(test_cost, kt_test_setup, kt_test_teardown),
        };
        ssize_t n;

        if (argc > 1)
                return probe_main(argc, argv);
#ifdef AV_TEST_NSINIT
        check(sandbox_ns_init_path_set(AV_TEST_NSINIT) == 0, "agentvisor-nsinit at %s: %m", AV_TEST_NSINIT);
#endif

        /* As the daemon does (spawn then shares the fd table and the user
         * namespace fd travels in a reserved slot), unless the run is the
         * one for the other path. */
        if (!getenv("AV_TEST_NO_RESERVED_FDS")) {
                /* Whatever a harness left in the slots is not ours. */
                for (int fd = 3; fd < 12; fd++)
                        (void) close(fd);
                if (spawn_reserve_fds() < 0) {
                        fprintf(stderr, "spawn_reserve_fds: %m\n");
                        return 1;
                }
        }

        n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
        if (n <= 0)
                return 1;
        self_exe[n] = 0;
        /* TEST_FILTER=NAME runs one test (by hand). */
        if (getenv("TEST_FILTER"))
                cmocka_set_test_filter(getenv("TEST_FILTER"));
        return cmocka_run_group_tests(tests, kt_setup, kt_teardown);
}
