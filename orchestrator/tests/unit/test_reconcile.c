/* Pure decisions inside reconcile.c: label values, permanent helm errors, template variables,
 * provisioning slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/reconcile.c"

static void owner_becomes_a_valid_label_value(void **state)
{
    char *v;
    (void)state;
    v = label_value("alice@example.com");
    assert_string_equal(v, "alice_example.com");
    free(v);
    v = label_value("-bob-");
    assert_string_equal(v, "bob");
    free(v);
    v = label_value("x234567890123456789012345678901234567890123456789012345678901234567890");
    assert_int_equal(strlen(v), 63);
    free(v);
    v = label_value(NULL);
    assert_string_equal(v, "");
    free(v);
}

static void tells_permanent_helm_errors(void **state)
{
    (void)state;
    assert_true(helm_error_is_permanent(
        "UPGRADE FAILED: template: store/templates/a.yaml:3:4: executing: nil pointer"));
    assert_true(helm_error_is_permanent("values don't meet the specifications of the schema(s)"));
    assert_false(
        helm_error_is_permanent("UPGRADE FAILED: Get \"https://x\": dial tcp: connection refused"));
    assert_false(helm_error_is_permanent("another operation (install/upgrade/rollback) is in "
                                         "progress"));
}

static void variables_cover_the_environment_and_plan(void **state)
{
    struct sp_reconcile_config cfg = {.base_domain = "b.test",
                                      .ingress_class = "nginx",
                                      .cluster_issuer = "",
                                      .storage_class = "fast"};
    const char *plan[5] = {NULL, "1Gi", NULL, NULL, "3Gi"};
    json_t *v = sp_reconcile_vars(&cfg, "s1", "o", "Shop One", "small", plan);
    (void)state;
    assert_string_equal(json_string_value(json_object_get(v, "namespace")), "store-s1");
    assert_string_equal(json_string_value(json_object_get(v, "release")), "store-s1");
    assert_string_equal(json_string_value(json_object_get(v, "host")), "s1.b.test");
    assert_string_equal(json_string_value(json_object_get(v, "scheme")), "http");
    assert_true(json_is_false(json_object_get(v, "ingressTls")));
    assert_string_equal(json_string_value(json_object_get(v, "storageClass")), "fast");
    assert_string_equal(json_string_value(json_object_get(v, "displayName")), "Shop One");
    assert_true(json_is_null(json_object_get(v, "plan.requests.cpu")));
    assert_string_equal(json_string_value(json_object_get(v, "plan.requests.memory")), "1Gi");
    assert_string_equal(json_string_value(json_object_get(v, "plan.storage")), "3Gi");
    json_decref(v);
}

static void slots_cap_concurrent_provisioning(void **state)
{
    struct sp_reconciler r;
    struct sp_engines e = {0};
    struct sp_helm h = {0};
    struct sp_reconcile_config cfg = {.max_provisioning = 2};
    json_t *stores =
        json_loads("[{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Provisioning\"}},"
                   "{\"metadata\":{\"name\":\"q\"},\"status\":{\"phase\":\"Ready\"}}]",
                   0, NULL);
    (void)state;
    sp_reconciler_init(&r, NULL, &e, &h, &cfg);
    sp_reconciler_seed_slots(&r, stores);
    assert_int_equal(sp_reconciler_slots_used(&r), 1);
    assert_true(slot_take(&r, "a", false));
    assert_true(slot_take(&r, "a", false)); /* already holds one */
    assert_false(slot_take(&r, "b", false));
    assert_true(slot_take(&r, "b", true)); /* forced: a store already provisioning */
    assert_int_equal(sp_reconciler_slots_used(&r), 3);
    slot_give_back(&r, "p");
    slot_give_back(&r, "b");
    slot_give_back(&r, "nobody");
    assert_true(slot_take(&r, "c", false));
    assert_false(slot_take(&r, "d", false));
    sp_reconciler_release(&r);
    json_decref(stores);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(owner_becomes_a_valid_label_value),
        cmocka_unit_test(tells_permanent_helm_errors),
        cmocka_unit_test(variables_cover_the_environment_and_plan),
        cmocka_unit_test(slots_cap_concurrent_provisioning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
