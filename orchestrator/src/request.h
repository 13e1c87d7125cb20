/*
 * What API clients send, parsed and judged before anything else happens:
 * the body of POST /api/v1/stores (strict JSON: bounded nesting, only known
 * fields, each with its type and rule), store names (DNS-1123 label, length,
 * reserved words) and request paths (split into segments, refusing empty,
 * "." and ".." segments and control characters).
 *
 * Nothing here talks to the network or keeps state, so the fuzzer
 * (fuzz/fuzz_request.c) drives these functions directly.
 *
 * Errors: every function returns enum sp_err (SP_E_INVALID for anything the
 * client got wrong) with the detail in sp_errmsg() naming the field and the
 * rule; struct sp_req_error adds the machine-readable code and field for the
 * API's {"error":{"code","message","field"}} answer. Both are static strings.
 */
#ifndef SP_REQUEST_H
#define SP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "store.h"
#include "err.h"

#define SP_REQ_MAX_DEPTH    8    /* nesting of objects and arrays in a body */
#define SP_REQ_MAX_PATH     1024 /* bytes of a request path */
#define SP_REQ_MAX_SEGMENTS 16
#define SP_DISPLAY_NAME_MAX 100 /* characters, as the CRD's maxLength */

struct sp_req_error {
    const char *code;  /* "invalid_json", "unknown_field", "invalid", "reserved_name", ... */
    const char *field; /* "name", "plan.requests.cpu", ... or "" for the body as a whole */
};

/* A validated create request; every string owned (sp_create_req_release()). */
struct sp_create_req {
    char *name;
    /* the Store's spec as asked; spec.owner is NULL (the API sets the caller),
     * spec.size "small" when not given */
    struct sp_store_spec spec;
};

/*
 * Parses and validates a create body of len bytes (need not be
 * NUL-terminated). engines (borrowed) lists the allowed engines and their
 * sizes. On failure out is left empty and e says which field broke which rule.
 */
SP_MUST enum sp_err sp_create_req_parse(const char *body, size_t len,
                                        const struct sp_engines *engines, struct sp_create_req *out,
                                        struct sp_req_error *e);
void sp_create_req_release(struct sp_create_req *r);

/* The Store object to create for owner: a new reference. */
json_t *sp_create_req_store(const struct sp_create_req *r, const char *owner);

/*
 * Whether the existing Store object obj (borrowed) is what this request by
 * owner would create: same owner, engine, display name and plan. This is what
 * makes a repeated create safe (200) rather than a conflict (409).
 */
bool sp_create_req_matches(const struct sp_create_req *r, const char *owner, const json_t *obj);

/* Checks a store name: sp_store_validate_name() plus the reserved words. */
SP_MUST enum sp_err sp_api_name_check(const char *name, struct sp_req_error *e);
/* True when name is reserved for the platform's own hosts (api, www, ...). */
bool sp_name_reserved(const char *name);

/*
 * Checks that the JSON text nests objects and arrays at most max_depth deep,
 * without parsing it (brackets inside strings do not count). Run before
 * jansson so a deeply nested body costs nothing.
 */
SP_MUST enum sp_err sp_json_depth_check(const char *s, size_t n, int max_depth);

/*
 * A request path split into segments: "/api/v1/stores/a" has 4 segments
 * "api", "v1", "stores", "a" pointing into buf. A trailing slash is ignored.
 */
struct sp_path {
    char buf[SP_REQ_MAX_PATH + 1];
    const char *seg[SP_REQ_MAX_SEGMENTS];
    int n;
};

/*
 * Splits path (already percent-decoded). Refuses a path not starting with
 * '/', longer than SP_REQ_MAX_PATH, with more than SP_REQ_MAX_SEGMENTS
 * segments, an empty, "." or ".." segment, or a control character.
 */
SP_MUST enum sp_err sp_path_split(const char *path, struct sp_path *out);

#endif
