/*
 * The controller loop (see controller.h). Threads: N workers blocking in
 * sp_queue_get() (and on the leader gate), one resync thread. The cache
 * callback only enqueues names, so the cache thread never waits on a worker.
 */
#include "controller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "store.h"
#include "util.h"

struct sp_controller {
    struct sp_reconciler *r;
    struct sp_cache *cache;
    struct sp_controller_config cfg;
    struct sp_queue *q;
    struct sp_lease *lease;
    pthread_t *workers;
    pthread_t resync;
    int started_workers;
    bool resync_started;
    atomic_bool stop;
    pthread_mutex_t gate_lock; /* with gate_cond: workers wait for leadership */
    pthread_cond_t gate_cond;
    atomic_bool leader;
    atomic_bool seeded; /* leader, and the stores already provisioning are counted */
    struct sp_metric *m_errors, *m_reconciles, *m_queue, *m_phase;
};

static struct sp_metric_def errors_def = {.name = "storeplatform_reconcile_errors_total",
                                          .help =
                                              "Reconciles that ended in an error, by error kind",
                                          .type = SP_COUNTER};
static struct sp_metric_def reconciles_def = {
    .name = "storeplatform_reconciles_total", .help = "Reconciles run", .type = SP_COUNTER};
static struct sp_metric_def queue_def = {.name = "storeplatform_queue_depth",
                                         .help = "Stores waiting in the work queue",
                                         .type = SP_GAUGE};
static struct sp_metric_def phase_def = {
    .name = "storeplatform_stores", .help = "Stores by phase", .type = SP_GAUGE};

static void on_store(void *ud, const char *type, const json_t *obj)
{
    struct sp_controller *c = ud;
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    (void)type;
    if (name)
        sp_queue_add(c->q, name);
}

/* The reconciler's kick: soon, and a burst of changes makes one look. */
static void kick(void *ud, const char *store)
{
    struct sp_controller *c = ud;
    sp_queue_add_after(c->q, store, 50);
}

static void enqueue_all(struct sp_controller *c)
{
    json_t *all = sp_cache_list(c->cache), *o;
    size_t i;
    json_array_foreach(all, i, o)
    {
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        if (name)
            sp_queue_add(c->q, name);
    }
    json_decref(all);
}

/* Metrics collector: gauges refreshed from the cache and the queue at scrape time. */
static void collect(void *ud)
{
    struct sp_controller *c = ud;
    json_t *all = sp_cache_list(c->cache), *o;
    size_t i, counts[SP_PHASE_COUNT] = {0};

    json_array_foreach(all, i, o)
    {
        const char *p = json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
        counts[p ? sp_phase_parse(p) : SP_PHASE_NONE]++;
    }
    json_decref(all);
    for (int p = 0; p < SP_PHASE_COUNT; p++) {
        char labels[64];
        sp_metric_labels(labels, sizeof(labels), "phase",
                         p == SP_PHASE_NONE ? "New" : sp_phase_name((enum sp_phase)p), NULL);
        sp_metric_set(c->m_phase, labels, (double)counts[p]);
    }
    sp_metric_set(c->m_queue, NULL, (double)sp_queue_len(c->q));
}

struct sp_controller *sp_controller_new(struct sp_reconciler *r, struct sp_cache *cache,
                                        const struct sp_controller_config *cfg)
{
    struct sp_controller *c = sp_calloc(1, sizeof(*c));
    c->r = r;
    c->cache = cache;
    c->cfg = *cfg;
    if (c->cfg.workers <= 0)
        c->cfg.workers = 4;
    if (c->cfg.resync_ms <= 0)
        c->cfg.resync_ms = 300000;
    c->q = sp_queue_new(c->cfg.backoff_ms > 0 ? c->cfg.backoff_ms : 1000,
                        c->cfg.backoff_cap_ms > 0 ? c->cfg.backoff_cap_ms : 300000);
    pthread_mutex_init(&c->gate_lock, NULL);
    pthread_cond_init(&c->gate_cond, NULL);
    atomic_init(&c->stop, false);
    atomic_init(&c->leader, false);
    atomic_init(&c->seeded, false);
    c->m_errors = sp_metric(&errors_def);
    c->m_reconciles = sp_metric(&reconciles_def);
    c->m_queue = sp_metric(&queue_def);
    c->m_phase = sp_metric(&phase_def);
    sp_cache_subscribe(cache, (struct sp_cache_subscriber){.fn = on_store, .ud = c});
    sp_reconciler_start(r, kick, c);
    sp_metrics_add_collector(collect, c);
    return c;
}

