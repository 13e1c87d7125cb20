/*
 * The Store model (see store.h). Parsing is lenient: fields that are missing
 * or of the wrong type read as absent, because the CRD schema is the first
 * line of validation and sp_store_validate() the second. The phase table is
 * the one place that says which transitions exist.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const phase_names[SP_PHASE_COUNT] = {
    "", "Pending", "Provisioning", "Ready", "Failed", "Deleting", "Degraded", "Suspended",
};

static const char *const cond_names[SP_COND_COUNT] = {
    "NamespaceReady", "CredentialsReady", "ReleaseDeployed", "WorkloadsReady", "StorefrontReady",
};

/* allowed[from][to]; staying in the same phase is always allowed. A Suspended store never
 * goes to Failed, whose clean-up deletes the namespace and with it the data it keeps. */
static const bool allowed[SP_PHASE_COUNT][SP_PHASE_COUNT] = {
    /*                       none pend prov ready fail del degr susp */
    [SP_PHASE_NONE] = {0, 1, 0, 0, 1, 1, 0, 0},
    [SP_PHASE_PENDING] = {0, 0, 1, 0, 1, 1, 0, 0},
    [SP_PHASE_PROVISIONING] = {0, 0, 0, 1, 1, 1, 0, 0},
    [SP_PHASE_READY] = {0, 0, 1, 0, 1, 1, 1, 1},
    [SP_PHASE_FAILED] = {0, 1, 0, 0, 0, 1, 0, 0},
    [SP_PHASE_DELETING] = {0, 0, 0, 0, 0, 0, 0, 0},
    /* Degraded: Ready again when it serves, set up again on a spec change or a lost namespace */
    [SP_PHASE_DEGRADED] = {0, 0, 1, 1, 0, 1, 0, 1},
    /* Suspended: set up again when resumed */
    [SP_PHASE_SUSPENDED] = {0, 0, 1, 0, 0, 1, 0, 0},
};

const char *sp_phase_name(enum sp_phase p)
{
    return (unsigned)p < SP_PHASE_COUNT ? phase_names[p] : "";
}

enum sp_phase sp_phase_parse(const char *s)
{
    for (int i = 1; s && i < SP_PHASE_COUNT; i++)
        if (strcmp(s, phase_names[i]) == 0)
            return (enum sp_phase)i;
    return SP_PHASE_NONE;
}

bool sp_phase_transition_ok(enum sp_phase from, enum sp_phase to)
{
    if ((unsigned)from >= SP_PHASE_COUNT || (unsigned)to >= SP_PHASE_COUNT)
        return false;
    return from == to || allowed[from][to];
}

const char *sp_cond_name(enum sp_cond c)
{
    return (unsigned)c < SP_COND_COUNT ? cond_names[c] : "";
}

