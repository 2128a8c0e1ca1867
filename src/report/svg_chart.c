/* SVG line charts; see svg_chart.h. */
#include <math.h>

#include "report/svg_chart.h"

/* The canvas and the plot area inside it (room on the right for the legend). */
enum { WIDTH = 760, HEIGHT = 440, LEFT = 70, RIGHT = 590, TOP = 40, BOTTOM = 380 };

/* Matplotlib's tab10: distinct, colour-blind friendly. */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* A step of 1, 2 or 5 times a power of ten giving about five intervals over `range`. */
static double nice_step(double range)
{
    const double raw = range / 5.0;
    const double power = pow(10.0, floor(log10(raw)));
    const double f = raw / power;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * power;
}

typedef struct range {
    double min, max;
} range;

/* The top of an axis for data up to `max`: 5 % headroom, then up to a multiple of the step
 * the ticks will use — which is itself chosen from the top, so that is repeated until it
 * settles (1.56 → 1.638 → 1.8 → 2.0, ticks of 0.5), so that the axis ends on a tick. */
static double axis_top(double max)
{
    double top = max * 1.05;
    for (int i = 0; i < 4; i++) {
        const double step = nice_step(top);
        const double next = ceil(top / step - 1e-9) * step;
        if (next == top)
            break;
        top = next;
    }
    return top;
}

static double to_x(range r, double x)
{
    return LEFT + (x - r.min) / (r.max - r.min) * (RIGHT - LEFT);
}

static double to_y(range r, double y)
{
    const double clamped = y < r.min ? r.min : y > r.max ? r.max : y;
    return BOTTOM - (clamped - r.min) / (r.max - r.min) * (BOTTOM - TOP);
}

/* The data's x range (from 0) and y range, widened so that neither is empty. */
static void data_ranges(const svg_chart *c, range *xr, range *yr)
{
    *xr = (range){0.0, 0.0};
    *yr = c->fixed_y ? (range){c->y_min, c->y_max} : (range){0.0, 0.0};
    for (size_t s = 0; s < c->series_count; s++)
        for (size_t i = 0; i < c->series[s].count; i++) {
            const double x = c->series[s].x[i], y = c->series[s].y[i];
            if (isfinite(x) && x > xr->max)
                xr->max = x;
            if (!c->fixed_y && isfinite(y) && y > yr->max)
                yr->max = y;
        }
    if (xr->max <= xr->min)
        xr->max = xr->min + 1.0;
    if (yr->max <= yr->min)
        yr->max = yr->min + 1.0;
    if (!c->fixed_y)
        yr->max = axis_top(yr->max);
}

/* The y ticks with their grid lines across the plot. */
static void render_y_ticks(range yr, report_text *t)
{
    const double ys = nice_step(yr.max - yr.min);
    /* Ticks as multiples of the step, not a running sum: no drift into 0.6000000001. */
    for (double k = ceil(yr.min / ys); k * ys <= yr.max + 1e-9 * ys; k++) {
        const double v = k * ys, y = to_y(yr, v);
        report_text_append(t,
                           "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#000\"/>"
                           "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#ddd\"/>"
                           "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\">%g</text>\n",
                           LEFT - 5, y, LEFT, y, LEFT + 1, y, RIGHT, y, LEFT - 8, y + 4, v);
    }
}

/* Title, axis labels, then the axes themselves, over the grid lines. */
static void render_frame(const char *title, const char *x_label, const char *y_label,
                         report_text *t)
{
    report_text_append(t,
                       "<g font-family=\"sans-serif\">\n"
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">%s"
                       "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\""
                       " transform=\"rotate(-90 %d %d)\">%s</text>\n"
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"15\">%s"
                       "</text>\n</g>\n",
                       (LEFT + RIGHT) / 2, BOTTOM + 40, x_label, 20, (TOP + BOTTOM) / 2, 20,
                       (TOP + BOTTOM) / 2, y_label, (LEFT + RIGHT) / 2, TOP - 15, title);
    report_text_append(t,
                       "<g stroke=\"#000\" stroke-width=\"1\">\n"
                       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
                       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n</g>\n",
                       LEFT, BOTTOM, RIGHT, BOTTOM, LEFT, BOTTOM, LEFT, TOP);
}

