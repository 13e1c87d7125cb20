/*
 * The HTTP server (see http.h): libmicrohttpd glue around the one handler
 * it is given, which knows the routes (api_routes.c); nothing here knows
 * the API. libmicrohttpd runs one thread per connection;
 * on_request() is called first with the headers (a struct sp_http_req is
 * allocated then), again for each piece of the body, and once more with no
 * data, when the pipeline runs and the answer is queued. on_completed()
 * records the metrics and frees the request, whatever happened to it.
 *
 * Why libmicrohttpd: a Debian-packaged, long-maintained GNU library that
 * parses HTTP/1.1 for us (including chunked bodies and header limits) and
 * lets a handler stream a body from a callback, which is all SSE needs.
 */
#include "http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

struct sp_http {
    struct MHD_Daemon *d;
    sp_http_handler_fn handle;
    void *ud;
    struct sp_http_config cfg;
    int port;
};

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                          "object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

/* ---- metrics ------------------------------------------------------------------------ */

static const double duration_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,   0.25,   0.5,   1,    2.5,   5};
static struct sp_metric_def requests_def = {
    .name = "storeplatform_http_requests_total",
    .help = "HTTP requests answered, by route, method and status",
    .type = SP_COUNTER,
};
static struct sp_metric_def duration_def =
    SP_METRIC_HISTOGRAM("storeplatform_http_request_duration_seconds",
                        "Time to answer an HTTP request, by route and status", duration_buckets);

static struct sp_metric *m_requests(void)
{
    return sp_metric(&requests_def);
}

static struct sp_metric *m_duration(void)
{
    return sp_metric(&duration_def);
}

