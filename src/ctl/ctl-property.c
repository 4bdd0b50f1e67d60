/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RunAgent properties from `-p KEY=VALUE`, through the agent-spec schema
 * (see ctl-property.h). */

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "agent-schema.h"
#include "ctl-args.h"
#include "ctl-property.h"
#include "parse-util.h"
#include "strv.h"

static int property_error(char *err, size_t size, const char *format, ...) _printf_(3, 4);
static int property_error(char *err, size_t size, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        vsnprintf(err, size, format, ap);
        va_end(ap);
        return -EINVAL;
}

static bool is_run_property(const AgentKey *k) {
        return k && k->option && (k->flags & AGENT_KEY_RUN);
}

void ctl_property_names(FILE *f, const char *separator) {
        for (size_t i = 0; i < agent_schema_n; i++)
                if (is_run_property(&agent_schema[i]))
                        fprintf(f, "%s%s", agent_schema[i].option, separator);
}

/* The RunAgent name first; the agents.d name (RuntimeMaxSec, CPUQuota) as
 * systemd-run takes unit-file names. */
static const AgentKey *find_key(const char *name, char *err, size_t size) {
        const AgentKey *k = agent_key_from_option(name);

        if (is_run_property(k))
                return k;
        k = agent_key_from_file(name);
        if (is_run_property(k))
                return k;

        if (k || agent_key_from_option(name))
                property_error(err, size, "-p %s: not a RunAgent property (an agent type's key or a StartAgent option)",
                               name);
        else {
                _cleanup_free_ char *names = NULL;
                size_t n;
                FILE *f = open_memstream(&names, &n);

                /* Without memory for the list, the error still names the key. */
                if (f) {
                        ctl_property_names(f, " ");
                        if (fclose(f) != 0)
                                names = mfree(names);
                }
                if (names && n > 0)
                        names[n - 1] = '\0';
                property_error(err, size, "-p %s: unknown property '%s'; known: %s", name, name, names ?: "");
        }
        return NULL;
}

/* Parses value as agents.d does, into a scratch spec, and reads it back by
 * the row's getter: the value as the spec holds it. */
static int parse_as_file(const AgentKey *k, const char *name, const char *value, AgentSpec *s, AgentValue *ret,
                         char *err, size_t size) {
        AgentKeyContext c = { .file = NULL };
        Diagnostic diag = {};
        int r;

        r = k->parse(k, value, s, &c, &diag);
        if (r == -ENOMEM)
                return r;
        /* The message names the agents.d key; say what was written when
         * the RunAgent name was used. */
        if (r < 0 && k->file && strcmp(name, k->file) == 0)
                return property_error(err, size, "-p %s", diag.message);
        if (r < 0)
                return property_error(err, size, "-p %s=%s: %s", name, value, diag.message);
        k->get(k, s, ret);
        return 0;
}

static int set_scalar(PropList *l, const AgentKey *k, const char *name, const char *value, char *err, size_t size) {
        _cleanup_(agent_spec_done) AgentSpec s;
        AgentValue v = {};
        int r;

        agent_spec_init(&s);
        prop_list_remove(l, k->option);

        switch (k->signature[0]) {
        case 'b':
                /* The getter of a yes/no row gives 0 or 1 in u64. */
                if (k->parse && k->get) {
                        r = parse_as_file(k, name, value, &s, &v, err, size);
                        if (r < 0)
                                return r;
                        return prop_list_add_bool(l, k->option, v.u64 == 1);
                }
                r = parse_boolean(value);
                if (r < 0)
                        return property_error(err, size, "-p %s=%s: expected yes or no (true/false, on/off, 1/0)",
                                              name, value);
                return prop_list_add_bool(l, k->option, r);
        case 's':
                if (k->parse && k->get) {
                        r = parse_as_file(k, name, value, &s, &v, err, size);
                        if (r < 0)
                                return r;
                } else if (k->check && k->check(value) < 0)
                        return property_error(err, size, "-p %s=%s: not a valid value", name, value);
                else
                        v.str = value;
                if (!v.str || !*v.str)
                        return property_error(err, size, "-p %s= needs a value", name);
                return prop_list_add_string(l, k->option, v.str);
        case 't':
        case 'u':
        case 'i':
                if (!k->parse || !k->get)
                        return property_error(err, size, "-p %s: agentctl cannot parse this property", name);
                r = parse_as_file(k, name, value, &s, &v, err, size);
                if (r < 0)
                        return r;
                if (k->signature[0] == 'i')
                        return prop_list_add_int32(l, k->option, (int32_t) v.i64);
                if (k->signature[0] == 'u')
                        return prop_list_add_uint32(l, k->option, (uint32_t) v.u64);
                /* A spec may keep "none" as 0 (WatchdogSec=0) where the
                 * row's bus range starts above it: on the bus none is
                 * UINT64_MAX. */
                if (v.u64 == 0 && k->min > 0)
                        v.u64 = UINT64_MAX;
                return prop_list_add_uint64(l, k->option, v.u64);
        default:
                return property_error(err, size, "-p %s: agentctl cannot send a property of type %s", name,
                                      k->signature);
        }
}

/* Each -p adds its entries; an empty value starts the list afresh, as an
 * empty assignment does in the files. */
static int add_list(PropList *l, const AgentKey *k, const char *name, const char *value, char *err, size_t size) {
        _cleanup_(agent_spec_done) AgentSpec s;
        _cleanup_strv_free_ char **split = NULL;
        AgentValue v = {};
        int r;

        agent_spec_init(&s);
        if (!*value) {
                prop_list_remove(l, k->option);
                return prop_list_add_strv(l, k->option, NULL);
        }

        if (k->parse && k->get) {
                r = parse_as_file(k, name, value, &s, &v, err, size);
                if (r < 0)
                        return r;
        } else {
                r = strv_split_quoted(value, &split);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return property_error(err, size, "-p %s=%s: unbalanced quote or trailing backslash", name,
                                              value);
                v.strv = split;
        }

        if (!prop_list_get(l, k->option)) {
                r = prop_list_add_strv(l, k->option, NULL);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(e, v.strv) {
                r = prop_list_append_strv(l, k->option, *e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctl_property_parse(PropList *l, const char *assignment, char *err, size_t size) {
        _cleanup_free_ char *name = NULL;
        const char *eq = strchr(assignment, '=');
        const AgentKey *k;

        if (!eq || eq == assignment)
                return property_error(err, size, "invalid -p '%s': expected KEY=VALUE", assignment);
        name = strndup(assignment, (size_t) (eq - assignment));
        if (!name)
                return -ENOMEM;

        k = find_key(name, err, size);
        if (!k)
                return -EINVAL;
        if (strcmp(k->signature, "as") == 0)
                return add_list(l, k, name, eq + 1, err, size);
        return set_scalar(l, k, name, eq + 1, err, size);
}

int ctl_property_sandbox(PropList *l, const char *preset, char *err, size_t size) {
        if (!STR_IN_SET(preset, "none", "standard", "strict"))
                return property_error(err, size, "invalid --sandbox '%s': expected none, standard or strict", preset);
        prop_list_remove(l, "Sandbox");
        return prop_list_add_string(l, "Sandbox", preset);
}
