/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of live upgrade and recovery (SPEC "Live upgrade and
 * recovery"):
 *
 * - daemon-state.c keeps RuntimeDirectory/ControlGroup/state current: an
 *   agent or supervisor that changed is marked, and an idle-priority defer
 *   source writes the marked ones (state-file.h), after the bus replies of
 *   that iteration, so starting an agent does not wait for its file.
 * - daemon-adopt.c reads the files at start-up, before the stale-group
 *   cleanup, and takes over every agent whose process is still the one
 *   recorded (pid, start time and cgroup checked; a pid reused by another
 *   process is never adopted). An agent whose process is gone ends as
 *   `lost`, handled by its restart type.
 * - daemon-reexec.c is Reexecute(): the state written, the fds that must
 *   survive (pidfds, output pipes, the notify socket and its lock, dynamic
 *   uid locks) handed
 *   to the new image, execve(). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "manager.h"
#include "state-file.h"

/* The environment variable that carries, across Reexecute's execve(), the
 * number of a memfd listing the fds passed (daemon-reexec.c). */
#define REEXEC_FD_ENV "AGENTVISORD_REEXEC_FD"

typedef struct PassedFds {
        char *name;
        int pidfd;
        int output_fd;                   /* the read end of its log-file pipe, or -EBADF */
        int listener_fd;                 /* its seccomp listener, or -EBADF */
        int uid_lock_fd;                 /* the lock of its dynamic uid, or -EBADF */
        uid_t uid;                       /* that uid */
        struct AgentViolations *violations; /* what was counted and learned (agent-violation-carry.c) */
} PassedFds;

typedef struct DaemonState {
        int dir_fd;
        StateWriter *writer;
        char *dir;                       /* for messages */
        Hashmap *entries;                /* agent name -> StateEntry */
        struct StateEntry *dirty;        /* entries whose file is to be rewritten */
        bool supervisors_dirty;
        sd_event_source *flush_source;
        bool disabled;                   /* the directory could not be used: nothing is kept */

        /* At start-up, until adoption is done. */
        AgentRecord *records;
        size_t n_records;
        SupervisorRecord *supervisors;
        size_t n_supervisors;
        char **keep;                     /* cgroups to keep, relative to the root group */

        /* Reexecute: what the earlier image passed (daemon-reexec.c). */
        bool reexecuted;
        Hashmap *passed;                 /* agent name -> PassedFds */
        int notify_fd, lock_fd;
} DaemonState;

/* daemon-state.c */
/* Opens the state directory (after notify_setup()) and reads it
 * (daemon_state_load()); an unusable one is logged and then nothing is kept
 * or read: agents are not carried over. */
int daemon_state_open(Manager *m);
/* In manager_new(): also takes what Reexecute's previous image passed. */
int daemon_state_new(Manager *m);
/* Drops what was read at start-up (records, passed fds not taken). */
void daemon_state_loaded_done(Manager *m);
/* At exit. Clean shutdown (every agent stopped): the files go too. */
void daemon_state_free(Manager *m);
void daemon_state_agent_changed(Agent *a);
void daemon_state_agent_removed(Agent *a);
void daemon_state_supervisors_changed(Manager *m);
/* Queues every marked record for the writer; wait (Reexecute, SIGUSR2):
 * returns once they are written, with the first error. */
int daemon_state_flush(Manager *m, bool wait);
/* SIGUSR2 (the unit's KillSignal=): the state written, the daemon exits
 * and leaves every agent running, for the next daemon to take over. */
void daemon_state_detach(Manager *m);

/* daemon-adopt.c */
/* Reads every record and lists the groups to keep (before the cgroup
 * root is opened). Bad files are logged, named, and skipped. */
int daemon_state_load(Manager *m);
/* Restart history and escalation of each supervisor (after they exist). */
void daemon_state_restore_supervisors(Manager *m);
/* The agents (after the loop's sources exist, before the bus). */
void daemon_state_adopt(Manager *m);
/* The relative cgroup of agent `name` under supervisor `sup` by the
 * configuration: "NAME.agent" or "S.supervisor/.../NAME.agent". */
int daemon_state_agent_rel(Manager *m, const char *sup, const char *name, char **ret);

/* daemon-reexec.c */
/* Reads what an earlier image passed ($REEXEC_FD_ENV), at the very start. */
int daemon_reexec_receive(Manager *m);
/* Remembers how the daemon was started (main()). */
int daemon_reexec_init(char **argv);
/* Before the reply to Reexecute: the state written, the binary there. */
int daemon_reexec_prepare(Manager *m);
/* Replaces the process image; returns only on failure (the daemon goes on). */
int daemon_reexec(Manager *m);
