/*
 * /api/v1/me (who the caller is and how much of their quota is used) and
 * /api/v1/engines (what a store can be built from, read from the engine
 * table, so the dashboard offers exactly what the orchestrator accepts).
 */
#include <string.h>

#include "api.h"

static void me(struct sp_api *api, struct sp_http_req *r)
{
    json_t *all = sp_cache_list(api->cache), *o;
    size_t i, used = 0;

    json_array_foreach(all, i, o)
    {
        const char *owner = sp_api_store_owner(o);
        if (owner && strcmp(owner, r->user.name) == 0 &&
            !json_object_get(json_object_get(o, "metadata"), "deletionTimestamp"))
            used++;
    }
    json_decref(all);
    sp_http_json(r, 200,
                 json_pack("{s:s, s:s, s:{s:I, s:i}}", "user", r->user.name, "role",
                           sp_role_name(r->user.role), "quota", "used", (json_int_t)used, "max",
                           api->cfg.max_stores_per_user));
}

static void engines(struct sp_api *api, struct sp_http_req *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < api->engines->n; i++) {
        const struct sp_engine *e = &api->engines->v[i];
        json_t *sizes = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(e->sizes, k, v)
        {
            json_array_append_new(sizes, json_string(k));
        }
        if (json_array_size(sizes) == 0)
            json_array_append_new(sizes, json_string("small"));
        json_array_append_new(arr, json_pack("{s:s, s:o}", "name", e->name, "sizes", sizes));
    }
    sp_http_json(r, 200, json_pack("{s:o}", "engines", arr));
}

const struct sp_route sp_api_me_routes[] = {
    {"GET", "/api/v1/me", me, SP_ROUTE_AUTH, NULL},
    {"GET", "/api/v1/engines", engines, SP_ROUTE_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};
