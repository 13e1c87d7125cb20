/*
 * /api/v1/events: Server-Sent Events of store changes for live dashboards.
 *
 * The hub is a cache subscriber: each change of a Store becomes one rendered
 * event ({"type":"ADDED|MODIFIED|DELETED","store":<view>}) in a ring of the
 * last RING events, numbered from 1. Event ids are "<epoch>-<n>", the epoch
 * being random per process, so a Last-Event-ID from another replica or an
 * earlier run is recognised as foreign.
 *
 * A stream starts with "retry:" and then either the events after the
 * client's Last-Event-ID (when this process still holds them) or an
 * "event: snapshot" with every store the caller may see; then events as they
 * come, filtered to the caller's stores (all for admins), and a comment line
 * every heartbeat_ms so proxies and clients know the stream is alive.
 *
 * Each stream runs in its connection's thread (libmicrohttpd's content
 * reader), blocking on the hub's condition variable; sp_events_stop() wakes
 * and ends them all.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api_events.h"

#include "api.h"
#include "api_views.h"
#include "metrics.h"
#include "util.h"

#define RING        512
#define MAX_CLIENTS 256

struct entry {
    uint64_t id;
    char *owner; /* NULL when the store has none */
    char *data;
};

struct sp_events {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* signalled on a new event and on stop */
    struct entry ring[RING];
    uint64_t next; /* id of the next event */
    bool stopping;
    int clients;
    int64_t heartbeat_ms;
    char epoch[17];
};

struct sse {
    struct sp_events *ev;
    struct sp_api *api;
    struct sp_user user;
    uint64_t last; /* id of the last event sent (or covered by the snapshot) */
    bool need_snapshot;
    struct sp_buf pending;
    size_t off;
};

static struct sp_metric_def clients_def = {.name = "storeplatform_sse_clients",
                                           .help = "Open Server-Sent Events streams",
                                           .type = SP_GAUGE};

static struct sp_metric *m_clients(void)
{
    return sp_metric(&clients_def);
}

struct sp_events *sp_events_new(int64_t heartbeat_ms)
{
    struct sp_events *ev = sp_calloc(1, sizeof(*ev));
    pthread_condattr_t ca;
    unsigned char r[8] = {0};

    pthread_mutex_init(&ev->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ev->cond, &ca);
    pthread_condattr_destroy(&ca);
    ev->next = 1;
    ev->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : 15000;
    if (sp_random(r, sizeof(r)) != SP_OK) {
        int64_t t = sp_wall_ms();
        memcpy(r, &t, sizeof(r));
    }
    for (int i = 0; i < 8; i++)
        snprintf(ev->epoch + (size_t)2 * i, 3, "%02x", r[i]);
    sp_metric_set(m_clients(), NULL, 0);
    return ev;
}

void sp_events_stop(struct sp_events *ev)
{
    pthread_mutex_lock(&ev->lock);
    ev->stopping = true;
    pthread_cond_broadcast(&ev->cond);
    pthread_mutex_unlock(&ev->lock);
}

void sp_events_free(struct sp_events *ev)
{
    if (!ev)
        return;
    for (int i = 0; i < RING; i++) {
        free(ev->ring[i].owner);
        free(ev->ring[i].data);
    }
    pthread_mutex_destroy(&ev->lock);
    pthread_cond_destroy(&ev->cond);
    free(ev);
}

void sp_events_on_change(void *ud, const char *type, const json_t *obj)
{
    struct sp_events *ev = ud;
    json_t *msg = json_pack("{s:s, s:o}", "type", type, "store", sp_api_store_view(obj));
    char *data = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    const char *owner = sp_api_store_owner(obj);
    struct entry *e;

    json_decref(msg);
    if (!data)
        return;
    pthread_mutex_lock(&ev->lock);
    e = &ev->ring[ev->next % RING];
    free(e->owner);
    free(e->data);
    e->id = ev->next++;
    e->owner = sp_strdup(owner);
    e->data = data;
    pthread_cond_broadcast(&ev->cond);
    pthread_mutex_unlock(&ev->lock);
}

void sp_sse_frame(struct sp_buf *out, const char *id, const char *event, const char *data)
{
    if (id)
        sp_buf_addf(out, "id: %s\n", id);
    if (event)
        sp_buf_addf(out, "event: %s\n", event);
    for (const char *p = data ? data : "";;) {
        const char *nl = strpbrk(p, "\r\n");
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        sp_buf_adds(out, "data: ");
        sp_buf_add(out, p, n);
        sp_buf_adds(out, "\n");
        if (!nl)
            break;
        p = nl + (nl[0] == '\r' && nl[1] == '\n' ? 2 : 1);
    }
    sp_buf_adds(out, "\n");
}

static bool sees(const struct sp_user *u, const char *owner)
{
    return u->role == SP_ROLE_ADMIN || (owner && strcmp(owner, u->name) == 0);
}

