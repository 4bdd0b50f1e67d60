/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `agentctl run -p KEY=VALUE` and `--sandbox`: a RunAgent property from
 * text. KEY is found in the agent-spec schema of src/config (the table the
 * daemon reads RunAgent properties by), by its RunAgent name or its
 * agents.d name, and VALUE is parsed by that row's agents.d parser, so the
 * syntax, the ranges and the error messages are the files' and a new
 * schema row is a new -p key without a change here. Pure: no bus. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "props.h"

/* Adds KEY's property to l: a scalar replaces an earlier one of the same
 * name (the last -p wins), a list (as) grows, and an empty list value
 * empties it. 0; -EINVAL with a message in err; -ENOMEM. */
int ctl_property_parse(PropList *l, const char *assignment, char *err, size_t size);

/* --sandbox PRESET: none, standard or strict. */
int ctl_property_sandbox(PropList *l, const char *preset, char *err, size_t size);

/* Writes the RunAgent property names -p takes, in the schema's order,
 * each followed by separator: for completion and for the error of an
 * unknown key. */
void ctl_property_names(FILE *f, const char *separator);
