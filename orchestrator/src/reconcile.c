/*
 * Reconcile one store (see reconcile.h for the state machine): the
 * dispatcher. sp_reconcile() loads the Store and routes on deletion and
 * phase (run_phase) to the files named for what they decide
 * (reconcile_job.h lists them). All status changes go into the job's
 * struct sp_store in memory; the status is written once at the end with a
 * JSON patch "add /status" (an exact replacement, so cleared fields really
 * disappear), then the transition Events are recorded. The world is never
 * trusted from memory: every call looks again at the namespace, the
 * Secret, helm's records and the workloads.
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "reconcile_job.h"
#include "util.h"

struct sp_reconciler *sp_reconciler_new(struct sp_kube *kube, const struct sp_engines *engines,
                                        const struct sp_helm *helm,
                                        const struct sp_reconcile_config *cfg)
{
    struct sp_reconciler *r = sp_calloc(1, sizeof(*r));

    r->kube = kube;
    r->engines = engines;
    r->helm = *helm;
    r->cfg = *cfg;
    if (r->cfg.poll_ms <= 0)
        r->cfg.poll_ms = 2000;
    if (r->cfg.storefront_timeout_ms <= 0)
        r->cfg.storefront_timeout_ms = 5000;
    pthread_mutex_init(&r->slots_lock, NULL);
    pthread_mutex_init(&r->health_lock, NULL);
    sp_job_metric_failures();
    sp_job_metric_duration();
    sp_job_suspend_metrics();
    sp_job_drift_metrics();
    return r;
}

void sp_reconciler_start(struct sp_reconciler *r, sp_kick_fn kick, void *ud)
{
    pthread_mutex_lock(&r->slots_lock);
    r->kick = kick;
    r->kick_ud = ud;
    pthread_mutex_unlock(&r->slots_lock);
    if (kick && r->cfg.watch_namespaces && !r->watch)
        r->watch = sp_nswatch_new(r->kube, kick, ud);
}

void sp_reconciler_stop(struct sp_reconciler *r)
{
    sp_nswatch_free(r->watch);
    r->watch = NULL;
    pthread_mutex_lock(&r->slots_lock);
    r->kick = NULL;
    r->kick_ud = NULL;
    pthread_mutex_unlock(&r->slots_lock);
}

void sp_reconciler_free(struct sp_reconciler *r)
{
    if (!r)
        return;
    sp_nswatch_free(r->watch);
    for (size_t i = 0; i < r->n_slots; i++)
        free(r->slots[i]);
    free(r->slots);
    for (size_t i = 0; i < r->n_waiters; i++)
        free(r->waiters[i].name);
    free(r->waiters);
    free(r->rollout);
    sp_health_free_all(r);
    pthread_mutex_destroy(&r->health_lock);
    pthread_mutex_destroy(&r->slots_lock);
    free(r);
}

/* Adds the finalizer; the resourceVersion makes a concurrent change a 409, never a lost one. */
static enum sp_err ensure_finalizer(struct sp_job *j)
{
    json_t *fins, *patch;
    char *path;
    enum sp_err err;

    if (j->s.has_finalizer)
        return SP_OK;
    fins = json_deep_copy(json_object_get(json_object_get(j->obj, "metadata"), "finalizers"));
    if (!json_is_array(fins)) {
        json_decref(fins);
        fins = json_array();
    }
    json_array_append_new(fins, json_string(SP_FINALIZER));
    patch = json_pack("{s:{s:o, s:s}}", "metadata", "finalizers", fins, "resourceVersion",
                      j->s.resource_version ? j->s.resource_version : "");
    path = sp_asprintf("%s/%s", SP_STORES_PATH, j->s.name);
    err = sp_kube_merge_patch(j->r->kube, path, patch, NULL);
    free(path);
    json_decref(patch);
    return err;
}

/* A retry asked for through the annotation: a Failed store starts again from scratch. */
static enum sp_err retry_if_asked(struct sp_job *j)
{
    bool exists, terminating, ours;
    enum sp_err err;

