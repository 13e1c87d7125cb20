/*
 * /api/v1/stores: the store lifecycle as seen by a user. Reads come from the
 * watch-fed cache; writes are Store objects sent to the API server (create
 * with spec.owner = the caller, delete, the retry annotation), which the
 * controller of whichever replica leads then acts on.
 *
 * Suspend and resume decide on the Store as the API server has it (not the
 * cache, which may not show the previous call yet, so a repeated call is
 * answered 200 at once) and write spec.suspended with that resourceVersion:
 * a store that changed meanwhile is read and decided on again.
 *
 * A store of another user answers 404, exactly as a store that does not
 * exist, so names of other users' stores are not revealed by these routes
 * (a create of a taken name must still say 409: names are global).
 *
 * Creating checks the quota and creates under create_lock, then waits (at
 * most create_wait_ms) for the new Store to reach the cache, so a client's
 * next read, and the next quota check in this replica, see it.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "request.h"
#include "store.h"
#include "suspend.h"
#include "util.h"

/* The Store named in the path if the caller may see it (new reference); else answers 404. */
static json_t *visible(struct sp_api *api, struct sp_http_req *r)
{
    json_t *obj;
    if (sp_store_validate_name(r->name) != SP_OK) {
        sp_http_error(r, 400, "invalid", "name", "%s", sp_errmsg());
        return NULL;
    }
    obj = sp_cache_get(api->cache, r->name);
    if (!obj || !sp_api_may_see(&r->user, obj)) {
        json_decref(obj);
        sp_http_error(r, 404, "not_found", "name", "no store named '%s'", r->name);
        return NULL;
    }
    return obj;
}

/* Answers a failed API server call. */
static void upstream_error(struct sp_http_req *r, enum sp_err err, const char *what)
{
    sp_warn(r->name, "api", "%s failed: %s", what, sp_errmsg());
    if (err == SP_E_INVALID)
        sp_http_error(r, 422, "rejected", NULL, "the cluster refused the store: %s", sp_errmsg());
    else
        sp_http_error(r, 503, "unavailable", NULL,
                      "the cluster could not be reached; try again shortly");
}

static size_t owned_by(struct sp_api *api, const char *user)
{
    json_t *all = sp_cache_list(api->cache), *o;
    size_t i, n = 0;
    json_array_foreach(all, i, o)
    {
        const char *owner = sp_api_store_owner(o);
        if (owner && strcmp(owner, user) == 0 &&
            !json_object_get(json_object_get(o, "metadata"), "deletionTimestamp"))
            n++;
    }
    json_decref(all);
    return n;
}

/*
 * The answer for user with the owner filter (NULL: none), assembled from
 * rendered views (api_views.c): the same bytes sp_http_json() would write for
 * {"stores":[view...],"count":N}. A new body (one reference, the caller's).
 */
static struct sp_http_body *render_list(struct sp_api *api, const struct sp_user *user,
                                        const char *owner)
{
    json_t *all = sp_cache_list(api->cache), *o;
    uint64_t epoch = sp_api_views_begin(api->views);
    struct sp_buf out = SP_BUF_INIT;
    struct sp_http_body *body;
    size_t i, n = 0;

    sp_buf_adds(&out, "{\"stores\":[");
    json_array_foreach(all, i, o)
    {
        const char *ow = sp_api_store_owner(o);
        if (!sp_api_may_see(user, o) || (owner && (!ow || strcmp(ow, owner) != 0))) {
            sp_api_views_touch(api->views, o);
            continue;
        }
        if (n++)
            sp_buf_adds(&out, ",");
        sp_api_views_append(api->views, o, &out);
    }
    sp_buf_addf(&out, "],\"count\":%zu}\n", n);
    json_decref(all);
    sp_api_views_sweep(api->views, epoch);
    body = sp_http_body_new(out.data, out.len, "application/json");
    sp_buf_release(&out);
    return body;
}

