/* The reconciler's decisions (reconcile*.c): permanent helm errors, template variables,
 * provisioning slots, chart rollout decisions and the one rollout slot; and sp_reconcile()
 * against a fake API server when helm's release records cannot be read, and when a store
 * is suspended or resumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/reconcile_provision.c"
#include "fake_kube.h"

#include <sys/stat.h>
#include <unistd.h>

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
    json_t *v = sp_reconcile_vars(&cfg, "s1",
                                  &(struct sp_store_spec){.owner = "o",
                                                          .display_name = "Shop One",
                                                          .size = "small",
                                                          .memory_request = "1Gi",
                                                          .storage = "3Gi"});
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
    struct sp_reconciler *r;
    struct sp_engines e = {0};
    struct sp_helm h = {0};
    struct sp_reconcile_config cfg = {.max_provisioning = 2};
    json_t *stores =
        json_loads("[{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Provisioning\"}},"
                   "{\"metadata\":{\"name\":\"q\"},\"status\":{\"phase\":\"Ready\"}}]",
                   0, NULL);
    (void)state;
    r = sp_reconciler_new(NULL, &e, &h, &cfg);
    sp_reconciler_seed_slots(r, stores);
    assert_int_equal(sp_reconciler_slots_used(r), 1);
    assert_true(sp_slot_take(r, "a", 1, false));
    assert_true(sp_slot_take(r, "a", 1, false)); /* already holds one */
    assert_false(sp_slot_take(r, "b", 2, false));
    assert_true(sp_slot_take(r, "b", 2, true)); /* forced: a store already provisioning */
    assert_int_equal(sp_reconciler_slots_used(r), 3);
    sp_slot_give_back(r, "p");
    sp_slot_give_back(r, "b");
    sp_slot_give_back(r, "nobody");
    assert_true(sp_slot_take(r, "c", 3, false));
    assert_false(sp_slot_take(r, "d", 4, false));
    sp_reconciler_free(r);
    json_decref(stores);
}

static char kicked[8][16];
static int n_kicked;

static void record_kick(void *ud, const char *store)
{
    (void)ud;
    if (n_kicked < 8)
        snprintf(kicked[n_kicked++], sizeof(kicked[0]), "%s", store);
}

static void freed_slots_go_to_the_first_created(void **state)
{
    struct sp_reconciler *r;
    struct sp_engines e = {0};
    struct sp_helm h = {0};
    struct sp_reconcile_config cfg = {.max_provisioning = 1, .poll_ms = 2000};
    (void)state;
    r = sp_reconciler_new(NULL, &e, &h, &cfg);
    sp_reconciler_start(r, record_kick, NULL); /* watch_namespaces off: no threads */
    n_kicked = 0;
    assert_true(sp_slot_take(r, "a", 1, false));
    assert_false(sp_slot_take(r, "c", 3, false));
    assert_false(sp_slot_take(r, "b", 2, false)); /* created before c: ahead of it */
    assert_false(sp_slot_take(r, "b", 2, false)); /* asking again keeps its place */
    assert_int_equal(r->n_waiters, 2);
    assert_string_equal(r->waiters[0].name, "b");
    sp_slot_give_back(r, "a");
    assert_int_equal(n_kicked, 1); /* the first in line is told at once */
    assert_string_equal(kicked[0], "b");
    assert_false(sp_slot_take(r, "c", 3, false)); /* c came later: b's turn */
    assert_false(sp_slot_take(r, "d", 4, false)); /* a newcomer queues behind */
    assert_true(sp_slot_take(r, "b", 2, false));
    assert_int_equal(r->n_waiters, 2);
    sp_slot_give_back(r, "b");
    assert_int_equal(n_kicked, 2);
    assert_string_equal(kicked[1], "c");
    /* c stops asking (deleted, or failed): after three poll intervals d goes first */
    r->waiters[0].seen_ms -= 3 * cfg.poll_ms + 1001;
    assert_true(sp_slot_take(r, "d", 4, false));
    assert_int_equal(r->n_waiters, 0);
    /* a forced take (a store already provisioning at a restart) leaves the line */
    assert_false(sp_slot_take(r, "x", 9, false));
    assert_true(sp_slot_take(r, "x", 9, true));
    assert_int_equal(r->n_waiters, 0);
    sp_reconciler_free(r);
}

