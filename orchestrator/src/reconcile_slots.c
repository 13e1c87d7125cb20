/*
 * Provisioning slots and their line, and the one rollout slot (see
 * reconcile.h). At most --max-provisioning stores provision at once; a
 * store refused a slot joins a line ordered by when the Store was created
 * (first come, first served), and a freed slot kicks the store(s) at its
 * head. A store that stops asking for three poll intervals leaves the line;
 * when it asks again it goes back to its place, not to the end: under load
 * (hundreds of stores waiting, each asking less often than that) a line
 * ordered by the time of asking would put every store that asks behind the
 * ones that asked just before it, and none would ever get a slot.
 * Everything here is guarded by r->slots_lock.
 */
#include <stdlib.h>
#include <string.h>

#include "reconcile_job.h"
#include "util.h"

/* Forgets waiters that stopped asking (deleted, failed, or now another replica's). */
static void waiters_expire(struct sp_reconciler *r, int64_t now)
{
    int64_t stale = 3 * r->cfg.poll_ms + 1000;
    size_t k = 0;
    for (size_t i = 0; i < r->n_waiters; i++) {
        if (now - r->waiters[i].seen_ms > stale)
            free(r->waiters[i].name);
        else
            r->waiters[k++] = r->waiters[i];
    }
    r->n_waiters = k;
}

/* Whether waiter a comes before a store created at created_ms named name. */
static bool before(const struct sp_slot_waiter *a, int64_t created_ms, const char *name)
{
    return a->created_ms < created_ms || (a->created_ms == created_ms && strcmp(a->name, name) < 0);
}

/* name's place in the line, or n_waiters when it is not in it. slots_lock held. */
static size_t waiter_index(const struct sp_reconciler *r, const char *name)
{
    size_t i;
    for (i = 0; i < r->n_waiters; i++)
        if (strcmp(r->waiters[i].name, name) == 0)
            break;
    return i;
}

/*
 * Whether name may take one of the free slots now: the waiters queued
 * longest go first, so a slot goes to the store that asked for it first.
 * Otherwise name joins (or stays in) the queue. slots_lock held.
 */
static bool waiter_turn(struct sp_reconciler *r, const char *name, int64_t created_ms,
                        size_t free_slots)
{
    int64_t now = sp_now_ms();
    size_t pos;

    waiters_expire(r, now);
    pos = waiter_index(r, name);
    if (pos == r->n_waiters) { /* joins at its place by creation */
        if (r->n_waiters == r->cap_waiters) {
            r->cap_waiters = r->cap_waiters ? r->cap_waiters * 2 : 16;
            r->waiters = sp_realloc(r->waiters, r->cap_waiters * sizeof(*r->waiters));
        }
        for (pos = 0; pos < r->n_waiters && before(&r->waiters[pos], created_ms, name); pos++)
            ;
        memmove(&r->waiters[pos + 1], &r->waiters[pos], (r->n_waiters - pos) * sizeof(*r->waiters));
        r->n_waiters++;
        r->waiters[pos].name = sp_strdup(name);
        r->waiters[pos].created_ms = created_ms;
    }
    r->waiters[pos].seen_ms = now;
    return pos < free_slots;
}

/* A store that got a slot (or went away) waits no more. slots_lock held. */
static void waiter_remove(struct sp_reconciler *r, const char *name)
{
    size_t i = waiter_index(r, name);
    if (i == r->n_waiters)
        return;
    free(r->waiters[i].name);
    memmove(&r->waiters[i], &r->waiters[i + 1], (r->n_waiters - i - 1) * sizeof(*r->waiters));
    r->n_waiters--;
}

/* Takes a slot for name; force ignores the limit. Returns false when none is free. */
bool sp_slot_take(struct sp_reconciler *r, const char *name, int64_t created_ms, bool force)
{
    bool ok = true;
    pthread_mutex_lock(&r->slots_lock);
    for (size_t i = 0; i < r->n_slots; i++)
        if (strcmp(r->slots[i], name) == 0)
            goto out;
    if (!force && r->cfg.max_provisioning > 0) {
        size_t max = (size_t)r->cfg.max_provisioning;
        if (!waiter_turn(r, name, created_ms, r->n_slots < max ? max - r->n_slots : 0)) {
            ok = false;
            goto out;
        }
    }
    waiter_remove(r, name);
    if (r->n_slots == r->cap_slots) {
        r->cap_slots = r->cap_slots ? r->cap_slots * 2 : 16;
        r->slots = sp_realloc(r->slots, r->cap_slots * sizeof(*r->slots));
    }
    r->slots[r->n_slots++] = sp_strdup(name);
out:
    pthread_mutex_unlock(&r->slots_lock);
    return ok;
}

/* Takes the one rollout slot for name; false when another store holds it. */
bool sp_rollout_take(struct sp_reconciler *r, const char *name)
{
    bool ok = true;
    pthread_mutex_lock(&r->slots_lock);
    if (!r->rollout)
        r->rollout = sp_strdup(name);
    else
        ok = strcmp(r->rollout, name) == 0;
    pthread_mutex_unlock(&r->slots_lock);
    return ok;
}

void sp_rollout_give_back(struct sp_reconciler *r, const char *name)
{
    pthread_mutex_lock(&r->slots_lock);
    if (r->rollout && strcmp(r->rollout, name) == 0) {
        free(r->rollout);
        r->rollout = NULL;
    }
    pthread_mutex_unlock(&r->slots_lock);
}

/*
 * Gives back the provisioning slot and the rollout slot, whichever name
 * holds; a freed slot kicks the waiters whose turn it now is.
 */
void sp_slot_give_back(struct sp_reconciler *r, const char *name)
{
    char *next[8];
    size_t n_next = 0;

    sp_rollout_give_back(r, name);
    pthread_mutex_lock(&r->slots_lock);
    waiter_remove(r, name);
    for (size_t i = 0; i < r->n_slots; i++)
        if (strcmp(r->slots[i], name) == 0) {
            free(r->slots[i]);
            r->slots[i] = r->slots[--r->n_slots];
            if (r->kick && r->cfg.max_provisioning > 0) {
                size_t max = (size_t)r->cfg.max_provisioning;
                size_t turn = r->n_slots < max ? max - r->n_slots : 0;
                for (size_t w = 0; w < r->n_waiters && w < turn && n_next < 8; w++)
                    next[n_next++] = sp_strdup(r->waiters[w].name);
            }
            break;
        }
    pthread_mutex_unlock(&r->slots_lock);
    for (size_t i = 0; i < n_next; i++) {
        r->kick(r->kick_ud, next[i]);
        free(next[i]);
    }
}

size_t sp_reconciler_slots_used(struct sp_reconciler *r)
{
    size_t n;
    pthread_mutex_lock(&r->slots_lock);
    n = r->n_slots;
    pthread_mutex_unlock(&r->slots_lock);
    return n;
}

void sp_reconciler_seed_slots(struct sp_reconciler *r, const json_t *stores)
{
    size_t i;
    json_t *o;
    json_array_foreach(stores, i, o)
    {
        const char *phase =
            json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        if (name && phase && strcmp(phase, "Provisioning") == 0)
            sp_slot_take(r, name, 0, true);
        if (name && json_string_value(json_object_get(json_object_get(o, "status"), "upgradingTo")))
            sp_rollout_take(r, name);
    }
}
