/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's file descriptors against RLIMIT_NOFILE: a warning at start
 * when the configured agents cannot fit, and a clear message, not a bare
 * errno, when a start fails for want of fds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Manager Manager;

/* What a running agent may hold in the daemon: its pidfd, the read end of
 * its output pipe (without journald) and its seccomp listener (policies
 * with report rules); its cgroup holds none between operations. */
#define NOFILE_PER_AGENT 3
/* The daemon's own: bus, event loop, notify socket, inotify, state files,
 * logs, and the fds a spawn opens for a moment. */
#define NOFILE_BASE 256

/* How many agents the configuration allows: the sum of MaxChildren over
 * every supervisor (root and nested; each bounds its own agents). */
uint64_t nofile_configured_agents(const Manager *m);
/* About how many agents fit under a soft limit of `limit` fds. */
uint64_t nofile_agents_room(uint64_t limit);
/* At start: raises the soft limit to the hard one (spawn_raise_nofile()),
 * then logs a warning naming the limit, the room it leaves and the fix,
 * when the configured agents do not fit. */
void manager_nofile_setup(const Manager *m);

/* Whether a failure is the daemon's (EMFILE with its own table nearly
 * full) or the system's (ENFILE) file table being full; an EMFILE while the
 * daemon has room is the agent's own LimitNOFILE=. error is a positive
 * errno. */
bool nofile_exhausted(int error);
/* "out of file descriptors: RLIMIT_NOFILE N, M agents running; raise
 * LimitNOFILE= ..." into buf. */
const char *manager_nofile_message(const Manager *m, int error, char *buf, size_t size);
