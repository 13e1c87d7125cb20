/* Create-request validation, store names, JSON depth, path splitting, error JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "request.h"
#include "store.h"

static struct sp_engines engines;

static int load_engines(void **state)
{
    const char *root = getenv("SP_TEST_ROOT");
    char path[512];
    (void)state;
    snprintf(path, sizeof(path), "%s/charts/engines.yaml", root ? root : "../..");
    return sp_engines_load(path, "/charts", &engines) == SP_OK ? 0 : -1;
}

static int free_engines(void **state)
{
    (void)state;
    sp_engines_release(&engines);
    return 0;
}

static enum sp_err parse(const char *body, struct sp_create_req *r, struct sp_req_error *e)
{
    return sp_create_req_parse(body, strlen(body), &engines, r, e);
}

static void accepts_a_full_request(void **state)
{
    struct sp_create_req r;
    struct sp_req_error e;
    json_t *obj;
    (void)state;
    assert_int_equal(parse("{\"name\":\"shop-1\",\"engine\":\"woocommerce\",\"displayName\":"
                           "\"Caf\\u00e9 \\u2615\",\"plan\":{\"size\":\"medium\",\"requests\":"
                           "{\"cpu\":\"250m\",\"memory\":\"256Mi\"},\"storage\":\"2Gi\"}}",
                           &r, &e),
                     SP_OK);
    assert_string_equal(r.name, "shop-1");
    assert_string_equal(r.spec.size, "medium");
    assert_string_equal(r.spec.cpu_request, "250m");
    assert_string_equal(r.spec.storage, "2Gi");
    assert_null(r.spec.cpu_limit);
    obj = sp_create_req_store(&r, "bob");
    assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "spec"), "owner")),
                        "bob");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")), "shop-1");
    /* what we would create matches itself, for the same owner only */
    assert_true(sp_create_req_matches(&r, "bob", obj));
    assert_false(sp_create_req_matches(&r, "carol", obj));
    json_decref(obj);
    sp_create_req_release(&r);

    /* defaults, and the plan shorthand */
    assert_int_equal(
        parse("{\"name\":\"a\",\"engine\":\"woocommerce\",\"displayName\":\"\"}", &r, &e), SP_OK);
    assert_string_equal(r.spec.size, "small");
    assert_null(r.spec.display_name);
    sp_create_req_release(&r);
    assert_int_equal(
        parse("{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":\"large\"}", &r, &e), SP_OK);
    assert_string_equal(r.spec.size, "large");
    sp_create_req_release(&r);
}

