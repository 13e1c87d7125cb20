/*
 * Request parsing and validation (see request.h). The create body is read
 * with jansson after a cheap bracket count bounds its nesting; then every key
 * is looked up in a small table of known fields, so an unknown or misspelt
 * field is refused rather than silently ignored. Quantities follow the CRD's
 * own patterns, so anything accepted here is also accepted by the API server.
 */
#include "request.h"

#include <string.h>

#include "store.h"
#include "util.h"

#define QUANTITY_MAX 32

static const char *const reserved[] = {
    "admin",     "api",      "app",          "assets",     "auth",       "cdn",     "console",
    "dashboard", "default",  "dev",          "docs",       "ftp",        "grafana", "healthz",
    "help",      "internal", "kube",         "kubernetes", "localhost",  "login",   "mail",
    "metrics",   "ns",       "orchestrator", "platform",   "prometheus", "readyz",  "root",
    "smtp",      "static",   "status",       "store",      "stores",     "support", "system",
    "www",       NULL,
};

bool sp_name_reserved(const char *name)
{
    for (int i = 0; reserved[i]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return strncmp(name, "kube-", 5) == 0;
}

static enum sp_err fail_field(struct sp_req_error *e, const char *code, const char *field,
                              enum sp_err err)
{
    e->code = code;
    e->field = field;
    return err;
}

enum sp_err sp_api_name_check(const char *name, struct sp_req_error *e)
{
    enum sp_err err;
    if (!name)
        return fail_field(e, "required", "name", sp_fail(SP_E_INVALID, "name is required"));
    err = sp_store_validate_name(name);
    if (err)
        return fail_field(e, "invalid", "name", err);
    if (sp_name_reserved(name))
        return fail_field(e, "reserved_name", "name",
                          sp_fail(SP_E_INVALID, "name: '%s' is reserved for the platform", name));
    return SP_OK;
}

enum sp_err sp_json_depth_check(const char *s, size_t n, int max_depth)
{
    int depth = 0;
    bool in_string = false;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return sp_fail(SP_E_INVALID, "body: nested deeper than %d levels", max_depth);
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return SP_OK;
}

enum sp_err sp_path_split(const char *path, struct sp_path *out)
{
    size_t len = path ? strlen(path) : 0;
    char *p;

    out->n = 0;
    if (len == 0 || path[0] != '/')
        return sp_fail(SP_E_INVALID, "path: must start with '/'");
    if (len > SP_REQ_MAX_PATH)
        return sp_fail(SP_E_INVALID, "path: longer than %d bytes", SP_REQ_MAX_PATH);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
            return sp_fail(SP_E_INVALID, "path: contains a control character");
    memcpy(out->buf, path, len + 1);
    if (len > 1 && out->buf[len - 1] == '/')
        out->buf[--len] = '\0';
    p = out->buf + 1;
    if (!*p)
        return SP_OK; /* "/" */
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (!*p)
            return sp_fail(SP_E_INVALID, "path: empty segment");
        if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
            return sp_fail(SP_E_INVALID, "path: '.' and '..' segments are not allowed");
        if (out->n == SP_REQ_MAX_SEGMENTS)
            return sp_fail(SP_E_INVALID, "path: more than %d segments", SP_REQ_MAX_SEGMENTS);
        out->seg[out->n++] = p;
        if (!slash)
            break;
        p = slash + 1;
    }
    return SP_OK;
}

/* A quantity the CRD accepts, at most QUANTITY_MAX characters (the API's own limit). */
static bool quantity_ok(enum sp_quantity kind, const char *s)
{
    return s && strlen(s) <= QUANTITY_MAX && sp_quantity_ok(kind, s);
}

/* Number of UTF-8 characters (s is valid UTF-8: jansson checked it). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The string at key of o, or NULL when absent; a present non-string fails. */
static enum sp_err get_string(const json_t *o, const char *key, const char *field, char **out,
                              struct sp_req_error *e)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v)
        return SP_OK;
    if (!json_is_string(v))
        return fail_field(e, "invalid", field,
                          sp_fail(SP_E_INVALID, "%s: must be a string", field));
    *out = sp_strdup(json_string_value(v));
    return SP_OK;
}

/* Refuses any key of o not in known (NULL-terminated); prefix names o's field. */
static enum sp_err only_known(const json_t *o, const char *const *known, const char *prefix,
                              struct sp_req_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        bool ok = false;
        for (int i = 0; known[i] && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            /* the key is client text: show a bounded, printable excerpt */
            char shown[40];
            size_t j = 0;
            for (const char *k = key; *k && j + 1 < sizeof(shown); k++)
                shown[j++] = (unsigned char)*k < 0x20 || (unsigned char)*k >= 0x7f ? '?' : *k;
            shown[j] = '\0';
            return fail_field(e, "unknown_field", prefix,
                              sp_fail(SP_E_INVALID, "%s%sunknown field '%s'", prefix,
                                      *prefix ? ": " : "", shown));
        }
    }
    return SP_OK;
}

