/*
 * The controller loop: feeds the work queue from the Store cache (every
 * add, change and delete), from a periodic resync of every cached Store
 * (level-triggered: a missed event is repaired at the next resync) and from
 * reconcile's own requests to look again; runs N workers that call
 * sp_reconcile() for one name at a time each; retries errors with
 * exponential back-off. With a lease, workers only take work while this
 * replica is the leader; on becoming leader every Store is queued.
 * It also publishes the controller's gauges (stores by phase, queue depth).
 */
#ifndef SP_CONTROLLER_H
#define SP_CONTROLLER_H

#include <stdint.h>

#include "cache.h"
#include "err.h"
#include "lease.h"
#include "reconcile.h"

struct sp_controller_config {
    int workers;            /* default 4 */
    int64_t resync_ms;      /* default 5 min */
    int64_t backoff_ms;     /* first retry delay, default 1 s */
    int64_t backoff_cap_ms; /* default 5 min */
};

struct sp_controller;

/*
 * Creates the controller and subscribes it to cache (call before the cache
 * starts). r and cache are borrowed and must outlive it.
 */
struct sp_controller *sp_controller_new(struct sp_reconciler *r, struct sp_cache *cache,
                                        const struct sp_controller_config *cfg);
/* Starts the workers and the resync thread. lease may be NULL (always leader). */
SP_MUST enum sp_err sp_controller_start(struct sp_controller *c, struct sp_lease *lease);
/* The lease callback: pass it with the controller as ud to sp_lease_start(). */
void sp_controller_on_leader(void *ud, bool leader);
/* Stops the workers (a running reconcile finishes first) and frees the controller. */
void sp_controller_free(struct sp_controller *c);

#endif
