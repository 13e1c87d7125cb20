/* The helm driver: its choice of error line, its values file, and one LIST per look at a
 * release's records (against a fake API server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/helm.c"
#include "fake_kube.h"

#include <openssl/evp.h>
#include <zlib.h>

static void helm_error_picks_the_error_line(void **state)
{
    struct sp_proc_result r;
    char *msg;
    (void)state;
    memset(&r, 0, sizeof(r));
    sp_buf_adds(&r.err, "walk.go:75: found symbolic link\nError: UPGRADE FAILED: template: "
                        "store/templates/x.yaml:3: bad\nhelm.go:92: details\n");
    msg = helm_error(&r);
    assert_string_equal(msg, "UPGRADE FAILED: template: store/templates/x.yaml:3: bad");
    free(msg);
    sp_proc_result_release(&r);
    msg = helm_error(&r);
    assert_string_equal(msg, "helm failed without a message");
    free(msg);
}

static void helm_upgrade_reports_helm_stderr(void **state)
{
    struct sp_helm h = {.bin = "sh", .home = "/tmp", .tmpdir = "/tmp", .timeout_ms = 5000};
    json_t *values = json_object();
    int64_t rev = 0;
    (void)state;
    /* "sh upgrade ..." fails: sh cannot open the file "upgrade" */
    assert_int_equal(sp_helm_upgrade(&h, "r", "ns",
                                     &(struct sp_helm_install){.chart = "chart", .values = values},
                                     &rev),
                     SP_E_HELM);
    json_decref(values);
    assert_non_null(strstr(sp_errmsg(), "upgrade"));
    assert_int_equal(rev, 0);
}

/* helm's records of store-s1: revision 1 deployed (labelled), 2 superseded... */
static const char records[] =
    "{\"items\":["
    "{\"metadata\":{\"name\":\"r.v1\",\"labels\":{\"status\":\"superseded\",\"version\":\"1\","
    "\"storeplatform.dev/generation\":\"1\",\"storeplatform.dev/chart-version\":\"0.1.0\"}}},"
    "{\"metadata\":{\"name\":\"r.v2\",\"labels\":{\"status\":\"deployed\",\"version\":\"2\","
    "\"storeplatform.dev/generation\":\"3\",\"storeplatform.dev/chart-version\":\"0.2.0\"}}},"
    "{\"metadata\":{\"name\":\"r.v3\",\"labels\":{\"status\":\"pending-upgrade\",\"version\":\"3\"}"
    "}}"
    "]}";

static int list_fails;

static int answer_records(struct fake_kube *f, const struct fake_request *req, const char **body)
{
    (void)f;
    if (strcmp(req->method, "GET") == 0) {
        if (list_fails)
            return 500;
        *body = records;
        return 200;
    }
    return 200; /* DELETE of a pending record */
}

static void one_look_reads_revisions_and_labels(void **state)
{
    struct fake_kube f = {.answer = answer_records};
    struct sp_helm_state st;
    (void)state;
    assert_int_equal(fake_kube_start(&f), 0);

    list_fails = 0;
    assert_int_equal(sp_helm_look(f.kube, "store-s1", "store-s1", false, &st), SP_OK);
    assert_int_equal(st.deployed, 2);
    assert_int_equal(st.latest, 3);
    assert_string_equal(st.status, "pending-upgrade");
    assert_int_equal(st.generation, 3); /* the deployed record's labels */
    assert_string_equal(st.chart, "0.2.0");
    assert_int_equal(st.recovered, 0);
    assert_int_equal(f.n_reqs, 1); /* one LIST */
    assert_non_null(fake_kube_find(
        &f, "GET", "/api/v1/namespaces/store-s1/secrets?labelSelector=owner=helm,name=store-s1",
        0));

    /* recover: the pending record goes, and the state is that of the rest */
    assert_int_equal(sp_helm_look(f.kube, "store-s1", "store-s1", true, &st), SP_OK);
    assert_int_equal(st.recovered, 1);
    assert_int_equal(st.latest, 2);
    assert_string_equal(st.status, "deployed");
    assert_non_null(fake_kube_find(&f, "DELETE", "/api/v1/namespaces/store-s1/secrets/r.v3", 0));

    /* a failed LIST is an error, never "no release" */
    list_fails = 1;
    assert_int_not_equal(sp_helm_look(f.kube, "store-s1", "store-s1", false, &st), SP_OK);
    fake_kube_stop(&f);
}

