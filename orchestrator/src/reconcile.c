/*
 * Reconcile one store (see reconcile.h for the state machine).
 *
 * Structure: sp_reconcile() loads the Store and dispatches on deletion and
 * phase; each phase has one function; each provisioning step has one
 * function returning "done", "wait" (with a condition message) or an error.
 * All status changes go into a struct sp_store in memory; the status is
 * written once at the end with a JSON patch "add /status" (an exact
 * replacement, so cleared fields really disappear), then the transition
 * Events are recorded. The world is never trusted from memory: every call
 * looks again at the namespace, the Secret, helm's records and the
 * workloads.
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "store.h"
#include "util.h"

/* Transitions found during one call, recorded as Events after the status is written. */
struct transitions {
    struct {
        const char *type; /* Normal or Warning */
        char *reason;
        char *message;
    } v[8];
    int n;
};

/* Everything one call works with. */
struct job {
    struct sp_reconciler *r;
    struct sp_store s;
    json_t *obj; /* the Store as read */
    char *ns;    /* store-<name> */
    char *release;
    char *secret; /* store-<name>-credentials */
    const struct sp_engine *engine;
    struct transitions tr;
    json_t *written; /* the status as the API server has it (last read or written) */
    int64_t now;     /* wall clock ms at the start of the call */
};

static enum sp_err flush(struct job *j);

static struct sp_metric *m_failures(void)
{
    return sp_metric_register("storeplatform_store_failures_total",
                              "Stores that went to Failed, by reason", SP_COUNTER, NULL, 0);
}

static struct sp_metric *m_duration(void)
{
    static const double b[] = {5, 10, 20, 30, 60, 120, 180, 300, 600, 900};
    return sp_metric_register("storeplatform_provisioning_duration_seconds",
                              "Time from Provisioning to Ready", SP_HISTOGRAM, b,
                              sizeof(b) / sizeof(b[0]));
}

/* ---- provisioning slots ---------------------------------------------------------------- */

void sp_reconciler_init(struct sp_reconciler *r, struct sp_kube *kube,
                        const struct sp_engines *engines, const struct sp_helm *helm,
                        const struct sp_reconcile_config *cfg)
{
    memset(r, 0, sizeof(*r));
    r->kube = kube;
    r->engines = engines;
    r->helm = *helm;
    r->cfg = *cfg;
    if (r->cfg.poll_ms <= 0)
        r->cfg.poll_ms = 2000;
    if (r->cfg.storefront_timeout_ms <= 0)
        r->cfg.storefront_timeout_ms = 5000;
    pthread_mutex_init(&r->slots_lock, NULL);
    m_failures();
    m_duration();
}

void sp_reconciler_set_kick(struct sp_reconciler *r, sp_reconcile_kick_fn kick, void *ud)
{
    if (!kick) {
        sp_nswatch_free(r->watch);
        r->watch = NULL;
    }
    pthread_mutex_lock(&r->slots_lock);
    r->kick = kick;
    r->kick_ud = ud;
    pthread_mutex_unlock(&r->slots_lock);
    if (kick && r->cfg.watch_namespaces && !r->watch)
        r->watch = sp_nswatch_new(r->kube, kick, ud);
}

void sp_reconciler_release(struct sp_reconciler *r)
{
    sp_nswatch_free(r->watch);
    for (size_t i = 0; i < r->n_slots; i++)
        free(r->slots[i]);
    free(r->slots);
    for (size_t i = 0; i < r->n_waiters; i++)
        free(r->waiters[i].name);
    free(r->waiters);
    free(r->rollout);
    pthread_mutex_destroy(&r->slots_lock);
}

/* Forgets waiters that stopped asking (deleted, failed, or now another replica's). */
static void waiters_expire(struct sp_reconciler *r, int64_t now)
{
    int64_t stale = 3 * r->cfg.poll_ms + 1000;
    size_t k = 0;
    for (size_t i = 0; i < r->n_waiters; i++) {
        if (now - r->waiters[i].seen_ms > stale)
            free(r->waiters[i].name);
        else
            r->waiters[k++] = r->waiters[i];
    }
    r->n_waiters = k;
}

/* name's place in the line, or n_waiters when it is not in it. slots_lock held. */
static size_t waiter_index(const struct sp_reconciler *r, const char *name)
{
    size_t i;
    for (i = 0; i < r->n_waiters; i++)
        if (strcmp(r->waiters[i].name, name) == 0)
            break;
    return i;
}

/*
 * Whether name may take one of the free slots now: the waiters queued
 * longest go first, so a slot goes to the store that asked for it first.
 * Otherwise name joins (or stays in) the queue. slots_lock held.
 */
static bool waiter_turn(struct sp_reconciler *r, const char *name, size_t free_slots)
{
    int64_t now = sp_now_ms();
    size_t pos;

    waiters_expire(r, now);
    pos = waiter_index(r, name);
    if (pos < free_slots)
        return true;
    if (pos == r->n_waiters) {
        if (r->n_waiters == r->cap_waiters) {
            r->cap_waiters = r->cap_waiters ? r->cap_waiters * 2 : 16;
            r->waiters = sp_realloc(r->waiters, r->cap_waiters * sizeof(*r->waiters));
        }
        r->waiters[r->n_waiters++].name = sp_strdup(name);
    }
    r->waiters[pos].seen_ms = now;
    return false;
}

/* A store that got a slot (or went away) waits no more. slots_lock held. */
static void waiter_remove(struct sp_reconciler *r, const char *name)
{
    size_t i = waiter_index(r, name);
    if (i == r->n_waiters)
        return;
    free(r->waiters[i].name);
    memmove(&r->waiters[i], &r->waiters[i + 1], (r->n_waiters - i - 1) * sizeof(*r->waiters));
    r->n_waiters--;
}

/* Takes a slot for name; force ignores the limit. Returns false when none is free. */
static bool slot_take(struct sp_reconciler *r, const char *name, bool force)
{
    bool ok = true;
    pthread_mutex_lock(&r->slots_lock);
    for (size_t i = 0; i < r->n_slots; i++)
        if (strcmp(r->slots[i], name) == 0)
            goto out;
    if (!force && r->cfg.max_provisioning > 0) {
        size_t max = (size_t)r->cfg.max_provisioning;
        if (!waiter_turn(r, name, r->n_slots < max ? max - r->n_slots : 0)) {
            ok = false;
            goto out;
        }
    }
    waiter_remove(r, name);
    if (r->n_slots == r->cap_slots) {
        r->cap_slots = r->cap_slots ? r->cap_slots * 2 : 16;
        r->slots = sp_realloc(r->slots, r->cap_slots * sizeof(*r->slots));
    }
    r->slots[r->n_slots++] = sp_strdup(name);
out:
    pthread_mutex_unlock(&r->slots_lock);
    return ok;
}

