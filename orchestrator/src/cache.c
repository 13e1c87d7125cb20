/*
 * The watch-fed cache (see cache.h). One thread runs LIST then WATCH in a
 * loop. A read-write lock guards the map and the resource version; the map
 * only ever holds objects nobody modifies, so readers can keep references
 * after the lock is released.
 *
 * A watch the server ends (its timeoutSeconds) is resumed from the last
 * resourceVersion. A watch that fails (the API server went away, answered an
 * error) leaves the cache out of sync: whatever changed meanwhile is learned
 * by listing again, and until that list succeeds sp_cache_synced() is false,
 * so /readyz does not call a stale cache ready.
 */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define MAX_SUBSCRIBERS  8
#define WATCH_HEALTHY_MS 10000 /* a watch that lasted this long was connected */

struct sp_cache {
    struct sp_kube *k;
    char *path;
    char *selector;        /* label selector, or NULL */
    pthread_rwlock_t lock; /* guards objects, rv, synced */
    json_t *objects;       /* name -> object */
    char *rv;
    bool synced;
    pthread_mutex_t sync_lock; /* with sync_cond: wait for the first list */
    pthread_cond_t sync_cond;
    struct sp_cache_subscriber subs[MAX_SUBSCRIBERS];
    size_t n_subs;
    pthread_t thread;
    bool started;
    atomic_bool stop;
};

struct sp_cache *sp_cache_new(struct sp_kube *k, const char *path, const char *label_selector)
{
    struct sp_cache *c = sp_calloc(1, sizeof(*c));
    c->k = k;
    c->path = sp_strdup(path);
    c->selector = label_selector && *label_selector ? sp_strdup(label_selector) : NULL;
    c->objects = json_object();
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->sync_lock, NULL);
    pthread_cond_init(&c->sync_cond, NULL);
    atomic_init(&c->stop, false);
    return c;
}

void sp_cache_subscribe(struct sp_cache *c, struct sp_cache_subscriber sub)
{
    if (c->n_subs < MAX_SUBSCRIBERS)
        c->subs[c->n_subs++] = sub;
}

static void notify(struct sp_cache *c, const char *type, const json_t *obj)
{
    for (size_t i = 0; i < c->n_subs; i++)
        c->subs[i].fn(c->subs[i].ud, type, obj);
}

