/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's isolation state (SPEC "Isolation"): the kernel features
 * probed once at start (Manager.Features, and what a start is checked
 * against), DynamicUserRange= and the dynamic uid pool, and the pool of
 * network namespaces made ahead of time for PrivateNetwork= starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynamic-user.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "netns-pool.h"
#include "sandbox-ns.h"
#include "parse-util.h"
#include "path-util.h"
#include "state-directory.h"
#include "strv.h"

/* The pool's veto: a uid that owns another agent's StateDirectory is not
 * handed out (dynamic-user.h). */
static int dynamic_uid_veto(uid_t uid, const char *own_state_directory, void *userdata) {
        Manager *m = userdata;

        return state_directory_owned_by(m->config->state_directory, uid, own_state_directory, NULL);
}

int manager_dynamic_users(Manager *m, DynamicUserPool **ret, char **ret_message) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (!m->dynamic_users) {
                dir = path_join(m->config->runtime_directory, "dynamic-uid");
                if (!dir)
                        return -ENOMEM;
                r = dynamic_user_pool_new(m->dynamic_uid_min, m->dynamic_uid_max, dir, &m->dynamic_users,
                                          ret_message);
                if (r < 0)
                        return r;
                dynamic_user_pool_set_veto(m->dynamic_users, dynamic_uid_veto, m);
        }
        *ret = m->dynamic_users;
        return 0;
}

/* DynamicUserRange= is refused at start when wrong, with the file and line
 * it came from; a range reaching into the system users (< 1000) too. */
static int parse_dynamic_user_range(Manager *m) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = dynamic_user_range_parse(m->config->dynamic_user_range, &m->dynamic_uid_min, &m->dynamic_uid_max,
                                     &message);
        if (r == -ENOMEM)
                return -ENOMEM;
        if (r < 0) {
                log_error("%s:%u: DynamicUserRange=%s: %s", m->config->path ?: "<built-in>",
                          m->config->dynamic_user_range_line, m->config->dynamic_user_range,
                          message ?: strerror(-r));
                return -EINVAL;
        }
        return 0;
}

/* fs.suid_dumpable=1 leaves a process dumpable across its uid change: the
 * spawn child clears the flag right after its setresuid (spawn-child.c),
 * but until then a process of the agent's uid could ptrace it, and it runs
 * in the daemon's memory. */
static void warn_suid_dumpable(void) {
        _cleanup_free_ char *v = NULL;

        if (read_full_file("/proc/sys/fs/suid_dumpable", &v, NULL) >= 0 && v[0] == '1')
                log_warning("fs.suid_dumpable is 1 (debug): for a moment at each start, processes of the "
                            "agent's uid could trace the daemon's spawn child; set it to 0 or 2");
}

static const char *nsinit_problem(int r) {
        return r == -EPERM ? "it or its directory is not root's, or is writable by group or others" : strerror(-r);
}

/* agentvisor-nsinit, the init of PrivatePIDs= namespaces: next to the
 * daemon's own executable (a build tree, or an install that keeps both in
 * one directory), else where meson installs it. Without it PrivatePIDs=
 * starts are refused (sandbox_check_honourable()), and Features does not
 * list "pidns". */
static void find_nsinit(Manager *m) {
        const char *installed = PKGLIBEXECDIR "/agentvisor-nsinit";
        _cleanup_free_ char *sibling = NULL;
        char exe[4096];
        ssize_t n;
        int r = -ENOENT, r_sibling = -ENOENT;

        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
                char *slash;

                exe[n] = 0;
                slash = strrchr(exe, '/');
                if (slash && asprintf(&sibling, "%.*s/agentvisor-nsinit", (int) (slash - exe), exe) >= 0)
                        r = r_sibling = sandbox_ns_init_path_set(sibling);
        }
        if (r < 0)
                r = sandbox_ns_init_path_set(installed);
        m->features.pidns_init = r >= 0;
        if (r < 0 && m->features.pidns) {
                log_warning("PrivatePIDs= is not available: agentvisor-nsinit, the init of an agent's PID namespace, "
                            "is not usable at %s (%s) nor at %s (%s)",
                            sibling ?: "(the daemon's own directory)", nsinit_problem(r_sibling), installed,
                            nsinit_problem(r));
                m->features.pidns = false;
        }
}

static void probe_features(Manager *m) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *j = NULL;

        kernel_features_probe(&m->features);
        if (kernel_features_to_strv(&m->features, &l) >= 0)
                j = strv_join(l, " ");
        log_info("kernel features: %s", j ?: "(unknown)");
        /* Policies that report then load their plain filter: every rule
         * still acts (agent-violation.c can_notify()). */
        if (m->features.pidfd_getfd_error < 0)
                log_warning("reporting disabled: pidfd_getfd refused (%s; the daemon needs CAP_SYS_PTRACE and "
                            "pidfd_getfd allowed by its seccomp filter); report rules still act, unreported, "
                            "and learn mode is refused",
                            strerror(-m->features.pidfd_getfd_error));
        warn_suid_dumpable();
        find_nsinit(m);
}

