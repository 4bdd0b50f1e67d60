/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl against the agent-spec schema of src/config. Its JSON of an
 * agent, for every spec property: `agentctl --json status` prints what
 * GetAll returns, keyed by json_key_from_property(), so a new schema row
 * shows up there by itself; this walks the table the way the daemon's
 * getter does and pins the keys and the rendering of each signature. And
 * `run -p KEY=VALUE`, for every RunAgent property: what agentctl sends is
 * accepted by the daemon's setter and means what VALUE means in a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-schema.h"
#include "ctl-property.h"
#include "json.h"
#include "props.h"
#include "strv.h"

/* As the daemon's property_get_spec() answers, into agentctl's bag. */
static int add_property(PropList *l, const AgentKey *k, const AgentSpec *s) {
        AgentValue v = {};

        k->get(k, s, &v);
        switch (k->signature[0]) {
        case 's':
                return prop_list_add_string(l, k->property, v.str ?: "nobody");
        case 't':
                return prop_list_add_uint64(l, k->property, v.u64);
        case 'u':
                return prop_list_add_uint32(l, k->property, (uint32_t) v.u64);
        case 'i':
                return prop_list_add_int32(l, k->property, (int32_t) v.i64);
        case 'a':
                return prop_list_add_strv(l, k->property, v.strv);
        default:
                fail_msg("property %s has signature %s, which agentctl does not render", k->property, k->signature);
                return -EINVAL;
        }
}

static char *render(const AgentSpec *s) {
        _cleanup_(prop_list_done) PropList l = {};
        char *out = NULL;
        size_t size;
        JsonWriter w;
        FILE *f;

        for (size_t i = 0; i < agent_schema_n; i++)
                if (agent_schema[i].property)
                        assert_int_equal(add_property(&l, &agent_schema[i], s), 0);
        f = open_memstream(&out, &size);
        assert_non_null(f);
        json_writer_init(&w, f);
        json_begin_object(&w);
        prop_list_json(&l, &w);
        json_end_object(&w);
        assert_int_equal(fclose(f), 0);
        return out;
}

static void test_every_spec_property(void **state) {
        _cleanup_free_ char *defaults = NULL, *set = NULL;
        AgentSpec s;

        agent_spec_init(&s);
        assert_int_equal(agent_spec_fill_defaults(&s), 0);
        assert_int_equal(strv_extend(&s.exec, "/bin/x"), 0);
        assert_int_equal(strv_extend(&s.exec, "a \"b\""), 0);
        defaults = render(&s);
        assert_string_equal(defaults,
                            "{\"policy\":\"default\",\"user\":\"nobody\",\"exec_start\":[\"/bin/x\",\"a \\\"b\\\"\"],"
                            "\"service_type\":\"simple\",\"restart\":\"permanent\",\"standard_output\":\"journal\","
                            "\"memory_max\":null,"
                            "\"tasks_max\":null,\"cpu_quota_per_sec_usec\":null,\"runtime_max_usec\":null,"
                            "\"cpu_time_max_usec\":null,\"watchdog_usec\":0}");

        s.user = strdup("alice");
        assert_non_null(s.user);
        s.type = SERVICE_NOTIFY;
        s.restart = RESTART_TEMPORARY;
        s.standard_output = STANDARD_OUTPUT_NULL;
        s.limits = (Limits) { .memory_max = 1024, .tasks_max = 8, .cpu_quota_per_sec_usec = 500000,
                              .runtime_max_usec = 1, .cpu_time_max_usec = 2 };
        s.watchdog_usec = 3;
        set = render(&s);
        assert_string_equal(set,
                            "{\"policy\":\"default\",\"user\":\"alice\",\"exec_start\":[\"/bin/x\",\"a \\\"b\\\"\"],"
                            "\"service_type\":\"notify\",\"restart\":\"temporary\",\"standard_output\":\"null\","
                            "\"memory_max\":1024,"
                            "\"tasks_max\":8,\"cpu_quota_per_sec_usec\":500000,\"runtime_max_usec\":1,"
                            "\"cpu_time_max_usec\":2,\"watchdog_usec\":3}");
        agent_spec_done(&s);
}

/* Each property's JSON key is its name in snake_case, unique. */
static void test_keys(void **state) {
        char keys[AGENT_SCHEMA_MAX][128];
        size_t n = 0;

        for (size_t i = 0; i < agent_schema_n; i++) {
                if (!agent_schema[i].property)
                        continue;
                assert_int_equal(json_key_from_property(agent_schema[i].property, keys[n], sizeof keys[n]), 0);
                for (size_t j = 0; j < n; j++)
                        assert_string_not_equal(keys[j], keys[n]);
                n++;
        }
        assert_true(n > 0);
}

/* A value of each RunAgent property, as a person writes it after -p; a
 * row without one fails test_run_properties, so a new key gets one. */
