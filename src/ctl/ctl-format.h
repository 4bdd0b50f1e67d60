/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure formatting for agentctl's human output: uptimes, timestamps, exit
 * records, usage against limits, state colors, and the process tree of an
 * agent's cgroup. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"
#include "props.h"

#define ANSI_RED "\x1b[0;1;31m"
#define ANSI_GREEN "\x1b[0;1;32m"
#define ANSI_YELLOW "\x1b[0;1;33m"
#define ANSI_WHITE "\x1b[0;1;37m"
#define ANSI_BOLD "\x1b[0;1m"
#define ANSI_NORMAL "\x1b[0m"

/* Largest two units: "3d 4h", "2h 5min", "5min 3s", "42s", "350ms", "0". */
const char *ctl_format_uptime(char *buf, size_t size, usec_t t);
/* CLOCK_REALTIME usec as local "Mon 2025-01-06 12:00:00 UTC"; "n/a" for 0. */
const char *ctl_format_timestamp(char *buf, size_t size, usec_t t);
/* "HH:MM:SS" local time, for lists of restart times. */
const char *ctl_format_clock(char *buf, size_t size, usec_t t);
/* The last end of an agent: "exited, status 1", "signal SIGKILL (killed by
 * daemon)", "oom (killed by kernel)", "spawn-failed, No such file or directory". */
const char *ctl_format_exit(char *buf, size_t size, const char *reason, int status, const char *killed_by);
/* "12.0M (max 64.0M)" for sizes, "3 (limit 64)" for counts; UINT64_MAX
 * current is "n/a", UINT64_MAX max leaves the parenthesis out. */
const char *ctl_format_usage(char *buf, size_t size, uint64_t current, uint64_t max, bool bytes);
/* "0123..." lowercase hex of n bytes; buf needs 2n+1. */
const char *ctl_format_hex(char *buf, size_t size, const uint8_t *data, size_t n);

/* The effective sandbox of an agent in one line, for `agentctl status`:
 * "strict (dynamic uid 61213, private tmp/dev/net/ipc/pids, ro system, no
 * home, proc invisible, subset pid, landlock v7)". agent holds its
 * properties: Sandbox (the preset), User, UID and the isolation keys
 * (PrivateTmp, ProtectSystem...) where the daemon exposes them; a key it
 * does not expose is the preset's value, and the line then says "preset:"
 * before those, since the agent's type may have changed them. features is
 * the Manager's Features (for the Landlock ABI), or NULL. NULL when the
 * agent has no Sandbox property (a daemon without isolation). */
const char *ctl_format_sandbox(char *buf, size_t size, const PropList *agent, char * const *features);

/* ANSI color for the status dot: green running/healthy, red failed or
 * unhealthy, yellow in transition, white ended. */
const char *ctl_state_color(const char *state, const char *health);

typedef struct ProcEntry {
        pid_t pid;
        pid_t ppid;
        char *cmdline;
} ProcEntry;

void proc_entries_free(ProcEntry *p, size_t n);

/* Renders the processes as a tree by parent PID, children sorted by PID,
 * each line `prefix` + "├─PID cmdline" (└─ for the last, │ continuing
 * branches). Processes whose parent is not in the table are roots. Lines
 * are cut to width columns when width > 0. */
int proc_tree_render(const ProcEntry *procs, size_t n, const char *prefix, size_t width, FILE *f);

/* The exit code for a failed call: error_name is the D-Bus error (NULL when
 * the call failed locally), error a positive errno. NoSuch* errors are
 * CTL_EXIT_NOT_FOUND; a missing daemon or a lost connection is
 * CTL_EXIT_UNREACHABLE; everything else CTL_EXIT_FAILURE. */
int ctl_exit_code_for_error(const char *error_name, int error);
