/*
 * Leader election (see lease.h). One thread loops every retry period:
 * GET the Lease; create it when absent; renew it when held; take it over when
 * it has not changed for its duration. "Not changed" is judged by the
 * resourceVersion this replica last saw and the local monotonic time it saw
 * it, never by comparing clocks of different machines. Every request of the
 * loop ends by the renew deadline (sp_kube_thread_deadline()), so a leader
 * steps down in time even when the API server stops answering.
 */
#include "lease.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

struct sp_lease {
    struct sp_kube *k;
    char *ns, *name, *id, *path, *collection;
    int64_t duration_ms, renew_deadline_ms, retry_ms;
    void (*on_change)(void *ud, bool leader);
    void *ud;
    atomic_bool leader;
    atomic_bool stop;
    pthread_t thread;
    /* used only by the election thread */
    char *seen_rv;
    int64_t seen_at;    /* monotonic ms when seen_rv was first observed */
    int64_t renewed_at; /* monotonic ms of the last successful renewal */
};

static json_t *lease_body(struct sp_lease *l, const json_t *old, bool takeover)
{
    char now[48];
    json_t *body = old ? json_deep_copy(old) : json_object();
    json_t *spec;
    int64_t transitions;

    sp_time_format_micro(sp_wall_ms(), now, sizeof(now));
    if (!old) {
        json_object_set_new(body, "apiVersion", json_string("coordination.k8s.io/v1"));
        json_object_set_new(body, "kind", json_string("Lease"));
        json_object_set_new(body, "metadata",
                            json_pack("{s:s, s:s}", "name", l->name, "namespace", l->ns));
        json_object_set_new(body, "spec", json_object());
    }
    spec = json_object_get(body, "spec");
    transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    json_object_set_new(spec, "holderIdentity", json_string(l->id));
    json_object_set_new(spec, "leaseDurationSeconds", json_integer((l->duration_ms + 999) / 1000));
    json_object_set_new(spec, "renewTime", json_string(now));
    if (takeover || !old) {
        json_object_set_new(spec, "acquireTime", json_string(now));
        json_object_set_new(spec, "leaseTransitions", json_integer(old ? transitions + 1 : 0));
    }
    return body;
}

static struct sp_metric_def leader_def = {.name = "storeplatform_leader",
                                          .help = "1 when this replica holds the leader Lease",
                                          .type = SP_GAUGE};

static void set_leader(struct sp_lease *l, bool leader)
{
    if (atomic_exchange(&l->leader, leader) == leader)
        return;
    sp_info(NULL, "lease", "%s leadership of %s/%s as %s", leader ? "acquired" : "lost", l->ns,
            l->name, l->id);
    sp_metric_set(sp_metric(&leader_def), NULL, leader ? 1 : 0);
    if (l->on_change)
        l->on_change(l->ud, leader);
}

/* One attempt; returns true when this replica holds the Lease afterwards. */
static bool attempt(struct sp_lease *l)
{
    json_t *cur = NULL, *body = NULL, *res = NULL;
    enum sp_err err = sp_kube_get(l->k, l->path, &cur);
    bool held = false;

    if (err == SP_E_NOTFOUND) {
        body = lease_body(l, NULL, true);
        err = sp_kube_create(l->k, l->collection, body, &res);
        held = err == SP_OK;
    } else if (!err) {
        const json_t *spec = json_object_get(cur, "spec");
        const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
        const char *rv =
            json_string_value(json_object_get(json_object_get(cur, "metadata"), "resourceVersion"));
        int64_t dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds")) * 1000;
        int64_t now = sp_now_ms();
        bool mine = holder && strcmp(holder, l->id) == 0;

        if (!rv || !l->seen_rv || strcmp(rv, l->seen_rv) != 0) {
            free(l->seen_rv);
            l->seen_rv = sp_strdup(rv);
            l->seen_at = now;
        }
        if (dur <= 0)
            dur = l->duration_ms;
        if (mine || !holder || !*holder || now - l->seen_at >= dur) {
            body = lease_body(l, cur, !mine);
            err = sp_kube_replace(l->k, l->path, body, &res);
            held = err == SP_OK;
            if (held && !mine)
                sp_info(NULL, "lease", "took over %s/%s from '%s'", l->ns, l->name,
                        holder ? holder : "");
        }
    }
    if (err && err != SP_E_CONFLICT)
        sp_warn(NULL, "lease", "%s", sp_errmsg());
    if (held) {
        const char *rv =
            json_string_value(json_object_get(json_object_get(res, "metadata"), "resourceVersion"));
        free(l->seen_rv);
        l->seen_rv = sp_strdup(rv);
        l->seen_at = sp_now_ms();
    }
    json_decref(cur);
    json_decref(body);
    json_decref(res);
    return held;
}

