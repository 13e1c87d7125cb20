/*
 * The dashboard's files (see dashboard.h): compiled in (assets.h, built by
 * dashboard/embed.sh) or, with --dashboard-dir, read from a directory
 * without following links or showing hidden files.
 */
#include "dashboard.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assets.h"
#include "request.h"

const char *sp_dashboard_mime(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Whether an Accept-Encoding value allows gzip ("gzip;q=0" refuses it). */
static bool accepts_gzip(const char *ae)
{
    const char *p = ae ? strcasestr(ae, "gzip") : NULL;
    if (!p)
        return false;
    p += 4;
    while (*p == ' ')
        p++;
    if (*p != ';')
        return true;
    p = strchr(p, '=');
    return !p || strtod(p + 1, NULL) > 0;
}

/*
 * A dashboard file compiled into the binary (dashboard/embed.sh, assets.h):
 * hashed names cached for a year, index.html revalidated with its ETag, the
 * gzip copy for clients that take it.
 */
static void serve_asset(struct sp_http_req *r, const char *rel)
{
    const struct sp_asset *a = sp_asset_find(rel);
    const char *inm;
    char tag[48];
    bool gz;

    if (!a) {
        if (sp_asset_count() == 0)
            sp_http_error(r, 404, "not_found", NULL,
                          "the dashboard was not compiled in (build dashboard/ first) and no "
                          "--dashboard-dir was given");
        else
            sp_http_error(r, 404, "not_found", NULL, "no such page");
        return;
    }
    gz = a->gzip && accepts_gzip(sp_http_request_header(r, "Accept-Encoding"));
    /* each encoding is its own representation: "<hash>" or "<hash>-gz" */
    snprintf(tag, sizeof(tag), "%.*s%s\"", (int)strlen(a->etag) - 1, a->etag, gz ? "-gz" : "");
    r->content_type = a->content_type;
    sp_http_header(r, "Cache-Control",
                   a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    sp_http_header(r, "ETag", tag);
    if (a->gzip)
        sp_http_header(r, "Vary", "Accept-Encoding");
    inm = sp_http_request_header(r, "If-None-Match");
    if (inm && strstr(inm, tag)) {
        r->status = 304;
        return;
    }
    r->status = 200;
    if (gz)
        sp_http_header(r, "Content-Encoding", "gzip");
    r->static_data = gz ? a->gzip : a->data;
    r->static_len = gz ? a->gzip_len : a->len;
}

void sp_dashboard_serve(const char *dir, struct sp_http_req *r)
{
    char rel[SP_REQ_MAX_PATH + 16];
    size_t n = 0;
    struct stat st;
    int dirfd, fd;

    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        sp_http_header(r, "Allow", "GET, HEAD");
        sp_http_error(r, 405, "method_not_allowed", NULL, "%s is not allowed here", r->method);
        return;
    }
    rel[0] = '\0';
    for (int i = 0; i < r->segs.n; i++) {
        if (r->segs.seg[i][0] == '.') { /* no hidden files */
            sp_http_error(r, 404, "not_found", NULL, "no such page");
            return;
        }
        n += (size_t)snprintf(rel + n, sizeof(rel) - n, "%s%s", i ? "/" : "", r->segs.seg[i]);
    }
    if (r->segs.n == 0)
        snprintf(rel, sizeof(rel), "index.html");
    if (!dir || !*dir) {
        serve_asset(r, rel);
        return;
    }
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        sp_http_error(r, 404, "not_found", NULL, "no such page");
        return;
    }
    fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(dirfd);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        sp_http_error(r, 404, "not_found", NULL, "no such page");
        return;
    }
    r->status = 200;
    r->content_type = sp_dashboard_mime(rel);
    r->fd = fd;
    r->fd_size = (uint64_t)st.st_size;
}
