/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl: the command line of agentvisord. Parses, connects, dispatches. */

#include <stdio.h>
#include <string.h>

#include "ctl-args.h"
#include "ctl-bus.h"
#include "ctl-verbs.h"

static int (* const dispatch[_VERB_MAX])(CtlContext *c) = {
        [VERB_LIST] = verb_list,
        [VERB_STATUS] = verb_status,
        [VERB_START] = verb_start,
        [VERB_RUN] = verb_run,
        [VERB_STOP] = verb_stop,
        [VERB_KILL] = verb_kill,
        [VERB_RESTART] = verb_restart,
        [VERB_REMOVE] = verb_remove,
        [VERB_RESET] = verb_reset,
        [VERB_FREEZE] = verb_freeze,
        [VERB_THAW] = verb_thaw,
        [VERB_DAEMON_REEXEC] = verb_daemon_reexec,
        [VERB_TYPES] = verb_types,
        [VERB_SUPERVISORS] = verb_supervisors,
        [VERB_MONITOR] = verb_monitor,
        [VERB_POLICY] = verb_policy,
        [VERB_COMPLETE] = verb_complete,
};

static bool want_color(void) {
        const char *term = getenv("TERM");

        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

static const char *bus_description(const CtlArgs *a) {
        static char buf[512];
        const char *env = getenv("AGENTCTL_BUS_ADDRESS");

        switch (a->bus_kind) {
        case BUS_SYSTEM:
                return "the system bus";
        case BUS_USER:
                return "the user bus";
        case BUS_ADDRESS:
                snprintf(buf, sizeof(buf), "the bus at %s", a->address);
                return buf;
        default:
                if (!env || !*env)
                        return "the system bus";
                snprintf(buf, sizeof(buf), "the bus at %s ($AGENTCTL_BUS_ADDRESS)", env);
                return buf;
        }
}

/* Output worth paging: the views a person reads, not streams or scripts' input. */
static bool want_pager(const CtlArgs *a) {
        return !a->no_pager && !a->json &&
               (a->verb == VERB_LIST || a->verb == VERB_STATUS || a->verb == VERB_TYPES ||
                a->verb == VERB_SUPERVISORS || (a->verb == VERB_POLICY && strcmp(a->positional[0], "show") == 0));
}

static int run(CtlArgs *a) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        CtlContext c = { .args = a, .color = want_color() };
        int r;

        if (a->version) {
                printf("agentctl %s\n", PROJECT_VERSION);
                return CTL_EXIT_OK;
        }
        if (a->help) {
                if (a->verb >= 0)
                        ctl_verb_help(stdout, a->verb);
                else
                        ctl_help(stdout);
                return CTL_EXIT_OK;
        }
        if (a->verb < 0) {
                ctl_help(stderr);
                return CTL_EXIT_USAGE;
        }

        /* Policy groups and run's properties are agentctl's own tables. */
        if (verb_needs_bus(a->verb) &&
            !(a->verb == VERB_COMPLETE && STR_IN_SET(a->positional[0], "groups", "properties"))) {
                r = ctl_bus_open(a, &bus);
                if (r < 0) {
                        if (a->verb == VERB_COMPLETE)
                                return CTL_EXIT_UNREACHABLE;
                        fprintf(stderr, "agentctl: Failed to connect to %s: %s\n", bus_description(a),
                                strerror(ERRNO_VALUE(r)));
                        return CTL_EXIT_UNREACHABLE;
                }
                c.bus = bus;
        }

        if (want_pager(a))
                pager_open();
        r = dispatch[a->verb](&c);
        pager_close();
        return r;
}

int main(int argc, char *argv[]) {
        CtlArgs a;
        char err[512];
        int r;

        r = ctl_args_parse(argc, argv, &a, err, sizeof(err));
        if (r == -ENOMEM) {
                fputs("agentctl: Out of memory.\n", stderr);
                return CTL_EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "agentctl: %s\n", err);
                return CTL_EXIT_USAGE;
        }

        r = run(&a);
        ctl_args_done(&a);
        return r;
}
