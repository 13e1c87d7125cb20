/*
 * An in-memory metrics registry rendered in the Prometheus text format
 * (version 0.0.4). Families are registered once at start-up and live for the
 * process; series inside a family are keyed by their rendered label set,
 * e.g. `phase="Ready"` (build it with sp_metric_labels()). Collectors are
 * callbacks run just before rendering, to refresh gauges from live state
 * (queue depth, stores by phase). Thread-safe.
 */
#ifndef SP_METRICS_H
#define SP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "util.h"

enum sp_metric_type { SP_COUNTER, SP_GAUGE, SP_HISTOGRAM };

struct sp_metric;

/*
 * The one way to name a metric family: a static definition, registered on
 * first use (then cached, so a use costs no lookup) and rendered from then
 * on. Two definitions with the same name are the same family.
 *
 *   static const double b[] = {1, 5};
 *   static struct sp_metric_def latency = {.name = "x_seconds", .help = "...",
 *                                          .type = SP_HISTOGRAM, .buckets = b, .n_buckets = 2};
 *   sp_metric_observe(sp_metric(&latency), NULL, 0.3);
 */
struct sp_metric_def {
    const char *name;
    const char *help;
    enum sp_metric_type type;
    const double *buckets; /* a histogram's ascending upper bounds (copied), else NULL */
    size_t n_buckets;
    _Atomic(struct sp_metric *) family; /* set by the first sp_metric() */
};

/* A histogram's definition from a static array of bucket bounds. */
#define SP_METRIC_HISTOGRAM(n, h, b)                                                               \
    {                                                                                              \
        .name = (n), .help = (h), .type = SP_HISTOGRAM, .buckets = (b),                            \
        .n_buckets = sizeof(b) / sizeof((b)[0])                                                    \
    }

/* The family of def, registered by the first call. Never fails; thread-safe. */
struct sp_metric *sp_metric(struct sp_metric_def *def);

/* labels: a rendered label set or NULL for none. */
void sp_metric_add(struct sp_metric *m, const char *labels, double v);
void sp_metric_set(struct sp_metric *m, const char *labels, double v);
void sp_metric_observe(struct sp_metric *m, const char *labels, double v);
/* Drops every series of a gauge family (before setting a fresh full set). */
void sp_metric_clear(struct sp_metric *m);
/* Returns a series' value (count for a histogram); 0 when absent. For tests. */
double sp_metric_value(struct sp_metric *m, const char *labels);

/* Renders k1="v1",k2="v2" (values escaped) into out; pairs end with a NULL key. */
void sp_metric_labels(char *out, size_t n, const char *k1, const char *v1, ...);

/* Runs fn(ud) before each render; fn may set gauges. */
void sp_metrics_add_collector(void (*fn)(void *ud), void *ud);

/* Appends every family in the text format to out. */
void sp_metrics_render(struct sp_buf *out);

#endif