    if (!j->s.retry ||
        (j->s.status.observed_retry && strcmp(j->s.retry, j->s.status.observed_retry) == 0))
        return SP_OK;
    sp_set_str(&j->s.status.observed_retry, j->s.retry);
    if (j->s.status.phase != SP_PHASE_FAILED)
        return SP_OK;
    err = sp_job_ns_state(j, &exists, &terminating, &ours);
    if (err)
        return err;
    err = sp_job_go(j, SP_PHASE_PENDING, "Normal", "retry requested");
    if (err)
        return err;
    sp_store_reset_conds(&j->s);
    sp_set_str(&j->s.status.reason, NULL);
    j->s.status.provisioning_ms = j->s.status.failed_ms = j->s.status.ready_ms = 0;
    j->s.status.helm_revision = 0;
    sp_rollout_clear(j);
    return SP_OK;
}

/* A Ready store is provisioned again (type and message for its Event), with a slot. */
static enum sp_err provision_again(struct sp_job *j, const char *why, const char *type,
                                   const char *message)
{
    enum sp_err err;

    sp_rollout_abandon(j, why);
    sp_slot_take(j->r, j->s.name, j->s.created_ms, true);
    err = sp_job_go(j, SP_PHASE_PROVISIONING, type, message);
    if (!err)
        j->s.status.provisioning_ms = j->now;
    return err;
}

/* New or Pending: validated, then a slot (or the line), then Provisioning. */
static enum sp_err pending(struct sp_job *j, int64_t *requeue)
{
    char msg[200];
    enum sp_err err;

    if (sp_store_validate(&j->s) != SP_OK)
        return sp_job_fail(j, "InvalidSpec", sp_errmsg());
    if (!j->engine) {
        snprintf(msg, sizeof(msg), "spec.engine: '%s' is not an engine this platform offers",
                 j->s.spec.engine);
        return sp_job_fail(j, "InvalidSpec", msg);
    }
    if (!sp_slot_take(j->r, j->s.name, j->s.created_ms, false)) {
        snprintf(msg, sizeof(msg),
                 "queued: at most %d stores are set up at once; this one starts when its "
                 "turn comes, in the order the stores were created",
                 j->r->cfg.max_provisioning);
        err = sp_job_go(j, SP_PHASE_PENDING, "Normal", msg);
        if (!err && (!j->s.status.message || strcmp(j->s.status.message, msg) != 0))
            sp_set_str(&j->s.status.message, msg);
        *requeue = j->r->cfg.poll_ms;
        return err;
    }
    if (j->s.status.phase == SP_PHASE_NONE) {
        err = sp_job_go(j, SP_PHASE_PENDING, "Normal", NULL);
        if (err)
            return err;
    }
    err = sp_job_go(j, SP_PHASE_PROVISIONING, "Normal", "setting up the store");
    if (err)
        return err;
    j->s.status.provisioning_ms = j->now;
    return sp_job_provision(j, requeue);
}

/*
 * Ready or Degraded: set up again when the namespace went; a Ready store's
 * chart rollout has its turn; then, with no upgrade under way, its objects
 * against its release (drift) and its health.
 */
static enum sp_err ready(struct sp_job *j, int64_t *requeue)
{
    bool exists, terminating, ours;
    enum sp_err herr, err = sp_job_ns_state(j, &exists, &terminating, &ours);

    if (err)
        return err;
    if (!exists || terminating) {
        *requeue = j->r->cfg.poll_ms;
        return provision_again(j, "the store's namespace disappeared", "Warning",
                               "the store's namespace disappeared; setting it up again");
    }
    if (j->s.status.phase == SP_PHASE_READY) {
        err = sp_job_rollout(j, requeue);
        if (err)
            return err;
    }
    if (j->s.status.upgrading_to ||
        (j->s.status.phase != SP_PHASE_READY && j->s.status.phase != SP_PHASE_DEGRADED))
        return SP_OK;
    err = sp_job_drift(j, requeue); /* a failed look is logged; health is checked anyway */
    herr = sp_job_health(j, requeue);
    return herr ? herr : err;
}

/* Suspended, and spec.suspended is false again: provisioned again, as after a spec change. */
static enum sp_err resume(struct sp_job *j)
{
    enum sp_err err = provision_again(j, "the store is resumed", "Normal",
                                      "resuming: starting the shop and its database");
    if (err)
        return err;
    j->s.status.resumed_ms = j->now;
    sp_store_set_cond(&j->s, SP_COND_WORKLOADS, SP_UNKNOWN, "Resuming", "starting", j->now);
    sp_store_set_cond(&j->s, SP_COND_STOREFRONT, SP_UNKNOWN, "Resuming", "starting", j->now);
    sp_job_suspend_count("resuming");
    return SP_OK;
}

