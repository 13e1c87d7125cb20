/*
 * Helm driver (see helm.h). Every run gets the same environment (the
 * storage driver and helm's own directories) and records its duration in the
 * storeplatform_helm_duration_seconds histogram by operation and result.
 */
#include "helm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "metrics.h"
#include "proc.h"
#include "util.h"
#include "yaml2json.h"

static const double duration_buckets[] = {0.5, 1, 2, 5, 10, 30, 60, 120, 300};
static struct sp_metric_def duration_def =
    SP_METRIC_HISTOGRAM("storeplatform_helm_duration_seconds",
                        "Duration of helm runs by operation and result", duration_buckets);

static struct sp_metric *duration_metric(void)
{
    return sp_metric(&duration_def);
}

/* The most useful line of helm's stderr: the last "Error:" line, else the last line. */
static char *helm_error(const struct sp_proc_result *r)
{
    const char *text = r->err.len ? r->err.data : (r->out.len ? r->out.data : "");
    const char *best = NULL, *line = text;
    size_t best_len = 0;

    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n && (strncmp(line, "Error:", 6) == 0 || !best || strncmp(best, "Error:", 6) != 0)) {
            best = line;
            best_len = n;
        }
        line += n + (nl ? 1 : 0);
    }
    if (!best)
        return sp_strdup("helm failed without a message");
    if (best_len > 6 && strncmp(best, "Error: ", 7) == 0) {
        best += 7;
        best_len -= 7;
    }
    return sp_asprintf("%.*s", (int)(best_len > 1000 ? 1000 : best_len), best);
}

/*
 * Runs `helm <args...>` (args: NULL-terminated, at most 40, the subcommand
 * first) with what every call shares: helm's own --timeout from h->timeout_ms,
 * --kubeconfig when set, private helm home directories, the same deadline for
 * the process group, the error line, and the duration metric labelled op.
 */
static enum sp_err run(const struct sp_helm *h, const char *op, const char *const args[],
                       struct sp_proc_result *res)
{
    char *cache = sp_asprintf("HELM_CACHE_HOME=%s/cache", h->home);
    char *config = sp_asprintf("HELM_CONFIG_HOME=%s/config", h->home);
    char *data = sp_asprintf("HELM_DATA_HOME=%s/data", h->home);
    const char *env[] = {"HELM_DRIVER=secret", cache, config, data, NULL};
    const char *argv[48];
    char labels[128], timeout[32];
    size_t n = 0;
    enum sp_err err;

    argv[n++] = h->bin;
    for (size_t i = 0; args[i] && i < 40; i++)
        argv[n++] = args[i];
    snprintf(timeout, sizeof(timeout), "%llds", (long long)(h->timeout_ms / 1000));
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    if (h->kubeconfig) {
        argv[n++] = "--kubeconfig";
        argv[n++] = h->kubeconfig;
    }
    argv[n] = NULL;
    err = sp_proc_run(argv, env, h->timeout_ms, h->cancel, res);
    free(cache);
    free(config);
    free(data);
    if (!err && res->exit_code != 0) {
        char *msg = helm_error(res);
        err = sp_fail(SP_E_HELM, "%s", msg);
        free(msg);
    }
    sp_metric_labels(labels, sizeof(labels), "op", op, "result", err ? "error" : "success", NULL);
    sp_metric_observe(duration_metric(), labels, (double)res->duration_ms / 1000.0);
    return err;
}

/* Writes values to a fresh private file: *dir and *path (caller removes both with remove_values).
 */
static enum sp_err write_values(const char *tmpdir, const json_t *values, char **dir, char **path)
{
    char *tmpl = sp_asprintf("%s/sp-values-XXXXXX", tmpdir);
    char *text;
    int fd;
    size_t len;
    ssize_t w;

    *dir = *path = NULL;
    if (!mkdtemp(tmpl)) {
        enum sp_err err =
            sp_fail(SP_E_IO, "unable to create a directory in '%s': %s", tmpdir, strerror(errno));
        free(tmpl);
        return err;
    }
    *dir = tmpl;
    *path = sp_asprintf("%s/values.json", tmpl);
    fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sp_fail(SP_E_IO, "unable to create '%s': %s", *path, strerror(errno));
    text = json_dumps(values, JSON_INDENT(1) | JSON_SORT_KEYS);
    len = strlen(text);
    w = write(fd, text, len);
    free(text);
    close(fd);
    if (w != (ssize_t)len)
        return sp_fail(SP_E_IO, "unable to write '%s'", *path);
    return SP_OK;
}

