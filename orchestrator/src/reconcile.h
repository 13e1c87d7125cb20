/*
 * What to do next for one store: the decisions of the controller.
 * sp_reconcile() reads the Store fresh from the API server, compares it with
 * the world (namespace, Secret, helm release, workloads) and takes the next
 * steps, each idempotent, so it can be re-run after a crash at any line:
 *
 *   new ──► Pending ──(slot free)──► Provisioning ──► Ready
 *              │                        │  namespace ─► Secret ─► RoleBinding
 *              │                        │  ─► helm upgrade --install ─► readiness
 *              │                        │  ─► storefront ─► Ready
 *              └──► Failed ◄────────────┘  (timeout or hard error; release and
 *                     │                     namespace cleaned, Store kept)
 *                     └──(retry annotation)──► Pending
 *   deletionTimestamp ──► Deleting: helm uninstall ─► delete namespace ─► wait
 *                         until it is gone ─► remove the finalizer
 *
 * Chart rollout (the store stays Ready and serving throughout): a Ready store
 * whose deployed release carries another chart version (the release record's
 * storeplatform.dev/chart-version label) than its engine's chart waits for
 * the one rollout slot of the controller, then: helm upgrade ─► readiness
 * (the engine's checks, --provision-timeout) ─► done; or on a helm error, a
 * hard workload failure or the timeout: helm rollback to the revision before
 * ─► status.failedChartVersion, so that version is not tried again there.
 *
 * Status is written once per call, and only when it changed; an Event is
 * recorded for each phase transition after the status is stored.
 *
 * Looking again: a call that waits returns a requeue delay (the poll
 * interval), but the controller is also told sooner through the kick
 * callback: while a store waits for its workloads its namespace is watched
 * (nswatch.h) and every change there kicks it; when a provisioning slot
 * frees, the stores queued longest for one are kicked, in order. The poll
 * stays as the fallback when a watch is down.
 *
 * Thread-safety: one struct sp_reconciler is shared by all workers; it is
 * read-only after sp_reconciler_new() except the provisioning slots and the
 * rollout slot, which slots_lock guards. The controller guarantees one call per name at a time.
 */
#ifndef SP_RECONCILE_H
#define SP_RECONCILE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "err.h"
#include "helm.h"
#include "kube.h"
#include "nswatch.h"
#include "store.h"

struct sp_reconcile_config {
    const char *base_domain; /* hosts are <name>.<base_domain> */
    const char *ingress_class;
    bool ingress_tls;              /* also makes URLs https */
    const char *cluster_issuer;    /* "" for none */
    const char *storage_class;     /* "" for the cluster default */
    const char *store_values_file; /* values given to every store before its own, or NULL */
    const char *service_account;   /* "namespace/name" bound in each store namespace, or NULL */
    const char *store_role;        /* ClusterRole bound to it, or NULL */
    bool storefront_check;
    int64_t storefront_timeout_ms;
    const char *storefront_connect_to; /* HOST:PORT every check connects to, or NULL */
    int64_t health_ms;   /* a Ready store's health check period (reconcile_health.c); 0 off */
    int health_restarts; /* restarts within health_window_ms that make it Degraded */
    int64_t health_window_ms;
    int64_t drift_ms;  /* a Ready store's drift check period (reconcile_drift.c); 0 off */
    int drift_repairs; /* repairs of one store within health_window_ms before they pause */
    int64_t provision_timeout_ms;
    int64_t poll_ms;       /* how often a provisioning store is looked at */
    int max_provisioning;  /* stores provisioning at once; 0 = no limit */
    bool watch_namespaces; /* watch a waiting store's namespace (else poll only) */
};

/* A store waiting for a provisioning slot (slots_lock). */
struct sp_slot_waiter {
    char *name;
    int64_t seen_ms;    /* monotonic: when it last asked; forgotten when it stops asking */
    int64_t created_ms; /* the Store's creationTimestamp: its place in the line */
};

struct sp_health_state; /* reconcile_health.c */

struct sp_reconciler {
    struct sp_kube *kube;             /* borrowed */
    const struct sp_engines *engines; /* borrowed */
    struct sp_helm helm;
    struct sp_reconcile_config cfg; /* strings borrowed */
    pthread_mutex_t slots_lock;     /* guards slots and n_slots */
    char **slots;                   /* names holding a provisioning slot */
    size_t n_slots, cap_slots;
    char *rollout; /* the store holding the one chart-rollout slot, or NULL (slots_lock) */
    struct sp_slot_waiter *waiters; /* first come, first served (slots_lock) */
    size_t n_waiters, cap_waiters;
    sp_kick_fn kick; /* set once before the workers start, or NULL */
    void *kick_ud;
    struct sp_nswatch *watch;       /* namespace watches, or NULL (poll only) */
    pthread_mutex_t health_lock;    /* guards health and n_health */
    struct sp_health_state *health; /* per Ready/Degraded store: next check, restarts seen */
    size_t n_health, cap_health;
};

/* A new reconciler (caller frees with sp_reconciler_free()); kube, engines borrowed. */
struct sp_reconciler *sp_reconciler_new(struct sp_kube *kube, const struct sp_engines *engines,
                                        const struct sp_helm *helm,
                                        const struct sp_reconcile_config *cfg);
/*
 * Gives the reconciler a way to ask for a store to be looked at again soon,
 * and starts the namespace watches (cfg.watch_namespaces). Call before any
 * sp_reconcile().
 */
void sp_reconciler_start(struct sp_reconciler *r, sp_kick_fn kick, void *ud);
/*
 * Stops the watches and forgets the kick: call when no sp_reconcile() runs
 * any more, before whatever kick uses goes away.
 */
void sp_reconciler_stop(struct sp_reconciler *r);
/* Frees r (NULL is ignored). */
void sp_reconciler_free(struct sp_reconciler *r);

/*
 * Gives a slot to every store in stores (an array of Store objects) whose
 * phase is Provisioning, and the rollout slot to a store with
 * status.upgradingTo, so a restarted leader counts work already under way
 * before admitting new stores or starting another upgrade.
 */
void sp_reconciler_seed_slots(struct sp_reconciler *r, const json_t *stores);
size_t sp_reconciler_slots_used(struct sp_reconciler *r);

/*
 * Reconciles the store name. On SP_OK, *requeue_ms > 0 asks to look again
 * after that delay (waiting for something), 0 means nothing to wait for. An
 * error asks the caller to retry with back-off.
 */
SP_MUST enum sp_err sp_reconcile(struct sp_reconciler *r, const char *name, int64_t *requeue_ms);

/* What a Ready store needs from a chart rollout. */
enum sp_rollout {
    SP_ROLLOUT_NONE,    /* on the engine's chart already (or the engine has no version) */
    SP_ROLLOUT_HELD,    /* this version failed here before and was rolled back: not again */
    SP_ROLLOUT_UPGRADE, /* deployed from another (or an unrecorded) chart version */
};

/*
 * Decides from the engine's chart version (NULL: unknown), the deployed
 * release's (NULL: not recorded) and status.failedChartVersion (NULL: none).
 */
enum sp_rollout sp_rollout_decide(const char *chart, const char *deployed, const char *failed);

/*
 * The template variables of a store (name, namespace, release, host, scheme,
 * the environment and the plan); a new object. Exposed for tests.
 */
json_t *sp_reconcile_vars(const struct sp_reconcile_config *cfg, const char *name,
                          const struct sp_store_spec *spec);

#endif
