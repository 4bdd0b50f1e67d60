/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Walks the agent-spec schema: every row is well formed, has a sample here
 * (so a new key cannot come without one), parses a valid value from a file
 * and from the bus and refuses a wrong one with the exact message, and reads
 * back through its getter what was set. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent-schema.h"
#include "strv.h"

#define FILE_NAME "/etc/agentvisor/agents.d/worker.agent"

typedef struct Sample {
        const char *name;              /* the file key, or the option of a bus-only row */
        const char *file_good, *file_expect, *file_bad, *file_message;
        AgentValue bus_good;
        const char *bus_expect;
        AgentValue bus_bad;            /* all zero: no value is wrong (the reader bounds it) */
        int bus_error;
        const char *bus_message;
} Sample;

#define W(s) ((char[]) { s })
#define STRV(...) ((char *[]) { __VA_ARGS__, NULL })
#define RANGE(key, v, min, max) \
        "Option " key "=" #v " is out of range: expected " min ".." max ", or 18446744073709551615 (UINT64_MAX) for no limit."
#define TIME_MAX "9223372036854775807"

static const Sample samples[] = {
        { "Policy", "strict", "strict", "a/b", "Policy=a/b is invalid: expected a policy name",
          { .str = "strict" }, "strict", { .str = "a b" }, -EINVAL, "Policy \"a b\" is not a valid policy name." },
        { "User", "alice", "alice", "bad user!", "User=bad user! is invalid: expected a user name or numeric uid",
          { .str = "1000" }, "1000", { .str = "-x" }, -EINVAL, "User \"-x\" is not a valid user name." },
        { "Exec", "/bin/sleep 10", "/bin/sleep 10", "sleep 10",
          "Exec=: the program \"sleep\" must be an absolute path" },
        { "Type", "notify", "notify", "forking", "Type=forking is invalid: expected simple or notify",
          { .str = "notify" }, "notify", { .str = "forking" }, -EINVAL, "Type \"forking\": expected simple or notify." },
        { "Restart", "transient", "transient", "always",
          "Restart=always is invalid: expected permanent, transient or temporary",
          { .str = "temporary" }, "temporary", { .str = "always" }, -EINVAL,
          "Restart \"always\": expected permanent, transient or temporary." },
        { "StandardOutput", "null", "null", "syslog", "StandardOutput=syslog is invalid: expected journal or null",
          { .str = "null" }, "null", { .str = "kmsg" }, -EINVAL, "StandardOutput \"kmsg\": expected journal or null." },
        { "PolicyMode", "learn", "learn", "watch", "PolicyMode=watch is invalid: expected enforce or learn",
          { .str = "learn" }, "learn", { .str = "watch" }, -EINVAL, "PolicyMode \"watch\": expected enforce or learn." },
        { "MemoryMax", "512M", "536870912", "1M", "MemoryMax=1M is out of range: expected a size of 4M or more such as 512M, or infinity",
          { .u64 = 8388608 }, "8388608", { .u64 = 4096 }, -EINVAL,
          RANGE("MemoryMax", 4096, "4194304", "18446744073709551614") },
        { "TasksMax", "64", "64", "4194305",
          "TasksMax=4194305 is out of range: expected a number of tasks from 1 to 4194304 (the kernel's most) or infinity",
          { .u64 = 64 }, "64", { .u64 = 4194305 }, -EINVAL, RANGE("TasksMax", 4194305, "1", "4194304") },
        { "CPUQuota", "50%", "500000", "0%", "CPUQuota=0% is out of range: expected a percentage from 1% to 10000% such as 50%",
          { .u64 = 250000 }, "250000", { .u64 = 9999 }, -EINVAL,
          RANGE("CPUQuotaPerSecUSec", 9999, "10000", "100000000") },
        { "RuntimeMaxSec", "30s", "30000000", "soon",
          "RuntimeMaxSec=soon is invalid: expected a time span such as 30, 500ms, 1min 30s (at most 292,000 years), 0 or infinity",
          { .u64 = 1000000 }, "1000000", { .u64 = 0 }, -EINVAL, RANGE("RuntimeMaxUSec", 0, "1", TIME_MAX) },
        { "CPUTimeMaxSec", "0", "18446744073709551615", "1x", "CPUTimeMaxSec=1x is invalid",
          { .u64 = 2000000 }, "2000000", { .u64 = 9223372036854775808u }, -EINVAL,
          RANGE("CPUTimeMaxUSec", 9223372036854775808, "1", TIME_MAX) },
        { "WatchdogSec", "10s", "10000000", "ever", "WatchdogSec=ever is invalid: expected a time span such as 10s, or 0 for none",
          { .u64 = UINT64_MAX }, "0", { .u64 = 0 }, -EINVAL, RANGE("WatchdogUSec", 0, "1", TIME_MAX) },
        { "Supervisor", "workers", "workers", "nosuch",
          "Supervisor=nosuch: no such supervisor in the daemon configuration",
          { .str = "workers" }, "workers", { .str = "a b" }, -EINVAL, "Supervisor \"a b\" is not a valid name." },
        { "Environment", "A=1 \"B=two words\"", "A=1 B=two words", "1A=x",
          "Environment=: \"1A=x\" is not a KEY=VALUE assignment with a valid variable name",
          { .strv = STRV(W("A=1"), W("B=2")) }, "A=1 B=2", { .strv = STRV(W("A=1"), W("LD_PRELOAD=/x.so")) }, -EPERM,
          "Environment variable LD_PRELOAD is read by the dynamic loader or the C library to load code or data; a caller "
          "may not set it." },
        { "WorkingDirectory", "/srv", "/srv", "srv", "WorkingDirectory=srv is invalid: expected an absolute path",
          { .str = "/tmp" }, "/tmp", { .str = "tmp" }, -EINVAL, "WorkingDirectory \"tmp\" must be an absolute path." },
        { "TimeoutStartSec", "infinity", "18446744073709551615", "-1", "TimeoutStartSec=-1 is invalid",
          { .u64 = 5000000 }, "5000000", { .u64 = 0 }, -EINVAL, RANGE("TimeoutStartUSec", 0, "1", TIME_MAX) },
        { "HealthCheck", "/bin/true --check", "/bin/true --check", "\"/bin/true",
          "HealthCheck= has an unbalanced quote or a trailing backslash" },
        { "HealthCheckFailures", "5", "5", "0", "HealthCheckFailures=0 is out of range: expected a count of 1 or more" },
        { "HealthCheckIntervalSec", "30s", "30000000", "x", "HealthCheckIntervalSec=x is invalid" },
        { "HealthCheckTimeoutSec", "2s", "2000000", "infinity",
          "HealthCheckTimeoutSec=infinity is out of range: expected a finite time span above zero such as 10s" },
        { "LimitNOFILE", "1K", "1024", "lots", "LimitNOFILE=lots is invalid: expected a number, a number with K/M/G" },
        { "LimitCORE", "infinity", "18446744073709551615", "-1", "LimitCORE=-1 is invalid" },
        { "LimitNPROC", "100", "100", "1.5", "LimitNPROC=1.5 is invalid" },
        { "UMask", "0022", "18", "1000", "UMask=1000 is out of range: expected an octal mode from 0000 to 0777" },
        { "OOMScoreAdjust", "-500", "-500", "1001", "OOMScoreAdjust=1001 is out of range: expected an integer from -1000 to 1000" },
        { "Sandbox", "strict", "strict", "tight", "Sandbox=tight is invalid: expected none, standard or strict",
          { .str = "none" }, "none", { .str = "max" }, -EINVAL, "Sandbox \"max\": expected none, standard or strict." },
        { "PrivateTmp", "yes", "1", "maybe", "PrivateTmp=maybe is invalid: expected yes or no",
          { .u64 = 0 }, "0" },
        { "ProtectSystem", "full", "full", "ro", "ProtectSystem=ro is invalid: expected no, yes, full or strict",
          { .str = "strict" }, "strict", { .str = "all" }, -EINVAL,
          "ProtectSystem \"all\": expected no, yes, full or strict." },
        { "ProtectHome", "true", "yes", "hidden", "ProtectHome=hidden is invalid: expected no, read-only, tmpfs or yes",
          { .str = "tmpfs" }, "tmpfs", { .str = "ro" }, -EINVAL,
          "ProtectHome \"ro\": expected no, read-only, tmpfs or yes." },
        { "PrivateDevices", "no", "0", "2", "PrivateDevices=2 is invalid: expected yes or no", { .u64 = 1 }, "1" },
        { "ProtectProc", "invisible", "invisible", "noaccess",
          "ProtectProc=noaccess is invalid: expected default or invisible",
          { .str = "default" }, "default", { .str = "ptraceable" }, -EINVAL,
          "ProtectProc \"ptraceable\": expected default or invisible." },
        { "ProcSubset", "pid", "pid", "none", "ProcSubset=none is invalid: expected all or pid",
          { .str = "all" }, "all", { .str = "x" }, -EINVAL, "ProcSubset \"x\": expected all or pid." },
        { "PrivateIPC", "on", "1", "2", "PrivateIPC=2 is invalid: expected yes or no", { .u64 = 1 }, "1" },
        { "PrivateNetwork", "yes", "1", "yess", "PrivateNetwork=yess is invalid: expected yes or no", { .u64 = 1 }, "1" },
        { "PrivatePIDs", "false", "0", "pids", "PrivatePIDs=pids is invalid", { .u64 = 1 }, "1" },
        { "PrivateUsers", "no", "0", "root", "PrivateUsers=root is invalid", { .u64 = 0 }, "0" },
        { "Landlock", "yes", "1", "v7", "Landlock=v7 is invalid: expected yes or no", { .u64 = 1 }, "1" },
        { "ReadWritePaths", "/srv/a -/srv/b", "/srv/a -/srv/b", "srv",
          "ReadWritePaths=: \"srv\" is invalid: expected an absolute path",
          { .strv = STRV(W("/var/lib/x")) }, "/var/lib/x", { .strv = STRV(W("/a/../b")) }, -EINVAL,
          "ReadWritePaths entry \"/a/../b\" is invalid: expected an absolute path without \".\", \"..\" or a "
          "trailing /, with - in front if it may be missing." },
        { "ReadOnlyPaths", "/etc", "/etc", "/etc/", "ReadOnlyPaths=: \"/etc/\" is invalid",
          { .strv = STRV(W("/usr")) }, "/usr", { .strv = STRV(W("usr")) }, -EINVAL,
          "ReadOnlyPaths entry \"usr\" is invalid: expected an absolute path without \".\", \"..\" or a trailing /, "
          "with - in front if it may be missing." },
        { "InaccessiblePaths", "/root \"/with space\"", "/root /with space", "\"/x",
          "InaccessiblePaths= has an unbalanced quote",
          { .strv = STRV(W("/boot")) }, "/boot", { .strv = STRV(W("//boot")) }, -EINVAL,
          "InaccessiblePaths entry \"//boot\" is invalid: expected an absolute path without \".\", \"..\" or a "
          "trailing /, with - in front if it may be missing." },
        { "BindPaths", "/tmp/in:/data /srv", "/tmp/in:/data /srv", "/a:b", "BindPaths=: \"/a:b\" is invalid",
          { .strv = STRV(W("/x:/y")) }, "/x:/y", { .strv = STRV(W("x:/y")) }, -EINVAL,
          "BindPaths entry \"x:/y\" is invalid: expected SRC or SRC:DST, absolute paths without \".\", \"..\" or a "
          "trailing /." },
        { "BindReadOnlyPaths", "-/opt/data", "-/opt/data", "/opt/data:", "BindReadOnlyPaths=: \"/opt/data:\" is invalid",
          { .strv = STRV(W("/opt")) }, "/opt", { .strv = STRV(W("/opt:")) }, -EINVAL,
          "BindReadOnlyPaths entry \"/opt:\" is invalid: expected SRC or SRC:DST, absolute paths without \".\", "
          "\"..\" or a trailing /." },
        { "StateDirectory", "worker/cache", "worker/cache", "../x",
          "StateDirectory=../x is invalid: expected a relative path of [A-Za-z0-9._-] components",
          { .str = "w" }, "w", { .str = "/w" }, -EINVAL,
          "StateDirectory \"/w\" is not a relative path of [A-Za-z0-9._-] components." },
        { "AllowTCPConnect", "443 080", "443 80", "http", "AllowTCPConnect=: \"http\" is invalid: expected a TCP port",
          { .strv = STRV(W("53")) }, "53", { .strv = STRV(W("0")) }, -EINVAL,
          "AllowTCPConnect entry \"0\" is invalid: expected a TCP port from 1 to 65535." },
        { "AllowTCPBind", "8080", "8080", "70000", "AllowTCPBind=: \"70000\" is invalid",
          { .strv = STRV(W("8080"), W("8081")) }, "8080 8081", { .strv = STRV(W("-1")) }, -EINVAL,
          "AllowTCPBind entry \"-1\" is invalid: expected a TCP port from 1 to 65535." },
        { "Arguments", .bus_good = { .strv = STRV(W("a"), W("b c")) }, .bus_expect = "/bin/x a b c" },
};

