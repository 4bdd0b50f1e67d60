/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy violations: the seccomp listener of an invocation whose policy
 * reports (policy.h), answered from the event loop, counted and signalled;
 * and learn mode (PolicyMode=learn, agent-learn.c), which uses the same
 * listener for a filter that notifies everything its base does not allow. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#include "spawn.h"
#include "time-util.h"

typedef struct Agent Agent;
typedef struct LearnSet LearnSet;

#define VIOLATIONS_RECENT_MAX 8
/* SPEC: at most this many PolicyViolation signals per agent per second;
 * the rest are only counted. */
#define VIOLATION_SIGNALS_PER_SEC 10

typedef struct ViolationRecord {
        usec_t realtime;
        int nr;
        uint64_t args[6];
        uint32_t action;                 /* SECCOMP_RET_* the daemon answered with */
} ViolationRecord;

/* The times of the last signals, for a sliding one-second window. */
typedef struct ViolationRate {
        usec_t sent[VIOLATION_SIGNALS_PER_SEC];
        unsigned next;
} ViolationRate;

typedef struct AgentViolations {
        int listener_fd;
        sd_event_source *source;
        uint64_t count;                  /* this invocation's */
        ViolationRate rate;
        ViolationRecord recent[VIOLATIONS_RECENT_MAX];
        unsigned n_recent, recent_next;  /* a ring, recent_next the oldest once full */
        bool learn;                      /* this invocation runs the learning filter */
        struct sock_fprog learn_filter;  /* kept until the spawn has loaded it */
        LearnSet *learned;               /* what learn mode saw, kept past the end */
        bool lost;                       /* the listener went with a crashed daemon (agent-violation-carry.c) */
} AgentViolations;

/* Before spawn() of an invocation: the filters for a->policy (a reporting
 * policy: the notify + enforce pair; PolicyMode=learn: the learning filter
 * alone), *listener_fd where spawn() leaves the listener. Resets the count. */
int agent_violation_prepare(Agent *a, SpawnParams *p, int *listener_fd);
/* After a successful spawn(): polls the listener (takes the fd). Should
 * that fail, the agent is killed: nobody would answer it. */
void agent_violation_started(Agent *a, int listener_fd);
/* The invocation ended (its cgroup is empty): the listener goes. */
void agent_violation_end(Agent *a);
void agent_violation_free(Agent *a);

uint64_t agent_violation_count(const Agent *a);
/* The last ones, oldest first; returns how many (at most VIOLATIONS_RECENT_MAX). */
unsigned agent_violation_recent(const Agent *a, const ViolationRecord **ret, unsigned max);

/* agent-violation-carry.c: live upgrade (daemon-state.h). */
/* The SeccompListener= of its state file (a ListenerRecord). */
unsigned agent_violation_listener_record(const Agent *a);
/* Reexecute: "viol NAME ..." and "learn NAME ..." lines for the memfd with
 * what was counted and learned; *ret_listener_fd is the listener to keep
 * across the exec (or -EBADF). */
int agent_violation_serialize(const Agent *a, FILE *f, int *ret_listener_fd);
/* One such line, without its first two words (kind "viol" or "learn"),
 * into *v (made on the first line). -EBADMSG, -ENOMEM. */
int agent_violation_deserialize(AgentViolations **v, const char *kind, const char *rest);
AgentViolations *agent_violations_free(AgentViolations *v);
/* An adopted agent: what the earlier image carried (taken), its listener
 * (taken, polled again), or, when its invocation had one that is gone
 * (recorded: a ListenerRecord), what a lost listener means for it. */
void agent_violation_takeover(Agent *a, AgentViolations **carried, int *listener_fd, unsigned recorded);
bool agent_violation_lost(const Agent *a);

/* Pure, for tests: whether one more signal at `now` keeps at most
 * VIOLATION_SIGNALS_PER_SEC in any second; if so it is recorded. */
bool violation_rate_allow(ViolationRate *r, usec_t now);
/* "ptrace" for a native syscall number, else "syscall-NR" in buf. */
const char *violation_syscall_name(int nr, char *buf, size_t size);
