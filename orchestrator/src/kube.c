/*
 * Kubernetes API client (see kube.h).
 *
 * Each thread gets its own CURL easy handle, kept in a pthread key and
 * reset between requests; curl_easy_reset keeps live connections, so a worker
 * talks to the API server over one kept-alive connection. TLS material given
 * inline is handed to libcurl as memory blobs, never written to disk. A token
 * read from a file (in-cluster, where it rotates) is re-read every minute.
 */
#include "kube.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

struct sp_kube {
    struct sp_kubeconfig cfg;
    struct sp_kube_options opt;
    pthread_key_t handle_key;

    pthread_mutex_t token_lock; /* guards token and token_read_ms */
    char *token;
    int64_t token_read_ms;

    pthread_mutex_t rate_lock; /* guards tokens and last_ms */
    double tokens;
    int64_t last_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static _Thread_local int64_t thread_deadline_ms; /* see sp_kube_thread_deadline(); 0: none */

static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void handle_free(void *h)
{
    curl_easy_cleanup(h);
}

enum sp_err sp_kube_new(struct sp_kubeconfig *cfg, const struct sp_kube_options *opt,
                        struct sp_kube **out)
{
    struct sp_kube *k = sp_calloc(1, sizeof(*k));

    pthread_once(&curl_once, curl_init);
    k->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    k->opt = *opt;
    if (k->opt.timeout_ms <= 0)
        k->opt.timeout_ms = 30000;
    if (k->opt.burst < 1)
        k->opt.burst = 1;
    k->tokens = k->opt.burst;
    k->last_ms = sp_now_ms();
    pthread_key_create(&k->handle_key, handle_free);
    pthread_mutex_init(&k->token_lock, NULL);
    pthread_mutex_init(&k->rate_lock, NULL);
    k->token = sp_strdup(k->cfg.token);
    *out = k;
    return SP_OK;
}

void sp_kube_free(struct sp_kube *k)
{
    CURL *h;
    if (!k)
        return;
    h = pthread_getspecific(k->handle_key);
    if (h) {
        curl_easy_cleanup(h);
        pthread_setspecific(k->handle_key, NULL);
    }
    pthread_key_delete(k->handle_key);
    pthread_mutex_destroy(&k->token_lock);
    pthread_mutex_destroy(&k->rate_lock);
    if (k->token)
        memset(k->token, 0, strlen(k->token));
    free(k->token);
    sp_kubeconfig_release(&k->cfg);
    free(k);
}

const struct sp_kubeconfig *sp_kube_config(const struct sp_kube *k)
{
    return &k->cfg;
}

void sp_kube_thread_deadline(int64_t deadline_ms)
{
    thread_deadline_ms = deadline_ms;
}

char *sp_kube_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = sp_strdup(e ? e : "");
    curl_free(e);
    return copy;
}

/* Blocks until the token bucket allows one more request. */
static void rate_wait(struct sp_kube *k)
{
    int64_t now, wait = 0;

    if (k->opt.qps <= 0)
        return;
    pthread_mutex_lock(&k->rate_lock);
    now = sp_now_ms();
    k->tokens += (double)(now - k->last_ms) * k->opt.qps / 1000.0;
    if (k->tokens > k->opt.burst)
        k->tokens = k->opt.burst;
    k->last_ms = now;
    k->tokens -= 1.0; /* reserve; a negative balance is the wait of this caller */
    if (k->tokens < 0)
        wait = (int64_t)(-k->tokens * 1000.0 / k->opt.qps);
    pthread_mutex_unlock(&k->rate_lock);
    if (wait > 0)
        sp_sleep_ms(wait);
}

