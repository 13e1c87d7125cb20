/*
 * The controller's work queue of store names, with the semantics of
 * client-go's rate-limited queue:
 *   - de-duplication: a name waiting in the queue is queued once;
 *   - exclusivity: a name handed to a worker is not handed to another until
 *     sp_queue_done(); adds meanwhile mark it dirty and it is queued again
 *     then, so the latest change is never lost;
 *   - delays: sp_queue_add_after() and sp_queue_add_backoff() (exponential
 *     per name, reset by sp_queue_forget()).
 * Thread-safe; names are copied in, and sp_queue_get() hands out a copy.
 */
#ifndef SP_QUEUE_H
#define SP_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sp_queue;

/* base_ms doubles per failure of a name up to cap_ms. */
struct sp_queue *sp_queue_new(int64_t base_ms, int64_t cap_ms);
void sp_queue_free(struct sp_queue *q);

void sp_queue_add(struct sp_queue *q, const char *name);
void sp_queue_add_after(struct sp_queue *q, const char *name, int64_t delay_ms);
/* Adds after the name's next back-off delay and returns that delay. */
int64_t sp_queue_add_backoff(struct sp_queue *q, const char *name);
/* Forgets the name's failures (its next back-off starts at base again). */
void sp_queue_forget(struct sp_queue *q, const char *name);

/*
 * Blocks until a name is ready and returns it in *name (caller frees) marked
 * as being processed; returns false once the queue is shut down.
 */
bool sp_queue_get(struct sp_queue *q, char **name);
/* Marks name as processed; re-queues it when it was added meanwhile. */
void sp_queue_done(struct sp_queue *q, const char *name);

/* Names ready or waiting for their delay (not those being processed). */
size_t sp_queue_len(struct sp_queue *q);
/* Wakes every sp_queue_get() with false; later adds are ignored. */
void sp_queue_stop(struct sp_queue *q);

/* The delay after `failures` previous failures: base * 2^failures, at most cap. */
int64_t sp_backoff_delay(unsigned failures, int64_t base_ms, int64_t cap_ms);

#endif