/* Takes the one rollout slot for name; false when another store holds it. */
static bool rollout_take(struct sp_reconciler *r, const char *name)
{
    bool ok = true;
    pthread_mutex_lock(&r->slots_lock);
    if (!r->rollout)
        r->rollout = sp_strdup(name);
    else
        ok = strcmp(r->rollout, name) == 0;
    pthread_mutex_unlock(&r->slots_lock);
    return ok;
}

static void rollout_give_back(struct sp_reconciler *r, const char *name)
{
    pthread_mutex_lock(&r->slots_lock);
    if (r->rollout && strcmp(r->rollout, name) == 0) {
        free(r->rollout);
        r->rollout = NULL;
    }
    pthread_mutex_unlock(&r->slots_lock);
}

/*
 * Gives back the provisioning slot and the rollout slot, whichever name
 * holds; a freed slot kicks the waiters whose turn it now is.
 */
static void slot_give_back(struct sp_reconciler *r, const char *name)
{
    char *next[8];
    size_t n_next = 0;

    rollout_give_back(r, name);
    pthread_mutex_lock(&r->slots_lock);
    waiter_remove(r, name);
    for (size_t i = 0; i < r->n_slots; i++)
        if (strcmp(r->slots[i], name) == 0) {
            free(r->slots[i]);
            r->slots[i] = r->slots[--r->n_slots];
            if (r->kick && r->cfg.max_provisioning > 0) {
                size_t max = (size_t)r->cfg.max_provisioning;
                size_t turn = r->n_slots < max ? max - r->n_slots : 0;
                for (size_t w = 0; w < r->n_waiters && w < turn && n_next < 8; w++)
                    next[n_next++] = sp_strdup(r->waiters[w].name);
            }
            break;
        }
    pthread_mutex_unlock(&r->slots_lock);
    for (size_t i = 0; i < n_next; i++) {
        r->kick(r->kick_ud, next[i]);
        free(next[i]);
    }
}

size_t sp_reconciler_slots_used(struct sp_reconciler *r)
{
    size_t n;
    pthread_mutex_lock(&r->slots_lock);
    n = r->n_slots;
    pthread_mutex_unlock(&r->slots_lock);
    return n;
}

void sp_reconciler_seed_slots(struct sp_reconciler *r, const json_t *stores)
{
    size_t i;
    json_t *o;
    json_array_foreach(stores, i, o)
    {
        const char *phase =
            json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        if (name && phase && strcmp(phase, "Provisioning") == 0)
            slot_take(r, name, true);
        if (name && json_string_value(json_object_get(json_object_get(o, "status"), "upgradingTo")))
            rollout_take(r, name);
    }
}

/* ---- small helpers --------------------------------------------------------------------- */

static void transition(struct job *j, const char *type, const char *reason, const char *message)
{
    if (j->tr.n == 8)
        return;
    j->tr.v[j->tr.n].type = type;
    j->tr.v[j->tr.n].reason = sp_strdup(reason);
    j->tr.v[j->tr.n].message = sp_strdup(message ? message : reason);
    j->tr.n++;
}

/* Moves to a phase and queues its Event. */
static enum sp_err go(struct job *j, enum sp_phase to, const char *type, const char *message)
{
    enum sp_err err;
    if (j->s.status.phase == to)
        return SP_OK;
    err = sp_store_set_phase(&j->s, to, j->now, message);
    if (err)
        return err;
    sp_info(j->s.name, "phase", "%s%s%s", sp_phase_name(to), message ? ": " : "",
            message ? message : "");
    transition(j, type, sp_phase_name(to), message);
    return SP_OK;
}

static void cond(struct job *j, enum sp_cond c, enum sp_cond_status st, const char *reason,
                 const char *message)
{
    sp_store_set_cond(&j->s, c, st, reason, message, j->now);
}

/* Failed with a reason word (metrics, status.reason) and a message for the shop owner. */
static enum sp_err set_failed(struct job *j, const char *reason, const char *message)
{
    char labels[128];
    enum sp_err err = go(j, SP_PHASE_FAILED, "Warning", message);
    if (err)
        return err;
    sp_set_str(&j->s.status.reason, reason);
    j->s.status.failed_ms = j->now;
    sp_set_str(&j->s.status.url, NULL);
    sp_set_str(&j->s.status.admin_url, NULL);
    sp_metric_labels(labels, sizeof(labels), "reason", reason, NULL);
    sp_metric_add(m_failures(), labels, 1);
    slot_give_back(j->r, j->s.name);
    sp_warn(j->s.name, "failed", "%s: %s", reason, message);
    return SP_OK;
}

static const char *label_of(const json_t *o, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"), key));
}

/* A label value made of the owner: at most 63 of [A-Za-z0-9._-], alnum at both ends. */
static char *label_value(const char *s)
{
    char *v = sp_calloc(64, 1);
    size_t n = 0;
    for (const char *p = s ? s : ""; *p && n < 63; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        v[n++] = ok ? c : '_';
    }
    while (n && !((v[n - 1] >= 'a' && v[n - 1] <= 'z') || (v[n - 1] >= 'A' && v[n - 1] <= 'Z') ||
                  (v[n - 1] >= '0' && v[n - 1] <= '9')))
        v[--n] = '\0';
    while (v[0] && !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z') ||
                     (v[0] >= '0' && v[0] <= '9')))
        memmove(v, v + 1, strlen(v));
    return v;
}

json_t *sp_reconcile_vars(const struct sp_reconcile_config *cfg, const char *name,
                          const char *owner, const char *display_name, const char *size,
                          const char *const plan[5])
{
    static const char *const plan_keys[5] = {"plan.requests.cpu", "plan.requests.memory",
                                             "plan.limits.cpu", "plan.limits.memory",
                                             "plan.storage"};
    char *ns = sp_asprintf("store-%s", name);
    char *host = sp_asprintf("%s.%s", name, cfg->base_domain);
    char *secret = sp_asprintf("store-%s-credentials", name);
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
    json_object_set_new(v, "owner", json_string(owner ? owner : ""));
    json_object_set_new(v, "displayName", json_string(display_name ? display_name : name));
    json_object_set_new(v, "size", size ? json_string(size) : json_null());
    for (int i = 0; i < 5; i++)
        json_object_set_new(v, plan_keys[i], plan && plan[i] ? json_string(plan[i]) : json_null());
    free(ns);
    free(host);
    free(secret);
    return v;
}

