/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state the daemon keeps under RuntimeDirectory/ControlGroup/state so
 * that a daemon executed anew (Reexecute) or started again after a crash can
 * take its agents over (SPEC "Live upgrade and recovery"): one file per
 * agent ("agent.NAME") and per supervisor ("supervisor.NAME").
 *
 * The format is text, one "Key=value" per line, values escaped (\\, \n, and
 * other control bytes as \xNN; in lists a space is \x20 too). The first
 * line is "Version=N": a daemon reads up to STATE_FILE_VERSION and refuses a
 * newer file (with the file and both versions in the error) rather than
 * misread it. Keys it does not know are an error too, for the same reason.
 *
 * An agent's spec is written row by row of the agent schema
 * (agent-schema.h), by the row's file key, so a key added there is kept
 * without a change here.
 *
 * Files are written whole to a temporary name and renamed over the old
 * one, so a reader sees either the old or the new state (not fsync()ed:
 * they need to outlive the daemon, not the machine). They are
 * root's, 0600, in a directory only root can write (state_dir_open()); a
 * file or directory that is not is refused, never trusted. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-state.h"
#include "config.h"
#include "exit-reason.h"
#include "time-util.h"

/* 2: the freeze (Frozen*) and the seccomp listener (SeccompListener=) of
 * an agent. Version 1 files are read as having neither.
 * 3: the identity of the invocation's output pipe (OutputPipeDevice=,
 * OutputPipeInode=). Older files have none: after a crash their agents'
 * output is not taken over. */
#define STATE_FILE_VERSION 3
/* A state file larger than this is not one of ours. */
#define STATE_FILE_SIZE_MAX (1024U * 1024U)
#define STATE_DIR_NAME "state"

/* Where the core had the agent: the same values, in the same order, as
 * SvRestoreState (src/supervise/sv-restore.h), by name in the file. */
typedef enum AgentRecordCore {
        AGENT_RECORD_RUNNING,            /* starting or running */
        AGENT_RECORD_DOWN,               /* ended, started again only by its supervisor's start */
        AGENT_RECORD_HELD,               /* ended for good or stopped on request */
        AGENT_RECORD_WAITING,            /* a restart is due at RestartDeadline (monotonic) */
        AGENT_RECORD_STOPPING_REQUEST,
        AGENT_RECORD_STOPPING_RESTART,
        AGENT_RECORD_STOPPING_SUPERVISOR,
        AGENT_RECORD_STOPPING_REMOVAL,
        AGENT_RECORD_FROZEN,             /* held frozen by its supervisor's escalation */
        _AGENT_RECORD_CORE_MAX,
        _AGENT_RECORD_CORE_INVALID = -EINVAL,
} AgentRecordCore;

const char *agent_record_core_to_string(AgentRecordCore c);
AgentRecordCore agent_record_core_from_string(const char *s);

/* A frozen invocation (agent-freeze.c): kept frozen by the next daemon,
 * with its paused timers' time left. */
typedef enum FreezeRecordMode {
        FREEZE_RECORD_NONE,
        FREEZE_RECORD_FROZEN,            /* Freeze() */
        FREEZE_RECORD_ESCALATION,        /* OnEscalation=freeze: held until ResetEscalation */
        _FREEZE_RECORD_MODE_MAX,
} FreezeRecordMode;

/* RuntimeMaxSec, CPU time, start, watchdog, health: agent-freeze.c's order. */
#define FREEZE_RECORD_TIMERS 5

typedef struct FreezeRecord {
        unsigned mode;                   /* FreezeRecordMode */
        unsigned paused;                 /* a bit per timer that was armed at the freeze */
        usec_t left[FREEZE_RECORD_TIMERS];
        usec_t since;                    /* CLOCK_MONOTONIC of the freeze */
} FreezeRecord;

/* The seccomp listener of the invocation (agent-violation.c). */
typedef enum ListenerRecord {
        LISTENER_RECORD_NONE,
        LISTENER_RECORD_LIVE,            /* its policy reports, or learn mode: the daemon answers */
        LISTENER_RECORD_LOST,            /* lost with a crashed daemon: report rules answer ENOSYS */
        _LISTENER_RECORD_MAX,
        LISTENER_RECORD_UNKNOWN = _LISTENER_RECORD_MAX, /* a version 1 file: told by its policy */
} ListenerRecord;

