/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's operations that refuse before anything is created: their
 * errno, kind and message, on a manager that has no bus, no cgroups and no
 * supervision core (creating an agent needs all three; the e2e tests cover
 * that). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "manager-ops.h"
#include "strv.h"

static void assert_detail(int r, int want_r, const ErrorDetail *d, ErrorKind kind, const char *message) {
        assert_int_equal(r, want_r);
        assert_int_equal(d->kind, kind);
        assert_string_equal(d->message, message);
}

static void test_agent_name(void **state) {
        _cleanup_(error_detail_done) ErrorDetail d = ERROR_DETAIL_NULL;

        assert_int_equal(manager_check_agent_name("", &d), 0);
        assert_int_equal(manager_check_agent_name("web-1", &d), 0);
        assert_int_equal(d.kind, ERROR_KIND_NONE);
        assert_detail(manager_check_agent_name("a b", &d), -EINVAL, &d, ERROR_KIND_INVALID_ARGS,
                      "\"a b\" is not a valid agent name: use [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}.");
}

static void test_run_argv(void **state) {
        _cleanup_(error_detail_done) ErrorDetail d = ERROR_DETAIL_NULL;
        char *empty[] = { NULL };
        char *relative[] = { (char *) "sleep", (char *) "1", NULL };
        char *absolute[] = { (char *) "/bin/sleep", NULL };

        assert_detail(manager_check_run_argv(empty, &d), -EINVAL, &d, ERROR_KIND_INVALID_ARGS,
                      "argv must not be empty.");
        assert_detail(manager_check_run_argv(NULL, &d), -EINVAL, &d, ERROR_KIND_INVALID_ARGS,
                      "argv must not be empty.");
        assert_detail(manager_check_run_argv(relative, &d), -EINVAL, &d, ERROR_KIND_INVALID_ARGS,
                      "argv[0] \"sleep\" must be an absolute path.");
        assert_int_equal(manager_check_run_argv(absolute, NULL), 0);
}

static void test_start_spec(void **state) {
        _cleanup_(error_detail_done) ErrorDetail d = ERROR_DETAIL_NULL;
        char *exec[] = { (char *) "/bin/true", NULL };
        AgentType web = { .name = (char *) "web" };
        DaemonConfig config = { .agents_directory = (char *) "/etc/agentvisor/agents.d" };
        Manager m = { .config = &config, .types = hashmap_new_string() };
        AgentSpec spec, untouched;

        /* Poisoned, so that a refusal that writes even zeroes shows. */
        memset(&spec, 0xa5, sizeof spec);
        memcpy(&untouched, &spec, sizeof spec);
        assert_non_null(m.types);
        agent_spec_init(&web.spec);
        web.spec.exec = exec;
        assert_int_equal(hashmap_put(m.types, "web", &web), 0);

        assert_detail(manager_start_spec(&m, "a/b", "", &spec, &d), -EINVAL, &d, ERROR_KIND_INVALID_ARGS,
                      "\"a/b\" is not a valid type name.");
        /* The type's name is checked before the agent's, and both before
         * the type is looked up. */
        assert_detail(manager_start_spec(&m, "nope", "x y", &spec, &d), -EINVAL, &d, ERROR_KIND_INVALID_ARGS,
                      "\"x y\" is not a valid agent name: use [A-Za-z0-9][A-Za-z0-9_.@-]{0,63}.");
        assert_detail(manager_start_spec(&m, "nope", "", &spec, &d), -ENOENT, &d, ERROR_KIND_NO_SUCH_TYPE,
                      "No agent type \"nope\" (looked in /etc/agentvisor/agents.d).");
        config.agents_directory = NULL;
        assert_detail(manager_start_spec(&m, "nope", "", &spec, &d), -ENOENT, &d, ERROR_KIND_NO_SUCH_TYPE,
                      "No agent type \"nope\" (looked in no AgentsDirectory).");
        /* A refusal leaves the caller's spec as it was. */
        assert_memory_equal(&spec, &untouched, sizeof spec);

        error_detail_done(&d);
        assert_int_equal(manager_start_spec(&m, "web", "web-7", &spec, &d), 0);
        assert_int_equal(d.kind, ERROR_KIND_NONE);
        assert_int_equal(strv_length(spec.exec), 1);
        assert_string_equal(spec.exec[0], "/bin/true");
        assert_ptr_not_equal(spec.exec, exec);          /* a copy: the type stays as loaded */
        agent_spec_done(&spec);

        hashmap_free(m.types);
}

static void test_run_spec(void **state) {
        DaemonConfig config = {};
        Manager m = { .config = &config };
        AgentSpec spec;

        manager_run_spec_init(&m, &spec);
        assert_int_equal(spec.restart, RESTART_TEMPORARY);
        assert_null(spec.exec);
        agent_spec_done(&spec);
}

static void test_lookups(void **state) {
        _cleanup_(error_detail_done) ErrorDetail d = ERROR_DETAIL_NULL;
        Manager m = {};

        assert_null(manager_lookup_agent(&m, "ghost", &d));
        assert_detail(-ENOENT, -ENOENT, &d, ERROR_KIND_NO_SUCH_AGENT, "No agent named \"ghost\".");
        assert_null(manager_lookup_supervisor(&m, "workers", &d));
        assert_detail(-ENOENT, -ENOENT, &d, ERROR_KIND_NO_SUCH_SUPERVISOR, "No supervisor named \"workers\".");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_agent_name),
                cmocka_unit_test(test_run_argv),
                cmocka_unit_test(test_start_spec),
                cmocka_unit_test(test_run_spec),
                cmocka_unit_test(test_lookups),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
