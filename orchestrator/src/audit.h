/*
 * The audit log: one JSON object per mutating API request (and per
 * credentials read) with time, user, source IP, action, store, result and
 * HTTP status. Each line goes to stdout and, when configured, is appended to
 * a file; the last entries stay in a bounded in-memory ring that
 * GET /api/v1/audit and a store's activity read. Never pass secrets.
 *
 * Entries in the ring are immutable jansson objects shared by reference;
 * sp_audit_list() returns new references. Thread-safe (one mutex, which also
 * keeps lines from interleaving).
 */
#ifndef SP_AUDIT_H
#define SP_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct sp_audit_rec {
    int64_t time_ms;  /* wall clock; 0: now */
    const char *user; /* NULL: not authenticated */
    const char *ip;
    const char *action; /* "store.create", "store.delete", "store.retry", ... */
    const char *store;  /* NULL when none */
    int status;         /* HTTP status answered */
    const char *detail; /* error message or NULL */
};

struct sp_audit;

/*
 * Creates the log: lines go to out (borrowed, may be NULL) and to path when
 * not NULL (opened for appending, created 0600); the ring keeps ring_size entries.
 */
SP_MUST enum sp_err sp_audit_new(FILE *out, const char *path, size_t ring_size,
                                 struct sp_audit **res);
void sp_audit_free(struct sp_audit *a);

void sp_audit_record(struct sp_audit *a, const struct sp_audit_rec *rec);

/*
 * The newest entries (at most limit, oldest first) as a new array; store
 * and user (either may be NULL) keep only the entries that match.
 */
json_t *sp_audit_list(struct sp_audit *a, const char *store, const char *user, size_t limit);

/* "success" for 2xx, "denied" for 401/403/404/409/429, "error" otherwise. */
const char *sp_audit_result(int status);

#endif
