/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SPEC's preset table resolved for every preset, keys overriding it one
 * by one, DefaultSandbox= for a spec that names no preset, and StartAgent's
 * tighten-only rules for the isolation keys (a looser value, a granting path
 * list, a port outside the type's list are refused; tighter ones are taken). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent-schema.h"
#include "strv.h"

/* The SPEC's table, row by row: none, standard, strict. */
static const struct {
        SandboxKey key;
        const char *values[3];
} spec_table[] = {
        { SANDBOX_KEY_PRIVATE_TMP, { "no", "yes", "yes" } },
        { SANDBOX_KEY_PROTECT_SYSTEM, { "no", "full", "strict" } },
        { SANDBOX_KEY_PROTECT_HOME, { "no", "read-only", "yes" } },
        { SANDBOX_KEY_PRIVATE_DEVICES, { "no", "yes", "yes" } },
        { SANDBOX_KEY_PROTECT_PROC, { "default", "invisible", "invisible" } },
        { SANDBOX_KEY_PROC_SUBSET, { "all", "all", "pid" } },
        { SANDBOX_KEY_PRIVATE_IPC, { "no", "yes", "yes" } },
        { SANDBOX_KEY_PRIVATE_NETWORK, { "no", "no", "yes" } },
        { SANDBOX_KEY_PRIVATE_PIDS, { "no", "no", "yes" } },
        { SANDBOX_KEY_PRIVATE_USERS, { "no", "yes", "yes" } },
        { SANDBOX_KEY_LANDLOCK, { "no", "no", "yes" } },
};

static void test_presets(void **state) {
        assert_int_equal(ELEMENTSOF(spec_table), _SANDBOX_KEY_MAX);
        for (int p = 0; p < _SANDBOX_PRESET_MAX; p++) {
                SandboxOptions o;
                SandboxSettings s;

                sandbox_options_init(&o);
                o.preset = p;
                /* The default preset does not matter once one is named. */
                sandbox_options_resolve(&o, SANDBOX_STRICT - p, &s);
                assert_int_equal(s.preset, p);
                for (size_t i = 0; i < ELEMENTSOF(spec_table); i++) {
                        const char *got = sandbox_key_value_to_string(spec_table[i].key, s.keys[spec_table[i].key]);
                        if (!got || strcmp(got, spec_table[i].values[p]) != 0)
                                fail_msg("Sandbox=%s: %s=%s, the SPEC says %s", sandbox_preset_to_string(p),
                                         sandbox_key_name(spec_table[i].key), got ?: "(null)", spec_table[i].values[p]);
                }
        }
}

/* Every preset is at least as tight as the one before in every key: what
 * makes StartAgent's Sandbox= option safe to raise. */
static void test_presets_monotonic(void **state) {
        for (int k = 0; k < _SANDBOX_KEY_MAX; k++)
                for (int p = 1; p < _SANDBOX_PRESET_MAX; p++)
                        assert_true(sandbox_preset_value(p, k) >= sandbox_preset_value(p - 1, k));
}

static void test_default_and_overrides(void **state) {
        SandboxOptions o;
        SandboxSettings s;

        sandbox_options_init(&o);
        sandbox_options_resolve(&o, SANDBOX_NONE, &s);
        assert_int_equal(s.preset, SANDBOX_NONE);
        assert_int_equal(s.keys[SANDBOX_KEY_PRIVATE_TMP], 0);
        sandbox_options_resolve(&o, SANDBOX_PRESET_DEFAULT, &s);
        assert_int_equal(s.preset, SANDBOX_STANDARD);
        assert_int_equal(s.keys[SANDBOX_KEY_PRIVATE_TMP], 1);

        /* Keys override the preset one by one, in both directions. */
        o.preset = SANDBOX_STRICT;
        o.keys[SANDBOX_KEY_PRIVATE_NETWORK] = 0;
        o.keys[SANDBOX_KEY_PROTECT_SYSTEM] = sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_SYSTEM, "yes");
        sandbox_options_resolve(&o, SANDBOX_NONE, &s);
        assert_int_equal(s.keys[SANDBOX_KEY_PRIVATE_NETWORK], 0);
        assert_string_equal(sandbox_key_value_to_string(SANDBOX_KEY_PROTECT_SYSTEM, s.keys[SANDBOX_KEY_PROTECT_SYSTEM]),
                            "yes");
        assert_int_equal(s.keys[SANDBOX_KEY_PRIVATE_PIDS], 1);
        o.preset = SANDBOX_NONE;
        o.keys[SANDBOX_KEY_LANDLOCK] = 1;
        sandbox_options_resolve(&o, SANDBOX_STRICT, &s);
        assert_int_equal(s.keys[SANDBOX_KEY_LANDLOCK], 1);
        assert_int_equal(s.keys[SANDBOX_KEY_PRIVATE_TMP], 0);
}

