/*
 * The reconciler's internal header, shared by its files the way redis's
 * server.h is: the per-store job one sp_reconcile() call works with, and
 * the functions the files give each other. Not for use outside
 * reconcile*.c (the public interface is reconcile.h).
 *
 *   reconcile.c            the dispatcher: load the Store, route on deletion
 *                          and phase (run_phase), write the status
 *   reconcile_job.c        the job: phase, condition, Event and failure helpers,
 *                          template variables, the status write (sp_job_flush)
 *   reconcile_slots.c      provisioning slots, their first-come line, the rollout slot
 *   reconcile_provision.c  the provisioning steps: namespace, RoleBinding, Secret,
 *                          helm release, readiness, storefront, Ready
 *   reconcile_readiness.c  the readiness checks' inputs (namespace caches or LISTs,
 *                          Warning Events) fed to readiness.h, and the storefront
 *   reconcile_rollout.c    a chart rollout of a Ready store, and its rollback
 *   reconcile_health.c     a Ready store's health: Degraded and back to Ready
 *   reconcile_drift.c      a Ready store's objects put back from its release
 *   reconcile_teardown.c   uninstall + namespace delete, for a Failed store and the
 *                          finalizer alike
 *   reconcile_suspend.c    scaling a suspended store to zero (suspend.h); resume is
 *                          provisioning again, routed by reconcile.c
 *
 * A struct sp_job lives for one call and one thread; every string in it is
 * owned by it. Functions that return enum sp_err follow the project's rule:
 * the error is returned, never implied by a NULL or a 0.
 */
#ifndef SP_RECONCILE_JOB_H
#define SP_RECONCILE_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "health.h"
#include "reconcile.h"
#include "store.h"
#include "suspend.h"

/* Transitions found during one call, recorded as Events after the status is written. */
struct sp_job_transitions {
    struct {
        const char *type; /* Normal or Warning */
        char *reason;
        char *message;
    } v[8];
    int n;
};

/* Everything one call works with. */
struct sp_job {
    struct sp_reconciler *r;
    struct sp_store s;
    json_t *obj; /* the Store as read */
    char *ns;    /* store-<name> (sp_store_namespace) */
    char *release;
    char *secret; /* store-<name>-credentials (sp_store_secret_name) */
    const struct sp_engine *engine;
    struct sp_job_transitions tr;
    json_t *written; /* the status as the API server has it (last read or written) */
    int64_t now;     /* wall clock ms at the start of the call */
};

/* ---- reconcile_job.c ---- */

struct sp_metric *sp_job_metric_failures(void);
struct sp_metric *sp_job_metric_duration(void);
/* Queues an Event (type Normal or Warning) to record after the status is written. */
void sp_job_transition(struct sp_job *j, const char *type, const char *reason, const char *message);
/* Moves to a phase and queues its Event. */
SP_MUST enum sp_err sp_job_go(struct sp_job *j, enum sp_phase to, const char *type,
                              const char *message);
void sp_job_cond(struct sp_job *j, enum sp_cond c, enum sp_cond_status st, const char *reason,
                 const char *message);
/* Failed with a reason word (metrics, status.reason) and a message for the shop owner. */
SP_MUST enum sp_err sp_job_fail(struct sp_job *j, const char *reason, const char *message);
/* The store's template variables (sp_reconcile_vars of its spec); a new object. */
json_t *sp_job_vars(struct sp_job *j);
/* Looks at the namespace: *exists, *terminating, *ours (labelled for this store). */
SP_MUST enum sp_err sp_job_ns_state(struct sp_job *j, bool *exists, bool *terminating, bool *ours);
/* The engine's chart version as a label value, or NULL (caller frees). */
char *sp_job_chart_label(const struct sp_engine *e);
/* status.url and status.adminUrl from the engine's templates. */
void sp_job_set_urls(struct sp_job *j);
/* Writes the status when it changed, then records the queued Events. */
SP_MUST enum sp_err sp_job_flush(struct sp_job *j);

/* ---- reconcile_slots.c (slots_lock taken inside) ---- */

/*
 * Takes a provisioning slot for name (a Store created at created_ms, which
 * is its place in the line); force ignores the limit. False when none is free.
 */
bool sp_slot_take(struct sp_reconciler *r, const char *name, int64_t created_ms, bool force);
/* Gives back both slots name may hold; a freed slot kicks the waiters whose turn it is. */
void sp_slot_give_back(struct sp_reconciler *r, const char *name);
/* Takes the one rollout slot for name; false when another store holds it. */
bool sp_rollout_take(struct sp_reconciler *r, const char *name);
void sp_rollout_give_back(struct sp_reconciler *r, const char *name);

/* ---- reconcile_provision.c ---- */

/*
 * helm upgrade --install of the store's values with the engine's chart, the
 * release record labelled with the generation and the chart version. Flushes
 * the status first. since_ms is when the deadline (--provision-timeout)
 * started counting: helm never runs past it. On SP_E_HELM the message is
 * helm's. *invalid is set when the values cannot be built (the message says why).
 */
SP_MUST enum sp_err sp_job_install(struct sp_job *j, int64_t since_ms, int64_t *rev, bool *invalid);
/* Provisioning: the next steps; *requeue as for sp_reconcile(). */
SP_MUST enum sp_err sp_job_provision(struct sp_job *j, int64_t *requeue);

