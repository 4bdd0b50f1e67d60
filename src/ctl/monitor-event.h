/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One Manager signal as `agentctl monitor` shows it: the decoded fields and
 * their rendering as a readable line or a JSON object. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "macro.h"

typedef struct MonitorEvent {
        usec_t timestamp;        /* CLOCK_REALTIME when agentctl received it */
        const char *signal;      /* D-Bus member: AgentStarted, AgentExited, ... */
        const char *name;        /* agent, or supervisor for Escalated */
        const char *agent;       /* object path, NULL for Escalated */
        uint32_t main_pid;       /* AgentStarted */
        const char *reason;      /* AgentExited, Escalated */
        int32_t status;          /* AgentExited */
        uint32_t restart_count;  /* AgentRestarted */
        const char *health;      /* HealthChanged */
        const char *syscall;     /* PolicyViolation */
        const uint64_t *args;
        size_t n_args;
        const char *action;
} MonitorEvent;

/* "ptrace(0x3, 0x1f2, 0, 0, 0, 0)" into buf. */
const char *monitor_format_syscall(char *buf, size_t size, const char *syscall, const uint64_t *args, size_t n);

/* "2025-01-06 12:00:00.123 AgentExited crasher: exited, status 1" (local time). */
void monitor_event_print(const MonitorEvent *e, FILE *f);
/* One JSON object on one line; keys: timestamp_usec, timestamp (UTC ISO
 * 8601), signal, then the signal's own fields in snake_case. */
void monitor_event_print_json(const MonitorEvent *e, FILE *f);
