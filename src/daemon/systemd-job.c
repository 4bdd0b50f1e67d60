/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SIGUSR2: stop the agents or leave them to the next daemon, by the job
 * systemd has queued for the daemon's unit.
 *
 * With KillMode=process and KillSignal=SIGUSR2 systemd sends SIGUSR2 to the
 * main process for every job that stops the unit. Which job that is, is
 * visible on the bus, three asynchronous calls chained to one another:
 *
 *     org.freedesktop.systemd1.Manager.GetUnitByPID(getpid())  -> unit path
 *     org.freedesktop.systemd1.Unit.Job (uo)                   -> job path, "/" for none
 *     org.freedesktop.systemd1.Job.JobType (s)
 *
 * systemd's job types (job_type_table in src/core/job.c): "start",
 * "verify-active", "stop", "reload", "reload-or-start", "restart",
 * "try-restart", "try-reload", "nop". A JOB_RESTART is first run as a stop
 * and only patched into JOB_START once the unit is down, so while the
 * daemon is being stopped for `systemctl restart` its job reads "restart";
 * "try-restart" is collapsed to "restart" (or "nop") when it is installed,
 * and `systemctl reload-or-restart` enqueues a "restart" or "try-restart"
 * job. Host shutdown and `systemctl stop` enqueue "stop". Hence only "stop"
 * stops the agents; any other job type, no job at all (`systemctl kill -s
 * USR2`, or a SIGUSR2 sent by hand), no systemd on the bus, an error or no
 * answer within QUERY_TIMEOUT_USEC detaches, as SIGUSR2 always did: losing
 * the agents by mistake is worse than leaving them to the next start.
 *
 * The calls never block the loop: agents keep being supervised while the
 * answer is pending. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "daemon-state.h"
#include "log.h"
#include "macro.h"
#include "systemd-job.h"
#include "time-util.h"

#define QUERY_TIMEOUT_USEC (1 * USEC_PER_SEC)

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"

/* One SIGUSR2's questions; each pending call holds a reference, so that it
 * goes with the last call, also when the bus is freed first. */
typedef struct JobQuery {
        unsigned n_ref;
        Manager *manager;
        usec_t deadline;
        uint32_t job_id;                 /* for the log */
        char *sender;                    /* who reported the stop job */
} JobQuery;

/* The job types after which no daemon comes back: only "stop". */
static bool job_type_stops_agents(const char *job_type) {
        return job_type && strcmp(job_type, "stop") == 0;
}

static void query_unref(void *userdata) {
        JobQuery *q = userdata;

        if (q && --q->n_ref == 0) {
                free(q->sender);
                free(q);
        }
}

static void keep_agents(Manager *m, const char *why) {
        log_info("SIGUSR2: %s: keeping the agents for the next daemon", why);
        daemon_state_detach(m);
}

static void stop_agents(Manager *m, uint32_t job_id) {
        log_info("SIGUSR2: systemd's job %" PRIu32 " for this unit is a stop job: stopping every agent, as for SIGTERM",
                 job_id);
        manager_begin_shutdown(m, 0);
}

/* The call's reply as an error: true (and logged, agents kept) when it is
 * one. Also true, and nothing done, when the daemon left MANAGER_RUNNING
 * while the call was pending (a SIGTERM, a second SIGUSR2): that stop or
 * detach goes on as it began. */
static bool reply_failed(JobQuery *q, sd_bus_message *reply, const char *what) {
        const sd_bus_error *e;
        _cleanup_free_ char *why = NULL;

        if (q->manager->state != MANAGER_RUNNING) {
                log_debug("SIGUSR2: the daemon is stopping already; systemd's answer about %s is not needed", what);
                return true;
        }
        if (!sd_bus_message_is_method_error(reply, NULL))
                return false;
        e = sd_bus_message_get_error(reply);
        if (asprintf(&why, "cannot ask systemd for %s (%s: %s)", what, e && e->name ? e->name : "?",
                     e && e->message ? e->message : "no message") < 0)
                why = NULL; /* asprintf() leaves it undefined */
        keep_agents(q->manager, why ?: "cannot ask systemd (out of memory)");
        return true;
}