static void remove_values(char *dir, char *path)
{
    if (path)
        unlink(path);
    if (dir)
        rmdir(dir);
    free(path);
    free(dir);
}

enum sp_err sp_helm_upgrade(const struct sp_helm *h, const char *release, const char *ns,
                            const struct sp_helm_install *in, int64_t *revision)
{
    const char *args[40] = {"upgrade", "--install",     release, in->chart,  "--namespace",
                            ns,        "--history-max", "5",     "--output", "json"};
    struct sp_proc_result res;
    char *dir = NULL, *path = NULL;
    char labels[200];
    size_t n = 10;
    enum sp_err err;

    *revision = 0;
    err = write_values(h->tmpdir ? h->tmpdir : "/tmp", in->values, &dir, &path);
    if (err) {
        remove_values(dir, path);
        return err;
    }
    snprintf(labels, sizeof(labels), "%s=%lld%s%s", SP_GENERATION_LABEL, (long long)in->generation,
             in->chart_version && *in->chart_version ? "," SP_CHART_LABEL "=" : "",
             in->chart_version && *in->chart_version ? in->chart_version : "");
    args[n++] = "--labels";
    args[n++] = labels;
    if (in->base_values_file && *in->base_values_file) {
        args[n++] = "--values";
        args[n++] = in->base_values_file;
    }
    args[n++] = "--values";
    args[n++] = path;
    args[n] = NULL;
    err = run(h, "upgrade", args, &res);
    if (!err) {
        json_t *rel = json_loadb(res.out.data ? res.out.data : "", res.out.len, 0, NULL);
        *revision = json_integer_value(json_object_get(rel, "version"));
        json_decref(rel);
    }
    sp_proc_result_release(&res);
    remove_values(dir, path);
    return err;
}

enum sp_err sp_helm_rollback(const struct sp_helm *h, const char *release, const char *ns,
                             int64_t revision)
{
    char rev[32];
    const char *args[] = {"rollback", release, rev, "--namespace", ns, "--history-max", "5", NULL};
    struct sp_proc_result res;
    enum sp_err err;

    snprintf(rev, sizeof(rev), "%lld", (long long)revision);
    err = run(h, "rollback", args, &res);
    sp_proc_result_release(&res);
    return err;
}

enum sp_err sp_helm_uninstall(const struct sp_helm *h, const char *release, const char *ns)
{
    const char *args[] = {"uninstall", release, "--namespace", ns, "--ignore-not-found", NULL};
    struct sp_proc_result res;
    enum sp_err err;

    err = run(h, "uninstall", args, &res);
    sp_proc_result_release(&res);
    return err;
}

static enum sp_err list_records(struct sp_kube *k, const char *release, const char *ns,
                                json_t **items)
{
    char *sel = sp_asprintf("owner=helm,name=%s", release);
    char *esc = sp_kube_escape(sel);
    char *path = sp_asprintf("/api/v1/namespaces/%s/secrets?labelSelector=%s", ns, esc);
    json_t *list = NULL;
    enum sp_err err = sp_kube_get(k, path, &list);

    free(sel);
    free(esc);
    free(path);
    *items = NULL;
    if (err == SP_E_NOTFOUND)
        return SP_OK; /* namespace gone: no release */
    if (err)
        return err;
    *items = json_incref(json_object_get(list, "items"));
    json_decref(list);
    return SP_OK;
}

static const char *record_label(const json_t *record, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(record, "metadata"), "labels"), key));
}

/* The revision a record holds (its "version" label), 0 when it has none. */
static int64_t record_version(const json_t *record)
{
    const char *version = record_label(record, "version");
    return version ? strtoll(version, NULL, 10) : 0;
}

/* Deletes a record left in pending-* by a killed helm; gone already is SP_OK. */
static enum sp_err remove_pending(struct sp_kube *k, const char *release, const char *ns,
                                  const json_t *record, const char *status)
{
    const char *name =
        json_string_value(json_object_get(json_object_get(record, "metadata"), "name"));
    char *path;
    enum sp_err err;

    if (!name)
        return SP_OK;
    path = sp_asprintf("/api/v1/namespaces/%s/secrets/%s", ns, name);
    err = sp_kube_delete(k, path, NULL, NULL);
    free(path);
    if (err && err != SP_E_NOTFOUND)
        return err;
    sp_warn(NULL, "helm", "release %s/%s: removed record %s left in %s", ns, release, name, status);
    return SP_OK;
}