static enum sp_err parse_resources(const json_t *o, const char *field, const char *cpu_field,
                                   const char *mem_field, char **cpu, char **mem,
                                   struct sp_req_error *e)
{
    static const char *const known[] = {"cpu", "memory", NULL};
    enum sp_err err;

    if (!json_is_object(o))
        return fail_field(e, "invalid", field,
                          sp_fail(SP_E_INVALID, "%s: must be an object", field));
    err = only_known(o, known, field, e);
    if (!err)
        err = get_string(o, "cpu", cpu_field, cpu, e);
    if (!err)
        err = get_string(o, "memory", mem_field, mem, e);
    if (err)
        return err;
    if (*cpu && !quantity_ok(SP_QUANTITY_CPU, *cpu))
        return fail_field(e, "invalid", cpu_field,
                          sp_fail(SP_E_INVALID,
                                  "%s: must be a CPU quantity such as 500m or 2 (at most %d "
                                  "characters)",
                                  cpu_field, QUANTITY_MAX));
    if (*mem && !quantity_ok(SP_QUANTITY_BYTES, *mem))
        return fail_field(e, "invalid", mem_field,
                          sp_fail(SP_E_INVALID,
                                  "%s: must be a quantity such as 512Mi or 1Gi (at most %d "
                                  "characters)",
                                  mem_field, QUANTITY_MAX));
    return SP_OK;
}

static bool size_known(const struct sp_engine *eng, const char *size)
{
    static const char *const defaults[] = {"small", "medium", "large", NULL};
    if (eng && json_object_size(eng->sizes) > 0)
        return json_object_get(eng->sizes, size) != NULL;
    for (int i = 0; defaults[i]; i++)
        if (strcmp(size, defaults[i]) == 0)
            return true;
    return false;
}

static enum sp_err parse_plan(const json_t *plan, const struct sp_engine *eng,
                              struct sp_create_req *r, struct sp_req_error *e)
{
    static const char *const known[] = {"size", "requests", "limits", "storage", NULL};
    const json_t *v;
    enum sp_err err;

    if (json_is_string(plan)) { /* shorthand: "plan": "medium" */
        r->spec.size = sp_strdup(json_string_value(plan));
    } else if (json_is_object(plan)) {
        err = only_known(plan, known, "plan", e);
        if (!err)
            err = get_string(plan, "size", "plan.size", &r->spec.size, e);
        if (!err && (v = json_object_get(plan, "requests")))
            err = parse_resources(v, "plan.requests", "plan.requests.cpu", "plan.requests.memory",
                                  &r->spec.cpu_request, &r->spec.memory_request, e);
        if (!err && (v = json_object_get(plan, "limits")))
            err = parse_resources(v, "plan.limits", "plan.limits.cpu", "plan.limits.memory",
                                  &r->spec.cpu_limit, &r->spec.memory_limit, e);
        if (!err)
            err = get_string(plan, "storage", "plan.storage", &r->spec.storage, e);
        if (err)
            return err;
        if (r->spec.storage && !quantity_ok(SP_QUANTITY_BYTES, r->spec.storage))
            return fail_field(
                e, "invalid", "plan.storage",
                sp_fail(SP_E_INVALID, "plan.storage: must be a quantity such as 10Gi"));
    } else {
        return fail_field(e, "invalid", "plan",
                          sp_fail(SP_E_INVALID, "plan: must be an object or a size name"));
    }
    if (!r->spec.size)
        r->spec.size = sp_strdup("small");
    if (!size_known(eng, r->spec.size)) {
        struct sp_buf b = SP_BUF_INIT;
        const char *k;
        json_t *x;
        if (eng && json_object_size(eng->sizes) > 0)
            json_object_foreach(eng->sizes, k, x)
            {
                sp_buf_addf(&b, "%s%s", b.len ? ", " : "", k);
            }
        else
            sp_buf_adds(&b, "small, medium, large");
        err = sp_fail(SP_E_INVALID, "plan.size: must be one of %s", b.data);
        sp_buf_release(&b);
        return fail_field(e, "invalid", "plan.size", err);
    }
    return SP_OK;
}

/* The body as a JSON object (a new reference in *doc), refused early when too deep. */
static enum sp_err load_body(const char *body, size_t len, json_t **doc, struct sp_req_error *e)
{
    json_error_t jerr;
    enum sp_err err;

    *doc = NULL;
    if (!body || len == 0)
        return fail_field(e, "invalid_json", "",
                          sp_fail(SP_E_INVALID, "body: a JSON object is required"));
    err = sp_json_depth_check(body, len, SP_REQ_MAX_DEPTH);
    if (err)
        return fail_field(e, "too_deep", "", err);
    *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*doc)
        return fail_field(e, "invalid_json", "",
                          sp_fail(SP_E_INVALID, "body: not valid JSON (%s at line %d column %d)",
                                  jerr.text, jerr.line, jerr.column));
    if (!json_is_object(*doc))
        return fail_field(e, "invalid_json", "",
                          sp_fail(SP_E_INVALID, "body: must be a JSON object"));
    return SP_OK;
}

