/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of the OTP enums (otp.h). */
#include <string.h>

#include "otp.h"

static int lookup(const char *const *table, int n, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (strcmp(table[i], s) == 0)
                        return i;
        return -EINVAL;
}

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
};

const char *strategy_to_string(Strategy s) {
        return (int) s >= 0 && s < _STRATEGY_MAX ? strategy_table[s] : NULL;
}

Strategy strategy_from_string(const char *s) {
        return (Strategy) lookup(strategy_table, _STRATEGY_MAX, s);
}

const char *restart_type_to_string(RestartType t) {
        return (int) t >= 0 && t < _RESTART_MAX ? restart_type_table[t] : NULL;
}

RestartType restart_type_from_string(const char *s) {
        return (RestartType) lookup(restart_type_table, _RESTART_MAX, s);
}

const char *on_escalation_to_string(OnEscalation e) {
        return (int) e >= 0 && e < _ON_ESCALATION_MAX ? on_escalation_table[e] : NULL;
}

OnEscalation on_escalation_from_string(const char *s) {
        return (OnEscalation) lookup(on_escalation_table, _ON_ESCALATION_MAX, s);
}
