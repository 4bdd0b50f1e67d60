/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "ctl-args.h"

/* `agentctl policy learn` (verb-policy-learn.c); returns the exit code. */
int policy_learn(const CtlArgs *a);
