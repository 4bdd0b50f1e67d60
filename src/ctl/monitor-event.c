/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rendering monitor events; pure apart from the clock conversion. */

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ctl-format.h"
#include "json.h"
#include "monitor-event.h"

static bool is(const MonitorEvent *e, const char *signal) {
        return e->signal && strcmp(e->signal, signal) == 0;
}

const char *monitor_format_syscall(char *buf, size_t size, const char *syscall, const uint64_t *args, size_t n) {
        size_t len;

        (void) snprintf(buf, size, "%s(", syscall ? syscall : "?");
        for (size_t i = 0; i < n; i++) {
                len = strlen(buf);
                if (args[i] == 0)
                        (void) snprintf(buf + len, size - len, "%s0", i > 0 ? ", " : "");
                else
                        (void) snprintf(buf + len, size - len, "%s0x%" PRIx64, i > 0 ? ", " : "", args[i]);
        }
        len = strlen(buf);
        (void) snprintf(buf + len, size - len, ")");
        return buf;
}

void monitor_event_print(const MonitorEvent *e, FILE *f) {
        time_t sec = (time_t) (e->timestamp / USEC_PER_SEC);
        char when[64] = "", buf[256];
        struct tm tm;

        if (localtime_r(&sec, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(f, "%s.%03u %s %s", when, (unsigned) (e->timestamp % USEC_PER_SEC / USEC_PER_MSEC),
                e->signal ? e->signal : "?", e->name ? e->name : "?");

        if (is(e, "AgentStarted"))
                fprintf(f, ": started, main PID %" PRIu32, e->main_pid);
        else if (is(e, "AgentExited"))
                fprintf(f, ": %s", ctl_format_exit(buf, sizeof(buf), e->reason, e->status, NULL));
        else if (is(e, "AgentRestarted"))
                fprintf(f, ": restarted, restart #%" PRIu32, e->restart_count);
        else if (is(e, "HealthChanged"))
                fprintf(f, ": %s", e->health ? e->health : "?");
        else if (is(e, "Escalated"))
                fprintf(f, ": escalated: %s", e->reason ? e->reason : "");
        else if (is(e, "PolicyViolation"))
                fprintf(f, ": %s refused: %s", monitor_format_syscall(buf, sizeof(buf), e->syscall, e->args, e->n_args),
                        e->action ? e->action : "?");
        fputc('\n', f);
}

void monitor_event_print_json(const MonitorEvent *e, FILE *f) {
        time_t sec = (time_t) (e->timestamp / USEC_PER_SEC);
        char when[64] = "", iso[80];
        struct tm tm;
        JsonWriter w;

        if (gmtime_r(&sec, &tm))
                strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(iso, sizeof(iso), "%s.%06uZ", when, (unsigned) (e->timestamp % USEC_PER_SEC));

        json_writer_init(&w, f);
        json_begin_object(&w);
        json_field_uint(&w, "timestamp_usec", e->timestamp);
        json_field_string(&w, "timestamp", iso);
        json_field_string(&w, "signal", e->signal);

        json_key(&w, is(e, "Escalated") ? "supervisor" : "name");
        json_string(&w, e->name);
        if (e->agent) {
                json_field_string(&w, "agent", e->agent);
        }

        if (is(e, "AgentStarted")) {
                json_field_uint(&w, "main_pid", e->main_pid);
        } else if (is(e, "AgentExited")) {
                json_field_string(&w, "reason", e->reason);
                json_field_int(&w, "status", e->status);
        } else if (is(e, "AgentRestarted")) {
                json_field_uint(&w, "restart_count", e->restart_count);
        } else if (is(e, "HealthChanged")) {
                json_field_string(&w, "health", e->health);
        } else if (is(e, "Escalated")) {
                json_field_string(&w, "reason", e->reason);
        } else if (is(e, "PolicyViolation")) {
                json_field_string(&w, "syscall", e->syscall);
                json_key(&w, "args");
                json_begin_array(&w);
                for (size_t i = 0; i < e->n_args; i++)
                        json_uint(&w, e->args[i]);
                json_end_array(&w);
                json_field_string(&w, "action", e->action);
        }
        json_end_object(&w);
        fputc('\n', f);
}
