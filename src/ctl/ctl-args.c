/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl's verbs and options, and the parser from argv to CtlArgs.
 * Options before the verb are global; after it, each verb accepts the
 * common output options plus its own. That is what lets `--user` mean the
 * user bus before the verb and the agent's user after `run`. */

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "ctl-args.h"
#include "ctl-property.h"
#include "parse-util.h"
#include "string-table.h"
#include "strv.h"

#define VERB_BIT(v) (1u << (v))
#define ALL_VERBS UINT32_MAX

typedef struct VerbInfo {
        const char *usage;
        const char *summary;
        unsigned min_args;
        unsigned max_args;
        bool bus;
        bool dashdash;     /* takes "-- ARGS" */
        bool hidden;
} VerbInfo;

static const char *const verb_table[_VERB_MAX] = {
        [VERB_LIST] = "list",
        [VERB_STATUS] = "status",
        [VERB_START] = "start",
        [VERB_RUN] = "run",
        [VERB_STOP] = "stop",
        [VERB_KILL] = "kill",
        [VERB_RESTART] = "restart",
        [VERB_REMOVE] = "remove",
        [VERB_RESET] = "reset",
        [VERB_FREEZE] = "freeze",
        [VERB_THAW] = "thaw",
        [VERB_TYPES] = "types",
        [VERB_SUPERVISORS] = "supervisors",
        [VERB_MONITOR] = "monitor",
        [VERB_POLICY] = "policy",
        [VERB_DAEMON_REEXEC] = "daemon-reexec",
        [VERB_COMPLETE] = "__complete",
};

DEFINE_STRING_TABLE_LOOKUP(verb, Verb);

static const VerbInfo verbs[_VERB_MAX] = {
        [VERB_LIST] = { "list", "List agents: state, health, PID, restarts",
                        0, 0, true, false, false },
        [VERB_STATUS] = { "status [NAME]",
                          "Show an agent, or the daemon overview",
                          0, 1, true, false, false },
        [VERB_START] = { "start TYPE [NAME] [-- ARGS...]",
                         "Start an agent of a configured type",
                         1, 2, true, true, false },
        [VERB_RUN] = { "run [OPTIONS] -- CMD [ARGS...]",
                       "Run a transient agent (root only)",
                       0, UINT32_MAX, true, true, false },
        [VERB_STOP] = { "stop NAME...", "Stop agents",
                        1, UINT32_MAX, true, false, false },
        [VERB_KILL] = { "kill [-s SIGNAL] NAME...", "Send a signal to agents",
                        1, UINT32_MAX, true, false, false },
        [VERB_RESTART] = { "restart NAME...", "Restart agents",
                           1, UINT32_MAX, true, false, false },
        [VERB_REMOVE] = { "remove NAME...", "Forget agents that are not running",
                          1, UINT32_MAX, true, false, false },
        [VERB_RESET] = { "reset [SUPERVISOR]",
                         "Clear an escalated supervisor (root)",
                         0, 1, true, false, false },
        [VERB_FREEZE] = { "freeze NAME...", "Freeze agents: every process stopped, kept for inspection",
                          1, UINT32_MAX, true, false, false },
        [VERB_THAW] = { "thaw NAME...", "Let frozen agents run again",
                        1, UINT32_MAX, true, false, false },
        [VERB_TYPES] = { "types", "List the configured agent types", 0, 0, true, false, false },
        [VERB_SUPERVISORS] = { "supervisors",
                               "List supervisors and escalations",
                               0, 0, true, false, false },
        [VERB_MONITOR] = { "monitor",
                           "Follow agent events as they happen",
                           0, 0, true, false, false },
        [VERB_POLICY] = { "policy check FILE | policy show NAME|@GROUP |\n"
                          "       policy learn [--output FILE] [--base POLICY] -- CMD [ARGS...]",
                          "Check a policy file; show a policy or group; learn what a command needs",
                          1, 2, false, true, false },
        [VERB_DAEMON_REEXEC] = { "daemon-reexec",
                                 "Execute the daemon anew, keeping every agent (root)",
                                 0, 0, true, false, false },
        [VERB_COMPLETE] = { "__complete agents|types|supervisors|groups|properties",
                            "Print names for shell completion", 1, 1, true, false, true },
};

