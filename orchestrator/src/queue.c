/*
 * Work queue (see queue.h). Sizes are the number of stores (hundreds at
 * most), so the sets are plain arrays searched linearly; one mutex guards
 * everything and one condition variable wakes workers. Delayed names live in
 * a list with their due time; sp_queue_get() moves due ones into the ready
 * FIFO and otherwise sleeps until the earliest is due.
 */
#include "queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

struct names {
    char **v;
    size_t n, cap;
};

struct delayed {
    char *name;
    int64_t due_ms;
};

struct failures {
    char *name;
    unsigned count;
};

struct sp_queue {
    pthread_mutex_t lock; /* guards every field below */
    pthread_cond_t cond;
    struct names ready;      /* FIFO of names to hand out */
    struct names dirty;      /* names queued or to be queued after done() */
    struct names processing; /* names handed to a worker */
    struct delayed *delayed;
    size_t n_delayed, cap_delayed;
    struct failures *fail;
    size_t n_fail, cap_fail;
    int64_t base_ms, cap_ms;
    bool shutdown;
};

static ssize_t names_find(const struct names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return (ssize_t)i;
    return -1;
}

static void names_push(struct names *s, const char *name)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = sp_realloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = sp_strdup(name);
}

static void names_remove_at(struct names *s, size_t i)
{
    free(s->v[i]);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
    s->n--;
}

static void names_remove(struct names *s, const char *name)
{
    ssize_t i = names_find(s, name);
    if (i >= 0)
        names_remove_at(s, (size_t)i);
}

static void names_free(struct names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

struct sp_queue *sp_queue_new(int64_t base_ms, int64_t cap_ms)
{
    struct sp_queue *q = sp_calloc(1, sizeof(*q));
    pthread_condattr_t ca;

    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    q->base_ms = base_ms > 0 ? base_ms : 1000;
    q->cap_ms = cap_ms > q->base_ms ? cap_ms : q->base_ms;
    return q;
}

void sp_queue_free(struct sp_queue *q)
{
    if (!q)
        return;
    names_free(&q->ready);
    names_free(&q->dirty);
    names_free(&q->processing);
    for (size_t i = 0; i < q->n_delayed; i++)
        free(q->delayed[i].name);
    free(q->delayed);
    for (size_t i = 0; i < q->n_fail; i++)
        free(q->fail[i].name);
    free(q->fail);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
    free(q);
}

/* Called with the lock held. */
static void add_locked(struct sp_queue *q, const char *name)
{
    if (q->shutdown || names_find(&q->dirty, name) >= 0)
        return;
    names_push(&q->dirty, name);
    if (names_find(&q->processing, name) >= 0)
        return; /* done() queues it */
    names_push(&q->ready, name);
    pthread_cond_signal(&q->cond);
}

void sp_queue_add(struct sp_queue *q, const char *name)
{
    pthread_mutex_lock(&q->lock);
    add_locked(q, name);
    pthread_mutex_unlock(&q->lock);
}

void sp_queue_add_after(struct sp_queue *q, const char *name, int64_t delay_ms)
{
    int64_t due = sp_now_ms() + delay_ms;

    if (delay_ms <= 0) {
        sp_queue_add(q, name);
        return;
    }
    pthread_mutex_lock(&q->lock);
    if (!q->shutdown) {
        size_t i;
        for (i = 0; i < q->n_delayed; i++)
            if (strcmp(q->delayed[i].name, name) == 0)
                break;
        if (i < q->n_delayed) {
            if (due < q->delayed[i].due_ms)
                q->delayed[i].due_ms = due; /* keep the earliest */
        } else {
            if (q->n_delayed == q->cap_delayed) {
                q->cap_delayed = q->cap_delayed ? q->cap_delayed * 2 : 16;
                q->delayed = sp_realloc(q->delayed, q->cap_delayed * sizeof(*q->delayed));
            }
            q->delayed[q->n_delayed].name = sp_strdup(name);
            q->delayed[q->n_delayed].due_ms = due;
            q->n_delayed++;
        }
        pthread_cond_broadcast(&q->cond);
    }
    pthread_mutex_unlock(&q->lock);
}

int64_t sp_backoff_delay(unsigned failures, int64_t base_ms, int64_t cap_ms)
{
    int64_t d = base_ms;
    for (unsigned i = 0; i < failures && d < cap_ms; i++)
        d *= 2;
    return d < cap_ms ? d : cap_ms;
}

int64_t sp_queue_add_backoff(struct sp_queue *q, const char *name)
{
    unsigned count = 0;
    int64_t delay;
    size_t i;

    pthread_mutex_lock(&q->lock);
    for (i = 0; i < q->n_fail; i++)
        if (strcmp(q->fail[i].name, name) == 0)
            break;
    if (i == q->n_fail) {
        if (q->n_fail == q->cap_fail) {
            q->cap_fail = q->cap_fail ? q->cap_fail * 2 : 16;
            q->fail = sp_realloc(q->fail, q->cap_fail * sizeof(*q->fail));
        }
        q->fail[i].name = sp_strdup(name);
        q->fail[i].count = 0;
        q->n_fail++;
    }
    count = q->fail[i].count++;
    pthread_mutex_unlock(&q->lock);
    delay = sp_backoff_delay(count, q->base_ms, q->cap_ms);
    sp_queue_add_after(q, name, delay);
    return delay;
}

void sp_queue_forget(struct sp_queue *q, const char *name)
{
    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < q->n_fail; i++)
        if (strcmp(q->fail[i].name, name) == 0) {
            free(q->fail[i].name);
            q->fail[i] = q->fail[--q->n_fail];
            break;
        }
    pthread_mutex_unlock(&q->lock);
}

