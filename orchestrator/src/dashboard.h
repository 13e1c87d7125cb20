/*
 * The dashboard's static files, answered for every path outside /api/ and
 * the probes: compiled-in assets (hashed names cached for a year,
 * index.html revalidated with its ETag, gzip when the client takes it), or
 * files of a directory given with --dashboard-dir.
 */
#ifndef SP_DASHBOARD_H
#define SP_DASHBOARD_H

#include "http.h"

/* Answers r (GET or HEAD) with the file its path names; dir NULL or "": the compiled-in files. */
void sp_dashboard_serve(const char *dir, struct sp_http_req *r);

/* Content-Type for a file name by its extension (static string). */
const char *sp_dashboard_mime(const char *path);

#endif
