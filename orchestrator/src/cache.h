/*
 * A watch-fed cache of one cluster-scoped collection (the Stores): LIST,
 * then WATCH from the list's resourceVersion with bookmarks; resumes a watch
 * the server ended, lists again after a failed watch (the API server went
 * away) or 410 Gone. Readers (the controller, later every API request) read
 * memory only, never the API server.
 *
 * Objects in the cache are immutable jansson trees shared by reference
 * (jansson reference counts are atomic): sp_cache_get() and sp_cache_list()
 * return new references the caller must json_decref() and must not modify.
 */
#ifndef SP_CACHE_H
#define SP_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "kube.h"

struct sp_cache;

/*
 * Subscriber callback, run on the cache's thread without the cache lock held,
 * for type "ADDED", "MODIFIED" or "DELETED" with the object (borrowed).
 * After a relist, every object is reported again (ADDED) and vanished ones
 * DELETED. It must not block for long.
 */
struct sp_cache_subscriber {
    void (*fn)(void *ud, const char *type, const json_t *obj);
    void *ud;
};

/*
 * Creates the cache for path (e.g. SP_STORES_PATH), holding only objects matching
 * label_selector (NULL or "" for all); k is borrowed and must outlive it.
 */
struct sp_cache *sp_cache_new(struct sp_kube *k, const char *path, const char *label_selector);
/* Adds a subscriber; call before sp_cache_start(). At most 8. */
void sp_cache_subscribe(struct sp_cache *c, struct sp_cache_subscriber sub);
/* Starts the list/watch thread. */
SP_MUST enum sp_err sp_cache_start(struct sp_cache *c);
/* Stops the thread (waits for it) and frees everything. */
/*
 * Asks the cache's thread to stop, without waiting (its watch notices within
 * about a second). Stopping many caches first and freeing them after takes
 * about a second in all, not a second each.
 */
void sp_cache_stop(struct sp_cache *c);
void sp_cache_free(struct sp_cache *c);

/*
 * True while the cache is in sync: a LIST has been loaded and no watch has
 * failed since (false from a failed watch until the next LIST succeeds).
 */
bool sp_cache_synced(struct sp_cache *c);
/* Waits until synced, at most timeout_ms; returns sp_cache_synced(). */
bool sp_cache_wait_synced(struct sp_cache *c, int64_t timeout_ms);
/* The object named name (new shared read-only reference) or NULL. */
json_t *sp_cache_get(struct sp_cache *c, const char *name);
/* All objects as a new array of shared read-only references, sorted by name. */
json_t *sp_cache_list(struct sp_cache *c);
size_t sp_cache_count(struct sp_cache *c);

#endif