/* Appends the snapshot of every store the client may see; s->last is already set. */
static void snapshot(struct sse *s)
{
    json_t *all = sp_cache_list(s->api->cache), *out = json_array(), *o, *msg;
    char id[48], *data;
    size_t i;

    json_array_foreach(all, i, o)
    {
        if (sp_api_may_see(&s->user, o))
            json_array_append_new(out, sp_api_store_view(o));
    }
    json_decref(all);
    msg = json_pack("{s:o}", "stores", out);
    data = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(msg);
    snprintf(id, sizeof(id), "%s-%llu", s->ev->epoch, (unsigned long long)s->last);
    sp_sse_frame(&s->pending, id, "snapshot", data ? data : "{\"stores\":[]}");
    free(data);
    s->need_snapshot = false;
}

/* Fills s->pending with what is due next; false when the stream must end. */
static bool fill(struct sse *s)
{
    struct sp_events *ev = s->ev;
    struct timespec ts;
    int64_t deadline_ms = sp_now_ms() + ev->heartbeat_ms;

    while (s->pending.len == 0) {
        if (s->need_snapshot) {
            pthread_mutex_lock(&ev->lock);
            s->last = ev->next - 1;
            pthread_mutex_unlock(&ev->lock);
            snapshot(s);
            break;
        }
        pthread_mutex_lock(&ev->lock);
        while (!ev->stopping && s->last + 1 >= ev->next) {
            int64_t left = deadline_ms - sp_now_ms();
            if (left <= 0)
                break;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += left / 1000;
            ts.tv_nsec += (left % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&ev->cond, &ev->lock, &ts);
        }
        if (ev->stopping) {
            pthread_mutex_unlock(&ev->lock);
            return false;
        }
        if (s->last + 1 < ev->next) {
            uint64_t oldest = ev->next > RING ? ev->next - RING : 1;
            if (s->last + 1 < oldest) {
                s->need_snapshot = true; /* fell behind the ring: start over */
            } else {
                for (uint64_t id = s->last + 1; id < ev->next; id++) {
                    const struct entry *e = &ev->ring[id % RING];
                    char sid[48];
                    if (!sees(&s->user, e->owner))
                        continue;
                    snprintf(sid, sizeof(sid), "%s-%llu", ev->epoch, (unsigned long long)id);
                    sp_sse_frame(&s->pending, sid, "store", e->data);
                }
                s->last = ev->next - 1;
            }
        } else {
            sp_buf_adds(&s->pending, ": heartbeat\n\n");
        }
        pthread_mutex_unlock(&ev->lock);
    }
    return true;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse *s = cls;
    size_t n;
    (void)pos;

    if (s->off >= s->pending.len) {
        sp_buf_reset(&s->pending);
        s->off = 0;
        if (!fill(s))
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    n = s->pending.len - s->off;
    if (n > max)
        n = max;
    memcpy(buf, s->pending.data + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    struct sse *s = cls;
    pthread_mutex_lock(&s->ev->lock);
    s->ev->clients--;
    sp_metric_set(m_clients(), NULL, s->ev->clients);
    pthread_mutex_unlock(&s->ev->lock);
    sp_buf_release(&s->pending);
    free(s);
}

/* Parses "<epoch>-<n>" of this process into *n. */
static bool own_id(const struct sp_events *ev, const char *id, uint64_t *n)
{
    size_t el = strlen(ev->epoch);
    char *end;
    if (!id || strncmp(id, ev->epoch, el) != 0 || id[el] != '-' || !id[el + 1])
        return false;
    *n = strtoull(id + el + 1, &end, 10);
    return *end == '\0';
}

static void stream(struct sp_api *api, struct sp_http_req *r)
{
    struct sp_events *ev = api->events;
    const char *last_id = sp_http_request_header(r, "Last-Event-ID");
    struct sse *s;
    uint64_t n;

    pthread_mutex_lock(&ev->lock);
    if (ev->clients >= MAX_CLIENTS || ev->stopping) {
        pthread_mutex_unlock(&ev->lock);
        sp_http_header(r, "Retry-After", "5");
        sp_http_error(r, 503, "busy", NULL, "too many event streams; try again later");
        return;
    }
    ev->clients++;
    sp_metric_set(m_clients(), NULL, ev->clients);
    s = sp_calloc(1, sizeof(*s));
    s->ev = ev;
    s->api = api;
    s->user = r->user;
    s->need_snapshot = true;
    if (own_id(ev, last_id, &n) && n < ev->next) {
        uint64_t oldest = ev->next > RING ? ev->next - RING : 1;
        if (n + 1 >= oldest) {
            s->last = n;
            s->need_snapshot = false;
        }
    }
    pthread_mutex_unlock(&ev->lock);
    sp_buf_adds(&s->pending, "retry: 3000\n\n");
    sp_http_header(r, "X-Accel-Buffering", "no");
    sp_http_stream(r, "text/event-stream; charset=utf-8", reader, sse_free, s);
}

const struct sp_route sp_api_events_routes[] = {
    {"GET", "/api/v1/events", stream, SP_ROUTE_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};
