/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A diagnostic from a pure parser: where (file, line, column, key) and what.
 * Parsers fill one in and return a negative errno (-EINVAL for bad input). */
#pragma once

#include <stdio.h>

typedef struct Diagnostic {
        char file[256];
        unsigned line;          /* 1-based, 0 = whole file */
        unsigned column;        /* 1-based, 0 = unknown */
        char key[64];           /* config key or "" */
        char message[512];
} Diagnostic;

/* Formats as "FILE:LINE:COL: message" (parts that are unset are left out). */
void diag_format(const Diagnostic *d, char *buf, size_t size);
void diag_set(Diagnostic *d, const char *file, unsigned line, unsigned column,
              const char *key, const char *format, ...) __attribute__((format(printf, 6, 7)));