enum {
        ARG_VERSION = 0x100,
        ARG_SYSTEM,
        ARG_USER_BUS,
        ARG_ADDRESS,
        ARG_JSON,
        ARG_NO_PAGER,
        ARG_NAME,
        ARG_POLICY,
        ARG_MEMORY_MAX,
        ARG_TASKS_MAX,
        ARG_RUNTIME_MAX,
        ARG_CPU_TIME_MAX,
        ARG_CPU_QUOTA,
        ARG_WATCHDOG,
        ARG_RUN_USER,
        ARG_SUPERVISOR,
        ARG_RESTART,
        ARG_SETENV = 'E',
        ARG_WORKING_DIRECTORY = 0x200,
        ARG_SERVICE_TYPE,
        ARG_POLICY_PATH,
        ARG_OUTPUT,
        ARG_BASE,
        ARG_SANDBOX,
        ARG_PROPERTY = 'p',
        ARG_SIGNAL = 's',
        ARG_HELP = 'h',
};

typedef struct CtlOption {
        struct option opt;
        uint32_t verbs;       /* verbs accepting it after the verb name */
        bool global;          /* accepted before the verb */
        const char *help;     /* "--name N  text" line for the verb help */
} CtlOption;

static const CtlOption options[] = {
        { { "help", no_argument, NULL, ARG_HELP }, ALL_VERBS, true, NULL },
        { { "version", no_argument, NULL, ARG_VERSION }, 0, true, NULL },
        { { "system", no_argument, NULL, ARG_SYSTEM }, ALL_VERBS, true, NULL },
        { { "user", no_argument, NULL, ARG_USER_BUS }, ALL_VERBS & ~VERB_BIT(VERB_RUN), true, NULL },
        { { "address", required_argument, NULL, ARG_ADDRESS }, ALL_VERBS, true, NULL },
        { { "json", no_argument, NULL, ARG_JSON }, ALL_VERBS, true, NULL },
        { { "no-pager", no_argument, NULL, ARG_NO_PAGER }, ALL_VERBS, true, NULL },
        { { "signal", required_argument, NULL, ARG_SIGNAL }, VERB_BIT(VERB_KILL), false,
          "  -s, --signal=SIG          signal by name (TERM, SIGKILL) or number; default TERM" },
        { { "name", required_argument, NULL, ARG_NAME }, VERB_BIT(VERB_RUN), false,
          "      --name=NAME           agent name (default: run-N, picked by the daemon)" },
        { { "policy", required_argument, NULL, ARG_POLICY }, VERB_BIT(VERB_RUN), false,
          "      --policy=POLICY       seccomp policy name (default: default)" },
        { { "memory-max", required_argument, NULL, ARG_MEMORY_MAX }, VERB_BIT(VERB_RUN), false,
          "      --memory-max=SIZE     memory limit, K/M/G suffixes or infinity" },
        { { "tasks-max", required_argument, NULL, ARG_TASKS_MAX }, VERB_BIT(VERB_RUN), false,
          "      --tasks-max=N         limit on processes and threads, or infinity" },
        { { "runtime-max", required_argument, NULL, ARG_RUNTIME_MAX }, VERB_BIT(VERB_RUN), false,
          "      --runtime-max=TIME    wall-clock limit (500ms, 10s, 1min)" },
        { { "cpu-time-max", required_argument, NULL, ARG_CPU_TIME_MAX }, VERB_BIT(VERB_RUN), false,
          "      --cpu-time-max=TIME   CPU time limit" },
        { { "cpu-quota", required_argument, NULL, ARG_CPU_QUOTA }, VERB_BIT(VERB_RUN), false,
          "      --cpu-quota=PERCENT   CPU bandwidth, 50% is half a CPU" },
        { { "watchdog", required_argument, NULL, ARG_WATCHDOG }, VERB_BIT(VERB_RUN), false,
          "      --watchdog=TIME       notify agents must send WATCHDOG=1 this often" },
        { { "user", required_argument, NULL, ARG_RUN_USER }, VERB_BIT(VERB_RUN), false,
          "      --user=USER           run as USER (default: the daemon's DefaultUser)" },
        { { "supervisor", required_argument, NULL, ARG_SUPERVISOR }, VERB_BIT(VERB_RUN), false,
          "      --supervisor=NAME     supervisor to place the agent under (default: root)" },
        { { "restart", required_argument, NULL, ARG_RESTART }, VERB_BIT(VERB_RUN), false,
          "      --restart=TYPE        permanent, transient or temporary (default)" },
        { { "setenv", required_argument, NULL, ARG_SETENV }, VERB_BIT(VERB_RUN), false,
          "  -E, --setenv=KEY=VALUE    add an environment variable (repeatable)" },
        { { "working-directory", required_argument, NULL, ARG_WORKING_DIRECTORY }, VERB_BIT(VERB_RUN), false,
          "      --working-directory=DIR  working directory of the agent" },
        { { "service-type", required_argument, NULL, ARG_SERVICE_TYPE }, VERB_BIT(VERB_RUN), false,
          "      --service-type=TYPE   simple or notify (READY=1 over NOTIFY_SOCKET)" },
        { { "sandbox", required_argument, NULL, ARG_SANDBOX }, VERB_BIT(VERB_RUN), false,
          "      --sandbox=PRESET      none, standard or strict (default: the daemon's DefaultSandbox)" },
        { { "property", required_argument, NULL, ARG_PROPERTY }, VERB_BIT(VERB_RUN), false,
          "  -p, --property=KEY=VALUE  set any RunAgent property, VALUE written as in agents.d\n"
          "                            (repeatable; see agentctl(1) for the keys)" },
        { { "policy-path", required_argument, NULL, ARG_POLICY_PATH }, VERB_BIT(VERB_POLICY), false,
          "      --policy-path=DIRS    colon-separated directories searched for policies and includes\n"
          "                            (default: for show, the running daemon's PolicyPath;\n"
          "                            offline and for check, " POLICYDIR ")" },
        { { "output", required_argument, NULL, ARG_OUTPUT }, VERB_BIT(VERB_POLICY), false,
          "      --output=FILE         learn: write the learned policy to FILE (default: stdout)" },
        { { "base", required_argument, NULL, ARG_BASE }, VERB_BIT(VERB_POLICY), false,
          "      --base=POLICY         learn: the policy learned on top of (default: base)" },
};

