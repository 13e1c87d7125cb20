/*
 * Drift of a store's objects from its release (reconcile_drift.c uses it):
 * pure functions over the release's manifest objects and the live ones the
 * API server gives, tested on fixtures (tests/unit/test_drift.c).
 *
 * How drift is found: each object of the release's deployed manifest (of a
 * kind in the table below) is read live. A cheap local look
 * (sp_drift_covers) asks whether every field the manifest sets has that
 * value live; only when it does not (or the object is gone) does the
 * reconciler ask the API server what a server-side apply of the manifest
 * would make of it (dry run), and compares that with the live object
 * (sp_drift_diff), which leaves the API server's defaults and its ways of
 * writing values ("0.5" CPU is "500m") out of the question. Fields the
 * manifest does not set are never looked at, so what other controllers own
 * is left alone.
 */
#ifndef SP_DRIFT_H
#define SP_DRIFT_H

#include <jansson.h>
#include <stdbool.h>

/* The field manager helm applies the release with, and the repair too. */
#define SP_DRIFT_MANAGER "helm"

/*
 * The API path of obj in namespace ns when its kind is one drift repair
 * looks after (Deployment, StatefulSet, Service, Ingress, NetworkPolicy,
 * ResourceQuota, LimitRange, ConfigMap, Secret, ServiceAccount), else NULL
 * (caller frees). Jobs and PersistentVolumeClaims are not: a setup Job runs
 * once and may be cleaned up, and a claim made again would be empty.
 */
char *sp_drift_path(const json_t *obj, const char *ns);

/*
 * Whether every field want sets is there in live with the same value
 * (objects: recursively, extra fields in live are fine; arrays: as long and
 * element by element; an empty object or array in want asks for nothing,
 * and neither does false, 0 or "" where live has nothing, since the API
 * server leaves such defaults out; a number matches the same digits as a
 * string, as quotas keep them; quantities match by value, "3072Mi" is
 * "3Gi").
 * False may be a false alarm (a value the API server writes another way);
 * true is no drift.
 */
bool sp_drift_covers(const json_t *want, const json_t *live);

/*
 * obj as helm applies it (a new object): with the release's ownership
 * marks helm adds to every object it applies (annotations
 * meta.helm.sh/release-name and release-namespace, label
 * app.kubernetes.io/managed-by=Helm). An apply as helm's field manager
 * without them would remove them, and helm would no longer take the object
 * as its own.
 */
json_t *sp_drift_as_helm_applies(const json_t *obj, const char *release, const char *ns);

/*
 * The first difference between the object a dry-run apply would make (want)
 * and the live one, in words: "spec.replicas was 0, wants 1"; NULL when
 * none (caller frees). What the API server writes by itself is left out
 * (metadata.managedFields, resourceVersion, generation, status). With
 * secret, values are not shown ("data.password changed"). *path (when not
 * NULL; caller frees) receives the differing field, "spec.replicas".
 */
char *sp_drift_diff(const json_t *want, const json_t *live, bool secret, char **path);

/*
 * Who set field path ("spec.replicas", as sp_drift_diff gives it) in live:
 * the manager other than SP_DRIFT_MANAGER whose managedFields entry holds
 * it (or, for a path into a list, the field holding the list); NULL when
 * none. `kubectl scale` is "kubectl", `kubectl patch` "kubectl-patch".
 * Borrowed from live.
 */
const char *sp_drift_writer(const json_t *live, const char *path);

#endif
