/*
 * Suspend and resume: what a request to suspend or resume a store means in
 * the state the store is in, and what the controller does next with a store
 * whose spec.suspended and phase disagree. Pure functions over struct
 * sp_store, so the API (api_stores.c) and the controller (reconcile.c,
 * reconcile_suspend.c) decide the same way and the rules are unit-tested
 * (tests/unit/test_suspend.c).
 *
 * The state lives in the Store only: spec.suspended is the wish (written by
 * the API, or kubectl/GitOps), status.phase Suspended and status.suspendedAt /
 * status.resumedAt are what the controller did. A restart anywhere re-reads
 * them and goes on.
 *
 *   Ready | Degraded ──(spec.suspended: true)──► helm upgrade with ${suspended} = true
 *         ──► Suspended ("stopping": pods still run) ──► Suspended (no pod runs)
 *   Suspended ──(spec.suspended: false)──► Provisioning (helm upgrade, readiness,
 *         storefront, exactly as a new store) ──► Ready
 */
#ifndef SP_SUSPEND_H
#define SP_SUSPEND_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

enum sp_suspend_op { SP_OP_SUSPEND, SP_OP_RESUME };

enum sp_suspend_answer {
    SP_SUSPEND_CHANGE,   /* write spec.suspended (202) */
    SP_SUSPEND_ALREADY,  /* the store is, or is becoming, what was asked: nothing changes (200) */
    SP_SUSPEND_CONFLICT, /* not in this phase (409); why names the phase */
};

/*
 * What op does to store s (as read from the API server). Suspend needs a
 * Ready (or Degraded: its owner may stop a broken store) store; resume a suspended one
 * (spec.suspended true, or phase Suspended, or resumed since its last suspension: a repeated
 * resume). A store being deleted conflicts with both. On SP_SUSPEND_CONFLICT, why (n bytes) holds
 * the message for the shop owner, naming the phase.
 */
enum sp_suspend_answer sp_suspend_decide(enum sp_suspend_op op, const struct sp_store *s, char *why,
                                         size_t n);

/* The phase a store shows to people: Deleting when deletion started, Pending before any. */
const char *sp_suspend_shown_phase(const struct sp_store *s);

enum sp_suspend_next {
    SP_NEXT_NONE,    /* suspension is not the controller's concern for this store now */
    SP_NEXT_SUSPEND, /* scale to zero (or finish doing so): reconcile_suspend.c */
    SP_NEXT_RESUME,  /* Suspended, resume asked: provision again */
};

/* The controller's next step for s as far as suspension goes (deletion is handled first). */
enum sp_suspend_next sp_suspend_next(const struct sp_store *s);

/* True when s was resumed after its latest suspension started. */
bool sp_suspend_resumed(const struct sp_store *s);

/*
 * True while s is being brought back from a suspension: Provisioning since
 * its resume (provisioningStartedAt == resumedAt). Its namespace holds the
 * data the suspension kept, so nothing may fail it then: Failed's clean-up
 * deletes the namespace. The provisioning steps retry instead (reconcile_job.c).
 */
bool sp_suspend_resuming(const struct sp_store *s);

#endif
