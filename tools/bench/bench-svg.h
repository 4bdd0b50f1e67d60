/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small SVG writer for the bench's charts (--plot): text, lines, boxes,
 * polylines, and axis ticks at round numbers. Nothing else is needed. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "macro.h"

typedef struct Svg {
        FILE *f;
        unsigned width, height;
} Svg;

int svg_open(Svg *s, const char *path, unsigned width, unsigned height);
int svg_close(Svg *s);          /* -EIO when a write failed */
void svg_text(Svg *s, double x, double y, const char *anchor, unsigned size, const char *format, ...)
        _printf_(6, 7);
void svg_line(Svg *s, double x1, double y1, double x2, double y2, const char *stroke, double width);
void svg_rect(Svg *s, double x, double y, double w, double h, const char *fill, double opacity);
void svg_circle(Svg *s, double x, double y, double r, const char *fill);
void svg_polyline(Svg *s, const double *xs, const double *ys, size_t n, const char *stroke, double width);
/* A step of 1, 2 or 5 times a power of ten giving about `ticks` ticks
 * from 0 to max. */
double svg_nice_step(double max, unsigned ticks);
