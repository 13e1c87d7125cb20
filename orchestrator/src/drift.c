/* Drift of a store's objects from its release (see drift.h). */
#include "drift.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct {
    const char *api_version, *kind, *plural;
} kinds[] = {
    {"apps/v1", "Deployment", "deployments"},
    {"apps/v1", "StatefulSet", "statefulsets"},
    {"v1", "Service", "services"},
    {"networking.k8s.io/v1", "Ingress", "ingresses"},
    {"networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"},
    {"v1", "ResourceQuota", "resourcequotas"},
    {"v1", "LimitRange", "limitranges"},
    {"v1", "ConfigMap", "configmaps"},
    {"v1", "Secret", "secrets"},
    {"v1", "ServiceAccount", "serviceaccounts"},
};

static const char *str_at(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);
    return json_string_value(b ? json_object_get(v, b) : v);
}

char *sp_drift_path(const json_t *obj, const char *ns)
{
    const char *av = str_at(obj, "apiVersion", NULL), *kind = str_at(obj, "kind", NULL);
    const char *name = str_at(obj, "metadata", "name");

    if (!av || !kind || !name || !*name || strchr(name, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(av, kinds[i].api_version) != 0 || strcmp(kind, kinds[i].kind) != 0)
            continue;
        return sp_asprintf("/%s/%s/namespaces/%s/%s/%s", strchr(av, '/') ? "apis" : "api", av, ns,
                           kinds[i].plural, name);
    }
    return NULL;
}

static bool same_scalar(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return fabs(json_number_value(a) - json_number_value(b)) < 1e-9;
    return json_equal(a, b);
}

static bool empty(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* false, 0 and "": values the API server leaves out when they are the default (omitempty). */
static bool zero(const json_t *v)
{
    return json_is_false(v) || (json_is_integer(v) && json_integer_value(v) == 0) ||
           (json_is_string(v) && json_string_length(v) == 0);
}

/*
 * A Kubernetes quantity ("3072Mi", "650m", "1.5", "2e3") as a number; false when s is not one.
 * The API server keeps quantities in its own form ("3072Mi" becomes "3Gi").
 */
static bool quantity(const char *s, long double *out)
{
    static const struct {
        const char *suffix;
        long double factor;
    } units[] = {{"Ki", 1024.0L},
                 {"Mi", 1048576.0L},
                 {"Gi", 1073741824.0L},
                 {"Ti", 1099511627776.0L},
                 {"Pi", 1125899906842624.0L},
                 {"Ei", 1152921504606846976.0L},
                 {"m", 1e-3L},
                 {"k", 1e3L},
                 {"M", 1e6L},
                 {"G", 1e9L},
                 {"T", 1e12L},
                 {"P", 1e15L},
                 {"E", 1e18L},
                 {"", 1.0L}};
    char *end;
    long double v;

    if (!s || !*s || !(*s == '+' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9')))
        return false;
    v = strtold(s, &end);
    if (end == s)
        return false;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            *out = v * units[i].factor;
            return true;
        }
    }
    return false;
}

static bool same_quantity(const json_t *a, const json_t *b)
{
    long double x, y;
    if (!json_is_string(a) || !json_is_string(b) || !quantity(json_string_value(a), &x) ||
        !quantity(json_string_value(b), &y))
        return false;
    return fabsl(x - y) <= 1e-9L * (fabsl(x) > 1 ? fabsl(x) : 1);
}

/* A number in a manifest and the string the API server keeps for it (quota "pods: 6"). */
static bool same_text(const json_t *num, const json_t *str)
{
    char buf[64];
    if (!json_is_integer(num) || !json_is_string(str))
        return false;
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(num));
    return strcmp(buf, json_string_value(str)) == 0;
}

bool sp_drift_covers(const json_t *want, const json_t *live)
{
    const char *key;
    const json_t *w;
    size_t i;

    if (empty(want) || json_is_null(want))
        return true;
    if (json_is_object(want)) {
        if (!json_is_object(live))
            return false;
        json_object_foreach((json_t *)want, key, w)
        {
            if (!sp_drift_covers(w, json_object_get(live, key)))
                return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(live) || json_array_size(live) != json_array_size(want))
            return false;
        json_array_foreach(want, i, w)
        {
            if (!sp_drift_covers(w, json_array_get(live, i)))
                return false;
        }
        return true;
    }
    if (!live)
        return zero(want);
    return same_scalar(want, live) || same_text(want, live) || same_quantity(want, live);
}

/* What the API server writes by itself, at the top (depth 0) or in metadata (depth 1). */
static bool ignored(const char *parent, const char *key, int depth)
{
    static const char *const meta[] = {"managedFields", "resourceVersion", "generation",
                                       "creationTimestamp", "uid"};
    if (depth == 0)
        return strcmp(key, "status") == 0;
    if (depth == 1 && parent && strcmp(parent, "metadata") == 0) {
        for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
            if (strcmp(key, meta[i]) == 0)
                return true;
    }
    return false;
}

