/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of the configuration enums, as written in files and shown on the bus.
 * The OTP ones (strategy, restart type, on-escalation) live with the core, in
 * src/supervise/otp.c. */
#include <string.h>

#include "config.h"

static int lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

#define DEFINE_STRING_TABLE(name, type, max, ...)                               \
        static const char *const name##_table[max] = { __VA_ARGS__ };          \
        const char *name##_to_string(type v) {                                 \
                return (int) v >= 0 && v < max ? name##_table[v] : NULL;       \
        }                                                                      \
        type name##_from_string(const char *s) {                               \
                return (type) lookup(name##_table, max, s);                    \
        }

DEFINE_STRING_TABLE(service_type, ServiceType, _SERVICE_MAX,
                    [SERVICE_SIMPLE] = "simple",
                    [SERVICE_NOTIFY] = "notify");

DEFINE_STRING_TABLE(policy_mode, PolicyMode, _POLICY_MODE_MAX,
                    [POLICY_MODE_ENFORCE] = "enforce",
                    [POLICY_MODE_LEARN] = "learn");

DEFINE_STRING_TABLE(standard_output, StandardOutput, _STANDARD_OUTPUT_MAX,
                    [STANDARD_OUTPUT_JOURNAL] = "journal",
                    [STANDARD_OUTPUT_NULL] = "null");