bool verb_needs_bus(Verb v) {
        return v >= 0 && v < _VERB_MAX && verbs[v].bus;
}

static int usage_error(char *err, size_t size, const char *format, ...) _printf_(3, 4);
static int usage_error(char *err, size_t size, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        vsnprintf(err, size, format, ap);
        va_end(ap);
        return -EINVAL;
}

/* A property given twice (--memory-max, then -p MemoryMax=) is sent once:
 * the last value wins, as in systemd-run. */
static int set_uint64(CtlArgs *a, const char *prop, uint64_t value) {
        prop_list_remove(&a->properties, prop);
        return prop_list_add_uint64(&a->properties, prop, value);
}

static int set_string(CtlArgs *a, const char *prop, const char *value) {
        prop_list_remove(&a->properties, prop);
        return prop_list_add_string(&a->properties, prop, value);
}

static int add_time(CtlArgs *a, const char *prop, const char *opt, const char *value, char *err,
                    size_t size) {
        usec_t t;

        if (parse_time_usec(value, &t) < 0)
                return usage_error(err, size, "invalid time for --%s: '%s'", opt, value);
        return set_uint64(a, prop, t);
}

static int add_name(CtlArgs *a, const char *prop, const char *opt, const char *value, char *err,
                    size_t size) {
        if (!name_is_valid(value))
                return usage_error(err, size, "invalid name for --%s: '%s'", opt, value);
        return set_string(a, prop, value);
}