/*
 * Lists are answered with a body built once per cache generation and key
 * (api_views.h): while no Store changes, a request renders nothing and
 * copies nothing, whoever asks.
 */
static void list(struct sp_api *api, struct sp_http_req *r)
{
    const struct sp_api_list_key key = {
        .all = r->user.role == SP_ROLE_ADMIN,
        .user = r->user.name,
        .owner = sp_http_query(r, "owner"),
    };
    struct sp_http_body *body;
    uint64_t gen;

    body = sp_api_views_list_get(api->views, &key, &gen);
    if (!body) {
        body = render_list(api, &r->user, key.owner);
        sp_api_views_list_put(api->views, &key, gen, sp_http_body_ref(body));
    }
    sp_http_shared(r, 200, body);
}

static void get(struct sp_api *api, struct sp_http_req *r)
{
    json_t *obj = visible(api, r);
    if (!obj)
        return;
    r->status = 200;
    r->content_type = "application/json";
    sp_buf_reset(&r->out);
    sp_api_views_append(api->views, obj, &r->out);
    sp_buf_adds(&r->out, "\n");
    json_decref(obj);
}

/* An existing store with the requested name: same request again (200) or a conflict (409). */
static void existing(struct sp_http_req *r, const struct sp_create_req *cr, const json_t *obj)
{
    const char *owner = sp_api_store_owner(obj);
    bool mine = owner && strcmp(owner, r->user.name) == 0;

    if (mine && json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp"))
        sp_http_error(r, 409, "conflict", "name",
                      "store '%s' is being deleted; create it again once it is gone", cr->name);
    else if (mine && sp_create_req_matches(cr, r->user.name, obj))
        sp_http_json(r, 200, sp_api_store_view(obj));
    else if (mine)
        sp_http_error(r, 409, "conflict", "name",
                      "you already have a store named '%s' with a different engine, display "
                      "name or plan",
                      cr->name);
    else
        sp_http_error(r, 409, "name_taken", "name", "the name '%s' is taken; pick another",
                      cr->name);
}

static void create(struct sp_api *api, struct sp_http_req *r)
{
    struct sp_create_req cr;
    struct sp_req_error e;
    json_t *obj = NULL, *created = NULL, *seen;
    size_t used;
    enum sp_err err;

    err = sp_create_req_parse(r->body.data, r->body.len, api->engines, &cr, &e);
    if (err) {
        sp_http_error(r, 400, e.code, e.field, "%s", sp_errmsg());
        return;
    }
    r->audit_store = sp_strdup(cr.name);
    pthread_mutex_lock(&api->create_lock);
    seen = sp_cache_get(api->cache, cr.name);
    if (seen) {
        existing(r, &cr, seen);
        goto out;
    }
    used = owned_by(api, r->user.name);
    if (api->cfg.max_stores_per_user >= 0 && used >= (size_t)api->cfg.max_stores_per_user) {
        sp_http_error(r, 403, "quota_exceeded", NULL,
                      "store limit reached: %zu of %d stores used (max_stores_per_user); "
                      "delete one first",
                      used, api->cfg.max_stores_per_user);
        goto out;
    }
    obj = sp_create_req_store(&cr, r->user.name);
    if (api->cfg.controller_class) /* so this replica's own controller class reconciles it */
        json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "labels"),
                            SP_CLASS_LABEL, json_string(api->cfg.controller_class));
    err = sp_kube_create(api->kube, SP_STORES_PATH, obj, &created);
    if (err == SP_E_CONFLICT) {
        /* created meanwhile (another replica, or the cache is behind): ask the source */
        char *path = sp_asprintf("%s/%s", SP_STORES_PATH, cr.name);
        err = sp_kube_get(api->kube, path, &seen);
        free(path);
        if (!err)
            existing(r, &cr, seen);
        else
            sp_http_error(r, 409, "name_taken", "name", "the name '%s' is taken", cr.name);
        goto out;
    }
    if (err) {
        upstream_error(r, err, "create");
        goto out;
    }
    sp_info(cr.name, "api", "store created by %s", r->user.name);
    for (int64_t deadline = sp_now_ms() + api->cfg.create_wait_ms;
         !(seen = sp_cache_get(api->cache, cr.name)) && sp_now_ms() < deadline;)
        sp_sleep_ms(20);
    /* the cache may not have told its subscribers yet: the client's next list must show it */
    sp_api_views_invalidate(api->views);
    {
        char *loc = sp_asprintf("/api/v1/stores/%s", cr.name);
        sp_http_header(r, "Location", loc);
        free(loc);
    }
    sp_http_json(r, 201, sp_api_store_view(seen ? seen : created));
