/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The isolation keys of the schema (SPEC "Isolation"): Sandbox=, the keys
 * that override its preset, the path lists, StateDirectory= and the TCP
 * port lists, from text and from bus values. StartAgent may only tighten:
 * a preset or key value at least as tight as the type's effective one,
 * more ReadOnlyPaths/InaccessiblePaths, a port list inside the type's; it
 * may not grant (ReadWritePaths, BindPaths, BindReadOnlyPaths,
 * StateDirectory). */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent-key.h"
#include "parse-util.h"
#include "strv.h"

static SandboxKey row_sandbox_key(const AgentKey *k) {
        return (SandboxKey) ((k->offset - offsetof(AgentSpec, sandbox.keys)) / sizeof(int));
}

/* An absolute path as Landlock and the mount plan take it: no empty, "."
 * or ".." component, no trailing '/' (but "/" itself). */
static bool path_is_normalized_absolute(const char *p, size_t n) {
        if (n == 0 || n >= PATH_MAX || p[0] != '/')
                return false;
        if (n == 1)
                return true;
        if (p[n - 1] == '/')
                return false;
        for (size_t i = 0; i < n;) {
                size_t j = i + 1, len;

                while (j < n && p[j] != '/')
                        j++;
                len = j - i - 1;
                if (len == 0 || (len == 1 && p[i + 1] == '.') || (len == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
                        return false;
                i = j;
        }
        return true;
}

int agent_check_path_entry(const char *s) {
        if (s[0] == '-')
                s++;
        return path_is_normalized_absolute(s, strlen(s)) ? 0 : -EINVAL;
}

/* SRC[:DST]: SRC may start with '-' (skipped when missing). */
int agent_check_bind_entry(const char *s) {
        const char *colon;

        if (s[0] == '-')
                s++;
        colon = strchr(s, ':');
        if (!colon)
                return path_is_normalized_absolute(s, strlen(s)) ? 0 : -EINVAL;
        if (!path_is_normalized_absolute(s, (size_t) (colon - s)) ||
            !path_is_normalized_absolute(colon + 1, strlen(colon + 1)))
                return -EINVAL;
        return 0;
}

/* systemd's StateDirectory= NAME: relative components of [A-Za-z0-9._-],
 * none empty, "." or "..". The daemon checks again when it creates it. */
int agent_check_state_directory(const char *s) {
        size_t len = 0;

        if (!*s || strlen(s) >= PATH_MAX)
                return -EINVAL;
        for (const char *c = s;; c++) {
                if (*c == '/' || *c == '\0') {
                        if (len == 0 || (len == 1 && c[-1] == '.') || (len == 2 && c[-1] == '.' && c[-2] == '.'))
                                return -EINVAL;
                        if (*c == '\0')
                                return 0;
                        len = 0;
                        continue;
                }
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '.' || *c == '_' || *c == '-'))
                        return -EINVAL;
                len++;
        }
}

/* A TCP port, 1..65535, into its canonical decimal. */
static int port_canonical(const char *s, char buf[static 6]) {
        unsigned u;

        if (parse_uint(s, &u) < 0 || u == 0 || u > 65535)
                return -EINVAL;
        snprintf(buf, 6, "%u", u);
        return 0;
}

int agent_check_port(const char *s) {
        char buf[6];
        return port_canonical(s, buf);
}

static bool preset_row(const AgentKey *k) {
        return k->offset == offsetof(AgentSpec, sandbox.preset);
}

/* --- From files ------------------------------------------------------------ */

/* Sandbox= and the overriding keys; empty is unset again (the preset's, or
 * for Sandbox= the daemon's DefaultSandbox=). */
AGENT_KEY_PARSER(agent_parse_sandbox) {
        int v;

        if (*value == '\0') {
                *AGENT_FIELD(s, k, int) = SANDBOX_UNSET;
                return 0;
        }
        v = preset_row(k) ? sandbox_preset_from_string(value) : sandbox_key_value_from_string(row_sandbox_key(k), value);
        if (v < 0) {
                diag_set(diag, c->file, c->line, 0, k->file, "%s=%s is invalid: expected %s", k->file, value,
                         k->expected);
                return -EINVAL;
        }
        *AGENT_FIELD(s, k, int) = v;
        return 0;
}

/* Space-separated entries (quotes allowed), added to earlier lines; empty
 * forgets them, as in systemd. Each entry is checked by the row's check. */
