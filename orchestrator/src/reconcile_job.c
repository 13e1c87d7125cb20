/*
 * The per-store job of one sp_reconcile() call (reconcile_job.h): phase
 * moves with their Events, conditions, failure, the store's template
 * variables, the namespace's state, and the one status write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "metrics.h"
#include "reconcile_job.h"
#include "util.h"

static struct sp_metric_def failures_def = {.name = "storeplatform_store_failures_total",
                                            .help = "Stores that went to Failed, by reason",
                                            .type = SP_COUNTER};
static const double duration_buckets[] = {5, 10, 20, 30, 60, 120, 180, 300, 600, 900};
static struct sp_metric_def duration_def =
    SP_METRIC_HISTOGRAM("storeplatform_provisioning_duration_seconds",
                        "Time from Provisioning to Ready", duration_buckets);

struct sp_metric *sp_job_metric_failures(void)
{
    return sp_metric(&failures_def);
}

struct sp_metric *sp_job_metric_duration(void)
{
    return sp_metric(&duration_def);
}

void sp_job_transition(struct sp_job *j, const char *type, const char *reason, const char *message)
{
    if (j->tr.n == 8)
        return;
    j->tr.v[j->tr.n].type = type;
    j->tr.v[j->tr.n].reason = sp_strdup(reason);
    j->tr.v[j->tr.n].message = sp_strdup(message ? message : reason);
    j->tr.n++;
}

/* Moves to a phase and queues its Event. */
enum sp_err sp_job_go(struct sp_job *j, enum sp_phase to, const char *type, const char *message)
{
    enum sp_err err;
    if (j->s.status.phase == to)
        return SP_OK;
    err = sp_store_set_phase(&j->s, to, j->now, message);
    if (err)
        return err;
    sp_info(j->s.name, "phase", "%s%s%s", sp_phase_name(to), message ? ": " : "",
            message ? message : "");
    sp_job_transition(j, type, sp_phase_name(to), message);
    return SP_OK;
}

void sp_job_cond(struct sp_job *j, enum sp_cond c, enum sp_cond_status st, const char *reason,
                 const char *message)
{
    sp_store_set_cond(&j->s, c, st, reason, message, j->now);
}

/*
 * Failed with a reason word (metrics, status.reason) and a message for the shop owner. A
 * store being resumed is not failed (its namespace holds its data): the message says what
 * went wrong and the error makes the controller retry with back-off.
 */
enum sp_err sp_job_fail(struct sp_job *j, const char *reason, const char *message)
{
    char labels[128];
    enum sp_err err;

    if (sp_suspend_resuming(&j->s)) {
        char msg[1600];
        snprintf(msg, sizeof(msg), "resuming: %s; retrying, the store's data is kept", message);
        sp_set_str(&j->s.status.message, msg);
        sp_warn(j->s.name, "resume", "%s: %s", reason, msg);
        return sp_fail(SP_E_TIMEOUT, "%s", msg);
    }
    err = sp_job_go(j, SP_PHASE_FAILED, "Warning", message);
    if (err)
        return err;
    sp_set_str(&j->s.status.reason, reason);
    j->s.status.failed_ms = j->now;
    sp_set_str(&j->s.status.url, NULL);
    sp_set_str(&j->s.status.admin_url, NULL);
    sp_metric_labels(labels, sizeof(labels), "reason", reason, NULL);
    sp_metric_add(sp_job_metric_failures(), labels, 1);
    sp_slot_give_back(j->r, j->s.name);
    sp_warn(j->s.name, "failed", "%s: %s", reason, message);
    return SP_OK;
}

static const char *label_of(const json_t *o, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"), key));
}