static const Sample *find_sample(const AgentKey *k) {
        const char *name = k->file ?: k->option;

        for (size_t i = 0; i < ELEMENTSOF(samples); i++)
                if (strcmp(samples[i].name, name) == 0)
                        return &samples[i];
        return NULL;
}

static DaemonConfig *test_config(void) {
        DaemonConfig *c = NULL;
        Diagnostic d = {};

        assert_int_equal(config_parse_string("[Supervisor workers]\nParent=root\n", "/etc/agentvisor/agentvisor.conf",
                                             &c, &d),
                         0);
        return c;
}

/* The getter's value as text: strings as they are, lists joined by spaces. */
static void format_value(const AgentKey *k, const AgentSpec *s, char *buf, size_t size) {
        AgentValue v = {};

        k->get(k, s, &v);
        if (strcmp(k->signature, "s") == 0)
                snprintf(buf, size, "%s", v.str ?: "(null)");
        else if (strcmp(k->signature, "as") == 0) {
                _cleanup_free_ char *j = v.strv ? strv_join(v.strv, " ") : NULL;
                snprintf(buf, size, "%s", j ?: "(null)");
        } else if (strcmp(k->signature, "i") == 0)
                snprintf(buf, size, "%" PRIi64, v.i64);
        else
                snprintf(buf, size, "%" PRIu64, v.u64);
}

