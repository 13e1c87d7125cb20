/*
 * Namespace watches (see nswatch.h). The live entries form a list guarded by
 * one mutex; an entry holds one struct sp_cache per watched collection. The
 * reaper thread wakes every second (or when signalled), moves expired and
 * dropped entries off the live list under the lock, then frees their caches
 * outside it (sp_cache_free() waits for the cache thread, which notices the
 * stop within about a second).
 */
#include "nswatch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* The collections the readiness checks read (reconcile.c check_workloads()). */
static const struct {
    const char *api, *kind;
} kinds[] = {
    {"/apis/batch/v1", "jobs"},
    {"/api/v1", "persistentvolumeclaims"},
    {"/apis/apps/v1", "deployments"},
    {"/apis/apps/v1", "statefulsets"},
    {"/api/v1", "pods"},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

struct entry {
    struct sp_nswatch *w;
    char *store;
    char *ns;
    int64_t expires_ms; /* monotonic; w->lock */
    bool dropped;       /* w->lock; a dropped entry is never found again */
    struct sp_cache *caches[N_KINDS];
    struct entry *next;
};

struct sp_nswatch {
    struct sp_kube *k;
    sp_kick_fn kick;
    void *ud;
    pthread_mutex_t lock; /* guards live, n_live, stop; with cond wakes the reaper */
    pthread_cond_t cond;
    struct entry *live;
    size_t n_live;
    bool stop;
    pthread_t reaper;
    struct sp_metric *m_watched;
};

static void on_change(void *ud, const char *type, const json_t *obj)
{
    struct entry *e = ud;
    (void)type;
    (void)obj;
    if (e->w->kick)
        e->w->kick(e->w->ud, e->store);
}

static void entry_free(struct entry *e)
{
    for (size_t i = 0; i < N_KINDS; i++)
        sp_cache_free(e->caches[i]);
    free(e->store);
    free(e->ns);
    free(e);
}

/*
 * Frees a list of entries: every watch is told to stop first, then each is
 * joined, so the list takes about a second, not a second per watch (200
 * namespaces of 5 watches took minutes to stop one after the other).
 */
static void entries_free(struct entry *dead, bool say)
{
    for (struct entry *e = dead; e; e = e->next)
        for (size_t i = 0; i < N_KINDS; i++)
            sp_cache_stop(e->caches[i]);
    while (dead) {
        struct entry *next = dead->next;
        if (say)
            sp_debug(dead->store, "nswatch", "stopped watching %s", dead->ns);
        entry_free(dead);
        dead = next;
    }
}

/* Unlinks the entries that expired (or all when everything) and returns them. */
static struct entry *take_expired(struct sp_nswatch *w, bool everything)
{
    struct entry *dead = NULL, **p = &w->live;
    int64_t now = sp_now_ms();
    while (*p) {
        struct entry *e = *p;
        if (everything || e->dropped || e->expires_ms <= now) {
            *p = e->next;
            e->next = dead;
            dead = e;
            w->n_live--;
        } else {
            p = &e->next;
        }
    }
    return dead;
}

static void *reap(void *arg)
{
    struct sp_nswatch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until;
        struct entry *dead = take_expired(w, false);
        sp_metric_set(w->m_watched, NULL, (double)w->n_live);
        pthread_mutex_unlock(&w->lock);
        entries_free(dead, true);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_mutex_lock(&w->lock);
        if (!w->stop)
            pthread_cond_timedwait(&w->cond, &w->lock, &until);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static struct sp_metric_def watched_def = {
    .name = "storeplatform_namespace_watches",
    .help = "Store namespaces watched while the controller waits for them",
    .type = SP_GAUGE};

struct sp_nswatch *sp_nswatch_new(struct sp_kube *k, sp_kick_fn kick, void *ud)
{
    struct sp_nswatch *w = sp_calloc(1, sizeof(*w));
    int rc;
    w->k = k;
    w->kick = kick;
    w->ud = ud;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->m_watched = sp_metric(&watched_def);
    rc = pthread_create(&w->reaper, NULL, reap, w);
    if (rc) {
        sp_warn(NULL, "nswatch", "no namespace watches, polling only: %s", strerror(rc));
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

void sp_nswatch_free(struct sp_nswatch *w)
{
    struct entry *dead;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->reaper, NULL);
    pthread_mutex_lock(&w->lock);
    dead = take_expired(w, true);
    pthread_mutex_unlock(&w->lock);
    entries_free(dead, false);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static struct entry *find(struct sp_nswatch *w, const char *store)
{
    int64_t now = sp_now_ms();
    for (struct entry *e = w->live; e; e = e->next)
        if (!e->dropped && e->expires_ms > now && strcmp(e->store, store) == 0)
            return e;
    return NULL;
}

void sp_nswatch_want(struct sp_nswatch *w, const char *store, const char *ns, int64_t ttl_ms)
{
    struct entry *e;
    int64_t until = sp_now_ms() + ttl_ms;

    pthread_mutex_lock(&w->lock);
    e = find(w, store);
    if (e && strcmp(e->ns, ns) == 0) {
        if (e->expires_ms < until)
            e->expires_ms = until;
        pthread_mutex_unlock(&w->lock);
        return;
    }
    if (e) /* another namespace: let the reaper take the old one */
        e->dropped = true;
    e = sp_calloc(1, sizeof(*e));
    e->w = w;
    e->store = sp_strdup(store);
    e->ns = sp_strdup(ns);
    e->expires_ms = until;
    for (size_t i = 0; i < N_KINDS; i++) {
        char *path = sp_asprintf("%s/namespaces/%s/%s", kinds[i].api, ns, kinds[i].kind);
        e->caches[i] = sp_cache_new(w->k, path, NULL);
        free(path);
        sp_cache_subscribe(e->caches[i], (struct sp_cache_subscriber){.fn = on_change, .ud = e});
    }
    e->next = w->live;
    w->live = e;
    w->n_live++;
    for (size_t i = 0; i < N_KINDS; i++)
        if (sp_cache_start(e->caches[i]) != SP_OK) {
            /* no thread: the entry is useless, the caller lists from the API server */
            sp_warn(store, "nswatch", "cannot watch %s: %s", ns, sp_errmsg());
            e->dropped = true;
            break;
        }
    sp_metric_set(w->m_watched, NULL, (double)w->n_live);
    pthread_mutex_unlock(&w->lock);
    sp_debug(store, "nswatch", "watching %s", ns);
}

void sp_nswatch_drop(struct sp_nswatch *w, const char *store)
{
    struct entry *e;
    pthread_mutex_lock(&w->lock);
    for (e = w->live; e; e = e->next)
        if (strcmp(e->store, store) == 0)
            e->dropped = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

json_t *sp_nswatch_items(struct sp_nswatch *w, const char *store, const char *api, const char *kind)
{
    json_t *items = NULL;
    struct entry *e;
    size_t i;

    for (i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i].api, api) == 0 && strcmp(kinds[i].kind, kind) == 0)
            break;
    if (i == N_KINDS)
        return NULL;
    pthread_mutex_lock(&w->lock);
    e = find(w, store);
    if (e && sp_cache_synced(e->caches[i]))
        items = sp_cache_list(e->caches[i]);
    pthread_mutex_unlock(&w->lock);
    return items;
}

size_t sp_nswatch_count(struct sp_nswatch *w)
{
    size_t n;
    pthread_mutex_lock(&w->lock);
    n = w->n_live;
    pthread_mutex_unlock(&w->lock);
    return n;
}
