/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RLIMIT_NOFILE bounds how many agents the daemon can run (a benchmark of
 * 10,000 agents failed at about 5,000 under a hard limit of 20,000): say so
 * at start, and name the limit when a start fails for want of fds. */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>

#include "agent.h"
#include "hashmap.h"
#include "log.h"
#include "manager.h"
#include "manager-nofile.h"
#include "spawn.h"

uint64_t nofile_configured_agents(const Manager *m) {
        uint64_t n = 0;

        for (size_t i = 0; i < m->config->n_supervisors; i++)
                n += m->config->supervisors[i].max_children;
        return n;
}

uint64_t nofile_agents_room(uint64_t limit) {
        return limit > NOFILE_BASE ? (limit - NOFILE_BASE) / NOFILE_PER_AGENT : 0;
}

void manager_nofile_setup(const Manager *m) {
        uint64_t want = nofile_configured_agents(m), room;
        struct rlimit rl;

        (void) spawn_raise_nofile();
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return;
        room = nofile_agents_room((uint64_t) rl.rlim_cur);
        if (room >= want)
                return;
        log_warning("RLIMIT_NOFILE is %" PRIu64 " (hard limit %" PRIu64 "): room for about %" PRIu64
                    " agents at %d fds each, but the configuration allows %" PRIu64 " (MaxChildren= summed over "
                    "the supervisors); starts past that fail with EMFILE. Raise LimitNOFILE= in the unit, or "
                    "the hard limit (ulimit -Hn) before a manual start.",
                    (uint64_t) rl.rlim_cur, rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t) rl.rlim_max,
                    room, NOFILE_PER_AGENT, want);
}

/* Whether the daemon's own fd table is (nearly) full: an EMFILE can also
 * be the agent's, from its own LimitNOFILE=, which the spawn child applies
 * before it makes its seccomp listener or loopback socket. Counted only on
 * a failure, so the listing's cost does not matter. */
static bool own_fds_near_limit(void) {
        struct rlimit rl;
        struct dirent *de;
        DIR *d;
        uint64_t n = 0;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return false;
        d = opendir("/proc/self/fd");
        if (!d)
                return errno == EMFILE || errno == ENFILE;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        /* A failed spawn has closed its own few fds again by now. */
        return n + 32 >= (uint64_t) rl.rlim_cur;
}

bool nofile_exhausted(int error) {
        return error == ENFILE || (error == EMFILE && own_fds_near_limit());
}

/* Agents whose process runs (or is being started): those holding fds. */
static size_t agents_running(const Manager *m) {
        Agent *a;
        size_t n = 0;

        HASHMAP_FOREACH(a, m->agents)
                if (a->pid > 0)
                        n++;
        return n;
}

const char *manager_nofile_message(const Manager *m, int error, char *buf, size_t size) {
        struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

        (void) getrlimit(RLIMIT_NOFILE, &rl);
        if (error == ENFILE)
                snprintf(buf, size, "out of file descriptors: the system's file table is full (ENFILE), %zu agents "
                         "running; raise fs.file-max", agents_running(m));
        else
                snprintf(buf, size, "out of file descriptors: RLIMIT_NOFILE %" PRIu64 ", %zu agents running; raise "
                         "LimitNOFILE= (or ulimit -Hn for a manual start)",
                         rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t) rl.rlim_cur, agents_running(m));
        return buf;
}