/*
 * Hundreds of stores waiting, each asking less often than the line forgets
 * (its entry expired when it asks again): it goes back to its place by
 * creation, so the first-created store asking gets the slot. A line by the
 * time of asking put each asker behind everyone who asked just before it,
 * and no store got a slot (seen with 200 stores and --max-provisioning=8).
 */
static void a_store_asking_again_late_keeps_its_place(void **state)
{
    struct sp_reconciler *r;
    struct sp_engines e = {0};
    struct sp_helm h = {0};
    struct sp_reconcile_config cfg = {.max_provisioning = 1, .poll_ms = 500};
    char name[16];
    (void)state;
    r = sp_reconciler_new(NULL, &e, &h, &cfg);
    sp_reconciler_start(r, record_kick, NULL);
    n_kicked = 0;
    assert_true(sp_slot_take(r, "busy", 0, false));
    for (int i = 1; i <= 20; i++) {
        snprintf(name, sizeof(name), "s%02d", i);
        assert_false(sp_slot_take(r, name, i, false));
    }
    sp_slot_give_back(r, "busy");
    /* s01 and s02 come back only after the line forgot them; the others asked since */
    r->waiters[0].seen_ms -= 3 * cfg.poll_ms + 1001;
    r->waiters[1].seen_ms -= 3 * cfg.poll_ms + 1001;
    assert_false(sp_slot_take(r, "s05", 5, false)); /* s03 and s04 are ahead of it */
    assert_int_equal(r->n_waiters, 18);
    /* s02, forgotten, goes back to its place: first, since s01 has not asked again */
    assert_true(sp_slot_take(r, "s02", 2, false));
    assert_int_equal(r->n_waiters, 18);
    assert_string_equal(r->waiters[0].name, "s03");
    /* s01 asks at last: no slot is free, but it is first in line for the next */
    assert_false(sp_slot_take(r, "s01", 1, false));
    assert_string_equal(r->waiters[0].name, "s01");
    sp_slot_give_back(r, "s02");
    assert_string_equal(kicked[n_kicked - 1], "s01");
    assert_true(sp_slot_take(r, "s01", 1, false));
    sp_reconciler_free(r);
}

static void rollout_upgrades_outdated_stores_once(void **state)
{
    (void)state;
    assert_int_equal(sp_rollout_decide("0.2.0", "0.2.0", NULL), SP_ROLLOUT_NONE);
    assert_int_equal(sp_rollout_decide("0.2.0", "0.1.0", NULL), SP_ROLLOUT_UPGRADE);
    /* a release installed before versions were recorded is upgraded once */
    assert_int_equal(sp_rollout_decide("0.2.0", NULL, NULL), SP_ROLLOUT_UPGRADE);
    /* a version that failed and was rolled back is not tried again on that store ... */
    assert_int_equal(sp_rollout_decide("0.2.0", "0.1.0", "0.2.0"), SP_ROLLOUT_HELD);
    /* ... but the next one is */
    assert_int_equal(sp_rollout_decide("0.3.0", "0.1.0", "0.2.0"), SP_ROLLOUT_UPGRADE);
    assert_int_equal(sp_rollout_decide("0.2.0", "0.2.0", "0.2.0"), SP_ROLLOUT_NONE);
    /* an engine whose chart has no readable version rolls nothing out */
    assert_int_equal(sp_rollout_decide(NULL, "0.1.0", NULL), SP_ROLLOUT_NONE);
    assert_int_equal(sp_rollout_decide("", "0.1.0", NULL), SP_ROLLOUT_NONE);
}