static int parse_run_option(CtlArgs *a, int id, const char *value, char *err, size_t size) {
        uint64_t u;
        unsigned pct;

        switch (id) {
        case ARG_NAME:
                if (!name_is_valid(value))
                        return usage_error(err, size, "invalid agent name '%s'", value);
                free(a->name);
                a->name = strdup(value);
                return a->name ? 0 : -ENOMEM;
        case ARG_POLICY:
                return add_name(a, "Policy", "policy", value, err, size);
        case ARG_SUPERVISOR:
                return add_name(a, "Supervisor", "supervisor", value, err, size);
        case ARG_RUN_USER:
                if (!*value)
                        return usage_error(err, size, "empty --user");
                return set_string(a, "User", value);
        case ARG_MEMORY_MAX:
                if (parse_size(value, &u) < 0)
                        return usage_error(err, size, "invalid size for --memory-max: '%s'", value);
                return set_uint64(a, "MemoryMax", u);
        case ARG_TASKS_MAX:
                if (strcmp(value, "infinity") == 0)
                        u = UINT64_MAX;
                else if (parse_uint64(value, &u) < 0 || u == 0)
                        return usage_error(err, size, "invalid number for --tasks-max: '%s'", value);
                return set_uint64(a, "TasksMax", u);
        case ARG_RUNTIME_MAX:
                return add_time(a, "RuntimeMaxUSec", "runtime-max", value, err, size);
        case ARG_CPU_TIME_MAX:
                return add_time(a, "CPUTimeMaxUSec", "cpu-time-max", value, err, size);
        case ARG_WATCHDOG:
                return add_time(a, "WatchdogUSec", "watchdog", value, err, size);
        case ARG_CPU_QUOTA:
                if (parse_percent(value, &pct) < 0)
                        return usage_error(err, size, "invalid percentage for --cpu-quota: '%s'", value);
                /* 100% is one CPU: a full second of CPU time per second. */
                return set_uint64(a, "CPUQuotaPerSecUSec",
                                            (uint64_t) pct * (USEC_PER_SEC / 100));
        case ARG_RESTART:
                if (!STR_IN_SET(value, "permanent", "transient", "temporary"))
                        return usage_error(err, size,
                                           "invalid --restart '%s': expected permanent, transient or temporary",
                                           value);
                return set_string(a, "Restart", value);
        case ARG_SERVICE_TYPE:
                if (!STR_IN_SET(value, "simple", "notify"))
                        return usage_error(err, size,
                                           "invalid --service-type '%s': expected simple or notify", value);
                return set_string(a, "Type", value);
        case ARG_WORKING_DIRECTORY:
                if (value[0] != '/')
                        return usage_error(err, size, "--working-directory needs an absolute path");
                return set_string(a, "WorkingDirectory", value);
        case ARG_SANDBOX:
                return ctl_property_sandbox(&a->properties, value, err, size);
        case ARG_PROPERTY:
                return ctl_property_parse(&a->properties, value, err, size);
        case ARG_SETENV: {
                const char *eq = strchr(value, '=');

                if (!eq || eq == value)
                        return usage_error(err, size, "invalid --setenv '%s': expected KEY=VALUE", value);
                return prop_list_append_strv(&a->properties, "Environment", value);
        }
        default:
                return usage_error(err, size, "unexpected option");
        }
}

static int apply_option(CtlArgs *a, int id, const char *value, char *err, size_t size) {
        switch (id) {
        case ARG_HELP:
                a->help = true;
                return 0;
        case ARG_VERSION:
                a->version = true;
                return 0;
        case ARG_SYSTEM:
                a->bus_kind = BUS_SYSTEM;
                return 0;
        case ARG_USER_BUS:
                a->bus_kind = BUS_USER;
                return 0;
        case ARG_ADDRESS:
                a->bus_kind = BUS_ADDRESS;
                free(a->address);
                a->address = strdup(value);
                return a->address ? 0 : -ENOMEM;
        case ARG_JSON:
                a->json = true;
                return 0;
        case ARG_NO_PAGER:
                a->no_pager = true;
                return 0;
        case ARG_SIGNAL: {
                int sig = signal_from_string(value);

                if (sig < 0)
                        return usage_error(err, size, "unknown signal '%s'", value);
                a->signal = sig;
                return 0;
        }
        case ARG_POLICY_PATH:
                free(a->policy_path);
                a->policy_path = strdup(value);
                return a->policy_path ? 0 : -ENOMEM;
        case ARG_OUTPUT:
                free(a->output);
                a->output = strdup(value);
                return a->output ? 0 : -ENOMEM;
        case ARG_BASE:
                if (!name_is_valid(value))
                        return usage_error(err, size, "invalid policy name for --base: '%s'", value);
                free(a->base);
                a->base = strdup(value);
                return a->base ? 0 : -ENOMEM;
        default:
                return parse_run_option(a, id, value, err, size);
        }
}

