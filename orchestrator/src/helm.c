/*
 * Helm driver (see helm.h). Every run gets the same environment (the
 * storage driver and helm's own directories) and records its duration in the
 * storeplatform_helm_duration_seconds histogram by operation and result.
 */
#include "helm.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "proc.h"
#include "util.h"

static struct sp_metric *duration_metric(void)
{
    static const double buckets[] = {0.5, 1, 2, 5, 10, 30, 60, 120, 300};
    return sp_metric_register("storeplatform_helm_duration_seconds",
                              "Duration of helm runs by operation and result", SP_HISTOGRAM,
                              buckets, sizeof(buckets) / sizeof(buckets[0]));
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

enum sp_err sp_helm_upgrade(const struct sp_helm *h, const char *release, const char *ns,
                            const char *chart, const char *const values_files[], int64_t *revision)
{
    const char *args[40] = {"upgrade", "--install",     release, chart,      "--namespace",
                            ns,        "--history-max", "5",     "--output", "json"};
    struct sp_proc_result res;
    size_t n = 10;
    enum sp_err err;

    if (h->labels) {
        args[n++] = "--labels";
        args[n++] = h->labels;
    }
    for (size_t i = 0; values_files && values_files[i] && n < 36; i++) {
        args[n++] = "--values";
        args[n++] = values_files[i];
    }
    args[n] = NULL;
    err = run(h, "upgrade", args, &res);
    if (!err) {
        json_t *rel = json_loadb(res.out.data ? res.out.data : "", res.out.len, 0, NULL);
        *revision = json_integer_value(json_object_get(rel, "version"));
        json_decref(rel);
    }
    sp_proc_result_release(&res);
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

enum sp_err sp_helm_state(struct sp_kube *k, const char *release, const char *ns,
                          struct sp_helm_state *out)
{
    json_t *items, *s;
    size_t i;
    enum sp_err err = list_records(k, release, ns, &items);

    memset(out, 0, sizeof(*out));
    if (err)
        return err;
    json_array_foreach(items, i, s)
    {
        json_t *labels = json_object_get(json_object_get(s, "metadata"), "labels");
        const char *status = json_string_value(json_object_get(labels, "status"));
        const char *version = json_string_value(json_object_get(labels, "version"));
        int64_t v = version ? strtoll(version, NULL, 10) : 0;
        if (!status || v <= 0)
            continue;
        if (strcmp(status, "deployed") == 0 && v > out->deployed)
            out->deployed = v;
        if (v > out->latest) {
            out->latest = v;
            snprintf(out->status, sizeof(out->status), "%s", status);
        }
    }
    json_decref(items);
    return SP_OK;
}

enum sp_err sp_helm_recover_pending(struct sp_kube *k, const char *release, const char *ns,
                                    int *recovered)
{
    json_t *items, *s;
    size_t i;
    enum sp_err err = list_records(k, release, ns, &items);

    *recovered = 0;
    if (err)
        return err;
    json_array_foreach(items, i, s)
    {
        json_t *meta = json_object_get(s, "metadata");
        const char *status =
            json_string_value(json_object_get(json_object_get(meta, "labels"), "status"));
        const char *name = json_string_value(json_object_get(meta, "name"));
        char *path;
        if (!status || !name || strncmp(status, "pending-", 8) != 0)
            continue;
        path = sp_asprintf("/api/v1/namespaces/%s/secrets/%s", ns, name);
        err = sp_kube_delete(k, path, NULL, NULL);
        free(path);
        if (err && err != SP_E_NOTFOUND)
            break;
        err = SP_OK;
        sp_warn(NULL, "helm", "release %s/%s: removed record %s left in %s", ns, release, name,
                status);
        (*recovered)++;
    }
    json_decref(items);
    return err;
}