json_t *sp_reconcile_vars(const struct sp_reconcile_config *cfg, const char *name,
                          const struct sp_store_spec *spec)
{
    const struct {
        const char *key, *value;
    } plan[] = {
        {"plan.requests.cpu", spec->cpu_request}, {"plan.requests.memory", spec->memory_request},
        {"plan.limits.cpu", spec->cpu_limit},     {"plan.limits.memory", spec->memory_limit},
        {"plan.storage", spec->storage},
    };
    char *ns = sp_store_namespace(name);
    char *host = sp_asprintf("%s.%s", name, cfg->base_domain);
    char *secret = sp_store_secret_name(name);
    json_t *v = json_object();

    json_object_set_new(v, "name", json_string(name));
    json_object_set_new(v, "namespace", json_string(ns));
    json_object_set_new(v, "release", json_string(ns));
    json_object_set_new(v, "host", json_string(host));
    json_object_set_new(v, "baseDomain", json_string(cfg->base_domain));
    json_object_set_new(v, "scheme", json_string(cfg->ingress_tls ? "https" : "http"));
    json_object_set_new(v, "ingressClass", json_string(cfg->ingress_class));
    json_object_set_new(v, "ingressTls", json_boolean(cfg->ingress_tls));
    json_object_set_new(v, "clusterIssuer", json_string(cfg->cluster_issuer));
    json_object_set_new(v, "storageClass", json_string(cfg->storage_class));
    json_object_set_new(v, "secretName", json_string(secret));
    json_object_set_new(v, "owner", json_string(spec->owner ? spec->owner : ""));
    json_object_set_new(v, "displayName",
                        json_string(spec->display_name ? spec->display_name : name));
    json_object_set_new(v, "size", spec->size ? json_string(spec->size) : json_null());
    json_object_set_new(v, "suspended", json_boolean(spec->suspended));
    for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++)
        json_object_set_new(v, plan[i].key,
                            plan[i].value ? json_string(plan[i].value) : json_null());
    free(ns);
    free(host);
    free(secret);
    return v;
}

json_t *sp_job_vars(struct sp_job *j)
{
    return sp_reconcile_vars(&j->r->cfg, j->s.name, &j->s.spec);
}

/* Looks at the namespace: *exists, *terminating, *ours (labelled for this store). */
enum sp_err sp_job_ns_state(struct sp_job *j, bool *exists, bool *terminating, bool *ours)
{
    char *path = sp_asprintf("/api/v1/namespaces/%s", j->ns);
    json_t *ns = NULL;
    enum sp_err err = sp_kube_get(j->r->kube, path, &ns);
    const char *store, *by, *phase;

    free(path);
    *exists = *terminating = *ours = false;
    if (err == SP_E_NOTFOUND)
        return SP_OK;
    if (err)
        return err;
    *exists = true;
    phase = json_string_value(json_object_get(json_object_get(ns, "status"), "phase"));
    *terminating = phase && strcmp(phase, "Terminating") == 0;
    store = label_of(ns, SP_STORE_LABEL);
    by = label_of(ns, "app.kubernetes.io/managed-by");
    *ours = store && by && strcmp(store, j->s.name) == 0 && strcmp(by, SP_MANAGED_BY) == 0;
    json_decref(ns);
    return SP_OK;
}

/* The engine's chart version as a label value, or NULL (caller frees). */
char *sp_job_chart_label(const struct sp_engine *e)
{
    return e && e->chart_version ? sp_label_value(e->chart_version) : NULL;
}

void sp_job_set_urls(struct sp_job *j)
{
    json_t *vars = sp_job_vars(j);
    char *url = NULL, *admin = NULL;
    if (sp_template_string(j->engine->url, vars, &url) == SP_OK)
        sp_set_str(&j->s.status.url, url);
    if (j->engine->admin_url[0] && sp_template_string(j->engine->admin_url, vars, &admin) == SP_OK)
        sp_set_str(&j->s.status.admin_url, admin);
    free(url);
    free(admin);
    json_decref(vars);
}

/*
 * Writes the status when it differs from what the API server has, then records the Events
 * of the transitions it contains. Called at the end of every reconcile and before anything
 * slow (helm), so a shop owner sees "Provisioning" while it happens and a crash loses
 * nothing already decided.
 */
enum sp_err sp_job_flush(struct sp_job *j)
{
    json_t *after = sp_store_status_json(&j->s), *ops;
    char *path;
    enum sp_err err = SP_OK;

    if (!json_equal(j->written, after)) {
        ops = json_pack("[{s:s, s:s, s:O}]", "op", "add", "path", "/status", "value", after);
        path = sp_asprintf("%s/%s/status", SP_STORES_PATH, j->s.name);
        err = sp_kube_json_patch(j->r->kube, path, ops, NULL);
        free(path);
        json_decref(ops);
        if (err == SP_E_NOTFOUND)
            err = SP_OK; /* deleted meanwhile */
    }
    if (err) {
        json_decref(after);
        return err;
    }
    json_decref(j->written);
    j->written = after;
    for (int i = 0; i < j->tr.n; i++) {
        sp_event_record(j->r->kube, j->s.name, j->s.uid, j->tr.v[i].type, j->tr.v[i].reason,
                        j->tr.v[i].message);
        free(j->tr.v[i].reason);
        free(j->tr.v[i].message);
    }
    j->tr.n = 0;
    return SP_OK;
}