void sp_store_spec_release(struct sp_store_spec *spec)
{
    free(spec->engine);
    free(spec->owner);
    free(spec->display_name);
    free(spec->size);
    free(spec->cpu_request);
    free(spec->memory_request);
    free(spec->cpu_limit);
    free(spec->memory_limit);
    free(spec->storage);
    memset(spec, 0, sizeof(*spec));
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool sp_store_spec_equal(const struct sp_store_spec *a, const struct sp_store_spec *b)
{
    return same(a->engine, b->engine) && same(a->owner, b->owner) &&
           same(a->display_name, b->display_name) && same(a->size, b->size) &&
           same(a->cpu_request, b->cpu_request) && same(a->memory_request, b->memory_request) &&
           same(a->cpu_limit, b->cpu_limit) && same(a->memory_limit, b->memory_limit) &&
           same(a->storage, b->storage);
}

char *sp_store_namespace(const char *name)
{
    return sp_asprintf("store-%s", name);
}

char *sp_store_secret_name(const char *name)
{
    return sp_asprintf("store-%s-credentials", name);
}

static char *dup_path(const json_t *o, const char *a, const char *b, const char *c)
{
    const json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_is_string(v) && *json_string_value(v) ? sp_strdup(json_string_value(v)) : NULL;
}

static int64_t time_of(const json_t *o, const char *key)
{
    int64_t ms = 0;
    if (!sp_time_parse(json_string_value(json_object_get(o, key)), &ms))
        return 0;
    return ms;
}

enum sp_err sp_store_from_json(const json_t *obj, struct sp_store *out)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const json_t *spec = json_object_get(obj, "spec");
    const json_t *plan = json_object_get(spec, "plan");
    const json_t *st = json_object_get(obj, "status");
    const json_t *v;
    size_t i;

    memset(out, 0, sizeof(*out));
    out->name = dup_path(meta, "name", NULL, NULL);
    if (!out->name)
        return sp_fail(SP_E_INVALID, "store has no metadata.name");
    out->uid = dup_path(meta, "uid", NULL, NULL);
    out->resource_version = dup_path(meta, "resourceVersion", NULL, NULL);
    out->generation = json_integer_value(json_object_get(meta, "generation"));
    out->created_ms = time_of(meta, "creationTimestamp");
    out->deleting = json_object_get(meta, "deletionTimestamp") != NULL;
    json_array_foreach(json_object_get(meta, "finalizers"), i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), SP_FINALIZER) == 0)
            out->has_finalizer = true;
    }
    out->retry = dup_path(meta, "annotations", SP_RETRY_ANNOTATION, NULL);

    out->spec.engine = dup_path(spec, "engine", NULL, NULL);
    out->spec.owner = dup_path(spec, "owner", NULL, NULL);
    out->spec.display_name = dup_path(spec, "displayName", NULL, NULL);
    out->spec.size = dup_path(plan, "size", NULL, NULL);
    if (!out->spec.size)
        out->spec.size = sp_strdup("small");
    out->spec.cpu_request = dup_path(plan, "requests", "cpu", NULL);
    out->spec.memory_request = dup_path(plan, "requests", "memory", NULL);
    out->spec.cpu_limit = dup_path(plan, "limits", "cpu", NULL);
    out->spec.memory_limit = dup_path(plan, "limits", "memory", NULL);
    out->spec.storage = dup_path(plan, "storage", NULL, NULL);
    out->spec.suspended = json_is_true(json_object_get(spec, "suspended"));

    out->status.phase = sp_phase_parse(json_string_value(json_object_get(st, "phase")));
    out->status.message = dup_path(st, "message", NULL, NULL);
    out->status.reason = dup_path(st, "reason", NULL, NULL);
    out->status.url = dup_path(st, "url", NULL, NULL);
    out->status.admin_url = dup_path(st, "adminUrl", NULL, NULL);
    out->status.provisioning_ms = time_of(st, "provisioningStartedAt");
    out->status.ready_ms = time_of(st, "readyAt");
    out->status.failed_ms = time_of(st, "failedAt");
    out->status.observed_generation = json_integer_value(json_object_get(st, "observedGeneration"));
    out->status.helm_revision = json_integer_value(json_object_get(st, "helmRevision"));
    out->status.observed_retry = dup_path(st, "observedRetry", NULL, NULL);
    out->status.chart_version = dup_path(st, "chartVersion", NULL, NULL);
    out->status.upgrading_to = dup_path(st, "upgradingTo", NULL, NULL);
    out->status.upgrade_from_revision =
        json_integer_value(json_object_get(st, "upgradeFromRevision"));
    out->status.upgrade_started_ms = time_of(st, "upgradeStartedAt");
    out->status.failed_chart_version = dup_path(st, "failedChartVersion", NULL, NULL);
    out->status.suspended_ms = time_of(st, "suspendedAt");
    out->status.resumed_ms = time_of(st, "resumedAt");
    json_array_foreach(json_object_get(st, "conditions"), i, v)
    {
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *cs = json_string_value(json_object_get(v, "status"));
        for (int c = 0; type && c < SP_COND_COUNT; c++) {
            struct sp_condition *cond = &out->status.cond[c];
            if (strcmp(type, cond_names[c]) != 0)
                continue;
            cond->status = cs && strcmp(cs, "True") == 0    ? SP_TRUE
                           : cs && strcmp(cs, "False") == 0 ? SP_FALSE
                                                            : SP_UNKNOWN;
            sp_set_str(&cond->reason, json_string_value(json_object_get(v, "reason")));
            sp_set_str(&cond->message, json_string_value(json_object_get(v, "message")));
            cond->since_ms = time_of(v, "lastTransitionTime");
        }
    }
    json_array_foreach(json_object_get(st, "activity"), i, v)
    {
        const char *msg = json_string_value(json_object_get(v, "message"));
        if (!msg || out->status.n_activity >= SP_ACTIVITY_MAX)
            continue;
        out->status.activity[out->status.n_activity].time_ms = time_of(v, "time");
        out->status.activity[out->status.n_activity].message = sp_strdup(msg);
        out->status.n_activity++;
    }
    return SP_OK;
}

