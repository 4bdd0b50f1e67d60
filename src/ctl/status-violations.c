/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The violations lines of `agentctl status NAME`: the count of this
 * invocation (PolicyViolations) and the last few (LastPolicyViolations,
 * which GetAll's reader skips, so it is read on its own). */
#include <inttypes.h>
#include <stdio.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "monitor-event.h"
#include "status-violations.h"

/* The newest this many; the daemon keeps a few more. */
#define SHOWN_MAX 3

typedef struct Entry {
        uint64_t when;
        const char *syscall, *action;
        const void *args;
        size_t size;
} Entry;

static int read_last(sd_bus *bus, const char *path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Entry last[SHOWN_MAX];
        unsigned n = 0;
        int r;

        r = sd_bus_get_property(bus, BUS_NAME, path, BUS_AGENT_IFACE, "LastPolicyViolations", NULL, &reply,
                                "a(tsats)");
        if (r < 0)
                return r;
        /* Oldest first on the bus: the newest SHOWN_MAX stay in the ring. */
        r = sd_bus_message_enter_container(reply, 'a', "(tsats)");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "tsats")) > 0) {
                Entry *e = &last[n % SHOWN_MAX];

                r = sd_bus_message_read(reply, "ts", &e->when, &e->syscall);
                if (r >= 0)
                        r = sd_bus_message_read_array(reply, 't', &e->args, &e->size);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "s", &e->action);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                n++;
        }
        if (r < 0)
                return r;
        for (unsigned i = n > SHOWN_MAX ? n - SHOWN_MAX : 0, k = 0; i < n; i++, k++) {
                const Entry *e = &last[i % SHOWN_MAX];
                char call[256], clock[32];

                printf("%11s %s %s: %s\n", k == 0 ? "Last:" : "", ctl_format_clock(clock, sizeof(clock), e->when),
                       monitor_format_syscall(call, sizeof(call), e->syscall, e->args, e->size / sizeof(uint64_t)),
                       e->action);
        }
        return 0;
}

void status_print_violations(sd_bus *bus, const char *path, const PropList *l) {
        const Prop *count = prop_list_get(l, "PolicyViolations");

        /* A daemon without violations support has no such property. */
        if (!count)
                return;
        printf("%11s %" PRIu64 "\n", "Violations:", prop_list_get_uint64(l, "PolicyViolations", 0));
        /* Taken over after a crash of the daemon: its seccomp listener went. */
        if (prop_list_get_bool(l, "PolicyReportLost", false))
                printf("%11s %s\n", "",
                       "NOT REPORTED since the daemon's crash: report rules refuse with ENOSYS, uncounted; "
                       "restart the agent to report again");
        if (prop_list_get_uint64(l, "PolicyViolations", 0) > 0)
                (void) read_last(bus, path);
}
