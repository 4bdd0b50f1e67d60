/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus face of the daemon: object registration, signals, access checks
 * and the mapping of internal errors to the SPEC's error names. */
#pragma once

#include <systemd/sd-bus.h>

#include "agent.h"
#include "bus-names.h"
#include "error-detail.h"
#include "manager.h"

int bus_setup(Manager *m);
void bus_callers_clear(Manager *m);
int bus_agent_register_vtables(Manager *m);
int bus_supervisor_register_vtables(Manager *m);

/* 1 when the sender may call mutating methods, 0 (error set) when not. */
int bus_check_admin(Manager *m, sd_bus_message *msg, bool root_only, sd_bus_error *error);

/* Signals and PropertiesChanged; all ignore a missing bus. */
void bus_emit_agent_started(Agent *a);
void bus_emit_agent_exited(Agent *a);
void bus_emit_agent_restarted(Agent *a);
void bus_emit_health_changed(Agent *a);
void bus_emit_agent_added(Agent *a);      /* InterfacesAdded */
void bus_emit_agent_removed(Agent *a);    /* InterfacesRemoved */
void bus_emit_escalated(Supervisor *s);
/* PropertiesChanged is queued, not sent: these mark the object (and for an
 * agent the AgentProperty bits), and bus_queue_flush() sends one signal per
 * marked object, from a defer source that runs before the event loop's
 * next dispatch. */
void bus_agent_changed(Agent *a, unsigned props);
void bus_emit_supervisor_changed(Supervisor *s);
void bus_emit_manager_changed(Manager *m);
void bus_agent_forget(Agent *a);          /* drops its queued changes (it goes away) */
void bus_queue_flush(Manager *m);

int bus_agent_path(const char *name, char **ret);

/* The SPEC's input limits: what a caller may send in one StartAgent or
 * RunAgent, counted while reading (see bus_read_strv_bounded()). */
#define BUS_ARGS_MAX 256
#define BUS_ENV_MAX 256
#define BUS_OPTIONS_MAX 64
#define BUS_INPUT_BYTES_MAX (128 * 1024)

/* Reads an "as" entry by entry into *ret, refusing (InvalidArgs, naming
 * `what` and the limit) at the first entry beyond max_n or beyond the
 * *budget bytes left (each string counts with its NUL; *budget shrinks by
 * what was read). */
int bus_read_strv_bounded(sd_bus_message *msg, const char *what, size_t max_n, size_t *budget, char ***ret,
                          sd_bus_error *error);
int bus_agent_spec_from_properties(Manager *m, sd_bus_message *msg, AgentSpec *spec, bool run, size_t *budget,
                                   sd_bus_error *error);
/* dbus-spec.c: InvalidSpec naming the missing kernel feature when the
 * spec's sandbox cannot be honoured here (sandbox_check_honourable());
 * called at the end of bus_agent_spec_from_properties(). */
int bus_check_sandbox_honourable(Manager *m, const AgentSpec *spec, sd_bus_error *error);
/* The Manager's Features property (kernel_features_to_strv()). */
int bus_append_features(Manager *m, sd_bus_message *reply);

/* The SPEC's error name of a kind (NULL for ERROR_KIND_NONE), and the
 * translation of an operation's (r, detail) into the method's return: r
 * when r >= 0 or no kind is set (sd-bus then names the errno), else the
 * error is set to the kind's name and the detail's message. */
const char *bus_error_kind_to_string(ErrorKind kind);
int bus_error_from_detail(int r, const ErrorDetail *detail, sd_bus_error *error);
/* The same, replying with no value on success. */
int bus_reply_empty_or_error(sd_bus_message *msg, int r, const ErrorDetail *detail, sd_bus_error *error);

int bus_manager_register_vtable(Manager *m);
/* The objects' own methods (dbus-agent.c, dbus-supervisor.c), which the
 * Manager's by-name calls share. */
int bus_agent_do_stop(Agent *a, sd_bus_message *msg, sd_bus_error *error);
int bus_agent_do_restart(Agent *a, sd_bus_message *msg, sd_bus_error *error);
int bus_agent_do_kill(Agent *a, int sig, sd_bus_message *msg, sd_bus_error *error);
int bus_supervisor_do_reset(Supervisor *s, sd_bus_message *msg, sd_bus_error *error);
/* dbus-freeze.c: Freeze() (the reply may come later) and Thaw(). */
int bus_agent_do_freeze(Agent *a, sd_bus_message *msg, sd_bus_error *error);
int bus_agent_do_thaw(Agent *a, sd_bus_message *msg, sd_bus_error *error);
