/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OTP supervision vocabulary: restart strategies, restart types and what
 * a supervisor does when it escalates. The core owns them; the configuration
 * parses them and the bus shows them through the string tables below. */
#pragma once

#include <errno.h>

typedef enum Strategy {
        STRATEGY_ONE_FOR_ONE,
        STRATEGY_ONE_FOR_ALL,
        STRATEGY_REST_FOR_ONE,
        _STRATEGY_MAX,
        _STRATEGY_INVALID = -EINVAL,
} Strategy;

typedef enum RestartType {
        RESTART_PERMANENT,
        RESTART_TRANSIENT,
        RESTART_TEMPORARY,
        _RESTART_MAX,
        _RESTART_INVALID = -EINVAL,
} RestartType;

typedef enum OnEscalation {
        ON_ESCALATION_STOP,
        ON_ESCALATION_EXIT,
        ON_ESCALATION_FREEZE,           /* freeze its agents and keep them (SPEC "Freezing") */
        _ON_ESCALATION_MAX,
        _ON_ESCALATION_INVALID = -EINVAL,
} OnEscalation;

/* Names as written in files and shown on the bus; _from_string() returns the
 * _INVALID value for NULL or an unknown name (case matters). */
const char *strategy_to_string(Strategy s);
Strategy strategy_from_string(const char *s);
const char *restart_type_to_string(RestartType t);
RestartType restart_type_from_string(const char *s);
const char *on_escalation_to_string(OnEscalation e);
OnEscalation on_escalation_from_string(const char *s);
