/*
 * What the readiness checks (readiness.h, pure functions over JSON) are
 * given: the store namespace's Jobs, PVCs, Deployments, StatefulSets and
 * pods from its watch-fed caches (nswatch.h) once loaded, else listed; the
 * latest Warning Event of an object that is not ready; and the storefront
 * probe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "readiness.h"
#include "reconcile_job.h"
#include "util.h"

/*
 * A collection in the store's namespace: from its watch when loaded, else
 * listed. *items is a new reference (an empty array when there is none).
 */
static enum sp_err list_in(struct sp_job *j, const char *api, const char *kind, json_t **items)
{
    char *path;
    json_t *list = NULL;
    enum sp_err err;

    *items = j->r->watch ? sp_nswatch_items(j->r->watch, j->s.name, api, kind) : NULL;
    if (*items)
        return SP_OK;
    path = sp_asprintf("%s/namespaces/%s/%s", api, j->ns, kind);
    err = sp_kube_get(j->r->kube, path, &list);
    free(path);
    if (err)
        return err;
    *items = json_incref(json_object_get(list, "items"));
    json_decref(list);
    if (!*items)
        *items = json_array();
    return SP_OK;
}

/* The latest Warning event about an object in the namespace, or NULL (caller frees). */
static char *last_warning(void *ud, const char *kind, const char *name)
{
    struct sp_job *j = ud;
    char *sel =
        sp_asprintf("involvedObject.kind=%s,involvedObject.name=%s,type=Warning", kind, name);
    char *esc = sp_kube_escape(sel);
    char *path = sp_asprintf("/api/v1/namespaces/%s/events?fieldSelector=%s", j->ns, esc);
    json_t *list = NULL, *ev;
    char *msg = NULL, best_time[40] = "";
    size_t i;

    if (sp_kube_get(j->r->kube, path, &list) == SP_OK) {
        json_array_foreach(json_object_get(list, "items"), i, ev)
        {
            const char *t = json_string_value(json_object_get(ev, "lastTimestamp"));
            const char *m = json_string_value(json_object_get(ev, "message"));
            const char *reason = json_string_value(json_object_get(ev, "reason"));
            if (!t)
                t = json_string_value(json_object_get(ev, "eventTime"));
            if (m && (!msg || (t && strcmp(t, best_time) > 0))) {
                free(msg);
                msg = sp_asprintf("%s: %s", reason ? reason : "Warning", m);
                snprintf(best_time, sizeof(best_time), "%s", t ? t : "");
            }
        }
    }
    json_decref(list);
    free(sel);
    free(esc);
    free(path);
    return msg;
}

/* Deployments, StatefulSets and pods: the "pods" check of the engine's table; the pods go
 * to *pods_out (a new reference) when it is not NULL. */
static enum sp_err check_pods(struct sp_job *j, const struct sp_ready_ctx *c, char **problem,
                              bool *hard, json_t **pods_out)
{
    static const char *const kinds[2] = {"deployments", "statefulsets"};
    static const char *const names[2] = {"deployment", "statefulset"};
    json_t *items;
    bool any = false;
    enum sp_err err;

    for (int k = 0; k < 2; k++) {
        err = list_in(j, "/apis/apps/v1", kinds[k], &items);
        if (err)
            return err;
        sp_ready_workloads(names[k], items, problem, &any);
        json_decref(items);
    }
    err = list_in(j, "/api/v1", "pods", &items);
    if (err)
        return err;
    sp_ready_pods(c, items, problem, hard, &any);
    if (pods_out)
        *pods_out = items;
    else
        json_decref(items);
    if (!any && !*problem)
        *problem = sp_strdup("no workloads found yet");
    return SP_OK;
}

enum sp_err sp_job_check_workloads(struct sp_job *j, bool *ready, char **why, bool *hard)
{
    const struct sp_ready_ctx c = {.now_ms = j->now, .warning = last_warning, .ud = j};
    json_t *items = NULL;
    enum sp_err err = SP_OK;
    char *problem = NULL;

