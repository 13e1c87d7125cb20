/* Readiness checks (readiness.c) on fixtures: lists as the API server gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readiness.h"
#include "util.h"

static json_t *J(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    return j;
}

/* 2026-01-01T00:00:10Z: objects created at 00:00:00 are 10 s old, at 00:00:08 2 s old. */
#define NOW_MS 1767225610000LL

static int warnings_asked;
static char *fake_warning(void *ud, const char *kind, const char *name)
{
    (void)ud;
    warnings_asked++;
    return sp_asprintf("ProvisioningFailed: %s %s: storageclass \"x\" not found", kind, name);
}

static const struct sp_ready_ctx ctx = {.now_ms = NOW_MS, .warning = fake_warning};

static void jobs_complete_pending_and_failed(void **state)
{
    json_t *jobs = J("[{\"metadata\":{\"name\":\"setup\"},\"status\":{\"conditions\":["
                     "{\"type\":\"Complete\",\"status\":\"True\"}]}}]");
    char *problem = NULL;
    bool hard = false;
    (void)state;
    sp_ready_jobs(jobs, &problem, &hard);
    assert_null(problem);
    json_decref(jobs);

    jobs = J("[{\"metadata\":{\"name\":\"setup\"},\"status\":{}}]");
    sp_ready_jobs(jobs, &problem, &hard);
    assert_string_equal(problem, "job setup has not completed yet");
    assert_false(hard);
    free(problem);
    problem = NULL;
    json_decref(jobs);

    jobs = J("[{\"metadata\":{\"name\":\"setup\"},\"status\":{\"conditions\":["
             "{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\","
             "\"message\":\"Job has reached the specified backoff limit\"}]}}]");
    sp_ready_jobs(jobs, &problem, &hard);
    assert_string_equal(problem, "setup job setup failed: BackoffLimitExceeded: Job has reached "
                                 "the specified backoff limit");
    assert_true(hard);
    free(problem);
    json_decref(jobs);
}

static void claims_must_be_bound_and_old_ones_explained(void **state)
{
    json_t *pvcs = J("[{\"metadata\":{\"name\":\"data\"},\"status\":{\"phase\":\"Bound\"}}]");
    char *problem = NULL;
    (void)state;
    warnings_asked = 0;
    sp_ready_pvcs(&ctx, pvcs, &problem);
    assert_null(problem);
    json_decref(pvcs);

    /* fresh: not asked about its events (still being set up) */
    pvcs = J("[{\"metadata\":{\"name\":\"data\",\"creationTimestamp\":\"2026-01-01T00:00:08Z\"},"
             "\"status\":{\"phase\":\"Pending\"}}]");
    sp_ready_pvcs(&ctx, pvcs, &problem);
    assert_string_equal(problem, "volume claim data is Pending");
    assert_int_equal(warnings_asked, 0);
    free(problem);
    problem = NULL;
    json_decref(pvcs);

    /* older than SP_READY_WARNING_AGE_MS: its latest Warning explains it */
    pvcs = J("[{\"metadata\":{\"name\":\"data\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
             "\"status\":{\"phase\":\"Pending\"}},"
             "{\"metadata\":{\"name\":\"more\"},\"status\":{}}]");
    sp_ready_pvcs(&ctx, pvcs, &problem);
    assert_string_equal(problem, "volume claim data is Pending: ProvisioningFailed: "
                                 "PersistentVolumeClaim data: storageclass \"x\" not found");
    assert_int_equal(warnings_asked, 1); /* only for the first problem */
    free(problem);
    json_decref(pvcs);
}