static void one_rollout_slot_for_the_controller(void **state)
{
    struct sp_reconciler *r;
    struct sp_engines e = {0};
    struct sp_helm h = {0};
    struct sp_reconcile_config cfg = {.max_provisioning = 0};
    json_t *stores = json_loads("[{\"metadata\":{\"name\":\"u\"},"
                                "\"status\":{\"phase\":\"Ready\",\"upgradingTo\":\"0.2.0\"}}]",
                                0, NULL);
    (void)state;
    r = sp_reconciler_new(NULL, &e, &h, &cfg);
    sp_reconciler_seed_slots(r, stores); /* a restarted leader resumes u's upgrade first */
    assert_false(sp_rollout_take(r, "a"));
    assert_true(sp_rollout_take(r, "u"));
    sp_slot_give_back(r, "a"); /* not the holder: nothing changes */
    assert_false(sp_rollout_take(r, "b"));
    sp_slot_give_back(r, "u"); /* failed, deleted or done: the slot is free */
    assert_true(sp_rollout_take(r, "a"));
    assert_false(sp_rollout_take(r, "b"));
    sp_rollout_give_back(r, "a");
    assert_true(sp_rollout_take(r, "b"));
    assert_int_equal(sp_reconciler_slots_used(r), 0); /* provisioning slots are separate */
    sp_reconciler_free(r);
    json_decref(stores);
}

/* ---- sp_reconcile() when reading helm's release records fails ---------------------------- */

/* A store deployed for its generation (2) with the engine's chart (0.1.0). */
static const char store_provisioning[] =
    "{\"metadata\":{\"name\":\"s1\",\"uid\":\"u1\",\"generation\":2,\"resourceVersion\":\"7\","
    "\"finalizers\":[\"storeplatform.dev/cleanup\"]},"
    "\"spec\":{\"engine\":\"e\",\"owner\":\"o\",\"plan\":{\"size\":\"small\"}},"
    "\"status\":{\"phase\":\"Provisioning\",\"observedGeneration\":1}}";
static const char store_ready[] =
    "{\"metadata\":{\"name\":\"s1\",\"uid\":\"u1\",\"generation\":2,\"resourceVersion\":\"7\","
    "\"finalizers\":[\"storeplatform.dev/cleanup\"]},"
    "\"spec\":{\"engine\":\"e\",\"owner\":\"o\",\"plan\":{\"size\":\"small\"}},"
    "\"status\":{\"phase\":\"Ready\",\"observedGeneration\":2,\"chartVersion\":\"0.1.0\","
    "\"helmRevision\":1}}";
static const char namespace_ours[] =
    "{\"metadata\":{\"name\":\"store-s1\",\"labels\":{\"storeplatform.dev/store\":\"s1\","
    "\"app.kubernetes.io/managed-by\":\"store-platform\"}},\"status\":{\"phase\":\"Active\"}}";
static const char helm_records[] =
    "{\"items\":[{\"metadata\":{\"name\":\"sh.helm.release.v1.store-s1.v1\",\"labels\":{"
    "\"owner\":\"helm\",\"name\":\"store-s1\",\"status\":\"deployed\",\"version\":\"1\","
    "\"storeplatform.dev/generation\":\"2\",\"storeplatform.dev/chart-version\":\"0.1.0\"}}}]}";

struct world {
    const char *store; /* the Store's JSON */
    int fail_list;     /* the n-th LIST of helm's records answers 500 (0: none) */
    int lists;         /* LISTs of helm's records so far */
    const char *pods;  /* the namespace's pod list (NULL: none) */
    int pod_lists;     /* LISTs of its pods so far */
    bool want_status;  /* reconcile_once keeps the last status written in status */
    char *status;      /* ... which the caller frees (NULL: none written) */
};

static int answer_world(struct fake_kube *f, const struct fake_request *req, const char **body)
{
    struct world *w = f->ud;
    if (strcmp(req->method, "GET") == 0) {
        if (strcmp(req->url, SP_STORES_PATH "/s1") == 0) {
            *body = w->store;
            return 200;
        }
        if (strcmp(req->url, "/api/v1/namespaces/store-s1") == 0) {
            *body = namespace_ours;
            return 200;
        }
        if (strcmp(req->url, "/api/v1/namespaces/store-s1/pods") == 0) {
            w->pod_lists++;
            *body = w->pods ? w->pods : "{\"items\":[]}";
            return 200;
        }
        if (strncmp(req->url, "/api/v1/namespaces/store-s1/secrets?labelSelector=owner=helm", 60) ==
            0) {
            if (++w->lists == w->fail_list) {
                *body = "{\"kind\":\"Status\",\"message\":\"etcdserver: request timed out\"}";
                return 500;
            }
            *body = helm_records;
            return 200;
        }
    }
    return strcmp(req->method, "POST") == 0 ? 201 : 200; /* Secret, status, Events */
}

