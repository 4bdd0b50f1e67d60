/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AgentSpec lifetime: defaults, deep copy, release. */
#include <string.h>

#include "config.h"
#include "strv.h"

void agent_spec_init(AgentSpec *s) {
        *s = (AgentSpec) {
                .restart = RESTART_PERMANENT,
                .type = SERVICE_SIMPLE,
                .timeout_start_usec = 10 * USEC_PER_SEC,
                .limits = LIMITS_NONE,
                .health_check_failures = 3,
                .health_check_timeout_usec = 10 * USEC_PER_SEC,
                .rlimits = {
                        .nofile = RLIM_UNSET,
                        .core = 0,
                        .nproc = RLIM_UNSET,
                },
                .umask = 0077,
        };
        sandbox_options_init(&s->sandbox);
}

void agent_spec_done(AgentSpec *s) {
        if (!s)
                return;
        s->exec = strv_free(s->exec);
        s->supervisor = mfree(s->supervisor);
        s->policy = mfree(s->policy);
        s->user = mfree(s->user);
        s->environment = strv_free(s->environment);
        s->working_directory = mfree(s->working_directory);
        s->health_check = strv_free(s->health_check);
        s->read_write_paths = strv_free(s->read_write_paths);
        s->read_only_paths = strv_free(s->read_only_paths);
        s->inaccessible_paths = strv_free(s->inaccessible_paths);
        s->bind_paths = strv_free(s->bind_paths);
        s->bind_read_only_paths = strv_free(s->bind_read_only_paths);
        s->state_directory = mfree(s->state_directory);
        s->allow_tcp_connect = strv_free(s->allow_tcp_connect);
        s->allow_tcp_bind = strv_free(s->allow_tcp_bind);
}

static int copy_string(const char *src, char **dst) {
        if (!src) {
                *dst = NULL;
                return 0;
        }
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

static int copy_strv(char * const *src, char ***dst) {
        if (!src) {
                *dst = NULL;
                return 0;
        }
        *dst = strv_copy(src);
        return *dst ? 0 : -ENOMEM;
}

int agent_spec_copy(const AgentSpec *src, AgentSpec *dst) {
        AgentSpec c = *src;

        c.exec = NULL;
        c.supervisor = c.policy = c.user = c.working_directory = NULL;
        c.environment = c.health_check = NULL;
        c.read_write_paths = c.read_only_paths = c.inaccessible_paths = c.bind_paths = c.bind_read_only_paths = NULL;
        c.state_directory = NULL;
        c.allow_tcp_connect = c.allow_tcp_bind = NULL;

        if (copy_strv(src->exec, &c.exec) < 0 ||
            copy_string(src->supervisor, &c.supervisor) < 0 ||
            copy_string(src->policy, &c.policy) < 0 ||
            copy_string(src->user, &c.user) < 0 ||
            copy_strv(src->environment, &c.environment) < 0 ||
            copy_string(src->working_directory, &c.working_directory) < 0 ||
            copy_strv(src->health_check, &c.health_check) < 0 ||
            copy_strv(src->read_write_paths, &c.read_write_paths) < 0 ||
            copy_strv(src->read_only_paths, &c.read_only_paths) < 0 ||
            copy_strv(src->inaccessible_paths, &c.inaccessible_paths) < 0 ||
            copy_strv(src->bind_paths, &c.bind_paths) < 0 ||
            copy_strv(src->bind_read_only_paths, &c.bind_read_only_paths) < 0 ||
            copy_string(src->state_directory, &c.state_directory) < 0 ||
            copy_strv(src->allow_tcp_connect, &c.allow_tcp_connect) < 0 ||
            copy_strv(src->allow_tcp_bind, &c.allow_tcp_bind) < 0) {
                agent_spec_done(&c);
                return -ENOMEM;
        }

        *dst = c;
        return 0;
}