out:
    pthread_mutex_unlock(&api->create_lock);
    json_decref(seen);
    json_decref(created);
    json_decref(obj);
    sp_create_req_release(&cr);
}

static void delete (struct sp_api *api, struct sp_http_req *r)
{
    json_t *obj = visible(api, r), *view;
    char *path;
    enum sp_err err = SP_OK;

    if (!obj)
        return;
    view = sp_api_store_view(obj);
    if (!json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp")) {
        path = sp_asprintf("%s/%s", SP_STORES_PATH, r->name);
        err = sp_kube_delete(api->kube, path, "Background", NULL);
        free(path);
        if (err == SP_E_NOTFOUND)
            err = SP_OK; /* gone already: the wish is fulfilled */
        if (!err)
            sp_info(r->name, "api", "store deletion requested by %s", r->user.name);
    }
    if (err) {
        upstream_error(r, err, "delete");
    } else {
        json_object_set_new(view, "phase", json_string("Deleting"));
        json_object_set_new(view, "deleting", json_true());
        sp_http_json(r, 202, json_incref(view));
    }
    json_decref(view);
    json_decref(obj);
}

static void retry(struct sp_api *api, struct sp_http_req *r)
{
    json_t *obj = visible(api, r), *patch;
    const char *phase;
    char *path, value[64];
    enum sp_err err;

    if (!obj)
        return;
    phase = json_string_value(json_object_get(json_object_get(obj, "status"), "phase"));
    if (!phase || strcmp(phase, "Failed") != 0 ||
        json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp")) {
        sp_http_error(r, 409, "not_failed", "phase",
                      "only a Failed store can be retried; '%s' is %s", r->name,
                      phase && *phase ? phase : "Pending");
        json_decref(obj);
        return;
    }
    snprintf(value, sizeof(value), "%lld", (long long)sp_wall_ms());
    patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", SP_RETRY_ANNOTATION, value);
    path = sp_asprintf("%s/%s", SP_STORES_PATH, r->name);
    err = sp_kube_merge_patch(api->kube, path, patch, NULL);
    free(path);
    json_decref(patch);
    if (err) {
        upstream_error(r, err, "retry");
    } else {
        json_t *view = sp_api_store_view(obj);
        sp_info(r->name, "api", "retry requested by %s", r->user.name);
        json_object_set_new(view, "phase", json_string("Pending"));
        sp_http_json(r, 202, view);
    }
    json_decref(obj);
}

/* ---- suspend and resume ------------------------------------------------------------ */

/* The cached Store shows spec.suspended == want (or is gone), or the wait ran out. */
static void wait_for_cache(struct sp_api *api, const char *name, bool want)
{
    for (int64_t deadline = sp_now_ms() + api->cfg.create_wait_ms;;) {
        json_t *o = sp_cache_get(api->cache, name);
        bool seen =
            !o || json_is_true(json_object_get(json_object_get(o, "spec"), "suspended")) == want;
        json_decref(o);
        if (seen || sp_now_ms() >= deadline)
            return;
        sp_sleep_ms(20);
    }
}

