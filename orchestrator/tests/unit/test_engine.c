/* Engines as data: templates, values assembly from plan and environment, Secret data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "reconcile.h"
#include "util.h"

static json_t *J(const char *s)
{
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    return j;
}

static void expands_typed_and_embedded_variables(void **state)
{
    json_t *vars = J("{\"name\":\"shop\",\"tls\":true,\"n\":3,\"none\":null}");
    json_t *tmpl = J("{\"a\":\"${name}\",\"b\":\"${tls}\",\"c\":\"x-${name}-${n}-${tls}\","
                     "\"d\":\"${none}\",\"e\":{\"f\":[\"${name}\",\"${none}\",7]},\"g\":false}");
    json_t *out = NULL, *want = J("{\"a\":\"shop\",\"b\":true,\"c\":\"x-shop-3-true\","
                                  "\"e\":{\"f\":[\"shop\",7]},\"g\":false}");
    (void)state;
    assert_int_equal(sp_template_expand(tmpl, vars, &out), SP_OK);
    assert_true(json_equal(out, want));
    json_decref(out);
    json_decref(tmpl);
    tmpl = J("{\"a\":\"${nmae}\"}");
    assert_int_equal(sp_template_expand(tmpl, vars, &out), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "'nmae'"));
    json_decref(tmpl);
    json_decref(want);
    json_decref(vars);
}

static void merges_objects_deeply(void **state)
{
    json_t *a = J("{\"x\":{\"y\":1,\"z\":2},\"k\":[1]}"), *b = J("{\"x\":{\"z\":3},\"k\":[2]}");
    json_t *want = J("{\"x\":{\"y\":1,\"z\":3},\"k\":[2]}");
    (void)state;
    sp_json_merge(a, b);
    assert_true(json_equal(a, want));
    json_decref(a);
    json_decref(b);
    json_decref(want);
}

static struct sp_reconcile_config cfg = {
    .base_domain = "shops.example",
    .ingress_class = "traefik",
    .ingress_tls = true,
    .cluster_issuer = "letsencrypt",
    .storage_class = "",
};

static void load_real_table(struct sp_engines *e)
{
    char path[512];
    const char *root = getenv("SP_TEST_ROOT");
    snprintf(path, sizeof(path), "%s/charts/engines.yaml", root ? root : "../..");
    assert_int_equal(sp_engines_load(path, "/charts", e), SP_OK);
}

/* The values the orchestrator gives the woocommerce chart, from the engine table in the repo. */
static void assembles_values_from_plan_and_environment(void **state)
{
    struct sp_engines e;
    const struct sp_engine *w;
    json_t *vars, *values;
    char *text;
    (void)state;
    load_real_table(&e);
    w = sp_engines_find(&e, "woocommerce");
    assert_non_null(w);
    assert_string_equal(w->chart, "/charts/store");
    vars = sp_reconcile_vars(
        &cfg, "shop",
        &(struct sp_store_spec){
            .owner = "alice", .size = "medium", .cpu_request = "300m", .memory_limit = "1Gi"});
    assert_int_equal(sp_engine_values(w, vars, &values), SP_OK);
    assert_string_equal(json_string_value(json_object_get(values, "storeName")), "shop");
    assert_string_equal(json_string_value(json_object_get(values, "host")), "shop.shops.example");
    assert_string_equal(json_string_value(json_object_get(values, "title")), "shop");
    assert_string_equal(json_string_value(json_object_get(values, "existingSecret")),
                        "store-shop-credentials");
    assert_true(json_is_true(json_object_get(json_object_get(values, "ingress"), "tls")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(values, "ingress"), "className")),
        "traefik");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(values, "persistence"), "storageClass")),
        "");
    /* medium preset, then the explicit plan fields on top */
    text = json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(text, "\"shop\":{\"resources\":{\"limits\":{\"cpu\":\"2\","
                                 "\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"300m\","
                                 "\"memory\":\"512Mi\"}},\"storage\":\"5Gi\"}"));
    /* no secret ever goes into values */
    assert_null(strstr(text, "password"));
    free(text);
    json_decref(values);
    json_decref(vars);

    vars = sp_reconcile_vars(
        &cfg, "shop",
        &(struct sp_store_spec){.owner = "alice", .display_name = "My Shop", .size = "huge"});
    assert_int_equal(sp_engine_values(w, vars, &values), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "'huge'"));
    json_decref(vars);

    /* The second engine comes from the same table and the same variables, with no code of its
       own: the plan's storage is its database's volume, and it has no admin URL. */
    w = sp_engines_find(&e, "medusa");
    assert_non_null(w);
    assert_string_equal(w->chart, "/charts/medusa");
    assert_string_equal(w->admin_url, "");
    vars = sp_reconcile_vars(
        &cfg, "shop",
        &(struct sp_store_spec){
            .owner = "alice", .size = "medium", .cpu_request = "300m", .storage = "8Gi"});
    assert_int_equal(sp_engine_values(w, vars, &values), SP_OK);
    assert_string_equal(json_string_value(json_object_get(values, "host")), "shop.shops.example");
    text = json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(text, "\"database\":{\"resources\":{\"limits\":{\"cpu\":\"2\","
                                 "\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"500m\","
                                 "\"memory\":\"512Mi\"}},\"storage\":\"8Gi\"}"));
    assert_non_null(strstr(text, "\"shop\":{\"resources\":{\"limits\":{\"cpu\":\"2\","
                                 "\"memory\":\"1536Mi\"},\"requests\":{\"cpu\":\"300m\","
                                 "\"memory\":\"768Mi\"}}}"));
    assert_null(strstr(text, "password"));
    free(text);
    json_decref(values);
    json_decref(vars);
    sp_engines_release(&e);
}

