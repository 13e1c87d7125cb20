/*
 * Restarts over time (see health.h).
 */
#include "health.h"

#include <stdio.h>
#include <string.h>

static void drop_first(struct sp_health_hist *h)
{
    memmove(h->ms, h->ms + 1, (size_t)(h->n - 1) * sizeof(h->ms[0]));
    memmove(h->total, h->total + 1, (size_t)(h->n - 1) * sizeof(h->total[0]));
    h->n--;
}

void sp_health_note(struct sp_health_hist *h, int64_t now_ms, int64_t total, int64_t window_ms)
{
    if (h->n == SP_HEALTH_NOTES)
        drop_first(h);
    h->ms[h->n] = now_ms;
    h->total[h->n] = total;
    h->n++;
    /* the base is the last note at or before the window's start */
    while (h->n > 1 && h->ms[1] <= now_ms - window_ms)
        drop_first(h);
}

int64_t sp_health_restarts(const struct sp_health_hist *h)
{
    int64_t sum = 0;
    for (int i = 1; i < h->n; i++)
        if (h->total[i] > h->total[i - 1])
            sum += h->total[i] - h->total[i - 1];
    return sum;
}

void sp_health_span(int64_t ms, char *out, unsigned long n)
{
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 120)
        snprintf(out, n, "%lld s", (long long)s);
    else if (s < (int64_t)2 * 3600)
        snprintf(out, n, "%lld minutes", (long long)(s / 60));
    else
        snprintf(out, n, "%lld hours", (long long)(s / 3600));
}
