/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "error-detail.h"

int error_detail_set(ErrorDetail *err, int r, ErrorKind kind, const char *format, ...) {
        va_list ap;
        char *s;
        int k;

        if (!err)
                return r;
        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        free(err->message);
        *err = (ErrorDetail) { .kind = kind, .message = s };
        return r;
}

void error_detail_done(ErrorDetail *err) {
        free(err->message);
        *err = ERROR_DETAIL_NULL;
}
