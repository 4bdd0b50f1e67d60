/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl's command line: the verb table, the options and the parser that
 * turns argv into a CtlArgs (including a `run` request's properties). Pure:
 * no bus, no files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "props.h"
#include "strv.h"

#define STR_IN_SET(s, ...) \
        strv_contains((char * const *) (const char * const[]) { __VA_ARGS__, NULL }, (s))

/* Process exit codes, documented in agentctl(1). */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_USAGE = 2,
        CTL_EXIT_UNREACHABLE = 3,   /* no bus, or no agentvisord on it */
        CTL_EXIT_NOT_FOUND = 4,     /* no such agent, type or supervisor */
};

typedef enum Verb {
        VERB_LIST,
        VERB_STATUS,
        VERB_START,
        VERB_RUN,
        VERB_STOP,
        VERB_KILL,
        VERB_RESTART,
        VERB_REMOVE,
        VERB_RESET,
        VERB_FREEZE,
        VERB_THAW,
        VERB_TYPES,
        VERB_SUPERVISORS,
        VERB_MONITOR,
        VERB_POLICY,
        VERB_DAEMON_REEXEC,
        VERB_COMPLETE,
        _VERB_MAX,
        _VERB_INVALID = -EINVAL,
} Verb;

typedef enum BusKind {
        BUS_DEFAULT,    /* AGENTCTL_BUS_ADDRESS if set, else the system bus */
        BUS_SYSTEM,
        BUS_USER,
        BUS_ADDRESS,
        _BUS_KIND_MAX,
        _BUS_KIND_INVALID = -EINVAL,
} BusKind;

typedef struct CtlArgs {
        BusKind bus_kind;
        char *address;
        bool json;
        bool no_pager;
        bool help;          /* --help: general, or the verb's when one is given */
        bool version;

        Verb verb;          /* _VERB_INVALID when none was given */
        char **positional;  /* arguments after the verb, before "--" */
        char **command;     /* arguments after "--" (start: extra args; run: argv) */

        int signal;         /* kill -s, SIGTERM by default */
        char *name;         /* run --name */
        PropList properties;/* run: RunAgent properties */
        char *policy_path;  /* policy: colon-separated search path, NULL = default */
        char *output;       /* policy learn --output */
        char *base;         /* policy learn --base */
} CtlArgs;

/* Parses argv (argv[0] is the program name). 0 on success; -EINVAL with a
 * message in err (for "agentctl: <err>") on a usage error; -ENOMEM. */
int ctl_args_parse(int argc, char **argv, CtlArgs *ret, char *err, size_t err_size);
void ctl_args_done(CtlArgs *a);

const char *verb_to_string(Verb v);
Verb verb_from_string(const char *s);
bool verb_needs_bus(Verb v);

/* `agentctl --help` and `agentctl VERB --help` text. */
void ctl_help(FILE *f);
void ctl_verb_help(FILE *f, Verb v);

/* "TERM", "SIGTERM", "term", "15" -> 15. -EINVAL when unknown. */
int signal_from_string(const char *s);
