/*
 * Token buckets (see ratelimit.h): a chained hash table of buckets, each
 * holding its token count as of its last update; tokens are refilled lazily
 * from the elapsed time whenever the bucket is touched.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SLOTS 1024

struct bucket {
    struct bucket *next;
    double tokens;
    int64_t updated_ms;
    char key[];
};

struct sp_ratelimit {
    double rate; /* tokens per millisecond */
    double burst;
    size_t max_keys;
    pthread_mutex_t lock; /* guards everything below */
    struct bucket *slot[SLOTS];
    size_t n;
};

struct sp_ratelimit *sp_ratelimit_new(double rate_per_s, double burst, size_t max_keys)
{
    struct sp_ratelimit *rl = sp_calloc(1, sizeof(*rl));
    rl->rate = rate_per_s / 1000.0;
    rl->burst = burst < 1 ? 1 : burst;
    rl->max_keys = max_keys ? max_keys : 1;
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

void sp_ratelimit_free(struct sp_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        for (struct bucket *b = rl->slot[i], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h % SLOTS;
}

static void refill(struct sp_ratelimit *rl, struct bucket *b, int64_t now_ms)
{
    if (now_ms > b->updated_ms) {
        b->tokens += (double)(now_ms - b->updated_ms) * rl->rate;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->updated_ms = now_ms;
    }
}

/* Called with the lock held: drops full buckets, else the least recently used. */
static void evict(struct sp_ratelimit *rl, int64_t now_ms)
{
    struct bucket **lru = NULL;
    for (size_t i = 0; i < SLOTS; i++)
        for (struct bucket **pp = &rl->slot[i]; *pp;) {
            struct bucket *b = *pp;
            double elapsed = now_ms > b->updated_ms ? (double)(now_ms - b->updated_ms) : 0;
            if (b->tokens + elapsed * rl->rate >= rl->burst) {
                *pp = b->next;
                free(b);
                rl->n--;
                continue;
            }
            if (!lru || b->updated_ms < (*lru)->updated_ms)
                lru = pp;
            pp = &b->next;
        }
    if (rl->n >= rl->max_keys && lru) {
        struct bucket *b = *lru;
        *lru = b->next;
        free(b);
        rl->n--;
    }
}

bool sp_ratelimit_take(struct sp_ratelimit *rl, const char *key, int64_t now_ms, int64_t *retry_ms)
{
    struct bucket *b;
    size_t h;
    bool ok;

    if (rl->rate <= 0)
        return true;
    h = hash(key);
    pthread_mutex_lock(&rl->lock);
    for (b = rl->slot[h]; b; b = b->next)
        if (strcmp(b->key, key) == 0)
            break;
    if (!b) {
        size_t len = strlen(key);
        if (rl->n >= rl->max_keys)
            evict(rl, now_ms);
        b = sp_malloc(sizeof(*b) + len + 1);
        memcpy(b->key, key, len + 1);
        b->tokens = rl->burst;
        b->updated_ms = now_ms;
        b->next = rl->slot[h];
        rl->slot[h] = b;
        rl->n++;
    }
    refill(rl, b, now_ms);
    ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
    } else if (retry_ms) {
        int64_t wait = (int64_t)((1.0 - b->tokens) / rl->rate) + 1;
        *retry_ms = wait < 1 ? 1 : wait;
    }
    pthread_mutex_unlock(&rl->lock);
    return ok;
}

size_t sp_ratelimit_size(struct sp_ratelimit *rl)
{
    size_t n;
    pthread_mutex_lock(&rl->lock);
    n = rl->n;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
