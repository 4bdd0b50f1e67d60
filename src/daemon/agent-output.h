/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where an agent's stdout and stderr go: a journald stream named after the
 * agent, else a size-capped file in LogDirectory written by the daemon. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "agent.h"

/* Each output file is rotated to NAME.log.1 before it would grow past this,
 * so an agent holds at most twice this much of the disk. */
#define AGENT_OUTPUT_FILE_MAX (16U * 1024U * 1024U)

/* Returns an fd for the child's stdout and stderr (the caller closes it
 * after the spawn), or a negative errno when the output has nowhere to go
 * or the agent's StandardOutput= is null (-ENOENT; the child then writes
 * to /dev/null). `invocation` is true for the start
 * of an invocation, false for a health check of the running one. */
int agent_output_open(Agent *a, bool invocation);
/* Live upgrade: read_fd is the read end of an adopted invocation's pipe to
 * its log file (passed over Reexecute, or opened again through /proc after
 * a crash); it is now the daemon's, also on failure. */
int agent_output_adopt(Agent *a, int read_fd);
/* The read end of the running invocation's pipe to its log file, which the
 * daemon holds (a->output_pipe), and the pipe's identity (st_dev, st_ino);
 * -ENOENT when there is none (journald, no LogDirectory, or the invocation
 * ended). Still the pipe's: Reexecute passes it over as it is. */
int agent_output_read_fd(const Agent *a, dev_t *ret_dev, ino_t *ret_ino);
/* The output of the invocation's health checks, for one check's spawn:
 * returns the fd (still owned by the agent, in a->check_output_fd) or a
 * negative errno (the check writes to /dev/null). Call
 * agent_output_check_done() once spawn() returned. With journald, the
 * invocation's checks share one stream, held until
 * agent_output_check_close(). To the file, the daemon keeps no write end
 * between checks: a check's children that outlive it hold the pipe (and the
 * daemon its read end) and the next check writes into that same pipe
 * (a->check_pipe), so however many checks leave some behind, the daemon
 * holds one fd for them, and none when none is left. */
int agent_output_check_fd(Agent *a);
void agent_output_check_done(Agent *a);
/* The end of the invocation (or of the Agent): the daemon lets go of both
 * pipes (each lives on while a leftover process holds its write end). */
void agent_output_check_close(Agent *a);