/* Builds the getopt table: global options (verb < 0) or the verb's. */
static size_t build_options(Verb verb, struct option *out, char *shortopts) {
        size_t n = 0;
        char *s = shortopts;

        *s++ = verb < 0 ? '+' : '-';
        *s++ = ':';
        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                const CtlOption *o = &options[i];

                if (verb < 0 ? !o->global : !(o->verbs & VERB_BIT(verb)))
                        continue;
                out[n++] = o->opt;
                if (o->opt.val < 0x80) {
                        *s++ = (char) o->opt.val;
                        if (o->opt.has_arg == required_argument)
                                *s++ = ':';
                }
        }
        out[n] = (struct option) {};
        *s = '\0';
        return n;
}

static int getopt_error(int c, char **argv, char *err, size_t size) {
        const char *arg = argv[optind - 1];

        if (c == ':')
                return usage_error(err, size, "option '%s' needs an argument", arg);
        if (optopt && optopt < 0x80)
                return usage_error(err, size, "unknown option '-%c'", optopt);
        return usage_error(err, size, "unknown option '%s'", arg);
}

static int check_arity(const CtlArgs *a, bool dashdash, char *err, size_t size) {
        const VerbInfo *info = &verbs[a->verb];
        size_t n = strv_length(a->positional);

        if (dashdash && !info->dashdash)
                return usage_error(err, size, "'%s' takes no '--' arguments", verb_to_string(a->verb));
        if (n < info->min_args || n > info->max_args)
                return usage_error(err, size, "usage: agentctl %s", info->usage);

        switch (a->verb) {
        case VERB_RUN:
                if (strv_length(a->command) == 0)
                        return usage_error(err, size, "usage: agentctl %s", info->usage);
                break;
        case VERB_POLICY:
                if (!STR_IN_SET(a->positional[0], "check", "show", "learn"))
                        return usage_error(err, size, "unknown policy command '%s': expected check, show or learn",
                                           a->positional[0]);
                /* check and show take one argument, learn a command after "--". */
                if (strcmp(a->positional[0], "learn") == 0 ? n != 1 || strv_length(a->command) == 0
                                                           : n != 2 || dashdash)
                        return usage_error(err, size, "usage: agentctl %s", info->usage);
                if (strcmp(a->positional[0], "learn") != 0 && (a->output || a->base))
                        return usage_error(err, size, "--output and --base are for 'policy learn'");
                break;
        case VERB_COMPLETE:
                if (!STR_IN_SET(a->positional[0], "agents", "types", "supervisors", "groups", "properties"))
                        return usage_error(err, size, "usage: agentctl %s", info->usage);
                break;
        default:
                break;
        }
        return 0;
}

/* The options before the verb; returns the verb's index in argv (argc when
 * there is none). */
static int parse_global_options(CtlArgs *a, int argc, char **argv, char *err, size_t size) {
        struct option longopts[ELEMENTSOF(options) + 1];
        char shortopts[2 * ELEMENTSOF(options) + 3];
        int c, r;

        build_options(_VERB_INVALID, longopts, shortopts);
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                if (c == '?' || c == ':')
                        return getopt_error(c, argv, err, size);
                r = apply_option(a, c, optarg, err, size);
                if (r < 0)
                        return r;
        }
        return optind;
}

/* The verb's own options and its arguments (argv[0] is the verb): "-" keeps
 * positionals in order, as code 1. */
