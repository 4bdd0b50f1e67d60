/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's environment (see agent-env.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent-env.h"
#include "env-util.h"
#include "strv.h"

#define PID_PREFIX "WATCHDOG_PID="

int agent_env_build(const AgentEnvParams *p, char ***ret, char **ret_pid_slot) {
        _cleanup_strv_free_ char **env = NULL;
        char *slot = NULL, buf[512];
        int r;

        r = strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        snprintf(buf, sizeof buf, "HOME=%s", p->home);
        if (r >= 0)
                r = strv_extend(&env, buf);
        snprintf(buf, sizeof buf, "USER=%s", p->user);
        if (r >= 0)
                r = strv_extend(&env, buf);
        snprintf(buf, sizeof buf, "LOGNAME=%s", p->user);
        if (r >= 0)
                r = strv_extend(&env, buf);
        /* Refused at load and on the bus already; left out here too, so that
         * nothing but the daemon's own entries below can carry these names. */
        for (char * const *e = p->environment; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                if (r >= 0 && eq && !env_name_is_daemons(*e, (size_t) (eq - *e)))
                        r = strv_env_set(&env, *e);
        }
        /* Set over any entry of that name: the directory is the daemon's. */
        if (r >= 0 && p->state_directory) {
                _cleanup_free_ char *e = NULL;

                if (asprintf(&e, "STATE_DIRECTORY=%s", p->state_directory) < 0)
                        return -ENOMEM;
                r = strv_env_set(&env, e);
        }
        if (r >= 0 && p->notify_socket) {
                snprintf(buf, sizeof buf, "NOTIFY_SOCKET=%s", p->notify_socket);
                r = strv_extend(&env, buf);
        }
        if (r >= 0 && p->watchdog_usec > 0 && p->watchdog_usec != USEC_INFINITY) {
                snprintf(buf, sizeof buf, "WATCHDOG_USEC=%" PRIu64, p->watchdog_usec);
                r = strv_extend(&env, buf);
                /* The child writes its own pid into this very string: the
                 * slot is this allocation, never an entry found by name. */
                if (r >= 0) {
                        char *e = malloc(strlen(PID_PREFIX) + AGENT_ENV_PID_SLOT_SIZE);
                        if (!e)
                                return -ENOMEM;
                        memcpy(e, PID_PREFIX, strlen(PID_PREFIX));
                        memset(e + strlen(PID_PREFIX), 'X', AGENT_ENV_PID_SLOT_SIZE - 1);
                        e[strlen(PID_PREFIX) + AGENT_ENV_PID_SLOT_SIZE - 1] = '\0';
                        r = strv_push(&env, e);
                        if (r < 0)
                                free(e);
                        else
                                slot = e + strlen(PID_PREFIX);
                }
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        *ret_pid_slot = slot;
        return 0;
}
