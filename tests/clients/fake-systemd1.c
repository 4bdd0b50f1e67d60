/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Just enough of systemd's bus face for the daemon's SIGUSR2 question
 * (src/daemon/systemd-job.c): owns org.freedesktop.systemd1 on ADDRESS and
 * answers
 *
 *   Manager.GetUnitByPID(u)  -> /org/freedesktop/systemd1/unit/agentvisord_2eservice
 *   Unit.Job (uo)            -> (7, /org/freedesktop/systemd1/job/7), or (0, "/") for "none"
 *   Job.JobType (s)          -> JOBTYPE
 *
 *   fake-systemd1 ADDRESS JOBTYPE|none|hang
 *
 * "hang" never answers GetUnitByPID. Each GetUnitByPID is printed as
 * "GetUnitByPID PID" on stdout; "ready" once the name is owned. Exits on
 * SIGTERM or after 120 s. Exit status 2 on usage or bus errors. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define UNIT_PATH "/org/freedesktop/systemd1/unit/agentvisord_2eservice"
#define JOB_ID 7
#define JOB_PATH "/org/freedesktop/systemd1/job/7"

static const char *job_type;
static sd_bus_message *held; /* "hang": the call never answered */

static int get_unit_by_pid(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint32_t pid;
        int r;

        r = sd_bus_message_read(m, "u", &pid);
        if (r < 0)
                return r;
        printf("GetUnitByPID %u\n", pid);
        fflush(stdout);
        if (strcmp(job_type, "hang") == 0) {
                sd_bus_message_unref(held);
                held = sd_bus_message_ref(m);
                return 1;
        }
        return sd_bus_reply_method_return(m, "o", UNIT_PATH);
}

static int get_job(sd_bus *bus, const char *path, const char *interface, const char *property,
                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        if (strcmp(job_type, "none") == 0)
                return sd_bus_message_append(reply, "(uo)", (uint32_t) 0, "/");
        return sd_bus_message_append(reply, "(uo)", (uint32_t) JOB_ID, JOB_PATH);
}

static int get_job_type(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", job_type);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("GetUnitByPID", "u", "o", get_unit_by_pid, 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable unit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Job", "(uo)", get_job, 0, 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("JobType", "s", get_job_type, 0, 0),
        SD_BUS_VTABLE_END,
};

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int serve(const char *address) {
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        sigset_t mask;
        uint64_t now;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_now(event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(event, NULL, CLOCK_MONOTONIC, now + 120 * UINT64_C(1000000), 0, on_timeout,
                                      NULL);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager", manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, UNIT_PATH, "org.freedesktop.systemd1.Unit", unit_vtable,
                                             NULL);
        if (r >= 0 && strcmp(job_type, "none") != 0)
                r = sd_bus_add_object_vtable(bus, NULL, JOB_PATH, "org.freedesktop.systemd1.Job", job_vtable,
                                             NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r < 0) {
                fprintf(stderr, "fake-systemd1: cannot serve on %s: %s\n", address, strerror(-r));
                r = 2;
                goto out;
        }
        printf("ready\n");
        fflush(stdout);
        r = sd_event_loop(event);
        r = r < 0 ? 2 : 0;
out:
        sd_bus_message_unref(held);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r;
}

int main(int argc, char **argv) {
        if (argc != 3) {
                fprintf(stderr, "usage: %s ADDRESS JOBTYPE|none|hang\n", argv[0]);
                return 2;
        }
        job_type = argv[2];
        return serve(argv[1]);
}