void sp_store_release(struct sp_store *s)
{
    free(s->name);
    free(s->uid);
    free(s->resource_version);
    free(s->retry);
    sp_store_spec_release(&s->spec);
    free(s->status.message);
    free(s->status.reason);
    free(s->status.url);
    free(s->status.admin_url);
    free(s->status.observed_retry);
    free(s->status.chart_version);
    free(s->status.upgrading_to);
    free(s->status.failed_chart_version);
    for (int c = 0; c < SP_COND_COUNT; c++) {
        free(s->status.cond[c].reason);
        free(s->status.cond[c].message);
    }
    for (int i = 0; i < s->status.n_activity; i++)
        free(s->status.activity[i].message);
    memset(s, 0, sizeof(*s));
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char buf[40];
    if (!ms)
        return;
    sp_time_format(ms, buf, sizeof(buf));
    json_object_set_new(o, key, json_string(buf));
}

static void set_opt(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

json_t *sp_store_status_json(const struct sp_store *s)
{
    json_t *st = json_object(), *conds = json_array(), *act = json_array();

    json_object_set_new(st, "phase", json_string(sp_phase_name(s->status.phase)));
    set_opt(st, "message", s->status.message);
    set_opt(st, "reason", s->status.reason);
    set_opt(st, "url", s->status.url);
    set_opt(st, "adminUrl", s->status.admin_url);
    set_time(st, "provisioningStartedAt", s->status.provisioning_ms);
    set_time(st, "readyAt", s->status.ready_ms);
    set_time(st, "failedAt", s->status.failed_ms);
    json_object_set_new(st, "observedGeneration", json_integer(s->status.observed_generation));
    if (s->status.helm_revision)
        json_object_set_new(st, "helmRevision", json_integer(s->status.helm_revision));
    set_opt(st, "observedRetry", s->status.observed_retry);
    set_opt(st, "chartVersion", s->status.chart_version);
    set_opt(st, "upgradingTo", s->status.upgrading_to);
    if (s->status.upgrade_from_revision)
        json_object_set_new(st, "upgradeFromRevision",
                            json_integer(s->status.upgrade_from_revision));
    set_time(st, "upgradeStartedAt", s->status.upgrade_started_ms);
    set_opt(st, "failedChartVersion", s->status.failed_chart_version);
    set_time(st, "suspendedAt", s->status.suspended_ms);
    set_time(st, "resumedAt", s->status.resumed_ms);
    for (int c = 0; c < SP_COND_COUNT; c++) {
        const struct sp_condition *cond = &s->status.cond[c];
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string(cond_names[c]));
        json_object_set_new(o, "status",
                            json_string(cond->status == SP_TRUE    ? "True"
                                        : cond->status == SP_FALSE ? "False"
                                                                   : "Unknown"));
        json_object_set_new(o, "reason", json_string(cond->reason ? cond->reason : "NotChecked"));
        json_object_set_new(o, "message", json_string(cond->message ? cond->message : ""));
        set_time(o, "lastTransitionTime", cond->since_ms ? cond->since_ms : s->created_ms);
        if (!json_object_get(o, "lastTransitionTime"))
            json_object_set_new(o, "lastTransitionTime", json_string("1970-01-01T00:00:00Z"));
        json_object_set_new(o, "observedGeneration", json_integer(s->generation));
        json_array_append_new(conds, o);
    }
    json_object_set_new(st, "conditions", conds);
    for (int i = 0; i < s->status.n_activity; i++) {
        json_t *o = json_object();
        set_time(o, "time", s->status.activity[i].time_ms);
        json_object_set_new(o, "message", json_string(s->status.activity[i].message));
        json_array_append_new(act, o);
    }
    json_object_set_new(st, "activity", act);
    return st;
}

enum sp_err sp_store_validate_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return sp_fail(SP_E_INVALID, "name: must not be empty");
    if (n > SP_NAME_MAX)
        return sp_fail(SP_E_INVALID, "name: '%s' is longer than %d characters", name, SP_NAME_MAX);
    if (!sp_dns_label(name))
        return sp_fail(SP_E_INVALID,
                       "name: '%s' must be lowercase letters, digits and '-', starting and "
                       "ending with a letter or digit",
                       name);
    return SP_OK;
}