static void workloads_need_every_replica_up_to_date(void **state)
{
    json_t *ok = J("[{\"metadata\":{\"name\":\"shop\",\"generation\":2},\"spec\":{\"replicas\":1},"
                   "\"status\":{\"observedGeneration\":2,\"readyReplicas\":1,"
                   "\"updatedReplicas\":1}}]");
    json_t *unseen = J("[{\"metadata\":{\"name\":\"shop\",\"generation\":3},"
                       "\"status\":{\"observedGeneration\":2,\"readyReplicas\":1,"
                       "\"updatedReplicas\":1}}]");
    json_t *short_ =
        J("[{\"metadata\":{\"name\":\"db\",\"generation\":1},\"spec\":{\"replicas\":2},"
          "\"status\":{\"observedGeneration\":1,\"readyReplicas\":1,"
          "\"updatedReplicas\":2}}]");
    json_t *zero =
        J("[{\"metadata\":{\"name\":\"shop\",\"generation\":4},\"spec\":{\"replicas\":0},"
          "\"status\":{\"observedGeneration\":4}}]");
    json_t *none = J("[]");
    char *problem = NULL;
    bool any = false;
    (void)state;
    sp_ready_workloads("deployment", zero, &problem, &any);
    assert_string_equal(problem, "deployment shop is scaled to 0 replicas: nothing runs");
    free(problem);
    problem = NULL;
    any = false;
    sp_ready_workloads("deployment", none, &problem, &any);
    assert_false(any);
    sp_ready_workloads("deployment", ok, &problem, &any);
    assert_null(problem);
    assert_true(any);
    sp_ready_workloads("deployment", unseen, &problem, &any);
    assert_string_equal(problem, "deployment shop: update not yet observed");
    free(problem);
    problem = NULL;
    sp_ready_workloads("statefulset", short_, &problem, &any);
    assert_string_equal(problem, "statefulset db: 1 of 2 replicas ready");
    /* the first problem stays */
    sp_ready_workloads("deployment", unseen, &problem, &any);
    assert_string_equal(problem, "statefulset db: 1 of 2 replicas ready");
    free(problem);
    json_decref(ok);
    json_decref(unseen);
    json_decref(short_);
    json_decref(zero);
    json_decref(none);
}

static void a_job_pods_container_says_why_the_job_waits(void **state)
{
    json_t *pods = J("[{\"metadata\":{\"name\":\"setup-x\",\"ownerReferences\":[{\"kind\":"
                     "\"Job\"}]},\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{"
                     "\"name\":\"setup\",\"state\":{\"waiting\":{\"reason\":\"ErrImageNeverPull\","
                     "\"message\":\"image \\\"shop:x\\\" is not present\"}}}]}}]");
    char *problem = sp_strdup("job setup has not completed yet");
    bool hard = false, any = false;
    (void)state;
    sp_ready_pods(&ctx, pods, &problem, &hard, &any);
    assert_string_equal(problem, "pod setup-x, container setup: ErrImageNeverPull: image "
                                 "\"shop:x\" is not present");
    assert_false(any); /* still the Job check's pod */
    free(problem);

    problem = sp_strdup("volume claim data is Pending"); /* another check's problem stays */
    sp_ready_pods(&ctx, pods, &problem, &hard, &any);
    assert_string_equal(problem, "volume claim data is Pending");
    free(problem);
    json_decref(pods);
}

static void a_failed_job_decides_over_a_pending_claim(void **state)
{
    json_t *jobs =
        J("[{\"metadata\":{\"name\":\"setup\"},\"status\":{\"conditions\":["
          "{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"DeadlineExceeded\"}]}}]");
    char *problem = sp_strdup("volume claim data is Pending");
    bool hard = false;
    (void)state;
    sp_ready_jobs(jobs, &problem, &hard);
    assert_string_equal(problem, "setup job setup failed: DeadlineExceeded");
    assert_true(hard);
    free(problem);
    json_decref(jobs);
}