/* A helm that records every run in dir/runs and answers like a successful upgrade. */
static void fake_helm(char *dir, size_t n, char **bin)
{
    char *runs;
    FILE *f;
    snprintf(dir, n, "/tmp/sp-test-helm-XXXXXX");
    assert_non_null(mkdtemp(dir));
    *bin = sp_asprintf("%s/helm", dir);
    runs = sp_asprintf("%s/runs", dir);
    f = fopen(*bin, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho \"$*\" >>'%s'\necho '{\"version\":2}'\n", runs);
    fclose(f);
    chmod(*bin, 0700);
    free(runs);
}

static int helm_runs(const char *dir)
{
    char *runs = sp_asprintf("%s/runs", dir), line[2048];
    FILE *f = fopen(runs, "r");
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n++;
    if (f)
        fclose(f);
    unlink(runs);
    free(runs);
    return n;
}

static void reconcile_once(struct world *w, int *runs, enum sp_err *err, bool *upgrading)
{
    static const char engines_doc[] =
        "{\"engines\":{\"e\":{\"chart\":\"/nonexistent/chart\",\"values\":{\"n\":\"${name}\"},"
        "\"secret\":{},\"readiness\":{\"pods\":false,\"jobs\":false,\"pvcs\":false}}}}";
    struct fake_kube f = {.answer = answer_world, .ud = w};
    struct sp_engines engines;
    struct sp_reconciler *r;
    struct sp_helm h = {.home = "/tmp", .tmpdir = "/tmp", .timeout_ms = 5000};
    struct sp_reconcile_config cfg = {.base_domain = "b.test",
                                      .ingress_class = "nginx",
                                      .cluster_issuer = "",
                                      .storage_class = "",
                                      .provision_timeout_ms = 600000};
    json_t *doc = json_loads(engines_doc, 0, NULL);
    const struct fake_request *patch;
    char dir[64], *bin;
    int64_t requeue = 0;

    assert_int_equal(fake_kube_start(&f), 0);
    assert_int_equal(sp_engines_from_json(doc, NULL, &engines), SP_OK);
    engines.v[0].chart_version = sp_strdup("0.1.0");
    fake_helm(dir, sizeof(dir), &bin);
    h.bin = bin;
    r = sp_reconciler_new(f.kube, &engines, &h, &cfg);
    *err = sp_reconcile(r, "s1", &requeue);
    *runs = helm_runs(dir);
    *upgrading = false;
    for (size_t from = 0;
         (patch = fake_kube_find(&f, "PATCH", SP_STORES_PATH "/s1/status", from)) != NULL;
         from = (size_t)(patch - f.reqs) + 1) {
        if (patch->body.data && strstr(patch->body.data, "upgradingTo"))
            *upgrading = true;
        if (w->want_status) {
            free(w->status);
            w->status = patch->body.data ? sp_strdup(patch->body.data) : NULL;
        }
    }
    sp_reconciler_free(r);
    sp_engines_release(&engines);
    json_decref(doc);
    fake_kube_stop(&f);
    unlink(bin);
    rmdir(dir);
    free(bin);
}

/*
 * One failed LIST of helm's release records (whichever look it is) must
 * not read as "no label": nothing is installed, upgraded or marked as
 * upgrading, and the error is returned for a retry with back-off.
 */
