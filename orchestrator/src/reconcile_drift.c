/*
 * Drift repair. A Ready (or Degraded) store's objects are compared with its
 * release every --drift-interval (jittered by 10%; checked again soon after
 * a repair, to see it held):
 *   1. the deployed revision's manifest, decoded from helm's release record
 *      (sp_helm_manifest: one LIST, no helm process);
 *   2. each object of a kind drift.h looks after, read live (one GET each);
 *      when every field the manifest sets has its value live
 *      (sp_drift_covers), that object is done;
 *   3. otherwise a dry-run server-side apply of the manifest object, as
 *      helm's field manager, says what applying it would change
 *      (sp_drift_diff against the live object): nothing (a value written
 *      another way) or the field that drifted;
 *   4. a deleted object or a drifted field is applied again for real, the
 *      same apply helm makes: fields the manifest does not set, owned by
 *      other writers, stay as they are.
 * Repairs of one store are counted within --health-window: at
 * --drift-repairs the store stops being repaired until the window has
 * passed, with one Warning naming the other writer, so a fight with another
 * controller cannot loop. A suspended store is never looked at (it does not
 * reach here), nor one whose chart is being upgraded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "event.h"
#include "helm.h"
#include "log.h"
#include "metrics.h"
#include "reconcile_job.h"
#include "util.h"

static struct sp_metric_def checks_def = {
    .name = "storeplatform_store_drift_checks_total",
    .help = "Drift checks of Ready and Degraded stores against their release, by result (clean, "
            "drifted, error)",
    .type = SP_COUNTER};
static struct sp_metric_def repairs_def = {
    .name = "storeplatform_store_drift_repairs_total",
    .help = "Objects of a store applied again from its release after they were deleted or "
            "changed, by kind",
    .type = SP_COUNTER};
static struct sp_metric_def paused_def = {
    .name = "storeplatform_store_drift_paused_total",
    .help = "Times a store's drift repairs were paused for reaching --drift-repairs within "
            "--health-window",
    .type = SP_COUNTER};

static void count(struct sp_metric_def *def, const char *key, const char *value)
{
    char labels[96];
    sp_metric_labels(labels, sizeof(labels), key, value, NULL);
    sp_metric_add(sp_metric(def), labels, 1);
}

void sp_job_drift_metrics(void)
{
    sp_metric(&checks_def);
    sp_metric(&repairs_def);
    sp_metric(&paused_def);
}

static const char *kind_of(const json_t *obj)
{
    const char *k = json_string_value(json_object_get(obj, "kind"));
    return k ? k : "?";
}

static const char *name_of(const json_t *obj)
{
    const char *n = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    return n ? n : "?";
}

/* A server-side apply of obj at path as helm's field manager; dry_run asks what it would do. */
static enum sp_err apply(struct sp_job *j, const char *path, const json_t *obj, bool dry_run,
                         json_t **out)
{
    char *q = sp_asprintf("%s?fieldManager=%s&force=true%s", path, SP_DRIFT_MANAGER,
                          dry_run ? "&dryRun=All" : "");
    enum sp_err err =
        sp_kube_request(j->r->kube, "PATCH", q, "application/apply-patch+yaml", obj, out);
    free(q);
    return err;
}

/*
 * What drifted in obj (*what, caller frees: "Deployment x: spec.replicas was
 * 0, wants 1 (changed by kubectl)"; NULL when nothing did).
 */
static enum sp_err look_at(struct sp_job *j, const char *path, const json_t *obj, char **what)
{
    json_t *live = NULL, *would = NULL;
    const char *writer;
    char *diff, *field = NULL;
    enum sp_err err = sp_kube_get(j->r->kube, path, &live);

    *what = NULL;
    if (err == SP_E_NOTFOUND) {
        *what = sp_asprintf("%s %s was deleted", kind_of(obj), name_of(obj));
        return SP_OK;
    }
    if (err)
        return err;
    if (sp_drift_covers(obj, live)) {
        json_decref(live);
        return SP_OK;
    }
    sp_debug(j->s.name, "drift", "%s %s differs here; asking the API server (dry run)",
             kind_of(obj), name_of(obj));
    err = apply(j, path, obj, true, &would);
    if (!err) {
        diff = sp_drift_diff(would, live, strcmp(kind_of(obj), "Secret") == 0, &field);
        writer = sp_drift_writer(live, field);
        if (diff)
            *what =
                sp_asprintf("%s %s: %s%s%s%s", kind_of(obj), name_of(obj), diff,
                            writer ? " (changed by " : "", writer ? writer : "", writer ? ")" : "");
        free(diff);
        free(field);
    }
    json_decref(would);
    json_decref(live);
    return err;
}

/* Whether another repair is allowed now (health_lock taken inside); notes it when it is. */
static bool take_repair(struct sp_job *j)
{
    const struct sp_reconcile_config *cfg = &j->r->cfg;
    struct sp_health_state *st;
    bool ok;

    pthread_mutex_lock(&j->r->health_lock);
    st = sp_health_state_of(j->r, j->s.name);
    sp_health_note(&st->repair_hist, j->now, st->repairs, cfg->health_window_ms);
    ok = sp_health_restarts(&st->repair_hist) < cfg->drift_repairs;
    if (ok) {
        st->repairs++;
        sp_health_note(&st->repair_hist, j->now, st->repairs, cfg->health_window_ms);
        st->paused = false;
    }
    pthread_mutex_unlock(&j->r->health_lock);
    return ok;
}

