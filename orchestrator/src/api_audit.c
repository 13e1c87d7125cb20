/*
 * /api/v1/audit: the newest audit entries this replica recorded (admins
 * only), optionally only those of one store or one user. Each replica keeps
 * its own ring; the complete log is the replicas' stdout (or --audit-file).
 */
#include <stdlib.h>

#include "api.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     1000

static void list(struct sp_api *api, struct sp_http_req *r)
{
    const char *lim = sp_http_query(r, "limit");
    long limit = DEFAULT_LIMIT;
    char *end;

    if (lim) {
        limit = strtol(lim, &end, 10);
        if (!*lim || *end || limit < 1 || limit > MAX_LIMIT) {
            sp_http_error(r, 400, "invalid", "limit", "limit: must be a number from 1 to %d",
                          MAX_LIMIT);
            return;
        }
    }
    sp_http_json(r, 200,
                 json_pack("{s:o}", "entries",
                           sp_audit_list(api->audit, sp_http_query(r, "store"),
                                         sp_http_query(r, "user"), (size_t)limit)));
}

const struct sp_route sp_api_audit_routes[] = {
    {"GET", "/api/v1/audit", list, SP_ROUTE_AUTH | SP_ROUTE_ADMIN, NULL},
    {NULL, NULL, NULL, 0, NULL},
};
