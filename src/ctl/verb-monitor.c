/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `agentctl monitor`: follow the Manager's signals until SIGINT/SIGTERM. */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "ctl-bus.h"
#include "ctl-verbs.h"
#include "monitor-event.h"
#include "time-util.h"

static int read_violation(sd_bus_message *m, MonitorEvent *e) {
        const void *args = NULL;
        size_t size = 0;
        int r;

        r = sd_bus_message_read(m, "sos", &e->name, &e->agent, &e->syscall);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 't', &args, &size);
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &e->action);
        e->args = args;
        e->n_args = r >= 0 ? size / sizeof(uint64_t) : 0;
        return r;
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const CtlContext *c = userdata;
        MonitorEvent e = { .signal = sd_bus_message_get_member(m) };
        int r;

        e.timestamp = now_realtime();

        if (!e.signal)
                return 0;
        if (strcmp(e.signal, "AgentStarted") == 0)
                r = sd_bus_message_read(m, "sou", &e.name, &e.agent, &e.main_pid);
        else if (strcmp(e.signal, "AgentExited") == 0)
                r = sd_bus_message_read(m, "sosi", &e.name, &e.agent, &e.reason, &e.status);
        else if (strcmp(e.signal, "AgentRestarted") == 0)
                r = sd_bus_message_read(m, "sou", &e.name, &e.agent, &e.restart_count);
        else if (strcmp(e.signal, "HealthChanged") == 0)
                r = sd_bus_message_read(m, "sos", &e.name, &e.agent, &e.health);
        else if (strcmp(e.signal, "Escalated") == 0)
                r = sd_bus_message_read(m, "ss", &e.name, &e.reason);
        else if (strcmp(e.signal, "PolicyViolation") == 0)
                r = read_violation(m, &e);
        else
                return 0;   /* a signal this agentctl does not know */
        if (r < 0) {
                fprintf(stderr, "agentctl: Ignoring malformed %s signal: %s\n", e.signal, strerror(-r));
                return 0;
        }

        if (c->args->json)
                monitor_event_print_json(&e, stdout);
        else
                monitor_event_print(&e, stdout);
        fflush(stdout);
        return 0;
}

static int on_unix_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), CTL_EXIT_OK);
}

int verb_monitor(CtlContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        sigset_t mask;
        int r;

        /* Block before the sources exist, so no signal is lost in between. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_new(&event);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to set up the event loop");
        r = sd_event_add_signal(event, NULL, SIGINT, on_unix_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_unix_signal, NULL);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to watch for signals");

        r = sd_bus_match_signal(c->bus, NULL, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, NULL, on_signal, c);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to subscribe to agentvisord's signals");

        /* Only now is the daemon asked whether it is there: once this returns,
         * no event can be missed any more. */
        r = sd_bus_call_method(c->bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Peer", "Ping", &error, NULL,
                               NULL);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to reach agentvisord");

        r = sd_bus_attach_event(c->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to attach the bus to the event loop");
        r = sd_bus_set_exit_on_disconnect(c->bus, true);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to watch the bus connection");

        setvbuf(stdout, NULL, _IOLBF, 0);
        fprintf(stderr, "Monitoring agentvisord; press Ctrl-C to stop.\n");

        r = sd_event_loop(event);
        sd_bus_detach_event(c->bus);
        if (r < 0)
                return ctl_report_error(r, NULL, "Event loop failed");
        if (r != CTL_EXIT_OK) {
                fprintf(stderr, "agentctl: Connection to the bus lost.\n");
                return CTL_EXIT_UNREACHABLE;
        }
        return CTL_EXIT_OK;
}
