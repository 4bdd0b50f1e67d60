/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RunAgent's properties and StartAgent's options: each entry of the a{sv}
 * is looked up in the agent-spec schema, its variant read by the row's
 * signature within the SPEC's input limits, and the row's setter applies it
 * (validation, ranges and StartAgent's tighten-only rule live there). */
#include <string.h>

#include "agent-sandbox.h"
#include "agent-schema.h"
#include "dbus.h"
#include "strv.h"

_Static_assert(BUS_ENV_MAX == AGENT_ENV_MAX && BUS_ARGS_MAX == AGENT_ARGS_MAX,
               "the schema's list limits are the bus input limits");

static int read_string_option(sd_bus_message *msg, const char *key, size_t *budget, const char **ret,
                              sd_bus_error *error) {
        size_t len;
        int r;

        r = sd_bus_message_read(msg, "v", "s", ret);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option %s must be of type s (string).", key);
        len = strlen(*ret) + 1;
        if (len > *budget)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Option %s: the input exceeds %d KiB in all.", key, BUS_INPUT_BYTES_MAX / 1024);
        *budget -= len;
        return 0;
}

/* An "as" option inside its variant. */
static int read_strv_option(sd_bus_message *msg, const char *key, size_t max_n, size_t *budget, char ***ret,
                            sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'v', "as");
        if (r <= 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option %s must be of type as.", key);
        r = bus_read_strv_bounded(msg, key, max_n, budget, ret, error);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

/* The option's variant into v (and *strv, which v->strv then borrows). */
static int read_value(sd_bus_message *msg, const AgentKey *k, size_t *budget, AgentValue *v, char ***strv,
                      sd_bus_error *error) {
        int r;

        if (strcmp(k->signature, "s") == 0)
                return read_string_option(msg, k->option, budget, &v->str, error);
        if (strcmp(k->signature, "as") == 0) {
                r = read_strv_option(msg, k->option, k->max_n, budget, strv, error);
                v->strv = *strv;
                return r;
        }
        if (strcmp(k->signature, "b") == 0) {
                int b;

                r = sd_bus_message_read(msg, "v", "b", &b);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option %s must be of type b (boolean).", k->option);
                v->u64 = b ? 1 : 0;
                return 0;
        }
        /* Options are s, as, b or t (test-agent-schema checks). */
        r = sd_bus_message_read(msg, "v", "t", &v->u64);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option %s must be of type t (uint64).",
                                         k->option);
        return 0;
}

static int apply_option(sd_bus_message *msg, const AgentKey *k, AgentSpec *spec, bool run, size_t *budget,
                        sd_bus_error *error) {
        _cleanup_strv_free_ char **strv = NULL;
        _cleanup_free_ char *message = NULL;
        AgentValue v = {};
        int r;

        r = read_value(msg, k, budget, &v, &strv, error);
        if (r < 0)
                return r;
        r = k->bus_set(k, &v, !run, spec, &message);
        if (r == -EINVAL)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, message);
        if (r == -EPERM)
                return sd_bus_error_set(error, BUS_ERROR_INVALID_SPEC, message);
        return r;
}

/* StartAgent's options (run=false) or RunAgent's properties (run=true)
 * applied to spec. Malformed input is InvalidArgs; input that is well formed
 * but cannot be honoured is InvalidSpec. Every array, and the dictionary
 * itself, is read entry by entry and refused at the first entry beyond its
 * limit; *budget is what is left of BUS_INPUT_BYTES_MAX. */
int bus_agent_spec_from_properties(Manager *m, sd_bus_message *msg, AgentSpec *spec, bool run, size_t *budget,
                                   sd_bus_error *error) {
        const char *seen[BUS_OPTIONS_MAX];
        size_t n_seen = 0;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r <= 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Expected a{sv} %s.",
                                         run ? "properties" : "options");
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const AgentKey *k;
                const char *key;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                /* Each key once: a repeated Environment would otherwise add
                 * 256 entries per copy. The keys live in the message. */
                for (size_t i = 0; i < n_seen; i++)
                        if (strcmp(seen[i], key) == 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "%s \"%s\" is given more than once.",
                                                         run ? "Property" : "Option", key);
                if (n_seen >= BUS_OPTIONS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "More than %d %s.", BUS_OPTIONS_MAX, run ? "properties" : "options");
                seen[n_seen++] = key;

                k = agent_key_from_option(key);
                if (!k || !(k->flags & (run ? AGENT_KEY_RUN : AGENT_KEY_START)))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Unknown %s \"%s\".", run ? "property" : "option", key);
                r = apply_option(msg, k, spec, run, budget, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        if (spec->watchdog_usec > 0 && spec->type != SERVICE_NOTIFY)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "WatchdogUSec needs Type=notify: only notify agents send WATCHDOG=1.");
        return bus_check_sandbox_honourable(m, spec, error);
}

/* A sandbox the kernel cannot give is refused now, as InvalidSpec, rather
 * than started quieter or failing later (the spawn checks again). */
int bus_check_sandbox_honourable(Manager *m, const AgentSpec *spec, sd_bus_error *error) {
        _cleanup_free_ char *message = NULL;
        AgentSpec effective = *spec;    /* shallow: only read */
        int r;

        if (effective.sandbox.preset < 0)
                effective.sandbox.preset = m->config->default_sandbox;
        if (!effective.user)
                effective.user = m->config->default_user;
        r = sandbox_check_honourable(&effective, &m->features, &message);
        if (r == -EOPNOTSUPP)
                return sd_bus_error_set(error, BUS_ERROR_INVALID_SPEC, message);
        return r;
}

int bus_append_features(Manager *m, sd_bus_message *reply) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = kernel_features_to_strv(&m->features, &l);
        if (r < 0)
                return r;
        return sd_bus_message_append_strv(reply, l);
}