static int query_call(JobQuery *q, sd_bus_message_handler_t callback, const char *destination, const char *path,
                      const char *interface, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        sd_bus_slot *slot = NULL;
        usec_t now = now_monotonic(), timeout;
        va_list ap;
        int r;

        /* One deadline for the whole chain, not one per call. */
        timeout = q->deadline > now ? q->deadline - now : 1;
        r = sd_bus_message_new_method_call(q->manager->bus, &call, destination, path, interface, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(call, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        r = sd_bus_call_async(q->manager->bus, &slot, call, callback, q, timeout);
        if (r < 0)
                return r;
        q->n_ref++;
        (void) sd_bus_slot_set_destroy_callback(slot, query_unref);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

static int get_property(JobQuery *q, sd_bus_message_handler_t callback, const char *path, const char *interface,
                        const char *property) {
        return query_call(q, callback, SYSTEMD_SERVICE, path, "org.freedesktop.DBus.Properties", "Get", "ss", interface,
                          property);
}

static void call_failed(JobQuery *q, int r, const char *what) {
        _cleanup_free_ char *why = NULL;

        if (asprintf(&why, "cannot ask systemd for %s (%s)", what, strerror(-r)) < 0)
                why = NULL; /* asprintf() leaves it undefined */
        keep_agents(q->manager, why ?: "cannot ask systemd (out of memory)");
}

/* The reply's arguments (sd_bus_message_read() types), or false when it is
 * an error, cannot be read, or is not needed any more (all logged, agents
 * kept). */
static bool reply_read(JobQuery *q, sd_bus_message *reply, const char *what, const char *types, ...) {
        va_list ap;
        int r;

        if (reply_failed(q, reply, what))
                return false;
        va_start(ap, types);
        r = sd_bus_message_readv(reply, types, ap);
        va_end(ap);
        if (r < 0) {
                call_failed(q, r, what);
                return false;
        }
        return true;
}

/* Only root's systemd may have the agents stopped. On the system bus only
 * root can own org.freedesktop.systemd1; on another bus (a private one, a
 * test's) any peer could claim the name, so the bus is asked for the uid of
 * the peer that reported the stop job, within the same deadline. */
static int on_sender_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        JobQuery *q = userdata;
        uint32_t uid = UINT32_MAX;

        if (!reply_read(q, reply, "the uid of the peer that reported the stop job", "u", &uid))
                return 0;
        if (uid != 0) {
                log_warning("SIGUSR2: the stop job was reported by %s, uid %" PRIu32 ", not root: not systemd, "
                            "keeping the agents", q->sender, uid);
                daemon_state_detach(q->manager);
                return 0;
        }
        stop_agents(q->manager, q->job_id);
        return 0;
}

static void ask_sender_uid(JobQuery *q, sd_bus_message *reply) {
        const char *sender = sd_bus_message_get_sender(reply);
        int r;

        q->sender = sender ? strdup(sender) : NULL;
        if (!q->sender) {
                keep_agents(q->manager, sender ? "cannot ask for the stop job's sender (out of memory)"
                                               : "the stop job came from a peer without a name");
                return;
        }
        r = query_call(q, on_sender_uid, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                       "GetConnectionUnixUser", "s", q->sender);
        if (r < 0)
                call_failed(q, r, "the uid of the peer that reported the stop job");
}

static int on_job_type(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        JobQuery *q = userdata;
        const char *type = NULL;
        _cleanup_free_ char *why = NULL;

        if (!reply_read(q, reply, "the type of the unit's job", "v", "s", &type))
                return 0;
        if (job_type_stops_agents(type)) {
                ask_sender_uid(q, reply);
                return 0;
        }
        if (asprintf(&why, "systemd's job for this unit is \"%s\", not \"stop\"", type) < 0)
                why = NULL; /* asprintf() leaves it undefined */
        keep_agents(q->manager, why ?: "systemd's job for this unit is not a stop job");
        return 0;
}

static int on_job(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        JobQuery *q = userdata;
        const char *job = NULL;
        uint32_t id = 0;
        int r;

        if (!reply_read(q, reply, "the unit's job", "v", "(uo)", &id, &job))
                return 0;
        if (strcmp(job, "/") == 0) {
                keep_agents(q->manager, "systemd has no job for this unit (systemctl kill, or a signal by hand)");
                return 0;
        }
        q->job_id = id;
        log_debug("SIGUSR2: systemd's job %" PRIu32 " for this unit is %s", id, job);
        r = get_property(q, on_job_type, job, "org.freedesktop.systemd1.Job", "JobType");
        if (r < 0)
                call_failed(q, r, "the type of the unit's job");
        return 0;
}

static int on_unit(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        JobQuery *q = userdata;
        const char *unit = NULL;
        int r;

        if (!reply_read(q, reply, "the daemon's unit", "o", &unit))
                return 0;
        log_debug("SIGUSR2: the daemon runs in systemd's unit %s", unit);
        r = get_property(q, on_job, unit, "org.freedesktop.systemd1.Unit", "Job");
        if (r < 0)
                call_failed(q, r, "the unit's job");
        return 0;
}

void systemd_job_on_sigusr2(Manager *m) {
        JobQuery *q;
        int r;

        /* Stopping already: daemon_state_detach() logs that it ignores it. */
        if (m->state != MANAGER_RUNNING) {
                daemon_state_detach(m);
                return;
        }
        if (!m->bus) {
                keep_agents(m, "no bus to ask systemd on");
                return;
        }
        q = calloc(1, sizeof *q);
        if (!q) {
                keep_agents(m, "cannot ask systemd (out of memory)");
                return;
        }
        *q = (JobQuery) { .n_ref = 1, .manager = m, .deadline = usec_add(now_monotonic(), QUERY_TIMEOUT_USEC) };
        r = query_call(q, on_unit, SYSTEMD_SERVICE, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                       "GetUnitByPID", "u", (uint32_t) getpid());
        if (r < 0)
                call_failed(q, r, "the daemon's unit");
        query_unref(q);
}
