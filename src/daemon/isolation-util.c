/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkdir -p and error messages for the isolation modules. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "isolation-util.h"
#include "macro.h"

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = NULL;

        if (!path || path[0] != '/')
                return -EINVAL;
        p = strdup(path);
        if (!p)
                return -ENOMEM;

        /* Each prefix in turn; bounded by the length of the path. */
        for (char *s = p + 1;; s++) {
                bool end = *s == '\0';

                if (!end && *s != '/')
                        continue;
                *s = '\0';
                if (s > p && s[-1] != '/' && mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                if (end)
                        break;
                *s = '/';
        }
        return 0;
}

void message_set(char **ret_message, const char *format, ...) {
        va_list ap;
        char *m;

        if (!ret_message)
                return;
        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        free(*ret_message);
        *ret_message = m;
}