static void generates_secret_data(void **state)
{
    struct sp_engines e;
    const struct sp_engine *w;
    json_t *vars, *a, *b;
    const char *keys[] = {"mariadb-root-password",
                          "mariadb-password",
                          "wordpress-admin-user",
                          "wordpress-admin-password",
                          "wordpress-admin-email",
                          "auth-key",
                          "secure-auth-key",
                          "logged-in-key",
                          "nonce-key",
                          "auth-salt",
                          "secure-auth-salt",
                          "logged-in-salt",
                          "nonce-salt"};
    (void)state;
    load_real_table(&e);
    w = sp_engines_find(&e, "woocommerce");
    vars = sp_reconcile_vars(&cfg, "shop", &(struct sp_store_spec){.owner = "alice"});
    assert_int_equal(sp_engine_secret_data(w, vars, &a), SP_OK);
    assert_int_equal(sp_engine_secret_data(w, vars, &b), SP_OK);
    assert_int_equal(json_object_size(a), 13);
    for (size_t i = 0; i < 13; i++)
        assert_non_null(json_object_get(a, keys[i]));
    assert_int_equal(strlen(json_string_value(json_object_get(a, "mariadb-password"))), 32);
    assert_string_not_equal(json_string_value(json_object_get(a, "mariadb-password")),
                            json_string_value(json_object_get(b, "mariadb-password")));
    assert_string_equal(json_string_value(json_object_get(a, "wordpress-admin-email")),
                        "admin@shop.shops.example");
    for (const char *p = json_string_value(json_object_get(a, "auth-key")); *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", *p));
    json_decref(a);
    json_decref(b);
    json_decref(vars);
    sp_engines_release(&e);
}

static void rejects_broken_tables(void **state)
{
    struct sp_engines e;
    json_t *doc = J("{\"engines\":{\"x\":{\"values\":{},\"secret\":{}}}}");
    (void)state;
    assert_int_equal(sp_engines_from_json(doc, NULL, &e), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "'chart'"));
    json_decref(doc);
    doc = J("{\"engines\":{}}");
    assert_int_equal(sp_engines_from_json(doc, NULL, &e), SP_E_INVALID);
    json_decref(doc);
    doc = J("{\"engines\":{\"x\":{\"chart\":\"c\",\"values\":{},\"secret\":{\"k\":{}}}}}");
    assert_int_equal(sp_engines_from_json(doc, "/d", &e), SP_OK);
    assert_string_equal(e.v[0].chart, "/d/c");
    assert_true(sp_engine_checks(&e.v[0], "pods"));
    {
        json_t *vars = json_object(), *data = NULL;
        assert_int_equal(sp_engine_secret_data(&e.v[0], vars, &data), SP_E_INVALID);
        assert_null(data);
        json_decref(vars);
    }
    sp_engines_release(&e);
    json_decref(doc);
    assert_int_equal(sp_engines_load("/nonexistent/engines.yaml", NULL, &e), SP_E_IO);
    assert_non_null(strstr(sp_errmsg(), "/nonexistent/engines.yaml"));
}

/* Each engine knows its chart's version from Chart.yaml; no Chart.yaml leaves it unknown. */
static void reads_the_chart_version(void **state)
{
    struct sp_engines e;
    char path[512], dir[512];
    const char *root = getenv("SP_TEST_ROOT");
    (void)state;
    snprintf(path, sizeof(path), "%s/charts/engines.yaml", root ? root : "../..");
    snprintf(dir, sizeof(dir), "%s/tests/fixtures/charts", root ? root : "../..");
    assert_int_equal(sp_engines_load(path, dir, &e), SP_OK);
    assert_non_null(sp_engines_find(&e, "woocommerce")->chart_version);
    assert_string_equal(sp_engines_find(&e, "woocommerce")->chart_version, "0.1.0");
    sp_engines_release(&e);
    assert_int_equal(sp_engines_load(path, "/nonexistent", &e), SP_OK);
    assert_null(sp_engines_find(&e, "woocommerce")->chart_version);
    sp_engines_release(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expands_typed_and_embedded_variables),
        cmocka_unit_test(merges_objects_deeply),
        cmocka_unit_test(assembles_values_from_plan_and_environment),
        cmocka_unit_test(generates_secret_data),
        cmocka_unit_test(rejects_broken_tables),
        cmocka_unit_test(reads_the_chart_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
