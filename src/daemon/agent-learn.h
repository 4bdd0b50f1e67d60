/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Learn mode (PolicyMode=learn): the agent runs under a filter that
 * notifies every syscall its policy (the base) would not allow, the daemon
 * records it and lets it run (SECCOMP_USER_NOTIF_FLAG_CONTINUE), and
 * GetLearnedPolicy() turns what was seen into a policy that includes the
 * base and allows exactly that. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Agent Agent;
typedef struct LearnSet LearnSet;

/* Before the spawn: a fresh record and the learning filter for a->policy. */
int agent_learn_prepare(Agent *a, struct sock_fprog *ret_filter);
void agent_learn_record(Agent *a, const struct seccomp_data *data);
LearnSet *agent_learn_free(LearnSet *s);

/* The learned policy's text; -ENODATA when the agent never ran in learn mode. */
int agent_learn_policy_text(const Agent *a, char **ret);

/* Pure parts, for tests. */
/* base_default: the base policy's default action (policy_default_action()). */
LearnSet *learn_set_new(const char *base, const char *command, uint32_t base_default);
int learn_set_add(LearnSet *s, const struct seccomp_data *data);
int learn_set_format(const LearnSet *s, char **ret);
/* Reexecute: the set as lines beginning with prefix, and one such line
 * (without the prefix) back into *s (made by its first, "set", line). */
int learn_set_serialize(const LearnSet *s, FILE *f, const char *prefix);
int learn_set_deserialize(LearnSet **s, const char *line);
