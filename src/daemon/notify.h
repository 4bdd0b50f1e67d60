/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The notify socket: one abstract datagram socket for all agents; a
 * message is credited to the agent whose cgroup the sender sits in. */
#pragma once

#include "manager.h"

int notify_setup(Manager *m);
