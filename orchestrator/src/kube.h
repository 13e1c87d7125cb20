/*
 * A small Kubernetes API client over libcurl: JSON requests (GET, LIST with
 * label selectors, CREATE, merge and JSON PATCH including the status
 * subresource, DELETE with a propagation policy) and WATCH streams.
 *
 * Every call is rate limited (token bucket: qps, burst) and has a timeout.
 * A non-2xx answer is mapped to enum sp_err from its HTTP code (404 NOTFOUND,
 * 409 CONFLICT, 410 GONE, 401/403 FORBIDDEN, 400/422 INVALID, other API) and
 * the detail message carries the server's own Status message. 429 answers are
 * retried after their Retry-After (at most 3 times).
 *
 * Thread-safe: any thread may call any function on one struct sp_kube; each
 * thread keeps its own libcurl handle so connections are reused.
 */
#ifndef SP_KUBE_H
#define SP_KUBE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "err.h"
#include "kubeconfig.h"

struct sp_kube;

struct sp_kube_options {
    double qps;      /* requests per second on average; <= 0 means unlimited */
    int burst;       /* requests allowed at once above qps */
    long timeout_ms; /* per request (watches use their own) */
};

/* Takes ownership of *cfg (which is zeroed) and returns a client in *out. */
SP_MUST enum sp_err sp_kube_new(struct sp_kubeconfig *cfg, const struct sp_kube_options *opt,
                                struct sp_kube **out);
void sp_kube_free(struct sp_kube *k);
/* The configuration in use (owned by k). */
const struct sp_kubeconfig *sp_kube_config(const struct sp_kube *k);

/*
 * Bounds every request the calling thread makes from now on (watches excepted):
 * it ends by deadline_ms (sp_now_ms() clock), and fails at once with
 * SP_E_TIMEOUT when that has passed; 0 removes the bound, leaving the client's
 * timeout. For a thread that must act by a time whatever the API server does:
 * a leader that cannot renew steps down by its renew deadline, a probe answers.
 */
void sp_kube_thread_deadline(int64_t deadline_ms);

/*
 * One request. path starts with "/api" or "/apis" and may carry a query.
 * body is borrowed and may be NULL; content_type NULL means JSON. On success
 * *out (if out is not NULL) receives a new reference to the decoded answer,
 * or NULL for an empty answer. On failure *out is NULL.
 */
SP_MUST enum sp_err sp_kube_request(struct sp_kube *k, const char *method, const char *path,
                                    const char *content_type, const json_t *body, json_t **out);

SP_MUST enum sp_err sp_kube_get(struct sp_kube *k, const char *path, json_t **out);
SP_MUST enum sp_err sp_kube_create(struct sp_kube *k, const char *path, const json_t *body,
                                   json_t **out);
SP_MUST enum sp_err sp_kube_replace(struct sp_kube *k, const char *path, const json_t *body,
                                    json_t **out);
SP_MUST enum sp_err sp_kube_merge_patch(struct sp_kube *k, const char *path, const json_t *patch,
                                        json_t **out);
SP_MUST enum sp_err sp_kube_json_patch(struct sp_kube *k, const char *path, const json_t *ops,
                                       json_t **out);
/* propagation: "Background", "Foreground", "Orphan" or NULL for the server's default. */
SP_MUST enum sp_err sp_kube_delete(struct sp_kube *k, const char *path, const char *propagation,
                                   json_t **out);

/*
 * Streams a watch of path (a collection URL without query) from
 * resource_version with bookmarks, for at most timeout_s seconds. Calls
 * cb(ud, type, object) for every event (ADDED, MODIFIED, DELETED, BOOKMARK),
 * object borrowed for the call; a non-zero return from cb ends the watch
 * with SP_OK. Returns SP_OK when the server ends the stream, SP_E_GONE when
 * the resource version is too old (relist), SP_E_STOPPED when *stop became
 * true, or another error.
 */
SP_MUST enum sp_err sp_kube_watch(struct sp_kube *k, const char *path, const char *label_selector,
                                  const char *resource_version, int timeout_s,
                                  int (*cb)(void *ud, const char *type, json_t *object), void *ud,
                                  const atomic_bool *stop);

/* Returns a URL-escaped copy of s for a query value (caller frees). */
char *sp_kube_escape(const char *s);

#endif
