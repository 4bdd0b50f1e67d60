/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the parser hands to the compiler: per-syscall rule lists in source
 * order, plus the native syscall table, groups and constants they refer to. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define POLICY_ARGS_MAX 6
#define POLICY_CONDITIONS_MAX 8
#define POLICY_INCLUDE_DEPTH_MAX 32

typedef enum PolicyOp {
        POLICY_OP_EQ,
        POLICY_OP_NE,
        POLICY_OP_LT,
        POLICY_OP_LE,
        POLICY_OP_GT,
        POLICY_OP_GE,
        _POLICY_OP_MAX,
        _POLICY_OP_INVALID = -EINVAL,
} PolicyOp;

const char *policy_op_to_string(PolicyOp op);
PolicyOp policy_op_from_string(const char *s);

/* `argN [& MASK] OP VALUE`; mask and value as written (64 bits). Whether the
 * argument is compared on 32 or 64 bits depends on the syscall, so it is
 * decided when compiling each rule. */
typedef struct PolicyCondition {
        unsigned arg;
        PolicyOp op;
        bool masked;
        uint64_t mask;
        uint64_t value;
        char *text;             /* as written, for policy_dump() */
} PolicyCondition;

/* The conditions of one source line, shared by every syscall it names. */
typedef struct PolicyConditionSet {
        PolicyCondition conditions[POLICY_CONDITIONS_MAX];
        unsigned n_conditions;
} PolicyConditionSet;

typedef struct PolicyRule {
        uint32_t action;                        /* SECCOMP_RET_* value */
        const PolicyConditionSet *conditions;   /* NULL: unconditional */
} PolicyRule;

/* Rules for one syscall in source order. The last matching rule wins; an
 * unconditional rule drops everything before it, so rules[0] is the only one
 * that may be unconditional. */
typedef struct PolicyRuleList {
        PolicyRule *rules;
        unsigned n_rules;
} PolicyRuleList;

struct Policy {
        unsigned n_ref;                         /* see policy_ref() */
        char *name;
        uint32_t default_action;
        PolicyRuleList *syscalls;               /* indexed by number, 0..max_nr */
        unsigned n_syscalls;
        PolicyConditionSet **condition_sets;    /* owned, freed with the policy */
        unsigned n_condition_sets;
        struct sock_fprog filter;               /* POLICY_FILTER_REAL */
        struct sock_fprog enforce_filter;       /* with report rules only, else empty */
        struct sock_fprog notify_filter;
};

/* Native syscall table from libseccomp, built once per process. */
typedef struct SyscallTable {
        uint32_t audit_arch;
        int max_nr;
        const char **names;     /* indexed by number, NULL where none */
        uint8_t *arg32;         /* per number, bit N: argN compares on its low 32 bits */
        uint8_t *arg16;         /* per number, bit N: argN compares on its low 16 bits (umode_t) */
} SyscallTable;

const SyscallTable *syscall_table_get(void);
/* The i-th entry of the argument width table: its syscall name and one
 * character per argument ('i' 32 bits, 'm' 16 bits, '.' 64 bits); NULL past
 * the end. For tests. */
const char *syscall_arg_widths(size_t i, const char **ret_name);

/* Resolves a syscall name: >= 0 the native number; -ENOENT unknown on every
 * architecture libseccomp knows; -EPROTONOSUPPORT known but not native. */
int syscall_resolve(const char *name);
const char *syscall_native_arch_name(void);

/* Groups: `name` with its '@'. Members are native numbers, sorted, unique. */
int syscall_group_get(const char *name, const int **ret_members, unsigned *ret_n);
/* Member names as written in the group definitions (with nested groups),
 * for tests that check every name against libseccomp's tables. */
const char *syscall_group_source(const char *name);

/* Symbolic constants (TIOCSTI, CLONE_NEWUSER, AF_UNIX, PER_LINUX, ...). */
int policy_constant_lookup(const char *name, uint64_t *ret);
/* "EPERM" -> 1; 0 if unknown. */
int policy_errno_from_name(const char *name);

/* Parses `text` (and its includes) into `p`. */
int policy_parse(Policy *p, const char *text, const char *filename, char * const *search_path,
                 Diagnostic *diag);
/* Finds policy `name` along search_path, then in extra_dir; a name with a '/'
 * is a path (relative ones to extra_dir). -ENOENT with the places looked in
 * (or the path tried) in *ret_looked; -EINVAL for an invalid name. */
int policy_find(const char *name, char * const *search_path, const char *extra_dir, char **ret,
                char **ret_looked);
void policy_condition_sets_free(PolicyConditionSet **sets, unsigned n);

/* Generates p->filter (and, when the policy reports, p->enforce_filter and
 * p->notify_filter) from the rule lists. -E2BIG when over BPF_MAXINSNS. */
int policy_compile(Policy *p, Diagnostic *diag);
/* One program of the given kind; the caller owns ret->filter. */
int policy_compile_kind(const Policy *p, PolicyFilterKind kind, struct sock_fprog *ret, Diagnostic *diag);
/* What a filter of that kind returns for a rule's (or the default's, nr -1)
 * action on syscall nr. */
uint32_t policy_filter_action(PolicyFilterKind kind, int nr, uint32_t action);

