/*
 * The API's shared state and its route tables: struct sp_api is everything a
 * handler may use (all borrowed from main except what sp_api_new() creates),
 * and each api_*.c file exports one route table (struct sp_route below), in
 * the manner of tmux's cmd-*.c, listed in one table in api_routes.c.
 *
 * Reads are served from the watch-fed cache only; writes go to the API
 * server as Store objects, so replicas share no state (rate-limit buckets and
 * the audit ring are per replica).
 */
#ifndef SP_API_H
#define SP_API_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_views.h"
#include "audit.h"
#include "auth.h"
#include "cache.h"
#include "engine.h"
#include "http.h"
#include "kube.h"
#include "ratelimit.h"

struct sp_events;
struct sp_api;

/* Route flags. */
#define SP_ROUTE_AUTH  1u /* needs a valid bearer token */
#define SP_ROUTE_ADMIN 2u /* needs the admin role (403 otherwise) */
#define SP_ROUTE_WRITE 4u /* rate limited and audited */
#define SP_ROUTE_AUDIT 8u /* audited although not a write (credentials reads) */

/*
 * One route. pattern segments are literal except "{name}", which matches one
 * segment made available as req->name. The pattern is also the metrics label.
 * Tables end with an entry whose method is NULL.
 */
struct sp_route {
    const char *method;
    const char *pattern;
    void (*fn)(struct sp_api *api, struct sp_http_req *req);
    unsigned flags;
    const char *action; /* audit action for SP_ROUTE_WRITE/SP_ROUTE_AUDIT */
};

struct sp_api_config {
    const char *tokens_file;      /* NULL: nobody can authenticate */
    const char *dashboard_dir;    /* NULL: no static files */
    const char *audit_file;       /* NULL: stdout only */
    const char *controller_class; /* stamped on created Stores (SP_CLASS_LABEL); NULL: none */
    int max_stores_per_user;
    double rate_user; /* writes per second per user; 0: off */
    double rate_ip;   /* writes per second per client address; 0: off */
    int rate_burst;
    int64_t heartbeat_ms;   /* SSE heartbeat period */
    int64_t create_wait_ms; /* how long a create waits to see its Store in the cache */
};

struct sp_api {
    struct sp_api_config cfg;
    struct sp_kube *kube;             /* borrowed */
    struct sp_cache *cache;           /* borrowed */
    const struct sp_engines *engines; /* borrowed */
    struct sp_auth *auth;
    struct sp_ratelimit *rl_user, *rl_ip;
    struct sp_audit *audit;
    struct sp_events *events;    /* the SSE hub, fed by the cache */
    struct sp_api_views *views;  /* rendered store views (api_views.c) */
    pthread_mutex_t create_lock; /* serialises quota check + create in this replica */
    pthread_mutex_t ready_lock;  /* guards the two fields below */
    int64_t ready_checked_ms;
    bool api_reachable;
};

/*
 * Creates the API state and subscribes its event hub and its views to cache (call before
 * sp_cache_start()). kube, cache and engines are borrowed.
 */
SP_MUST enum sp_err sp_api_new(const struct sp_api_config *cfg, struct sp_kube *kube,
                               struct sp_cache *cache, const struct sp_engines *engines,
                               struct sp_api **out);
/* Ends SSE streams (call before stopping the server). */
void sp_api_stop(struct sp_api *api);
/* Frees it; after the server stopped and the cache was freed. */
void sp_api_free(struct sp_api *api);

/*
 * The one handler the HTTP server calls (sp_http_handler_fn, ud: the API):
 * the request pipeline over the route tables below (api_routes.c); returns
 * the route's pattern, "static" or "unmatched" for the metrics.
 */
const char *sp_api_handle(void *ud, struct sp_http_req *r);

/* Route tables. */
extern const struct sp_route sp_api_stores_routes[];
extern const struct sp_route sp_api_me_routes[];
extern const struct sp_route sp_api_events_routes[];
extern const struct sp_route sp_api_audit_routes[];
extern const struct sp_route sp_api_health_routes[];
extern const struct sp_route sp_api_metrics_routes[];

#endif
