/*
 * Readiness checks: pure functions over the JSON lists the API server (or a
 * namespace's watch cache) gives, so they are tested on fixtures
 * (tests/unit/test_readiness.c). They decide whether a store's Jobs, volume
 * claims, Deployments, StatefulSets and pods are ready and, when they are
 * not, explain it in words a shop owner can search for.
 *
 * Each check takes *problem, the first explanation found so far (NULL when
 * none; owned by the caller, freed with free()), and sets it when it finds
 * the first one, so the checks compose in the order the engine's table
 * runs them. *hard is set for a problem no retry can fix (a failed Job, an
 * invalid image name). Looking up an object's latest Warning Event is the
 * one thing a check cannot do from the lists: it asks the caller's
 * warning() (which may return NULL), and only for objects older than
 * SP_READY_WARNING_AGE_MS, since fresh ones are still being set up and a
 * look costs a request per object.
 */
#ifndef SP_READINESS_H
#define SP_READINESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_READY_WARNING_AGE_MS 5000

struct sp_ready_ctx {
    int64_t now_ms; /* wall clock, for the age of objects */
    /* "Reason: message" of the latest Warning Event about kind/name (caller frees), or NULL */
    char *(*warning)(void *ud, const char *kind, const char *name);
    void *ud;
};

/* Jobs: each must be Complete; a Failed one is hard. */
void sp_ready_jobs(const json_t *jobs, char **problem, bool *hard);

/* PersistentVolumeClaims: each must be Bound. */
void sp_ready_pvcs(const struct sp_ready_ctx *c, const json_t *pvcs, char **problem);

/*
 * Deployments or StatefulSets (kind "deployment" or "statefulset" in the
 * message): every replica ready and up to date, the update observed, and
 * at least one wanted (the checks never run for a suspended store, so 0
 * replicas is a workload scaled down by hand).
 * *any is set when there is at least one.
 */
void sp_ready_workloads(const char *kind, const json_t *items, char **problem, bool *any);

/*
 * Pods not owned by a Job: each must be Ready. A pod's own reason replaces
 * a replica count found by sp_ready_workloads(), since it explains more.
 * *any is set when there is at least one such pod.
 */
void sp_ready_pods(const struct sp_ready_ctx *c, const json_t *pods, char **problem, bool *hard,
                   bool *any);

/*
 * Pods that may still run (phase neither Succeeded nor Failed, so also
 * Pending and terminating ones): how many, and the first one's name in
 * *first (caller frees; NULL when none). What "scaled to zero" waits for.
 */
size_t sp_ready_running_pods(const json_t *pods, char **first);

/*
 * A running store's restarts (health after Ready, reconcile_health.c): the
 * sum of restartCount over the containers of the pods not owned by a Job,
 * and, when any container has ended before, how the one that ended last
 * did, naming its component (the app.kubernetes.io/component label): "the
 * database (pod x-mariadb-0, container mariadb) last ended: OOMKilled, out
 * of memory (limit 512Mi), exit code 137" (*last, caller frees; NULL when
 * none ended).
 */
void sp_ready_restarts(const json_t *pods, int64_t *restarts, char **last);

/*
 * PersistentVolumes (the cluster's list) that a deleted store still has:
 * those claimed from namespace ns whose reclaim policy is Delete, so their
 * provisioner is still to remove them (and their data). Retained ones are
 * kept on purpose and not counted. How many, and the first one's name in
 * *first (caller frees; NULL when none). What a teardown waits for once the
 * namespace is gone.
 */
size_t sp_ready_volumes_left(const json_t *pvs, const char *ns, char **first);

#endif