/* Runs on the lease thread, so it never blocks: seeding waits for the cache in seed(). */
void sp_controller_on_leader(void *ud, bool leader)
{
    struct sp_controller *c = ud;
    pthread_mutex_lock(&c->gate_lock);
    atomic_store(&c->leader, leader);
    atomic_store(&c->seeded, false);
    pthread_cond_broadcast(&c->gate_cond);
    pthread_mutex_unlock(&c->gate_lock);
}

/*
 * On the resync thread, once per leadership: when the cache is synced, count the stores
 * already provisioning (so the cap holds across a restart), queue every store, then open
 * the gate for the workers.
 */
static void seed(struct sp_controller *c)
{
    json_t *all;
    if (!atomic_load(&c->leader) || atomic_load(&c->seeded) || !sp_cache_synced(c->cache))
        return;
    all = sp_cache_list(c->cache);
    sp_reconciler_seed_slots(c->r, all);
    json_decref(all);
    enqueue_all(c);
    pthread_mutex_lock(&c->gate_lock);
    atomic_store(&c->seeded, atomic_load(&c->leader));
    pthread_cond_broadcast(&c->gate_cond);
    pthread_mutex_unlock(&c->gate_lock);
}

/* Blocks until this replica leads and has seeded (or stop); returns false on stop. */
static bool wait_leader(struct sp_controller *c)
{
    pthread_mutex_lock(&c->gate_lock);
    while (!atomic_load(&c->seeded) && !atomic_load(&c->stop)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&c->gate_cond, &c->gate_lock, &ts);
    }
    pthread_mutex_unlock(&c->gate_lock);
    return !atomic_load(&c->stop);
}

static void *worker(void *arg)
{
    struct sp_controller *c = arg;
    char *name;

    while (wait_leader(c) && sp_queue_get(c->q, &name)) {
        int64_t requeue = 0, start = sp_now_ms();
        enum sp_err err;

        if (!atomic_load(&c->seeded)) {
            /* lost leadership while waiting: leave it for the next leader (or us again) */
            sp_queue_done(c->q, name);
            sp_queue_add_after(c->q, name, 1000);
            free(name);
            continue;
        }
        err = sp_reconcile(c->r, name, &requeue);
        sp_metric_add(c->m_reconciles, NULL, 1);
        if (err) {
            char labels[64];
            int64_t delay = sp_queue_add_backoff(c->q, name);
            sp_metric_labels(labels, sizeof(labels), "kind", sp_errname(err), NULL);
            sp_metric_add(c->m_errors, labels, 1);
            sp_warn(name, "reconcile", "%s (retry in %lld ms)", sp_errmsg(), (long long)delay);
        } else {
            sp_queue_forget(c->q, name);
            if (requeue > 0)
                sp_queue_add_after(c->q, name, requeue);
        }
        sp_debug(name, "reconcile", "took %lld ms", (long long)(sp_now_ms() - start));
        sp_queue_done(c->q, name);
        free(name);
    }
    return NULL;
}

static void *resync(void *arg)
{
    struct sp_controller *c = arg;
    int64_t next = sp_now_ms() + c->cfg.resync_ms;
    while (!atomic_load(&c->stop)) {
        sp_sleep_ms(100);
        seed(c);
        if (sp_now_ms() < next)
            continue;
        next = sp_now_ms() + c->cfg.resync_ms;
        if (atomic_load(&c->leader))
            enqueue_all(c);
    }
    return NULL;
}

enum sp_err sp_controller_start(struct sp_controller *c, struct sp_lease *lease)
{
    int rc;
    c->lease = lease;
    c->workers = sp_calloc((size_t)c->cfg.workers, sizeof(*c->workers));
    for (int i = 0; i < c->cfg.workers; i++) {
        rc = pthread_create(&c->workers[i], NULL, worker, c);
        if (rc)
            return sp_fail(SP_E_IO, "unable to start worker %d: %s", i, strerror(rc));
        c->started_workers++;
    }
    rc = pthread_create(&c->resync, NULL, resync, c);
    if (rc)
        return sp_fail(SP_E_IO, "unable to start the resync thread: %s", strerror(rc));
    c->resync_started = true;
    if (!lease)
        sp_controller_on_leader(c, true);
    return SP_OK;
}

void sp_controller_free(struct sp_controller *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    sp_queue_stop(c->q);
    pthread_mutex_lock(&c->gate_lock);
    pthread_cond_broadcast(&c->gate_cond);
    pthread_mutex_unlock(&c->gate_lock);
    for (int i = 0; i < c->started_workers; i++)
        pthread_join(c->workers[i], NULL);
    if (c->resync_started)
        pthread_join(c->resync, NULL);
    sp_reconciler_stop(c->r); /* its watches kick into c->q */
    free(c->workers);
    sp_queue_free(c->q);
    pthread_mutex_destroy(&c->gate_lock);
    pthread_cond_destroy(&c->gate_cond);
    free(c);
}
