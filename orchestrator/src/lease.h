/*
 * Leader election with a coordination.k8s.io/v1 Lease, the protocol
 * client-go uses: the holder renews spec.renewTime every retry period; a
 * candidate takes the Lease over when it has seen no change to it for
 * leaseDurationSeconds (measured on its own clock, so clock skew between
 * replicas does not matter); all writes are optimistic (resourceVersion), so
 * two candidates can never both win. A leader that cannot renew within the
 * renew deadline steps down before anyone else may take over.
 */
#ifndef SP_LEASE_H
#define SP_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "kube.h"

struct sp_lease_config {
    const char *namespace;
    const char *name;
    const char *identity;
    int64_t duration_ms;       /* leaseDurationSeconds (default 15 s) */
    int64_t renew_deadline_ms; /* step down when not renewed for this long (default 10 s) */
    int64_t retry_ms;          /* attempt period (default 2 s) */
};

struct sp_lease;

/*
 * Starts the election thread. on_change(ud, leader) runs on that thread each
 * time leadership is gained or lost. Strings in cfg are copied.
 */
SP_MUST enum sp_err sp_lease_start(struct sp_kube *k, const struct sp_lease_config *cfg,
                                   void (*on_change)(void *ud, bool leader), void *ud,
                                   struct sp_lease **out);
bool sp_lease_is_leader(struct sp_lease *l);
/* Stops the thread; a leader releases the Lease so a successor need not wait. */
void sp_lease_stop(struct sp_lease *l);

#endif