/* Returns the Authorization header line to send (caller frees), or NULL. */
static char *auth_header(struct sp_kube *k)
{
    char *h = NULL;
    pthread_mutex_lock(&k->token_lock);
    if (k->cfg.token_file && (!k->token || sp_now_ms() - k->token_read_ms > 60000)) {
        struct sp_buf b = SP_BUF_INIT;
        if (sp_read_file(k->cfg.token_file, &b) == SP_OK) {
            sp_buf_rtrim(&b);
            free(k->token);
            k->token = sp_buf_detach(&b);
            k->token_read_ms = sp_now_ms();
        } else {
            sp_warn(NULL, "kube", "%s", sp_errmsg());
        }
        sp_buf_release(&b);
    }
    if (k->token && *k->token)
        h = sp_asprintf("Authorization: Bearer %s", k->token);
    pthread_mutex_unlock(&k->token_lock);
    return h;
}

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    sp_buf_add(ud, data, size * n);
    return size * n;
}

static void blob(CURL *h, CURLoption opt, const struct sp_buf *b)
{
    struct curl_blob bl = {.data = b->data, .len = b->len, .flags = CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, opt, &bl);
}

/* Sets what every request shares: URL, TLS, auth, headers. Returns the header list to free. */
static struct curl_slist *setup(struct sp_kube *k, CURL *h, const char *path,
                                const char *content_type)
{
    struct curl_slist *hdrs = NULL;
    char *url = sp_asprintf("%s%s", k->cfg.server, path);
    char *auth = auth_header(k);

    curl_easy_setopt(h, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "store-platform-orchestrator/1");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (k->cfg.ca.len)
        blob(h, CURLOPT_CAINFO_BLOB, &k->cfg.ca);
    else if (k->cfg.ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, k->cfg.ca_file);
    if (k->cfg.cert.len)
        blob(h, CURLOPT_SSLCERT_BLOB, &k->cfg.cert);
    else if (k->cfg.cert_file)
        curl_easy_setopt(h, CURLOPT_SSLCERT, k->cfg.cert_file);
    if (k->cfg.key.len)
        blob(h, CURLOPT_SSLKEY_BLOB, &k->cfg.key);
    else if (k->cfg.key_file)
        curl_easy_setopt(h, CURLOPT_SSLKEY, k->cfg.key_file);
    if (k->cfg.insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (content_type) {
        char *ct = sp_asprintf("Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
        free(ct);
    }
    if (auth) {
        hdrs = curl_slist_append(hdrs, auth);
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    return hdrs;
}

/* Maps an HTTP error answer (a Kubernetes Status, usually) to the error type. */
static enum sp_err status_error(long code, const char *method, const char *path,
                                const struct sp_buf *body)
{
    json_t *st = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(st, "message"));
    const char *reason = json_string_value(json_object_get(st, "reason"));
    enum sp_err e;

    switch (code) {
    case 400:
    case 422:
        e = SP_E_INVALID;
        break;
    case 401:
    case 403:
        e = SP_E_FORBIDDEN;
        break;
    case 404:
        e = SP_E_NOTFOUND;
        break;
    case 409:
        e = SP_E_CONFLICT;
        break;
    case 410:
        e = SP_E_GONE;
        break;
    default:
        e = SP_E_API;
    }
    if (msg)
        e = sp_fail(e, "%s %s: %ld %s: %s", method, path, code, reason ? reason : "", msg);
    else {
        struct sp_buf text = SP_BUF_INIT;
        sp_buf_add(&text, body->data ? body->data : "", body->len < 200 ? body->len : 200);
        sp_buf_rtrim(&text);
        e = sp_fail(e, "%s %s: HTTP %ld: %s", method, path, code,
                    text.len ? text.data : "(empty answer)");
        sp_buf_release(&text);
    }
    json_decref(st);
    return e;
}

static CURL *thread_handle(struct sp_kube *k)
{
    CURL *h = pthread_getspecific(k->handle_key);
    if (!h) {
        h = curl_easy_init();
        if (!h) {
            sp_error(NULL, "kube", "curl_easy_init failed");
            abort();
        }
        pthread_setspecific(k->handle_key, h);
    } else {
        curl_easy_reset(h);
    }
    return h;
}

static struct sp_metric_def requests_def = {
    .name = "storeplatform_kube_requests_total",
    .help = "Requests to the Kubernetes API server (watches not included), by HTTP method",
    .type = SP_COUNTER};

static void count_request(const char *method)
{
    char labels[64];
    sp_metric_labels(labels, sizeof(labels), "verb", method, NULL);
    sp_metric_add(sp_metric(&requests_def), labels, 1);
}

enum sp_err sp_kube_request(struct sp_kube *k, const char *method, const char *path,
                            const char *content_type, const json_t *body, json_t **out)
{
    char *payload = NULL;
    enum sp_err err = SP_OK;

    if (out)
        *out = NULL;
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        if (!payload)
            return sp_fail(SP_E_INVALID, "%s %s: body cannot be encoded", method, path);
    }
    for (int attempt = 0;; attempt++) {
        struct sp_buf resp = SP_BUF_INIT;
        struct curl_slist *hdrs;
        CURL *h;
        CURLcode cc;
        long code = 0, timeout_ms = k->opt.timeout_ms;
        curl_off_t retry_after = 0;

        rate_wait(k);
        if (thread_deadline_ms) {
            int64_t left = thread_deadline_ms - sp_now_ms();
            if (left <= 0) {
                err =
                    sp_fail(SP_E_TIMEOUT, "%s %s: the caller's deadline has passed", method, path);
                break;
            }
            if (left < timeout_ms)
                timeout_ms = (long)left;
        }
        h = thread_handle(k);
        hdrs = setup(k, h, path, body ? (content_type ? content_type : "application/json") : NULL);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (payload)
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
        cc = curl_easy_perform(h);
        curl_slist_free_all(hdrs);
        count_request(method);
        if (cc != CURLE_OK) {
            err = sp_fail(cc == CURLE_OPERATION_TIMEDOUT ? SP_E_TIMEOUT : SP_E_IO, "%s %s: %s",
                          method, path, curl_easy_strerror(cc));
            sp_buf_release(&resp);
            break;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
        if (code == 429 && attempt < 3) {
            sp_buf_release(&resp);
            sp_sleep_ms(retry_after > 0 && retry_after < 5 ? retry_after * 1000 : 1000);
            continue;
        }
        if (code < 200 || code > 299) {
            err = status_error(code, method, path, &resp);
        } else if (out && resp.len) {
            json_error_t je;
            *out = json_loadb(resp.data, resp.len, 0, &je);
            if (!*out)
                err = sp_fail(SP_E_API, "%s %s: answer is not JSON: %s", method, path, je.text);
        }
        sp_buf_release(&resp);
        break;
    }
    free(payload);
    return err;
}

enum sp_err sp_kube_get(struct sp_kube *k, const char *path, json_t **out)
{
    return sp_kube_request(k, "GET", path, NULL, NULL, out);
}

enum sp_err sp_kube_create(struct sp_kube *k, const char *path, const json_t *body, json_t **out)
{
    return sp_kube_request(k, "POST", path, NULL, body, out);
}

enum sp_err sp_kube_replace(struct sp_kube *k, const char *path, const json_t *body, json_t **out)
{
    return sp_kube_request(k, "PUT", path, NULL, body, out);
}

enum sp_err sp_kube_merge_patch(struct sp_kube *k, const char *path, const json_t *patch,
                                json_t **out)
{
    return sp_kube_request(k, "PATCH", path, "application/merge-patch+json", patch, out);
}

enum sp_err sp_kube_json_patch(struct sp_kube *k, const char *path, const json_t *ops, json_t **out)
{
    return sp_kube_request(k, "PATCH", path, "application/json-patch+json", ops, out);
}

enum sp_err sp_kube_delete(struct sp_kube *k, const char *path, const char *propagation,
                           json_t **out)
{
    json_t *opts = NULL;
    enum sp_err err;

    if (propagation)
        opts = json_pack("{s:s, s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1",
                         "propagationPolicy", propagation);
    err = sp_kube_request(k, "DELETE", path, NULL, opts, out);
    json_decref(opts);
    return err;
}

/* State of one watch stream while libcurl feeds it. */
struct watch_state {
    struct sp_buf line;
    int (*cb)(void *ud, const char *type, json_t *object);
    void *ud;
    const atomic_bool *stop;
    CURL *h;
    enum sp_err err; /* set when the stream carried an ERROR event or cb asked to end */
    bool ended_by_cb;
};

static int watch_line(struct watch_state *w, const char *s, size_t n)
{
    json_error_t je;
    json_t *ev = json_loadb(s, n, 0, &je);
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");

    if (!ev || !type || !obj) {
        w->err = sp_fail(SP_E_API, "watch event is not valid: %s", ev ? "no type" : je.text);
        json_decref(ev);
        return -1;
    }
    if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));
        const char *msg = json_string_value(json_object_get(obj, "message"));
        w->err = sp_fail(code == 410 ? SP_E_GONE : SP_E_API, "watch error %lld: %s",
                         (long long)code, msg ? msg : "");
        json_decref(ev);
        return -1;
    }
    if (w->cb(w->ud, type, obj)) {
        w->ended_by_cb = true;
        json_decref(ev);
        return -1;
    }
    json_decref(ev);
    return 0;
}