static json_t *job_vars(struct job *j)
{
    const char *plan[5] = {j->s.spec.cpu_request, j->s.spec.memory_request, j->s.spec.cpu_limit,
                           j->s.spec.memory_limit, j->s.spec.storage};
    return sp_reconcile_vars(&j->r->cfg, j->s.name, j->s.spec.owner, j->s.spec.display_name,
                             j->s.spec.size, plan);
}

/* ---- step 1: namespace ----------------------------------------------------------------- */

/* Looks at the namespace: *exists, *terminating, *ours (labelled for this store). */
static enum sp_err ns_state(struct job *j, bool *exists, bool *terminating, bool *ours)
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

/* Returns SP_OK with *ready false when the step must wait. */
static enum sp_err step_namespace(struct job *j, bool *ready)
{
    bool exists, terminating, ours;
    char *owner;
    json_t *body;
    enum sp_err err = ns_state(j, &exists, &terminating, &ours);

    *ready = false;
    if (err)
        return err;
    if (exists && !ours) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "namespace %s already exists and does not belong to this store; choose "
                 "another name",
                 j->ns);
        cond(j, SP_COND_NAMESPACE, SP_FALSE, "NamespaceTaken", msg);
        return set_failed(j, "NamespaceTaken", msg);
    }
    if (terminating) {
        cond(j, SP_COND_NAMESPACE, SP_FALSE, "NamespaceTerminating",
             "waiting for the previous namespace of this store to be removed");
        return SP_OK;
    }
    if (!exists) {
        owner = label_value(j->s.spec.owner);
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
    cond(j, SP_COND_NAMESPACE, SP_TRUE, "Created", j->ns);
    *ready = true;
    return SP_OK;
}

/* ---- step 2: credentials Secret, and the RoleBinding hook ------------------------------ */

static enum sp_err step_secret(struct job *j)
{
    char *path = sp_asprintf("/api/v1/namespaces/%s/secrets/%s", j->ns, j->secret);
    char *coll = sp_asprintf("/api/v1/namespaces/%s/secrets", j->ns);
    json_t *vars = NULL, *data = NULL, *body = NULL;
    enum sp_err err = sp_kube_get(j->r->kube, path, NULL);

    if (err == SP_E_NOTFOUND) {
        vars = job_vars(j);
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
        cond(j, SP_COND_CREDENTIALS, SP_TRUE, "Created", j->secret);
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
static enum sp_err step_rolebinding(struct job *j)
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

/* ---- step 3: helm release -------------------------------------------------------------- */

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

/* The engine's chart version as a label value, or NULL (caller frees). */
static char *engine_chart_label(const struct sp_engine *e)
{
    return e && e->chart_version ? label_value(e->chart_version) : NULL;
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
static enum sp_err install_release(struct job *j, int64_t since_ms, int64_t *rev, bool *invalid)
{
    json_t *vars = job_vars(j), *values = NULL;
    char *chart = engine_chart_label(j->engine);
    struct sp_helm h = j->r->helm;
    enum sp_err err;

    *invalid = false;
    err = sp_engine_values(j->engine, vars, &values);
    if (err) {
        *invalid = true;
        goto out;
    }
    err = flush(j);
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
static enum sp_err step_release(struct job *j, bool *done)
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
        cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", "release is deployed");
        *done = true;
        return SP_OK;
    }
    err = install_release(j, j->s.status.provisioning_ms, &rev, &invalid);
    if (invalid) {
        cond(j, SP_COND_RELEASE, SP_FALSE, "InvalidValues", sp_errmsg());
        return set_failed(j, "InvalidPlan", sp_errmsg());
    }
    if (err == SP_E_HELM) {
        char msg[1200];
        snprintf(msg, sizeof(msg), "%s", sp_errmsg());
        cond(j, SP_COND_RELEASE, SP_FALSE, "HelmFailed", msg);
        sp_warn(j->s.name, "helm", "helm upgrade failed: %s", msg);
        if (helm_error_is_permanent(msg)) {
            char why[1400];
            snprintf(why, sizeof(why), "the store could not be installed: %s", msg);
            return set_failed(j, "HelmFailed", why);
        }
        return sp_fail(SP_E_HELM, "%s", msg);
    }
    if (err)
        return err;
    j->s.status.helm_revision = rev;
    {
        char msg[64], *chart = engine_chart_label(j->engine);
        snprintf(msg, sizeof(msg), "revision %lld", (long long)rev);
        cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", msg);
        sp_store_add_activity(&j->s, j->now, "release deployed");
        sp_set_str(&j->s.status.chart_version, chart);
        free(chart);
    }
    *done = true;
    return SP_OK;
}

/* ---- step 4: readiness from the API ---------------------------------------------------- */

/* A collection in the store's namespace: from its watch when loaded, else listed. */
static json_t *list_in(struct job *j, const char *api, const char *kind, enum sp_err *err)
{
    char *path;
    json_t *list = NULL, *items;

    *err = SP_OK;
    if (j->r->watch && (items = sp_nswatch_items(j->r->watch, j->s.name, api, kind)))
        return items;
    path = sp_asprintf("%s/namespaces/%s/%s", api, j->ns, kind);
    *err = sp_kube_get(j->r->kube, path, &list);
    free(path);
    if (*err)
        return NULL;
    items = json_incref(json_object_get(list, "items"));
    json_decref(list);
    return items ? items : json_array();
}

static const char *name_of(const json_t *o)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}

/*
 * Whether o was created at least `ms` ago; an object whose age is unknown
 * counts as old. Fresh objects are not asked about their Warning events: they
 * are still being set up, and looking costs a request per object per look.
 */
static bool older_than(const struct job *j, const json_t *o, int64_t ms)
{
    int64_t created;
    const char *t =
        json_string_value(json_object_get(json_object_get(o, "metadata"), "creationTimestamp"));
    return !t || !sp_time_parse(t, &created) || j->now - created >= ms;
}

#define WARNING_AGE_MS 5000

/* The latest Warning event about an object in the namespace, or NULL (caller frees). */
static char *last_warning(struct job *j, const char *kind, const char *name)
{
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

/* Why a pod is not ready, from its container states; NULL when it is ready (caller frees). */
static char *pod_problem(struct job *j, const json_t *pod, bool *hard)
{
    const json_t *st = json_object_get(pod, "status");
    const char *phase = json_string_value(json_object_get(st, "phase"));
    const json_t *c;
    size_t i;
    bool ready = false;

    json_array_foreach(json_object_get(st, "conditions"), i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *s = json_string_value(json_object_get(c, "status"));
        if (type && s && strcmp(type, "Ready") == 0 && strcmp(s, "True") == 0)
            ready = true;
    }
    if (ready)
        return NULL;
    if (phase && strcmp(phase, "Failed") == 0) {
        const char *m = json_string_value(json_object_get(st, "message"));
        return sp_asprintf("pod %s failed%s%s", name_of(pod), m ? ": " : "", m ? m : "");
    }
    const char *lists[] = {"initContainerStatuses", "containerStatuses"};
    for (int l = 0; l < 2; l++) {
        json_array_foreach(json_object_get(st, lists[l]), i, c)
        {
            const json_t *w = json_object_get(json_object_get(c, "state"), "waiting");
            const char *reason = json_string_value(json_object_get(w, "reason"));
            const char *m = json_string_value(json_object_get(w, "message"));
            if (!reason || strcmp(reason, "ContainerCreating") == 0 ||
                strcmp(reason, "PodInitializing") == 0)
                continue;
            if (strcmp(reason, "InvalidImageName") == 0 ||
                strcmp(reason, "CreateContainerConfigError") == 0)
                *hard = true;
            return sp_asprintf("pod %s, container %s: %s%s%s", name_of(pod),
                               json_string_value(json_object_get(c, "name")), reason, m ? ": " : "",
                               m ? m : "");
        }
    }
    {
        char *w = older_than(j, pod, WARNING_AGE_MS) ? last_warning(j, "Pod", name_of(pod)) : NULL;
        char *msg = sp_asprintf("pod %s is not ready%s%s", name_of(pod), w ? ": " : "", w ? w : "");
        free(w);
        return msg;
    }
}

static bool owned_by_job(const json_t *pod)
{
    const json_t *ref;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), i, ref)
    {
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        if (kind && strcmp(kind, "Job") == 0)
            return true;
    }
    return false;
}

