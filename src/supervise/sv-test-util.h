/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake daemon for the supervision core's tests: an injected clock, agents
 * named through their userdata, and the queued actions rendered as one line
 * ("spawn:a restarted:a stop:b(restart) escalated:root") to compare. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervise.h"

#define SEC(x) ((usec_t) (x) * USEC_PER_SEC)
#define MSEC(x) ((usec_t) (x) * USEC_PER_MSEC)

typedef struct World {
        Sv *sv;
        usec_t now;
        SvSupervisor *root;
        char **names;
        size_t n_names;
} World;

/* one-for-one unless given; MaxRestarts=3, 5s window, no backoff, 100 children. */
SvParams test_params(Strategy strategy);

World *world_new(const SvParams *root_params);
void world_free(World *w);
SvSupervisor *world_supervisor(World *w, const char *name, SvSupervisor *parent, const SvParams *p);

/* Adds an agent (SPAWN queued, not yet reported spawned). */
SvAgent *world_add(World *w, SvSupervisor *s, RestartType restart, const char *name);
/* Adds agents and takes their SPAWNs off the queue, so they are RUNNING. */
SvAgent *world_add_running(World *w, SvSupervisor *s, RestartType restart, const char *name);

/* The nested tree of several tests: supervisor "n" (np) under the root with
 * running permanent agents "x" and "y", then a running permanent sibling
 * of n under the root; returns n. */
SvSupervisor *world_nested(World *w, const SvParams *np, const char *sibling, SvAgent **ret_x, SvAgent **ret_y,
                           SvAgent **ret_sibling);

const char *world_name(const SvAgent *a);

/* Moves the clock and fires due timers. */
void world_advance(World *w, usec_t d);
bool world_crash(World *w, SvAgent *a);         /* abnormal end */
bool world_exit_ok(World *w, SvAgent *a);       /* exit 0, or down after a STOP */

/* Takes every queued action off and renders it; SPAWNs are reported back as
 * spawned at the current time, as the daemon would. */
char *world_drain(World *w);

void world_expect_actions(World *w, const char *expected, const char *file, int line);
#define expect_actions(w, expected) world_expect_actions(w, expected, __FILE__, __LINE__)

void world_expect_state(World *w, SvAgent *a, SvAgentState st, const char *file, int line);
#define expect_state(w, a, st) world_expect_state(w, a, st, __FILE__, __LINE__)
