/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SVG writer (bench-svg.h). Text is XML-escaped; numbers are written
 * with one decimal, enough for a chart of a few hundred pixels. */

#include <errno.h>
#include <math.h>
#include <stdarg.h>

#include "bench-svg.h"

int svg_open(Svg *s, const char *path, unsigned width, unsigned height) {
        *s = (Svg) { .width = width, .height = height };
        s->f = fopen(path, "we");
        if (!s->f)
                return -errno;
        fprintf(s->f,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
                "font-family=\"sans-serif\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                width, height, width, height);
        return 0;
}

int svg_close(Svg *s) {
        int r;

        if (!s->f)
                return 0;
        fputs("</svg>\n", s->f);
        r = ferror(s->f) ? -EIO : 0;
        if (fclose(s->f) != 0 && r == 0)
                r = -errno;
        s->f = NULL;
        return r;
}

static void put_escaped(FILE *f, const char *t) {
        for (; *t; t++)
                switch (*t) {
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '&':
                        fputs("&amp;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                default:
                        fputc(*t, f);
                }
}

void svg_text(Svg *s, double x, double y, const char *anchor, unsigned size, const char *format, ...) {
        char buf[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);
        fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%u\">", x, y, anchor ?: "start",
                size);
        put_escaped(s->f, buf);
        fputs("</text>\n", s->f);
}

void svg_line(Svg *s, double x1, double y1, double x2, double y2, const char *stroke, double width) {
        fprintf(s->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"/>\n",
                x1, y1, x2, y2, stroke, width);
}

void svg_rect(Svg *s, double x, double y, double w, double h, const char *fill, double opacity) {
        fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"%.2f\"/>\n",
                x, y, w, h, fill, opacity);
}

void svg_circle(Svg *s, double x, double y, double r, const char *fill) {
        fprintf(s->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n", x, y, r, fill);
}

void svg_polyline(Svg *s, const double *xs, const double *ys, size_t n, const char *stroke, double width) {
        fputs("<polyline fill=\"none\" points=\"", s->f);
        for (size_t i = 0; i < n; i++)
                fprintf(s->f, "%s%.1f,%.1f", i ? " " : "", xs[i], ys[i]);
        fprintf(s->f, "\" stroke=\"%s\" stroke-width=\"%.1f\"/>\n", stroke, width);
}

double svg_nice_step(double max, unsigned ticks) {
        double raw, mag, f;

        if (!(max > 0) || ticks == 0)
                return 1;
        raw = max / ticks;
        mag = pow(10, floor(log10(raw)));
        f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}
