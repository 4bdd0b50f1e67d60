/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of an agent share among themselves: agent.c (lifecycle),
 * agent-exec.c (exec context), agent-health.c (timers, watchdog, health
 * checks, CPU budget) and agent-userdb.c (identities). Not for the bus side. */
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "agent-sandbox.h"
#include "agent-userdb.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static inline int agent_pidfd_send(int pidfd, int sig) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

/* agent.c */
void agent_set_health(Agent *a, AgentHealth h);
/* Live upgrade (daemon-adopt-agent.c): watch the adopted a->pidfd; the
 * main process has ended (code, status as waitid() gives them). */
int agent_pidfd_watch(Agent *a);
void agent_main_gone(Agent *a, int code, int status);
/* daemon-adopt-agent.c: how an adopted main process that is not our child
 * ended (PIDFD_GET_INFO, Linux 6.15); -errno when the kernel cannot tell. */
int agent_adopted_exit(Agent *a, int *ret_code, int *ret_status);

/* agent-exec.c: identity, environment, policy, sandbox and spawn
 * parameters for argv. `invocation`: the start of an invocation, which
 * takes the current policy (a->policy holds a reference), its uid (a
 * dynamic one from the pool) and prepares its StateDirectory; else a helper
 * of the running one (a health check), which runs as the invocation's uid,
 * under a->policy and in the same sandbox. *ret_sandbox must be released
 * with agent_sandbox_done() after spawn(), and the v1 cgroup.procs fds in
 * p closed with cgroup_v1_procs_close(a->cgroup); on failure it is empty and
 * *ret_step names what failed. */
int agent_prepare_spawn(Agent *a, char *const *argv, bool invocation, Identity *id, char ***ret_env,
                        AgentSandbox *ret_sandbox, SpawnParams *p, const char **ret_step);
/* agent.c: the invocation's cgroup is empty: give back its dynamic uid. */
void agent_release_identity(Agent *a);

/* agent-health.c: the invocation's time sources. */
void agent_timer_off(sd_event_source *s);
/* What a stop records at once (agent.c): why the daemon ends the agent (a
 * shutdown overrides a stop) and its timers off, so that nothing that
 * happens while it ends changes that. */
void agent_stop_mark(Agent *a, ExitReason reason);
int agent_timer_set(Agent *a, sd_event_source **s, usec_t when, usec_t accuracy, sd_event_time_handler_t cb);
int agent_timers_arm_start(Agent *a, const char **ret_step);
/* The same, counting from base (CLOCK_MONOTONIC): an adopted invocation
 * keeps the deadlines it started with. */
int agent_timers_arm_at(Agent *a, usec_t base, const char **ret_step);
void agent_timers_clear(Agent *a);
void agent_check_clear(Agent *a);          /* kills and reaps a running health check */
void agent_enter_running(Agent *a);
/* WATCHDOG=1: moves the watchdog deadline; false when the agent was ended
 * because the timer could not be armed. */
bool agent_watchdog_ping(Agent *a);
/* SIGTERM sent: cgroup.kill after AgentTimeoutSec unless already armed. */
int agent_stop_timer_arm(Agent *a);
