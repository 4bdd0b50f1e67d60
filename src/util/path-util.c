/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Joining file system paths. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "path-util.h"

char *path_join(const char *a, const char *b) {
        size_t la, lb;
        bool slash;
        char *p;

        if (!b || !*b)
                return strdup(a);
        if (!*a)
                return strdup(b);
        la = strlen(a);
        lb = strlen(b);
        slash = a[la - 1] != '/' && b[0] != '/';
        p = malloc(la + slash + lb + 1);
        if (!p)
                return NULL;
        memcpy(p, a, la);
        if (slash)
                p[la] = '/';
        memcpy(p + la + slash, b, lb + 1);
        return p;
}

char *path_make_absolute(const char *path, const char *dir) {
        if (path[0] == '/')
                return strdup(path);
        return path_join(dir, path);
}
