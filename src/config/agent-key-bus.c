/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RunAgent properties and StartAgent options from bus values, after the
 * daemon has read the variant by the row's signature. Malformed values are
 * -EINVAL (InvalidArgs), values that are well formed but may not be
 * honoured -EPERM (InvalidSpec); both come with the caller's message. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent-key.h"
#include "env-util.h"
#include "strv.h"

/* Sets *ret_message (for the caller's reply) and returns r. */
int agent_key_fail(char **ret_message, int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (vasprintf(ret_message, format, ap) < 0) {
                *ret_message = NULL;
                r = -ENOMEM;
        }
        va_end(ap);
        return r;
}

/* The row's range, UINT64_MAX (none) aside; StartAgent may then only
 * tighten a TIGHTEN key. */
AGENT_KEY_BUS_SETTER(agent_bus_set_limit) {
        uint64_t *field = AGENT_FIELD(s, k, uint64_t);

        if (v->u64 != UINT64_MAX && (v->u64 < k->min || v->u64 > k->max))
                return agent_key_fail(ret_message, -EINVAL,
                            "Option %s=%" PRIu64 " is out of range: expected %" PRIu64 "..%" PRIu64 ", or %" PRIu64
                            " (UINT64_MAX) for no limit.",
                            k->option, v->u64, k->min, k->max, UINT64_MAX);
        if (start && (k->flags & AGENT_KEY_TIGHTEN) && v->u64 > *field)
                return agent_key_fail(ret_message, -EPERM, "Option %s=%" PRIu64 " would loosen the type's limit of %" PRIu64 ".",
                            k->option, v->u64, *field);
        *field = v->u64;
        return 0;
}

/* UINT64_MAX is none, which the spec keeps as 0. */
AGENT_KEY_BUS_SETTER(agent_bus_set_watchdog) {
        int r;

        r = agent_bus_set_limit(k, v, start, s, ret_message);
        if (r == 0 && v->u64 == UINT64_MAX)
                *AGENT_FIELD(s, k, usec_t) = 0;
        return r;
}

AGENT_KEY_BUS_SETTER(agent_bus_set_string) {
        if (k->check(v->str) < 0)
                return agent_key_fail(ret_message, -EINVAL, "%s \"%s\"%s", k->option, v->str, k->bus_invalid);
        return agent_replace_string(AGENT_FIELD(s, k, char *), v->str);
}

AGENT_KEY_BUS_SETTER(agent_bus_set_enum) {
        int e = k->check(v->str);

        if (e < 0)
                return agent_key_fail(ret_message, -EINVAL, "%s \"%s\"%s", k->option, v->str, k->bus_invalid);
        *AGENT_FIELD(s, k, int) = e;
        return 0;
}

/* KEY=VALUE with a valid name is well formed (else InvalidArgs); a name
 * the loader or an interpreter acts on, one the daemon sets itself, or
 * (StartAgent) one the agent type already sets cannot be honoured from a
 * caller (InvalidSpec): the type's author chose those values. All are
 * checked before any is set. */
AGENT_KEY_BUS_SETTER(agent_bus_set_environment) {
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        STRV_FOREACH(e, v->strv) {
                const char *eq = strchr(*e, '='), *why;

                if (!eq || !env_name_is_valid(*e, (size_t) (eq - *e)))
                        return agent_key_fail(ret_message, -EINVAL,
                                    "Environment entry \"%s\" is not KEY=VALUE with a valid variable name.", *e);
                why = env_refused_for_caller(*e);
                if (why)
                        return agent_key_fail(ret_message, -EPERM, "Environment variable %.*s %s; a caller may not set it.",
                                    (int) (eq - *e), *e, why);
                STRV_FOREACH(t, start ? *field : NULL)
                        if (strncmp(*t, *e, (size_t) (eq - *e) + 1) == 0)
                                return agent_key_fail(ret_message, -EPERM,
                                            "Environment variable %.*s is set by the agent type; "
                                            "a caller may not change it.", (int) (eq - *e), *e);
        }
        STRV_FOREACH(e, v->strv) {
                r = strv_env_set(field, *e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Appended to the type's command line. */
AGENT_KEY_BUS_SETTER(agent_bus_set_arguments) {
        return strv_extend_strv(AGENT_FIELD(s, k, char **), v->strv);
}