/* No body, white space, or an empty JSON object. */
static bool empty_body(const struct sp_http_req *r)
{
    json_t *v;
    bool empty;
    size_t i = 0;

    while (i < r->body.len && r->body.data[i] && strchr(" \t\r\n", r->body.data[i]))
        i++;
    if (i == r->body.len)
        return true;
    v = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, NULL);
    empty = json_is_object(v) && json_object_size(v) == 0;
    json_decref(v);
    return empty;
}

/*
 * POST /stores/{name}/suspend and /resume (suspend.h decides): 202 when
 * spec.suspended was written, 200 when the store already is (or is becoming)
 * what was asked, 409 naming the phase otherwise.
 */
static void suspension(struct sp_api *api, struct sp_http_req *r, enum sp_suspend_op op)
{
    json_t *obj = visible(api, r), *fresh = NULL, *patched = NULL, *patch;
    const bool want = op == SP_OP_SUSPEND;
    const char *what = want ? "suspend" : "resume";
    struct sp_store s;
    char *path, why[300];
    enum sp_suspend_answer answer;
    enum sp_err err;

    if (!obj)
        return;
    if (!empty_body(r)) {
        sp_http_error(r, 400, "invalid", "body", "%s takes no body (or {}); nothing was changed",
                      what);
        json_decref(obj);
        return;
    }
    path = sp_asprintf("%s/%s", SP_STORES_PATH, r->name);
    for (int attempt = 0;; attempt++) {
        json_decref(fresh);
        fresh = NULL;
        err = sp_kube_get(api->kube, path, &fresh);
        if (err == SP_E_NOTFOUND) {
            sp_http_error(r, 404, "not_found", "name", "no store named '%s'", r->name);
            goto out;
        }
        if (!err)
            err = sp_store_from_json(fresh, &s);
        if (err) {
            upstream_error(r, err, what);
            goto out;
        }
        answer = sp_suspend_decide(op, &s, why, sizeof(why));
        if (answer != SP_SUSPEND_CHANGE) {
            if (answer == SP_SUSPEND_ALREADY)
                sp_http_json(r, 200, sp_api_store_view(fresh));
            else
                sp_http_error(r, 409,
                              s.deleting ? "deleting"
                              : want     ? "not_ready"
                                         : "not_suspended",
                              "phase", "%s", why);
            sp_store_release(&s);
            goto out;
        }
        patch = json_pack("{s:{s:b}, s:{s:s}}", "spec", "suspended", want, "metadata",
                          "resourceVersion", s.resource_version ? s.resource_version : "");
        sp_store_release(&s);
        err = sp_kube_merge_patch(api->kube, path, patch, &patched);
        json_decref(patch);
        if (err != SP_E_CONFLICT || attempt == 2)
            break;
    }
    if (err == SP_E_CONFLICT) {
        sp_http_error(r, 409, "conflict", "name",
                      "store '%s' keeps changing; try to %s it again shortly", r->name, what);
        goto out;
    }
    if (err) {
        upstream_error(r, err, what);
        goto out;
    }
    sp_info(r->name, "api", "%s requested by %s", what, r->user.name);
    wait_for_cache(api, r->name, want);
    sp_api_views_invalidate(api->views);
    sp_http_json(r, 202, sp_api_store_view(patched));
out:
    json_decref(patched);
    json_decref(fresh);
    json_decref(obj);
    free(path);
}

static void suspend(struct sp_api *api, struct sp_http_req *r)
{
    suspension(api, r, SP_OP_SUSPEND);
}

static void resume(struct sp_api *api, struct sp_http_req *r)
{
    suspension(api, r, SP_OP_RESUME);
}

/* ---- activity ------------------------------------------------------------------------ */

static void add_item(json_t *items, const char *time, const char *source, json_t *o)
{
    int64_t ms = 0;
    if (!time || !sp_time_parse(time, &ms)) {
        json_decref(o);
        return;
    }
    json_object_set_new(o, "time", json_string(time));
    json_object_set_new(o, "source", json_string(source));
    json_object_set_new(o, "ms", json_integer(ms));
    json_array_append_new(items, o);
}

