/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The conversion of a [Supervisor] section into the core's parameters
 * (moved here from test-supervise-requests.c with the conversion itself). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sv-params.h"

#define SEC(x) ((usec_t) (x) * USEC_PER_SEC)

static void test_params_from_config(void **state) {
        SupervisorConfig c = {
                .name = (char *) "w",
                .restart = RESTART_TRANSIENT,
                .strategy = STRATEGY_REST_FOR_ONE,
                .max_restarts = 7,
                .restart_window_usec = SEC(9),
                .max_children = 11,
                .restart_delay_usec = SEC(1),
                .restart_max_delay_usec = SEC(8),
                .on_escalation = ON_ESCALATION_EXIT,
        };
        SvParams p;

        sv_params_from_config(&c, &p);
        assert_int_equal(p.strategy, STRATEGY_REST_FOR_ONE);
        assert_int_equal(p.restart, RESTART_TRANSIENT);
        assert_int_equal(p.max_restarts, 7);
        assert_true(p.restart_window_usec == SEC(9));
        assert_int_equal(p.max_children, 11);
        assert_true(p.restart_delay_usec == SEC(1));
        assert_true(p.restart_max_delay_usec == SEC(8));
        assert_int_equal(p.on_escalation, ON_ESCALATION_EXIT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_params_from_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
