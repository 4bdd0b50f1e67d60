/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `agentctl policy check|show`: the policy compiler run locally. `show`
 * asks a reachable daemon for its PolicyPath; nothing else uses the bus. */

#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "ctl-bus.h"
#include "ctl-verbs.h"
#include "policy.h"
#include "strv.h"
#include "verb-policy-learn.h"

/* The Manager's PolicyPath when a daemon answers on the bus the arguments
 * name. -ENXIO, quietly, when there is no daemon to ask or it predates
 * PolicyPath: then the install path is the answer. Any other failure is
 * printed: a guess from another path could show a policy the daemon does
 * not run. */
static int daemon_policy_path(const CtlArgs *a, char ***ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char **l = NULL;
        int r;

        if (ctl_bus_open(a, &bus) < 0)
                return -ENXIO;
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties",
                                           "Get");
        if (r < 0)
                return r;
        /* Asking where policies are must not start a daemon. */
        r = sd_bus_message_set_auto_start(m, false);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", BUS_MANAGER_IFACE, "PolicyPath");
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                           SD_BUS_ERROR_UNKNOWN_PROPERTY, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                        return -ENXIO;
                fprintf(stderr, "agentctl: Failed to read the daemon's PolicyPath: %s\n",
                        error.message ?: strerror(ERRNO_VALUE(r)));
                return -EIO;
        }
        r = sd_bus_message_enter_container(reply, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &l);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

/* The directories searched for policies and includes: for a file being
 * checked its own directory first, then --policy-path, else (for show) the
 * daemon's PolicyPath, else POLICYDIR. */
static int search_path(const CtlArgs *a, const char *file, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = NULL, *dirs = NULL;
        char *saveptr = NULL;
        int r;

        if (file) {
                copy = strdup(file);
                if (!copy)
                        return -ENOMEM;
                r = strv_extend(&l, dirname(copy));
                if (r < 0)
                        return r;
        }

        if (!file && !a->policy_path) {
                r = daemon_policy_path(a, &l);
                if (r >= 0) {
                        if (!l) {
                                l = calloc(1, sizeof(char *));
                                if (!l)
                                        return -ENOMEM;
                        }
                        *ret = TAKE_PTR(l);
                        return 0;
                }
                if (r != -ENXIO)
                        return r;
        }

        dirs = strdup(a->policy_path ? a->policy_path : POLICYDIR);
        if (!dirs)
                return -ENOMEM;
        for (char *d = strtok_r(dirs, ":", &saveptr); d; d = strtok_r(NULL, ":", &saveptr))
                if (!strv_contains(l, d)) {
                        r = strv_extend(&l, d);
                        if (r < 0)
                                return r;
                }

        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static void print_diagnostic(const Diagnostic *d, int r, const char *what) {
        char buf[1024];

        diag_format(d, buf, sizeof(buf));
        if (*buf)
                fprintf(stderr, "%s\n", buf);
        else
                fprintf(stderr, "agentctl: %s: %s\n", what, strerror(ERRNO_VALUE(r)));
}

static int policy_check(const CtlArgs *a, const char *file) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_strv_free_ char **path = NULL;
        _cleanup_free_ char *relative = NULL;
        Diagnostic d = {};
        int r;

        /* policy_load() takes a bare word for a policy name: keep it a path. */
        if (!strchr(file, '/')) {
                if (asprintf(&relative, "./%s", file) < 0)
                        return CTL_EXIT_FAILURE;
                file = relative;
        }

        r = search_path(a, file, &path);
        if (r < 0) {
                fprintf(stderr, "agentctl: %s\n", strerror(ERRNO_VALUE(r)));
                return CTL_EXIT_FAILURE;
        }

        r = policy_load(file, path, &p, &d);
        if (r < 0) {
                print_diagnostic(&d, r, file);
                return CTL_EXIT_FAILURE;
        }

        if (policy_has_report(p))
                /* Loaded with a listener: the notify and enforce filters. */
                printf("%s: OK, %u + %u BPF instructions (reports violations)\n", file,
                       (unsigned) policy_notify_filter(p)->len, (unsigned) policy_enforce_filter(p)->len);
        else
                printf("%s: OK, %u BPF instructions\n", file, (unsigned) policy_filter(p)->len);
        return CTL_EXIT_OK;
}

static int policy_show(const CtlArgs *a, const char *what) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_strv_free_ char **path = NULL;
        Diagnostic d = {};
        int r;

        if (what[0] == '@') {
                r = policy_group_dump(what, stdout);
                if (r == -ENOENT) {
                        fprintf(stderr, "agentctl: Unknown syscall group '%s'.\n", what);
                        return CTL_EXIT_NOT_FOUND;
                }
                if (r < 0) {
                        fprintf(stderr, "agentctl: Failed to show '%s': %s\n", what, strerror(ERRNO_VALUE(r)));
                        return CTL_EXIT_FAILURE;
                }
                return CTL_EXIT_OK;
        }

        r = search_path(a, NULL, &path);
        if (r == -EIO) /* the daemon did not answer, and it was said why */
                return CTL_EXIT_UNREACHABLE;
        if (r < 0) {
                fprintf(stderr, "agentctl: %s\n", strerror(ERRNO_VALUE(r)));
                return CTL_EXIT_FAILURE;
        }

        r = policy_load(what, path, &p, &d);
        if (r < 0) {
                print_diagnostic(&d, r, what);
                return r == -ENOENT ? CTL_EXIT_NOT_FOUND : CTL_EXIT_FAILURE;
        }

        r = policy_dump(p, stdout);
        if (r < 0) {
                fprintf(stderr, "agentctl: Failed to show policy '%s': %s\n", what, strerror(ERRNO_VALUE(r)));
                return CTL_EXIT_FAILURE;
        }
        return CTL_EXIT_OK;
}

int verb_policy(CtlContext *c) {
        const char *sub = c->args->positional[0], *arg = c->args->positional[1];

        if (strcmp(sub, "check") == 0)
                return policy_check(c->args, arg);
        if (strcmp(sub, "learn") == 0)
                return policy_learn(c->args);
        return policy_show(c->args, arg);
}