static void test_rows_well_formed(void **state) {
        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                const char *name = k->file ?: k->option;

                assert_non_null(name);
                assert_non_null(k->signature);
                assert_non_null(k->get);
                if (!find_sample(k))
                        fail_msg("schema row %s has no sample in test-agent-schema.c", name);
                assert_ptr_equal(k->file ? agent_key_from_file(k->file) : k, k);
                assert_ptr_equal(k->option ? agent_key_from_option(k->option) : k, k);
                assert_ptr_equal(k->property ? agent_key_from_property(k->property) : k, k);
                if (k->file)
                        assert_non_null(k->parse);
                assert_true(!k->option == !(k->flags & (AGENT_KEY_RUN | AGENT_KEY_START)));
                assert_true(!k->property == (k->section == AGENT_PROPERTIES_NONE));
                if (k->flags & AGENT_KEY_TIGHTEN)
                        assert_true(k->flags & AGENT_KEY_START);
                /* StartAgent cannot loosen a type: what it takes either only
                 * tightens or only adds for this one agent. */
                if (k->flags & AGENT_KEY_START)
                        assert_true(k->flags & (AGENT_KEY_TIGHTEN | AGENT_KEY_PER_INVOCATION));
                if (!k->option)
                        continue;
                assert_non_null(k->bus_set);
                if (strcmp(k->signature, "s") == 0)
                        assert_true(k->check && k->bus_invalid);
                else if (strcmp(k->signature, "t") == 0)
                        assert_true(k->min >= 1 && k->min <= k->max && k->max < UINT64_MAX);
                else if (strcmp(k->signature, "as") == 0)
                        assert_true(k->max_n > 0);
                else if (strcmp(k->signature, "b") != 0)
                        fail_msg("option %s has signature %s; the bus reads s, t, b or as", k->option, k->signature);
        }
        for (size_t i = 0; i < ELEMENTSOF(samples); i++)
                if (!agent_key_from_file(samples[i].name) && !agent_key_from_option(samples[i].name))
                        fail_msg("sample %s names no schema row", samples[i].name);
}