/* Says once per pause that repairs stopped, naming the drift that is left. */
static void report_pause(struct sp_job *j, const char *what)
{
    const struct sp_reconcile_config *cfg = &j->r->cfg;
    struct sp_health_state *st;
    bool first;
    char span[32], *msg;

    pthread_mutex_lock(&j->r->health_lock);
    st = sp_health_state_of(j->r, j->s.name);
    first = !st->paused;
    st->paused = true;
    pthread_mutex_unlock(&j->r->health_lock);
    if (!first)
        return;
    sp_health_span(cfg->health_window_ms, span, sizeof(span));
    msg = sp_asprintf("repairs paused: %d in %s already, so something else keeps changing the "
                      "store's objects; left as is: %s",
                      cfg->drift_repairs, span, what);
    sp_warn(j->s.name, "drift", "%s", msg);
    sp_event_record(j->r->kube, j->s.name, j->s.uid, "Warning", "DriftRepairPaused", msg);
    sp_store_add_activity(&j->s, j->now, msg);
    sp_metric_add(sp_metric(&paused_def), "", 1);
    free(msg);
}

/* One object: looked at, and applied again when it drifted and a repair is allowed. */
static enum sp_err check_object(struct sp_job *j, int64_t revision, const json_t *obj,
                                const char *path, int *drifted, int *repaired)
{
    char *what = NULL, *msg;
    enum sp_err err = look_at(j, path, obj, &what);

    if (err || !what)
        return err;
    (*drifted)++;
    if (!take_repair(j)) {
        report_pause(j, what);
        free(what);
        return SP_OK;
    }
    err = apply(j, path, obj, false, NULL);
    if (err) {
        sp_warn(j->s.name, "drift", "%s; applying it again failed: %s", what, sp_errmsg());
        free(what);
        return err;
    }
    (*repaired)++;
    msg = sp_asprintf("%s; applied again from release revision %lld", what, (long long)revision);
    sp_info(j->s.name, "drift", "%s", msg);
    sp_event_record(j->r->kube, j->s.name, j->s.uid, "Normal", "DriftRepaired", msg);
    sp_store_add_activity(&j->s, j->now, msg);
    count(&repairs_def, "kind", kind_of(obj));
    free(msg);
    free(what);
    return SP_OK;
}

/* Every object of the deployed revision; a failed look at one does not stop the others. */
static enum sp_err check_release(struct sp_job *j, int *drifted, int *repaired)
{
    json_t *objs = NULL, *obj;
    int64_t revision = 0;
    size_t i, looked = 0;
    enum sp_err err = sp_helm_manifest(j->r->kube, j->release, j->ns, &objs, &revision), first;

    if (err == SP_E_NOTFOUND)
        return SP_OK; /* no deployed revision: provisioning or the rollout sees to that */
    if (err)
        return err;
    first = SP_OK;
    json_array_foreach(objs, i, obj)
    {
        char *path = sp_drift_path(obj, j->ns);
        json_t *owned;
        if (!path)
            continue;
        looked++;
        owned = sp_drift_as_helm_applies(obj, j->release, j->ns);
        err = check_object(j, revision, owned, path, drifted, repaired);
        if (err && !first)
            first = err;
        json_decref(owned);
        free(path);
    }
    sp_debug(j->s.name, "drift", "revision %lld: %zu objects looked at, %d drifted, %d repaired",
             (long long)revision, looked, *drifted, *repaired);
    json_decref(objs);
    return first;
}

enum sp_err sp_job_drift(struct sp_job *j, int64_t *requeue)
{
    const struct sp_reconcile_config *cfg = &j->r->cfg;
    struct sp_health_state *st;
    int drifted = 0, repaired = 0;
    int64_t next;
    enum sp_err err;

    if (cfg->drift_ms <= 0)
        return SP_OK;
    pthread_mutex_lock(&j->r->health_lock);
    next = sp_health_state_of(j->r, j->s.name)->drift_next_ms;
    pthread_mutex_unlock(&j->r->health_lock);
    if (next > j->now) {
        sp_job_lower(requeue, next - j->now);
        return SP_OK;
    }

    err = check_release(j, &drifted, &repaired);
    count(&checks_def, "result", err ? "error" : drifted ? "drifted" : "clean");

    pthread_mutex_lock(&j->r->health_lock);
    st = sp_health_state_of(j->r, j->s.name);
    if (!drifted && !err)
        st->paused = false;
    /* soon again after a repair or an error, to see it held; else the jittered interval */
    next = repaired || err ? cfg->poll_ms : sp_health_jitter(cfg->drift_ms, &st->seed);
    if (next > cfg->drift_ms)
        next = cfg->drift_ms;
    if (next < 1000)
        next = 1000;
    st->drift_next_ms = j->now + next;
    pthread_mutex_unlock(&j->r->health_lock);
    sp_job_lower(requeue, next);
    return err;
}
