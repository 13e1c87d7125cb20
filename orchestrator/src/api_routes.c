/*
 * The API's request pipeline and route table (the one handler http.c
 * calls, see sp_api_handle() in api.h). A request goes: path check
 * (sp_path_split) -> route lookup in the tables the api_*.c files export
 * (tmux's cmd_table in cmd.c is the model) -> bearer token (401 with
 * WWW-Authenticate) -> role -> per-IP then per-user token bucket for writes
 * (429 with Retry-After) -> body limit (413) -> the route's handler -> the
 * audit line for writes and credentials reads. Paths outside /api/ and the
 * probes are the dashboard's files (dashboard.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "dashboard.h"
#include "metrics.h"
#include "util.h"

/* Every route of the API, looked up in this order. */
static const struct sp_route *const tables[] = {
    sp_api_stores_routes,
    sp_api_me_routes,
    sp_api_events_routes,
    sp_api_audit_routes,
    sp_api_health_routes,
    sp_api_metrics_routes,
    NULL,
};

/* Whether pattern matches the request's segments; sets r->name for "{name}". */
static bool match(const char *pattern, struct sp_http_req *r)
{
    struct sp_path p;
    if (sp_path_split(pattern, &p) != SP_OK || p.n != r->segs.n)
        return false;
    for (int i = 0; i < p.n; i++)
        if (strcmp(p.seg[i], "{name}") != 0 && strcmp(p.seg[i], r->segs.seg[i]) != 0)
            return false;
    for (int i = 0; i < p.n; i++)
        if (strcmp(p.seg[i], "{name}") == 0)
            r->name = r->segs.seg[i];
    return true;
}

static const struct sp_route *lookup(struct sp_http_req *r, struct sp_buf *allow)
{
    for (int t = 0; tables[t]; t++)
        for (const struct sp_route *rt = tables[t]; rt->method; rt++) {
            if (!match(rt->pattern, r))
                continue;
            if (strcmp(rt->method, r->method) == 0)
                return rt;
            sp_buf_addf(allow, "%s%s", allow->len ? ", " : "", rt->method);
        }
    r->name = NULL;
    return NULL;
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer(struct sp_http_req *r, size_t *len)
{
    const char *h = sp_http_request_header(r, "Authorization"), *end;
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    end = h + strlen(h);
    while (end > h && end[-1] == ' ')
        end--;
    *len = (size_t)(end - h);
    return *len ? h : NULL;
}

static struct sp_metric_def rate_limited_def = {.name = "storeplatform_http_rate_limited_total",
                                                .help = "Writes refused by a rate limit, by scope",
                                                .type = SP_COUNTER};

static bool rate_ok(struct sp_api *api, struct sp_http_req *r)
{
    char key[SP_USER_MAX + 16];
    int64_t wait = 0, now = sp_now_ms();
    const char *scope = NULL;

    snprintf(key, sizeof(key), "ip:%s", r->ip);
    if (!sp_ratelimit_take(api->rl_ip, key, now, &wait))
        scope = "ip";
    if (!scope) {
        snprintf(key, sizeof(key), "user:%s", r->user.name);
        if (!sp_ratelimit_take(api->rl_user, key, now, &wait))
            scope = "user";
    }
    if (scope) {
        char secs[32];
        snprintf(secs, sizeof(secs), "%lld", (long long)((wait + 999) / 1000));
        sp_http_header(r, "Retry-After", secs);
        sp_metric_add(sp_metric(&rate_limited_def),
                      scope[0] == 'i' ? "scope=\"ip\"" : "scope=\"user\"", 1);
        sp_http_error(r, 429, "rate_limited", NULL,
                      "too many writes from this %s: try again in %s s",
                      scope[0] == 'i' ? "address" : "user", secs);
        return false;
    }
    return true;
}

/* Runs the pipeline for r; returns the route that matched, or NULL. */
static const struct sp_route *run(struct sp_api *api, struct sp_http_req *r)
{
    struct sp_buf allow = SP_BUF_INIT;
    const struct sp_route *rt;
    const char *tok;
    size_t len = 0;

    if (sp_path_split(r->path, &r->segs) != SP_OK) {
        sp_http_error(r, 400, "bad_path", "path", "%s", sp_errmsg());
        return NULL;
    }
    rt = lookup(r, &allow);
    if (rt)
        sp_buf_release(&allow); /* methods of routes tried before the one that matched */
    if (!rt) {
        bool api_path = r->segs.n > 0 && strcmp(r->segs.seg[0], "api") == 0;
        if (allow.len) {
            sp_http_header(r, "Allow", allow.data);
            sp_http_error(r, 405, "method_not_allowed", NULL, "%s is not allowed here", r->method);
        } else if (api_path) {
            sp_http_error(r, 404, "not_found", NULL, "no such API endpoint");
        } else {
            sp_dashboard_serve(api->cfg.dashboard_dir, r);
        }
        sp_buf_release(&allow);
        return NULL;
    }
    if (rt->flags & SP_ROUTE_AUTH) {
        tok = bearer(r, &len);
        if (!tok || !sp_auth_check(api->auth, tok, len, &r->user)) {
            sp_http_header(r, "WWW-Authenticate",
                           tok ? "Bearer realm=\"store-platform\", error=\"invalid_token\""
                               : "Bearer realm=\"store-platform\"");
            sp_http_error(r, 401, "unauthorized", NULL,
                          tok ? "the bearer token is not valid" : "a bearer token is required");
            return rt;
        }
        r->authenticated = true;
    }
    if ((rt->flags & SP_ROUTE_ADMIN) && r->user.role != SP_ROLE_ADMIN) {
        sp_http_error(r, 403, "forbidden", NULL, "only admins may do this");
        return rt;
    }
    if ((rt->flags & SP_ROUTE_WRITE) && !rate_ok(api, r))
        return rt;
    if (r->too_large) {
        sp_http_error(r, 413, "too_large", "", "the body is larger than %zu bytes", r->max_body);
        return rt;
    }
    rt->fn(api, r);
    return rt;
}

static void audit(struct sp_api *api, const struct sp_route *rt, struct sp_http_req *r)
{
    if (!rt || !(rt->flags & (SP_ROUTE_WRITE | SP_ROUTE_AUDIT)))
        return;
    sp_audit_record(api->audit, &(struct sp_audit_rec){
                                    .user = r->authenticated ? r->user.name : NULL,
                                    .ip = r->ip,
                                    .action = rt->action,
                                    .store = r->audit_store ? r->audit_store : r->name,
                                    .status = r->status,
                                    .detail = r->status >= 300 ? r->audit_detail : NULL,
                                });
}

const char *sp_api_handle(void *ud, struct sp_http_req *r)
{
    struct sp_api *api = ud;
    const struct sp_route *rt = run(api, r);

    audit(api, rt, r);
    if (rt)
        return rt->pattern;
    if (r->fd >= 0 || (r->status == 404 && r->segs.n > 0 && strcmp(r->segs.seg[0], "api") != 0))
        return "static";
    return "unmatched";
}
