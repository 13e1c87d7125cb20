/*
 * The API's shared state (see api.h): creation and teardown. Its parts live
 * in their own files: the route table and the request pipeline
 * (api_routes.c), store views and list answers (api_views.c), the SSE hub
 * (api_events.c), and one file per resource (api_*.c).
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "api_events.h"
#include "util.h"

#define AUDIT_RING 1000
#define RATE_KEYS  10000

enum sp_err sp_api_new(const struct sp_api_config *cfg, struct sp_kube *kube,
                       struct sp_cache *cache, const struct sp_engines *engines,
                       struct sp_api **out)
{
    struct sp_api *api = sp_calloc(1, sizeof(*api));
    enum sp_err err;

    api->cfg = *cfg;
    if (api->cfg.heartbeat_ms <= 0)
        api->cfg.heartbeat_ms = 15000;
    if (api->cfg.create_wait_ms <= 0)
        api->cfg.create_wait_ms = 3000;
    api->kube = kube;
    api->cache = cache;
    api->engines = engines;
    pthread_mutex_init(&api->create_lock, NULL);
    pthread_mutex_init(&api->ready_lock, NULL);
    err = sp_auth_new(cfg->tokens_file, 1000, &api->auth);
    if (!err)
        err = sp_audit_new(stdout, cfg->audit_file, AUDIT_RING, &api->audit);
    if (err) {
        sp_api_free(api);
        *out = NULL;
        return err;
    }
    api->rl_user = sp_ratelimit_new(cfg->rate_user, cfg->rate_burst, RATE_KEYS);
    api->rl_ip = sp_ratelimit_new(cfg->rate_ip, cfg->rate_burst, RATE_KEYS);
    api->events = sp_events_new(api->cfg.heartbeat_ms);
    api->views = sp_api_views_new();
    if (cache) {
        /* views first: a client told of a change by an event must not list the previous state */
        sp_cache_subscribe(cache, (struct sp_cache_subscriber){sp_api_views_on_change, api->views});
        sp_cache_subscribe(cache, (struct sp_cache_subscriber){sp_events_on_change, api->events});
    }
    *out = api;
    return SP_OK;
}

void sp_api_stop(struct sp_api *api)
{
    if (api && api->events)
        sp_events_stop(api->events);
}

void sp_api_free(struct sp_api *api)
{
    if (!api)
        return;
    sp_events_free(api->events);
    sp_api_views_free(api->views);
    sp_auth_free(api->auth);
    sp_audit_free(api->audit);
    sp_ratelimit_free(api->rl_user);
    sp_ratelimit_free(api->rl_ip);
    pthread_mutex_destroy(&api->create_lock);
    pthread_mutex_destroy(&api->ready_lock);
    free(api);
}
