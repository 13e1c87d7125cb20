/*
 * Kubeconfig and in-cluster configuration (see kubeconfig.h).
 *
 * The YAML is turned into a jansson tree with every scalar a string (yaml2json.h),
 * because the rest of the program already navigates JSON and the kubeconfig
 * schema only needs strings. Inline "-data" values are base64-decoded with
 * OpenSSL into memory buffers that kube.c hands to libcurl as blobs.
 */
#include "kubeconfig.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "yaml2json.h"

/* Finds the entry named name in a kubeconfig list (clusters, users, contexts) and returns its
 * inner object (borrowed), or NULL. */
static json_t *named(json_t *root, const char *list, const char *inner, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(root, list), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && name && strcmp(n, name) == 0)
            return json_object_get(e, inner);
    }
    return NULL;
}

static char *path_in(const char *base_dir, const char *p)
{
    if (!p || !*p)
        return NULL;
    if (p[0] == '/' || !base_dir)
        return sp_strdup(p);
    return sp_asprintf("%s/%s", base_dir, p);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

static enum sp_err take_pem(json_t *o, const char *data_key, const char *file_key,
                            const char *base_dir, struct sp_buf *data, char **file)
{
    const char *d = str(o, data_key);
    if (d) {
        enum sp_err err = sp_base64_decode(d, data);
        if (err)
            return sp_fail(err, "%s: %s", data_key, sp_errmsg());
        return SP_OK;
    }
    *file = path_in(base_dir, str(o, file_key));
    return SP_OK;
}

enum sp_err sp_kubeconfig_parse(const char *yaml, size_t len, const char *base_dir,
                                const char *context, struct sp_kubeconfig *out)
{
    json_t *root = NULL, *ctx, *cluster, *user;
    const char *ctx_name, *server, *ns;
    enum sp_err err;

    memset(out, 0, sizeof(*out));
    err = sp_yaml_to_json(yaml, len, false, &root);
    if (err)
        return sp_fail(err, "kubeconfig is %s", sp_errmsg());
    if (!json_is_object(root)) {
        err = sp_fail(SP_E_INVALID, "kubeconfig is not a YAML mapping");
        goto fail;
    }
    ctx_name = context ? context : str(root, "current-context");
    if (!ctx_name) {
        err = sp_fail(SP_E_INVALID, "kubeconfig has no current-context");
        goto fail;
    }
    ctx = named(root, "contexts", "context", ctx_name);
    if (!ctx) {
        err = sp_fail(SP_E_INVALID, "context '%s' not found in kubeconfig", ctx_name);
        goto fail;
    }
    cluster = named(root, "clusters", "cluster", str(ctx, "cluster"));
    if (!cluster) {
        err = sp_fail(SP_E_INVALID, "cluster '%s' of context '%s' not found in kubeconfig",
                      str(ctx, "cluster") ? str(ctx, "cluster") : "", ctx_name);
        goto fail;
    }
    server = str(cluster, "server");
    if (!server || (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)) {
        err = sp_fail(SP_E_INVALID, "cluster '%s' has no valid server URL: '%s'",
                      str(ctx, "cluster"), server ? server : "");
        goto fail;
    }
    out->server = sp_strdup(server);
    while (strlen(out->server) > 8 && out->server[strlen(out->server) - 1] == '/')
        out->server[strlen(out->server) - 1] = '\0';
    ns = str(ctx, "namespace");
    out->namespace = sp_strdup(ns ? ns : "default");
    {
        const char *v = str(cluster, "insecure-skip-tls-verify");
        out->insecure = v && strcmp(v, "true") == 0;
    }
    err = take_pem(cluster, "certificate-authority-data", "certificate-authority", base_dir,
                   &out->ca, &out->ca_file);
    if (err)
        goto fail;

    user = str(ctx, "user") ? named(root, "users", "user", str(ctx, "user")) : NULL;
    if (str(ctx, "user") && !user) {
        err = sp_fail(SP_E_INVALID, "user '%s' of context '%s' not found in kubeconfig",
                      str(ctx, "user"), ctx_name);
        goto fail;
    }
    if (user) {
        if (json_object_get(user, "exec") || json_object_get(user, "auth-provider")) {
            err = sp_fail(SP_E_INVALID,
                          "user '%s' uses an exec or auth-provider plugin, which is not "
                          "supported: use a client certificate or a token",
                          str(ctx, "user"));
            goto fail;
        }
        out->token = sp_strdup(str(user, "token"));
        out->token_file = path_in(base_dir, str(user, "tokenFile"));
        err = take_pem(user, "client-certificate-data", "client-certificate", base_dir, &out->cert,
                       &out->cert_file);
        if (!err)
            err = take_pem(user, "client-key-data", "client-key", base_dir, &out->key,
                           &out->key_file);
        if (err)
            goto fail;
        if ((out->cert.len || out->cert_file) != (out->key.len || out->key_file)) {
            err = sp_fail(SP_E_INVALID,
                          "user '%s' has a client certificate without a key or "
                          "a key without a certificate",
                          str(ctx, "user"));
            goto fail;
        }
    }
    json_decref(root);
    return SP_OK;
fail:
    json_decref(root);
    sp_kubeconfig_release(out);
    return err;
}

enum sp_err sp_kubeconfig_load_file(const char *path, const char *context,
                                    struct sp_kubeconfig *out)
{
    struct sp_buf text = SP_BUF_INIT;
    char *dir, *slash;
    enum sp_err err;

    err = sp_read_file(path, &text);
    if (err)
        return err;
    dir = sp_strdup(path);
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    err = sp_kubeconfig_parse(text.data, text.len, slash ? dir : ".", context, out);
    if (err)
        err = sp_fail(err, "%s: %s", path, sp_errmsg());
    else
        out->path = sp_strdup(path);
    free(dir);
    sp_buf_release(&text);
    return err;
}

enum sp_err sp_kubeconfig_in_cluster(const char *sa_dir, struct sp_kubeconfig *out)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    struct sp_buf ns = SP_BUF_INIT;
    char *p;
    enum sp_err err;

    memset(out, 0, sizeof(*out));
    if (!host || !*host)
        return sp_fail(SP_E_INVALID, "not in a cluster: KUBERNETES_SERVICE_HOST is not set");
    out->server = strchr(host, ':') ? sp_asprintf("https://[%s]:%s", host, port ? port : "443")
                                    : sp_asprintf("https://%s:%s", host, port ? port : "443");
    out->token_file = sp_asprintf("%s/token", sa_dir);
    out->ca_file = sp_asprintf("%s/ca.crt", sa_dir);
    /* fail now rather than on the first request when the token is missing */
    err = sp_read_file(out->token_file, &ns);
    sp_buf_release(&ns);
    if (err) {
        sp_kubeconfig_release(out);
        return err;
    }
    p = sp_asprintf("%s/namespace", sa_dir);
    if (sp_read_file(p, &ns) == SP_OK && ns.len) {
        sp_buf_rtrim(&ns);
        out->namespace = sp_buf_detach(&ns);
    } else {
        out->namespace = sp_strdup("default");
    }
    sp_buf_release(&ns);
    free(p);
    return SP_OK;
}