AGENT_KEY_PARSER(agent_parse_list) {
        _cleanup_strv_free_ char **items = NULL;
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        r = agent_split_list(k, c, value, field, &items, diag);
        if (r < 0 || !items)
                return r;
        STRV_FOREACH(i, items) {
                char buf[6];

                if (k->check(*i) < 0) {
                        diag_set(diag, c->file, c->line, 0, k->file, "%s=: \"%s\" is invalid: expected %s", k->file,
                                 *i, k->expected);
                        return -EINVAL;
                }
                /* Ports are kept in one spelling, so lists compare. */
                if (k->check == agent_check_port && port_canonical(*i, buf) == 0 && strcmp(buf, *i) != 0) {
                        r = agent_replace_string(i, buf);
                        if (r < 0)
                                return r;
                }
        }
        /* An empty list given on the line is still "given". */
        if (!*field && !(*field = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return strv_extend_strv(field, items);
}

AGENT_KEY_PARSER(agent_parse_state_directory) {
        if (*value == '\0') {
                *AGENT_FIELD(s, k, char *) = mfree(*AGENT_FIELD(s, k, char *));
                return 0;
        }
        return agent_parse_string(k, value, s, c, diag);
}

/* --- From the bus ------------------------------------------------------------ */

AGENT_KEY_BUS_SETTER(agent_bus_set_sandbox_preset) {
        int *field = AGENT_FIELD(s, k, int);
        SandboxPreset p = sandbox_preset_from_string(v->str), cur;

        if (p < 0)
                return agent_key_fail(ret_message, -EINVAL, "%s \"%s\"%s", k->option, v->str, k->bus_invalid);
        cur = *field >= 0 ? (SandboxPreset) *field : SANDBOX_PRESET_DEFAULT;
        if (start && p < cur)
                return agent_key_fail(ret_message, -EPERM, "Option Sandbox=%s would loosen the type's sandbox %s.",
                            v->str, sandbox_preset_to_string(cur));
        *field = p;
        return 0;
}

static int set_sandbox_value(const AgentKey *k, int value, const char *word, bool start, AgentSpec *s,
                             char **ret_message) {
        SandboxKey key = row_sandbox_key(k);
        int cur = sandbox_options_value(&s->sandbox, SANDBOX_PRESET_DEFAULT, key);

        if (start && value < cur)
                return agent_key_fail(ret_message, -EPERM,
                            "Option %s=%s would loosen the type's sandbox, which has %s=%s; StartAgent may only "
                            "tighten it.", k->option, word, k->option, sandbox_key_value_to_string(key, cur));
        *AGENT_FIELD(s, k, int) = value;
        return 0;
}

/* `b` options: v->u64 is 0 or 1. */
AGENT_KEY_BUS_SETTER(agent_bus_set_sandbox_bool) {
        return set_sandbox_value(k, v->u64 ? 1 : 0, v->u64 ? "yes" : "no", start, s, ret_message);
}

AGENT_KEY_BUS_SETTER(agent_bus_set_sandbox_word) {
        int value = sandbox_key_value_from_string(row_sandbox_key(k), v->str);

        if (value < 0)
                return agent_key_fail(ret_message, -EINVAL, "%s \"%s\"%s", k->option, v->str, k->bus_invalid);
        return set_sandbox_value(k, value, v->str, start, s, ret_message);
}

static int check_entries(const AgentKey *k, char **l, char **ret_message) {
        STRV_FOREACH(i, l)
                if (k->check(*i) < 0)
                        return agent_key_fail(ret_message, -EINVAL, "%s entry \"%s\" is invalid: expected %s.", k->option, *i,
                                    k->expected);
        return 0;
}

/* ReadOnlyPaths, InaccessiblePaths: restrictions, so StartAgent adds them. */
AGENT_KEY_BUS_SETTER(agent_bus_set_restricting_paths) {
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        r = check_entries(k, v->strv, ret_message);
        if (r < 0)
                return r;
        if (!start)
                *field = strv_free(*field);
        return strv_extend_strv(field, v->strv);
}

/* ReadWritePaths, BindPaths, BindReadOnlyPaths: each grants access the
 * sandbox would otherwise deny, which only RunAgent (root) may do. */
AGENT_KEY_BUS_SETTER(agent_bus_set_granting_paths) {
        _cleanup_strv_free_ char **copy = NULL;
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        r = check_entries(k, v->strv, ret_message);
        if (r < 0)
                return r;
        if (start)
                return agent_key_fail(ret_message, -EPERM,
                            "Option %s would give the agent access its type does not; StartAgent may only add "
                            "restrictions.", k->option);
        copy = strv_copy(v->strv);
        if (!copy)
                return -ENOMEM;
        strv_free(*field);
        *field = TAKE_PTR(copy);
        return 0;
}

AGENT_KEY_BUS_SETTER(agent_bus_set_state_directory) {
        if (k->check(v->str) < 0)
                return agent_key_fail(ret_message, -EINVAL, "%s \"%s\"%s", k->option, v->str, k->bus_invalid);
        if (start)
                return agent_key_fail(ret_message, -EPERM,
                            "Option StateDirectory would give the agent a writable directory its type does not; "
                            "StartAgent may only add restrictions.");
        return agent_replace_string(AGENT_FIELD(s, k, char *), v->str);
}

/* A port list: RunAgent sets it; StartAgent may restrict TCP where the type
 * does not, or keep a subset of the type's ports. */
AGENT_KEY_BUS_SETTER(agent_bus_set_ports) {
        _cleanup_strv_free_ char **l = NULL;
        char ***field = AGENT_FIELD(s, k, char **);
        int r;

        r = check_entries(k, v->strv, ret_message);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        STRV_FOREACH(i, v->strv) {
                char buf[6];

                (void) port_canonical(*i, buf);
                if (start && *field && !strv_contains(*field, buf))
                        return agent_key_fail(ret_message, -EPERM,
                                    "Option %s: port %s is not among the type's ports; StartAgent may only "
                                    "narrow the list.", k->option, buf);
                r = strv_extend(&l, buf);
                if (r < 0)
                        return r;
        }
        strv_free(*field);
        *field = TAKE_PTR(l);
        return 0;
}
