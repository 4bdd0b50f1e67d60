/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of the stop window (stop-batch.h): every stop the
 * supervision core asks for (shutdown, group restart, escalation, StopAgent)
 * goes through it, at most AGENTVISOR_STOP_BATCH (default 64) in flight. */
#pragma once

#include "agent.h"

/* SV_ACTION_STOP: agent_stop() now, or once a slot is free. A queued agent
 * already carries the reason, and its timers (watchdog, health, runtime)
 * are off: it ends as `reason` whatever ends it first. */
void agent_stop_batched(Agent *a, ExitReason reason);
/* From agent_finish() and agent_free(): its slot or place is given back. */
void agent_stop_batch_ended(Agent *a);
bool agent_stop_batch_queued(const Agent *a);
/* At exit: what the window did, and its timer released. */
void manager_stop_batch_done(Manager *m);
