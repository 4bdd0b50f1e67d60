/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Column-aligned tables for agentctl's list views. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TABLE_COLUMNS_MAX 16

typedef struct Table Table;

/* NULL on allocation failure or more than TABLE_COLUMNS_MAX columns. */
Table *table_new(size_t n_columns, const char * const *headers);
Table *table_free(Table *t);
/* Adds one cell (copied); rows fill left to right. A cell may carry an ANSI
 * color, used only when printing in color. */
int table_add(Table *t, const char *cell, const char *color);
int table_addf(Table *t, const char *color, const char *format, ...) __attribute__((format(printf, 3, 4)));
size_t table_rows(const Table *t);
/* Prints the header (bold in color) and the rows, columns two spaces apart,
 * the last column unpadded. */
void table_print(const Table *t, bool color, FILE *f);
