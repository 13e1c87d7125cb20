/*
 * The HTTP server of the API and the dashboard, on GNU libmicrohttpd: one
 * thread per connection (simple blocking handlers, and Server-Sent Events
 * streams that just wait), bounded by a connection limit.
 *
 * The server knows no routes: every request goes to the one handler given
 * to sp_http_start() (the API's pipeline, api_routes.c), and the server
 * adds the security headers and records the request metrics.
 *
 * Handlers fill struct sp_http_req's answer through sp_http_json(),
 * sp_http_error() and sp_http_header(); they never touch libmicrohttpd
 * except sp_http_stream() for a streamed body. Every error answer is
 * {"error":{"code","message","field"}}.
 */
#ifndef SP_HTTP_H
#define SP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth.h"
#include "err.h"
#include "request.h"
#include "util.h"

struct MHD_Connection;

/*
 * An answer body built once and sent by many requests (a rendered list):
 * immutable, reference counted with atomic counts, freed after the last
 * sp_http_body_unref() once no connection is sending it. It comes with its
 * libmicrohttpd response (its bytes, Content-Type and the API's headers)
 * made once, so a request answered with it allocates and copies nothing.
 */
struct sp_http_body;

/*
 * A body holding a copy of data, sent as content_type (a static string);
 * the caller owns the one reference.
 */
struct sp_http_body *sp_http_body_new(const void *data, size_t len, const char *content_type);
/* Takes another reference; returns b. */
struct sp_http_body *sp_http_body_ref(struct sp_http_body *b);
/* Drops a reference (NULL is ignored). */
void sp_http_body_unref(struct sp_http_body *b);
/* Its bytes (NUL-terminated, valid while a reference is held) and their number. */
const char *sp_http_body_data(const struct sp_http_body *b);
size_t sp_http_body_len(const struct sp_http_body *b);

#define SP_HTTP_MAX_HEADERS 4

/* One request and its answer; owned by the server for the connection's request. */
struct sp_http_req {
    /* set by the server before the handler runs; read-only for handlers */
    const char *method;
    const char *path;    /* decoded path, no query */
    struct sp_path segs; /* path split into segments */
    const char *name;    /* the {name} segment of the route, or NULL */
    char ip[64];         /* client address */
    struct sp_user user; /* the caller, when authenticated */
    bool authenticated;
    struct sp_buf body; /* the request body (NUL-terminated when non-empty) */
    bool too_large;     /* the body was over max_body and was not kept */
    size_t max_body;
    struct MHD_Connection *conn;

    /* the answer, set by the handler */
    int status;
    struct sp_buf out;
    struct sp_http_body *shared; /* sent instead of out when set (a reference, owned) */
    const char *content_type;    /* static string; default application/json */
    struct {
        const char *name; /* static string */
        char *value;      /* owned */
    } headers[SP_HTTP_MAX_HEADERS];
    int n_headers;
    char *audit_store;  /* store named in the audit line (owned), or NULL */
    char *audit_detail; /* owned, or NULL */
    /* streamed answer (sp_http_stream), or fd of a static file (-1 none) */
    ssize_t (*stream)(void *cls, uint64_t pos, char *buf, size_t max);
    void (*stream_free)(void *cls);
    void *stream_cls;
    int fd;
    uint64_t fd_size;
    /* a compiled-in dashboard file (static data, never freed), or NULL */
    const unsigned char *static_data;
    size_t static_len;
};

/* Answers status with body (stolen; NULL for an empty body). */
void sp_http_json(struct sp_http_req *req, int status, json_t *body);
/*
 * Answers status with a shared body (the caller's reference is stolen). With
 * no header added by sp_http_header(), the body's prepared response is sent.
 */
void sp_http_shared(struct sp_http_req *req, int status, struct sp_http_body *body);
/* Answers an error; field may be NULL or "". message is a format. */
void sp_http_error(struct sp_http_req *req, int status, const char *code, const char *field,
                   const char *fmt, ...) SP_PRINTF(5, 6);
/* Renders the error object into out (for tests and the fuzzer). */
void sp_http_error_json(struct sp_buf *out, const char *code, const char *field,
                        const char *message);
/* Adds a header to the answer (name static, value copied). */
void sp_http_header(struct sp_http_req *req, const char *name, const char *value);
/* A query-string argument, or NULL. */
const char *sp_http_query(struct sp_http_req *req, const char *key);
/* A request header, or NULL. */
const char *sp_http_request_header(struct sp_http_req *req, const char *name);
/*
 * Answers 200 with a body produced by fn (libmicrohttpd's content reader
 * contract: return bytes written, or -1 to end); free_fn(cls) runs when the
 * connection is done, whether or not fn ever ran.
 */
void sp_http_stream(struct sp_http_req *req, const char *content_type,
                    ssize_t (*fn)(void *cls, uint64_t pos, char *buf, size_t max),
                    void (*free_fn)(void *cls), void *cls);

struct sp_http_config {
    const char *listen;         /* "host:port", ":port", "[v6]:port"; port 0 picks one */
    size_t max_body;            /* bytes */
    int64_t request_timeout_ms; /* idle connection timeout */
    unsigned max_connections;
};

struct sp_http;

/*
 * The one handler of every request, called in the connection's thread once
 * the body is read (r->too_large set instead when it was over the limit):
 * it answers r through sp_http_json(), sp_http_error() and the like, and
 * returns the label of the route for the request metrics (a static string).
 */
typedef const char *(*sp_http_handler_fn)(void *ud, struct sp_http_req *r);

/* Starts serving with handle(ud, ...) (ud borrowed, must outlive the server). */
SP_MUST enum sp_err sp_http_start(sp_http_handler_fn handle, void *ud,
                                  const struct sp_http_config *cfg, struct sp_http **out);
/* The port actually bound (useful with port 0). */
int sp_http_port(const struct sp_http *h);
/* Stops accepting, ends every connection and frees the server. */
void sp_http_stop(struct sp_http *h);

/* Parses a --listen value into a socket address. */
SP_MUST enum sp_err sp_http_parse_listen(const char *listen, void *sockaddr_storage, unsigned *len);

/* Records one answered request in the HTTP metrics. */
void sp_http_observe(const char *route, const char *method, int status, double seconds);

#endif
