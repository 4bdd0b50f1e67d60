/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp policies: the language (see agentvisor.policy(5)), parsed and
 * compiled to a ready BPF program for the native architecture. Pure apart
 * from reading the policy files themselves; no seccomp syscall is made here
 * (the spawn path loads the finished program in the child). */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
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

/* A policy whose rules `report` is loaded as two filters, in this order:
 * the notify filter (with SECCOMP_FILTER_FLAG_NEW_LISTENER) returns
 * SECCOMP_RET_USER_NOTIF where a report rule decides and allows the rest;
 * the enforce filter returns every other rule's action and allows what a
 * report rule decides. The kernel runs both and the stricter answer wins,
 * so together they are the policy with the reported syscalls handed to the
 * daemon, which answers them with policy_answer(). Neither is safe alone:
 * policy_filter() is the one to load without a listener, and there a
 * report rule simply acts (a `kill report` still kills). */
/* `report` on a rule or the default: a flag beside the SECCOMP_RET_* value,
 * in a bit of SECCOMP_RET_DATA no errno reaches (errnos stay below 4096).
 * The compiler strips it (see PolicyFilterKind); the kernel never sees it. */
#define POLICY_ACTION_REPORT 0x8000U

typedef enum PolicyFilterKind {
        POLICY_FILTER_REAL,     /* every rule its action, `report` ignored */
        POLICY_FILTER_ENFORCE,
        POLICY_FILTER_NOTIFY,
        POLICY_FILTER_LEARN,    /* allowed: allow; anything else: USER_NOTIF */
        _POLICY_FILTER_KIND_MAX,
} PolicyFilterKind;

bool policy_has_report(const Policy *p);
/* Whether a `kill ... report` rule (or default) is in it: without its
 * listener such a rule no longer kills (USER_NOTIF answers ENOSYS). */
bool policy_reports_kill(const Policy *p);
/* NULL unless policy_has_report(). */
const struct sock_fprog *policy_enforce_filter(const Policy *p);
const struct sock_fprog *policy_notify_filter(const Policy *p);
/* The real action (SECCOMP_RET_*) for a notified syscall: what the policy
 * says for that syscall and those arguments, from the POLICY_FILTER_REAL
 * program. -EINVAL if the program cannot run on it. */
int policy_answer(const Policy *p, const struct seccomp_data *data, uint32_t *ret_action);
/* Short text for an action: "allow", "kill", "log", "errno EPERM", with
 * " report" for a rule that reports. */
void policy_action_format(uint32_t action, char *buf, size_t size);
/* The action for syscalls the policy does not name (with its report flag). */
uint32_t policy_default_action(const Policy *p);
/* The native syscall's name, NULL for a number with none. */
const char *policy_syscall_name(int nr);
/* The learning filter for `PolicyMode=learn` (caller frees ret->filter):
 * allows what this policy allows and notifies everything else. */
int policy_learn_filter(const Policy *p, struct sock_fprog *ret);

/* Human-readable resolved rule set: the default action and, per action, the
 * syscalls (with conditions), sorted. Used by `agentctl policy show`. */
int policy_dump(const Policy *p, FILE *f);
/* `@group` members, one per line. -ENOENT for an unknown group. */
int policy_group_dump(const char *group, FILE *f);
/* Names of all groups, NULL-terminated static array. */
const char * const *policy_group_names(void);
