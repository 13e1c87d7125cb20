/*
 * Token buckets keyed by a string ("user:alice", "ip:10.0.0.7"): each key may
 * spend up to burst requests at once and regains rate tokens per second. The
 * clock is passed in (milliseconds of any monotonic clock), so tests drive
 * time by hand.
 *
 * Buckets live in this process only: with N replicas behind a load balancer a
 * client may get up to N times the rate. That is accepted (the limits are
 * against accidents and floods, not an exact budget) and documented.
 *
 * At most max_keys buckets are kept; a full bucket carries no information and
 * is dropped first, then the least recently used. Thread-safe (one mutex).
 */
#ifndef SP_RATELIMIT_H
#define SP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sp_ratelimit;

/* rate <= 0 turns the limiter off (every take succeeds); burst < 1 counts as 1. */
struct sp_ratelimit *sp_ratelimit_new(double rate_per_s, double burst, size_t max_keys);
void sp_ratelimit_free(struct sp_ratelimit *rl);

/*
 * Takes one token from key's bucket at now_ms. Returns true when allowed;
 * otherwise false with *retry_ms (if not NULL) set to the wait until a token
 * is available again (at least 1).
 */
bool sp_ratelimit_take(struct sp_ratelimit *rl, const char *key, int64_t now_ms, int64_t *retry_ms);

/* Number of buckets held (for tests). */
size_t sp_ratelimit_size(struct sp_ratelimit *rl);

#endif
