/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SIGUSR2, the shipped unit's KillSignal=: systemd sends it for
 * `systemctl stop` and for `systemctl restart` alike, so the daemon asks
 * systemd which job its unit has before it decides (systemd-job.c). */
#pragma once

#include "manager.h"

/* Asks systemd, over the daemon's bus and within about 1 s, for its unit's
 * job; a stop job stops every agent as SIGTERM does (reason shutdown),
 * anything else (a restart-type job, no job, no systemd, an error, no
 * answer in time) detaches: the state written, the agents left running. */
void systemd_job_on_sigusr2(Manager *m);