/* Moves due delayed names to ready; returns the earliest remaining due time or 0. */
static int64_t promote_due(struct sp_queue *q, int64_t now)
{
    int64_t next = 0;
    for (size_t i = 0; i < q->n_delayed;) {
        if (q->delayed[i].due_ms <= now) {
            char *name = q->delayed[i].name;
            q->delayed[i] = q->delayed[--q->n_delayed];
            add_locked(q, name);
            free(name);
            continue;
        }
        if (!next || q->delayed[i].due_ms < next)
            next = q->delayed[i].due_ms;
        i++;
    }
    return next;
}

bool sp_queue_get(struct sp_queue *q, char **name)
{
    pthread_mutex_lock(&q->lock);
    for (;;) {
        int64_t next;
        if (q->shutdown) {
            pthread_mutex_unlock(&q->lock);
            return false;
        }
        next = promote_due(q, sp_now_ms());
        if (q->ready.n)
            break;
        if (next) {
            struct timespec ts = {.tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000};
            pthread_cond_timedwait(&q->cond, &q->lock, &ts);
        } else {
            pthread_cond_wait(&q->cond, &q->lock);
        }
    }
    *name = q->ready.v[0];
    memmove(&q->ready.v[0], &q->ready.v[1], (q->ready.n - 1) * sizeof(*q->ready.v));
    q->ready.n--;
    names_remove(&q->dirty, *name);
    names_push(&q->processing, *name);
    pthread_mutex_unlock(&q->lock);
    return true;
}

void sp_queue_done(struct sp_queue *q, const char *name)
{
    pthread_mutex_lock(&q->lock);
    names_remove(&q->processing, name);
    if (names_find(&q->dirty, name) >= 0) {
        names_push(&q->ready, name);
        pthread_cond_signal(&q->cond);
    }
    pthread_mutex_unlock(&q->lock);
}

size_t sp_queue_len(struct sp_queue *q)
{
    size_t n;
    pthread_mutex_lock(&q->lock);
    n = q->ready.n + q->n_delayed;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void sp_queue_stop(struct sp_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->shutdown = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}
