/*
 * Health after Ready. A Ready store is looked at again every
 * --health-interval (jittered by 10% so stores made together do not all
 * check at once; a Degraded one four times as often, to notice its recovery):
 *   1. its Deployments, StatefulSets and pods, as the readiness check reads
 *      them (a scaled-down or deleted workload, a crash loop, a pod not ready);
 *   2. its containers' restarts within --health-window (health.h): at
 *      --health-restarts or more the store is Degraded, with how the last
 *      one ended (OOMKilled and the limit, or the exit code);
 *   3. its storefront, through the same probe as before Ready, only when the
 *      workloads pass (a store with a dead database fails there already).
 * The first problem found is the reason: Ready -> Degraded with it, Degraded
 * -> Ready when a check finds none. Checks run inside reconciles, so at most
 * --workers run at once, each bounded by --storefront-timeout and the API
 * client's timeout. The schedule lives in memory: after a restart of the
 * orchestrator every store is checked at its first reconcile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "log.h"
#include "metrics.h"
#include "readiness.h"
#include "reconcile_job.h"
#include "util.h"

static struct sp_metric_def transitions_def = {
    .name = "storeplatform_store_health_transitions_total",
    .help =
        "Ready stores that became Degraded, and Degraded ones Ready again, by the phase moved to",
    .type = SP_COUNTER};
static struct sp_metric_def checks_def = {
    .name = "storeplatform_store_health_checks_total",
    .help = "Health checks of Ready and Degraded stores, by result (healthy, unhealthy, error)",
    .type = SP_COUNTER};

static void count(struct sp_metric_def *def, const char *key, const char *value)
{
    char labels[96];
    sp_metric_labels(labels, sizeof(labels), key, value, NULL);
    sp_metric_add(sp_metric(def), labels, 1);
}

struct sp_health_state *sp_health_state_of(struct sp_reconciler *r, const char *name)
{
    for (size_t i = 0; i < r->n_health; i++)
        if (strcmp(r->health[i].name, name) == 0)
            return &r->health[i];
    if (r->n_health == r->cap_health) {
        r->cap_health = r->cap_health ? 2 * r->cap_health : 16;
        r->health = sp_realloc(r->health, r->cap_health * sizeof(*r->health));
    }
    struct sp_health_state *st = &r->health[r->n_health++];
    memset(st, 0, sizeof(*st));
    st->name = sp_strdup(name);
    for (const char *p = name; *p; p++)
        st->seed = st->seed * 31u + (unsigned char)*p;
    return st;
}

void sp_health_forget(struct sp_reconciler *r, const char *name)
{
    pthread_mutex_lock(&r->health_lock);
    for (size_t i = 0; i < r->n_health; i++) {
        if (strcmp(r->health[i].name, name) != 0)
            continue;
        free(r->health[i].name);
        r->health[i] = r->health[--r->n_health];
        break;
    }
    pthread_mutex_unlock(&r->health_lock);
}

void sp_health_free_all(struct sp_reconciler *r)
{
    for (size_t i = 0; i < r->n_health; i++)
        free(r->health[i].name);
    free(r->health);
    r->health = NULL;
    r->n_health = r->cap_health = 0;
}

int64_t sp_health_jitter(int64_t period_ms, unsigned *seed)
{
    return period_ms * 9 / 10 + (int64_t)(rand_r(seed) % 1001) * period_ms / 5000;
}

void sp_job_lower(int64_t *requeue, int64_t ms)
{
    if (ms < 1)
        ms = 1;
    if (*requeue <= 0 || ms < *requeue)
        *requeue = ms;
}

/* Restarts within the window, noted now; *last says how the latest ended (caller frees). */
static int64_t restarts_now(struct sp_job *j, const json_t *pods, char **last)
{
    int64_t total, n;
    sp_ready_restarts(pods, &total, last);
    pthread_mutex_lock(&j->r->health_lock);
    struct sp_health_state *st = sp_health_state_of(j->r, j->s.name);
    sp_health_note(&st->hist, j->now, total, j->r->cfg.health_window_ms);
    n = sp_health_restarts(&st->hist);
    pthread_mutex_unlock(&j->r->health_lock);
    return n;
}

