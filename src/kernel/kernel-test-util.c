/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "kernel-test-util.h"
#include "macro.h"
#include "sandbox-mount.h"

CgroupRoot *kt_root;
Cgroup *kt_group;

static char *const no_env[] = { NULL };
static char *mountinfo_before;

int kt_setup(void **state) {
        char name[96];
        int r;

        snprintf(name, sizeof name, "agentvisor-%s-%d", program_invocation_short_name, (int) getpid());
        r = cgroup_root_open(name, &kt_root);
        if (r < 0) {
                print_error("cgroup_root_open(%s): %s\n", name, strerror(-r));
                return -1;
        }
        return 0;
}

int kt_teardown(void **state) {
        kt_root = cgroup_root_free(kt_root);
        return 0;
}

int kt_test_setup(void **state) {
        static unsigned n;
        char name[32];
        int r;

        snprintf(name, sizeof name, "t%u", n++);
        r = cgroup_agent_new(kt_root, NULL, name, NULL, &kt_group);
        if (r < 0) {
                print_error("cgroup_agent_new(%s): %s\n", name, strerror(-r));
                return -1;
        }
        return 0;
}

int kt_test_teardown(void **state) {
        int r = 0;

        if (kt_group) {
                (void) cgroup_kill(kt_group);
                /* The group empties once the killed processes are reaped. */
                for (unsigned i = 0; i < 500 && (r = cgroup_remove(kt_group)) == -EBUSY; i++)
                        usleep(10000);
                kt_group = cgroup_free(kt_group);
        }
        return r < 0 ? -1 : 0;
}

int kt_oom_score_adj(pid_t pid) {
        char path[64], *text = NULL;
        int v;

        snprintf(path, sizeof path, pid ? "/proc/%d/oom_score_adj" : "/proc/self/oom_score_adj", (int) pid);
        check(cgfs_read(AT_FDCWD, path, &text) == 0, "cannot read %s", path);
        v = atoi(text);
        free(text);
        return v;
}

int kt_refuse_clone3(int error) {
        struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned) error & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = ELEMENTSOF(code), .filter = code };

        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
}

int kt_main_options(void) {
        const char *e = getenv("AV_TEST_NO_CLONE3");
        int r;

        if (!e)
                return 0;
        r = kt_refuse_clone3(ENOSYS);
        if (r < 0)
                fprintf(stderr, "cannot refuse clone3: %s\n", strerror(-r));
        else
                fprintf(stderr, "clone3() refused with ENOSYS: spawn() falls back to clone()\n");
        return r;
}

bool kt_can_run(void) {
        char *mount = NULL;
        bool pure;

        if (geteuid() != 0 || cgfs_find_unified(&mount, &pure) < 0)
                return false;
        free(mount);
        return true;
}

SpawnParams kt_params(const char *path, char *const *argv) {
        return kt_params_in(kt_group, path, argv);
}

SpawnParams kt_params_in(Cgroup *c, const char *path, char *const *argv) {
        return (SpawnParams) {
                .path = path,
                .argv = argv,
                .envp = no_env,
                .cgroup_fd = cgroup_dir_fd(c),
                .working_directory = "/",
                .stdout_fd = -1,
                .stderr_fd = -1,
                .rlimits = { .nofile = RLIM_UNSET, .core = RLIM_UNSET, .nproc = RLIM_UNSET },
                .umask = 0077,
        };
}

bool kt_mount_can_run(void) {
        const char *missing = NULL;

        if (!kt_can_run()) {
                fprintf(stderr, "kernel tests skipped: need root and a cgroup2 mount\n");
                return false;
        }
        if (mount_plan_supported(&missing) < 0) {
                fprintf(stderr, "kernel tests skipped: no %s\n", missing);
                return false;
        }
        return true;
}

int kt_mountinfo_save(void) {
        mountinfo_before = mfree(mountinfo_before);
        return cgfs_read(AT_FDCWD, "/proc/self/mountinfo", &mountinfo_before) < 0 ? -1 : 0;
}

int kt_mountinfo_check(void) {
        char *after = NULL;
        int r = 0;

        if (cgfs_read(AT_FDCWD, "/proc/self/mountinfo", &after) < 0 || !mountinfo_before ||
            strcmp(after, mountinfo_before) != 0) {
                print_error("the host's mount table changed:\nbefore:\n%s\nafter:\n%s\n",
                            mountinfo_before ? mountinfo_before : "(unread)", after ? after : "(unreadable)");
                r = -1;
        }
        free(after);
        mountinfo_before = mfree(mountinfo_before);
        return r;
}

siginfo_t kt_wait_exit(int pidfd) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        siginfo_t si = {};

        check(poll(&pfd, 1, 10000) == 1, "child did not exit within 10 s");
        check(waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG) == 0, "waitid: %m");
        return si;
}

int kt_count_fds(pid_t pid) {
        char path[64];
        struct dirent *de;
        DIR *d;
        int n = 0;

        if (pid > 0)
                snprintf(path, sizeof path, "/proc/%d/fd", (int) pid);
        else
                snprintf(path, sizeof path, "/proc/self/fd");
        d = opendir(path);
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return pid > 0 ? n : n - 1;
}
