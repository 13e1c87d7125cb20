/*
 * Rendered store views and list answers (see api_views.h).
 *
 * Views: the compact JSON of sp_api_store_view() for each Store, made once
 * per object version (name + metadata.resourceVersion) and reused until the
 * Store changes. The cache hands out immutable objects, so a view of a given
 * version never changes. The table is an array sorted by name under one
 * mutex (held while a view is looked up, rendered or copied into a
 * response). Entries of Stores that are gone are swept by
 * sp_api_views_sweep() (called when a list answer is built, which sees every
 * name). An object without a resourceVersion is rendered every time and
 * never stored.
 *
 * List answers: even from rendered views, building a list cost ~200 us of
 * CPU per request with 200 stores (listing and sorting the cache's objects,
 * one lock round trip per view, growing a 44 KB buffer), and with a thread
 * per connection on 2 cores the threads queued on the views mutex. Now a
 * list is built once per generation and key; a request only takes a
 * reference to the body under lists_lock held for reading (a scan of at most
 * MAX_LISTS keys), so requests do not wait for each other. A body is stored
 * under the generation read before its build began: it holds at least every
 * change up to that generation, and a change during the build only makes it
 * stale sooner.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api_views.h"

#include "http.h"
#include "util.h"

#define MAX_LISTS  32                        /* list answers kept */
#define LIST_BYTES ((size_t)2 * 1024 * 1024) /* their total size */

struct view {
    char *name;
    char *rv;
    char *json; /* compact, without a trailing newline */
    size_t len;
    uint64_t seen; /* sweep epoch of the last list that saw the name */
};

struct list {
    bool all;
    char *user;  /* owned; NULL when all */
    char *owner; /* owned; NULL: no filter */
    uint64_t gen;
    atomic_uint_fast64_t used; /* lists_clock when last handed out */
    struct sp_http_body *body;
};

struct sp_api_views {
    pthread_mutex_t lock; /* guards the views below */
    struct view *v;       /* sorted by name */
    size_t n, cap;
    uint64_t epoch;

    atomic_uint_fast64_t gen;    /* moves on every change of the cache */
    pthread_rwlock_t lists_lock; /* guards the lists below (read: look up and take a body) */
    struct list lists[MAX_LISTS];
    size_t n_lists;
    size_t list_bytes;
    atomic_uint_fast64_t lists_clock;
};

struct sp_api_views *sp_api_views_new(void)
{
    struct sp_api_views *vs = sp_calloc(1, sizeof(*vs));
    pthread_mutex_init(&vs->lock, NULL);
    pthread_rwlock_init(&vs->lists_lock, NULL);
    atomic_init(&vs->gen, 1);
    atomic_init(&vs->lists_clock, 0);
    return vs;
}

static void list_release(struct list *l)
{
    free(l->user);
    free(l->owner);
    sp_http_body_unref(l->body);
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
    for (size_t i = 0; i < vs->n_lists; i++)
        list_release(&vs->lists[i]);
    pthread_mutex_destroy(&vs->lock);
    pthread_rwlock_destroy(&vs->lists_lock);
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

/* ---- list answers ------------------------------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The list of key, or NULL. lists_lock held (read or write). */
static struct list *list_find(struct sp_api_views *vs, const struct sp_api_list_key *key)
{
    for (size_t i = 0; i < vs->n_lists; i++) {
        struct list *l = &vs->lists[i];
        if (l->all == key->all && (key->all || same_str(l->user, key->user)) &&
            same_str(l->owner, key->owner))
            return l;
    }
    return NULL;
}

/* Drops list i. lists_lock held for writing. */
static void list_drop(struct sp_api_views *vs, size_t i)
{
    struct list *l = &vs->lists[i], *last = &vs->lists[--vs->n_lists];
    vs->list_bytes -= sp_http_body_len(l->body);
    list_release(l);
    if (l != last) {
        l->all = last->all;
        l->user = last->user;
        l->owner = last->owner;
        l->gen = last->gen;
        atomic_store(&l->used, atomic_load(&last->used));
        l->body = last->body;
    }
}

/*
 * The list to drop first: a stale one, else the least recently used.
 * lists_lock held for writing, n_lists > 0.
 */
static size_t list_victim(struct sp_api_views *vs, uint64_t now)
{
    size_t v = 0;
    for (size_t i = 0; i < vs->n_lists; i++) {
        if (vs->lists[i].gen != now)
            return i;
        if (atomic_load(&vs->lists[i].used) < atomic_load(&vs->lists[v].used))
            v = i;
    }
    return v;
}

struct sp_http_body *sp_api_views_list_get(struct sp_api_views *vs,
                                           const struct sp_api_list_key *key, uint64_t *gen)
{
    struct sp_http_body *b = NULL;
    struct list *l;

    *gen = atomic_load(&vs->gen);
    pthread_rwlock_rdlock(&vs->lists_lock);
    l = list_find(vs, key);
    if (l && l->gen == *gen) {
        atomic_store_explicit(&l->used, atomic_fetch_add(&vs->lists_clock, 1) + 1,
                              memory_order_relaxed);
        b = sp_http_body_ref(l->body);
    }
    pthread_rwlock_unlock(&vs->lists_lock);
    return b;
}

void sp_api_views_list_put(struct sp_api_views *vs, const struct sp_api_list_key *key, uint64_t gen,
                           struct sp_http_body *body)
{
    size_t len = sp_http_body_len(body);
    struct list *l;

    if (len > LIST_BYTES / 4) { /* served, not kept: a few of them would fill the budget */
        sp_http_body_unref(body);
        return;
    }
    pthread_rwlock_wrlock(&vs->lists_lock);
    l = list_find(vs, key);
    if (l && l->gen >= gen) { /* another request built it meanwhile, as fresh or fresher */
        pthread_rwlock_unlock(&vs->lists_lock);
        sp_http_body_unref(body);
        return;
    }
    if (l)
        list_drop(vs, (size_t)(l - vs->lists));
    while (vs->n_lists && (vs->n_lists == MAX_LISTS || vs->list_bytes + len > LIST_BYTES))
        list_drop(vs, list_victim(vs, atomic_load(&vs->gen)));
    l = &vs->lists[vs->n_lists++];
    l->all = key->all;
    l->user = key->all || !key->user ? NULL : sp_strdup(key->user);
    l->owner = key->owner ? sp_strdup(key->owner) : NULL;
    l->gen = gen;
    atomic_init(&l->used, atomic_fetch_add(&vs->lists_clock, 1) + 1);
    l->body = body;
    vs->list_bytes += len;
    pthread_rwlock_unlock(&vs->lists_lock);
}

void sp_api_views_invalidate(struct sp_api_views *vs)
{
    atomic_fetch_add(&vs->gen, 1);
}

void sp_api_views_on_change(void *ud, const char *type, const json_t *obj)
{
    (void)type;
    (void)obj;
    sp_api_views_invalidate(ud);
}

size_t sp_api_views_list_count(struct sp_api_views *vs)
{
    size_t n;
    pthread_rwlock_rdlock(&vs->lists_lock);
    n = vs->n_lists;
    pthread_rwlock_unlock(&vs->lists_lock);
    return n;
}

/* ---- the view of one Store: what clients see ----------------------------------------- */

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
    copy(v, "suspendedAt", st, "suspendedAt");
    copy(v, "resumedAt", st, "resumedAt");
    json_object_set_new(v, "suspended",
                        json_boolean(json_is_true(json_object_get(spec, "suspended"))));
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
