/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins how an agent's environment is built: the minimal identity, the
 * type's and caller's entries, and above all that the WATCHDOG_PID= slot the
 * child writes its pid into is the daemon's own allocation of
 * AGENT_ENV_PID_SLOT_SIZE bytes, whatever the spec's environment holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-env.h"
#include "strv.h"

static size_t count_prefix(char **env, const char *prefix) {
        size_t n = 0;
        STRV_FOREACH(e, env)
                if (strncmp(*e, prefix, strlen(prefix)) == 0)
                        n++;
        return n;
}

static void test_identity_and_entries(void **state) {
        char *spec_env[] = { (char *) "A=1", (char *) "PATH=/opt/bin", NULL };
        AgentEnvParams p = { .home = "/home/u", .user = "u", .environment = spec_env };
        _cleanup_strv_free_ char **env = NULL;
        char *slot = (char *) "not touched";

        assert_int_equal(agent_env_build(&p, &env, &slot), 0);
        assert_null(slot);
        assert_string_equal(strv_env_get(env, "PATH"), "/opt/bin");
        assert_string_equal(strv_env_get(env, "HOME"), "/home/u");
        assert_string_equal(strv_env_get(env, "USER"), "u");
        assert_string_equal(strv_env_get(env, "LOGNAME"), "u");
        assert_string_equal(strv_env_get(env, "A"), "1");
        assert_null(strv_env_get(env, "NOTIFY_SOCKET"));
        assert_int_equal(count_prefix(env, "WATCHDOG_"), 0);
        assert_null(strv_env_get(env, "STATE_DIRECTORY"));
}

/* StateDirectory=: $STATE_DIRECTORY names it, once, over a type's entry. */
static void test_state_directory(void **state) {
        char *spec_env[] = { (char *) "STATE_DIRECTORY=/elsewhere", NULL };
        AgentEnvParams p = { .home = "/", .user = "w", .environment = spec_env,
                             .state_directory = "/var/lib/agentvisor/w" };
        _cleanup_strv_free_ char **env = NULL;
        char *slot;

        assert_int_equal(agent_env_build(&p, &env, &slot), 0);
        assert_string_equal(strv_env_get(env, "STATE_DIRECTORY"), "/var/lib/agentvisor/w");
        assert_int_equal(count_prefix(env, "STATE_DIRECTORY="), 1);
}

/* Before the fix the slot was found by searching for "WATCHDOG_PID=": a
 * caller's short "WATCHDOG_PID=" entry became the slot, and the child wrote
 * ten digits past its end. */
static void test_pid_slot_is_the_daemons_own(void **state) {
        char *spec_env[] = { (char *) "WATCHDOG_PID=", (char *) "WATCHDOG_USEC=1", (char *) "NOTIFY_SOCKET=/x",
                             (char *) "LISTEN_FDS=3", NULL };
        AgentEnvParams p = { .home = "/", .user = "nobody", .environment = spec_env, .notify_socket = "/run/n" };
        _cleanup_strv_free_ char **env = NULL;
        char *slot = NULL;

        /* Without a watchdog there is no slot, and none of the caller's
         * entries for the daemon's names survives. */
        assert_int_equal(agent_env_build(&p, &env, &slot), 0);
        assert_null(slot);
        assert_int_equal(count_prefix(env, "WATCHDOG_"), 0);
        assert_int_equal(count_prefix(env, "LISTEN_"), 0);
        assert_int_equal(count_prefix(env, "NOTIFY_SOCKET="), 1);
        assert_string_equal(strv_env_get(env, "NOTIFY_SOCKET"), "/run/n");
        env = strv_free(env);

        p.watchdog_usec = 5000000;
        assert_int_equal(agent_env_build(&p, &env, &slot), 0);
        assert_non_null(slot);
        assert_int_equal(count_prefix(env, "WATCHDOG_PID="), 1);
        assert_string_equal(strv_env_get(env, "WATCHDOG_USEC"), "5000000");
        /* The slot is inside the one WATCHDOG_PID= entry of the vector, right
         * after its '=', with room for any pid and its NUL. */
        bool found = false;
        STRV_FOREACH(e, env)
                if (strncmp(*e, "WATCHDOG_PID=", 13) == 0) {
                        assert_ptr_equal(slot, *e + 13);
                        assert_true(strlen(slot) + 1 >= AGENT_ENV_PID_SLOT_SIZE);
                        found = true;
                }
        assert_true(found);
        /* Writing the largest pid fills it without running past the end
         * (ASan would report it in the sanitizer build). */
        memcpy(slot, "4194304999", AGENT_ENV_PID_SLOT_SIZE);
        assert_string_equal(strv_env_get(env, "WATCHDOG_PID"), "4194304999");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identity_and_entries),
                cmocka_unit_test(test_state_directory),
                cmocka_unit_test(test_pid_slot_is_the_daemons_own),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
