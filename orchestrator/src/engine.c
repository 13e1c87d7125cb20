/*
 * The engine table and its templates (see engine.h). Expansion walks the
 * template tree once, copying it; variables are looked up in a flat JSON
 * object whose keys may contain dots ("plan.requests.cpu").
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yaml2json.h"

static void engine_release(struct sp_engine *e)
{
    free(e->name);
    free(e->chart);
    free(e->chart_version);
    json_decref(e->values);
    json_decref(e->sizes);
    json_decref(e->secret);
    json_decref(e->readiness);
    free(e->url);
    free(e->admin_url);
}

void sp_engines_release(struct sp_engines *e)
{
    for (size_t i = 0; i < e->n; i++)
        engine_release(&e->v[i]);
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

const struct sp_engine *sp_engines_find(const struct sp_engines *e, const char *name)
{
    for (size_t i = 0; name && i < e->n; i++)
        if (strcmp(e->v[i].name, name) == 0)
            return &e->v[i];
    return NULL;
}

static json_t *object_or_empty(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_object(v) ? json_deep_copy(v) : json_object();
}

/* The `version` of dir/Chart.yaml (caller frees), or NULL when it cannot be read. */
static char *chart_version(const char *dir)
{
    char *path = sp_asprintf("%s/Chart.yaml", dir);
    struct sp_buf text = SP_BUF_INIT;
    json_t *doc = NULL;
    char *version = NULL;

    if (sp_read_file(path, &text) == SP_OK &&
        sp_yaml_to_json(text.data, text.len, false, &doc) == SP_OK) {
        const char *v = json_string_value(json_object_get(doc, "version"));
        if (v && *v)
            version = sp_strdup(v);
    }
    json_decref(doc);
    sp_buf_release(&text);
    free(path);
    return version;
}

enum sp_err sp_engines_from_json(const json_t *doc, const char *chart_dir, struct sp_engines *out)
{
    const json_t *engines = json_object_get(doc, "engines");
    const char *name;
    json_t *e;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(engines) || json_object_size(engines) == 0)
        return sp_fail(SP_E_INVALID, "engine table has no 'engines' mapping");
    out->v = sp_calloc(json_object_size(engines), sizeof(*out->v));
    json_object_foreach((json_t *)engines, name, e)
    {
        struct sp_engine *en = &out->v[out->n];
        const char *chart = json_string_value(json_object_get(e, "chart"));
        const char *url = json_string_value(json_object_get(json_object_get(e, "urls"), "url"));
        const char *admin = json_string_value(json_object_get(json_object_get(e, "urls"), "admin"));
        if (!chart || !*chart) {
            sp_engines_release(out);
            return sp_fail(SP_E_INVALID, "engine '%s': 'chart' must be set", name);
        }
        if (!json_is_object(json_object_get(e, "values")) ||
            !json_is_object(json_object_get(e, "secret"))) {
            sp_engines_release(out);
            return sp_fail(SP_E_INVALID, "engine '%s': 'values' and 'secret' must be mappings",
                           name);
        }
        en->name = sp_strdup(name);
        en->chart = chart[0] == '/' || !chart_dir ? sp_strdup(chart)
                                                  : sp_asprintf("%s/%s", chart_dir, chart);
        en->chart_version = chart_version(en->chart);
        en->values = object_or_empty(e, "values");
        en->sizes = object_or_empty(e, "sizes");
        en->secret = object_or_empty(e, "secret");
        en->readiness = object_or_empty(e, "readiness");
        en->url = sp_strdup(url ? url : "http://${host}/");
        en->admin_url = sp_strdup(admin ? admin : "");
        out->n++;
    }
    return SP_OK;
}

enum sp_err sp_engines_load(const char *path, const char *chart_dir, struct sp_engines *out)
{
    struct sp_buf text = SP_BUF_INIT;
    json_t *doc = NULL;
    char *dir = NULL;
    enum sp_err err;

    memset(out, 0, sizeof(*out));
    err = sp_read_file(path, &text);
    if (!err)
        err = sp_yaml_to_json(text.data, text.len, true, &doc);
    if (!err) {
        if (!chart_dir) {
            char *slash;
            dir = sp_strdup(path);
            slash = strrchr(dir, '/');
            if (slash) {
                *slash = '\0';
            } else {
                free(dir);
                dir = sp_strdup(".");
            }
        }
        err = sp_engines_from_json(doc, chart_dir ? chart_dir : dir, out);
    }
    if (err)
        err = sp_fail(err, "engine table '%s': %s", path, sp_errmsg());
    json_decref(doc);
    free(dir);
    sp_buf_release(&text);
    return err;
}

/* Looks up a variable; returns a borrowed value or NULL when unknown. */
static json_t *var(const json_t *vars, const char *name, size_t n)
{
    char key[128];
    if (n >= sizeof(key))
        return NULL;
    memcpy(key, name, n);
    key[n] = '\0';
    return json_object_get(vars, key);
}

enum sp_err sp_template_string(const char *tmpl, const json_t *vars, char **out)
{
    struct sp_buf b = SP_BUF_INIT;
    const char *p = tmpl;

