/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --plot DIR: the run's charts, drawn with bench-svg.c.
 *
 *   start-histogram.svg   agent start latency (RunAgent until exec'd) of
 *                         the Sandbox=none, standard and strict rows, one
 *                         outline each over shared bins;
 *   start-vs-agents.svg   start p50 against the number of agents
 *                         supervised (the start row, then each level of
 *                         the scale phase), with the floor where measured.
 *
 * The phases hand over what they measured; nothing is drawn unless asked. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench-svg.h"
#include "bench.h"

#define PLOT_PRESETS 3
#define PLOT_POINTS 16
#define PLOT_BINS 40

static const char *const preset_names[PLOT_PRESETS] = { "none", "standard", "strict" };
static const char *const preset_colors[PLOT_PRESETS] = { "#1f77b4", "#2ca02c", "#d62728" };

typedef struct ScalePoint {
        unsigned agents;
        uint64_t p50, floor_p50;
} ScalePoint;

static struct {
        Samples hist[PLOT_PRESETS];
        ScalePoint points[PLOT_POINTS];
        size_t n_points;
} plot;

void plot_keep_histogram(const char *preset, const Samples *s) {
        for (size_t i = 0; i < PLOT_PRESETS; i++)
                if (strcmp(preset, preset_names[i]) == 0) {
                        samples_done(&plot.hist[i]);
                        for (size_t j = 0; j < s->n; j++)
                                if (samples_add(&plot.hist[i], s->v[j]) < 0)
                                        return;
                }
}

void plot_keep_scale_point(unsigned agents, uint64_t p50, uint64_t floor_p50) {
        if (plot.n_points < PLOT_POINTS)
                plot.points[plot.n_points++] = (ScalePoint) { agents, p50, floor_p50 };
}

void plot_done(void) {
        for (size_t i = 0; i < PLOT_PRESETS; i++)
                samples_done(&plot.hist[i]);
        plot.n_points = 0;
}

/* The plot area of both charts. */
enum { W = 720, H = 420, L = 70, R = 20, T = 60, B = 60 };

/* max rounded up to a whole number of its tick steps. */
static double axis_max(double max, unsigned ticks) {
        double step = svg_nice_step(max, ticks);

        return MAX(ceil(max / step), 1.0) * step;
}

static double px(double v, double max) {
        return L + v / max * (W - L - R);
}

static double py(double v, double max) {
        return H - B - v / max * (H - T - B);
}

static void axes(Svg *svg, double xmax, double ymax, const char *xlabel, const char *ylabel) {
        double xs = svg_nice_step(xmax, 6), ys = svg_nice_step(ymax, 5);

        svg_line(svg, L, H - B, W - R, H - B, "black", 1);
        svg_line(svg, L, T, L, H - B, "black", 1);
        for (double x = 0; x <= xmax * 1.0001; x += xs) {
                svg_line(svg, px(x, xmax), H - B, px(x, xmax), H - B + 5, "black", 1);
                svg_text(svg, px(x, xmax), H - B + 18, "middle", 11, "%g", x);
        }
        for (double y = 0; y <= ymax * 1.0001; y += ys) {
                svg_line(svg, L - 5, py(y, ymax), W - R, py(y, ymax), y > 0 ? "#dddddd" : "black", 1);
                svg_text(svg, L - 8, py(y, ymax) + 4, "end", 11, "%g", y);
        }
        svg_text(svg, (L + W - R) / 2.0, H - 15, "middle", 12, "%s", xlabel);
        fprintf(svg->f, "<text x=\"15\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 15 %.1f)\">%s</text>\n",
                (T + H - B) / 2.0, (T + H - B) / 2.0, ylabel);
}

static int write_histogram(const char *dir, const char *caption) {
        _cleanup_free_ char *path = NULL;
        unsigned counts[PLOT_PRESETS][PLOT_BINS] = {};
        double xmax = 0, ymax = 0, bin;
        Svg svg;
        int r;

        for (size_t i = 0; i < PLOT_PRESETS; i++)
                if (plot.hist[i].n > 0)
                        xmax = MAX(xmax, (double) samples_percentile(&plot.hist[i], 99) / 1e6);
        if (!(xmax > 0))
                return 0;                /* no sandbox row ran */
        xmax = axis_max(xmax * 1.05, 6);
        bin = xmax / PLOT_BINS;
        for (size_t i = 0; i < PLOT_PRESETS; i++) {
                for (size_t j = 0; j < plot.hist[i].n; j++) {
                        size_t k = (size_t) ((double) plot.hist[i].v[j] / 1e6 / bin);

                        counts[i][MIN(k, (size_t) PLOT_BINS - 1)]++;
                }
                for (size_t k = 0; k < PLOT_BINS && plot.hist[i].n > 0; k++)
                        ymax = MAX(ymax, 100.0 * counts[i][k] / (double) plot.hist[i].n);
        }
        ymax = axis_max(ymax * 1.1, 5);

        if (asprintf(&path, "%s/start-histogram.svg", dir) < 0)
                return -ENOMEM;
        r = svg_open(&svg, path, W, H);
        if (r < 0)
                return r;
        svg_text(&svg, W / 2.0, 22, "middle", 15, "Agent start latency by Sandbox= preset (RunAgent until exec'd)");
        svg_text(&svg, W / 2.0, 40, "middle", 11, "%s", caption);
        axes(&svg, xmax, ymax, "start latency (ms); the last bin holds everything beyond", "% of starts");
        for (size_t i = 0; i < PLOT_PRESETS; i++) {
                double xs[2 * PLOT_BINS + 2], ys[2 * PLOT_BINS + 2];
                size_t n = 0;

                if (plot.hist[i].n == 0)
                        continue;
                for (size_t k = 0; k < PLOT_BINS; k++) {
                        double y = py(100.0 * counts[i][k] / (double) plot.hist[i].n, ymax);

                        svg_rect(&svg, px(k * bin, xmax), y, px(bin, xmax) - L, H - B - y, preset_colors[i], 0.15);
                        xs[n] = px(k * bin, xmax);
                        ys[n++] = y;
                        xs[n] = px((k + 1) * bin, xmax);
                        ys[n++] = y;
                }
                svg_polyline(&svg, xs, ys, n, preset_colors[i], 1.5);
                svg_rect(&svg, W - R - 250, T + 8 + 18 * i, 12, 12, preset_colors[i], 0.8);
                svg_text(&svg, W - R - 232, T + 18 + 18 * i, "start", 12, "%s: n=%zu, p50 %.3f ms", preset_names[i],
                         plot.hist[i].n, (double) samples_percentile(&plot.hist[i], 50) / 1e6);
        }
        return svg_close(&svg);
}

static int write_scale(const char *dir, const char *caption) {
        _cleanup_free_ char *path = NULL;
        double xs[PLOT_POINTS], ys[PLOT_POINTS], fx[PLOT_POINTS], fy[PLOT_POINTS];
        double xmax = 0, ymax = 0;
        size_t nf = 0;
        Svg svg;
        int r;

        if (plot.n_points < 2)
                return 0;
        for (size_t i = 0; i < plot.n_points; i++) {
                xmax = MAX(xmax, (double) plot.points[i].agents);
                ymax = MAX(ymax, (double) MAX(plot.points[i].p50, plot.points[i].floor_p50) / 1e6);
        }
        xmax = axis_max(xmax, 6);
        ymax = axis_max(ymax * 1.2, 5);

        if (asprintf(&path, "%s/start-vs-agents.svg", dir) < 0)
                return -ENOMEM;
        r = svg_open(&svg, path, W, H);
        if (r < 0)
                return r;
        svg_text(&svg, W / 2.0, 22, "middle", 15, "Agent start p50 against the number of agents supervised");
        svg_text(&svg, W / 2.0, 40, "middle", 11, "%s", caption);
        axes(&svg, xmax, ymax, "agents supervised (sleeping) while starting", "start p50 (ms)");
        for (size_t i = 0; i < plot.n_points; i++) {
                const ScalePoint *p = &plot.points[i];

                xs[i] = px(p->agents, xmax);
                ys[i] = py((double) p->p50 / 1e6, ymax);
                if (p->floor_p50) {
                        fx[nf] = xs[i];
                        fy[nf++] = py((double) p->floor_p50 / 1e6, ymax);
                }
        }
        svg_polyline(&svg, xs, ys, plot.n_points, "#1f77b4", 2);
        for (size_t i = 0; i < plot.n_points; i++) {
                svg_circle(&svg, xs[i], ys[i], 3.5, "#1f77b4");
                svg_text(&svg, xs[i], ys[i] - 8, "middle", 10, "%.3f", (double) plot.points[i].p50 / 1e6);
        }
        for (size_t i = 0; i < nf; i++)
                svg_circle(&svg, fx[i], fy[i], 3.5, "#ff7f0e");
        svg_rect(&svg, W - R - 260, T + 8, 12, 12, "#1f77b4", 1);
        svg_text(&svg, W - R - 242, T + 18, "start", 12, "RunAgent until exec'd, p50");
        if (nf > 0) {
                svg_rect(&svg, W - R - 260, T + 26, 12, 12, "#ff7f0e", 1);
                svg_text(&svg, W - R - 242, T + 36, "start", 12, "floor until exec'd, same load, p50");
        }
        return svg_close(&svg);
}

int plot_write(const char *dir, const char *caption) {
        int r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        r = write_histogram(dir, caption);
        if (r >= 0)
                r = write_scale(dir, caption);
        return r;
}