/* Whether a Deployment or StatefulSet has all its replicas ready and up to date. */
static char *workload_problem(const char *kind, const json_t *o)
{
    const json_t *spec = json_object_get(o, "spec"), *st = json_object_get(o, "status");
    json_int_t want = json_is_integer(json_object_get(spec, "replicas"))
                          ? json_integer_value(json_object_get(spec, "replicas"))
                          : 1;
    json_int_t ready = json_integer_value(json_object_get(st, "readyReplicas"));
    json_int_t updated = json_integer_value(json_object_get(st, "updatedReplicas"));
    json_int_t gen =
        json_integer_value(json_object_get(json_object_get(o, "metadata"), "generation"));
    json_int_t seen = json_integer_value(json_object_get(st, "observedGeneration"));

    if (seen < gen)
        return sp_asprintf("%s %s: update not yet observed", kind, name_of(o));
    if (ready < want || updated < want)
        return sp_asprintf("%s %s: %lld of %lld replicas ready", kind, name_of(o), (long long)ready,
                           (long long)want);
    return NULL;
}

/*
 * Readiness per the engine's checks. *ready true when everything is ready;
 * otherwise *why (caller frees) says what is not, and *hard says retrying
 * cannot help (a failed Job, an invalid image name).
 */
static enum sp_err check_workloads(struct job *j, bool *ready, char **why, bool *hard)
{
    json_t *items = NULL, *o;
    size_t i;
    enum sp_err err = SP_OK;
    char *problem = NULL;

    *ready = false;
    *why = NULL;
    *hard = false;
    /* from now on every change in the namespace kicks the store (nswatch.h) */
    if (j->r->watch)
        sp_nswatch_want(j->r->watch, j->s.name, j->ns, 3 * j->r->cfg.poll_ms + 5000);
    if (sp_engine_checks(j->engine, "jobs")) {
        items = list_in(j, "/apis/batch/v1", "jobs", &err);
        if (err)
            goto out;
        json_array_foreach(items, i, o)
        {
            const json_t *c;
            size_t k;
            bool complete = false;
            json_array_foreach(json_object_get(json_object_get(o, "status"), "conditions"), k, c)
            {
                const char *type = json_string_value(json_object_get(c, "type"));
                const char *s = json_string_value(json_object_get(c, "status"));
                if (!type || !s || strcmp(s, "True") != 0)
                    continue;
                if (strcmp(type, "Complete") == 0)
                    complete = true;
                if (strcmp(type, "Failed") == 0 && !problem) {
                    const char *m = json_string_value(json_object_get(c, "message"));
                    const char *r = json_string_value(json_object_get(c, "reason"));
                    problem = sp_asprintf("setup job %s failed: %s%s%s", name_of(o),
                                          r ? r : "Failed", m ? ": " : "", m ? m : "");
                    *hard = true;
                }
            }
            if (!complete && !problem)
                problem = sp_asprintf("job %s has not completed yet", name_of(o));
        }
        json_decref(items);
        items = NULL;
        if (*hard)
            goto out;
    }
    if (sp_engine_checks(j->engine, "pvcs")) {
        items = list_in(j, "/api/v1", "persistentvolumeclaims", &err);
        if (err)
            goto out;
        json_array_foreach(items, i, o)
        {
            const char *phase =
                json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
            if (phase && strcmp(phase, "Bound") == 0)
                continue;
            if (!problem) {
                char *w = older_than(j, o, WARNING_AGE_MS)
                              ? last_warning(j, "PersistentVolumeClaim", name_of(o))
                              : NULL;
                problem = sp_asprintf("volume claim %s is %s%s%s", name_of(o),
                                      phase ? phase : "not bound", w ? ": " : "", w ? w : "");
                free(w);
            }
        }
        json_decref(items);
        items = NULL;
    }
    if (sp_engine_checks(j->engine, "pods")) {
        const char *kinds[2] = {"deployments", "statefulsets"};
        const char *names[2] = {"deployment", "statefulset"};
        bool any = false;
        for (int k = 0; k < 2; k++) {
            items = list_in(j, "/apis/apps/v1", kinds[k], &err);
            if (err)
                goto out;
            json_array_foreach(items, i, o)
            {
                char *p = workload_problem(names[k], o);
                any = true;
                if (p && !problem)
                    problem = p;
                else
                    free(p);
            }
            json_decref(items);
            items = NULL;
        }
        items = list_in(j, "/api/v1", "pods", &err);
        if (err)
            goto out;
        json_array_foreach(items, i, o)
        {
            char *p;
            if (owned_by_job(o))
                continue;
            any = true;
            p = pod_problem(j, o, hard);
            /* a pod's own reason explains more than a replica count */
            if (p && (!problem || strncmp(problem, "deployment", 10) == 0 ||
                      strncmp(problem, "statefulset", 11) == 0)) {
                free(problem);
                problem = p;
            } else {
                free(p);
            }
        }
        if (!any && !problem)
            problem = sp_strdup("no workloads found yet");
    }
out:
    json_decref(items);
    if (err) {
        free(problem);
        return err;
    }
    *ready = problem == NULL;
    *why = problem;
    return SP_OK;
}

