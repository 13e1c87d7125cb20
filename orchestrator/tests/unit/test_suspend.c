/*
 * Suspend and resume: the API's answer for each state (suspend.h), the
 * controller's next step, the phase table's Suspended row, spec.suspended and
 * suspendedAt/resumedAt through JSON, "no pod runs" (readiness.h), and the
 * ${suspended} variable through the repository's engine table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "readiness.h"
#include "reconcile.h"
#include "store.h"
#include "suspend.h"
#include "util.h"

/* A store in phase p with spec.suspended sus; deleting when del. */
static struct sp_store store(enum sp_phase p, bool sus, bool del)
{
    struct sp_store s;
    memset(&s, 0, sizeof(s));
    s.name = "shop"; /* borrowed: never released */
    s.status.phase = p;
    s.spec.suspended = sus;
    s.deleting = del;
    return s;
}

static enum sp_suspend_answer decide(enum sp_suspend_op op, const struct sp_store *s, char *why)
{
    return sp_suspend_decide(op, s, why, 300);
}

static void suspend_needs_a_ready_store(void **state)
{
    char why[300];
    struct sp_store s;
    (void)state;
    s = store(SP_PHASE_READY, false, false);
    assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_CHANGE);
    s = store(SP_PHASE_DEGRADED, false, false); /* a broken store may be stopped */
    assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_CHANGE);
    /* asked already: Ready (the controller has not acted yet) or Suspended */
    s = store(SP_PHASE_READY, true, false);
    assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_ALREADY);
    s = store(SP_PHASE_SUSPENDED, true, false);
    assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_ALREADY);
    const struct {
        enum sp_phase p;
        const char *shown;
    } not_ready[] = {{SP_PHASE_NONE, "Pending"},
                     {SP_PHASE_PENDING, "Pending"},
                     {SP_PHASE_PROVISIONING, "Provisioning"},
                     {SP_PHASE_FAILED, "Failed"}};
    for (size_t i = 0; i < sizeof(not_ready) / sizeof(not_ready[0]); i++) {
        s = store(not_ready[i].p, false, false);
        assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_CONFLICT);
        assert_non_null(strstr(why, not_ready[i].shown));
        assert_non_null(
            strstr(why, "only a Ready (or Degraded) store can be suspended; 'shop' is"));
    }
    /* being deleted: a conflict whatever the phase and the spec say */
    s = store(SP_PHASE_READY, false, true);
    assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_CONFLICT);
    assert_non_null(strstr(why, "Deleting"));
    s = store(SP_PHASE_SUSPENDED, true, true);
    assert_int_equal(decide(SP_OP_SUSPEND, &s, why), SP_SUSPEND_CONFLICT);
    assert_non_null(strstr(why, "being deleted"));
}

static void resume_needs_a_suspended_store_and_repeats_quietly(void **state)
{
    char why[300];
    struct sp_store s;
    (void)state;
    s = store(SP_PHASE_SUSPENDED, true, false);
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CHANGE);
    /* a suspend not acted on yet can be taken back */
    s = store(SP_PHASE_READY, true, false);
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CHANGE);
    /* asked already: not acted on yet, coming back, back */
    s = store(SP_PHASE_SUSPENDED, false, false);
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_ALREADY);
    s = store(SP_PHASE_PROVISIONING, false, false);
    s.status.suspended_ms = 1000;
    s.status.resumed_ms = 2000;
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_ALREADY);
    s.status.phase = SP_PHASE_READY;
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_ALREADY);
    /* never suspended, or suspended again since the last resume (by hand): not suspended */
    s = store(SP_PHASE_READY, false, false);
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CONFLICT);
    assert_non_null(strstr(why, "only a suspended store can be resumed; 'shop' is Ready"));
    s.status.resumed_ms = 1000;
    s.status.suspended_ms = 2000;
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CONFLICT);
    /* a first provisioning, or a resume that failed */
    s = store(SP_PHASE_PROVISIONING, false, false);
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CONFLICT);
    assert_non_null(strstr(why, "is Provisioning"));
    s = store(SP_PHASE_FAILED, false, false);
    s.status.suspended_ms = 1000;
    s.status.resumed_ms = 2000;
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CONFLICT);
    assert_non_null(strstr(why, "is Failed"));
    s = store(SP_PHASE_SUSPENDED, true, true);
    assert_int_equal(decide(SP_OP_RESUME, &s, why), SP_SUSPEND_CONFLICT);
    assert_non_null(strstr(why, "(phase Deleting)"));
}