static const struct {
        const char *option, *text;
} samples[] = {
        { "Policy", "strict" },
        { "User", "alice" },
        { "Type", "notify" },
        { "Restart", "transient" },
        { "StandardOutput", "null" },
        { "PolicyMode", "learn" },
        { "MemoryMax", "64M" },
        { "MemoryMax", "infinity" },
        { "TasksMax", "16" },
        { "CPUQuotaPerSecUSec", "50%" },
        { "RuntimeMaxUSec", "1min 30s" },
        { "RuntimeMaxUSec", "0" },
        { "CPUTimeMaxUSec", "30s" },
        { "WatchdogUSec", "10s" },
        { "WatchdogUSec", "0" },
        { "Supervisor", "workers" },
        { "Environment", "A=1 \"B=2 3\"" },
        { "WorkingDirectory", "/srv" },
        { "TimeoutStartUSec", "5s" },
        /* Isolation (SPEC), where the schema has them. */
        { "Sandbox", "strict" },
        { "PrivateTmp", "yes" },
        { "ProtectSystem", "full" },
        { "ProtectHome", "read-only" },
        { "PrivateDevices", "no" },
        { "ProtectProc", "invisible" },
        { "ProcSubset", "pid" },
        { "PrivateIPC", "true" },
        { "PrivateNetwork", "1" },
        { "PrivatePIDs", "off" },
        { "PrivateUsers", "yes" },
        { "Landlock", "yes" },
        { "ReadWritePaths", "/srv/a -/srv/b" },
        { "ReadOnlyPaths", "/etc" },
        { "InaccessiblePaths", "/root" },
        { "BindPaths", "/srv/x:/x" },
        { "BindReadOnlyPaths", "/usr/share" },
        { "StateDirectory", "app/cache" },
        { "AllowTCPConnect", "443 80" },
        { "AllowTCPBind", "8080" },
};

static void assert_same_value(const AgentKey *k, const AgentSpec *file, const AgentSpec *bus, const char *text) {
        AgentValue a = {}, b = {};

        k->get(k, file, &a);
        k->get(k, bus, &b);
        switch (k->signature[0]) {
        case 's':
                if (!a.str || !b.str || strcmp(a.str, b.str) != 0)
                        fail_msg("-p %s=%s: the daemon stores \"%s\", a file \"%s\"", k->option, text, b.str ?: "(null)",
                                 a.str ?: "(null)");
                break;
        case 'a':
                if (strv_length(a.strv) != strv_length(b.strv))
                        fail_msg("-p %s=%s: %zu entries from the bus, %zu from a file", k->option, text,
                                 strv_length(b.strv), strv_length(a.strv));
                for (size_t i = 0; i < strv_length(a.strv); i++)
                        assert_string_equal(a.strv[i], b.strv[i]);
                break;
        case 'i':
                assert_int_equal(a.i64, b.i64);
                break;
        default:
                if (a.u64 != b.u64)
                        fail_msg("-p %s=%s: the daemon stores %llu, a file %llu", k->option, text,
                                 (unsigned long long) b.u64, (unsigned long long) a.u64);
                break;
        }
}

/* One sample: agentctl's property, through the row's bus setter as the
 * daemon applies a RunAgent property, against the row's file parser. */
static void check_sample(const AgentKey *k, const char *text) {
        _cleanup_(prop_list_done) PropList l = {};
        _cleanup_free_ char *assignment = NULL, *message = NULL;
        AgentSpec file, bus;
        AgentKeyContext c = {};
        Diagnostic d = {};
        AgentValue v = {};
        const Prop *p;
        char err[512];
        int r;

        assert_true(asprintf(&assignment, "%s=%s", k->option, text) > 0);
        r = ctl_property_parse(&l, assignment, err, sizeof err);
        if (r < 0)
                fail_msg("-p %s: %s", assignment, err);
        p = prop_list_get(&l, k->option);
        assert_non_null(p);

        switch (k->signature[0]) {
        case 's':
                assert_int_equal(p->type, PROP_STRING);
                v.str = p->str;
                break;
        case 'a':
                assert_int_equal(p->type, PROP_STRV);
                v.strv = p->strv;
                break;
        case 'b':
                assert_int_equal(p->type, PROP_BOOL);
                v.u64 = p->b;
                break;
        case 't':
                assert_int_equal(p->type, PROP_UINT64);
                v.u64 = p->u64;
                break;
        case 'u':
                assert_int_equal(p->type, PROP_UINT32);
                v.u64 = p->u32;
                break;
        case 'i':
                assert_int_equal(p->type, PROP_INT32);
                v.i64 = p->i32;
                break;
        default:
                fail_msg("%s has signature %s, which -p does not send", k->option, k->signature);
        }

        agent_spec_init(&file);
        agent_spec_init(&bus);
        r = k->bus_set(k, &v, false, &bus, &message);
        if (r < 0)
                fail_msg("-p %s: the daemon's setter refuses what agentctl sends: %s", assignment,
                         message ?: strerror(-r));
        if (k->file && k->parse) {
                r = k->parse(k, text, &file, &c, &d);
                if (r < 0)
                        fail_msg("sample %s=%s is not valid in a file: %s", k->file, text, d.message);
                assert_same_value(k, &file, &bus, text);
        }
        agent_spec_done(&file);
        agent_spec_done(&bus);
}

static void test_run_properties(void **state) {
        size_t checked = 0;

        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                bool found = false;

                if (!k->option || !(k->flags & AGENT_KEY_RUN))
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(samples); j++)
                        if (strcmp(samples[j].option, k->option) == 0) {
                                check_sample(k, samples[j].text);
                                found = true;
                                checked++;
                        }
                if (!found)
                        fail_msg("RunAgent property %s has no sample in test-ctl-schema.c: add one", k->option);
        }
        assert_true(checked >= 14);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_spec_property),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_run_properties),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