/* ---- phases ---------------------------------------------------------------------------- */

static void set_urls(struct job *j)
{
    json_t *vars = job_vars(j);
    char *url = NULL, *admin = NULL;
    if (sp_template_string(j->engine->url, vars, &url) == SP_OK)
        sp_set_str(&j->s.status.url, url);
    if (j->engine->admin_url[0] && sp_template_string(j->engine->admin_url, vars, &admin) == SP_OK)
        sp_set_str(&j->s.status.admin_url, admin);
    free(url);
    free(admin);
    json_decref(vars);
}

/* The first condition that is not True, as "Condition: message", for timeouts. */
static void first_unready(struct job *j, char *out, size_t n)
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

/* The storefront check (when switched on) of a store whose URLs are set; sets its condition. */
static bool storefront_serves(struct job *j)
{
    struct sp_reconcile_config *cfg = &j->r->cfg;
    if (cfg->storefront_check) {
        char *check_url = sp_strdup(j->s.status.url);
        long status = 0;
        enum sp_err err;
        const char *path =
            json_string_value(json_object_get(j->engine->readiness, "storefrontPath"));
        if (path && check_url) {
            free(check_url);
            check_url = sp_asprintf("%s%s", j->s.status.url, path[0] == '/' ? path + 1 : path);
        }
        err = sp_probe_http(check_url, cfg->storefront_timeout_ms, &status);
        free(check_url);
        if (err || status < 200 || status >= 400) {
            char msg[600];
            if (err)
                snprintf(msg, sizeof(msg), "%s", sp_errmsg());
            else
                snprintf(msg, sizeof(msg), "storefront answered HTTP %ld", status);
            cond(j, SP_COND_STOREFRONT, SP_FALSE, "NotServing", msg);
            return false;
        }
        cond(j, SP_COND_STOREFRONT, SP_TRUE, "Serving", "storefront answers");
    } else {
        cond(j, SP_COND_STOREFRONT, SP_TRUE, "CheckDisabled", "storefront check is switched off");
    }
    return true;
}

static enum sp_err provision(struct job *j, int64_t *requeue)
{
    struct sp_reconcile_config *cfg = &j->r->cfg;
    bool ok, hard;
    char *why = NULL;
    enum sp_err err;

    slot_take(j->r, j->s.name, true);
    if (!j->s.status.provisioning_ms)
        j->s.status.provisioning_ms = j->now;
    if (j->now - j->s.status.provisioning_ms > cfg->provision_timeout_ms) {
        char detail[1024], msg[1400];
        first_unready(j, detail, sizeof(detail));
        snprintf(msg, sizeof(msg), "the store did not become ready within %lld s: %s",
                 (long long)(cfg->provision_timeout_ms / 1000), detail);
        *requeue = 1;
        return set_failed(j, "Timeout", msg);
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
        cond(j, SP_COND_CREDENTIALS, SP_FALSE, "CreateFailed", sp_errmsg());
        return err;
    }
    err = step_release(j, &ok);
    if (err || !ok)
        return err;

    err = check_workloads(j, &ok, &why, &hard);
    if (err)
        return err;
    if (!ok) {
        cond(j, SP_COND_WORKLOADS, SP_FALSE, hard ? "Failed" : "NotReady", why);
        if (hard) {
            char msg[1400];
            snprintf(msg, sizeof(msg), "the store cannot start: %s", why);
            free(why);
            *requeue = 1;
            return set_failed(j, "WorkloadFailed", msg);
        }
        free(why);
        return SP_OK;
    }
    cond(j, SP_COND_WORKLOADS, SP_TRUE, "Ready", "pods ready, jobs complete, volumes bound");

    set_urls(j);
    if (!storefront_serves(j))
        return SP_OK;

    err = go(j, SP_PHASE_READY, "Normal", NULL);
    if (err)
        return err;
    sp_set_str(&j->s.status.message, "the store is ready");
    sp_set_str(&j->s.status.reason, NULL);
    j->s.status.ready_ms = j->now;
    j->s.status.observed_generation = j->s.generation;
    sp_metric_observe(m_duration(), NULL, (double)(j->now - j->s.status.provisioning_ms) / 1000.0);
    slot_give_back(j->r, j->s.name);
    *requeue = 0;
    return SP_OK;
}

/* ---- chart rollout (Ready stores) ------------------------------------------------------ */

enum sp_rollout sp_rollout_decide(const char *chart, const char *deployed, const char *failed)
{
    if (!chart || !*chart || (deployed && strcmp(deployed, chart) == 0))
        return SP_ROLLOUT_NONE;
    if (failed && strcmp(failed, chart) == 0)
        return SP_ROLLOUT_HELD;
    return SP_ROLLOUT_UPGRADE;
}

static void upgrade_clear(struct job *j)
{
    sp_set_str(&j->s.status.upgrading_to, NULL);
    j->s.status.upgrade_from_revision = 0;
    j->s.status.upgrade_started_ms = 0;
    rollout_give_back(j->r, j->s.name);
}

/* An upgrade under way is dropped for a reinstall (spec change, namespace gone). */
static void upgrade_abandon(struct job *j, const char *why)
{
    char msg[300];
    if (!j->s.status.upgrading_to)
        return;
    snprintf(msg, sizeof(msg), "upgrade to chart %s abandoned: %s", j->s.status.upgrading_to, why);
    sp_store_add_activity(&j->s, j->now, msg);
    sp_info(j->s.name, "rollout", "%s", msg);
    upgrade_clear(j);
}