static void test_words(void **state) {
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_SYSTEM, "true"), 1);
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_SYSTEM, "off"), 0);
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_HOME, "1"), 3);
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_HOME, "tmpfs"), 2);
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PRIVATE_TMP, "on"), 1);
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PROTECT_PROC, "yes"), -EINVAL);
        assert_int_equal(sandbox_key_value_from_string(SANDBOX_KEY_PROC_SUBSET, "none"), -EINVAL);
        assert_int_equal(sandbox_preset_from_string("Strict"), -EINVAL);
}

/* A type with Sandbox=standard, and StartAgent options applied to it. */
static int start_option(AgentSpec *s, const char *option, AgentValue v, char **ret_message) {
        const AgentKey *k = agent_key_from_option(option);

        assert_non_null(k);
        assert_true(k->flags & AGENT_KEY_START);
        *ret_message = mfree(*ret_message);
        return k->bus_set(k, &v, /* start= */ true, s, ret_message);
}

#define STRV(...) ((char *[]) { __VA_ARGS__, NULL })
#define W(s) ((char[]) { s })

static void test_start_tightens_only(void **state) {
        _cleanup_free_ char *m = NULL;
        AgentSpec s;

        agent_spec_init(&s);
        s.sandbox.preset = SANDBOX_STANDARD;

        /* Adding restrictions. */
        assert_int_equal(start_option(&s, "PrivateNetwork", (AgentValue) { .u64 = 1 }, &m), 0);
        assert_int_equal(s.sandbox.keys[SANDBOX_KEY_PRIVATE_NETWORK], 1);
        assert_int_equal(start_option(&s, "ProtectSystem", (AgentValue) { .str = "strict" }, &m), 0);
        /* Keeping one is fine too. */
        assert_int_equal(start_option(&s, "PrivateTmp", (AgentValue) { .u64 = 1 }, &m), 0);
        assert_int_equal(start_option(&s, "ReadOnlyPaths", (AgentValue) { .strv = STRV(W("/srv")) }, &m), 0);
        assert_int_equal(start_option(&s, "InaccessiblePaths", (AgentValue) { .strv = STRV(W("-/opt/x")) }, &m), 0);
        assert_int_equal(start_option(&s, "AllowTCPConnect", (AgentValue) { .strv = STRV(W("443"), W("080")) }, &m),
                         0);
        assert_true(strv_contains(s.allow_tcp_connect, "80"));

        /* Removing one: the preset's (PrivateIPC=yes under standard), or one
         * just added (PrivateNetwork=yes). */
        assert_int_equal(start_option(&s, "PrivateIPC", (AgentValue) { .u64 = 0 }, &m), -EPERM);
        assert_string_equal(m, "Option PrivateIPC=no would loosen the type's sandbox, which has PrivateIPC=yes; "
                               "StartAgent may only tighten it.");
        assert_int_equal(start_option(&s, "PrivateNetwork", (AgentValue) { .u64 = 0 }, &m), -EPERM);
        assert_int_equal(start_option(&s, "ProtectSystem", (AgentValue) { .str = "full" }, &m), -EPERM);
        assert_int_equal(start_option(&s, "ProtectHome", (AgentValue) { .str = "no" }, &m), -EPERM);
        assert_int_equal(start_option(&s, "Sandbox", (AgentValue) { .str = "none" }, &m), -EPERM);
        assert_string_equal(m, "Option Sandbox=none would loosen the type's sandbox standard.");
        assert_int_equal(s.sandbox.preset, SANDBOX_STANDARD);
        /* A port the type's list does not have. */
        assert_int_equal(start_option(&s, "AllowTCPConnect", (AgentValue) { .strv = STRV(W("8080")) }, &m), -EPERM);
        assert_non_null(strstr(m, "port 8080 is not among the type's ports"));
        assert_int_equal(start_option(&s, "AllowTCPConnect", (AgentValue) { .strv = STRV(W("443")) }, &m), 0);
        assert_int_equal(strv_length(s.allow_tcp_connect), 1);

        /* Granting access is never a StartAgent option. */
        assert_int_equal(start_option(&s, "ReadWritePaths", (AgentValue) { .strv = STRV(W("/srv")) }, &m), -EPERM);
        assert_string_equal(m, "Option ReadWritePaths would give the agent access its type does not; StartAgent "
                               "may only add restrictions.");
        assert_int_equal(start_option(&s, "BindPaths", (AgentValue) { .strv = STRV(W("/a:/b")) }, &m), -EPERM);
        assert_int_equal(start_option(&s, "BindReadOnlyPaths", (AgentValue) { .strv = STRV(W("/a")) }, &m), -EPERM);
        assert_int_equal(start_option(&s, "StateDirectory", (AgentValue) { .str = "x" }, &m), -EPERM);
        assert_null(s.read_write_paths);
        assert_null(s.bind_paths);
        assert_null(s.state_directory);
        /* Malformed is InvalidArgs before anything else. */
        assert_int_equal(start_option(&s, "ReadWritePaths", (AgentValue) { .strv = STRV(W("srv")) }, &m), -EINVAL);

        /* Raising the preset is tightening; the keys written stay. */
        assert_int_equal(start_option(&s, "Sandbox", (AgentValue) { .str = "strict" }, &m), 0);
        assert_int_equal(start_option(&s, "Landlock", (AgentValue) { .u64 = 0 }, &m), -EPERM);
        assert_int_equal(start_option(&s, "ProcSubset", (AgentValue) { .str = "all" }, &m), -EPERM);
        agent_spec_done(&s);
}

