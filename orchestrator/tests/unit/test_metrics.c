/* Metrics registry and its Prometheus text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "metrics.h"

static int collected;
static void collector(void *ud)
{
    sp_metric_set(ud, NULL, ++collected);
}

static void renders_counters_gauges_histograms(void **state)
{
    static const double b[] = {1, 5};
    static struct sp_metric_def cd = {.name = "t_total", .help = "A counter", .type = SP_COUNTER};
    static struct sp_metric_def again = {.name = "t_total", .help = "again", .type = SP_COUNTER};
    static struct sp_metric_def gd = {.name = "t_gauge", .help = "A gauge", .type = SP_GAUGE};
    static struct sp_metric_def hd = {.name = "t_seconds",
                                      .help = "A histogram",
                                      .type = SP_HISTOGRAM,
                                      .buckets = b,
                                      .n_buckets = 2};
    struct sp_metric *c = sp_metric(&cd);
    struct sp_metric *g = sp_metric(&gd);
    struct sp_metric *h = sp_metric(&hd);
    struct sp_buf out = SP_BUF_INIT;
    char l[128];
    (void)state;
    assert_ptr_equal(c, sp_metric(&cd));    /* cached */
    assert_ptr_equal(c, sp_metric(&again)); /* one family per name */
    sp_metric_labels(l, sizeof(l), "reason", "Time\"out", "x", "y", NULL);
    assert_string_equal(l, "reason=\"Time\\\"out\",x=\"y\"");
    sp_metric_add(c, l, 1);
    sp_metric_add(c, l, 2);
    sp_metric_add(c, NULL, 1);
    sp_metrics_add_collector(collector, g);
    sp_metric_observe(h, NULL, 0.5);
    sp_metric_observe(h, NULL, 3);
    sp_metric_observe(h, NULL, 60);
    assert_int_equal((int)sp_metric_value(c, l), 3);
    assert_int_equal((int)sp_metric_value(h, NULL), 3);
    sp_metrics_render(&out);
    assert_non_null(strstr(out.data, "# HELP t_total A counter\n# TYPE t_total counter\n"));
    assert_non_null(strstr(out.data, "t_total{reason=\"Time\\\"out\",x=\"y\"} 3\n"));
    assert_non_null(strstr(out.data, "\nt_total 1\n"));
    assert_non_null(strstr(out.data, "t_gauge 1\n"));
    assert_non_null(strstr(out.data, "t_seconds_bucket{le=\"1\"} 1\n"));
    assert_non_null(strstr(out.data, "t_seconds_bucket{le=\"5\"} 2\n"));
    assert_non_null(strstr(out.data, "t_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(out.data, "t_seconds_sum 63.5\n"));
    assert_non_null(strstr(out.data, "t_seconds_count 3\n"));
    sp_metric_clear(g);
    sp_buf_reset(&out);
    sp_metrics_render(&out);
    assert_non_null(strstr(out.data, "t_gauge 2\n")); /* the collector ran again */
    sp_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renders_counters_gauges_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