    *ready = false;
    *why = NULL;
    *hard = false;
    /* from now on every change in the namespace kicks the store (nswatch.h) */
    if (j->r->watch)
        sp_nswatch_want(j->r->watch, j->s.name, j->ns, 3 * j->r->cfg.poll_ms + 5000);
    /* Claims first: one that cannot bind explains the Job and the pods that wait for it. */
    if (sp_engine_checks(j->engine, "pvcs")) {
        err = list_in(j, "/api/v1", "persistentvolumeclaims", &items);
        if (err)
            goto out;
        sp_ready_pvcs(&c, items, &problem);
        json_decref(items);
    }
    if (sp_engine_checks(j->engine, "jobs")) {
        err = list_in(j, "/apis/batch/v1", "jobs", &items);
        if (err)
            goto out;
        sp_ready_jobs(items, &problem, hard);
        json_decref(items);
        if (*hard)
            goto done;
    }
    /* a suspended store runs no pods: nothing to wait for */
    if (sp_engine_checks(j->engine, "pods") && !j->s.spec.suspended) {
        err = check_pods(j, &c, &problem, hard, NULL);
        if (err)
            goto out;
    }
done:
    *ready = problem == NULL;
    *why = problem;
    return SP_OK;
out:
    free(problem);
    return err;
}

enum sp_err sp_job_check_running(struct sp_job *j, char **problem, json_t **pods)
{
    const struct sp_ready_ctx c = {.now_ms = j->now, .warning = last_warning, .ud = j};
    bool hard = false;
    enum sp_err err;

    *problem = NULL;
    *pods = NULL;
    err = check_pods(j, &c, problem, &hard, pods);
    if (err) {
        free(*problem);
        *problem = NULL;
        json_decref(*pods);
        *pods = NULL;
    }
    return err;
}

/* The storefront check (when switched on) of a store whose URLs are set; sets its condition. */
bool sp_job_storefront_serves(struct sp_job *j)
{
    struct sp_reconcile_config *cfg = &j->r->cfg;
    if (j->s.spec.suspended) {
        sp_job_cond(j, SP_COND_STOREFRONT, SP_FALSE, "Suspended",
                    "the store is suspended: the storefront is off");
    } else if (cfg->storefront_check) {
        char *check_url = sp_strdup(j->s.status.url);
        long status = 0;
        enum sp_err err;
        const char *path =
            json_string_value(json_object_get(j->engine->readiness, "storefrontPath"));
        if (path && check_url) {
            free(check_url);
            check_url = sp_asprintf("%s%s", j->s.status.url, path[0] == '/' ? path + 1 : path);
        }
        err = sp_probe_http(check_url, cfg->storefront_timeout_ms, cfg->storefront_connect_to,
                            &status);
        free(check_url);
        if (err || status < 200 || status >= 400) {
            char msg[600];
            if (err)
                snprintf(msg, sizeof(msg), "%s", sp_errmsg());
            else
                snprintf(msg, sizeof(msg), "storefront answered HTTP %ld", status);
            sp_job_cond(j, SP_COND_STOREFRONT, SP_FALSE, "NotServing", msg);
            return false;
        }
        sp_job_cond(j, SP_COND_STOREFRONT, SP_TRUE, "Serving", "storefront answers");
    } else {
        sp_job_cond(j, SP_COND_STOREFRONT, SP_TRUE, "CheckDisabled",
                    "storefront check is switched off");
    }
    return true;
}

enum sp_err sp_job_serving(struct sp_job *j, bool *serving, char **failed)
{
    char *why = NULL;
    bool ok, hard;
    enum sp_err err = sp_job_check_workloads(j, &ok, &why, &hard);

    *serving = false;
    *failed = NULL;
    if (err)
        return err;
    if (!ok) {
        sp_job_cond(j, SP_COND_WORKLOADS, SP_FALSE, hard ? "Failed" : "NotReady", why);
        if (hard)
            *failed = why;
        else
            free(why);
        return SP_OK;
    }
    sp_job_cond(j, SP_COND_WORKLOADS, SP_TRUE, "Ready", "pods ready, jobs complete, volumes bound");
    sp_job_set_urls(j);
    *serving = sp_job_storefront_serves(j);
    return SP_OK;
}
