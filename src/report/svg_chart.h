/* Small SVG charts: line charts (series of (x, y) points as <polyline>s in a plot area with
 * axes, "nice" ticks, axis labels, a title and a legend) and bar charts over named
 * categories. Ours rather than a plotting library: a few fixed chart types need no more. */
#ifndef EWCL_SVG_CHART_H
#define EWCL_SVG_CHART_H

#include <stdbool.h>
#include <stddef.h>

#include "report/report_internal.h"

typedef struct svg_series {
    char name[32];
    const double *x, *y; /* count points; a non-finite y is left out */
    size_t count;
} svg_series;

/* A vertical dashed line at x, named at the top of the plot: where a task starts. */
typedef struct svg_marker {
    double x;
    char name[32];
} svg_marker;

typedef struct svg_chart {
    const char *title, *x_label, *y_label; /* plain text without markup characters */
    const svg_series *series;
    size_t series_count;
    bool fixed_y;      /* y from y_min to y_max; otherwise from 0 to the data's maximum
                          (the axis then ends on its next tick) */
    double y_min, y_max;
    const svg_marker *markers; /* may be NULL */
    size_t marker_count;
} svg_chart;

/* The whole document into `t`. */
void svg_chart_render(const svg_chart *chart, report_text *t);

/* Bar charts over the same named categories, one panel below the other, into `t` (see
 * ewcl_report_write_bars_svg). */
void svg_bars_render(const char *const *names, size_t count, const ewcl_report_bars *panels,
                     size_t panel_count, report_text *t);

#endif
