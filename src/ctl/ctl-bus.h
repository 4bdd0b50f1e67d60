/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl's side of the bus: connecting, calling agentvisord, turning a{sv}
 * into a PropList and back, and reporting failed calls. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "ctl-args.h"
#include "props.h"

/* Connects as the arguments say: --system, --user, --address, else
 * $AGENTCTL_BUS_ADDRESS, else the system bus. */
int ctl_bus_open(const CtlArgs *a, sd_bus **ret);

/* Prints "agentctl: Out of memory." and returns CTL_EXIT_FAILURE. */
int ctl_oom(void);
/* Prints "agentctl: <message>" for a failed call and returns the exit code. */
int ctl_report_error(int r, const sd_bus_error *error, const char *what);

/* Calls a Manager method on agentvisord. */
int ctl_call_manager(sd_bus *bus, const char *method, sd_bus_error *error, sd_bus_message **reply,
                     const char *types, ...);

/* Reads an a{sv} at the message's position; values of types agentctl does
 * not know are skipped. */
int bus_message_read_properties(sd_bus_message *m, PropList *l);
/* Appends the list as a{sv}. */
int bus_message_append_properties(sd_bus_message *m, const PropList *l);
/* Properties.GetAll of one interface of an agentvisord object. */
int bus_get_all(sd_bus *bus, const char *path, const char *interface, PropList *l, sd_bus_error *error);
/* The object path of an agent, via Manager.GetAgent. */
int bus_get_agent_path(sd_bus *bus, const char *name, char **ret, sd_bus_error *error);