/* ---- reconcile_readiness.c ---- */

/*
 * Readiness per the engine's checks. *ready true when everything is ready;
 * otherwise *why (caller frees) says what is not, and *hard says retrying
 * cannot help (a failed Job, an invalid image name).
 */
SP_MUST enum sp_err sp_job_check_workloads(struct sp_job *j, bool *ready, char **why, bool *hard);
/*
 * A running store's Deployments, StatefulSets and pods (the "pods" check, no
 * Jobs or claims): *problem (caller frees) says what is not ready, NULL when
 * all is; *pods is the pod list (a new reference) on success.
 */
SP_MUST enum sp_err sp_job_check_running(struct sp_job *j, char **problem, json_t **pods);
/* The storefront check (when switched on) of a store whose URLs are set; sets its condition. */
bool sp_job_storefront_serves(struct sp_job *j);
/*
 * The release as a shop owner sees it: the workloads (their condition set),
 * then the URLs and the storefront. *serving when all of it passed;
 * *failed (caller frees) says why when the workloads failed for good (no
 * retry helps), NULL otherwise.
 */
SP_MUST enum sp_err sp_job_serving(struct sp_job *j, bool *serving, char **failed);

/* ---- reconcile_rollout.c ---- */

/* Forgets an upgrade (status fields and the rollout slot). */
void sp_rollout_clear(struct sp_job *j);
/* An upgrade under way is dropped for a reinstall (spec change, namespace gone). */
void sp_rollout_abandon(struct sp_job *j, const char *why);
/* A Ready store: nothing, queued for the rollout slot, or one step of its upgrade. */
SP_MUST enum sp_err sp_job_rollout(struct sp_job *j, int64_t *requeue);

/* ---- reconcile_health.c ---- */

/*
 * A Ready or Degraded store's health, when its check is due (--health-interval,
 * jittered): its workloads, its restarts within --health-window, its
 * storefront. Ready -> Degraded with the reason, Degraded -> Ready when all
 * pass; each move an Event, an activity entry and a metric. *requeue is
 * lowered to the next check's time.
 */
SP_MUST enum sp_err sp_job_health(struct sp_job *j, int64_t *requeue);
/* A Ready or Degraded store's state between checks (health_lock). */
struct sp_health_state {
    char *name;
    int64_t next_ms; /* wall clock of the next health check; 0: at once */
    unsigned seed;   /* for the jitter (rand_r) */
    struct sp_health_hist hist;
    int64_t drift_next_ms;             /* wall clock of the next drift check; 0: at once */
    int64_t repairs;                   /* drift repairs made so far */
    struct sp_health_hist repair_hist; /* repairs over time, for --drift-repairs */
    bool paused;                       /* repairs are paused, and that was reported */
};
/* The store's state, made when missing (health_lock held). */
struct sp_health_state *sp_health_state_of(struct sp_reconciler *r, const char *name);
/* 90% to 110% of period_ms, so stores made together do not all check at once. */
int64_t sp_health_jitter(int64_t period_ms, unsigned *seed);
/* Lowers *requeue to ms (at least 1) when it is sooner, or when none is set. */
void sp_job_lower(int64_t *requeue, int64_t ms);
/* Forgets a store's health state (it was deleted, or left Ready and Degraded). */
void sp_health_forget(struct sp_reconciler *r, const char *name);
void sp_health_free_all(struct sp_reconciler *r);

/* ---- reconcile_drift.c ---- */

/*
 * A Ready or Degraded store's objects against its release's manifest, when
 * the check is due (--drift-interval, jittered): each one deleted or changed
 * is applied again from the manifest (server-side apply, as helm does),
 * at most --drift-repairs times within --health-window, each repair an
 * Event, an activity entry and a metric; past that, one Warning says the
 * repairs are paused. *requeue is lowered to the next check's time.
 */
SP_MUST enum sp_err sp_job_drift(struct sp_job *j, int64_t *requeue);
/* Registers the drift metrics, so they are shown before the first check. */
void sp_job_drift_metrics(void);

/* ---- reconcile_suspend.c ---- */

/* Registers the suspend metrics, so they are shown before the first suspension. */
void sp_job_suspend_metrics(void);
/* Counts a suspend/resume step (what: suspending, suspended, resuming) in the metric. */
void sp_job_suspend_count(const char *what);
/*
 * spec.suspended on a Ready or Suspended store: helm upgrade with ${suspended}
 * true (once per generation), Suspended, then wait (*requeue) until no pod runs.
 */
SP_MUST enum sp_err sp_job_suspend(struct sp_job *j, int64_t *requeue);

/* ---- reconcile_teardown.c ---- */

/* Failed: the release and namespace go (the Store stays). */
SP_MUST enum sp_err sp_job_cleanup(struct sp_job *j, int64_t *requeue);
/* deletionTimestamp is set: uninstall, delete the namespace, wait (then the finalizer goes). */
SP_MUST enum sp_err sp_job_finalize(struct sp_job *j, int64_t *requeue);
SP_MUST enum sp_err sp_job_remove_finalizer(struct sp_job *j);

#endif