enum sp_err sp_kubeconfig_resolve(const char *flag_path, const char *context,
                                  struct sp_kubeconfig *out)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    char *first, *p;
    enum sp_err err;

    if (flag_path && *flag_path)
        return sp_kubeconfig_load_file(flag_path, context, out);
    if (env && *env) {
        first = sp_strdup(env);
        p = strchr(first, ':');
        if (p)
            *p = '\0';
        err = sp_kubeconfig_load_file(first, context, out);
        free(first);
        return err;
    }
    if (getenv("KUBERNETES_SERVICE_HOST"))
        return sp_kubeconfig_in_cluster(SP_SA_DIR, out);
    if (!home)
        return sp_fail(SP_E_INVALID, "no kubeconfig: use --kubeconfig or set KUBECONFIG");
    p = sp_asprintf("%s/.kube/config", home);
    err = sp_kubeconfig_load_file(p, context, out);
    free(p);
    return err;
}

void sp_kubeconfig_release(struct sp_kubeconfig *c)
{
    free(c->server);
    free(c->namespace);
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    free(c->token);
    free(c->token_file);
    free(c->ca_file);
    free(c->cert_file);
    if (c->key.data)
        memset(c->key.data, 0, c->key.len);
    free(c->key_file);
    free(c->path);
    sp_buf_release(&c->ca);
    sp_buf_release(&c->cert);
    sp_buf_release(&c->key);
    memset(c, 0, sizeof(*c));
}
