/*
 * Store views (what clients see of a Store), rendered views and list answers
 * (api_views.c), so that reading the stores costs no JSON work while nothing
 * changes.
 *
 * Views: the compact JSON of sp_api_store_view(), kept per Store name and
 * resourceVersion so each version is rendered once. sp_api_views_append()
 * appends obj's view to out (obj borrowed). A list pass:
 * e = sp_api_views_begin(); append or touch every object of the cache;
 * sp_api_views_sweep(e) then drops the names that pass did not see (unless
 * another pass began meanwhile) and returns how many are kept.
 *
 * List answers: whole GET /api/v1/stores bodies, built once per cache
 * generation and per key (everyone's stores for admins or one user's, and
 * the owner filter), then shared by reference (struct sp_http_body) by every
 * request with that key until the generation moves. The generation moves on
 * every change the cache reports (sp_api_views_on_change, a cache
 * subscriber) and on sp_api_views_invalidate(), which a handler calls when
 * it has seen its own write in the cache and its client's next list must
 * show it (the cache applies a change before it tells its subscribers).
 *
 * Every function is thread-safe.
 */
#ifndef SP_API_VIEWS_H
#define SP_API_VIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "util.h"

/*
 * What clients see of a cached Store object: a new object built from
 * references to the cached (immutable) values, so listing many stores copies
 * no strings. Pending when the controller has not looked yet, Deleting once
 * a deletionTimestamp is set.
 */
json_t *sp_api_store_view(const json_t *obj);
/* spec.owner of a Store object (borrowed), or NULL. */
const char *sp_api_store_owner(const json_t *obj);
/* Whether user may see the Store obj (admins see all; NULL obj: no). */
bool sp_api_may_see(const struct sp_user *user, const json_t *obj);

struct sp_api_views;
struct sp_http_body;

struct sp_api_views *sp_api_views_new(void);
void sp_api_views_free(struct sp_api_views *vs);

void sp_api_views_append(struct sp_api_views *vs, const json_t *obj, struct sp_buf *out);
void sp_api_views_touch(struct sp_api_views *vs, const json_t *obj);
uint64_t sp_api_views_begin(struct sp_api_views *vs);
size_t sp_api_views_sweep(struct sp_api_views *vs, uint64_t epoch);
size_t sp_api_views_count(struct sp_api_views *vs);

/* The key of a list answer: whose stores (all, or user's) and the owner filter (NULL: none). */
struct sp_api_list_key {
    bool all;
    const char *user;  /* when !all */
    const char *owner; /* ?owner=, or NULL */
};

/*
 * The list answer for key at the current generation (a new reference the
 * caller must sp_http_body_unref()), or NULL; *gen is set to the generation
 * either way, to pass to sp_api_views_list_put() with the body built on a miss.
 */
struct sp_http_body *sp_api_views_list_get(struct sp_api_views *vs,
                                           const struct sp_api_list_key *key, uint64_t *gen);
/*
 * Keeps body (the caller's reference is stolen) as the answer for key,
 * built from the cache as read after generation gen was taken. Answers of
 * older generations are replaced; memory is bounded (least recently used
 * answers go first, and an answer too large is not kept).
 */
void sp_api_views_list_put(struct sp_api_views *vs, const struct sp_api_list_key *key, uint64_t gen,
                           struct sp_http_body *body);
/* Makes every list answer stale. */
void sp_api_views_invalidate(struct sp_api_views *vs);
/* Cache subscriber (ud: the views): any change makes every list answer stale. */
void sp_api_views_on_change(void *ud, const char *type, const json_t *obj);
/* List answers kept (for tests). */
size_t sp_api_views_list_count(struct sp_api_views *vs);

#endif
