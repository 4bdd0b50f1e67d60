/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A [Supervisor] section as the supervision core's parameters. It lives on
 * the configuration side: the core knows nothing of files. */

#include <assert.h>

#include "sv-params.h"

void sv_params_from_config(const SupervisorConfig *c, SvParams *ret) {
        assert(c);
        assert(ret);

        *ret = (SvParams) {
                .strategy = c->strategy,
                .max_restarts = c->max_restarts,
                .restart_window_usec = c->restart_window_usec,
                .restart_delay_usec = c->restart_delay_usec,
                .restart_max_delay_usec = c->restart_max_delay_usec,
                .restart = c->restart,
                .max_children = c->max_children,
                .on_escalation = c->on_escalation,
        };
}
