/*
 * Provisioning a store, step by step (reconcile.h): namespace, RoleBinding,
 * credentials Secret, helm release, readiness, storefront, Ready. Each step
 * returns "done", "wait" (with a condition message) or an error, and is
 * idempotent, so a call can restart after a crash at any line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "reconcile_job.h"
#include "util.h"

/* Returns SP_OK with *ready false when the step must wait. */
static enum sp_err step_namespace(struct sp_job *j, bool *ready)
{
    bool exists, terminating, ours;
    char *owner;
    json_t *body;
    enum sp_err err = sp_job_ns_state(j, &exists, &terminating, &ours);

    *ready = false;
    if (err)
        return err;
    if (exists && !ours) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "namespace %s already exists and does not belong to this store; choose "
                 "another name",
                 j->ns);
        sp_job_cond(j, SP_COND_NAMESPACE, SP_FALSE, "NamespaceTaken", msg);
        return sp_job_fail(j, "NamespaceTaken", msg);
    }
    if (terminating) {
        sp_job_cond(j, SP_COND_NAMESPACE, SP_FALSE, "NamespaceTerminating",
                    "waiting for the previous namespace of this store to be removed");
        return SP_OK;
    }
    if (!exists) {
        owner = sp_label_value(j->s.spec.owner);
        body = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, "
                         "s:{s:s}}}",
                         "apiVersion", "v1", "kind", "Namespace", "metadata", "name", j->ns,
                         "labels", "app.kubernetes.io/managed-by", SP_MANAGED_BY,
                         "app.kubernetes.io/part-of", "store-platform", SP_STORE_LABEL, j->s.name,
                         SP_GROUP "/owner", owner, "pod-security.kubernetes.io/enforce",
                         "restricted", "pod-security.kubernetes.io/enforce-version", "latest",
                         "pod-security.kubernetes.io/warn", "restricted",
                         "pod-security.kubernetes.io/audit", "restricted", "annotations",
                         SP_GROUP "/owner", j->s.spec.owner ? j->s.spec.owner : "");
        free(owner);
        err = sp_kube_create(j->r->kube, "/api/v1/namespaces", body, NULL);
        json_decref(body);
        if (err && err != SP_E_CONFLICT)
            return err;
        sp_info(j->s.name, "namespace", "created namespace %s", j->ns);
    }
    sp_job_cond(j, SP_COND_NAMESPACE, SP_TRUE, "Created", j->ns);
    *ready = true;
    return SP_OK;
}

static enum sp_err step_secret(struct sp_job *j)
{
    char *path = sp_asprintf("/api/v1/namespaces/%s/secrets/%s", j->ns, j->secret);
    char *coll = sp_asprintf("/api/v1/namespaces/%s/secrets", j->ns);
    json_t *vars = NULL, *data = NULL, *body = NULL;
    enum sp_err err = sp_kube_get(j->r->kube, path, NULL);

    if (err == SP_E_NOTFOUND) {
        vars = sp_job_vars(j);
        err = sp_engine_secret_data(j->engine, vars, &data);
        if (!err) {
            body = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:s, s:O}", "apiVersion", "v1",
                             "kind", "Secret", "metadata", "name", j->secret, "namespace", j->ns,
                             "labels", "app.kubernetes.io/managed-by", SP_MANAGED_BY,
                             SP_STORE_LABEL, j->s.name, "type", "Opaque", "stringData", data);
            err = sp_kube_create(j->r->kube, coll, body, NULL);
            if (err == SP_E_CONFLICT)
                err = SP_OK; /* created by an earlier run that crashed before its status */
            else if (!err)
                sp_info(j->s.name, "credentials", "created Secret %s/%s", j->ns, j->secret);
        }
    }
    if (!err)
        sp_job_cond(j, SP_COND_CREDENTIALS, SP_TRUE, "Created", j->secret);
    json_decref(vars);
    json_decref(data); /* holds the secrets: jansson frees, the API server keeps them */
    json_decref(body);
    free(path);
    free(coll);
    return err;
}

/*
 * The RoleBinding that gives the orchestrator's ServiceAccount the store
 * ClusterRole inside this namespace (the platform chart's RBAC: no
 * cluster-wide rights on workloads). Skipped when --store-role is not set,
 * e.g. with an admin kubeconfig in tests.
 */
static enum sp_err step_rolebinding(struct sp_job *j)
{
    const char *sa = j->r->cfg.service_account, *slash;
    char *sa_ns, *coll;
    json_t *body;
    enum sp_err err;