/* The engine the request names, among engines; *eng NULL only on an error. */
static enum sp_err find_engine(const struct sp_engines *engines, const char *name,
                               const struct sp_engine **eng, struct sp_req_error *e)
{
    struct sp_buf b = SP_BUF_INIT;
    enum sp_err err;

    *eng = engines ? sp_engines_find(engines, name) : NULL;
    if (*eng)
        return SP_OK;
    for (size_t i = 0; engines && i < engines->n; i++)
        sp_buf_addf(&b, "%s%s", i ? ", " : "", engines->v[i].name);
    err = fail_field(
        e, "invalid", "engine",
        sp_fail(SP_E_INVALID, "engine: must be one of %s", b.data ? b.data : "(none configured)"));
    sp_buf_release(&b);
    return err;
}

/* displayName: "" means none; else at most SP_DISPLAY_NAME_MAX characters, no controls. */
static enum sp_err check_display_name(char **name, struct sp_req_error *e)
{
    if (*name && !**name) {
        free(*name);
        *name = NULL;
    }
    if (*name && (utf8_chars(*name) > SP_DISPLAY_NAME_MAX || has_control(*name)))
        return fail_field(e, "invalid", "displayName",
                          sp_fail(SP_E_INVALID,
                                  "displayName: at most %d characters, no control characters",
                                  SP_DISPLAY_NAME_MAX));
    return SP_OK;
}

enum sp_err sp_create_req_parse(const char *body, size_t len, const struct sp_engines *engines,
                                struct sp_create_req *out, struct sp_req_error *e)
{
    static const char *const known[] = {"name", "engine", "displayName", "plan", NULL};
    const struct sp_engine *eng = NULL;
    json_t *doc = NULL;
    const json_t *plan;
    enum sp_err err;

    memset(out, 0, sizeof(*out));
    e->code = "invalid";
    e->field = "";
    err = load_body(body, len, &doc, e);
    if (!err)
        err = only_known(doc, known, "", e);
    if (!err)
        err = get_string(doc, "name", "name", &out->name, e);
    if (!err)
        err = get_string(doc, "engine", "engine", &out->spec.engine, e);
    if (!err)
        err = get_string(doc, "displayName", "displayName", &out->spec.display_name, e);
    if (err)
        goto fail;
    if (!out->name) {
        err = fail_field(e, "invalid", "name", sp_fail(SP_E_INVALID, "name: is required"));
        goto fail;
    }
    err = sp_api_name_check(out->name, e);
    if (err)
        goto fail;
    if (!out->spec.engine) {
        err = fail_field(e, "invalid", "engine", sp_fail(SP_E_INVALID, "engine: is required"));
        goto fail;
    }
    err = find_engine(engines, out->spec.engine, &eng, e);
    if (!err)
        err = check_display_name(&out->spec.display_name, e);
    if (!err && (plan = json_object_get(doc, "plan")))
        err = parse_plan(plan, eng, out, e);
    else if (!err)
        out->spec.size = sp_strdup("small");
    if (err)
        goto fail;
    json_decref(doc);
    return SP_OK;
fail:
    json_decref(doc);
    sp_create_req_release(out);
    return err;
}

void sp_create_req_release(struct sp_create_req *r)
{
    free(r->name);
    sp_store_spec_release(&r->spec);
    memset(r, 0, sizeof(*r));
}

static void set_opt(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

json_t *sp_create_req_store(const struct sp_create_req *r, const char *owner)
{
    json_t *spec = json_object(), *plan = json_object();

    json_object_set_new(spec, "engine", json_string(r->spec.engine));
    json_object_set_new(spec, "owner", json_string(owner));
    set_opt(spec, "displayName", r->spec.display_name);
    json_object_set_new(plan, "size", json_string(r->spec.size ? r->spec.size : "small"));
    if (r->spec.cpu_request || r->spec.memory_request) {
        json_t *o = json_object();
        set_opt(o, "cpu", r->spec.cpu_request);
        set_opt(o, "memory", r->spec.memory_request);
        json_object_set_new(plan, "requests", o);
    }
    if (r->spec.cpu_limit || r->spec.memory_limit) {
        json_t *o = json_object();
        set_opt(o, "cpu", r->spec.cpu_limit);
        set_opt(o, "memory", r->spec.memory_limit);
        json_object_set_new(plan, "limits", o);
    }
    set_opt(plan, "storage", r->spec.storage);
    json_object_set_new(spec, "plan", plan);
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:o}", "apiVersion", SP_API_VERSION, "kind",
                     "Store", "metadata", "name", r->name, "labels", "app.kubernetes.io/managed-by",
                     SP_MANAGED_BY, "spec", spec);
}

bool sp_create_req_matches(const struct sp_create_req *r, const char *owner, const json_t *obj)
{
    struct sp_store s;
    struct sp_store_spec want;
    bool eq;

    if (sp_store_from_json(obj, &s) != SP_OK)
        return false;
    want = r->spec;
    want.owner = (char *)owner; /* compared, never freed */
    eq = s.name && r->name && strcmp(s.name, r->name) == 0 && sp_store_spec_equal(&s.spec, &want);
    sp_store_release(&s);
    return eq;
}
