/*
 * The SSE hub (api_events.c): a cache subscriber that turns each change of
 * a Store into one rendered event in a ring, which every stream of
 * GET /api/v1/events reads (see api_events.c for ids and resumption).
 * Thread-safe; sp_events_stop() wakes and ends every stream.
 */
#ifndef SP_API_EVENTS_H
#define SP_API_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "util.h"

struct sp_events;

struct sp_events *sp_events_new(int64_t heartbeat_ms);
void sp_events_stop(struct sp_events *ev);
void sp_events_free(struct sp_events *ev);
/* The cache subscriber callback; ud is the hub. */
void sp_events_on_change(void *ud, const char *type, const json_t *obj);
/*
 * Appends one SSE frame to out: "id:", "event:" (each left out when NULL) and
 * data split into one "data:" line per line, then a blank line.
 */
void sp_sse_frame(struct sp_buf *out, const char *id, const char *event, const char *data);

#endif
