/*
 * Watches of the objects in one store's namespace while the controller waits
 * for them (a store provisioning, a chart rollout): one watch-fed cache
 * (cache.h) per collection the readiness checks read (jobs, volume claims,
 * deployments, stateful sets, pods). Every change the API server reports
 * "kicks" the store (a callback that queues it), so the controller looks
 * again when the cluster moves instead of at its next poll, and the checks
 * read the cached lists instead of listing five collections per look.
 *
 * A watch lives while somebody wants it: sp_nswatch_want() starts it or
 * extends it by ttl_ms; after that it stops by itself (so a lost leader or a
 * forgotten store never leaks one). sp_nswatch_drop() stops it at once.
 * Caches are stopped and freed on a reaper thread, so no caller waits for a
 * stream to close.
 *
 * Freshness: a cache is loaded with a LIST when it starts. Callers that
 * change the namespace's objects (helm) drop the store's watch first and
 * want it after, so a cache never predates the change it is asked about.
 *
 * Thread-safe: every function may be called from any thread.
 */
#ifndef SP_NSWATCH_H
#define SP_NSWATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kube.h"

struct sp_nswatch;

/*
 * The one kick callback type: asks the controller to reconcile store soon.
 * It must not block; it may be called from any thread (the namespace
 * caches call it on their threads for every change in a watched namespace,
 * the reconciler when a freed slot makes it a waiter's turn).
 */
typedef void (*sp_kick_fn)(void *ud, const char *store);

/*
 * k is borrowed and must outlive the result; kick may be NULL (caches only).
 * NULL when its thread cannot start (the caller then polls).
 */
struct sp_nswatch *sp_nswatch_new(struct sp_kube *k, sp_kick_fn kick, void *ud);

/* Stops every watch (waits for their threads) and frees w; NULL is allowed. */
void sp_nswatch_free(struct sp_nswatch *w);

/* Watches namespace ns for store from now until at least ttl_ms from now. */
void sp_nswatch_want(struct sp_nswatch *w, const char *store, const char *ns, int64_t ttl_ms);

/* Stops the store's watch, if any. */
void sp_nswatch_drop(struct sp_nswatch *w, const char *store);

/*
 * The items of collection `kind` ("pods", "jobs", ...; api is "/api/v1",
 * "/apis/apps/v1" or "/apis/batch/v1") in the store's watched namespace, as a
 * new array of shared read-only references; NULL when the store is not
 * watched, the collection is not one this module watches, or its cache has
 * not loaded yet (the caller lists from the API server then).
 */
json_t *sp_nswatch_items(struct sp_nswatch *w, const char *store, const char *api,
                         const char *kind);

/* Stores watched now. */
size_t sp_nswatch_count(struct sp_nswatch *w);

#endif