static void failed_release_list_installs_nothing(void **state)
{
    struct world w = {0};
    enum sp_err err;
    bool upgrading;
    int runs;
    (void)state;

    /* the control: with the records readable, the fixture is up to date (no helm run) and
     * a changed generation does install, so the counting below can see a run */
    w.store = store_provisioning;
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 0);
    assert_true(w.lists > 0);
    w = (struct world){.store = store_ready};
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 0);
    assert_false(upgrading);
    {
        char *changed = sp_strdup(store_provisioning), *g = strstr(changed, "\"generation\":2");
        g[strlen("\"generation\":")] = '3';
        w = (struct world){.store = changed};
        reconcile_once(&w, &runs, &err, &upgrading);
        assert_int_equal(err, SP_OK);
        assert_int_equal(runs, 1);
        free(changed);
    }

    for (int k = 1; k <= 5; k++) {
        w = (struct world){.store = store_provisioning, .fail_list = k};
        reconcile_once(&w, &runs, &err, &upgrading);
        assert_int_equal(runs, 0);
        if (k <= w.lists)
            assert_int_not_equal(err, SP_OK);
        w = (struct world){.store = store_ready, .fail_list = k};
        reconcile_once(&w, &runs, &err, &upgrading);
        assert_int_equal(runs, 0);
        assert_false(upgrading);
        if (k <= w.lists)
            assert_int_not_equal(err, SP_OK);
    }
}

/* ---- suspend and resume through sp_reconcile() ------------------------------------------ */

/* store_ready with spec.suspended and another generation: what the API writes. */
static char *store_with(const char *base, const char *phase, bool suspended, int generation)
{
    char *s = sp_strdup(base), *g = strstr(s, "\"generation\":2"), *p, *out;
    g[strlen("\"generation\":")] = (char)('0' + generation);
    p = strstr(s, "\"plan\":");
    out = sp_asprintf("%.*s\"suspended\":%s,%s", (int)(p - s), s, suspended ? "true" : "false", p);
    free(s);
    s = out;
    if (phase) {
        p = strstr(s, "\"phase\":\"") + strlen("\"phase\":\"");
        out = sp_asprintf("%.*s%s%s", (int)(p - s), s, phase, strchr(p, '"'));
        free(s);
        s = out;
    }
    return s;
}

static bool wrote(const struct world *w, const char *text)
{
    return w->status && strstr(w->status, text);
}

static void suspending_upgrades_once_then_waits_for_no_pod(void **state)
{
    char *st = store_with(store_ready, NULL, true, 3);
    struct world w = {.store = st, .want_status = true};
    enum sp_err err;
    bool upgrading;
    int runs;
    (void)state;

    /* Ready, spec.suspended at generation 3, release deployed for 2: one helm run, and as
     * no pod runs, Suspended and settled */
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 1);
    assert_true(w.pod_lists >= 1);
    assert_true(wrote(&w, "\"phase\":\"Suspended\""));
    assert_true(wrote(&w, "\"message\":\"suspended: "));
    assert_true(wrote(&w, "\"suspendedAt\""));
    assert_true(wrote(&w, "\"observedGeneration\":3"));
    free(w.status);

    /* a pod still stopping: Suspended, but not settled ("suspending: 1 pod still stopping") */
    w = (struct world){.store = st,
                       .want_status = true,
                       .pods = "{\"items\":[{\"metadata\":{\"name\":\"db-0\"},"
                               "\"status\":{\"phase\":\"Running\"}}]}"};
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_true(wrote(&w, "\"phase\":\"Suspended\""));
    assert_true(wrote(&w, "1 pod still stopping (db-0)"));
    free(w.status);
    free(st);

    /* a restart after helm ran (release deployed for this generation): no helm run again */
    st = store_with(store_ready, NULL, true, 2);
    w = (struct world){.store = st, .want_status = true};
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 0);
    assert_true(wrote(&w, "\"phase\":\"Suspended\""));
    free(w.status);
    free(st);

    /* helm's records cannot be read: nothing is installed, the error asks for a retry */
    st = store_with(store_ready, NULL, true, 3);
    w = (struct world){.store = st, .fail_list = 1, .want_status = true};
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_not_equal(err, SP_OK);
    assert_int_equal(runs, 0);
    assert_false(wrote(&w, "\"phase\":\"Failed\""));
    free(w.status);
    free(st);
}

