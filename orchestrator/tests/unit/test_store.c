/* The Store model: names, quantities, JSON mapping, phases, conditions, activity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "store.h"
#include "util.h"

static void validates_names(void **state)
{
    (void)state;
    assert_int_equal(sp_store_validate_name("shop-1"), SP_OK);
    assert_int_equal(sp_store_validate_name("a"), SP_OK);
    assert_int_equal(sp_store_validate_name("abcdefghijabcdefghijabcdefghij"), SP_OK);
    assert_int_equal(sp_store_validate_name("abcdefghijabcdefghijabcdefghijk"), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "longer than 30"));
    assert_int_equal(sp_store_validate_name(""), SP_E_INVALID);
    assert_int_equal(sp_store_validate_name(NULL), SP_E_INVALID);
    assert_int_equal(sp_store_validate_name("Shop"), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "'Shop'"));
    assert_int_equal(sp_store_validate_name("-shop"), SP_E_INVALID);
    assert_int_equal(sp_store_validate_name("shop-"), SP_E_INVALID);
    assert_int_equal(sp_store_validate_name("sh.op"), SP_E_INVALID);
    assert_int_equal(sp_store_validate_name("sh_op"), SP_E_INVALID);
    assert_int_equal(sp_store_validate_name("../x"), SP_E_INVALID);
}

static void validates_quantities(void **state)
{
    (void)state;
    assert_true(sp_quantity_ok(SP_QUANTITY_CPU, "250m"));
    assert_true(sp_quantity_ok(SP_QUANTITY_CPU, "1"));
    assert_true(sp_quantity_ok(SP_QUANTITY_CPU, "1.5"));
    assert_false(sp_quantity_ok(SP_QUANTITY_CPU, "1Gi"));
    assert_false(sp_quantity_ok(SP_QUANTITY_CPU, ".5"));
    assert_true(sp_quantity_ok(SP_QUANTITY_BYTES, "1.5Gi"));
    assert_true(sp_quantity_ok(SP_QUANTITY_BYTES, "512Mi"));
    assert_true(sp_quantity_ok(SP_QUANTITY_BYTES, "1G"));
    assert_false(sp_quantity_ok(SP_QUANTITY_BYTES, "1m"));
    assert_false(sp_quantity_ok(SP_QUANTITY_BYTES, "1.Gi"));
    assert_false(sp_quantity_ok(SP_QUANTITY_BYTES, "Gi"));
    assert_false(sp_quantity_ok(SP_QUANTITY_BYTES, "1GB"));
    assert_false(sp_quantity_ok(SP_QUANTITY_BYTES, "-1"));
    assert_false(sp_quantity_ok(SP_QUANTITY_BYTES, ""));
    assert_false(sp_quantity_ok(SP_QUANTITY_CPU, NULL));
}

static const char *store_json =
    "{\"metadata\":{\"name\":\"shop\",\"uid\":\"u-1\",\"resourceVersion\":\"42\","
    "\"generation\":3,\"creationTimestamp\":\"2026-01-02T03:04:05Z\","
    "\"finalizers\":[\"other\",\"storeplatform.dev/cleanup\"],"
    "\"annotations\":{\"storeplatform.dev/retry\":\"r1\"}},"
    "\"spec\":{\"engine\":\"woocommerce\",\"owner\":\"alice\",\"displayName\":\"Shop\","
    "\"plan\":{\"size\":\"medium\",\"requests\":{\"cpu\":\"250m\"},\"storage\":\"2Gi\"}},"
    "\"status\":{\"phase\":\"Provisioning\",\"message\":\"m\",\"url\":\"http://x/\","
    "\"provisioningStartedAt\":\"2026-01-02T03:04:06Z\",\"observedGeneration\":2,"
    "\"helmRevision\":4,\"observedRetry\":\"r0\","
    "\"conditions\":[{\"type\":\"NamespaceReady\",\"status\":\"True\",\"reason\":\"Created\","
    "\"lastTransitionTime\":\"2026-01-02T03:04:07Z\"},{\"type\":\"Bogus\",\"status\":\"True\"}],"
    "\"activity\":[{\"time\":\"2026-01-02T03:04:06Z\",\"message\":\"Pending\"}]}}";

static void maps_json_to_struct_and_back(void **state)
{
    json_t *obj = json_loads(store_json, 0, NULL), *st;
    struct sp_store s;
    (void)state;
    assert_non_null(obj);
    assert_int_equal(sp_store_from_json(obj, &s), SP_OK);
    assert_string_equal(s.name, "shop");
    assert_int_equal(s.generation, 3);
    assert_true(s.has_finalizer);
    assert_false(s.deleting);
    assert_string_equal(s.retry, "r1");
    assert_string_equal(s.spec.size, "medium");
    assert_string_equal(s.spec.cpu_request, "250m");
    assert_null(s.spec.memory_request);
    assert_string_equal(s.spec.storage, "2Gi");
    assert_int_equal(s.status.phase, SP_PHASE_PROVISIONING);
    assert_int_equal(s.status.helm_revision, 4);
    assert_int_equal(s.status.observed_generation, 2);
    assert_int_equal(s.status.cond[SP_COND_NAMESPACE].status, SP_TRUE);
    assert_int_equal(s.status.cond[SP_COND_RELEASE].status, SP_UNKNOWN);
    assert_int_equal(s.status.n_activity, 1);
    assert_int_equal(sp_store_validate(&s), SP_OK);

    st = sp_store_status_json(&s);
    assert_string_equal(json_string_value(json_object_get(st, "phase")), "Provisioning");
    assert_string_equal(json_string_value(json_object_get(st, "provisioningStartedAt")),
                        "2026-01-02T03:04:06Z");
    assert_int_equal(json_array_size(json_object_get(st, "conditions")), SP_COND_COUNT);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(st, "conditions"), 0),
                                          "lastTransitionTime")),
        "2026-01-02T03:04:07Z");
    assert_null(json_object_get(st, "readyAt"));
    /* a round trip through JSON gives the same status */
    {
        json_t *obj2 = json_deep_copy(obj);
        struct sp_store s2;
        json_t *st2;
        json_object_set(obj2, "status", st);
        assert_int_equal(sp_store_from_json(obj2, &s2), SP_OK);
        st2 = sp_store_status_json(&s2);
        assert_true(json_equal(st, st2));
        json_decref(st2);
        json_decref(obj2);
        sp_store_release(&s2);
    }
    json_decref(st);
    sp_store_release(&s);
    json_decref(obj);
}

