/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's isolation state (SPEC "Isolation"): the kernel features
 * probed once at start (Manager.Features, and what a start is checked
 * against), DynamicUserRange= and the dynamic uid pool. */
#include <string.h>

#include "dynamic-user.h"
#include "log.h"
#include "manager.h"
#include "path-util.h"
#include "strv.h"

int manager_dynamic_users(Manager *m, DynamicUserPool **ret, char **ret_message) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (!m->dynamic_users) {
                dir = path_join(m->config->runtime_directory, "dynamic-uid");
                if (!dir)
                        return -ENOMEM;
                r = dynamic_user_pool_new(m->dynamic_uid_min, m->dynamic_uid_max, dir, &m->dynamic_users,
                                          ret_message);
                if (r < 0)
                        return r;
        }
        *ret = m->dynamic_users;
        return 0;
}

/* DynamicUserRange= is refused at start when wrong, with the file and line
 * it came from; a range reaching into the system users (< 1000) too. */
static int parse_dynamic_user_range(Manager *m) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = dynamic_user_range_parse(m->config->dynamic_user_range, &m->dynamic_uid_min, &m->dynamic_uid_max,
                                     &message);
        if (r == -ENOMEM)
                return -ENOMEM;
        if (r < 0) {
                log_error("%s:%u: DynamicUserRange=%s: %s", m->config->path ?: "<built-in>",
                          m->config->dynamic_user_range_line, m->config->dynamic_user_range,
                          message ?: strerror(-r));
                return -EINVAL;
        }
        return 0;
}

static void probe_features(Manager *m) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *j = NULL;

        kernel_features_probe(&m->features);
        if (kernel_features_to_strv(&m->features, &l) >= 0)
                j = strv_join(l, " ");
        log_info("kernel features: %s", j ?: "(unknown)");
}

int manager_isolation_setup(Manager *m) {
        int r;

        r = parse_dynamic_user_range(m);
        if (r < 0)
                return r;
        /* Once, off the start path: the user namespace probe forks. */
        probe_features(m);
        return 0;
}