static void a_restarting_container_says_how_it_last_ended(void **state)
{
    json_t *oom =
        J("[{\"metadata\":{\"name\":\"db-0\"},\"spec\":{\"containers\":[{\"name\":"
          "\"mariadb\",\"resources\":{\"limits\":{\"memory\":\"20Mi\"}}}]},"
          "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"mariadb\","
          "\"restartCount\":3,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\","
          "\"message\":\"back-off 40s restarting failed container\"}},\"lastState\":{"
          "\"terminated\":{\"reason\":\"OOMKilled\",\"exitCode\":137}}}]}}]");
    json_t *crash =
        J("[{\"metadata\":{\"name\":\"shop-1\"},\"status\":{\"phase\":\"Running\","
          "\"containerStatuses\":[{\"name\":\"shop\",\"restartCount\":1,\"state\":{"
          "\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":{"
          "\"reason\":\"Error\",\"exitCode\":1}}}]}}]");
    char *problem = NULL;
    bool hard = false, any = false;
    (void)state;

    sp_ready_pods(&ctx, oom, &problem, &hard, &any);
    assert_string_equal(problem, "pod db-0, container mariadb: CrashLoopBackOff: back-off 40s "
                                 "restarting failed container; it last ended: OOMKilled, out of "
                                 "memory (limit 20Mi), exit code 137, 3 restarts");
    assert_false(hard); /* a bigger plan, or the next start, may do */
    free(problem);
    problem = NULL;

    sp_ready_pods(&ctx, crash, &problem, &hard, &any);
    assert_string_equal(problem, "pod shop-1, container shop: CrashLoopBackOff; it last ended: "
                                 "Error, exit code 1, 1 restart");
    free(problem);
    json_decref(oom);
    json_decref(crash);
}

static void pods_explain_themselves(void **state)
{
    json_t *ready = J("[{\"metadata\":{\"name\":\"shop-1\"},\"status\":{\"conditions\":["
                      "{\"type\":\"Ready\",\"status\":\"True\"}]}},"
                      "{\"metadata\":{\"name\":\"setup-x\",\"ownerReferences\":[{\"kind\":"
                      "\"Job\"}]},\"status\":{\"phase\":\"Succeeded\"}}]");
    json_t *bad_image = J("[{\"metadata\":{\"name\":\"shop-1\"},\"status\":{\"phase\":\"Pending\","
                          "\"containerStatuses\":[{\"name\":\"shop\",\"state\":{\"waiting\":{"
                          "\"reason\":\"InvalidImageName\",\"message\":\"bad ref\"}}}]}}]");
    json_t *creating = J("[{\"metadata\":{\"name\":\"shop-1\",\"creationTimestamp\":"
                         "\"2026-01-01T00:00:08Z\"},\"status\":{\"phase\":\"Pending\","
                         "\"containerStatuses\":[{\"name\":\"shop\",\"state\":{\"waiting\":{"
                         "\"reason\":\"ContainerCreating\"}}}]}}]");
    json_t *failed = J("[{\"metadata\":{\"name\":\"shop-1\"},\"status\":{\"phase\":\"Failed\","
                       "\"message\":\"evicted\"}}]");
    json_t *jobs_only = J("[{\"metadata\":{\"name\":\"setup-x\",\"ownerReferences\":[{\"kind\":"
                          "\"Job\"}]},\"status\":{\"phase\":\"Running\"}}]");
    char *problem = NULL;
    bool hard = false, any = false;
    (void)state;

    sp_ready_pods(&ctx, ready, &problem, &hard, &any);
    assert_null(problem);
    assert_true(any);

    any = false;
    sp_ready_pods(&ctx, jobs_only, &problem, &hard, &any);
    assert_null(problem);
    assert_false(any); /* a Job's pods are the Job check's */

    /* a pod's own reason replaces a replica count */
    problem = sp_strdup("deployment shop: 0 of 1 replicas ready");
    sp_ready_pods(&ctx, bad_image, &problem, &hard, &any);
    assert_string_equal(problem, "pod shop-1, container shop: InvalidImageName: bad ref");
    assert_true(hard);
    free(problem);

    /* but not another check's problem */
    problem = sp_strdup("volume claim data is Pending");
    hard = false;
    sp_ready_pods(&ctx, failed, &problem, &hard, &any);
    assert_string_equal(problem, "volume claim data is Pending");
    free(problem);
    problem = NULL;
    sp_ready_pods(&ctx, failed, &problem, &hard, &any);
    assert_string_equal(problem, "pod shop-1 failed: evicted");
    assert_false(hard);
    free(problem);
    problem = NULL;

    warnings_asked = 0;
    sp_ready_pods(&ctx, creating, &problem, &hard, &any);
    assert_string_equal(problem, "pod shop-1 is not ready");
    assert_int_equal(warnings_asked, 0); /* 2 s old: not asked */
    free(problem);

    json_decref(ready);
    json_decref(bad_image);
    json_decref(creating);
    json_decref(failed);
    json_decref(jobs_only);
}

/* Restarts of a running store: Job pods left out, the latest end named with its component. */
static void volumes_left_are_the_namespaces_deleted_ones(void **state)
{
    json_t *pvs =
        J("[{\"metadata\":{\"name\":\"pvc-other\"},\"spec\":{\"claimRef\":{\"namespace\":"
          "\"store-b\"},\"persistentVolumeReclaimPolicy\":\"Delete\"}},"
          "{\"metadata\":{\"name\":\"pvc-kept\"},\"spec\":{\"claimRef\":{\"namespace\":"
          "\"store-a\"},\"persistentVolumeReclaimPolicy\":\"Retain\"}},"
          "{\"metadata\":{\"name\":\"pvc-db\"},\"spec\":{\"claimRef\":{\"namespace\":"
          "\"store-a\"},\"persistentVolumeReclaimPolicy\":\"Delete\"},\"status\":{\"phase\":"
          "\"Released\"}},"
          "{\"metadata\":{\"name\":\"pvc-shop\"},\"spec\":{\"claimRef\":{\"namespace\":"
          "\"store-a\"},\"persistentVolumeReclaimPolicy\":\"Delete\"}},"
          "{\"metadata\":{\"name\":\"pvc-free\"},\"spec\":{}}]");
    json_t *none = J("[]");
    char *first = NULL;
    (void)state;
    assert_int_equal(sp_ready_volumes_left(pvs, "store-a", &first), 2);
    assert_string_equal(first, "pvc-db");
    free(first);
    assert_int_equal(sp_ready_volumes_left(pvs, "store-c", &first), 0);
    assert_null(first);
    assert_int_equal(sp_ready_volumes_left(none, "store-a", &first), 0);
    assert_null(first);
    json_decref(pvs);
    json_decref(none);
}

static void restarts_sum_and_the_latest_end(void **state)
{
    json_t *pods =
        J("[{\"metadata\":{\"name\":\"s-mariadb-0\",\"labels\":{\"app.kubernetes.io/component\":"
          "\"database\"}},\"spec\":{\"containers\":[{\"name\":\"mariadb\",\"resources\":{"
          "\"limits\":{\"memory\":\"512Mi\"}}}]},\"status\":{\"containerStatuses\":[{\"name\":"
          "\"mariadb\",\"restartCount\":3,\"lastState\":{\"terminated\":{\"reason\":"
          "\"OOMKilled\",\"exitCode\":137,\"finishedAt\":\"2026-01-01T00:00:09Z\"}}}]}},"
          "{\"metadata\":{\"name\":\"s-wordpress-1\",\"labels\":{\"app.kubernetes.io/component\":"
          "\"shop\"}},\"status\":{\"containerStatuses\":[{\"name\":\"wordpress\",\"restartCount\":"
          "1,\"lastState\":{\"terminated\":{\"reason\":\"Error\",\"exitCode\":1,\"finishedAt\":"
          "\"2026-01-01T00:00:02Z\"}}}]}},"
          "{\"metadata\":{\"name\":\"setup-x\",\"ownerReferences\":[{\"kind\":\"Job\"}]},"
          "\"status\":{\"containerStatuses\":[{\"name\":\"setup\",\"restartCount\":7}]}}]");
    json_t *calm = J("[{\"metadata\":{\"name\":\"p\"},\"status\":{\"containerStatuses\":[{"
                     "\"name\":\"c\",\"restartCount\":0}]}}]");
    int64_t n = -1;
    char *last = NULL;
    (void)state;
    sp_ready_restarts(pods, &n, &last);
    assert_int_equal(n, 4);
    assert_non_null(last);
    assert_string_equal(last, "the database (pod s-mariadb-0, container mariadb) last ended: "
                              "OOMKilled, out of memory (limit 512Mi), exit code 137");
    free(last);
    sp_ready_restarts(calm, &n, &last);
    assert_int_equal(n, 0);
    assert_null(last);
    json_decref(pods);
    json_decref(calm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jobs_complete_pending_and_failed),
        cmocka_unit_test(claims_must_be_bound_and_old_ones_explained),
        cmocka_unit_test(workloads_need_every_replica_up_to_date),
        cmocka_unit_test(pods_explain_themselves),
        cmocka_unit_test(a_restarting_container_says_how_it_last_ended),
        cmocka_unit_test(a_failed_job_decides_over_a_pending_claim),
        cmocka_unit_test(a_job_pods_container_says_why_the_job_waits),
        cmocka_unit_test(restarts_sum_and_the_latest_end),
        cmocka_unit_test(volumes_left_are_the_namespaces_deleted_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
