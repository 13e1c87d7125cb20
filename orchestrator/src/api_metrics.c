/*
 * /metrics (Prometheus text format 0.0.4: the controller's families plus the
 * HTTP request counts and latency histogram), also served under /api/v1/.
 * No token needed: it reveals counts, never names or owners. The probes are
 * in api_health.c.
 */
#include "api.h"
#include "metrics.h"
#include "util.h"

static void metrics(struct sp_api *api, struct sp_http_req *r)
{
    (void)api;
    sp_metrics_render(&r->out);
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

const struct sp_route sp_api_metrics_routes[] = {
    {"GET", "/metrics", metrics, 0, NULL},
    {"GET", "/api/v1/metrics", metrics, 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};