/* A value in a message: compact JSON, cut at 60 characters; "(none)" for a missing one. */
static char *shown(const json_t *v)
{
    char *s, *out;
    if (!v)
        return sp_strdup("(none)");
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return sp_strdup("?");
    if (strlen(s) > 60) {
        out = sp_asprintf("%.57s...", s);
        free(s);
        return out;
    }
    return s;
}

static char *describe(const char *path, const json_t *want, const json_t *live, bool secret)
{
    char *w, *l, *msg;
    if (secret)
        return sp_asprintf("%s changed", path);
    w = shown(want);
    l = shown(live);
    msg = sp_asprintf("%s was %s, wants %s", path, l, w);
    free(w);
    free(l);
    return msg;
}

static char *diff_at(const char *path, const char *parent, int depth, const json_t *want,
                     const json_t *live, bool secret, char **at)
{
    const char *key;
    const json_t *v;
    char *sub, *found = NULL;
    size_t i;

    if (json_is_object(want) && json_is_object(live)) {
        json_object_foreach((json_t *)want, key, v)
        {
            if (ignored(parent, key, depth))
                continue;
            sub = *path ? sp_asprintf("%s.%s", path, key) : sp_strdup(key);
            found = diff_at(sub, key, depth + 1, v, json_object_get(live, key), secret, at);
            free(sub);
            if (found)
                return found;
        }
        json_object_foreach((json_t *)live, key, v)
        {
            if (ignored(parent, key, depth) || json_object_get(want, key))
                continue;
            sub = *path ? sp_asprintf("%s.%s", path, key) : sp_strdup(key);
            found = describe(sub, NULL, v, secret);
            *at = sub;
            return found;
        }
        return NULL;
    }
    if (json_is_array(want) && json_is_array(live) &&
        json_array_size(want) == json_array_size(live)) {
        json_array_foreach(want, i, v)
        {
            sub = sp_asprintf("%s[%zu]", path, i);
            found = diff_at(sub, NULL, depth + 1, v, json_array_get(live, i), secret, at);
            free(sub);
            if (found)
                return found;
        }
        return NULL;
    }
    if (want && live && same_scalar(want, live))
        return NULL;
    *at = sp_strdup(*path ? path : "");
    return describe(*path ? path : "the object", want, live, secret);
}

char *sp_drift_diff(const json_t *want, const json_t *live, bool secret, char **path)
{
    char *at = NULL, *msg = diff_at("", NULL, 0, want, live, secret, &at);
    if (path)
        *path = at;
    else
        free(at);
    return msg;
}

json_t *sp_drift_as_helm_applies(const json_t *obj, const char *release, const char *ns)
{
    json_t *o = json_deep_copy(obj), *meta, *ann, *labels;

    if (!json_is_object(o)) {
        json_decref(o);
        return json_object();
    }
    meta = json_object_get(o, "metadata");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(o, "metadata", meta);
    }
    ann = json_object_get(meta, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(meta, "annotations", ann);
    }
    labels = json_object_get(meta, "labels");
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(meta, "labels", labels);
    }
    json_object_set_new(ann, "meta.helm.sh/release-name", json_string(release));
    json_object_set_new(ann, "meta.helm.sh/release-namespace", json_string(ns));
    json_object_set_new(labels, "app.kubernetes.io/managed-by", json_string("Helm"));
    return o;
}

/* Whether fieldsV1 holds path ("a.b.c"; stops at the first list index, "a.b[0].c" is "a.b"). */
static bool holds(const json_t *fields, const char *path)
{
    const json_t *at = fields;
    const char *p = path;

    while (*p && json_is_object(at)) {
        size_t n = strcspn(p, ".[");
        char key[256];
        if (n + 2 >= sizeof(key))
            return false;
        snprintf(key, sizeof(key), "f:%.*s", (int)n, p);
        at = json_object_get(at, key);
        if (!at)
            return false;
        p += n;
        if (*p == '[')
            return true;
        if (*p == '.')
            p++;
    }
    return at != NULL && !*p;
}

const char *sp_drift_writer(const json_t *live, const char *path)
{
    const json_t *e, *mf = json_object_get(json_object_get(live, "metadata"), "managedFields");
    size_t i;

    if (!path)
        return NULL;
    json_array_foreach(mf, i, e)
    {
        const char *m = str_at(e, "manager", NULL);
        if (m && strcmp(m, SP_DRIFT_MANAGER) != 0 && holds(json_object_get(e, "fieldsV1"), path))
            return m;
    }
    return NULL;
}