    *out = NULL;
    while (*p) {
        const char *start = strstr(p, "${"), *end;
        json_t *v;
        if (!start) {
            sp_buf_adds(&b, p);
            break;
        }
        sp_buf_add(&b, p, (size_t)(start - p));
        end = strchr(start, '}');
        if (!end) {
            sp_buf_release(&b);
            return sp_fail(SP_E_INVALID, "template '%s': '${' without '}'", tmpl);
        }
        v = var(vars, start + 2, (size_t)(end - start - 2));
        if (!v) {
            sp_buf_release(&b);
            return sp_fail(SP_E_INVALID, "template '%s': unknown variable '%.*s'", tmpl,
                           (int)(end - start - 2), start + 2);
        }
        if (json_is_string(v))
            sp_buf_adds(&b, json_string_value(v));
        else if (json_is_integer(v))
            sp_buf_addf(&b, "%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v))
            sp_buf_adds(&b, json_is_true(v) ? "true" : "false");
        else if (json_is_real(v))
            sp_buf_addf(&b, "%g", json_real_value(v));
        p = end + 1;
    }
    *out = sp_buf_detach(&b);
    return SP_OK;
}

/* Expands one node; *out NULL means "leave the key out". */
static enum sp_err expand(const json_t *t, const json_t *vars, int depth, json_t **out)
{
    enum sp_err err;
    *out = NULL;
    if (depth > 32)
        return sp_fail(SP_E_INVALID, "template nests deeper than 32 levels");
    if (json_is_string(t)) {
        const char *s = json_string_value(t);
        size_t n = strlen(s);
        char *text;
        if (n > 3 && s[0] == '$' && s[1] == '{' && s[n - 1] == '}' && !strchr(s + 2, '$')) {
            json_t *v = var(vars, s + 2, n - 3);
            if (!v)
                return sp_fail(SP_E_INVALID, "template: unknown variable '%.*s'", (int)(n - 3),
                               s + 2);
            *out = json_is_null(v) ? NULL : json_deep_copy(v);
            return SP_OK;
        }
        err = sp_template_string(s, vars, &text);
        if (err)
            return err;
        *out = json_string(text);
        free(text);
        return SP_OK;
    }
    if (json_is_object(t)) {
        const char *k;
        json_t *v, *o = json_object();
        json_object_foreach((json_t *)t, k, v)
        {
            json_t *x;
            err = expand(v, vars, depth + 1, &x);
            if (err) {
                json_decref(o);
                return err;
            }
            if (x)
                json_object_set_new(o, k, x);
        }
        *out = o;
        return SP_OK;
    }
    if (json_is_array(t)) {
        size_t i;
        json_t *v, *a = json_array();
        json_array_foreach(t, i, v)
        {
            json_t *x;
            err = expand(v, vars, depth + 1, &x);
            if (err) {
                json_decref(a);
                return err;
            }
            if (x)
                json_array_append_new(a, x);
        }
        *out = a;
        return SP_OK;
    }
    *out = json_deep_copy(t);
    return SP_OK;
}

enum sp_err sp_template_expand(const json_t *tmpl, const json_t *vars, json_t **out)
{
    enum sp_err err = expand(tmpl, vars, 0, out);
    if (!err && !*out)
        *out = json_null();
    return err;
}

void sp_json_merge(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v)
    {
        json_t *d = json_object_get(dst, k);
        if (json_is_object(d) && json_is_object(v))
            sp_json_merge(d, v);
        else
            json_object_set_new(dst, k, json_deep_copy(v));
    }
}

enum sp_err sp_engine_values(const struct sp_engine *e, const json_t *vars, json_t **out)
{
    const char *size = json_string_value(json_object_get(vars, "size"));
    json_t *preset = size ? json_object_get(e->sizes, size) : NULL;
    json_t *values, *expanded;
    enum sp_err err;

    *out = NULL;
    if (size && json_object_size(e->sizes) && !preset)
        return sp_fail(SP_E_INVALID, "spec.plan.size: '%s' is not a size of engine '%s'", size,
                       e->name);
    err = sp_template_expand(e->values, vars, &expanded);
    if (err)
        return sp_fail(err, "engine '%s' values: %s", e->name, sp_errmsg());
    values = json_object();
    if (json_is_object(preset))
        sp_json_merge(values, preset);
    sp_json_merge(values, expanded);
    json_decref(expanded);
    *out = values;
    return SP_OK;
}

enum sp_err sp_engine_secret_data(const struct sp_engine *e, const json_t *vars, json_t **out)
{
    const char *key;
    json_t *gen, *data = json_object();

    json_object_foreach(e->secret, key, gen)
    {
        json_t *random = json_object_get(gen, "random");
        const char *value = json_string_value(json_object_get(gen, "value"));
        char *s = NULL;
        enum sp_err err;

        if (json_is_integer(random) && json_integer_value(random) > 0 &&
            json_integer_value(random) <= 256)
            err = sp_random_string((size_t)json_integer_value(random), &s);
        else if (value)
            err = sp_template_string(value, vars, &s);
        else
            err = sp_fail(SP_E_INVALID,
                          "engine '%s' secret key '%s': use {random: 1..256} or {value: text}",
                          e->name, key);
        if (err) {
            json_decref(data);
            return err;
        }
        if (s) {
            json_object_set_new(data, key, json_string(s));
            memset(s, 0, strlen(s));
            free(s);
        }
    }
    *out = data;
    return SP_OK;
}

bool sp_engine_checks(const struct sp_engine *e, const char *what)
{
    json_t *v = json_object_get(e->readiness, what);
    return !v || json_is_true(v);
}
