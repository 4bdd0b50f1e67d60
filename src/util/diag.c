/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filling in and formatting parser diagnostics. */
#include <stdarg.h>
#include <string.h>

#include "diag.h"

static void copy_truncated(char *dst, size_t size, const char *src) {
        size_t n = src ? strnlen(src, size - 1) : 0;

        if (n > 0)
                memcpy(dst, src, n);
        dst[n] = '\0';
}

void diag_set(Diagnostic *d, const char *file, unsigned line, unsigned column,
              const char *key, const char *format, ...) {
        va_list ap;

        /* Callers may not care about details; parsers still return the error. */
        if (!d)
                return;

        copy_truncated(d->file, sizeof(d->file), file);
        d->line = line;
        d->column = column;
        copy_truncated(d->key, sizeof(d->key), key);

        va_start(ap, format);
        (void) vsnprintf(d->message, sizeof(d->message), format, ap);
        va_end(ap);
}

void diag_format(const Diagnostic *d, char *buf, size_t size) {
        char where[300] = "";

        if (size == 0)
                return;

        if (d->file[0] != '\0') {
                if (d->line > 0 && d->column > 0)
                        (void) snprintf(where, sizeof(where), "%s:%u:%u: ", d->file, d->line, d->column);
                else if (d->line > 0)
                        (void) snprintf(where, sizeof(where), "%s:%u: ", d->file, d->line);
                else
                        (void) snprintf(where, sizeof(where), "%s: ", d->file);
        } else if (d->line > 0)
                (void) snprintf(where, sizeof(where), "line %u: ", d->line);

        (void) snprintf(buf, size, "%s%s", where, d->message);
}