static void a_settled_suspension_costs_nothing(void **state)
{
    static const char settled[] =
        "{\"metadata\":{\"name\":\"s1\",\"uid\":\"u1\",\"generation\":2,\"resourceVersion\":\"7\","
        "\"finalizers\":[\"storeplatform.dev/cleanup\"]},"
        "\"spec\":{\"engine\":\"e\",\"owner\":\"o\",\"suspended\":true},"
        "\"status\":{\"phase\":\"Suspended\",\"observedGeneration\":2,"
        "\"conditions\":[{\"type\":\"WorkloadsReady\",\"status\":\"False\",\"reason\":"
        "\"Suspended\"}]}}";
    struct world w = {.store = settled, .want_status = true};
    enum sp_err err;
    bool upgrading;
    int runs;
    (void)state;
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 0);
    assert_int_equal(w.lists, 0);     /* not even helm's records */
    assert_int_equal(w.pod_lists, 0); /* nor its pods */
    free(w.status);
}

static void resuming_provisions_again_until_ready(void **state)
{
    char *st = store_with(store_ready, "Suspended", false, 3);
    struct world w = {.store = st, .want_status = true};
    enum sp_err err;
    bool upgrading;
    int runs;
    (void)state;
    /* the fixture's engine checks nothing, so the upgrade makes it Ready in this call */
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 1);
    assert_true(wrote(&w, "\"phase\":\"Ready\""));
    assert_true(wrote(&w, "\"resumedAt\""));
    assert_true(wrote(&w, "resuming: starting the shop and its database"));
    assert_true(wrote(&w, "\"observedGeneration\":3"));
    free(w.status);
    free(st);
}

/* A resume past --provision-timeout is never Failed (Failed's clean-up deletes the data). */
static void a_late_resume_is_not_failed(void **state)
{
    static const char late[] =
        "{\"metadata\":{\"name\":\"s1\",\"uid\":\"u1\",\"generation\":3,\"resourceVersion\":\"7\","
        "\"finalizers\":[\"storeplatform.dev/cleanup\"]},"
        "\"spec\":{\"engine\":\"e\",\"owner\":\"o\"},"
        "\"status\":{\"phase\":\"Provisioning\",\"observedGeneration\":2,"
        "\"suspendedAt\":\"2020-01-01T00:00:00Z\",\"resumedAt\":\"2020-01-02T00:00:00Z\","
        "\"provisioningStartedAt\":\"2020-01-02T00:00:00Z\"}}";
    char *first = sp_strdup(late), *p = strstr(first, "\"provisioningStartedAt\":\"2020-01-02");
    struct world w = {.store = late, .want_status = true};
    enum sp_err err;
    bool upgrading;
    int runs;
    (void)state;
    /* it goes on with its steps, and as the fixture's engine checks nothing, is Ready */
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_int_equal(runs, 1);
    assert_false(wrote(&w, "\"phase\":\"Failed\""));
    assert_true(wrote(&w, "\"phase\":\"Ready\""));
    free(w.status);
    /* the control: a first provisioning (not a resume) that late is Failed */
    p[strlen("\"provisioningStartedAt\":\"2020-01-0")] = '3';
    w = (struct world){.store = first, .want_status = true};
    reconcile_once(&w, &runs, &err, &upgrading);
    assert_int_equal(err, SP_OK);
    assert_true(wrote(&w, "\"phase\":\"Failed\""));
    assert_true(wrote(&w, "did not become ready within"));
    free(w.status);
    free(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tells_permanent_helm_errors),
        cmocka_unit_test(variables_cover_the_environment_and_plan),
        cmocka_unit_test(slots_cap_concurrent_provisioning),
        cmocka_unit_test(freed_slots_go_to_the_first_created),
        cmocka_unit_test(a_store_asking_again_late_keeps_its_place),
        cmocka_unit_test(rollout_upgrades_outdated_stores_once),
        cmocka_unit_test(one_rollout_slot_for_the_controller),
        cmocka_unit_test(failed_release_list_installs_nothing),
        cmocka_unit_test(suspending_upgrades_once_then_waits_for_no_pod),
        cmocka_unit_test(a_settled_suspension_costs_nothing),
        cmocka_unit_test(resuming_provisions_again_until_ready),
        cmocka_unit_test(a_late_resume_is_not_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
