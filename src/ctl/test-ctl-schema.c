/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl's JSON of an agent, for every spec property of the agent-spec
 * schema: `agentctl --json status` prints what GetAll returns, keyed by
 * json_key_from_property(), so a new schema row shows up there by itself.
 * This walks the table the way the daemon's getter does and pins the keys
 * and the rendering of each signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-schema.h"
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
                            "\"service_type\":\"simple\",\"restart\":\"permanent\",\"memory_max\":null,"
                            "\"tasks_max\":null,\"cpu_quota_per_sec_usec\":null,\"runtime_max_usec\":null,"
                            "\"cpu_time_max_usec\":null,\"watchdog_usec\":0}");

        s.user = strdup("alice");
        assert_non_null(s.user);
        s.type = SERVICE_NOTIFY;
        s.restart = RESTART_TEMPORARY;
        s.limits = (Limits) { .memory_max = 1024, .tasks_max = 8, .cpu_quota_per_sec_usec = 500000,
                              .runtime_max_usec = 1, .cpu_time_max_usec = 2 };
        s.watchdog_usec = 3;
        set = render(&s);
        assert_string_equal(set,
                            "{\"policy\":\"default\",\"user\":\"alice\",\"exec_start\":[\"/bin/x\",\"a \\\"b\\\"\"],"
                            "\"service_type\":\"notify\",\"restart\":\"temporary\",\"memory_max\":1024,"
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_spec_property),
                cmocka_unit_test(test_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
