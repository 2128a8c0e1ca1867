/* Documents beside a run's own files: any bytes written atomically, and bar charts. */
#include "report/svg_chart.h"
#include "runtime/error_internal.h"

ewcl_status ewcl_report_write_file(const char *path, const void *bytes, size_t size,
                                   ewcl_error *err)
{
    if (path == NULL || (bytes == NULL && size > 0))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_report_write_file: NULL argument");
    /* The writer's own buffer type, borrowed: it is only read. */
    const report_text t = {(char *)bytes, size, size, false};
    return report_text_write(&t, path, err);
}

ewcl_status ewcl_report_write_bars_svg(const char *const *categories, size_t count,
                                       const ewcl_report_bars *panels, size_t panel_count,
                                       const char *path, ewcl_error *err)
{
    if (categories == NULL || panels == NULL || path == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "ewcl_report_write_bars_svg: NULL argument");
    report_text t = {0};
    svg_bars_render(categories, count, panels, panel_count, &t);
    const ewcl_status s = report_text_write(&t, path, err);
    report_text_free(&t);
    return s;
}