/*
 * The upgrade to chart status.upgradingTo failed (cause): helm rollback to
 * status.upgradeFromRevision, remember the version in failedChartVersion
 * (recorded before the rollback, so a crash or a failed rollback comes back
 * here instead of upgrading again) and give the rollout slot back.
 */
static enum sp_err roll_back(struct job *j, const char *cause, int64_t *requeue)
{
    struct sp_helm_state st;
    char msg[1400];
    int64_t t0 = sp_wall_ms();
    enum sp_err err;

    if (!j->s.status.failed_chart_version ||
        strcmp(j->s.status.failed_chart_version, j->s.status.upgrading_to) != 0) {
        snprintf(msg, sizeof(msg), "upgrade to chart %s failed: %s; rolling back to revision %lld",
                 j->s.status.upgrading_to, cause, (long long)j->s.status.upgrade_from_revision);
        sp_set_str(&j->s.status.failed_chart_version, j->s.status.upgrading_to);
        sp_set_str(&j->s.status.message, msg);
        sp_store_add_activity(&j->s, j->now, msg);
        sp_warn(j->s.name, "rollout", "%s", msg);
    }
    err = flush(j);
    if (!err)
        err = sp_helm_look(j->r->kube, j->release, j->ns, true, &st);
    if (!err && j->r->watch)
        sp_nswatch_drop(j->r->watch, j->s.name);
    if (!err)
        err = sp_helm_rollback(&j->r->helm, j->release, j->ns, j->s.status.upgrade_from_revision);
    if (err) {
        sp_warn(j->s.name, "rollout", "helm rollback to revision %lld failed: %s",
                (long long)j->s.status.upgrade_from_revision, sp_errmsg());
        return err;
    }
    err = sp_helm_look(j->r->kube, j->release, j->ns, false, &st);
    if (err)
        return err;
    sp_set_str(&j->s.status.chart_version, st.chart[0] ? st.chart : NULL);
    j->s.status.helm_revision = st.deployed;
    {
        /* the message keeps the cause, which status.message already holds */
        const char *m = j->s.status.message ? j->s.status.message : "";
        const char *tail = strstr(m, "; rolling back to revision");
        snprintf(msg, sizeof(msg), "%.*s; rolled back to revision %lld (now revision %lld)",
                 (int)(tail ? (size_t)(tail - m) : strlen(m)), m,
                 (long long)j->s.status.upgrade_from_revision, (long long)st.deployed);
    }
    sp_set_str(&j->s.status.message, msg);
    sp_store_add_activity(&j->s, j->now, msg);
    transition(j, "Warning", "UpgradeRolledBack", msg);
    snprintf(msg, sizeof(msg), "revision %lld (rollback to %lld)", (long long)st.deployed,
             (long long)j->s.status.upgrade_from_revision);
    cond(j, SP_COND_RELEASE, SP_TRUE, "RolledBack", msg);
    cond(j, SP_COND_WORKLOADS, SP_UNKNOWN, "RolledBack",
         "the previous revision's workloads are restored by the rollback");
    sp_info(j->s.name, "rollout", "rolled back to revision %lld in %lld ms",
            (long long)j->s.status.upgrade_from_revision, (long long)(sp_wall_ms() - t0));
    upgrade_clear(j);
    *requeue = 0;
    return SP_OK;
}

/*
 * A Ready store and the engine's chart version: nothing, queued for the
 * rollout slot, or one step of its upgrade (helm upgrade, then readiness
 * per call until ready, a hard failure or the timeout, then done or rolled
 * back). The phase stays Ready: the old pods serve until the new ones are
 * ready, and a failed upgrade goes back to the old revision.
 */
static enum sp_err rollout(struct job *j, int64_t *requeue)
{
    struct sp_helm_state st;
    char *want = engine_chart_label(j->engine), *why = NULL;
    const char *deployed;
    char msg[1400];
    bool ok, hard, invalid;
    int64_t rev = 0;
    enum sp_err err = SP_OK;

    if (!want || !*want)
        goto out;
    if (!j->s.status.upgrading_to) {
        err = sp_helm_look(j->r->kube, j->release, j->ns, false, &st);
        if (err || !st.deployed || st.latest != st.deployed)
            goto out;
        deployed = st.chart[0] ? st.chart : NULL;
        sp_set_str(&j->s.status.chart_version, deployed);
        if (sp_rollout_decide(want, deployed, j->s.status.failed_chart_version) !=
            SP_ROLLOUT_UPGRADE)
            goto out;
        *requeue = j->r->cfg.poll_ms;
        if (!rollout_take(j->r, j->s.name)) {
            snprintf(msg, sizeof(msg),
                     "queued for the upgrade to chart %s: stores are upgraded one at a time", want);
            if (!j->s.status.message || strcmp(j->s.status.message, msg) != 0) {
                sp_set_str(&j->s.status.message, msg);
                sp_store_add_activity(&j->s, j->now, msg);
            }
            goto out;
        }
        sp_set_str(&j->s.status.upgrading_to, want);
        j->s.status.upgrade_from_revision = st.deployed;
        j->s.status.upgrade_started_ms = j->now;
        snprintf(msg, sizeof(msg), "upgrading to chart %s from %s (revision %lld)", want,
                 deployed ? deployed : "an unrecorded chart version", (long long)st.deployed);
        sp_set_str(&j->s.status.message, msg);
        sp_store_add_activity(&j->s, j->now, msg);
        transition(j, "Normal", "Upgrading", msg);
        sp_info(j->s.name, "rollout", "%s", msg);
    }
    *requeue = j->r->cfg.poll_ms;
    if (!rollout_take(j->r, j->s.name))
        goto out; /* only after a restart found two upgrades under way: one waits */
    if (j->s.status.failed_chart_version &&
        strcmp(j->s.status.failed_chart_version, j->s.status.upgrading_to) == 0) {
        err = roll_back(j, "", requeue); /* decided before a crash or a failed rollback */
        goto out;
    }
    if (strcmp(j->s.status.upgrading_to, want) != 0) {
        /* restarted with yet another chart during an upgrade: that one is the target now */
        sp_set_str(&j->s.status.upgrading_to, want);
        j->s.status.upgrade_started_ms = j->now;
    }
    if (j->now - j->s.status.upgrade_started_ms > j->r->cfg.provision_timeout_ms) {
        const struct sp_condition *w = &j->s.status.cond[SP_COND_WORKLOADS];
        snprintf(msg, sizeof(msg), "not ready within %lld s: %s",
                 (long long)(j->r->cfg.provision_timeout_ms / 1000),
                 w->status != SP_TRUE && w->message ? w->message : "readiness not reached");
        err = roll_back(j, msg, requeue);
        goto out;
    }

