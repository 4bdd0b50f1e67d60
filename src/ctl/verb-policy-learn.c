/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `agentctl policy learn [--output FILE] [--base POLICY] -- CMD ARGS...`:
 * runs CMD as a transient agent (RunAgent's defaults, root only) with
 * PolicyMode=learn on top of the base policy, waits for its end, writes what
 * GetLearnedPolicy() returns and forgets the agent. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-verbs.h"
#include "time-util.h"
#include "verb-policy-learn.h"

#define POLL_INTERVAL_USEC (100 * USEC_PER_MSEC)

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int sig) {
        interrupted = 1;
}

static int run_learning(sd_bus *bus, const CtlArgs *a, const char *name, char **ret_path, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, "RunAgent");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, a->command);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 2, "PolicyMode", "s", "learn", "Policy", "s",
                                          a->base ?: "base");
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, error, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        *ret_path = strdup(path);
        return *ret_path ? 0 : -ENOMEM;
}

/* Polls State until the agent has ended; Ctrl-C stops it (what it did so
 * far is still learned). */
static int wait_end(sd_bus *bus, const char *name, const char *path, sd_bus_error *error) {
        bool stopped = false;
        int r;

        for (;;) {
                _cleanup_free_ char *state = NULL;

                r = sd_bus_get_property_string(bus, BUS_NAME, path, BUS_AGENT_IFACE, "State", error, &state);
                if (r < 0)
                        return r;
                if (STR_IN_SET(state, "exited", "failed"))
                        return 0;
                if (interrupted && !stopped) {
                        (void) ctl_call_manager(bus, "StopAgent", NULL, NULL, "s", name);
                        stopped = true;
                }
                (void) usleep(POLL_INTERVAL_USEC);
        }
}

static int write_output(const char *file, const char *text) {
        _cleanup_free_ char *tmp = NULL;
        size_t len = strlen(text);
        int fd;

        if (!file)
                return fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
        /* Whole or not at all: a temporary beside it, renamed. */
        if (asprintf(&tmp, "%s.XXXXXX", file) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len || fchmod(fd, 0644) < 0 || close(fd) < 0 ||
            rename(tmp, file) < 0) {
                int r = -errno ?: -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static void report_end(sd_bus *bus, const char *path) {
        _cleanup_free_ char *reason = NULL, *killed_by = NULL;
        int32_t status = 0;
        char buf[256];

        if (sd_bus_get_property_string(bus, BUS_NAME, path, BUS_AGENT_IFACE, "ExitReason", NULL, &reason) < 0 ||
            sd_bus_get_property_trivial(bus, BUS_NAME, path, BUS_AGENT_IFACE, "ExitStatus", NULL, 'i', &status) < 0)
                return;
        (void) sd_bus_get_property_string(bus, BUS_NAME, path, BUS_AGENT_IFACE, "ExitKilledBy", NULL, &killed_by);
        fprintf(stderr, "agentctl: The command ended: %s.\n",
                ctl_format_exit(buf, sizeof(buf), reason, status, killed_by ?: ""));
}

int policy_learn(const CtlArgs *a) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        struct sigaction sa = { .sa_handler = on_interrupt };
        const char *text;
        char name[64];
        int r;

        r = ctl_bus_open(a, &bus);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to connect to the bus");

        (void) snprintf(name, sizeof(name), "policy-learn-%d", (int) getpid());
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);

        r = run_learning(bus, a, name, &path, &error);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to start the command in learn mode");
        fprintf(stderr, "agentctl: Learning what '%s' needs beyond policy '%s' (agent %s)...\n", a->command[0],
                a->base ?: "base", name);

        r = wait_end(bus, name, path, &error);
        if (r >= 0) {
                report_end(bus, path);
                r = ctl_call_manager(bus, "GetLearnedPolicy", &error, &reply, "s", name);
        }
        (void) ctl_call_manager(bus, "RemoveAgent", NULL, NULL, "s", name);
        if (r < 0)
                return ctl_report_error(r, &error, "Failed to get the learned policy");
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return ctl_report_error(r, NULL, "Failed to read the learned policy");

        r = write_output(a->output, text);
        if (r < 0) {
                fprintf(stderr, "agentctl: Failed to write %s: %s\n", a->output ?: "the policy", strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        if (a->output)
                fprintf(stderr, "agentctl: Wrote %s.\n", a->output);
        return CTL_EXIT_OK;
}
