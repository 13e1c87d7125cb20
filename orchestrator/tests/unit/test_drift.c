/* Drift of a store's objects from its release (drift.c), on fixtures as the API server gives them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drift.h"

static json_t *J(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    return j;
}

static void paths_for_the_kinds_looked_after(void **state)
{
    json_t *deploy = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
                       "\"s-wordpress\"}}");
    json_t *np = J("{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
                   "\"metadata\":{\"name\":\"s-shop\"}}");
    json_t *svc = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}");
    json_t *job =
        J("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"setup\"}}");
    json_t *pvc = J("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{"
                    "\"name\":\"data\"}}");
    json_t *odd = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a/b\"}}");
    char *p;
    (void)state;
    p = sp_drift_path(deploy, "store-s");
    assert_string_equal(p, "/apis/apps/v1/namespaces/store-s/deployments/s-wordpress");
    free(p);
    p = sp_drift_path(np, "store-s");
    assert_string_equal(p, "/apis/networking.k8s.io/v1/namespaces/store-s/networkpolicies/s-shop");
    free(p);
    p = sp_drift_path(svc, "store-s");
    assert_string_equal(p, "/api/v1/namespaces/store-s/services/s");
    free(p);
    assert_null(sp_drift_path(job, "store-s")); /* runs once; may be cleaned up */
    assert_null(sp_drift_path(pvc, "store-s")); /* made again it would be empty */
    assert_null(sp_drift_path(odd, "store-s"));
    json_decref(deploy);
    json_decref(np);
    json_decref(svc);
    json_decref(job);
    json_decref(pvc);
    json_decref(odd);
}

static void covers_asks_only_for_what_the_manifest_sets(void **state)
{
    json_t *want = J("{\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":"
                     "\"c\",\"resources\":{}}]}}},\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
    json_t *live = J("{\"spec\":{\"replicas\":1,\"revisionHistoryLimit\":10,\"template\":{\"spec\":"
                     "{\"containers\":[{\"name\":\"c\",\"imagePullPolicy\":\"Never\"}]}}},"
                     "\"metadata\":{\"labels\":{\"a\":\"b\",\"team\":\"ops\"}},\"status\":{}}");
    json_t *scaled = J("{\"spec\":{\"replicas\":0,\"template\":{\"spec\":{\"containers\":[{"
                       "\"name\":\"c\"}]}}},\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
    json_t *more = J("{\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":"
                     "\"c\"},{\"name\":\"extra\"}]}}},\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
    json_t *relabelled = J("{\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{"
                           "\"name\":\"c\"}]}}},\"metadata\":{\"labels\":{\"a\":\"x\"}}}");
    json_t *real = J("{\"spec\":{\"replicas\":1.0}}"), *one = J("{\"spec\":{\"replicas\":1}}");
    json_t *omitted = J("{\"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":false}}");
    json_t *svc = J("{\"spec\":{\"clusterIP\":\"None\",\"type\":\"ClusterIP\"}}");
    json_t *svc_true = J("{\"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":true}}");
    json_t *quota = J("{\"spec\":{\"hard\":{\"pods\":6,\"requests.cpu\":\"110m\"}}}");
    json_t *quota_live = J("{\"spec\":{\"hard\":{\"pods\":\"6\",\"requests.cpu\":\"110m\"}}}");
    json_t *storage = J("{\"hard\":{\"requests.storage\":\"3072Mi\",\"requests.cpu\":\"650m\"}}");
    json_t *storage_live = J("{\"hard\":{\"requests.storage\":\"3Gi\",\"requests.cpu\":\"0.65\"}}");
    json_t *storage_less = J("{\"hard\":{\"requests.storage\":\"3G\",\"requests.cpu\":\"650m\"}}");
    json_t *quota_more = J("{\"spec\":{\"hard\":{\"pods\":\"50\",\"requests.cpu\":\"110m\"}}}");
    (void)state;
    assert_true(sp_drift_covers(want, live)); /* extra fields live are others' */
    assert_false(sp_drift_covers(want, scaled));
    assert_false(sp_drift_covers(want, more)); /* a list is as long as the manifest's */
    assert_false(sp_drift_covers(want, relabelled));
    assert_true(sp_drift_covers(one, real)); /* 1 and 1.0 are the same number */
    assert_false(sp_drift_covers(want, NULL));
    assert_true(sp_drift_covers(omitted, svc)); /* false left out by the API server */
    assert_false(sp_drift_covers(omitted, svc_true));
    assert_true(sp_drift_covers(quota, quota_live)); /* 6 kept as "6" */
    assert_false(sp_drift_covers(quota, quota_more));
    assert_true(sp_drift_covers(storage, storage_live)); /* 3072Mi is 3Gi, 650m is 0.65 */
    assert_false(sp_drift_covers(storage, storage_less));
    json_decref(want);
    json_decref(live);
    json_decref(scaled);
    json_decref(more);
    json_decref(relabelled);
    json_decref(real);
    json_decref(one);
    json_decref(omitted);
    json_decref(svc);
    json_decref(svc_true);
    json_decref(quota);
    json_decref(quota_live);
    json_decref(quota_more);
    json_decref(storage);
    json_decref(storage_live);
    json_decref(storage_less);
}

static void diff_names_the_first_field_and_hides_secrets(void **state)
{
    json_t *would = J("{\"metadata\":{\"name\":\"d\",\"resourceVersion\":\"9\",\"generation\":3,"
                      "\"managedFields\":[{\"manager\":\"helm\"}]},\"spec\":{\"replicas\":1},"
                      "\"status\":{\"replicas\":1}}");
    json_t *live =
        J("{\"metadata\":{\"name\":\"d\",\"resourceVersion\":\"8\",\"generation\":2,"
          "\"managedFields\":[]},\"spec\":{\"replicas\":0},\"status\":{\"replicas\":0}}");
    json_t *same = J("{\"metadata\":{\"name\":\"d\",\"resourceVersion\":\"1\"},\"spec\":{"
                     "\"replicas\":1},\"status\":{\"replicas\":0}}");
    json_t *sec_want = J("{\"data\":{\"password\":\"c2VjcmV0\"}}");
    json_t *sec_live = J("{\"data\":{\"password\":\"b3RoZXI=\"}}");
    json_t *extra = J("{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":1,\"paused\":true}}");
    char *msg, *path = NULL;
    (void)state;
    msg = sp_drift_diff(would, live, false, &path);
    assert_non_null(msg);
    assert_string_equal(msg, "spec.replicas was 0, wants 1");
    assert_string_equal(path, "spec.replicas");
    free(msg);
    free(path);
    /* what the API server writes by itself is no drift */
    assert_null(sp_drift_diff(would, same, false, NULL));
    msg = sp_drift_diff(sec_want, sec_live, true, NULL);
    assert_string_equal(msg, "data.password changed");
    assert_null(strstr(msg, "c2VjcmV0"));
    free(msg);
    msg = sp_drift_diff(same, extra, false, &path);
    assert_string_equal(msg, "spec.paused was true, wants (none)");
    assert_string_equal(path, "spec.paused");
    free(msg);
    free(path);
    json_decref(would);
    json_decref(live);
    json_decref(same);
    json_decref(sec_want);
    json_decref(sec_live);
    json_decref(extra);
}

static void applied_as_helm_keeps_the_ownership_marks(void **state)
{
    json_t *obj =
        J("{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\",\"labels\":{\"a\":\"b\"}}}");
    json_t *bare = J("{\"kind\":\"Service\"}");
    json_t *o = sp_drift_as_helm_applies(obj, "store-s", "store-s");
    json_t *b = sp_drift_as_helm_applies(bare, "r", "n");
    json_t *meta = json_object_get(o, "metadata");
    (void)state;
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "annotations"),
                                                          "meta.helm.sh/release-name")),
                        "store-s");
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "annotations"),
                                                          "meta.helm.sh/release-namespace")),
                        "store-s");
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "labels"),
                                                          "app.kubernetes.io/managed-by")),
                        "Helm");
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "labels"), "a")),
                        "b");
    /* the manifest object itself is not changed */
    assert_null(json_object_get(json_object_get(obj, "metadata"), "annotations"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(b, "metadata"), "annotations"),
                            "meta.helm.sh/release-name")),
                        "r");
    json_decref(obj);
    json_decref(bare);
    json_decref(o);
    json_decref(b);
}