/* base64 of bytes (OpenSSL's encoder; the caller frees). */
static char *b64(const unsigned char *in, size_t n)
{
    char *out = calloc(1, 4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

/* A release record as helm 4 writes it: data.release is base64 (the API's) of base64 of gzip. */
static char *record(const char *name, const char *status, int version, const char *manifest)
{
    json_t *rel =
        json_pack("{s:s, s:i, s:s}", "name", "store-s1", "version", version, "manifest", manifest);
    char *text = json_dumps(rel, JSON_COMPACT), *once, *twice, *out;
    unsigned char gz[4096];
    z_stream z;

    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    once = b64(gz, sizeof(gz) - z.avail_out);
    twice = b64((const unsigned char *)once, strlen(once));
    out = sp_asprintf("{\"metadata\":{\"name\":\"%s\",\"labels\":{\"status\":\"%s\","
                      "\"version\":\"%d\"}},\"data\":{\"release\":\"%s\"}}",
                      name, status, version, twice);
    deflateEnd(&z);
    free(text);
    free(once);
    free(twice);
    json_decref(rel);
    return out;
}

static char *manifest_list;

static int answer_manifest(struct fake_kube *f, const struct fake_request *req, const char **body)
{
    (void)f;
    (void)req;
    *body = manifest_list;
    return 200;
}

/* The deployed revision's objects, decoded from its record in one LIST, without helm. */
static void the_manifest_of_the_deployed_revision(void **state)
{
    struct fake_kube f = {.answer = answer_manifest};
    char *v1 = record("r.v1", "superseded", 1, "---\nkind: ConfigMap\nmetadata:\n  name: old\n");
    char *v2 = record("r.v2", "deployed", 2,
                      "---\n# Source: store/templates/a.yaml\napiVersion: v1\nkind: Service\n"
                      "metadata:\n  name: s1\nspec:\n  ports:\n  - port: 80\n---\n"
                      "# Source: store/templates/empty.yaml\n---\napiVersion: apps/v1\n"
                      "kind: Deployment\nmetadata:\n  name: s1-shop\nspec:\n  replicas: 1\n");
    char *v3 = record("r.v3", "failed", 3, "kind: Secret\n");
    json_t *objs = NULL;
    int64_t rev = 0;
    (void)state;
    assert_int_equal(fake_kube_start(&f), 0);
    manifest_list = sp_asprintf("{\"items\":[%s,%s,%s]}", v1, v2, v3);
    assert_int_equal(sp_helm_manifest(f.kube, "store-s1", "store-s1", &objs, &rev), SP_OK);
    assert_int_equal(rev, 2);
    assert_int_equal(json_array_size(objs), 2); /* the empty document is left out */
    assert_string_equal(json_string_value(json_object_get(json_array_get(objs, 0), "kind")),
                        "Service");
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(
                json_object_get(json_object_get(json_array_get(objs, 0), "spec"), "ports"), 0),
            "port")),
        80); /* typed: a number, as the API server has it */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(objs, 1), "metadata"), "name")),
                        "s1-shop");
    assert_int_equal(f.n_reqs, 1);
    json_decref(objs);
    free(manifest_list);

    /* no deployed revision: SP_E_NOTFOUND, nothing to compare with */
    manifest_list = sp_asprintf("{\"items\":[%s]}", v3);
    assert_int_equal(sp_helm_manifest(f.kube, "store-s1", "store-s1", &objs, &rev), SP_E_NOTFOUND);
    assert_null(objs);
    free(manifest_list);

    /* a record that is not what helm writes is an error */
    manifest_list = sp_strdup("{\"items\":[{\"metadata\":{\"name\":\"r.v4\",\"labels\":{"
                              "\"status\":\"deployed\",\"version\":\"4\"}},\"data\":{"
                              "\"release\":\"bm90IGd6aXA=\"}}]}");
    assert_int_not_equal(sp_helm_manifest(f.kube, "store-s1", "store-s1", &objs, &rev), SP_OK);
    free(manifest_list);
    fake_kube_stop(&f);
    free(v1);
    free(v2);
    free(v3);
}

/* The values file is private while helm runs and gone afterwards, whatever helm answered. */
static void upgrade_writes_a_private_values_file_and_removes_it(void **state)
{
    char dir[] = "/tmp/sp-test-values-XXXXXX", *bin, *seen;
    struct sp_helm h = {.home = "/tmp", .timeout_ms = 5000};
    json_t *values = json_pack("{s:s}", "storeName", "s1");
    int64_t rev = 0;
    FILE *fp;
    char line[512] = "";
    (void)state;
    assert_non_null(mkdtemp(dir));
    h.tmpdir = dir;
    bin = sp_asprintf("%s/helm", dir);
    seen = sp_asprintf("%s/seen", dir);
    fp = fopen(bin, "w");
    assert_non_null(fp);
    /* records the values file's mode and content, then answers like helm */
    fprintf(fp,
            "#!/bin/sh\nfor a; do case $prev in --values) stat -c %%a \"$a\" >'%s'; "
            "cat \"$a\" >>'%s';; esac; prev=$a; done\n"
            "echo '{\"version\":4}'\n",
            seen, seen);
    fclose(fp);
    chmod(bin, 0700);
    h.bin = bin;
    assert_int_equal(sp_helm_upgrade(&h, "store-s1", "store-s1",
                                     &(struct sp_helm_install){.chart = "/c",
                                                               .values = values,
                                                               .generation = 2,
                                                               .chart_version = "0.2.0"},
                                     &rev),
                     SP_OK);
    assert_int_equal(rev, 4);
    fp = fopen(seen, "r");
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof(line), fp));
    assert_string_equal(line, "600\n");
    fclose(fp);
    unlink(seen);
    unlink(bin);
    assert_int_equal(rmdir(dir), 0); /* nothing left behind: the values directory is gone */
    json_decref(values);
    free(bin);
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(helm_error_picks_the_error_line),
        cmocka_unit_test(helm_upgrade_reports_helm_stderr),
        cmocka_unit_test(one_look_reads_revisions_and_labels),
        cmocka_unit_test(the_manifest_of_the_deployed_revision),
        cmocka_unit_test(upgrade_writes_a_private_values_file_and_removes_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
