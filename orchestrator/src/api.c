/*
 * The API's shared state (see api.h): creation and teardown, and the one
 * place that turns a cached Store object into what clients see. The view is
 * built from references to the cached (immutable) values, so listing many
 * stores copies no strings.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"
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

void sp_api_shutdown(struct sp_api *api)
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

const char *sp_api_store_owner(const json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "spec"), "owner"));
}

bool sp_api_may_see(const struct sp_user *user, const json_t *obj)
{
    const char *owner = sp_api_store_owner(obj);
    if (!obj)
        return false;
    return user->role == SP_ROLE_ADMIN || (owner && strcmp(owner, user->name) == 0);
}

static void copy(json_t *dst, const char *key, const json_t *src, const char *from)
{
    json_t *v = json_object_get(src, from);
    if (v && !json_is_null(v))
        json_object_set(dst, key, v);
}

json_t *sp_api_store_view(const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const json_t *spec = json_object_get(obj, "spec");
    const json_t *st = json_object_get(obj, "status");
    const char *phase = json_string_value(json_object_get(st, "phase"));
    bool deleting = json_object_get(meta, "deletionTimestamp") != NULL;
    json_t *v = json_object(), *conds = json_array(), *c;
    size_t i;

    copy(v, "name", meta, "name");
    copy(v, "engine", spec, "engine");
    copy(v, "owner", spec, "owner");
    copy(v, "displayName", spec, "displayName");
    copy(v, "plan", spec, "plan");
    if (deleting)
        phase = "Deleting";
    else if (!phase || !*phase)
        phase = "Pending"; /* not looked at by the controller yet: queued */
    json_object_set_new(v, "phase", json_string(phase));
    copy(v, "message", st, "message");
    copy(v, "reason", st, "reason");
    copy(v, "url", st, "url");
    copy(v, "adminUrl", st, "adminUrl");
    copy(v, "createdAt", meta, "creationTimestamp");
    copy(v, "provisioningStartedAt", st, "provisioningStartedAt");
    copy(v, "readyAt", st, "readyAt");
    copy(v, "failedAt", st, "failedAt");
    json_object_set_new(v, "deleting", json_boolean(deleting));
    json_array_foreach(json_object_get(st, "conditions"), i, c)
    {
        json_t *o = json_object();
        copy(o, "type", c, "type");
        copy(o, "status", c, "status");
        copy(o, "reason", c, "reason");
        copy(o, "message", c, "message");
        copy(o, "lastTransitionTime", c, "lastTransitionTime");
        json_array_append_new(conds, o);
    }
    json_object_set_new(v, "conditions", conds);
    return v;
}