static int parse_verb_options(CtlArgs *a, int argc, char **argv, char *err, size_t size) {
        struct option longopts[ELEMENTSOF(options) + 1];
        char shortopts[2 * ELEMENTSOF(options) + 3];
        int c, r;

        build_options(a->verb, longopts, shortopts);
        optind = 0;
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                if (c == '?' || c == ':')
                        return getopt_error(c, argv, err, size);
                if (c == 1)
                        r = strv_extend(&a->positional, optarg);
                else
                        r = apply_option(a, c, optarg, err, size);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctl_args_parse(int argc, char **argv, CtlArgs *ret, char *err, size_t err_size) {
        _cleanup_strv_free_ char **before = NULL;
        CtlArgs a = {
                .verb = _VERB_INVALID,
                .signal = SIGTERM,
        };
        bool dashdash = false;
        int r, split = argc, verb_index;

        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        split = i;
                        dashdash = true;
                        break;
                }

        /* getopt permutes its argv, so work on a copy of the part before "--". */
        r = strv_extend(&before, argv[0]);
        for (int i = 1; r >= 0 && i < split; i++)
                r = strv_extend(&before, argv[i]);
        if (r < 0)
                goto fail;

        r = parse_global_options(&a, split, before, err, err_size);
        if (r < 0)
                goto fail;
        verb_index = r;
        if (verb_index >= split) {
                if (dashdash) {
                        r = usage_error(err, err_size, "'--' without a verb");
                        goto fail;
                }
                *ret = a;
                return 0;
        }

        a.verb = verb_from_string(before[verb_index]);
        if (a.verb < 0) {
                r = usage_error(err, err_size, "unknown verb '%s' (see agentctl --help)", before[verb_index]);
                goto fail;
        }
        r = parse_verb_options(&a, split - verb_index, before + verb_index, err, err_size);
        if (r < 0)
                goto fail;

        for (int i = split + 1; i < argc; i++) {
                r = strv_extend(&a.command, argv[i]);
                if (r < 0)
                        goto fail;
        }

        /* `run CMD ARGS` without "--" works while ARGS look like no option. */
        if (a.verb == VERB_RUN && !dashdash) {
                a.command = TAKE_PTR(a.positional);
                dashdash = true;
        }

        if (!a.help) {
                r = check_arity(&a, dashdash, err, err_size);
                if (r < 0)
                        goto fail;
        }

        *ret = a;
        return 0;

fail:
        ctl_args_done(&a);
        return r;
}

void ctl_args_done(CtlArgs *a) {
        a->address = mfree(a->address);
        a->positional = strv_free(a->positional);
        a->command = strv_free(a->command);
        a->name = mfree(a->name);
        a->policy_path = mfree(a->policy_path);
        a->output = mfree(a->output);
        a->base = mfree(a->base);
        prop_list_done(&a->properties);
}

void ctl_help(FILE *f) {
        fputs("agentctl [OPTIONS] VERB [ARGS...]\n\n"
              "Inspect and drive agentvisord, the supervisor of sandboxed agents.\n\n"
              "Verbs:\n", f);
        for (Verb v = 0; v < _VERB_MAX; v++) {
                if (verbs[v].hidden)
                        continue;
                if (strlen(verbs[v].usage) <= 30)
                        fprintf(f, "  %-30s  %s\n", verbs[v].usage, verbs[v].summary);
                else
                        fprintf(f, "  %s\n  %-30s  %s\n", verbs[v].usage, "", verbs[v].summary);
        }
        fputs("\nOptions:\n"
              "  -h, --help            show this help, or a verb's with VERB --help\n"
              "      --version         show the version\n"
              "      --system          talk to the system bus (default)\n"
              "      --user            talk to the user's session bus\n"
              "      --address=ADDR    talk to the bus at ADDR (default: $AGENTCTL_BUS_ADDRESS)\n"
              "      --json            print list, status, types, supervisors and monitor as JSON\n"
              "      --no-pager        do not pipe output into a pager\n"
              "\nExit status: 0 ok, 1 failure, 2 usage, 3 bus or daemon unreachable,\n"
              "4 no such agent, type or supervisor. See agentctl(1).\n", f);
}

void ctl_verb_help(FILE *f, Verb v) {
        fprintf(f, "agentctl %s\n\n%s.\n", verbs[v].usage, verbs[v].summary);
        bool header = false;
        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                if (!options[i].help || !(options[i].verbs & VERB_BIT(v)))
                        continue;
                if (!header)
                        fputs("\nOptions:\n", f);
                header = true;
                fprintf(f, "%s\n", options[i].help);
        }
        fputs("\nCommon options: --json, --no-pager, --system, --address=ADDR, --help", f);
        fputs(v == VERB_RUN ? " (put --user for the user bus before the verb)\n" : ", --user\n", f);
}