/* digits, optionally "." digits: the end of the number, or NULL */
static const char *number(const char *s)
{
    const char *p = s;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == s)
        return NULL;
    if (*p == '.') {
        const char *q = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == q)
            return NULL;
    }
    return p;
}

bool sp_quantity_ok(enum sp_quantity kind, const char *s)
{
    static const char *const cpu[] = {"", "m", NULL};
    static const char *const bytes[] = {"", "Ki", "Mi", "Gi", "Ti", "k", "M", "G", "T", NULL};
    const char *const *suffix = kind == SP_QUANTITY_CPU ? cpu : bytes;
    const char *p = s ? number(s) : NULL;

    if (!p)
        return false;
    for (int i = 0; suffix[i]; i++)
        if (strcmp(p, suffix[i]) == 0)
            return true;
    return false;
}

enum sp_err sp_store_validate(const struct sp_store *s)
{
    enum sp_err err = sp_store_validate_name(s->name);
    const struct {
        const char *field, *value;
        enum sp_quantity kind;
    } qs[] = {
        {"spec.plan.requests.cpu", s->spec.cpu_request, SP_QUANTITY_CPU},
        {"spec.plan.requests.memory", s->spec.memory_request, SP_QUANTITY_BYTES},
        {"spec.plan.limits.cpu", s->spec.cpu_limit, SP_QUANTITY_CPU},
        {"spec.plan.limits.memory", s->spec.memory_limit, SP_QUANTITY_BYTES},
        {"spec.plan.storage", s->spec.storage, SP_QUANTITY_BYTES},
    };

    if (err)
        return err;
    if (!s->spec.engine)
        return sp_fail(SP_E_INVALID, "spec.engine: must be set");
    if (!s->spec.owner)
        return sp_fail(SP_E_INVALID, "spec.owner: must be set");
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
        if (qs[i].value && !sp_quantity_ok(qs[i].kind, qs[i].value))
            return sp_fail(SP_E_INVALID, "%s: '%s' is not a quantity such as 500m or 1Gi",
                           qs[i].field, qs[i].value);
    return SP_OK;
}

enum sp_err sp_store_set_phase(struct sp_store *s, enum sp_phase to, int64_t now_ms,
                               const char *message)
{
    char line[512];

    if (!sp_phase_transition_ok(s->status.phase, to))
        return sp_fail(SP_E_INVALID, "store '%s': no transition from %s to %s", s->name,
                       s->status.phase ? sp_phase_name(s->status.phase) : "(new)",
                       sp_phase_name(to));
    if (s->status.phase == to && !message)
        return SP_OK;
    s->status.phase = to;
    sp_set_str(&s->status.message, message);
    snprintf(line, sizeof(line), "%s%s%s", sp_phase_name(to), message ? ": " : "",
             message ? message : "");
    sp_store_add_activity(s, now_ms, line);
    return SP_OK;
}

void sp_store_set_cond(struct sp_store *s, enum sp_cond c, enum sp_cond_status st,
                       const char *reason, const char *message, int64_t now_ms)
{
    struct sp_condition *cond = &s->status.cond[c];
    if (cond->status != st)
        cond->since_ms = now_ms;
    cond->status = st;
    sp_set_str(&cond->reason, reason);
    sp_set_str(&cond->message, message);
}

void sp_store_reset_conds(struct sp_store *s)
{
    for (int c = 0; c < SP_COND_COUNT; c++) {
        free(s->status.cond[c].reason);
        free(s->status.cond[c].message);
        memset(&s->status.cond[c], 0, sizeof(s->status.cond[c]));
    }
}

void sp_store_add_activity(struct sp_store *s, int64_t now_ms, const char *message)
{
    if (s->status.n_activity == SP_ACTIVITY_MAX) {
        free(s->status.activity[0].message);
        memmove(&s->status.activity[0], &s->status.activity[1],
                sizeof(s->status.activity[0]) * (SP_ACTIVITY_MAX - 1));
        s->status.n_activity--;
    }
    s->status.activity[s->status.n_activity].time_ms = now_ms;
    s->status.activity[s->status.n_activity].message = sp_strdup(message);
    s->status.n_activity++;
}