/* What is wrong with the store, or NULL when nothing is (caller frees). */
static enum sp_err find_problem(struct sp_job *j, char **problem)
{
    const struct sp_reconcile_config *cfg = &j->r->cfg;
    json_t *pods = NULL;
    char *last = NULL, span[32];
    int64_t restarts;
    enum sp_err err = sp_job_check_running(j, problem, &pods);

    if (err)
        return err;
    restarts = restarts_now(j, pods, &last);
    json_decref(pods);
    if (*problem) {
        sp_job_cond(j, SP_COND_WORKLOADS, SP_FALSE, "NotReady", *problem);
        free(last);
        return SP_OK;
    }
    sp_job_cond(j, SP_COND_WORKLOADS, SP_TRUE, "Ready", "pods ready");
    if (restarts >= cfg->health_restarts) {
        sp_health_span(cfg->health_window_ms, span, sizeof(span));
        *problem = sp_asprintf("containers restarted %lld times in %s%s%s", (long long)restarts,
                               span, last ? "; " : "", last ? last : "");
        free(last);
        return SP_OK;
    }
    free(last);
    if (!sp_job_storefront_serves(j)) {
        const struct sp_condition *c = &j->s.status.cond[SP_COND_STOREFRONT];
        int64_t down_ms = j->now - c->since_ms;
        sp_health_span(down_ms, span, sizeof(span));
        /* how long only once it is more than a blip */
        *problem = sp_asprintf("the storefront does not answer (%s)%s%s",
                               c->message ? c->message : "no answer",
                               down_ms >= 5000 ? " for " : "", down_ms >= 5000 ? span : "");
    }
    return SP_OK;
}

enum sp_err sp_job_health(struct sp_job *j, int64_t *requeue)
{
    const struct sp_reconcile_config *cfg = &j->r->cfg;
    struct sp_health_state *st;
    char *problem = NULL;
    int64_t next;
    enum sp_err err;

    if (cfg->health_ms <= 0)
        return SP_OK;
    pthread_mutex_lock(&j->r->health_lock);
    st = sp_health_state_of(j->r, j->s.name);
    next = st->next_ms;
    pthread_mutex_unlock(&j->r->health_lock);
    if (next > j->now) {
        sp_job_lower(requeue, next - j->now);
        return SP_OK;
    }

    err = find_problem(j, &problem);
    if (err) {
        count(&checks_def, "result", "error");
        sp_job_lower(requeue, cfg->poll_ms);
        return err;
    }
    count(&checks_def, "result", problem ? "unhealthy" : "healthy");
    if (problem && j->s.status.phase == SP_PHASE_READY) {
        err = sp_job_go(j, SP_PHASE_DEGRADED, "Warning", problem);
        if (!err)
            count(&transitions_def, "to", "Degraded");
    } else if (problem) {
        if (!j->s.status.message || strcmp(j->s.status.message, problem) != 0)
            sp_set_str(&j->s.status.message, problem);
    } else if (j->s.status.phase == SP_PHASE_DEGRADED) {
        err = sp_job_go(j, SP_PHASE_READY, "Normal", "the store serves again");
        if (!err)
            count(&transitions_def, "to", "Ready");
    }
    free(problem);
    if (err)
        return err;

    pthread_mutex_lock(&j->r->health_lock);
    st = sp_health_state_of(j->r, j->s.name);
    if (j->s.status.phase == SP_PHASE_DEGRADED) {
        next = cfg->health_ms / 4;
    } else {
        next = sp_health_jitter(cfg->health_ms, &st->seed);
    }
    if (next < 1000)
        next = 1000;
    st->next_ms = j->now + next;
    pthread_mutex_unlock(&j->r->health_lock);
    sp_job_lower(requeue, next);
    return SP_OK;
}