    /* the release carries the target chart, else (helm not run yet, or a crash) upgrade */
    err = sp_helm_look(j->r->kube, j->release, j->ns, true, &st);
    if (err)
        goto out;
    if (!st.chart[0] || strcmp(st.chart, want) != 0 || st.latest != st.deployed) {
        err = install_release(j, j->s.status.upgrade_started_ms, &rev, &invalid);
        if (err == SP_E_HELM || invalid) {
            snprintf(msg, sizeof(msg), "helm upgrade: %s", sp_errmsg());
            err = roll_back(j, msg, requeue);
            goto out;
        }
        if (err)
            goto out;
        j->s.status.helm_revision = rev;
        sp_set_str(&j->s.status.chart_version, want);
        snprintf(msg, sizeof(msg), "revision %lld", (long long)rev);
        cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", msg);
        snprintf(msg, sizeof(msg),
                 "release upgraded to chart %s (revision %lld); checking readiness", want,
                 (long long)rev);
        sp_store_add_activity(&j->s, j->now, msg);
        goto out; /* readiness from the next call, once the controllers saw the change */
    }

    err = check_workloads(j, &ok, &why, &hard);
    if (err)
        goto out;
    if (!ok) {
        cond(j, SP_COND_WORKLOADS, SP_FALSE, hard ? "Failed" : "NotReady", why);
        if (hard) {
            snprintf(msg, sizeof(msg), "%s", why);
            err = roll_back(j, msg, requeue);
        }
        goto out;
    }
    cond(j, SP_COND_WORKLOADS, SP_TRUE, "Ready", "pods ready, jobs complete, volumes bound");
    set_urls(j);
    if (!storefront_serves(j))
        goto out;
    snprintf(msg, sizeof(msg), "upgraded to chart %s (revision %lld) in %.1f s", want,
             (long long)st.deployed, (double)(j->now - j->s.status.upgrade_started_ms) / 1000.0);
    sp_set_str(&j->s.status.message, msg);
    sp_store_add_activity(&j->s, j->now, msg);
    transition(j, "Normal", "Upgraded", msg);
    sp_info(j->s.name, "rollout", "%s", msg);
    j->s.status.helm_revision = st.deployed;
    sp_set_str(&j->s.status.chart_version, want);
    sp_set_str(&j->s.status.failed_chart_version, NULL);
    upgrade_clear(j);
    *requeue = 0;
out:
    free(why);
    free(want);
    return err;
}

/* Failed: make sure the release and namespace are gone (the Store stays). */
static enum sp_err cleanup(struct job *j, int64_t *requeue)
{
    bool exists, terminating, ours;
    char *path;
    enum sp_err err = ns_state(j, &exists, &terminating, &ours);

    if (err || !exists || !ours)
        return err;
    if (terminating) {
        *requeue = j->r->cfg.poll_ms;
        return SP_OK;
    }
    err = flush(j);
    if (err)
        return err;
    err = sp_helm_uninstall(&j->r->helm, j->release, j->ns);
    if (err)
        sp_warn(j->s.name, "cleanup", "helm uninstall failed, deleting the namespace anyway: %s",
                sp_errmsg());
    path = sp_asprintf("/api/v1/namespaces/%s", j->ns);
    err = sp_kube_delete(j->r->kube, path, "Background", NULL);
    free(path);
    if (err == SP_E_NOTFOUND)
        err = SP_OK;
    if (!err) {
        sp_info(j->s.name, "cleanup", "deleting namespace %s", j->ns);
        sp_store_add_activity(&j->s, j->now, "resources of the failed store removed");
    }
    *requeue = j->r->cfg.poll_ms;
    return err;
}

static enum sp_err remove_finalizer(struct job *j)
{
    json_t *fins = json_object_get(json_object_get(j->obj, "metadata"), "finalizers");
    json_t *v, *ops;
    size_t i;
    char *path, idx[64];
    enum sp_err err = SP_OK;

    json_array_foreach(fins, i, v)
    {
        if (!json_is_string(v) || strcmp(json_string_value(v), SP_FINALIZER) != 0)
            continue;
        snprintf(idx, sizeof(idx), "/metadata/finalizers/%zu", i);
        ops = json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "op", "test", "path", idx, "value",
                        SP_FINALIZER, "op", "remove", "path", idx);
        path = sp_asprintf("%s/%s", SP_STORES_PATH, j->s.name);
        err = sp_kube_json_patch(j->r->kube, path, ops, NULL);
        free(path);
        json_decref(ops);
        if (err == SP_E_NOTFOUND)
            err = SP_OK;
        break;
    }
    return err;
}

/* deletionTimestamp is set: uninstall, delete the namespace, wait, release the finalizer. */
static enum sp_err finalize(struct job *j, int64_t *requeue)
{
    bool exists, terminating, ours;
    enum sp_err err;

    slot_give_back(j->r, j->s.name);
    if (!j->s.has_finalizer)
        return SP_OK;
    err = go(j, SP_PHASE_DELETING, "Normal", "removing the store and its data");
    if (err)
        return err;
    err = ns_state(j, &exists, &terminating, &ours);
    if (err)
        return err;
    if (exists && ours && !terminating) {
        char *path;
        struct sp_helm_state st;
        err = flush(j);
        if (err)
            return err;
        if (sp_helm_look(j->r->kube, j->release, j->ns, false, &st) == SP_OK && st.latest) {
            err = sp_helm_uninstall(&j->r->helm, j->release, j->ns);
            if (err)
                sp_warn(j->s.name, "delete",
                        "helm uninstall failed, deleting the namespace anyway: %s", sp_errmsg());
            else
                sp_store_add_activity(&j->s, j->now, "release uninstalled");
        }
        path = sp_asprintf("/api/v1/namespaces/%s", j->ns);
        err = sp_kube_delete(j->r->kube, path, "Background", NULL);
        free(path);
        if (err && err != SP_E_NOTFOUND)
            return err;
        sp_info(j->s.name, "delete", "deleting namespace %s", j->ns);
        sp_store_add_activity(&j->s, j->now, "namespace deletion started");
        *requeue = j->r->cfg.poll_ms;
        return SP_OK;
    }
    if (exists && ours) {
        /* the namespace controller removes the PVCs (and their volumes) before the
         * namespace itself disappears, so "namespace gone" means "data gone" */
        *requeue = j->r->cfg.poll_ms;
        return SP_OK;
    }
    /* namespace gone (or never ours): let the Store go */
    return SP_OK;
}