static void render_axes(const svg_chart *c, range xr, range yr, report_text *t)
{
    const double xs = nice_step(xr.max - xr.min);
    report_text_append(t, "<g font-family=\"sans-serif\" font-size=\"11\">\n");
    for (double k = ceil(xr.min / xs); k * xs <= xr.max + 1e-9 * xs; k++) {
        const double v = k * xs, x = to_x(xr, v);
        report_text_append(t,
                           "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#000\"/>"
                           "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                           x, BOTTOM, x, BOTTOM + 5, x, BOTTOM + 18, v);
    }
    render_y_ticks(yr, t);
    report_text_append(t, "</g>\n");
    render_frame(c->title, c->x_label, c->y_label, t);
}

/* Dashed lines where a new phase (a task) starts, each named at the top of the plot. */
static void render_markers(const svg_chart *c, range xr, report_text *t)
{
    for (size_t m = 0; m < c->marker_count; m++) {
        const double x = to_x(xr, c->markers[m].x);
        report_text_append(t,
                           "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#999\" "
                           "stroke-dasharray=\"4 3\"/><text x=\"%.2f\" y=\"%d\" "
                           "font-family=\"sans-serif\" font-size=\"10\" fill=\"#666\">%s"
                           "</text>\n",
                           x, TOP, x, BOTTOM, x + 3, TOP + 10, c->markers[m].name);
    }
}

static void render_document_start(int height, report_text *t)
{
    report_text_append(t,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                       "viewBox=\"0 0 %d %d\">\n"
                       "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n",
                       WIDTH, height, WIDTH, height, WIDTH, height);
}

void svg_chart_render(const svg_chart *c, report_text *t)
{
    range xr, yr;
    data_ranges(c, &xr, &yr);
    render_document_start(HEIGHT, t);
    render_axes(c, xr, yr, t);
    render_markers(c, xr, t);
    for (size_t s = 0; s < c->series_count; s++) {
        const svg_series *series = &c->series[s];
        const char *color = palette[s % (sizeof palette / sizeof palette[0])];
        report_text_append(t, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                              "points=\"", color);
        const char *sep = "";
        for (size_t i = 0; i < series->count; i++) {
            if (!isfinite(series->x[i]) || !isfinite(series->y[i]))
                continue;
            report_text_append(t, "%s%.2f,%.2f", sep, to_x(xr, series->x[i]),
                               to_y(yr, series->y[i]));
            sep = " ";
        }
        report_text_append(t, "\"/>\n");
        /* Legend rows of 18 px, closer together when that would run off the plot. */
        const int row = c->series_count > 18 ? (BOTTOM - TOP) / (int)c->series_count : 18;
        const int y = TOP + 10 + row * (int)s;
        report_text_append(t,
                           "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                           "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" font-family=\"sans-serif\""
                           " font-size=\"12\">%s</text>\n",
                           RIGHT + 20, y, RIGHT + 45, y, color, RIGHT + 52, y + 4, series->name);
    }
    report_text_append(t, "</svg>\n");
}

/* Text from outside (device names) with XML's five special characters escaped. */
static void append_escaped(report_text *t, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '<': report_text_append(t, "&lt;"); break;
        case '>': report_text_append(t, "&gt;"); break;
        case '&': report_text_append(t, "&amp;"); break;
        case '"': report_text_append(t, "&quot;"); break;
        case '\'': report_text_append(t, "&apos;"); break;
        default: report_text_append(t, "%c", *p);
        }
    }
}

/* One panel: a bar per category, its value above it, its name below. */
static void render_bar_panel(const char *const *names, size_t count,
                             const ewcl_report_bars *panel, report_text *t)
{
    range yr = {0.0, panel->y_max};
    if (!(panel->y_max > 0.0)) {
        for (size_t i = 0; i < count; i++)
            if (isfinite(panel->values[i]) && panel->values[i] > yr.max)
                yr.max = panel->values[i];
        if (yr.max <= 0.0)
            yr.max = 1.0;
        yr.max = axis_top(yr.max);
    }
    report_text_append(t, "<g font-family=\"sans-serif\" font-size=\"11\">\n");
    render_y_ticks(yr, t);
    const double slot = (double)(RIGHT - LEFT) / (double)(count > 0 ? count : 1);
    for (size_t i = 0; i < count; i++) {
        const double v = panel->values[i], x = LEFT + slot * ((double)i + 0.2);
        const double mid = LEFT + slot * ((double)i + 0.5);
        if (isfinite(v)) {
            const double top = to_y(yr, v);
            report_text_append(t,
                               "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                               "fill=\"%s\"/><text x=\"%.2f\" y=\"%.2f\" "
                               "text-anchor=\"middle\">%.4g</text>\n",
                               x, top, 0.6 * slot, BOTTOM - top,
                               palette[i % (sizeof palette / sizeof palette[0])], mid, top - 4, v);
        } else {
            report_text_append(t, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">n/a"
                                  "</text>\n", mid, BOTTOM - 6);
        }
        report_text_append(t, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">", mid,
                           BOTTOM + 18);
        append_escaped(t, names[i]);
        report_text_append(t, "</text>\n");
    }
    report_text_append(t, "</g>\n");
    render_frame(panel->title, "", panel->y_label, t);
}

void svg_bars_render(const char *const *names, size_t count, const ewcl_report_bars *panels,
                     size_t panel_count, report_text *t)
{
    render_document_start(HEIGHT * (int)panel_count, t);
    for (size_t p = 0; p < panel_count; p++) {
        report_text_append(t, "<g transform=\"translate(0 %d)\">\n", HEIGHT * (int)p);
        render_bar_panel(names, count, &panels[p], t);
        report_text_append(t, "</g>\n");
    }
    report_text_append(t, "</svg>\n");
}
