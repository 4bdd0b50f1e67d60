/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Freezing an agent (SPEC "Freezing"): every process of its cgroup stopped
 * through the cgroup freezer (cgroup-freeze.h), State `frozen`, its
 * RuntimeMaxSec, CPU-time, start, watchdog and health timers paused with
 * the time they had left (so RuntimeMaxSec counts running time only), no
 * health check run, until it is thawed, stopped (killed at once) or ends.
 * A freeze is asked for by Freeze()/FreezeAgent(), or by its supervisor's
 * escalation with OnEscalation=freeze (SV_ACTION_FREEZE); the latter holds
 * it until ResetEscalation, which stops it. */
#pragma once

#include "agent.h"
#include "error-detail.h"
#include "state-file.h"

/* How long the kernel may take to stop every process (one in
 * uninterruptible sleep stops only when it leaves it). */
#define AGENT_FREEZE_TIMEOUT_USEC (5 * USEC_PER_SEC)

/* Told once: 0 when the freeze is complete, -ETIMEDOUT when it was not
 * within AGENT_FREEZE_TIMEOUT_USEC (the freeze stays asked for), -ECANCELED
 * when it was thawed first, -ESRCH when the agent was stopped or ended. */
typedef void (*AgentFreezeWaiter)(Agent *a, int error, void *userdata);

/* Freeze() and FreezeAgent(): 0 when the agent is frozen already, 1 when
 * the kernel is still stopping its processes (cb is told when it is done;
 * it may be NULL), or -errno with err set: not running (NotRunning), no
 * freezer on this host (Failed). Freezing a frozen agent is no error. */
int manager_freeze_agent(Agent *a, AgentFreezeWaiter cb, void *userdata, ErrorDetail *err);
/* Thaw() and ThawAgent(): the processes run again and the paused timers go
 * on with the time they had left. Not running: NotRunning; held frozen by
 * its supervisor's escalation: Escalated. Thawing an agent that is not
 * frozen is no error. */
int manager_thaw_agent(Agent *a, ErrorDetail *err);

/* SV_ACTION_FREEZE: freezes it, or, where it cannot be frozen, stops it
 * rather than leave it running under an escalated supervisor. */
void agent_freeze_for_escalation(Agent *a);

bool agent_is_frozen(const Agent *a);    /* asked for, done or not */

/* agent.c's hooks. */
void agent_freeze_cgroup_event(Agent *a);        /* cgroup.events changed */
/* A stop of a frozen agent: its group killed at once (cgroup.kill reaches
 * frozen processes; the v1 freezer is thawed for the SIGKILL to land). */
void agent_freeze_kill(Agent *a);
/* Timers that a queued sd_notify message (READY=1, WATCHDOG=1) armed while
 * frozen are paused again. */
void agent_freeze_hold_timers(Agent *a);
/* The invocation ended (or the agent goes): waiters told -ESRCH, state
 * dropped. */
void agent_freeze_done(Agent *a);

/* Live upgrade (daemon-state.h): the freeze as the state file keeps it. */
void agent_freeze_save(const Agent *a, FreezeRecord *ret);
/* An adopted invocation that was frozen (its timers armed again, as for a
 * running one): frozen again (the kernel kept it so; asked again all the
 * same), held by the escalation if it was, its timers paused with the time
 * they had left at the freeze. -errno when it cannot be frozen. */
int agent_freeze_restore(Agent *a, const FreezeRecord *r);
