/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `agentctl policy check|show`: the policy compiler run locally, no bus. */

#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "ctl-verbs.h"
#include "policy.h"
#include "strv.h"

/* The directories searched for policies and includes: for a file being
 * checked its own directory first, then --policy-path (or POLICYDIR). */
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
        return policy_show(c->args, arg);
}