static const char *method_label(const char *m)
{
    static const char *const known[] = {"GET",   "POST", "PUT",     "DELETE",
                                        "PATCH", "HEAD", "OPTIONS", NULL};
    for (int i = 0; m && known[i]; i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "other";
}

void sp_http_observe(const char *route, const char *method, int status, double seconds)
{
    char l[256], code[8];
    snprintf(code, sizeof(code), "%d", status);
    sp_metric_labels(l, sizeof(l), "route", route, "method", method_label(method), "code", code,
                     NULL);
    sp_metric_add(m_requests(), l, 1);
    if (seconds >= 0) {
        sp_metric_labels(l, sizeof(l), "route", route, "code", code, NULL);
        sp_metric_observe(m_duration(), l, seconds);
    }
}

/* ---- answers ------------------------------------------------------------------------ */

/*
 * A shared body also carries the whole response libmicrohttpd sends for it
 * (bytes, Content-Type and the API's headers), built once: a request answered
 * with it only queues that response, which libmicrohttpd allows any number
 * of connections to do at once. The response owns the memory: the last
 * reference dropped destroys it, and libmicrohttpd frees the body when the
 * last connection sending it is done (body_free).
 */
struct sp_http_body {
    atomic_size_t refs;
    struct MHD_Response *resp; /* NULL if it could not be made: built per request then */
    const char *content_type;
    size_t len;
    char data[]; /* len bytes and a NUL */
};

static void api_headers(struct MHD_Response *resp, const char *content_type, bool api,
                        const struct sp_http_req *r);

static void body_free(void *cls)
{
    free(cls);
}

struct sp_http_body *sp_http_body_new(const void *data, size_t len, const char *content_type)
{
    struct sp_http_body *b = sp_malloc(sizeof(*b) + len + 1);
    atomic_init(&b->refs, 1);
    b->content_type = content_type;
    b->len = len;
    if (len)
        memcpy(b->data, data, len);
    b->data[len] = '\0';
    b->resp = MHD_create_response_from_buffer_with_free_callback_cls(len, b->data, body_free, b);
    if (b->resp)
        api_headers(b->resp, content_type, true, NULL);
    return b;
}

struct sp_http_body *sp_http_body_ref(struct sp_http_body *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void sp_http_body_unref(struct sp_http_body *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (b->resp)
        MHD_destroy_response(b->resp); /* body_free() runs once no connection sends it */
    else
        free(b);
}

const char *sp_http_body_data(const struct sp_http_body *b)
{
    return b->data;
}

size_t sp_http_body_len(const struct sp_http_body *b)
{
    return b->len;
}

/* libmicrohttpd's free callback of a response made per request from a shared body. */
static void body_done(void *cls)
{
    sp_http_body_unref(cls);
}

/* Forgets any answer body set so far. */
static void answer_reset(struct sp_http_req *req)
{
    sp_buf_reset(&req->out);
    sp_http_body_unref(req->shared);
    req->shared = NULL;
}

void sp_http_shared(struct sp_http_req *req, int status, struct sp_http_body *body)
{
    answer_reset(req);
    req->status = status;
    req->content_type = body->content_type;
    req->shared = body;
}

void sp_http_json(struct sp_http_req *req, int status, json_t *body)
{
    req->status = status;
    req->content_type = "application/json";
    answer_reset(req);
    if (body) {
        char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(body);
        if (s) {
            sp_buf_adds(&req->out, s);
            sp_buf_adds(&req->out, "\n");
            free(s);
        }
    }
}

void sp_http_error_json(struct sp_buf *out, const char *code, const char *field,
                        const char *message)
{
    json_t *e = json_object(), *o = json_object();
    json_t *m = json_string(message);
    char *s;

    /* a message quoting client bytes that are not UTF-8 falls back to a fixed text */
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", m ? m : json_string("request refused"));
    json_object_set_new(e, "field", json_string(field ? field : ""));
    json_object_set_new(o, "error", e);
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    sp_buf_adds(out, s);
    sp_buf_adds(out, "\n");
    free(s);
}

void sp_http_error(struct sp_http_req *req, int status, const char *code, const char *field,
                   const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    req->status = status;
    req->content_type = "application/json";
    answer_reset(req);
    sp_http_error_json(&req->out, code, field, msg);
    if (!req->audit_detail)
        req->audit_detail = sp_strdup(msg);
}

void sp_http_header(struct sp_http_req *req, const char *name, const char *value)
{
    if (req->n_headers == SP_HTTP_MAX_HEADERS)
        return;
    req->headers[req->n_headers].name = name;
    req->headers[req->n_headers].value = sp_strdup(value);
    req->n_headers++;
}

const char *sp_http_query(struct sp_http_req *req, const char *key)
{
    return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key) : NULL;
}

const char *sp_http_request_header(struct sp_http_req *req, const char *name)
{
    return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

void sp_http_stream(struct sp_http_req *req, const char *content_type,
                    ssize_t (*fn)(void *cls, uint64_t pos, char *buf, size_t max),
                    void (*free_fn)(void *cls), void *cls)
{
    req->status = 200;
    req->content_type = content_type;
    req->stream = fn;
    req->stream_free = free_fn;
    req->stream_cls = cls;
}

/* ---- libmicrohttpd glue ------------------------------------------------------------- */

struct conn_state {
    struct sp_http_req req;
    char *method;
    char *path;
    int64_t start_ms;
    bool too_large;
    bool answered;
    const char *route; /* metrics label */
};

static void req_free(struct conn_state *cs)
{
    struct sp_http_req *r = &cs->req;
    sp_buf_release(&r->body);
    sp_buf_release(&r->out);
    sp_http_body_unref(r->shared);
    for (int i = 0; i < r->n_headers; i++)
        free(r->headers[i].value);
    free(r->audit_store);
    free(r->audit_detail);
    if (r->fd >= 0)
        close(r->fd);
    if (r->stream && r->stream_free)
        r->stream_free(r->stream_cls);
    free(cs->method);
    free(cs->path);
    free(cs);
}

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    snprintf(out, n, "unknown");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/*
 * The headers of every answer: content_type (NULL: JSON), the security
 * headers, Cache-Control (no-store for the API, no-cache for files) unless
 * the handler set its own, then the handler's headers (r may be NULL: none).
 */
static void api_headers(struct MHD_Response *resp, const char *content_type, bool api,
                        const struct sp_http_req *r)
{
    int n = r ? r->n_headers : 0;
    bool own_cache = false;

    MHD_add_response_header(resp, "Content-Type", content_type ? content_type : "application/json");
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    for (int i = 0; i < n; i++)
        own_cache |= strcasecmp(r->headers[i].name, "Cache-Control") == 0;
    if (!own_cache)
        MHD_add_response_header(resp, "Cache-Control", api ? "no-store" : "no-cache");
    for (int i = 0; i < n; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
}

static enum MHD_Result queue(struct sp_http *h, struct MHD_Connection *c, struct conn_state *cs)
{
    struct sp_http_req *r = &cs->req;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    bool api = r->fd < 0 && !r->static_data;
    (void)h;

    if (r->status == 0)
        r->status = 500;
    if (r->shared && r->shared->resp && r->n_headers == 0 &&
        r->content_type == r->shared->content_type) {
        /* the prepared response; the request's reference keeps it until on_completed() */
        ret = MHD_queue_response(c, (unsigned)r->status, r->shared->resp);
        cs->answered = true;
        return ret;
    }
    if (r->stream) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, r->stream, r->stream_cls,
                                                 r->stream_free);
        if (resp)
            r->stream = NULL; /* libmicrohttpd owns stream_cls now */
    } else if (r->static_data) {
        resp = MHD_create_response_from_buffer(r->static_len, (void *)r->static_data,
                                               MHD_RESPMEM_PERSISTENT);
    } else if (r->fd >= 0) {
        resp = MHD_create_response_from_fd64(r->fd_size, r->fd);
        if (resp)
            r->fd = -1; /* closed by libmicrohttpd */
    } else if (r->shared) {
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            r->shared->len, r->shared->data, body_done, r->shared);
        if (resp)
            r->shared = NULL; /* libmicrohttpd's reference now, dropped by body_done */
    } else {
        size_t len = r->out.len;
        char *data = sp_buf_detach(&r->out);
        resp = MHD_create_response_from_buffer(
            len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!resp)
            free(data);
    }
    if (!resp)
        return MHD_NO;
    api_headers(resp, r->content_type, api, r);
    ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    cs->answered = true;
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct sp_http *h = cls;
    struct conn_state *cs = *con_cls;
    (void)version;

    if (!cs) {
        const char *cl;
        cs = sp_calloc(1, sizeof(*cs));
        cs->start_ms = sp_now_ms();
        cs->method = sp_strdup(method);
        cs->path = sp_strdup(url);
        cs->route = "unmatched";
        cs->req.method = cs->method;
        cs->req.path = cs->path;
        cs->req.conn = c;
        cs->req.fd = -1;
        client_ip(c, cs->req.ip, sizeof(cs->req.ip));
        *con_cls = cs;
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->cfg.max_body)
            cs->too_large = true; /* refused below without reading the body */
        else
            return MHD_YES;
    }
    if (*upload_data_size && !cs->too_large) {
        if (cs->req.body.len + *upload_data_size > h->cfg.max_body)
            cs->too_large = true;
        else
            sp_buf_add(&cs->req.body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* discard the rest of a body too large to keep */
        return MHD_YES;
    }
    if (cs->answered)
        return MHD_YES;
    cs->req.too_large = cs->too_large;
    cs->req.max_body = h->cfg.max_body;
    cs->route = h->handle(h->ud, &cs->req);
    return queue(h, c, cs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *cs = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (!cs)
        return;
    if (cs->answered)
        sp_http_observe(cs->route, cs->method, cs->req.status,
                        cs->req.stream_cls ? -1 : (double)(sp_now_ms() - cs->start_ms) / 1000.0);
    req_free(cs);
    *con_cls = NULL;
}

/*
 * Percent-decoding that leaves %00-%1F and %7F encoded, so no control
 * character (NUL, CR, LF) can reach a path or a query value.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    char *w = s;
    (void)cls;
    (void)c;
    for (const char *p = s; *p; p++) {
        unsigned v;
        if (*p == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1 &&
            strchr("0123456789abcdefABCDEF", p[1]) && strchr("0123456789abcdefABCDEF", p[2]) &&
            v >= 0x20 && v != 0x7f) {
            *w++ = (char)v;
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

SP_PRINTF(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    sp_debug(NULL, "http", "%s", msg);
}

enum sp_err sp_http_parse_listen(const char *listen, void *ss, unsigned *len)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char host[128];
    char *end;
    long port;

    if (!colon)
        return sp_fail(SP_E_INVALID, "--listen: '%s' is not host:port", listen ? listen : "");
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return sp_fail(SP_E_INVALID, "--listen: '%s' has no valid port", listen);
    if ((size_t)(colon - listen) >= sizeof(host))
        return sp_fail(SP_E_INVALID, "--listen: '%s' has a host name too long", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    memset(ss, 0, sizeof(struct sockaddr_storage));
    if (host[0] == '[') {
        struct sockaddr_in6 *a6 = ss;
        size_t hl = strlen(host);
        if (hl < 2 || host[hl - 1] != ']')
            return sp_fail(SP_E_INVALID, "--listen: '%s' has an unclosed '['", listen);
        host[hl - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return sp_fail(SP_E_INVALID, "--listen: '%s' is not an IPv6 address", host + 1);
        *len = sizeof(*a6);
        return SP_OK;
    }
    {
        struct sockaddr_in *a4 = ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (!host[0] || strcmp(host, "0.0.0.0") == 0)
            a4->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (strcmp(host, "localhost") == 0)
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return sp_fail(SP_E_INVALID, "--listen: '%s' is not an IPv4 address", host);
        *len = sizeof(*a4);
    }
    return SP_OK;
}

enum sp_err sp_http_start(sp_http_handler_fn handle, void *ud, const struct sp_http_config *cfg,
                          struct sp_http **out)
{
    struct sockaddr_storage ss = {0};
    unsigned len = 0;
    struct sp_http *h;
    const union MHD_DaemonInfo *info;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    enum sp_err err = sp_http_parse_listen(cfg->listen, &ss, &len);

    *out = NULL;
    if (err)
        return err;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h = sp_calloc(1, sizeof(*h));
    h->handle = handle;
    h->ud = ud;
    h->cfg = *cfg;
    if (!h->cfg.max_body)
        h->cfg.max_body = 16384;
    if (!h->cfg.max_connections)
        h->cfg.max_connections = 512;
    m_requests();
    m_duration();
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)((cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 30000) / 1000),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_UNESCAPE_CALLBACK, unescape, h, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, h, MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return sp_fail(SP_E_IO, "unable to listen on '%s' (address in use?)", cfg->listen);
    }
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_LISTEN_FD);
    if (info) {
        struct sockaddr_storage bound = {0};
        socklen_t bl = sizeof(bound);
        if (getsockname(info->listen_fd, (struct sockaddr *)&bound, &bl) == 0) {
            /* sin_port and sin6_port sit at the same offset, after the family */
            in_port_t port;
            memcpy(&port, (const char *)&bound + offsetof(struct sockaddr_in, sin_port),
                   sizeof(port));
            h->port = ntohs(port);
        }
    }
    *out = h;
    return SP_OK;
}

int sp_http_port(const struct sp_http *h)
{
    return h ? h->port : 0;
}

void sp_http_stop(struct sp_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