static const char *name_of(const json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

static void set_rv(struct sp_cache *c, const json_t *obj)
{
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (rv) {
        free(c->rv);
        c->rv = sp_strdup(rv);
    }
}

static void set_synced(struct sp_cache *c, bool synced)
{
    pthread_mutex_lock(&c->sync_lock);
    pthread_rwlock_wrlock(&c->lock);
    c->synced = synced;
    pthread_rwlock_unlock(&c->lock);
    pthread_cond_broadcast(&c->sync_cond);
    pthread_mutex_unlock(&c->sync_lock);
}

static enum sp_err relist(struct sp_cache *c)
{
    json_t *list = NULL, *items, *obj, *old, *gone = json_array();
    size_t i;
    const char *name;
    char *esc = c->selector ? sp_kube_escape(c->selector) : NULL;
    char *url = esc ? sp_asprintf("%s?labelSelector=%s", c->path, esc) : sp_strdup(c->path);
    enum sp_err err = sp_kube_get(c->k, url, &list);

    free(esc);
    free(url);
    if (err) {
        json_decref(gone);
        return err;
    }
    items = json_object_get(list, "items");
    pthread_rwlock_wrlock(&c->lock);
    old = c->objects;
    c->objects = json_object();
    json_array_foreach(items, i, obj)
    {
        if (name_of(obj))
            json_object_set(c->objects, name_of(obj), obj);
    }
    json_object_foreach(old, name, obj)
    {
        if (!json_object_get(c->objects, name))
            json_array_append(gone, obj);
    }
    set_rv(c, list);
    pthread_rwlock_unlock(&c->lock);

    json_array_foreach(items, i, obj)
    {
        notify(c, "ADDED", obj);
    }
    json_array_foreach(gone, i, obj)
    {
        notify(c, "DELETED", obj);
    }
    set_synced(c, true);
    sp_debug(NULL, "cache", "listed %zu objects of %s", json_array_size(items), c->path);
    json_decref(old);
    json_decref(gone);
    json_decref(list);
    return SP_OK;
}

static int on_event(void *ud, const char *type, json_t *obj)
{
    struct sp_cache *c = ud;
    const char *name = name_of(obj);

    pthread_rwlock_wrlock(&c->lock);
    set_rv(c, obj);
    if (name && (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0))
        json_object_set(c->objects, name, obj);
    else if (name && strcmp(type, "DELETED") == 0)
        json_object_del(c->objects, name);
    pthread_rwlock_unlock(&c->lock);
    if (strcmp(type, "BOOKMARK") != 0)
        notify(c, type, obj);
    return atomic_load(&c->stop) ? 1 : 0;
}

static void *run(void *arg)
{
    struct sp_cache *c = arg;
    bool need_list = true;
    int64_t pause = 500;

    while (!atomic_load(&c->stop)) {
        enum sp_err err;
        char *rv;
        int64_t watched_at;
        if (need_list) {
            err = relist(c);
            if (err) {
                sp_warn(NULL, "cache", "list %s failed: %s", c->path, sp_errmsg());
                set_synced(c, false);
                goto wait;
            }
            need_list = false;
        }
        pthread_rwlock_rdlock(&c->lock);
        rv = sp_strdup(c->rv);
        pthread_rwlock_unlock(&c->lock);
        watched_at = sp_now_ms();
        err = sp_kube_watch(c->k, c->path, c->selector, rv, 240, on_event, c, &c->stop);
        free(rv);
        if (err == SP_OK) {
            pause = 500;
            continue;
        }
        if (err == SP_E_STOPPED)
            break;
        if (err == SP_E_GONE) {
            sp_info(NULL, "cache", "watch of %s expired, listing again", c->path);
            need_list = true;
            continue;
        }
        sp_warn(NULL, "cache", "watch %s failed: %s", c->path, sp_errmsg());
        if (sp_cache_synced(c))
            sp_info(NULL, "cache", "%s out of sync until listed again", c->path);
        set_synced(c, false);
        need_list = true;
        if (sp_now_ms() - watched_at >= WATCH_HEALTHY_MS)
            pause = 500; /* it had been working: a new outage, a fresh back-off */
    wait:
        for (int64_t t = 0; t < pause && !atomic_load(&c->stop); t += 100)
            sp_sleep_ms(100);
        pause = pause * 2 > 10000 ? 10000 : pause * 2;
    }
    return NULL;
}

enum sp_err sp_cache_start(struct sp_cache *c)
{
    int rc = pthread_create(&c->thread, NULL, run, c);
    if (rc)
        return sp_fail(SP_E_IO, "unable to start the cache thread: %s", strerror(rc));
    c->started = true;
    return SP_OK;
}

void sp_cache_stop(struct sp_cache *c)
{
    if (c)
        atomic_store(&c->stop, true);
}

void sp_cache_free(struct sp_cache *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    if (c->started)
        pthread_join(c->thread, NULL);
    json_decref(c->objects);
    free(c->rv);
    free(c->path);
    free(c->selector);
    pthread_rwlock_destroy(&c->lock);
    pthread_mutex_destroy(&c->sync_lock);
    pthread_cond_destroy(&c->sync_cond);
    free(c);
}

bool sp_cache_synced(struct sp_cache *c)
{
    bool s;
    pthread_rwlock_rdlock(&c->lock);
    s = c->synced;
    pthread_rwlock_unlock(&c->lock);
    return s;
}

bool sp_cache_wait_synced(struct sp_cache *c, int64_t timeout_ms)
{
    int64_t deadline = sp_now_ms() + timeout_ms;
    while (!sp_cache_synced(c) && sp_now_ms() < deadline)
        sp_sleep_ms(50);
    return sp_cache_synced(c);
}

json_t *sp_cache_get(struct sp_cache *c, const char *name)
{
    json_t *o;
    pthread_rwlock_rdlock(&c->lock);
    o = json_incref(json_object_get(c->objects, name));
    pthread_rwlock_unlock(&c->lock);
    return o;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(name_of(*(json_t *const *)a), name_of(*(json_t *const *)b));
}

json_t *sp_cache_list(struct sp_cache *c)
{
    json_t **v, *o, *arr = json_array();
    const char *name;
    size_t n = 0;

    pthread_rwlock_rdlock(&c->lock);
    v = sp_calloc(json_object_size(c->objects) + 1, sizeof(json_t *));
    json_object_foreach(c->objects, name, o)
    {
        v[n++] = json_incref(o);
    }
    pthread_rwlock_unlock(&c->lock);
    qsort(v, n, sizeof(json_t *), by_name);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
    return arr;
}

size_t sp_cache_count(struct sp_cache *c)
{
    size_t n;
    pthread_rwlock_rdlock(&c->lock);
    n = json_object_size(c->objects);
    pthread_rwlock_unlock(&c->lock);
    return n;
}
