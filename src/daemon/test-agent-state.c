/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins how the bus State is derived from an invocation's facts and the
 * supervision core's view, and the State/Health names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "agent-state.h"

static void assert_state(AgentFacts f, AgentState want) {
        AgentState got = agent_state_derive(&f);
        if (got != want)
                fail_msg("derived %s, expected %s", agent_state_to_string(got), agent_state_to_string(want));
}

static void test_running_invocation(void **state) {
        /* Simple agents are ready at spawn; notify agents on READY=1. */
        assert_state((AgentFacts) { .active = true, .ready = true }, AGENT_RUNNING);
        assert_state((AgentFacts) { .active = true }, AGENT_STARTING);
        /* The core still says starting while the process runs: the invocation wins. */
        assert_state((AgentFacts) { .active = true, .ready = true, .core = AGENT_CORE_STARTING }, AGENT_RUNNING);
        /* A past end's record does not matter while an invocation runs. */
        assert_state((AgentFacts) { .active = true, .ready = true, .exit_reason = EXIT_REASON_OOM }, AGENT_RUNNING);
}

static void test_stopping(void **state) {
        assert_state((AgentFacts) { .active = true, .ready = true, .ending = true }, AGENT_STOPPING);
        assert_state((AgentFacts) { .active = true, .ending = true }, AGENT_STOPPING);
        assert_state((AgentFacts) { .active = true, .ready = true, .core = AGENT_CORE_STOPPING }, AGENT_STOPPING);
        /* Stopping without an invocation is not a state: the record decides. */
        assert_state((AgentFacts) { .core = AGENT_CORE_STOPPING }, AGENT_EXITED);
}

static void test_frozen(void **state) {
        assert_state((AgentFacts) { .active = true, .ready = true, .frozen = true }, AGENT_FROZEN);
        /* A notify agent frozen before READY=1 is frozen all the same. */
        assert_state((AgentFacts) { .active = true, .frozen = true }, AGENT_FROZEN);
        /* Stopped while frozen (killed at once): stopping until it is gone. */
        assert_state((AgentFacts) { .active = true, .ready = true, .frozen = true, .ending = true }, AGENT_STOPPING);
        assert_state((AgentFacts) { .active = true, .frozen = true, .core = AGENT_CORE_STOPPING }, AGENT_STOPPING);
}

static void test_between_invocations(void **state) {
        assert_state((AgentFacts) { .core = AGENT_CORE_WAITING, .exit_reason = EXIT_REASON_SIGNAL }, AGENT_RESTARTING);
        assert_state((AgentFacts) { .core = AGENT_CORE_STARTING }, AGENT_STARTING);
        assert_state((AgentFacts) {}, AGENT_EXITED);
}

static void test_ended(void **state) {
        assert_state((AgentFacts) { .exit_reason = EXIT_REASON_EXITED, .exit_status = 0 }, AGENT_EXITED);
        assert_state((AgentFacts) { .exit_reason = EXIT_REASON_EXITED, .exit_status = 3 }, AGENT_FAILED);
        assert_state((AgentFacts) { .exit_reason = EXIT_REASON_STOPPED }, AGENT_EXITED);
        assert_state((AgentFacts) { .exit_reason = EXIT_REASON_SHUTDOWN }, AGENT_EXITED);
        assert_state((AgentFacts) { .exit_reason = EXIT_REASON_WATCHDOG }, AGENT_FAILED);
        assert_state((AgentFacts) { .exit_reason = EXIT_REASON_SPAWN_FAILED, .exit_status = 2 }, AGENT_FAILED);
}

static void test_names(void **state) {
        static const char *const states[] = { "starting", "running", "stopping", "restarting", "exited", "failed",
                                              "frozen" };
        static const char *const health[] = { "unknown", "healthy", "unhealthy" };

        assert_int_equal(sizeof states / sizeof states[0], _AGENT_STATE_MAX);
        for (int i = 0; i < _AGENT_STATE_MAX; i++) {
                assert_string_equal(agent_state_to_string((AgentState) i), states[i]);
                assert_int_equal(agent_state_from_string(states[i]), i);
        }
        assert_int_equal(sizeof health / sizeof health[0], _AGENT_HEALTH_MAX);
        for (int i = 0; i < _AGENT_HEALTH_MAX; i++) {
                assert_string_equal(agent_health_to_string((AgentHealth) i), health[i]);
                assert_int_equal(agent_health_from_string(health[i]), i);
        }
        assert_null(agent_state_to_string(_AGENT_STATE_MAX));
        assert_null(agent_state_to_string(_AGENT_STATE_INVALID));
        assert_int_equal(agent_state_from_string("Running"), -EINVAL);
        assert_int_equal(agent_health_from_string(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_running_invocation),
                cmocka_unit_test(test_stopping),
                cmocka_unit_test(test_frozen),
                cmocka_unit_test(test_between_invocations),
                cmocka_unit_test(test_ended),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