static void parses_leniently_and_flags_bad_specs(void **state)
{
    json_t *obj = json_loads("{\"metadata\":{\"name\":\"x\",\"deletionTimestamp\":\"t\"},"
                             "\"spec\":{\"engine\":5,\"plan\":{\"limits\":{\"cpu\":\"lots\"}}}}",
                             0, NULL);
    json_t *noname = json_loads("{\"metadata\":{}}", 0, NULL);
    struct sp_store s;
    (void)state;
    assert_int_equal(sp_store_from_json(noname, &s), SP_E_INVALID);
    assert_int_equal(sp_store_from_json(obj, &s), SP_OK);
    assert_true(s.deleting);
    assert_false(s.has_finalizer);
    assert_null(s.spec.engine);
    assert_string_equal(s.spec.size, "small");
    assert_int_equal(s.status.phase, SP_PHASE_NONE);
    assert_int_equal(sp_store_validate(&s), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "spec.engine"));
    sp_set_str(&s.spec.engine, "woocommerce");
    sp_set_str(&s.spec.owner, "bob");
    assert_int_equal(sp_store_validate(&s), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "spec.plan.limits.cpu: 'lots'"));
    sp_store_release(&s);
    json_decref(obj);
    json_decref(noname);
}

static void allows_only_listed_transitions(void **state)
{
    (void)state;
    assert_true(sp_phase_transition_ok(SP_PHASE_NONE, SP_PHASE_PENDING));
    assert_true(sp_phase_transition_ok(SP_PHASE_PENDING, SP_PHASE_PROVISIONING));
    assert_true(sp_phase_transition_ok(SP_PHASE_PROVISIONING, SP_PHASE_READY));
    assert_true(sp_phase_transition_ok(SP_PHASE_PROVISIONING, SP_PHASE_FAILED));
    assert_true(sp_phase_transition_ok(SP_PHASE_FAILED, SP_PHASE_PENDING));
    assert_true(sp_phase_transition_ok(SP_PHASE_READY, SP_PHASE_PROVISIONING));
    assert_true(sp_phase_transition_ok(SP_PHASE_READY, SP_PHASE_DELETING));
    assert_true(sp_phase_transition_ok(SP_PHASE_READY, SP_PHASE_READY));
    assert_true(sp_phase_transition_ok(SP_PHASE_READY, SP_PHASE_DEGRADED));
    assert_true(sp_phase_transition_ok(SP_PHASE_DEGRADED, SP_PHASE_READY));
    assert_true(sp_phase_transition_ok(SP_PHASE_DEGRADED, SP_PHASE_PROVISIONING));
    assert_true(sp_phase_transition_ok(SP_PHASE_DEGRADED, SP_PHASE_DELETING));
    assert_false(sp_phase_transition_ok(SP_PHASE_PROVISIONING, SP_PHASE_DEGRADED));
    assert_false(sp_phase_transition_ok(SP_PHASE_DEGRADED, SP_PHASE_FAILED));
    assert_false(sp_phase_transition_ok(SP_PHASE_PENDING, SP_PHASE_READY));
    assert_false(sp_phase_transition_ok(SP_PHASE_FAILED, SP_PHASE_READY));
    assert_false(sp_phase_transition_ok(SP_PHASE_DELETING, SP_PHASE_PENDING));
    assert_false(sp_phase_transition_ok(SP_PHASE_READY, SP_PHASE_NONE));
    assert_false(sp_phase_transition_ok((enum sp_phase)99, SP_PHASE_READY));
    for (int p = 1; p < SP_PHASE_COUNT; p++)
        assert_int_equal(sp_phase_parse(sp_phase_name((enum sp_phase)p)), p);
    assert_int_equal(sp_phase_parse("ready"), SP_PHASE_NONE);
}

