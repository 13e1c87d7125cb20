/*
 * Suspending a store (suspend.h): the release is upgraded with the engine's
 * values and ${suspended} true, so the engine's chart scales its workloads
 * to zero and takes the storefront off while volumes and Secrets stay; then
 * the store is Suspended, and once no pod runs in its namespace it is
 * settled and costs nothing more to look at. What "suspended" means to a
 * chart is the engine table's business (charts/engines.yaml), not this
 * file's. Never Failed from here: Failed's clean-up deletes the namespace,
 * and with it the data a suspension promises to keep; errors are retried
 * with back-off and shown in status.message.
 *
 * Each step reads before it acts, so a restart anywhere goes on from what
 * the Store, helm's records and the pods show: a release already deployed
 * for this generation is not upgraded again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "readiness.h"
#include "reconcile_job.h"
#include "util.h"

#define SUSPENDED_REASON "Suspended"

static struct sp_metric_def transitions_def = {
    .name = "storeplatform_suspend_transitions_total",
    .help = "Suspend and resume steps by the controller (suspending, suspended, resuming)",
    .type = SP_COUNTER};
static const double stop_buckets[] = {1, 2, 5, 10, 20, 30, 60, 120, 300};
static struct sp_metric_def stop_def =
    SP_METRIC_HISTOGRAM("storeplatform_suspend_duration_seconds",
                        "Time from the start of a suspension to no pod running", stop_buckets);

void sp_job_suspend_metrics(void)
{
    sp_metric(&transitions_def);
    sp_metric(&stop_def);
}

void sp_job_suspend_count(const char *what)
{
    char labels[64];
    sp_metric_labels(labels, sizeof(labels), "transition", what, NULL);
    sp_metric_add(sp_metric(&transitions_def), labels, 1);
}

/* helm upgrade with ${suspended} = true, unless this generation is deployed already. */
static enum sp_err scale_to_zero(struct sp_job *j)
{
    struct sp_helm_state st;
    int64_t rev = 0;
    bool invalid;
    enum sp_err err = sp_helm_look(j->r->kube, j->release, j->ns, true, &st);

    if (err)
        return err;
    if (st.deployed && st.latest == st.deployed && st.generation == j->s.generation)
        return SP_OK;
    err = sp_job_install(j, 0, &rev, &invalid);
    if (err) {
        char msg[1200];
        snprintf(msg, sizeof(msg), "%s", sp_errmsg());
        sp_job_cond(j, SP_COND_RELEASE, SP_FALSE, invalid ? "InvalidValues" : "HelmFailed", msg);
        sp_set_str(&j->s.status.message, "suspending: the release could not be upgraded yet "
                                         "(retrying); see ReleaseDeployed");
        sp_warn(j->s.name, "suspend", "helm upgrade failed: %s", msg);
        return sp_fail(err, "%s", msg);
    }
    j->s.status.helm_revision = rev;
    {
        char msg[64], *chart = sp_job_chart_label(j->engine);
        snprintf(msg, sizeof(msg), "revision %lld", (long long)rev);
        sp_job_cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", msg);
        sp_set_str(&j->s.status.chart_version, chart);
        free(chart);
    }
    sp_store_add_activity(&j->s, j->now, "release upgraded with the store suspended");
    return SP_OK;
}

/* How many pods still run in the namespace (and one's name, caller frees). */
static enum sp_err running_pods(struct sp_job *j, size_t *n, char **first)
{
    char *path = sp_asprintf("/api/v1/namespaces/%s/pods", j->ns);
    json_t *list = NULL;
    enum sp_err err = sp_kube_get(j->r->kube, path, &list);

    free(path);
    *n = 0;
    *first = NULL;
    if (err == SP_E_NOTFOUND)
        return SP_OK;
    if (err)
        return err;
    *n = sp_ready_running_pods(json_object_get(list, "items"), first);
    json_decref(list);
    return SP_OK;
}

enum sp_err sp_job_suspend(struct sp_job *j, int64_t *requeue)
{
    const struct sp_condition *w = &j->s.status.cond[SP_COND_WORKLOADS];
    char msg[300], *first = NULL;
    size_t n;
    enum sp_err err;

    *requeue = 0;
    if (j->s.status.phase == SP_PHASE_SUSPENDED &&
        j->s.generation == j->s.status.observed_generation && w->status == SP_FALSE && w->reason &&
        strcmp(w->reason, SUSPENDED_REASON) == 0)
        return SP_OK; /* settled: nothing runs, nothing to look at */
    if (!j->engine) {
        sp_set_str(&j->s.status.message,
                   "suspending: the store's engine is no longer offered; nothing was changed");
        return SP_OK;
    }
    if (j->s.status.phase != SP_PHASE_SUSPENDED) {
        if (!j->s.status.suspended_ms || sp_suspend_resumed(&j->s)) {
            j->s.status.suspended_ms = j->now; /* a new suspension starts */
            sp_store_add_activity(&j->s, j->now, "suspending: stopping the store");
            sp_job_suspend_count("suspending");
        }
        sp_rollout_abandon(j, "the store is being suspended");
        sp_set_str(&j->s.status.message,
                   "suspending: stopping the shop and its database; volumes and secrets are kept");
    }
    err = scale_to_zero(j);
    if (err)
        return err;
    if (j->s.status.phase != SP_PHASE_SUSPENDED) {
        err = sp_job_go(j, SP_PHASE_SUSPENDED, "Normal",
                        "the storefront is off; the shop and its database are stopping");
        if (err)
            return err;
        sp_job_suspend_count("suspended");
    }
    j->s.status.observed_generation = j->s.generation;
    sp_job_cond(j, SP_COND_STOREFRONT, SP_FALSE, SUSPENDED_REASON,
                "the store is suspended: the storefront is off");

    err = running_pods(j, &n, &first);
    if (err)
        return err;
    if (n) {
        snprintf(msg, sizeof(msg), "suspending: %zu pod%s still stopping (%s)", n,
                 n == 1 ? "" : "s", first ? first : "?");
        free(first);
        sp_job_cond(j, SP_COND_WORKLOADS, SP_FALSE, "Suspending", msg);
        sp_set_str(&j->s.status.message, msg);
        *requeue = j->r->cfg.poll_ms;
        return SP_OK;
    }
    sp_job_cond(j, SP_COND_WORKLOADS, SP_FALSE, SUSPENDED_REASON,
                "scaled to zero: no pod runs; volumes and secrets are kept");
    sp_set_str(&j->s.status.message, "suspended: the shop and its database are stopped; volumes "
                                     "and secrets are kept. Resume to bring it back");
    sp_store_add_activity(&j->s, j->now, "suspended: no pod runs");
    if (j->s.status.suspended_ms)
        sp_metric_observe(sp_metric(&stop_def), NULL,
                          (double)(j->now - j->s.status.suspended_ms) / 1000.0);
    sp_info(j->s.name, "suspend", "suspended: no pod runs in %s", j->ns);
    return SP_OK;
}