/* How many network namespaces are kept ready: a burst of PrivateNetwork=
 * starts larger than this, faster than the helper makes them (about a
 * millisecond or two each), makes the rest the usual way. */
#define NETNS_POOL_SIZE 4

static void netns_pool_stop(Manager *m) {
        m->netns_refill_source = sd_event_source_disable_unref(m->netns_refill_source);
        m->netns_helper_source = sd_event_source_disable_unref(m->netns_helper_source);
        m->netns_pool = netns_pool_free(m->netns_pool);
}

static void netns_pool_schedule(Manager *m) {
        if (m->netns_refill_source)
                (void) sd_event_source_set_enabled(m->netns_refill_source, SD_EVENT_ONESHOT);
}

static int on_netns_helper(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r;

        r = netns_pool_helper_done(m->netns_pool);
        if (r == 0)
                return 0;
        m->netns_helper_source = sd_event_source_disable_unref(m->netns_helper_source);
        if (r < 0) {
                /* Ready ones are still handed out; then starts make their own. */
                log_warning("network namespace pool: the helper failed (%s); PrivateNetwork= starts make their "
                            "own namespace from now on", strerror(-r));
                return 0;
        }
        /* Starts may have taken some while it ran. */
        netns_pool_schedule(m);
        return 0;
}

/* Idle priority: runs when nothing else is pending, never inside a start. */
static int on_netns_refill(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        int r;

        if (!m->netns_pool || m->netns_helper_source || m->state == MANAGER_STOPPING)
                return 0;
        r = netns_pool_refill(m->netns_pool);
        if (r <= 0) {
                if (r == -ECHILD)
                        log_warning("network namespace pool: the helper died; PrivateNetwork= starts make their "
                                    "own namespace from now on");
                else if (r < 0 && r != -EIO)
                        log_warning("network namespace pool: cannot ask the helper: %s", strerror(-r));
                return 0;
        }
        r = sd_event_add_io(m->event, &m->netns_helper_source, netns_pool_helper_fd(m->netns_pool), EPOLLIN,
                            on_netns_helper, m);
        if (r < 0) {
                /* Not watched, never reaped: give the pool up (kills it). */
                log_warning("network namespace pool: cannot watch the helper (%s), pool off", strerror(-r));
                netns_pool_stop(m);
        }
        return 0;
}

/* AGENTVISOR_NETNS_POOL=N (0 to 16; 0: off) is for benchmarking only: it
 * lets a run compare starts with and without the pool. */
static int netns_pool_start(Manager *m) {
        const char *e = getenv("AGENTVISOR_NETNS_POOL");
        unsigned size = NETNS_POOL_SIZE;
        int r;

        if (!m->features.netns)
                return 0;
        if (e) {
                if (parse_uint(e, &size) < 0 || size > NETNS_POOL_MAX) {
                        log_warning("AGENTVISOR_NETNS_POOL=%s: not a number from 0 to %u, ignored", e,
                                    NETNS_POOL_MAX);
                        size = NETNS_POOL_SIZE;
                }
                if (size == 0)
                        return 0;
        }
        r = netns_pool_new(size, &m->netns_pool);
        if (r == -EOPNOTSUPP)
                return 0;
        if (r < 0)
                return r;
        r = sd_event_add_defer(m->event, &m->netns_refill_source, on_netns_refill, m);
        if (r < 0) {
                netns_pool_stop(m);
                return r;
        }
        (void) sd_event_source_set_priority(m->netns_refill_source, SD_EVENT_PRIORITY_IDLE);
        /* The helper is a copy of the daemon for the pool's life: made now,
         * while the daemon is small, before it takes over the agents of an
         * earlier image (thousands, after a Reexecute) and their fds. */
        (void) on_netns_refill(m->netns_refill_source, m);
        return 0;
}

int manager_netns_take(Manager *m) {
        int fd;

        if (!m->netns_pool)
                return -EAGAIN;
        fd = netns_pool_take(m->netns_pool);
        /* The take may have received the rest of the batch in flight, which
         * leaves nothing for the helper's watch to see. */
        if (m->netns_helper_source && netns_pool_helper_fd(m->netns_pool) < 0)
                m->netns_helper_source = sd_event_source_disable_unref(m->netns_helper_source);
        netns_pool_schedule(m);
        return fd;
}

void manager_isolation_done(Manager *m) {
        netns_pool_stop(m);
}

void manager_isolation_before_exec(Manager *m) {
        m->netns_helper_source = sd_event_source_disable_unref(m->netns_helper_source);
        netns_pool_stop_helper(m->netns_pool);
}

int manager_isolation_setup(Manager *m) {
        int r;

        r = parse_dynamic_user_range(m);
        if (r < 0)
                return r;
        /* Once, off the start path: the user namespace probe forks. */
        probe_features(m);
        r = netns_pool_start(m);
        if (r < 0)
                log_warning("network namespace pool: %s; PrivateNetwork= starts make their own", strerror(-r));
        return 0;
}
