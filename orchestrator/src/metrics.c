/*
 * Metrics registry (see metrics.h). A fixed table of families, each with a
 * small array of series; one mutex guards all of it. Histograms keep
 * cumulative-on-render bucket counts, a sum and a count per series.
 */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES   64
#define MAX_COLLECTORS 8

struct series {
    char *labels;
    double value;     /* counter/gauge value; histogram sum */
    uint64_t count;   /* histogram observations */
    uint64_t *bucket; /* histogram: per-bucket (non-cumulative) counts */
};

struct sp_metric {
    char *name;
    char *help;
    enum sp_metric_type type;
    double *buckets;
    size_t n_buckets;
    struct series *s;
    size_t n, cap;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static struct sp_metric families[MAX_FAMILIES];
static size_t n_families;
static struct {
    void (*fn)(void *);
    void *ud;
} collectors[MAX_COLLECTORS];
static size_t n_collectors;

/* Registers (or returns the already registered) family of that name. */
static struct sp_metric *register_family(const char *name, const char *help,
                                         enum sp_metric_type type, const double *buckets,
                                         size_t n_buckets)
{
    struct sp_metric *m = NULL;

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_families; i++)
        if (strcmp(families[i].name, name) == 0)
            m = &families[i];
    if (!m) {
        if (n_families == MAX_FAMILIES) {
            fprintf(stderr, "metrics: more than %d families\n", MAX_FAMILIES);
            abort();
        }
        m = &families[n_families++];
        m->name = sp_strdup(name);
        m->help = sp_strdup(help);
        m->type = type;
        if (type == SP_HISTOGRAM && n_buckets) {
            m->buckets = sp_malloc(n_buckets * sizeof(double));
            memcpy(m->buckets, buckets, n_buckets * sizeof(double));
            m->n_buckets = n_buckets;
        }
    }
    pthread_mutex_unlock(&lock);
    return m;
}

struct sp_metric *sp_metric(struct sp_metric_def *def)
{
    struct sp_metric *m = atomic_load_explicit(&def->family, memory_order_acquire);
    if (!m) {
        m = register_family(def->name, def->help, def->type, def->buckets, def->n_buckets);
        atomic_store_explicit(&def->family, m, memory_order_release);
    }
    return m;
}

/* Called with the lock held. */
static struct series *series_of(struct sp_metric *m, const char *labels, int create)
{
    const char *l = labels ? labels : "";
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->s[i].labels, l) == 0)
            return &m->s[i];
    if (!create)
        return NULL;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->s = sp_realloc(m->s, m->cap * sizeof(*m->s));
    }
    memset(&m->s[m->n], 0, sizeof(m->s[m->n]));
    m->s[m->n].labels = sp_strdup(l);
    if (m->type == SP_HISTOGRAM)
        m->s[m->n].bucket = sp_calloc(m->n_buckets + 1, sizeof(uint64_t));
    return &m->s[m->n++];
}

void sp_metric_add(struct sp_metric *m, const char *labels, double v)
{
    pthread_mutex_lock(&lock);
    series_of(m, labels, 1)->value += v;
    pthread_mutex_unlock(&lock);
}

void sp_metric_set(struct sp_metric *m, const char *labels, double v)
{
    pthread_mutex_lock(&lock);
    series_of(m, labels, 1)->value = v;
    pthread_mutex_unlock(&lock);
}

void sp_metric_observe(struct sp_metric *m, const char *labels, double v)
{
    struct series *s;
    size_t b = 0;

    pthread_mutex_lock(&lock);
    s = series_of(m, labels, 1);
    while (b < m->n_buckets && v > m->buckets[b])
        b++;
    if (s->bucket)
        s->bucket[b]++;
    s->count++;
    s->value += v;
    pthread_mutex_unlock(&lock);
}

void sp_metric_clear(struct sp_metric *m)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < m->n; i++) {
        free(m->s[i].labels);
        free(m->s[i].bucket);
    }
    m->n = 0;
    pthread_mutex_unlock(&lock);
}

double sp_metric_value(struct sp_metric *m, const char *labels)
{
    struct series *s;
    double v = 0;

    pthread_mutex_lock(&lock);
    s = series_of(m, labels, 0);
    if (s)
        v = m->type == SP_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&lock);
    return v;
}

void sp_metric_labels(char *out, size_t n, const char *k1, const char *v1, ...)
{
    va_list ap;
    size_t len = 0;
    const char *k = k1, *v = v1;

    out[0] = '\0';
    va_start(ap, v1);
    while (k && len + 1 < n) {
        len += (size_t)snprintf(out + len, n - len, "%s%s=\"", len ? "," : "", k);
        for (const char *p = v ? v : ""; *p && len + 3 < n; p++) {
            if (*p == '\\' || *p == '"') {
                out[len++] = '\\';
                out[len++] = *p;
            } else if (*p == '\n') {
                out[len++] = '\\';
                out[len++] = 'n';
            } else {
                out[len++] = *p;
            }
        }
        if (len + 1 < n)
            out[len++] = '"';
        out[len < n ? len : n - 1] = '\0';
        k = va_arg(ap, const char *);
        if (k)
            v = va_arg(ap, const char *);
    }
    va_end(ap);
}

void sp_metrics_add_collector(void (*fn)(void *ud), void *ud)
{
    pthread_mutex_lock(&lock);
    if (n_collectors < MAX_COLLECTORS) {
        collectors[n_collectors].fn = fn;
        collectors[n_collectors].ud = ud;
        n_collectors++;
    }
    pthread_mutex_unlock(&lock);
}

static void num(struct sp_buf *out, double v)
{
    if (isinf(v))
        sp_buf_adds(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(int64_t)v && fabs(v) < 1e15)
        sp_buf_addf(out, "%lld", (long long)v);
    else
        sp_buf_addf(out, "%.9g", v);
}

void sp_metrics_render(struct sp_buf *out)
{
    size_t nc;

    pthread_mutex_lock(&lock);
    nc = n_collectors;
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < nc; i++)
        collectors[i].fn(collectors[i].ud);

    pthread_mutex_lock(&lock);
    for (size_t f = 0; f < n_families; f++) {
        struct sp_metric *m = &families[f];
        static const char *const types[] = {"counter", "gauge", "histogram"};
        sp_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, types[m->type]);
        for (size_t i = 0; i < m->n; i++) {
            struct series *s = &m->s[i];
            const char *l = s->labels;
            if (m->type != SP_HISTOGRAM) {
                sp_buf_addf(out, "%s%s%s%s ", m->name, *l ? "{" : "", l, *l ? "}" : "");
                num(out, s->value);
                sp_buf_adds(out, "\n");
                continue;
            }
            uint64_t cum = 0;
            for (size_t b = 0; b <= m->n_buckets; b++) {
                cum += s->bucket[b];
                sp_buf_addf(out, "%s_bucket{%s%sle=\"", m->name, l, *l ? "," : "");
                num(out, b < m->n_buckets ? m->buckets[b] : INFINITY);
                sp_buf_addf(out, "\"} %llu\n", (unsigned long long)cum);
            }
            sp_buf_addf(out, "%s_sum%s%s%s ", m->name, *l ? "{" : "", l, *l ? "}" : "");
            num(out, s->value);
            sp_buf_addf(out, "\n%s_count%s%s%s %llu\n", m->name, *l ? "{" : "", l, *l ? "}" : "",
                        (unsigned long long)s->count);
        }
    }
    pthread_mutex_unlock(&lock);
}