static void the_writer_is_who_holds_the_field(void **state)
{
    json_t *live = J(
        "{\"metadata\":{\"managedFields\":["
        "{\"manager\":\"helm\",\"operation\":\"Apply\",\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{},"
        "\"f:hard\":{\"f:pods\":{}}}}},"
        "{\"manager\":\"kubectl-label\",\"operation\":\"Update\",\"fieldsV1\":{\"f:metadata\":{"
        "\"f:labels\":{\"f:team\":{}}}}},"
        "{\"manager\":\"kubectl\",\"operation\":\"Update\",\"subresource\":\"scale\",\"fieldsV1\":"
        "{\"f:spec\":{\"f:replicas\":{}}}},"
        "{\"manager\":\"ops-bot\",\"operation\":\"Update\",\"fieldsV1\":{\"f:spec\":{\"f:"
        "template\":"
        "{\"f:spec\":{\"f:containers\":{}}}}}}]}}");
    (void)state;
    assert_string_equal(sp_drift_writer(live, "spec.replicas"), "kubectl");
    assert_string_equal(sp_drift_writer(live, "metadata.labels.team"), "kubectl-label");
    assert_string_equal(sp_drift_writer(live, "spec.template.spec.containers[0].image"), "ops-bot");
    assert_null(sp_drift_writer(live, "spec.hard.pods")); /* only helm holds it */
    assert_null(sp_drift_writer(live, "spec.paused"));
    assert_null(sp_drift_writer(live, NULL));
    json_decref(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_for_the_kinds_looked_after),
        cmocka_unit_test(covers_asks_only_for_what_the_manifest_sets),
        cmocka_unit_test(diff_names_the_first_field_and_hides_secrets),
        cmocka_unit_test(applied_as_helm_keeps_the_ownership_marks),
        cmocka_unit_test(the_writer_is_who_holds_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
