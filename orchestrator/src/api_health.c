/*
 * The probes: /healthz (the process answers) and /readyz (the cache is in
 * sync: listed, and its watch has not failed since; and the API server
 * answered within the last few seconds). Each is also served under
 * /api/v1/. No token needed: they reveal nothing about stores.
 */
#include <pthread.h>

#include "api.h"
#include "util.h"

#define READY_RECHECK_MS 5000
#define READY_PROBE_MS   2000 /* the API server's answer to /readyz's check, at most */

static void healthz(struct sp_api *api, struct sp_http_req *r)
{
    (void)api;
    sp_http_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static bool api_server_ok(struct sp_api *api)
{
    int64_t now = sp_now_ms();
    bool ok;

    pthread_mutex_lock(&api->ready_lock);
    if (api->ready_checked_ms && now - api->ready_checked_ms < READY_RECHECK_MS) {
        ok = api->api_reachable;
        pthread_mutex_unlock(&api->ready_lock);
        return ok;
    }
    pthread_mutex_unlock(&api->ready_lock);
    sp_kube_thread_deadline(now + READY_PROBE_MS); /* a hung API server: answer, and say so */
    ok = sp_kube_get(api->kube, "/api", NULL) == SP_OK;
    sp_kube_thread_deadline(0);
    pthread_mutex_lock(&api->ready_lock);
    api->ready_checked_ms = now;
    api->api_reachable = ok;
    pthread_mutex_unlock(&api->ready_lock);
    return ok;
}

static void readyz(struct sp_api *api, struct sp_http_req *r)
{
    if (!sp_cache_synced(api->cache))
        sp_http_error(r, 503, "not_ready", NULL,
                      "the store cache is not in sync with the API server (loading, or "
                      "reconnecting)");
    else if (!api_server_ok(api))
        sp_http_error(r, 503, "not_ready", NULL, "the Kubernetes API server does not answer");
    else
        sp_http_json(r, 200, json_pack("{s:s}", "status", "ready"));
}

const struct sp_route sp_api_health_routes[] = {
    {"GET", "/healthz", healthz, 0, NULL},
    {"GET", "/readyz", readyz, 0, NULL},
    {"GET", "/api/v1/healthz", healthz, 0, NULL},
    {"GET", "/api/v1/readyz", readyz, 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};
