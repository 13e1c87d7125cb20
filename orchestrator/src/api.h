/*
 * The API's shared state and its route tables: struct sp_api is everything a
 * handler may use (all borrowed from main except what sp_api_new() creates),
 * and each api_*.c file exports one route table (see struct sp_route in
 * http.h), in the manner of tmux's cmd-*.c.
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
void sp_api_shutdown(struct sp_api *api);
/* Frees it; after the server stopped and the cache was freed. */
void sp_api_free(struct sp_api *api);

/* The API's view of a Store object (borrowed): a new object. */
json_t *sp_api_store_view(const json_t *obj);
/* The owner (spec.owner) of a Store object, or NULL. */
const char *sp_api_store_owner(const json_t *obj);
/* Whether user may see the Store object: the owner or an admin. */
bool sp_api_may_see(const struct sp_user *user, const json_t *obj);

/* Route tables. */
extern const struct sp_route sp_api_stores_routes[];
extern const struct sp_route sp_api_me_routes[];
extern const struct sp_route sp_api_events_routes[];
extern const struct sp_route sp_api_audit_routes[];
extern const struct sp_route sp_api_health_routes[];

/* The SSE hub (api_events.c). */
struct sp_events *sp_events_new(int64_t heartbeat_ms);
void sp_events_stop(struct sp_events *ev);
void sp_events_free(struct sp_events *ev);
/* The cache subscriber callback; ud is the hub. */
void sp_events_on_change(void *ud, const char *type, const json_t *obj);
/*
 * Appends one SSE frame to out: "id:", "event:" (each left out when NULL) and
 * data split into one "data:" line per line, then a blank line.
 */
void sp_sse_frame(struct sp_buf *out, const char *id, const char *event, const char *data);

#endif
