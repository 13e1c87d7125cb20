/*
 * Rendered store views: the compact JSON of sp_api_store_view() for each
 * Store, made once per object version (name + metadata.resourceVersion) and
 * reused by every GET /api/v1/stores and GET /api/v1/stores/{name} until the
 * Store changes. The cache hands out immutable objects, so a view of a given
 * version never changes; rendering 200 views and dumping them on every list
 * request was most of the time a list took.
 *
 * The table is an array sorted by name under one mutex (held while a view is
 * looked up, rendered or copied into a response). Entries of Stores that are
 * gone are swept by sp_api_views_sweep() (called by the list route, which
 * sees every name). An object without a resourceVersion is rendered every
 * time and never stored.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"

struct view {
    char *name;
    char *rv;
    char *json; /* compact, without a trailing newline */
    size_t len;
    uint64_t seen; /* sweep epoch of the last list that saw the name */
};

struct sp_api_views {
    pthread_mutex_t lock;
    struct view *v; /* sorted by name */
    size_t n, cap;
    uint64_t epoch;
};

struct sp_api_views *sp_api_views_new(void)
{
    struct sp_api_views *vs = sp_calloc(1, sizeof(*vs));
    pthread_mutex_init(&vs->lock, NULL);
    return vs;
}

static void view_release(struct view *v)
{
    free(v->name);
    free(v->rv);
    free(v->json);
}

void sp_api_views_free(struct sp_api_views *vs)
{
    if (!vs)
        return;
    for (size_t i = 0; i < vs->n; i++)
        view_release(&vs->v[i]);
    free(vs->v);
    pthread_mutex_destroy(&vs->lock);
    free(vs);
}

/* Index of name, or where it would be inserted (*found false). Lock held. */
static size_t find(const struct sp_api_views *vs, const char *name, bool *found)
{
    size_t lo = 0, hi = vs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(vs->v[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void render_into(const json_t *obj, struct sp_buf *out)
{
    json_t *view = sp_api_store_view(obj);
    char *s = json_dumps(view, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(view);
    if (s)
        sp_buf_adds(out, s);
    free(s);
}

void sp_api_views_append(struct sp_api_views *vs, const json_t *obj, struct sp_buf *out)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    struct view *v;
    bool found;
    size_t i;

    if (!name || !rv || !*rv) {
        render_into(obj, out);
        return;
    }
    pthread_mutex_lock(&vs->lock);
    i = find(vs, name, &found);
    if (!found) {
        if (vs->n == vs->cap) {
            vs->cap = vs->cap ? vs->cap * 2 : 64;
            vs->v = sp_realloc(vs->v, vs->cap * sizeof(*vs->v));
        }
        memmove(&vs->v[i + 1], &vs->v[i], (vs->n - i) * sizeof(*vs->v));
        vs->n++;
        vs->v[i] = (struct view){.name = sp_strdup(name)};
    }
    v = &vs->v[i];
    v->seen = vs->epoch;
    if (!v->rv || strcmp(v->rv, rv) != 0) {
        struct sp_buf b = SP_BUF_INIT;
        render_into(obj, &b);
        free(v->rv);
        free(v->json);
        v->rv = sp_strdup(rv);
        v->len = b.len;
        v->json = b.data ? b.data : sp_strdup("");
    }
    sp_buf_add(out, v->json, v->len);
    pthread_mutex_unlock(&vs->lock);
}

void sp_api_views_touch(struct sp_api_views *vs, const json_t *obj)
{
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    bool found;
    size_t i;

    if (!name)
        return;
    pthread_mutex_lock(&vs->lock);
    i = find(vs, name, &found);
    if (found)
        vs->v[i].seen = vs->epoch;
    pthread_mutex_unlock(&vs->lock);
}

uint64_t sp_api_views_begin(struct sp_api_views *vs)
{
    uint64_t e;
    pthread_mutex_lock(&vs->lock);
    e = ++vs->epoch;
    pthread_mutex_unlock(&vs->lock);
    return e;
}

size_t sp_api_views_sweep(struct sp_api_views *vs, uint64_t epoch)
{
    size_t kept = 0;
    pthread_mutex_lock(&vs->lock);
    /* another list began meanwhile: its own sweep will do it */
    if (epoch == vs->epoch) {
        for (size_t i = 0; i < vs->n; i++) {
            if (vs->v[i].seen == epoch)
                vs->v[kept++] = vs->v[i];
            else
                view_release(&vs->v[i]);
        }
        vs->n = kept;
    }
    kept = vs->n;
    pthread_mutex_unlock(&vs->lock);
    return kept;
}

size_t sp_api_views_count(struct sp_api_views *vs)
{
    size_t n;
    pthread_mutex_lock(&vs->lock);
    n = vs->n;
    pthread_mutex_unlock(&vs->lock);
    return n;
}
