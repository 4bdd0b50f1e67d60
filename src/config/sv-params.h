/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"
#include "supervise.h"

/* A [Supervisor] section as the supervision core's parameters. */
void sv_params_from_config(const SupervisorConfig *c, SvParams *ret);
