/* A small SVG line chart: series of (x, y) points as <polyline>s in a plot area with axes,
 * "nice" ticks, axis labels, a title and a legend. Ours rather than a plotting library:
 * two fixed chart types need no more. */
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

typedef struct svg_chart {
    const char *title, *x_label, *y_label; /* plain text without markup characters */
    const svg_series *series;
    size_t series_count;
    bool fixed_y;      /* y from y_min to y_max; otherwise from 0 to the data's maximum */
    double y_min, y_max;
} svg_chart;

/* The whole document into `t`. */
void svg_chart_render(const svg_chart *chart, report_text *t);

#endif