    if (!j->r->cfg.store_role || !*j->r->cfg.store_role || !sa || !(slash = strchr(sa, '/')))
        return SP_OK;
    sa_ns = sp_asprintf("%.*s", (int)(slash - sa), sa);
    coll = sp_asprintf("/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings", j->ns);
    body =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s, s:s}, s:[{s:s, s:s, s:s}]}",
                  "apiVersion", "rbac.authorization.k8s.io/v1", "kind", "RoleBinding", "metadata",
                  "name", "store-platform-orchestrator", "namespace", j->ns, "labels",
                  "app.kubernetes.io/managed-by", SP_MANAGED_BY, "roleRef", "apiGroup",
                  "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", j->r->cfg.store_role,
                  "subjects", "kind", "ServiceAccount", "name", slash + 1, "namespace", sa_ns);
    err = sp_kube_create(j->r->kube, coll, body, NULL);
    if (err == SP_E_CONFLICT)
        err = SP_OK;
    json_decref(body);
    free(sa_ns);
    free(coll);
    return err;
}

/* A helm error that no retry can fix: the chart or its values are wrong. */
static bool helm_error_is_permanent(const char *msg)
{
    static const char *const words[] = {"template:", "parse error",     "schema", "chart not found",
                                        "path",      "unable to build", NULL};
    for (int i = 0; words[i]; i++)
        if (strstr(msg, words[i]) && !strstr(msg, "connection"))
            return true;
    return false;
}

/*
 * helm upgrade --install of the store's values with the engine's chart, the
 * release record labelled with the generation and the chart version. Flushes
 * the status first. On SP_E_HELM the message is helm's. *invalid is set when
 * the values cannot be built (the message says why).
 */
/*
 * since_ms is when the deadline (--provision-timeout) started counting: helm
 * never runs past it, so a hook that hangs cannot hold a store in
 * Provisioning (or an upgrade) until helm's own, longer deadline.
 */
enum sp_err sp_job_install(struct sp_job *j, int64_t since_ms, int64_t *rev, bool *invalid)
{
    json_t *vars = sp_job_vars(j), *values = NULL;
    char *chart = sp_job_chart_label(j->engine);
    struct sp_helm h = j->r->helm;
    enum sp_err err;

    *invalid = false;
    err = sp_engine_values(j->engine, vars, &values);
    if (err) {
        *invalid = true;
        goto out;
    }
    err = sp_job_flush(j);
    if (err)
        goto out;
    sp_info(j->s.name, "helm", "helm upgrade --install %s %s (generation %lld, chart %s)",
            j->release, j->engine->chart, (long long)j->s.generation, chart ? chart : "?");
    if (j->r->watch) /* its caches would predate what helm changes */
        sp_nswatch_drop(j->r->watch, j->s.name);
    if (since_ms > 0) {
        int64_t left = j->r->cfg.provision_timeout_ms - (sp_wall_ms() - since_ms);
        if (left < h.timeout_ms)
            h.timeout_ms = left > 1000 ? left : 1000;
    }
    err = sp_helm_upgrade(&h, j->release, j->ns,
                          &(struct sp_helm_install){
                              .chart = j->engine->chart,
                              .base_values_file = j->r->cfg.store_values_file,
                              .values = values,
                              .generation = j->s.generation,
                              .chart_version = chart,
                          },
                          rev);
out:
    json_decref(values);
    json_decref(vars);
    free(chart);
    return err;
}

/* Returns SP_OK with *done false when the store failed permanently. */
static enum sp_err step_release(struct sp_job *j, bool *done)
{
    struct sp_helm_state st;
    int64_t rev = 0;
    bool invalid;
    enum sp_err err;

