/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of the OTP enums (otp.h). */
#include "otp.h"
#include "string-table.h"

static const char *const strategy_table[_STRATEGY_MAX] = {
        [STRATEGY_ONE_FOR_ONE] = "one-for-one",
        [STRATEGY_ONE_FOR_ALL] = "one-for-all",
        [STRATEGY_REST_FOR_ONE] = "rest-for-one",
};

static const char *const restart_type_table[_RESTART_MAX] = {
        [RESTART_PERMANENT] = "permanent",
        [RESTART_TRANSIENT] = "transient",
        [RESTART_TEMPORARY] = "temporary",
};

static const char *const on_escalation_table[_ON_ESCALATION_MAX] = {
        [ON_ESCALATION_STOP] = "stop",
        [ON_ESCALATION_EXIT] = "exit",
        [ON_ESCALATION_FREEZE] = "freeze",
};

DEFINE_STRING_TABLE_LOOKUP(strategy, Strategy);
DEFINE_STRING_TABLE_LOOKUP(restart_type, RestartType);
DEFINE_STRING_TABLE_LOOKUP(on_escalation, OnEscalation);