static void test_file_values(void **state) {
        _cleanup_(daemon_config_freep) DaemonConfig *config = test_config();

        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                const Sample *x = find_sample(k);
                AgentKeyContext c = { .file = FILE_NAME, .line = 7, .config = config };
                Diagnostic d = {};
                AgentSpec s;
                char buf[256];

                if (!k->file)
                        continue;
                agent_spec_init(&s);
                if (k->parse(k, x->file_good, &s, &c, &d) != 0)
                        fail_msg("%s=%s refused: %s", k->file, x->file_good, d.message);
                format_value(k, &s, buf, sizeof buf);
                if (strcmp(buf, x->file_expect) != 0)
                        fail_msg("%s=%s reads back as \"%s\", expected \"%s\"", k->file, x->file_good, buf,
                                 x->file_expect);
                if (k->parse(k, x->file_bad, &s, &c, &d) != -EINVAL)
                        fail_msg("%s=%s was not refused", k->file, x->file_bad);
                if (d.line != 7 || strcmp(d.key, k->file) != 0 || !strstr(d.message, x->file_message))
                        fail_msg("%s=%s: diagnostic line %u key %s \"%s\", expected \"%s\"", k->file, x->file_bad,
                                 d.line, d.key, d.message, x->file_message);
                /* A refused value leaves the earlier one. */
                format_value(k, &s, buf, sizeof buf);
                assert_string_equal(buf, x->file_expect);
                agent_spec_done(&s);
        }
}

