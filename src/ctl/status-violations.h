/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "props.h"

/* "Violations: N" and, when there are some, the last few (status-violations.c). */
void status_print_violations(sd_bus *bus, const char *path, const PropList *l);