static void controller_suspends_ready_stores_and_resumes_suspended_ones(void **state)
{
    struct sp_store s;
    (void)state;
    s = store(SP_PHASE_READY, true, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_SUSPEND);
    s = store(SP_PHASE_SUSPENDED, true, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_SUSPEND);
    s = store(SP_PHASE_DEGRADED, true, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_SUSPEND);
    s = store(SP_PHASE_DEGRADED, false, false); /* health's business, not this one */
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
    s = store(SP_PHASE_SUSPENDED, false, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_RESUME);
    /* provisioning goes on (readiness skips pods); suspended once Ready */
    s = store(SP_PHASE_PROVISIONING, true, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
    s = store(SP_PHASE_PENDING, true, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
    s = store(SP_PHASE_FAILED, true, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
    s = store(SP_PHASE_READY, false, false);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
    /* deletion wins */
    s = store(SP_PHASE_SUSPENDED, false, true);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
    s = store(SP_PHASE_READY, true, true);
    assert_int_equal(sp_suspend_next(&s), SP_NEXT_NONE);
}

static void resuming_lasts_from_the_resume_to_ready(void **state)
{
    struct sp_store s = store(SP_PHASE_PROVISIONING, false, false);
    (void)state;
    s.status.suspended_ms = 1000;
    s.status.resumed_ms = s.status.provisioning_ms = 2000;
    assert_true(sp_suspend_resuming(&s));
    s.status.provisioning_ms = 3000; /* provisioned again since (a spec change) */
    assert_false(sp_suspend_resuming(&s));
    s.status.provisioning_ms = 2000;
    s.status.phase = SP_PHASE_READY;
    assert_false(sp_suspend_resuming(&s));
    s = store(SP_PHASE_PROVISIONING, false, false); /* never suspended */
    assert_false(sp_suspend_resuming(&s));
    s.status.suspended_ms = 3000; /* suspended again after that resume */
    s.status.resumed_ms = s.status.provisioning_ms = 2000;
    assert_false(sp_suspend_resuming(&s));
}

static void suspended_is_a_phase_with_few_ways_in_and_out(void **state)
{
    (void)state;
    assert_string_equal(sp_phase_name(SP_PHASE_SUSPENDED), "Suspended");
    assert_int_equal(sp_phase_parse("Suspended"), SP_PHASE_SUSPENDED);
    assert_true(sp_phase_transition_ok(SP_PHASE_READY, SP_PHASE_SUSPENDED));
    assert_true(sp_phase_transition_ok(SP_PHASE_DEGRADED, SP_PHASE_SUSPENDED));
    assert_false(sp_phase_transition_ok(SP_PHASE_SUSPENDED, SP_PHASE_DEGRADED));
    assert_true(sp_phase_transition_ok(SP_PHASE_SUSPENDED, SP_PHASE_PROVISIONING));
    assert_true(sp_phase_transition_ok(SP_PHASE_SUSPENDED, SP_PHASE_DELETING));
    assert_true(sp_phase_transition_ok(SP_PHASE_SUSPENDED, SP_PHASE_SUSPENDED));
    /* never Failed: its clean-up would delete the data a suspension keeps */
    assert_false(sp_phase_transition_ok(SP_PHASE_SUSPENDED, SP_PHASE_FAILED));
    assert_false(sp_phase_transition_ok(SP_PHASE_SUSPENDED, SP_PHASE_READY));
    assert_false(sp_phase_transition_ok(SP_PHASE_PROVISIONING, SP_PHASE_SUSPENDED));
    assert_false(sp_phase_transition_ok(SP_PHASE_PENDING, SP_PHASE_SUSPENDED));
    assert_false(sp_phase_transition_ok(SP_PHASE_FAILED, SP_PHASE_SUSPENDED));
    assert_false(sp_phase_transition_ok(SP_PHASE_DELETING, SP_PHASE_SUSPENDED));
}

static void suspension_goes_through_json(void **state)
{
    struct sp_store s, t;
    json_t *obj, *st;
    (void)state;
    obj = json_loads("{\"metadata\":{\"name\":\"shop\"},\"spec\":{\"engine\":\"woocommerce\","
                     "\"owner\":\"alice\",\"suspended\":true},\"status\":{\"phase\":\"Suspended\","
                     "\"suspendedAt\":\"2026-01-02T03:04:05Z\"}}",
                     0, NULL);
    assert_non_null(obj);
    assert_int_equal(sp_store_from_json(obj, &s), SP_OK);
    assert_true(s.spec.suspended);
    assert_int_equal(s.status.phase, SP_PHASE_SUSPENDED);
    assert_true(s.status.suspended_ms > 0);
    assert_int_equal(s.status.resumed_ms, 0);
    assert_false(sp_suspend_resumed(&s));
    s.status.resumed_ms = s.status.suspended_ms + 1000;
    assert_true(sp_suspend_resumed(&s));
    st = sp_store_status_json(&s);
    assert_string_equal(json_string_value(json_object_get(st, "phase")), "Suspended");
    assert_string_equal(json_string_value(json_object_get(st, "suspendedAt")),
                        "2026-01-02T03:04:05Z");
    assert_string_equal(json_string_value(json_object_get(st, "resumedAt")),
                        "2026-01-02T03:04:06Z");
    /* the status as written reads back the same */
    json_object_set(obj, "status", st);
    assert_int_equal(sp_store_from_json(obj, &t), SP_OK);
    assert_int_equal(t.status.resumed_ms, s.status.resumed_ms);
    /* a suspension is not part of "the same create request" */
    {
        struct sp_store_spec a = s.spec;
        a.suspended = false;
        assert_true(sp_store_spec_equal(&a, &s.spec));
    }
    json_decref(st);
    /* a string or a number is not true */
    json_object_set_new(json_object_get(obj, "spec"), "suspended", json_string("true"));
    sp_store_release(&t);
    assert_int_equal(sp_store_from_json(obj, &t), SP_OK);
    assert_false(t.spec.suspended);
    sp_store_release(&t);
    sp_store_release(&s);
    json_decref(obj);
}

static void counts_pods_that_still_run(void **state)
{
    char *first = NULL;
    json_t *pods;
    (void)state;
    pods =
        json_loads("[{\"metadata\":{\"name\":\"setup-r1-x\"},\"status\":{\"phase\":\"Succeeded\"}},"
                   "{\"metadata\":{\"name\":\"bad\"},\"status\":{\"phase\":\"Failed\"}},"
                   "{\"metadata\":{\"name\":\"db-0\"},\"status\":{\"phase\":\"Running\"}},"
                   "{\"metadata\":{\"name\":\"shop-1\"},\"status\":{\"phase\":\"Pending\"}},"
                   "{\"metadata\":{\"name\":\"odd\"}}]",
                   0, NULL);
    assert_int_equal(sp_ready_running_pods(pods, &first), 3);
    assert_string_equal(first, "db-0");
    free(first);
    json_decref(pods);
    pods = json_loads("[{\"metadata\":{\"name\":\"a\"},\"status\":{\"phase\":\"Succeeded\"}}]", 0,
                      NULL);
    assert_int_equal(sp_ready_running_pods(pods, &first), 0);
    assert_null(first);
    json_decref(pods);
    assert_int_equal(sp_ready_running_pods(NULL, &first), 0);
    assert_null(first);
}

/* The repository's engine table gives the chart a boolean suspended, whatever spec says. */
static void engine_table_passes_suspended_as_a_boolean(void **state)
{
    struct sp_reconcile_config cfg = {.base_domain = "shops.example",
                                      .ingress_class = "nginx",
                                      .cluster_issuer = "",
                                      .storage_class = ""};
    struct sp_engines e;
    const struct sp_engine *w;
    json_t *vars, *values;
    const char *root = getenv("SP_TEST_ROOT");
    char *path = sp_asprintf("%s/charts/engines.yaml", root ? root : "../..");
    (void)state;
    assert_int_equal(sp_engines_load(path, "/charts", &e), SP_OK);
    free(path);
    w = sp_engines_find(&e, "woocommerce");
    assert_non_null(w);
    for (int sus = 0; sus < 2; sus++) {
        vars = sp_reconcile_vars(&cfg, "shop",
                                 &(struct sp_store_spec){.owner = "alice", .suspended = sus});
        assert_true(json_is_boolean(json_object_get(vars, "suspended")));
        assert_int_equal(sp_engine_values(w, vars, &values), SP_OK);
        assert_true(json_is_boolean(json_object_get(values, "suspended")));
        assert_int_equal(json_is_true(json_object_get(values, "suspended")), sus);
        json_decref(values);
        json_decref(vars);
    }
    sp_engines_release(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suspend_needs_a_ready_store),
        cmocka_unit_test(resume_needs_a_suspended_store_and_repeats_quietly),
        cmocka_unit_test(controller_suspends_ready_stores_and_resumes_suspended_ones),
        cmocka_unit_test(resuming_lasts_from_the_resume_to_ready),
        cmocka_unit_test(suspended_is_a_phase_with_few_ways_in_and_out),
        cmocka_unit_test(suspension_goes_through_json),
        cmocka_unit_test(counts_pods_that_still_run),
        cmocka_unit_test(engine_table_passes_suspended_as_a_boolean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