static size_t watch_write(char *data, size_t size, size_t n, void *ud)
{
    struct watch_state *w = ud;
    size_t total = size * n, start = 0;
    long code = 0;

    sp_buf_add(&w->line, data, total);
    curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299)
        return total; /* an error answer: kept whole for status_error() */
    for (size_t i = 0; i < w->line.len; i++) {
        if (w->line.data[i] != '\n')
            continue;
        if (i > start && watch_line(w, w->line.data + start, i - start))
            return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
        start = i + 1;
    }
    if (start) {
        memmove(w->line.data, w->line.data + start, w->line.len - start);
        w->line.len -= start;
        w->line.data[w->line.len] = '\0';
    }
    return total;
}

static int watch_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct watch_state *w = ud;
    (void)a, (void)b, (void)c, (void)d;
    return w->stop && atomic_load(w->stop) ? 1 : 0;
}

enum sp_err sp_kube_watch(struct sp_kube *k, const char *path, const char *label_selector,
                          const char *resource_version, int timeout_s,
                          int (*cb)(void *ud, const char *type, json_t *object), void *ud,
                          const atomic_bool *stop)
{
    struct watch_state w = {.cb = cb, .ud = ud, .stop = stop};
    struct sp_buf url = SP_BUF_INIT;
    struct curl_slist *hdrs;
    CURL *h = curl_easy_init();
    CURLcode cc;
    long code = 0;
    enum sp_err err = SP_OK;

    if (!h)
        return sp_fail(SP_E_IO, "curl_easy_init failed");
    w.h = h;
    sp_buf_addf(&url, "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d", path, timeout_s);
    if (resource_version && *resource_version)
        sp_buf_addf(&url, "&resourceVersion=%s", resource_version);
    if (label_selector) {
        char *e = sp_kube_escape(label_selector);
        sp_buf_addf(&url, "&labelSelector=%s", e);
        free(e);
    }
    rate_wait(k);
    hdrs = setup(k, h, url.data, NULL);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s + 30) * 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &w);
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (w.ended_by_cb)
        err = SP_OK;
    else if (w.err)
        err = w.err;
    else if (cc == CURLE_ABORTED_BY_CALLBACK)
        err = sp_fail(SP_E_STOPPED, "watch %s stopped", path);
    else if (code && (code < 200 || code > 299))
        err = status_error(code, "WATCH", path, &w.line);
    else if (cc != CURLE_OK && cc != CURLE_OPERATION_TIMEDOUT)
        err = sp_fail(SP_E_IO, "watch %s: %s", path, curl_easy_strerror(cc));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    sp_buf_release(&url);
    sp_buf_release(&w.line);
    return err;
}