enum sp_err sp_helm_look(struct sp_kube *k, const char *release, const char *ns, bool recover,
                         struct sp_helm_state *out)
{
    json_t *items, *s, *deployed = NULL;
    size_t i;
    enum sp_err err = list_records(k, release, ns, &items);

    memset(out, 0, sizeof(*out));
    if (err)
        return err;
    json_array_foreach(items, i, s)
    {
        const char *status = record_label(s, "status");
        int64_t v = record_version(s);
        if (status && recover && strncmp(status, "pending-", 8) == 0) {
            err = remove_pending(k, release, ns, s, status);
            if (err)
                break;
            out->recovered++;
            continue;
        }
        if (!status || v <= 0)
            continue;
        if (strcmp(status, "deployed") == 0 && v > out->deployed) {
            out->deployed = v;
            deployed = s;
        }
        if (v > out->latest) {
            out->latest = v;
            snprintf(out->status, sizeof(out->status), "%s", status);
        }
    }
    if (!err && deployed) {
        const char *g = record_label(deployed, SP_GENERATION_LABEL);
        const char *c = record_label(deployed, SP_CHART_LABEL);
        out->generation = g ? strtoll(g, NULL, 10) : 0;
        snprintf(out->chart, sizeof(out->chart), "%s", c ? c : "");
    }
    json_decref(items);
    return err;
}

/* gzip (or raw, if not gzipped) bytes to text in out. */
static enum sp_err gunzip(const unsigned char *in, size_t n, struct sp_buf *out)
{
    z_stream z;
    unsigned char chunk[16384];
    int rc;

    if (n < 2 || in[0] != 0x1f || in[1] != 0x8b) {
        sp_buf_add(out, in, n);
        return SP_OK;
    }
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return sp_fail(SP_E_IO, "helm release record: cannot start gunzip");
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return sp_fail(SP_E_INVALID, "helm release record: not valid gzip (%d)", rc);
        }
        sp_buf_add(out, chunk, sizeof(chunk) - z.avail_out);
        if (out->len > (size_t)64 << 20) {
            inflateEnd(&z);
            return sp_fail(SP_E_INVALID, "helm release record: more than 64 MiB");
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    return SP_OK;
}

/* The release JSON in a record (a Secret): data.release is base64 (the API's) of base64 (helm's)
 * of gzip of JSON. */
static enum sp_err decode_record(const json_t *record, json_t **release)
{
    const char *data =
        json_string_value(json_object_get(json_object_get(record, "data"), "release"));
    struct sp_buf once = SP_BUF_INIT, twice = SP_BUF_INIT, text = SP_BUF_INIT;
    enum sp_err err;

    *release = NULL;
    if (!data)
        return sp_fail(SP_E_INVALID, "helm release record without data.release");
    err = sp_base64_decode(data, &once);
    if (!err)
        err = sp_base64_decode(once.data ? once.data : "", &twice);
    if (!err)
        err = gunzip((const unsigned char *)twice.data, twice.len, &text);
    if (!err) {
        *release = json_loadb(text.data ? text.data : "", text.len, 0, NULL);
        if (!*release)
            err = sp_fail(SP_E_INVALID, "helm release record: not JSON");
    }
    sp_buf_release(&once);
    sp_buf_release(&twice);
    sp_buf_release(&text);
    return err;
}

enum sp_err sp_helm_manifest(struct sp_kube *k, const char *release, const char *ns,
                             json_t **objects, int64_t *revision)
{
    json_t *items, *s, *deployed = NULL, *rel = NULL;
    const char *manifest;
    size_t i;
    enum sp_err err = list_records(k, release, ns, &items);

    *objects = NULL;
    *revision = 0;
    if (err)
        return err;
    json_array_foreach(items, i, s)
    {
        const char *status = record_label(s, "status");
        int64_t v = record_version(s);
        if (status && strcmp(status, "deployed") == 0 && v > *revision) {
            *revision = v;
            deployed = s;
        }
    }
    if (!deployed) {
        json_decref(items);
        return sp_fail(SP_E_NOTFOUND, "release %s/%s has no deployed revision", ns, release);
    }
    err = decode_record(deployed, &rel);
    json_decref(items);
    if (err)
        return err;
    manifest = json_string_value(json_object_get(rel, "manifest"));
    err = sp_yaml_docs_to_json(manifest ? manifest : "", manifest ? strlen(manifest) : 0, true,
                               objects);
    json_decref(rel);
    return err;
}