/* RunAgent (root) takes every key, looser than the default included. */
static void test_run_takes_all(void **state) {
        _cleanup_free_ char *m = NULL;
        AgentSpec s;
        const AgentKey *k;

        agent_spec_init(&s);
        k = agent_key_from_option("PrivateUsers");
        assert_int_equal(k->bus_set(k, &(AgentValue) { .u64 = 0 }, false, &s, &m), 0);
        k = agent_key_from_option("BindPaths");
        assert_int_equal(k->bus_set(k, &(AgentValue) { .strv = STRV(W("-/tmp/a:/data")) }, false, &s, &m), 0);
        assert_string_equal(s.bind_paths[0], "-/tmp/a:/data");
        k = agent_key_from_option("Sandbox");
        assert_int_equal(k->bus_set(k, &(AgentValue) { .str = "none" }, false, &s, &m), 0);
        assert_int_equal(s.sandbox.preset, SANDBOX_NONE);
        agent_spec_done(&s);
}

static void test_path_forms(void **state) {
        const AgentKey *k = agent_key_from_file("ReadWritePaths"), *b = agent_key_from_file("BindPaths");

        assert_int_equal(k->check("/"), 0);
        assert_int_equal(k->check("/var/lib/x"), 0);
        assert_int_equal(k->check("-/nope"), 0);
        assert_int_equal(k->check("var"), -EINVAL);
        assert_int_equal(k->check("/a//b"), -EINVAL);
        assert_int_equal(k->check("/a/../b"), -EINVAL);
        assert_int_equal(k->check("/a/."), -EINVAL);
        assert_int_equal(k->check("/a/"), -EINVAL);
        assert_int_equal(b->check("/a:/b"), 0);
        assert_int_equal(b->check("/a:b"), -EINVAL);
        assert_int_equal(b->check("/a:"), -EINVAL);
        assert_int_equal(agent_key_from_file("StateDirectory")->check("app/cache"), 0);
        assert_int_equal(agent_key_from_file("StateDirectory")->check("/abs"), -EINVAL);
        assert_int_equal(agent_key_from_file("StateDirectory")->check("a/../b"), -EINVAL);
        assert_int_equal(agent_key_from_file("AllowTCPBind")->check("65536"), -EINVAL);
        assert_int_equal(agent_key_from_file("AllowTCPBind")->check("0"), -EINVAL);
}

/* A type without Sandbox= gets the daemon's DefaultSandbox=. */
static void test_type_default_sandbox(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = NULL;
        _cleanup_(agent_type_freep) AgentType *t = NULL, *u = NULL;
        Diagnostic d = {};

        assert_int_equal(config_parse_string("[Daemon]\nDefaultSandbox=strict\n", "/etc/agentvisor/agentvisor.conf",
                                             &c, &d), 0);
        assert_int_equal(c->default_sandbox, SANDBOX_STRICT);
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\n", "/x/a.agent", c, &t, &d), 0);
        assert_int_equal(t->spec.sandbox.preset, SANDBOX_STRICT);
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\nSandbox=none\nPrivateTmp=yes\n",
                                                 "/x/b.agent", c, &u, &d), 0);
        assert_int_equal(u->spec.sandbox.preset, SANDBOX_NONE);
        assert_int_equal(u->spec.sandbox.keys[SANDBOX_KEY_PRIVATE_TMP], 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_presets),
                cmocka_unit_test(test_presets_monotonic),
                cmocka_unit_test(test_default_and_overrides),
                cmocka_unit_test(test_words),
                cmocka_unit_test(test_start_tightens_only),
                cmocka_unit_test(test_run_takes_all),
                cmocka_unit_test(test_path_forms),
                cmocka_unit_test(test_type_default_sandbox),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