static void set_phase_records_activity_and_refuses_bad_moves(void **state)
{
    struct sp_store s;
    (void)state;
    memset(&s, 0, sizeof(s));
    s.name = sp_strdup("x");
    assert_int_equal(sp_store_set_phase(&s, SP_PHASE_PENDING, 1000, NULL), SP_OK);
    assert_int_equal(sp_store_set_phase(&s, SP_PHASE_READY, 2000, "no"), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "from Pending to Ready"));
    assert_int_equal(s.status.phase, SP_PHASE_PENDING);
    assert_int_equal(sp_store_set_phase(&s, SP_PHASE_PROVISIONING, 3000, "go"), SP_OK);
    assert_int_equal(s.status.n_activity, 2);
    assert_string_equal(s.status.activity[1].message, "Provisioning: go");
    assert_string_equal(s.status.message, "go");
    for (int i = 0; i < 30; i++)
        sp_store_add_activity(&s, 4000 + i, i == 29 ? "last" : "step");
    assert_int_equal(s.status.n_activity, SP_ACTIVITY_MAX);
    assert_string_equal(s.status.activity[SP_ACTIVITY_MAX - 1].message, "last");
    assert_int_equal(s.status.activity[0].time_ms, 4000 + 30 - SP_ACTIVITY_MAX);
    sp_store_release(&s);
}

static void conditions_keep_transition_time_while_status_holds(void **state)
{
    struct sp_store s;
    (void)state;
    memset(&s, 0, sizeof(s));
    sp_store_set_cond(&s, SP_COND_WORKLOADS, SP_FALSE, "NotReady", "a", 100);
    sp_store_set_cond(&s, SP_COND_WORKLOADS, SP_FALSE, "NotReady", "b", 200);
    assert_int_equal(s.status.cond[SP_COND_WORKLOADS].since_ms, 100);
    assert_string_equal(s.status.cond[SP_COND_WORKLOADS].message, "b");
    sp_store_set_cond(&s, SP_COND_WORKLOADS, SP_TRUE, "Ready", NULL, 300);
    assert_int_equal(s.status.cond[SP_COND_WORKLOADS].since_ms, 300);
    assert_null(s.status.cond[SP_COND_WORKLOADS].message);
    sp_store_reset_conds(&s);
    assert_int_equal(s.status.cond[SP_COND_WORKLOADS].status, SP_UNKNOWN);
    assert_string_equal(sp_cond_name(SP_COND_STOREFRONT), "StorefrontReady");
    sp_store_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validates_names),
        cmocka_unit_test(validates_quantities),
        cmocka_unit_test(maps_json_to_struct_and_back),
        cmocka_unit_test(parses_leniently_and_flags_bad_specs),
        cmocka_unit_test(allows_only_listed_transitions),
        cmocka_unit_test(set_phase_records_activity_and_refuses_bad_moves),
        cmocka_unit_test(conditions_keep_transition_time_while_status_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
