/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where an agent's stdout and stderr go: a journald stream named after the
 * agent, else a size-capped file in LogDirectory written by the daemon. */
#pragma once

#include <stdbool.h>

#include "agent.h"

/* Each output file is rotated to NAME.log.1 before it would grow past this,
 * so an agent holds at most twice this much of the disk. */
#define AGENT_OUTPUT_FILE_MAX (16U * 1024U * 1024U)

/* Returns an fd for the child's stdout and stderr (the caller closes it
 * after the spawn), or a negative errno when the output has nowhere to go
 * (the child then writes to /dev/null). `invocation` is true for the start
 * of an invocation, false for a health check of the running one. */
int agent_output_open(Agent *a, bool invocation);
/* The output of the invocation's health checks: one channel (a journald
 * stream, or one pipe to the file) opened at the first check and kept in
 * a->check_output_fd for every next one, until agent_output_check_close().
 * A check's children that outlive it hold that same channel, so they cannot
 * make the daemon hold more fds however many checks leave some behind.
 * Returns the fd, still owned by the agent, or a negative errno (the check
 * writes to /dev/null). */
int agent_output_check_fd(Agent *a);
void agent_output_check_close(Agent *a);
