/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny table: cells in row-major order, widths computed when printing. */

#include <stdarg.h>
#include <string.h>

#include "ctl-format.h"
#include "ctl-table.h"
#include "macro.h"

typedef struct Cell {
        char *text;
        const char *color;
} Cell;

struct Table {
        size_t n_columns;
        const char * const *headers;
        Cell *cells;
        size_t n_cells;
};

Table *table_new(size_t n_columns, const char * const *headers) {
        Table *t;

        if (n_columns == 0 || n_columns > TABLE_COLUMNS_MAX)
                return NULL;
        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->headers = headers;
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i].text);
        free(t->cells);
        return mfree(t);
}

int table_add(Table *t, const char *cell, const char *color) {
        Cell *cells;
        char *copy;

        copy = strdup(cell ? cell : "");
        if (!copy)
                return -ENOMEM;
        cells = reallocarray(t->cells, t->n_cells + 1, sizeof(Cell));
        if (!cells) {
                free(copy);
                return -ENOMEM;
        }
        t->cells = cells;
        t->cells[t->n_cells++] = (Cell) { copy, color };
        return 0;
}

int table_addf(Table *t, const char *color, const char *format, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return table_add(t, s, color);
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns;
}

/* Display width of UTF-8 text, counting code points (the output is names,
 * states and command lines, so one column per code point is close enough). */
static size_t text_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

static void print_cell(const char *text, const char *color, size_t width, bool last, bool use_color, FILE *f) {
        if (use_color && color)
                fputs(color, f);
        fputs(text, f);
        if (use_color && color)
                fputs(ANSI_NORMAL, f);
        if (!last)
                fprintf(f, "%*s", (int) (width - text_width(text) + 2), "");
}

void table_print(const Table *t, bool color, FILE *f) {
        size_t widths[TABLE_COLUMNS_MAX];

        for (size_t c = 0; c < t->n_columns; c++)
                widths[c] = text_width(t->headers[c]);
        for (size_t i = 0; i < t->n_cells; i++)
                widths[i % t->n_columns] = MAX(widths[i % t->n_columns], text_width(t->cells[i].text));

        for (size_t c = 0; c < t->n_columns; c++)
                print_cell(t->headers[c], ANSI_BOLD, widths[c], c + 1 == t->n_columns, color, f);
        fputc('\n', f);

        for (size_t i = 0; i + t->n_columns <= t->n_cells; i += t->n_columns) {
                for (size_t c = 0; c < t->n_columns; c++)
                        print_cell(t->cells[i + c].text, t->cells[i + c].color, widths[c],
                                   c + 1 == t->n_columns, color, f);
                fputc('\n', f);
        }
}