typedef struct AgentRecord {
        char *name;
        char *type;                      /* "" for RunAgent */
        AgentSpec spec;
        bool oom_score_adj_set;          /* not a schema row of its own */
        AgentRecordCore core;
        unsigned restart_count;
        unsigned consecutive;            /* consecutive restarts, for the backoff */
        usec_t restart_deadline;         /* WAITING: CLOCK_MONOTONIC */
        uint8_t invocation_id[16];
        usec_t started_realtime, started_monotonic;
        pid_t pid;                       /* 0: no main process */
        uint64_t pid_starttime;          /* /proc/PID/stat field 22, clock ticks since boot */
        char *cgroup;                    /* v2 path; NULL: no invocation's group */
        uid_t uid;
        gid_t gid;
        bool uid_dynamic;
        bool ready;
        bool has_filter;
        usec_t watchdog_usec;
        AgentHealth health;
        ExitReason kill_reason;
        ExitRecord exit;
        usec_t exit_realtime, exit_runtime;
        uint64_t exit_cpu_nsec, exit_memory_peak, oom_kills;
        usec_t frozen_total;             /* time frozen in ended freezes: timers count running time */
        FreezeRecord freeze;
        unsigned listener;               /* ListenerRecord */
        /* The pipe to its log file (st_dev, st_ino; 0: none): after a crash,
         * the only one the daemon takes over from /proc/PID/fd/1. */
        uint64_t output_dev, output_ino;
} AgentRecord;

typedef struct SupervisorRecord {
        char *name;
        bool escalated;
        char *reason;                    /* "" when not escalated */
        usec_t *restart_times;           /* CLOCK_MONOTONIC, oldest first */
        size_t n_restart_times;
} SupervisorRecord;

void agent_record_init(AgentRecord *r);
void agent_record_done(AgentRecord *r);
void supervisor_record_done(SupervisorRecord *r);

/* The text of a record; -ENOMEM. */
int agent_record_format(const AgentRecord *r, char **ret);
int supervisor_record_format(const SupervisorRecord *r, char **ret);
/* Parses text read from `file` (named in errors). 0, or a negative errno
 * with *ret_error saying what is wrong and where (for the caller to free):
 * -EPROTONOSUPPORT for a newer format version, -EBADMSG for anything
 * malformed or missing, -ENOMEM. */
int agent_record_parse(const char *text, const char *file, AgentRecord *ret, char **ret_error);
int supervisor_record_parse(const char *text, const char *file, SupervisorRecord *ret, char **ret_error);

/* RUNTIME/CONTROLGROUP/state beneath dirfd (the notify directory): made
 * 0700 if missing; refused (-EPERM, logged, naming it) unless it is a
 * directory owned by the daemon's uid and writable by no one else. */
int state_dir_open(int dirfd, const char *shown, int *ret);
/* Writes text to name beneath dirfd atomically: a temporary file (0600),
 * rename(). */
int state_file_write(int dirfd, const char *name, const char *text);
/* Reads name beneath dirfd: a regular file owned by the daemon's uid, mode
 * 0600 or tighter, at most STATE_FILE_SIZE_MAX. -EPERM (untrusted), -EFBIG,
 * or -errno, each with *ret_error. */
int state_file_read(int dirfd, const char *name, char **ret_text, char **ret_error);
/* The start time of pid, field 22 of /proc/PID/stat (clock ticks since
 * boot); *ret_zombie tells whether it has exited unreaped (may be NULL). */
int state_pid_starttime(pid_t pid, uint64_t *ret, bool *ret_zombie);
/* The v2 cgroup of pid, the "0::" line of /proc/PID/cgroup. */
int state_pid_cgroup(pid_t pid, char **ret);

/* state-file-writer.c: a thread that writes (and removes) state files
 * beneath dir_fd (the caller's) in the order they were queued; text is
 * taken (NULL: remove name). A newer text for a name still queued replaces
 * the queued one. */
typedef struct StateWriter StateWriter;
int state_writer_new(int dir_fd, const char *dir, StateWriter **ret);
int state_writer_put(StateWriter *w, const char *name, char *text);
/* Waits until everything queued is done: the first error since the last
 * drain, or 0. */
int state_writer_drain(StateWriter *w);
StateWriter *state_writer_free(StateWriter *w);     /* drains first */