    *done = false;
    err = sp_helm_look(j->r->kube, j->release, j->ns, true, &st);
    if (err)
        return err;
    if (st.recovered)
        sp_store_add_activity(&j->s, j->now, "recovered a helm release left unfinished");
    /* Installed for this generation already (maybe by a run that crashed after helm):
     * installing again would only add a revision. */
    if (st.deployed && st.latest == st.deployed && st.generation == j->s.generation) {
        sp_set_str(&j->s.status.chart_version, st.chart[0] ? st.chart : NULL);
        j->s.status.helm_revision = st.deployed;
        sp_job_cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", "release is deployed");
        *done = true;
        return SP_OK;
    }
    err = sp_job_install(j, j->s.status.provisioning_ms, &rev, &invalid);
    if (invalid) {
        sp_job_cond(j, SP_COND_RELEASE, SP_FALSE, "InvalidValues", sp_errmsg());
        return sp_job_fail(j, "InvalidPlan", sp_errmsg());
    }
    if (err == SP_E_HELM) {
        char msg[1200];
        snprintf(msg, sizeof(msg), "%s", sp_errmsg());
        sp_job_cond(j, SP_COND_RELEASE, SP_FALSE, "HelmFailed", msg);
        sp_warn(j->s.name, "helm", "helm upgrade failed: %s", msg);
        if (helm_error_is_permanent(msg)) {
            char why[1400];
            snprintf(why, sizeof(why), "the store could not be installed: %s", msg);
            return sp_job_fail(j, "HelmFailed", why);
        }
        return sp_fail(SP_E_HELM, "%s", msg);
    }
    if (err)
        return err;
    j->s.status.helm_revision = rev;
    {
        char msg[64], *chart = sp_job_chart_label(j->engine);
        snprintf(msg, sizeof(msg), "revision %lld", (long long)rev);
        sp_job_cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", msg);
        sp_store_add_activity(&j->s, j->now, "release deployed");
        sp_set_str(&j->s.status.chart_version, chart);
        free(chart);
    }
    *done = true;
    return SP_OK;
}

/* The first condition that is not True, as "Condition: message", for timeouts. */
static void first_unready(struct sp_job *j, char *out, size_t n)
{
    for (int c = 0; c < SP_COND_COUNT; c++) {
        const struct sp_condition *k = &j->s.status.cond[c];
        if (k->status != SP_TRUE) {
            snprintf(out, n, "%s: %s", sp_cond_name((enum sp_cond)c),
                     k->message && *k->message ? k->message : "not reached");
            return;
        }
    }
    snprintf(out, n, "all steps were done");
}

enum sp_err sp_job_provision(struct sp_job *j, int64_t *requeue)
{
    struct sp_reconcile_config *cfg = &j->r->cfg;
    bool ok;
    char *failed = NULL;
    enum sp_err err;

    sp_slot_take(j->r, j->s.name, j->s.created_ms, true);
    if (!j->s.status.provisioning_ms)
        j->s.status.provisioning_ms = j->now;
    if (j->now - j->s.status.provisioning_ms > cfg->provision_timeout_ms) {
        char detail[1024], msg[1400];
        first_unready(j, detail, sizeof(detail));
        snprintf(msg, sizeof(msg), "the store did not become ready within %lld s: %s",
                 (long long)(cfg->provision_timeout_ms / 1000), detail);
        *requeue = 1;
        if (!sp_suspend_resuming(&j->s))
            return sp_job_fail(j, "Timeout", msg);
        /* coming back from a suspension: never failed (that would delete its data); it keeps
         * trying, and says so */
        snprintf(msg, sizeof(msg),
                 "resuming: not ready %lld s after the resume: %s; still trying, the store's "
                 "data is kept",
                 (long long)((j->now - j->s.status.provisioning_ms) / 1000), detail);
        sp_set_str(&j->s.status.message, msg);
    }
    *requeue = cfg->poll_ms;

    err = step_namespace(j, &ok);
    if (err || !ok || j->s.status.phase == SP_PHASE_FAILED)
        return err;
    err = step_rolebinding(j);
    if (err)
        return err;
    err = step_secret(j);
    if (err) {
        sp_job_cond(j, SP_COND_CREDENTIALS, SP_FALSE, "CreateFailed", sp_errmsg());
        return err;
    }
    err = step_release(j, &ok);
    if (err || !ok)
        return err;

    err = sp_job_serving(j, &ok, &failed);
    if (err)
        return err;
    if (failed) {
        char msg[1400];
        snprintf(msg, sizeof(msg), "the store cannot start: %s", failed);
        free(failed);
        *requeue = 1;
        return sp_job_fail(j, "WorkloadFailed", msg);
    }
    if (!ok)
        return SP_OK;

    err = sp_job_go(j, SP_PHASE_READY, "Normal", NULL);
    if (err)
        return err;
    sp_set_str(&j->s.status.message, "the store is ready");
    sp_set_str(&j->s.status.reason, NULL);
    j->s.status.ready_ms = j->now;
    j->s.status.observed_generation = j->s.generation;
    sp_metric_observe(sp_job_metric_duration(), NULL,
                      (double)(j->now - j->s.status.provisioning_ms) / 1000.0);
    sp_slot_give_back(j->r, j->s.name);
    *requeue = 0;
    return SP_OK;
}