static int by_time(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "ms"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "ms"));
    return x < y ? -1 : x > y;
}

static void activity(struct sp_api *api, struct sp_http_req *r)
{
    json_t *obj = visible(api, r), *items, *v, *evs = NULL, *audit, *sorted;
    const char *uid;
    char *path, *sel;
    json_t **vec;
    size_t i, n;

    if (!obj)
        return;
    items = json_array();
    uid = json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
    json_array_foreach(json_object_get(json_object_get(obj, "status"), "activity"), i, v)
    {
        add_item(items, json_string_value(json_object_get(v, "time")), "status",
                 json_pack("{s:O?}", "message", json_object_get(v, "message")));
    }
    sel = sp_asprintf("involvedObject.kind=Store,involvedObject.name=%s", r->name);
    {
        char *esc = sp_kube_escape(sel);
        path = sp_asprintf("/api/v1/namespaces/default/events?fieldSelector=%s", esc);
        free(esc);
    }
    if (sp_kube_get(api->kube, path, &evs) == SP_OK) {
        json_array_foreach(json_object_get(evs, "items"), i, v)
        {
            const json_t *io = json_object_get(v, "involvedObject");
            const char *euid = json_string_value(json_object_get(io, "uid"));
            const char *t = json_string_value(json_object_get(v, "lastTimestamp"));
            if (uid && euid && strcmp(uid, euid) != 0)
                continue; /* an earlier store of the same name */
            if (!t)
                t = json_string_value(json_object_get(v, "eventTime"));
            if (!t)
                t = json_string_value(
                    json_object_get(json_object_get(v, "metadata"), "creationTimestamp"));
            add_item(items, t, "kubernetes",
                     json_pack("{s:O?, s:O?, s:O?, s:O?}", "type", json_object_get(v, "type"),
                               "reason", json_object_get(v, "reason"), "message",
                               json_object_get(v, "message"), "count",
                               json_object_get(v, "count")));
        }
    }
    free(path);
    free(sel);
    json_decref(evs);
    /* audit lines: a user sees only their own, an admin everyone's */
    audit =
        sp_audit_list(api->audit, r->name, r->user.role == SP_ROLE_ADMIN ? NULL : r->user.name, 50);
    json_array_foreach(audit, i, v)
    {
        add_item(items, json_string_value(json_object_get(v, "time")), "audit",
                 json_pack("{s:O?, s:O?, s:O?, s:O?}", "user", json_object_get(v, "user"), "action",
                           json_object_get(v, "action"), "result", json_object_get(v, "result"),
                           "status", json_object_get(v, "status")));
    }
    json_decref(audit);
    n = json_array_size(items);
    /* NOLINTBEGIN(bugprone-sizeof-expression): an array of json_t pointers */
    vec = sp_calloc(n + 1, sizeof(*vec));
    for (i = 0; i < n; i++)
        vec[i] = json_incref(json_array_get(items, i));
    qsort(vec, n, sizeof(*vec), by_time);
    /* NOLINTEND(bugprone-sizeof-expression) */
    sorted = json_array();
    for (i = 0; i < n; i++) {
        json_object_del(vec[i], "ms");
        json_array_append_new(sorted, vec[i]);
    }
    free(vec);
    json_decref(items);
    sp_http_json(r, 200, json_pack("{s:s, s:o}", "name", r->name, "events", sorted));
    json_decref(obj);
}

/* ---- credentials --------------------------------------------------------------------- */

/* A Secret's base64 value as a new string, or NULL when empty, too long or not base64. */
static char *unbase64(const char *b64)
{
    struct sp_buf b = SP_BUF_INIT;

    if (!*b64 || strlen(b64) > 4096 || sp_base64_decode(b64, &b) != SP_OK) {
        sp_buf_release(&b);
        return NULL;
    }
    return sp_buf_detach(&b);
}

