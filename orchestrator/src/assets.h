/*
 * The dashboard's files compiled into the orchestrator: the contract between
 * the generated table (dashboard/embed.sh writes it from dashboard/dist/ at
 * build time) and the HTTP server that serves it.
 *
 * Paths have no leading slash ("index.html", "assets/app-J4RL6NEJ.js");
 * sp_asset_find() accepts them with or without one and maps "" and "/" to
 * "index.html". Everything is static, read-only data: no allocation, no
 * locking, safe from any thread.
 *
 * Caching: an immutable asset has a content hash in its name (everything
 * under assets/), so it may be cached for a year
 * ("Cache-Control: public, max-age=31536000, immutable"); the others
 * (index.html) must be revalidated ("Cache-Control: no-cache") and carry an
 * ETag for a cheap 304.
 */
#ifndef SP_ASSETS_H
#define SP_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

struct sp_asset {
    const char *path;          /* no leading slash */
    const unsigned char *data; /* len bytes, followed by a NUL not counted in len */
    size_t len;
    const unsigned char *gzip; /* gzip -9 of data, or NULL when that is not smaller */
    size_t gzip_len;
    const char *content_type; /* e.g. "text/javascript; charset=utf-8" */
    const char *etag;         /* quoted strong ETag: "\"<16 hex digits of SHA-256>\"" */
    bool immutable;           /* content-hashed name: cache for a year */
};

/* The asset at path, or NULL. Never matches a path with a "." or ".." segment. */
const struct sp_asset *sp_asset_find(const char *path);
/* How many assets are compiled in (0 when the dashboard was not built). */
size_t sp_asset_count(void);
/* The i-th asset in path order (i < sp_asset_count()), for listing and tests. */
const struct sp_asset *sp_asset_at(size_t i);

#endif
