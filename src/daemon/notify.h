/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The notify socket: one datagram socket for all agents at
 * RuntimeDirectory/ControlGroup/notify, beside the lock that keeps a second
 * daemon off the same ControlGroup; a message is credited to the agent whose
 * cgroup the sender sits in. */
#pragma once

#include "manager.h"

int notify_setup(Manager *m);
void notify_done(Manager *m);           /* closes; removes the socket and lock if ours */
/* An agent's cgroup is made / about to go: messages from it are its own. */
void notify_agent_add(Agent *a);
void notify_agent_remove(Agent *a);