/* The key of e's Secret ending in suffix ("admin-password"), or NULL. */
static const char *secret_key(const struct sp_engine *e, const char *suffix)
{
    const char *k;
    json_t *v;
    size_t sl = strlen(suffix);
    json_object_foreach(e->secret, k, v)
    {
        size_t kl = strlen(k);
        if (kl >= sl && strcmp(k + kl - sl, suffix) == 0)
            return k;
    }
    return NULL;
}

static void credentials(struct sp_api *api, struct sp_http_req *r)
{
    json_t *obj = visible(api, r), *secret = NULL, *data, *out;
    const struct sp_engine *e;
    const char *engine, *keys[3], *names[3] = {"user", "password", "email"};
    char *path;
    enum sp_err err;

    if (!obj)
        return;
    engine = json_string_value(json_object_get(json_object_get(obj, "spec"), "engine"));
    e = engine ? sp_engines_find(api->engines, engine) : NULL;
    keys[0] = e ? secret_key(e, "admin-user") : NULL;
    keys[1] = e ? secret_key(e, "admin-password") : NULL;
    keys[2] = e ? secret_key(e, "admin-email") : NULL;
    if (!keys[0] || !keys[1]) {
        sp_http_error(r, 404, "not_found", NULL, "this store's engine has no admin login");
        json_decref(obj);
        return;
    }
    {
        char *ns = sp_store_namespace(r->name), *name = sp_store_secret_name(r->name);
        path = sp_asprintf("/api/v1/namespaces/%s/secrets/%s", ns, name);
        free(ns);
        free(name);
    }
    err = sp_kube_get(api->kube, path, &secret);
    free(path);
    if (err == SP_E_NOTFOUND) {
        sp_http_error(r, 409, "not_ready", NULL,
                      "the credentials of '%s' are not created yet; try again shortly", r->name);
    } else if (err) {
        upstream_error(r, err, "credentials");
    } else {
        data = json_object_get(secret, "data");
        out = json_object();
        json_object_set_new(out, "name", json_string(r->name));
        for (int i = 0; i < 3; i++) {
            char *v =
                keys[i] ? unbase64(json_string_value(json_object_get(data, keys[i])) ?: "") : NULL;
            json_object_set_new(out, names[i], v ? json_string(v) : json_null());
            if (v) {
                OPENSSL_cleanse(v, strlen(v));
                free(v);
            }
        }
        {
            json_t *u = json_object_get(json_object_get(obj, "status"), "adminUrl");
            json_object_set(out, "adminUrl", u ? u : json_null());
        }
        sp_http_json(r, 200, out);
    }
    json_decref(secret);
    json_decref(obj);
}

const struct sp_route sp_api_stores_routes[] = {
    {"GET", "/api/v1/stores", list, SP_ROUTE_AUTH, NULL},
    {"POST", "/api/v1/stores", create, SP_ROUTE_AUTH | SP_ROUTE_WRITE, "store.create"},
    {"GET", "/api/v1/stores/{name}", get, SP_ROUTE_AUTH, NULL},
    {"DELETE", "/api/v1/stores/{name}", delete, SP_ROUTE_AUTH | SP_ROUTE_WRITE, "store.delete"},
    {"POST", "/api/v1/stores/{name}/retry", retry, SP_ROUTE_AUTH | SP_ROUTE_WRITE, "store.retry"},
    {"POST", "/api/v1/stores/{name}/suspend", suspend, SP_ROUTE_AUTH | SP_ROUTE_WRITE,
     "store.suspend"},
    {"POST", "/api/v1/stores/{name}/resume", resume, SP_ROUTE_AUTH | SP_ROUTE_WRITE,
     "store.resume"},
    {"GET", "/api/v1/stores/{name}/events", activity, SP_ROUTE_AUTH, NULL},
    {"GET", "/api/v1/stores/{name}/credentials", credentials, SP_ROUTE_AUTH | SP_ROUTE_AUDIT,
     "store.credentials"},
    {NULL, NULL, NULL, 0, NULL},
};
