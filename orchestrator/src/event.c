/*
 * Events (see event.h). Each call creates a new Event named after the store
 * and a random suffix; the API server's event TTL removes them.
 */
#include "event.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "crd.h"
#include "util.h"

static char instance[128] = "orchestrator";

void sp_event_set_instance(const char *id)
{
    snprintf(instance, sizeof(instance), "%s", id);
}

void sp_event_record(struct sp_kube *k, const char *store, const char *uid, const char *type,
                     const char *reason, const char *message)
{
    unsigned char rnd[6];
    char name[128], now[48], micro[48];
    json_t *ev;

    if (sp_random(rnd, sizeof(rnd)) != SP_OK) {
        sp_warn(store, "event", "%s", sp_errmsg());
        return;
    }
    snprintf(name, sizeof(name), "%s.%02x%02x%02x%02x%02x%02x", store, rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5]);
    sp_time_format(sp_wall_ms(), now, sizeof(now));
    sp_time_format_micro(sp_wall_ms(), micro, sizeof(micro));
    ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s?}, s:s, s:s, s:s, s:s, s:s, "
                   "s:s, s:i, s:{s:s}, s:s, s:s, s:s}",
                   "apiVersion", "v1", "kind", "Event", "metadata", "name", name, "namespace",
                   "default", "involvedObject", "apiVersion", SP_API_VERSION, "kind", "Store",
                   "name", store, "uid", uid, "reason", reason, "message", message, "type", type,
                   "firstTimestamp", now, "lastTimestamp", now, "eventTime", micro, "count", 1,
                   "source", "component", "store-platform", "reportingComponent",
                   "store-platform/orchestrator", "reportingInstance", instance, "action", reason);
    if (!ev) {
        sp_warn(store, "event", "event '%s' could not be built", reason);
        return;
    }
    if (sp_kube_create(k, "/api/v1/namespaces/default/events", ev, NULL) != SP_OK)
        sp_warn(store, "event", "recording event %s failed: %s", reason, sp_errmsg());
    json_decref(ev);
}
