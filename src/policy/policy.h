/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp policies: the language (see agentvisor.policy(5)), parsed and
 * compiled to a ready BPF program for the native architecture. Pure apart
 * from reading the policy files themselves; no seccomp syscall is made here
 * (the spawn path loads the finished program in the child). */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "macro.h"

typedef struct Policy Policy;

/* Resolves `name` (a policy name "default", or a path containing '/') along
 * search_path (directories; NAME.policy), parses it with its includes and
 * compiles it. -ENOENT: no such policy (diag says where it looked); -EINVAL:
 * a parse error with file:line:col in diag; -ELOOP: include cycle. */
int policy_load(const char *name, char * const *search_path, Policy **ret, Diagnostic *diag);
/* The same from text (includes still resolved along search_path). */
int policy_load_string(const char *text, const char *filename, char * const *search_path,
                       Policy **ret, Diagnostic *diag);
/* A policy is shared: the daemon's table of loaded policies holds one
 * reference and each agent invocation another, so that what an invocation
 * was started with outlives a Reload(). A new policy has one reference;
 * policy_free() is policy_unref(). */
Policy *policy_ref(Policy *p);
Policy *policy_unref(Policy *p);
Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

const char *policy_name(const Policy *p);
/* The compiled filter, ready for seccomp(SECCOMP_SET_MODE_FILTER). */
const struct sock_fprog *policy_filter(const Policy *p);

/* Human-readable resolved rule set: the default action and, per action, the
 * syscalls (with conditions), sorted. Used by `agentctl policy show`. */
int policy_dump(const Policy *p, FILE *f);
/* `@group` members, one per line. -ENOENT for an unknown group. */
int policy_group_dump(const char *group, FILE *f);
/* Names of all groups, NULL-terminated static array. */
const char * const *policy_group_names(void);
