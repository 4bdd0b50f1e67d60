/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs of agentctl. Each returns the process exit code. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "ctl-args.h"
#include "macro.h"

typedef struct CtlContext {
        sd_bus *bus;          /* NULL for the local verbs */
        const CtlArgs *args;
        bool color;           /* stdout is a terminal that wants colors */
} CtlContext;

int verb_list(CtlContext *c);
int verb_types(CtlContext *c);
int verb_supervisors(CtlContext *c);
int verb_complete(CtlContext *c);
int verb_status(CtlContext *c);
int verb_start(CtlContext *c);
int verb_run(CtlContext *c);
int verb_stop(CtlContext *c);
int verb_kill(CtlContext *c);
int verb_restart(CtlContext *c);
int verb_remove(CtlContext *c);
int verb_reset(CtlContext *c);
int verb_freeze(CtlContext *c);
int verb_thaw(CtlContext *c);
int verb_daemon_reexec(CtlContext *c);
int verb_monitor(CtlContext *c);
int verb_policy(CtlContext *c);

/* Pipes stdout through $AGENTCTL_PAGER, $PAGER or less when it is a terminal;
 * pager_close() flushes and waits for it. */
void pager_open(void);
void pager_close(void);