static void *run(void *arg)
{
    struct sp_lease *l = arg;

    while (!atomic_load(&l->stop)) {
        /* No request outlives the renew deadline: a leader whose API server hangs must still
         * step down before another replica may take over (the client's own timeout is 30 s). */
        sp_kube_thread_deadline((atomic_load(&l->leader) ? l->renewed_at : sp_now_ms()) +
                                l->renew_deadline_ms);
        if (attempt(l)) {
            l->renewed_at = sp_now_ms();
            set_leader(l, true);
        } else if (atomic_load(&l->leader) && sp_now_ms() - l->renewed_at >= l->renew_deadline_ms) {
            set_leader(l, false);
        } else if (atomic_load(&l->leader)) {
            /* a failed renewal within the deadline: retry soon */
        }
        for (int64_t t = 0; t < l->retry_ms && !atomic_load(&l->stop); t += 50)
            sp_sleep_ms(50);
    }
    return NULL;
}

enum sp_err sp_lease_start(struct sp_kube *k, const struct sp_lease_config *cfg,
                           void (*on_change)(void *ud, bool leader), void *ud,
                           struct sp_lease **out)
{
    struct sp_lease *l = sp_calloc(1, sizeof(*l));
    int rc;

    l->k = k;
    l->ns = sp_strdup(cfg->namespace);
    l->name = sp_strdup(cfg->name);
    l->id = sp_strdup(cfg->identity);
    l->duration_ms = cfg->duration_ms > 0 ? cfg->duration_ms : 15000;
    l->renew_deadline_ms =
        cfg->renew_deadline_ms > 0 ? cfg->renew_deadline_ms : l->duration_ms * 2 / 3;
    l->retry_ms = cfg->retry_ms > 0 ? cfg->retry_ms : 2000;
    l->collection = sp_asprintf("/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns);
    l->path = sp_asprintf("%s/%s", l->collection, l->name);
    l->on_change = on_change;
    l->ud = ud;
    atomic_init(&l->leader, false);
    atomic_init(&l->stop, false);
    rc = pthread_create(&l->thread, NULL, run, l);
    if (rc) {
        free(l->ns);
        free(l->name);
        free(l->id);
        free(l->collection);
        free(l->path);
        free(l);
        return sp_fail(SP_E_IO, "unable to start the lease thread: %s", strerror(rc));
    }
    *out = l;
    return SP_OK;
}

bool sp_lease_is_leader(struct sp_lease *l)
{
    return !l || atomic_load(&l->leader);
}

void sp_lease_stop(struct sp_lease *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    if (atomic_load(&l->leader)) {
        /* release: an empty holder lets the next candidate take over at once */
        json_t *cur = NULL;
        sp_kube_thread_deadline(sp_now_ms() + l->renew_deadline_ms);
        if (sp_kube_get(l->k, l->path, &cur) == SP_OK) {
            json_t *spec = json_object_get(cur, "spec");
            const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
            if (holder && strcmp(holder, l->id) == 0) {
                json_object_set_new(spec, "holderIdentity", json_string(""));
                if (sp_kube_replace(l->k, l->path, cur, NULL) != SP_OK)
                    sp_warn(NULL, "lease", "release failed: %s", sp_errmsg());
            }
        }
        json_decref(cur);
        sp_kube_thread_deadline(0);
        set_leader(l, false);
    }
    free(l->seen_rv);
    free(l->ns);
    free(l->name);
    free(l->id);
    free(l->collection);
    free(l->path);
    free(l);
}