static void refuses_with_code_and_field(void **state)
{
    static const struct {
        const char *body, *code, *field, *msg;
    } bad[] = {
        {"", "invalid_json", "", "required"},
        {"{", "invalid_json", "", "not valid JSON"},
        {"[]", "invalid_json", "", "must be a JSON object"},
        {"{\"name\":\"a\",\"name\":\"b\",\"engine\":\"woocommerce\"}", "invalid_json", "",
         "duplicate"},
        {"{\"engine\":\"woocommerce\"}", "invalid", "name", "name: is required"},
        {"{\"name\":1,\"engine\":\"woocommerce\"}", "invalid", "name", "must be a string"},
        {"{\"name\":\"a\"}", "invalid", "engine", "engine: is required"},
        {"{\"name\":\"a\",\"engine\":\"magento\"}", "invalid", "engine", "one of woocommerce"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"owner\":\"x\"}", "unknown_field", "",
         "unknown field 'owner'"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":{\"x\":1}}", "unknown_field", "plan",
         "plan: unknown field 'x'"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":{\"limits\":{\"gpu\":\"1\"}}}",
         "unknown_field", "plan.limits", "unknown field 'gpu'"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":{\"limits\":{\"cpu\":\"1Gi\"}}}",
         "invalid", "plan.limits.cpu", "CPU quantity"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":{\"requests\":{\"memory\":\"1m\"}}}",
         "invalid", "plan.requests.memory", "512Mi"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":{\"storage\":5}}", "invalid",
         "plan.storage", "must be a string"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":\"xl\"}", "invalid", "plan.size",
         "must be one of"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":7}", "invalid", "plan",
         "object or a size"},
        {"{\"name\":\"Shop\",\"engine\":\"woocommerce\"}", "invalid", "name", "lowercase"},
        {"{\"name\":\"-a\",\"engine\":\"woocommerce\"}", "invalid", "name", "lowercase"},
        {"{\"name\":\"a\\r\\nb\",\"engine\":\"woocommerce\"}", "invalid", "name", "lowercase"},
        {"{\"name\":\"abcdefghijabcdefghijabcdefghijk\",\"engine\":\"woocommerce\"}", "invalid",
         "name", "longer than 30"},
        {"{\"name\":\"www\",\"engine\":\"woocommerce\"}", "reserved_name", "name", "reserved"},
        {"{\"name\":\"kube-x\",\"engine\":\"woocommerce\"}", "reserved_name", "name", "reserved"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"displayName\":\"a\\u0001\"}", "invalid",
         "displayName", "control"},
        {"{\"name\":\"a\\u0000\",\"engine\":\"woocommerce\"}", "invalid_json", "", "JSON"},
        {"{\"name\":\"a\",\"engine\":\"woocommerce\",\"plan\":[[[[[[[[[1]]]]]]]]]}", "too_deep", "",
         "nested deeper than 8"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sp_create_req r;
        struct sp_req_error e = {0};
        enum sp_err err = parse(bad[i].body, &r, &e);
        if (err != SP_E_INVALID || strcmp(e.code, bad[i].code) != 0 ||
            strcmp(e.field, bad[i].field) != 0 || !strstr(sp_errmsg(), bad[i].msg))
            fail_msg("case %zu (%s): err %d code %s field %s msg %s", i, bad[i].body, err, e.code,
                     e.field, sp_errmsg());
        assert_null(r.name); /* nothing half-filled */
    }
}

static void display_name_counts_characters(void **state)
{
    char body[2048], dn[1024] = "";
    struct sp_create_req r;
    struct sp_req_error e;
    (void)state;
    for (int i = 0; i < 100; i++)
        strcat(dn, "\\u00e9"); /* 100 characters, 200 bytes */
    snprintf(body, sizeof(body),
             "{\"name\":\"a\",\"engine\":\"woocommerce\",\"displayName\":\"%s\"}", dn);
    assert_int_equal(parse(body, &r, &e), SP_OK);
    sp_create_req_release(&r);
    strcat(dn, "x");
    snprintf(body, sizeof(body),
             "{\"name\":\"a\",\"engine\":\"woocommerce\",\"displayName\":\"%s\"}", dn);
    assert_int_equal(parse(body, &r, &e), SP_E_INVALID);
    assert_string_equal(e.field, "displayName");
}

static void depth_ignores_brackets_in_strings(void **state)
{
    const char *s = "{\"a\":\"[[[[[[[[[[[[\\\"[[[[\",\"b\":[[1]]}";
    (void)state;
    assert_int_equal(sp_json_depth_check(s, strlen(s), 3), SP_OK);
    assert_int_equal(sp_json_depth_check(s, strlen(s), 2), SP_E_INVALID);
}

static void splits_paths_and_refuses_traversal(void **state)
{
    struct sp_path p;
    (void)state;
    assert_int_equal(sp_path_split("/api/v1/stores/a/", &p), SP_OK);
    assert_int_equal(p.n, 4);
    assert_string_equal(p.seg[3], "a");
    assert_int_equal(sp_path_split("/", &p), SP_OK);
    assert_int_equal(p.n, 0);
    assert_int_equal(sp_path_split("/a/../b", &p), SP_E_INVALID);
    assert_int_equal(sp_path_split("/a/./b", &p), SP_E_INVALID);
    assert_int_equal(sp_path_split("/a//b", &p), SP_E_INVALID);
    assert_int_equal(sp_path_split("a/b", &p), SP_E_INVALID);
    assert_int_equal(sp_path_split("", &p), SP_E_INVALID);
    assert_int_equal(sp_path_split("/a\r\nb", &p), SP_E_INVALID);
    assert_int_equal(sp_path_split("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", &p), SP_E_INVALID);
    {
        char longp[SP_REQ_MAX_PATH + 8];
        memset(longp, 'a', sizeof(longp));
        longp[0] = '/';
        longp[sizeof(longp) - 1] = '\0';
        assert_int_equal(sp_path_split(longp, &p), SP_E_INVALID);
    }
}

static void error_json_has_the_one_shape(void **state)
{
    struct sp_buf b = SP_BUF_INIT;
    json_t *o, *e;
    (void)state;
    sp_http_error_json(&b, "invalid", "plan.size", "plan.size: must be \"small\"");
    o = json_loads(b.data, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 1);
    e = json_object_get(o, "error");
    assert_int_equal(json_object_size(e), 3);
    assert_string_equal(json_string_value(json_object_get(e, "code")), "invalid");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "plan.size");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "plan.size: must be \"small\"");
    json_decref(o);
    /* a message that is not UTF-8 still gives valid JSON */
    sp_buf_reset(&b);
    sp_http_error_json(&b, "invalid", NULL, "bad \xff byte");
    o = json_loads(b.data, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "field")),
                        "");
    json_decref(o);
    sp_buf_release(&b);
}

/* The API takes what the CRD takes (sp_quantity_ok), up to its own length limit. */
static void quantities_follow_the_crd(void **state)
{
    struct sp_create_req r;
    struct sp_req_error err;
    (void)state;
    assert_int_equal(parse("{\"name\":\"q1\",\"engine\":\"woocommerce\",\"plan\":{\"storage\":"
                           "\"10Gi\",\"limits\":{\"cpu\":\"1.5\",\"memory\":\"1G\"}}}",
                           &r, &err),
                     SP_OK);
    sp_create_req_release(&r);
    assert_int_equal(parse("{\"name\":\"q1\",\"engine\":\"woocommerce\",\"plan\":{\"storage\":"
                           "\"1111111111111111111111111111111111Gi\"}}",
                           &r, &err),
                     SP_E_INVALID);
    assert_string_equal(err.field, "plan.storage");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_a_full_request),
        cmocka_unit_test(refuses_with_code_and_field),
        cmocka_unit_test(display_name_counts_characters),
        cmocka_unit_test(depth_ignores_brackets_in_strings),
        cmocka_unit_test(splits_paths_and_refuses_traversal),
        cmocka_unit_test(error_json_has_the_one_shape),
        cmocka_unit_test(quantities_follow_the_crd),
    };
    return cmocka_run_group_tests(tests, load_engines, free_engines);
}