/* Adds the finalizer; the resourceVersion makes a concurrent change a 409, never a lost one. */
static enum sp_err ensure_finalizer(struct job *j)
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

/*
 * Writes the status when it differs from what the API server has, then records the Events
 * of the transitions it contains. Called at the end of every reconcile and before anything
 * slow (helm), so a shop owner sees "Provisioning" while it happens and a crash loses
 * nothing already decided.
 */
static enum sp_err flush(struct job *j)
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

static enum sp_err run_phase(struct job *j, int64_t *requeue)
{
    enum sp_err err;

    /* a retry asked for through the annotation: start again from scratch */
    if (j->s.retry &&
        (!j->s.status.observed_retry || strcmp(j->s.retry, j->s.status.observed_retry) != 0)) {
        sp_set_str(&j->s.status.observed_retry, j->s.retry);
        if (j->s.status.phase == SP_PHASE_FAILED) {
            bool exists, terminating, ours;
            err = ns_state(j, &exists, &terminating, &ours);
            if (err)
                return err;
            err = go(j, SP_PHASE_PENDING, "Normal", "retry requested");
            if (err)
                return err;
            sp_store_reset_conds(&j->s);
            sp_set_str(&j->s.status.reason, NULL);
            j->s.status.provisioning_ms = j->s.status.failed_ms = j->s.status.ready_ms = 0;
            j->s.status.helm_revision = 0;
            upgrade_clear(j);
        }
    }
    if (j->s.status.phase == SP_PHASE_READY && j->s.generation != j->s.status.observed_generation) {
        upgrade_abandon(j, "the spec changed; the store is set up again with the current chart");
        slot_take(j->r, j->s.name, true);
        err = go(j, SP_PHASE_PROVISIONING, "Normal", "applying a changed spec");
        if (err)
            return err;
        j->s.status.provisioning_ms = j->now;
    }

    switch (j->s.status.phase) {
    case SP_PHASE_NONE:
    case SP_PHASE_PENDING:
        if (sp_store_validate(&j->s) != SP_OK)
            return set_failed(j, "InvalidSpec", sp_errmsg());
        if (!j->engine) {
            char msg[200];
            snprintf(msg, sizeof(msg), "spec.engine: '%s' is not an engine this platform offers",
                     j->s.spec.engine);
            return set_failed(j, "InvalidSpec", msg);
        }
        if (!slot_take(j->r, j->s.name, false)) {
            char msg[200];
            snprintf(msg, sizeof(msg),
                     "queued: %zu stores are being set up at once (the limit); this one "
                     "starts when one of them is done",
                     sp_reconciler_slots_used(j->r));
            err = go(j, SP_PHASE_PENDING, "Normal", msg);
            if (!err && (!j->s.status.message || strcmp(j->s.status.message, msg) != 0))
                sp_set_str(&j->s.status.message, msg);
            *requeue = j->r->cfg.poll_ms;
            return err;
        }
        if (j->s.status.phase == SP_PHASE_NONE) {
            err = go(j, SP_PHASE_PENDING, "Normal", NULL);
            if (err)
                return err;
        }
        err = go(j, SP_PHASE_PROVISIONING, "Normal", "setting up the store");
        if (err)
            return err;
        j->s.status.provisioning_ms = j->now;
        return provision(j, requeue);
    case SP_PHASE_PROVISIONING:
        if (!j->engine)
            return set_failed(j, "InvalidSpec", "spec.engine: the engine is no longer offered");
        return provision(j, requeue);
    case SP_PHASE_READY: {
        bool exists, terminating, ours;
        err = ns_state(j, &exists, &terminating, &ours);
        if (err)
            return err;
        if (!exists || terminating) {
            upgrade_abandon(j, "the store's namespace disappeared");
            slot_take(j->r, j->s.name, true);
            err = go(j, SP_PHASE_PROVISIONING, "Warning",
                     "the store's namespace disappeared; setting it up again");
            if (!err)
                j->s.status.provisioning_ms = j->now;
            *requeue = j->r->cfg.poll_ms;
            return err;
        }
        return rollout(j, requeue);
    }
    case SP_PHASE_FAILED:
        return cleanup(j, requeue);
    case SP_PHASE_DELETING:
        return SP_OK; /* only reached with deletionTimestamp, handled by finalize() */
    }
    return SP_OK;
}

enum sp_err sp_reconcile(struct sp_reconciler *r, const char *name, int64_t *requeue_ms)
{
    struct job j = {.r = r};
    char *path = sp_asprintf("%s/%s", SP_STORES_PATH, name);
    enum sp_err err, werr;

    *requeue_ms = 0;
    err = sp_kube_get(r->kube, path, &j.obj);
    free(path);
    if (err == SP_E_NOTFOUND) {
        slot_give_back(r, name);
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
    j.ns = sp_asprintf("store-%s", name);
    j.release = sp_strdup(j.ns);
    j.secret = sp_asprintf("store-%s-credentials", name);
    j.engine = sp_engines_find(r->engines, j.s.spec.engine);
    j.written = sp_store_status_json(&j.s);

    if (j.s.deleting) {
        err = finalize(&j, requeue_ms);
    } else {
        err = ensure_finalizer(&j);
        if (!err)
            err = run_phase(&j, requeue_ms);
    }
    /* the status records what happened even when a step failed; a store about to
     * disappear needs none */
    werr = j.s.deleting && !*requeue_ms && !err ? SP_OK : flush(&j);
    if (r->watch && (j.s.deleting || j.s.status.phase != SP_PHASE_PROVISIONING) &&
        !j.s.status.upgrading_to)
        sp_nswatch_drop(r->watch, name); /* nothing to wait for in its namespace */
    if (j.s.deleting && !err && !*requeue_ms && j.s.has_finalizer) {
        sp_event_record(r->kube, name, j.s.uid, "Normal", "Deleted",
                        "the store and its data are gone");
        err = remove_finalizer(&j);
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
