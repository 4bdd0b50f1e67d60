/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent-spec schema: one row per agent key, naming it in the files
 * ([Agent] of agents.d), on the bus (RunAgent property, StartAgent option,
 * Agent property) and in the AgentSpec (offsetof), with the functions that
 * parse it from text, set it from a bus value and read it back. agents.d
 * parsing, the bus options, the tighten-only rule of StartAgent, the spec
 * properties of org.agentvisor1.Agent and agentctl's JSON all walk this
 * table (agentctl's JSON prints the properties by their names, see
 * test-ctl-schema), so a new key is one row plus the semantics behind it.
 * Pure: no bus here; the daemon reads the variant by the row's signature. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum AgentKeyFlags {
        AGENT_KEY_RUN = 1 << 0,            /* a RunAgent property */
        AGENT_KEY_START = 1 << 1,          /* a StartAgent option; without it, StartAgent calls the
                                            * key unknown and the type's value stays (Policy, User...) */
        AGENT_KEY_TIGHTEN = 1 << 2,        /* StartAgent may only tighten the type's value: for a t, smaller
                                            * is tighter, UINT64_MAX (none) the loosest; the sandbox keys
                                            * say in their setters (agent-key-sandbox.c) */
        AGENT_KEY_PER_INVOCATION = 1 << 3, /* StartAgent adds to the type's value for this agent only */
} AgentKeyFlags;

/* Where a spec property sits among the Agent interface's properties: the
 * vtable order is introspection's and GetAll's, which `agentctl --json
 * status` prints in. */
typedef enum AgentPropertySection {
        AGENT_PROPERTIES_NONE,             /* no Agent property */
        AGENT_PROPERTIES_EXEC,             /* after ControlGroup: what runs, as whom, how restarted */
        AGENT_PROPERTIES_LIMITS,           /* after the live cgroup figures */
} AgentPropertySection;

/* A value as the bus carries it; which member is meant follows the row's
 * signature: s str, as strv, t and u u64, i i64, b u64 (0 or 1; a getter
 * gives UINT64_MAX for a yes/no key left unset). Getters point into the
 * spec. */
typedef struct AgentValue {
        const char *str;
        char **strv;
        uint64_t u64;
        int64_t i64;
} AgentValue;

/* Where a file value comes from, for diagnostics and Supervisor=. */
typedef struct AgentKeyContext {
        const char *file;
        unsigned line;
        const DaemonConfig *config;        /* NULL: Supervisor= is not checked */
} AgentKeyContext;

typedef struct AgentKey AgentKey;
struct AgentKey {
        const char *file;                  /* [Agent] key, NULL = not in files */
        const char *option;                /* RunAgent property / StartAgent option, NULL = none */
        const char *property;              /* Agent property, NULL = none */
        const char *signature;             /* s, t, u, i, b or as: option, property and getter */
        size_t offset;                     /* of the field in AgentSpec */
        AgentKeyFlags flags;
        AgentPropertySection section;
        uint64_t min, max;                 /* t options: the valid range; UINT64_MAX (none) is valid too */
        size_t max_n;                      /* as options: most entries in one call */
        const char *expected;              /* file: what a valid value looks like */
        const char *bus_invalid;           /* s options: the end of the InvalidArgs message */
        int (*check)(const char *s);       /* s: >= 0 when valid (an enum's value), -EINVAL when not;
                                            * as: each entry, where entries have a form */
        const char *(*to_string)(int v);   /* s enums: the name of a value */
        /* 0, or -EINVAL with diag set, or -ENOMEM. */
        int (*parse)(const AgentKey *k, const char *value, AgentSpec *s, const AgentKeyContext *c,
                     Diagnostic *diag);
        /* start: a StartAgent option applied to a copy of the type's spec,
         * else a RunAgent property. 0; -EINVAL for malformed input
         * (InvalidArgs), -EPERM for input that cannot be honoured
         * (InvalidSpec), both with *ret_message; or -ENOMEM. */
        int (*bus_set)(const AgentKey *k, const AgentValue *v, bool start, AgentSpec *s, char **ret_message);
        void (*get)(const AgentKey *k, const AgentSpec *s, AgentValue *ret);
};

extern const AgentKey agent_schema[];
extern const size_t agent_schema_n;
#define AGENT_SCHEMA_MAX 64

/* Exact, case-sensitive lookups; NULL when no row has that name. */
const AgentKey *agent_key_from_file(const char *key);
const AgentKey *agent_key_from_option(const char *option);
const AgentKey *agent_key_from_property(const char *property);

/* The `as` options' entry limits (the SPEC's input limits). */
#define AGENT_ENV_MAX 256
#define AGENT_ARGS_MAX 256
/* Entries of one path or port list from one call. */
#define AGENT_PATHS_MAX 256
