/* Kubeconfig parsing: inline -data and file forms, tokens, contexts, errors, in-cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeconfig.h"

/* "hello-ca" / "hello-cert" / "hello-key" in base64 */
static const char *data_form = "apiVersion: v1\n"
                               "kind: Config\n"
                               "current-context: kwok\n"
                               "clusters:\n"
                               "- name: c1\n"
                               "  cluster:\n"
                               "    server: https://127.0.0.1:6443/\n"
                               "    certificate-authority-data: aGVsbG8tY2E=\n"
                               "contexts:\n"
                               "- name: kwok\n"
                               "  context: {cluster: c1, user: u1, namespace: shop}\n"
                               "- name: other\n"
                               "  context: {cluster: c1, user: u2}\n"
                               "users:\n"
                               "- name: u1\n"
                               "  user:\n"
                               "    client-certificate-data: aGVsbG8tY2VydA==\n"
                               "    client-key-data: aGVsbG8ta2V5\n"
                               "- name: u2\n"
                               "  user:\n"
                               "    token: s3cr3t\n";

static void parses_data_form(void **state)
{
    struct sp_kubeconfig c;
    (void)state;
    assert_int_equal(sp_kubeconfig_parse(data_form, strlen(data_form), "/cfg", NULL, &c), SP_OK);
    assert_string_equal(c.server, "https://127.0.0.1:6443");
    assert_string_equal(c.namespace, "shop");
    assert_int_equal(c.ca.len, 8);
    assert_memory_equal(c.ca.data, "hello-ca", 8);
    assert_int_equal(c.cert.len, 10);
    assert_memory_equal(c.cert.data, "hello-cert", 10);
    assert_int_equal(c.key.len, 9);
    assert_null(c.token);
    assert_null(c.ca_file);
    assert_false(c.insecure);
    sp_kubeconfig_release(&c);
}

static void picks_named_context_with_token(void **state)
{
    struct sp_kubeconfig c;
    (void)state;
    assert_int_equal(sp_kubeconfig_parse(data_form, strlen(data_form), NULL, "other", &c), SP_OK);
    assert_string_equal(c.token, "s3cr3t");
    assert_string_equal(c.namespace, "default");
    assert_int_equal(c.cert.len, 0);
    sp_kubeconfig_release(&c);
}

static void resolves_file_paths_against_base_dir(void **state)
{
    const char *y = "current-context: x\n"
                    "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority: "
                    "pki/ca.crt, insecure-skip-tls-verify: true}}]\n"
                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                    "users: [{name: u, user: {client-certificate: /abs/c.crt, client-key: k.key, "
                    "tokenFile: tok}}]\n";
    struct sp_kubeconfig c;
    (void)state;
    assert_int_equal(sp_kubeconfig_parse(y, strlen(y), "/home/me/.kube", NULL, &c), SP_OK);
    assert_string_equal(c.ca_file, "/home/me/.kube/pki/ca.crt");
    assert_string_equal(c.cert_file, "/abs/c.crt");
    assert_string_equal(c.key_file, "/home/me/.kube/k.key");
    assert_string_equal(c.token_file, "/home/me/.kube/tok");
    assert_true(c.insecure);
    sp_kubeconfig_release(&c);
}

static void reports_errors_with_the_bad_value(void **state)
{
    struct sp_kubeconfig c;
    const char *no_ctx = "clusters: []\n";
    const char *exec = "current-context: x\n"
                       "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                       "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                       "users: [{name: u, user: {exec: {command: aws}}}]\n";
    const char *bad_b64 = "current-context: x\n"
                          "clusters: [{name: c, cluster: {server: 'https://h:1', "
                          "certificate-authority-data: '!!!'}}]\n"
                          "contexts: [{name: x, context: {cluster: c}}]\n";
    (void)state;
    assert_int_equal(sp_kubeconfig_parse(no_ctx, strlen(no_ctx), NULL, NULL, &c), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "current-context"));
    assert_int_equal(sp_kubeconfig_parse(data_form, strlen(data_form), NULL, "nope", &c),
                     SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "'nope'"));
    assert_int_equal(sp_kubeconfig_parse(exec, strlen(exec), NULL, NULL, &c), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "not supported"));
    assert_int_equal(sp_kubeconfig_parse(bad_b64, strlen(bad_b64), NULL, NULL, &c), SP_E_INVALID);
    assert_int_equal(sp_kubeconfig_parse("a: [", 4, NULL, NULL, &c), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "YAML"));
}

static void loads_a_file_and_in_cluster_files(void **state)
{
    char dir[] = "/tmp/sp-kc-XXXXXX", path[256];
    struct sp_kubeconfig c;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/config", dir);
    f = fopen(path, "w");
    fputs(data_form, f);
    fclose(f);
    assert_int_equal(sp_kubeconfig_load_file(path, NULL, &c), SP_OK);
    assert_string_equal(c.path, path);
    sp_kubeconfig_release(&c);

    snprintf(path, sizeof(path), "%s/token", dir);
    f = fopen(path, "w");
    fputs("tok\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/namespace", dir);
    f = fopen(path, "w");
    fputs("store-platform\n", f);
    fclose(f);
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(sp_kubeconfig_in_cluster(dir, &c), SP_OK);
    assert_string_equal(c.server, "https://10.0.0.1:443");
    assert_string_equal(c.namespace, "store-platform");
    assert_non_null(strstr(c.token_file, "/token"));
    assert_null(c.path);
    sp_kubeconfig_release(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(sp_kubeconfig_in_cluster(dir, &c), SP_E_INVALID);
    unlink(path);
    snprintf(path, sizeof(path), "%s/token", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/config", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_data_form),
        cmocka_unit_test(picks_named_context_with_token),
        cmocka_unit_test(resolves_file_paths_against_base_dir),
        cmocka_unit_test(reports_errors_with_the_bad_value),
        cmocka_unit_test(loads_a_file_and_in_cluster_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
