/*
 * Kubernetes Events about a Store (core/v1, in namespace "default", where
 * `kubectl describe store` looks for events of cluster-scoped objects).
 * Recording is best effort: a failure is logged and never stops a reconcile,
 * which is why sp_event_record() returns nothing.
 */
#ifndef SP_EVENT_H
#define SP_EVENT_H

#include "kube.h"

/* type is "Normal" or "Warning"; reason a CamelCase word; message for people. */
void sp_event_record(struct sp_kube *k, const char *store, const char *uid, const char *type,
                     const char *reason, const char *message);

/* Sets the reportingInstance written in every Event (copied; default "orchestrator"). */
void sp_event_set_instance(const char *instance);

#endif