static void test_bus_values(void **state) {
        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                const Sample *x = find_sample(k);
                _cleanup_free_ char *message = NULL;
                AgentSpec s;
                char buf[256];
                int r;

                if (!k->option)
                        continue;
                agent_spec_init(&s);
                assert_int_equal(strv_extend(&s.exec, "/bin/x"), 0);
                r = k->bus_set(k, &x->bus_good, !(k->flags & AGENT_KEY_RUN), &s, &message);
                if (r != 0)
                        fail_msg("option %s refused its sample (%d): %s", k->option, r, message);
                format_value(k, &s, buf, sizeof buf);
                if (strcmp(buf, x->bus_expect) != 0)
                        fail_msg("option %s reads back as \"%s\", expected \"%s\"", k->option, buf, x->bus_expect);
                if (x->bus_error != 0) {
                        assert_int_equal(k->bus_set(k, &x->bus_bad, false, &s, &message), x->bus_error);
                        assert_non_null(message);
                        assert_string_equal(message, x->bus_message);
                        format_value(k, &s, buf, sizeof buf);
                        assert_string_equal(buf, x->bus_expect);
                }
                agent_spec_done(&s);
        }
}

/* StartAgent may lower a limit, keep it, or lift none; never raise it. */
static void test_tighten(void **state) {
        size_t n = 0;

        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                uint64_t *field;
                AgentSpec s;

                /* The isolation keys' rules: test-sandbox-preset.c. */
                if (!(k->flags & AGENT_KEY_TIGHTEN) || strcmp(k->signature, "t") != 0)
                        continue;
                n++;
                agent_spec_init(&s);
                field = (uint64_t *) (void *) ((uint8_t *) &s + k->offset);
                *field = k->min + 100;
                /* Raise it by one (refused), keep it, lower it by one. */
                for (uint64_t v = k->min + 101; v >= k->min + 99; v--) {
                        _cleanup_free_ char *message = NULL;
                        AgentValue value = { .u64 = v };
                        int r = k->bus_set(k, &value, true, &s, &message);

                        if (v > k->min + 100) {
                                assert_int_equal(r, -EPERM);
                                assert_non_null(strstr(message, "would loosen the type's limit of"));
                                assert_true(*field == k->min + 100);
                                continue;
                        }
                        assert_int_equal(r, 0);
                        assert_true(*field == v);
                }
                {
                        _cleanup_free_ char *message = NULL;
                        AgentValue none = { .u64 = UINT64_MAX };

                        assert_int_equal(k->bus_set(k, &none, true, &s, &message), -EPERM);
                        message = mfree(message);
                        /* RunAgent sets what it is given. */
                        assert_int_equal(k->bus_set(k, &none, false, &s, &message), 0);
                        assert_true(*field == UINT64_MAX);
                }
                agent_spec_done(&s);
        }
        assert_int_equal(n, 5);
}

/* The Agent interface lists the spec's properties in these places; the
 * vtable (and so GetAll and agentctl --json) follows the table. */
static void test_property_order(void **state) {
        static const char *const exec[] = { "Policy", "User", "ExecStart", "ServiceType", "Restart",
                                            "StandardOutput", NULL };
        static const char *const limits[] = { "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "RuntimeMaxUSec",
                                              "CPUTimeMaxUSec", "WatchdogUSec", NULL };
        size_t e = 0, l = 0;

        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];

                if (k->section == AGENT_PROPERTIES_EXEC) {
                        assert_non_null(exec[e]);
                        assert_string_equal(k->property, exec[e++]);
                } else if (k->section == AGENT_PROPERTIES_LIMITS) {
                        assert_non_null(limits[l]);
                        assert_string_equal(k->property, limits[l++]);
                }
        }
        assert_null(exec[e]);
        assert_null(limits[l]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rows_well_formed),
                cmocka_unit_test(test_file_values),
                cmocka_unit_test(test_bus_values),
                cmocka_unit_test(test_tighten),
                cmocka_unit_test(test_property_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