/*
 * The dispatcher: a retry, a suspension or resume, or a changed spec first, then the
 * phase's own file.
 */
static enum sp_err run_phase(struct sp_job *j, int64_t *requeue)
{
    enum sp_err err = retry_if_asked(j);

    if (err)
        return err;
    switch (sp_suspend_next(&j->s)) {
    case SP_NEXT_SUSPEND:
        return sp_job_suspend(j, requeue);
    case SP_NEXT_RESUME:
        err = resume(j);
        if (err)
            return err;
        break;
    case SP_NEXT_NONE:
        break;
    }
    if ((j->s.status.phase == SP_PHASE_READY || j->s.status.phase == SP_PHASE_DEGRADED) &&
        j->s.generation != j->s.status.observed_generation) {
        err =
            provision_again(j, "the spec changed; the store is set up again with the current chart",
                            "Normal", "applying a changed spec");
        if (err)
            return err;
    }
    switch (j->s.status.phase) {
    case SP_PHASE_NONE:
    case SP_PHASE_PENDING:
        return pending(j, requeue);
    case SP_PHASE_PROVISIONING:
        if (!j->engine)
            return sp_job_fail(j, "InvalidSpec", "spec.engine: the engine is no longer offered");
        return sp_job_provision(j, requeue);
    case SP_PHASE_READY:
    case SP_PHASE_DEGRADED:
        return ready(j, requeue);
    case SP_PHASE_FAILED:
        return sp_job_cleanup(j, requeue);
    case SP_PHASE_DELETING:  /* only reached with deletionTimestamp, handled by sp_job_finalize() */
    case SP_PHASE_SUSPENDED: /* routed above */
        return SP_OK;
    }
    return SP_OK;
}

enum sp_err sp_reconcile(struct sp_reconciler *r, const char *name, int64_t *requeue_ms)
{
    struct sp_job j = {.r = r};
    char *path = sp_asprintf("%s/%s", SP_STORES_PATH, name);
    enum sp_err err, werr;

    *requeue_ms = 0;
    err = sp_kube_get(r->kube, path, &j.obj);
    free(path);
    if (err == SP_E_NOTFOUND) {
        sp_slot_give_back(r, name);
        sp_health_forget(r, name);
        if (r->watch)
            sp_nswatch_drop(r->watch, name);
        return SP_OK;
    }
    if (err)
        return err;
    err = sp_store_from_json(j.obj, &j.s);
    if (err) {
        json_decref(j.obj);
        return err;
    }
    j.now = sp_wall_ms();
    j.ns = sp_store_namespace(name);
    j.release = sp_strdup(j.ns);
    j.secret = sp_store_secret_name(name);
    j.engine = sp_engines_find(r->engines, j.s.spec.engine);
    j.written = sp_store_status_json(&j.s);

    if (j.s.deleting) {
        err = sp_job_finalize(&j, requeue_ms);
    } else {
        err = ensure_finalizer(&j);
        if (!err)
            err = run_phase(&j, requeue_ms);
    }
    /* the status records what happened even when a step failed; a store about to
     * disappear needs none */
    werr = j.s.deleting && !*requeue_ms && !err ? SP_OK : sp_job_flush(&j);
    if (j.s.deleting ||
        (j.s.status.phase != SP_PHASE_READY && j.s.status.phase != SP_PHASE_DEGRADED))
        sp_health_forget(r, name); /* checked afresh if it is Ready again */
    if (r->watch && (j.s.deleting || j.s.status.phase != SP_PHASE_PROVISIONING) &&
        !j.s.status.upgrading_to)
        sp_nswatch_drop(r->watch, name); /* nothing to wait for in its namespace */
    if (j.s.deleting && !err && !*requeue_ms && j.s.has_finalizer) {
        sp_event_record(r->kube, name, j.s.uid, "Normal", "Deleted",
                        "the store and its data are gone");
        err = sp_job_remove_finalizer(&j);
        if (!err)
            sp_info(name, "delete", "store deleted");
    }
    for (int i = 0; i < j.tr.n; i++) {
        free(j.tr.v[i].reason);
        free(j.tr.v[i].message);
    }
    if (!err && werr)
        err = werr;
    json_decref(j.written);
    json_decref(j.obj);
    sp_store_release(&j.s);
    free(j.ns);
    free(j.release);
    free(j.secret);
    return err;
}
