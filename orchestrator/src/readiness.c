/*
 * Readiness checks over JSON lists (see readiness.h). Nothing here does
 * I/O: the one lookup a check needs beyond its lists, an object's latest
 * Warning Event, is the caller's.
 */
#include "readiness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *name_of(const json_t *o)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}

/*
 * Whether o was created at least `ms` ago; an object whose age is unknown
 * counts as old. Fresh objects are not asked about their Warning events: they
 * are still being set up, and looking costs a request per object per look.
 */
static bool older_than(const struct sp_ready_ctx *c, const json_t *o, int64_t ms)
{
    int64_t created;
    const char *t =
        json_string_value(json_object_get(json_object_get(o, "metadata"), "creationTimestamp"));
    return !t || !sp_time_parse(t, &created) || c->now_ms - created >= ms;
}

static char *warning(const struct sp_ready_ctx *c, const char *kind, const char *name)
{
    return c->warning && name ? c->warning(c->ud, kind, name) : NULL;
}

/* The memory limit of the pod's container NAME ("512Mi"), or NULL. */
static const char *memory_limit(const json_t *pod, const char *name)
{
    const json_t *c;
    size_t i;
    const char *lists[] = {"initContainers", "containers"};
    for (int l = 0; l < 2 && name; l++) {
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c)
        {
            const char *n = json_string_value(json_object_get(c, "name"));
            if (n && strcmp(n, name) == 0)
                return json_string_value(json_object_get(
                    json_object_get(json_object_get(c, "resources"), "limits"), "memory"));
        }
    }
    return NULL;
}

/*
 * How a restarting container last ended, in words a shop owner can act on
 * ("; it last ended: OOMKilled, out of memory (limit 512Mi), exit code 137,
 * 3 restarts"), or "" when it has not ended yet (caller frees).
 */
static char *last_end(const json_t *pod, const json_t *status)
{
    const json_t *t = json_object_get(json_object_get(status, "lastState"), "terminated");
    const char *reason = json_string_value(json_object_get(t, "reason"));
    const char *name = json_string_value(json_object_get(status, "name"));
    const char *limit = memory_limit(pod, name);
    json_int_t restarts = json_integer_value(json_object_get(status, "restartCount"));
    bool oom = reason && strcmp(reason, "OOMKilled") == 0;

    if (!t)
        return sp_strdup("");
    return sp_asprintf("; it last ended: %s%s%s%s%s, exit code %lld, %lld restart%s",
                       reason ? reason : "terminated", oom ? ", out of memory" : "",
                       oom && limit ? " (limit " : "", oom && limit ? limit : "",
                       oom && limit ? ")" : "",
                       (long long)json_integer_value(json_object_get(t, "exitCode")),
                       (long long)restarts, restarts == 1 ? "" : "s");
}

/* Why a pod is not ready, from its container states; NULL when it is ready (caller frees). */
static char *pod_problem(const struct sp_ready_ctx *ctx, const json_t *pod, bool *hard)
{
    const json_t *st = json_object_get(pod, "status");
    const char *phase = json_string_value(json_object_get(st, "phase"));
    const json_t *c;
    size_t i;
    bool ready = false;

    json_array_foreach(json_object_get(st, "conditions"), i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *s = json_string_value(json_object_get(c, "status"));
        if (type && s && strcmp(type, "Ready") == 0 && strcmp(s, "True") == 0)
            ready = true;
    }
    if (ready)
        return NULL;
    if (phase && strcmp(phase, "Failed") == 0) {
        const char *m = json_string_value(json_object_get(st, "message"));
        return sp_asprintf("pod %s failed%s%s", name_of(pod), m ? ": " : "", m ? m : "");
    }
    const char *lists[] = {"initContainerStatuses", "containerStatuses"};
    for (int l = 0; l < 2; l++) {
        json_array_foreach(json_object_get(st, lists[l]), i, c)
        {
            const json_t *w = json_object_get(json_object_get(c, "state"), "waiting");
            const char *reason = json_string_value(json_object_get(w, "reason"));
            const char *m = json_string_value(json_object_get(w, "message"));
            if (!reason || strcmp(reason, "ContainerCreating") == 0 ||
                strcmp(reason, "PodInitializing") == 0)
                continue;
            if (strcmp(reason, "InvalidImageName") == 0 ||
                strcmp(reason, "CreateContainerConfigError") == 0)
                *hard = true;
            char *end = last_end(pod, c);
            char *msg = sp_asprintf("pod %s, container %s: %s%s%s%s", name_of(pod),
                                    json_string_value(json_object_get(c, "name")), reason,
                                    m ? ": " : "", m ? m : "", end);
            free(end);
            return msg;
        }
    }
    {
        char *w = older_than(ctx, pod, SP_READY_WARNING_AGE_MS) ? warning(ctx, "Pod", name_of(pod))
                                                                : NULL;
        char *msg = sp_asprintf("pod %s is not ready%s%s", name_of(pod), w ? ": " : "", w ? w : "");
        free(w);
        return msg;
    }
}

static bool owned_by_job(const json_t *pod)
{
    const json_t *ref;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), i, ref)
    {
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        if (kind && strcmp(kind, "Job") == 0)
            return true;
    }
    return false;
}

/* Whether a Deployment or StatefulSet has all its replicas ready and up to date. */
static char *workload_problem(const char *kind, const json_t *o)
{
    const json_t *spec = json_object_get(o, "spec"), *st = json_object_get(o, "status");
    json_int_t want = json_is_integer(json_object_get(spec, "replicas"))
                          ? json_integer_value(json_object_get(spec, "replicas"))
                          : 1;
    json_int_t ready = json_integer_value(json_object_get(st, "readyReplicas"));
    json_int_t updated = json_integer_value(json_object_get(st, "updatedReplicas"));
    json_int_t gen =
        json_integer_value(json_object_get(json_object_get(o, "metadata"), "generation"));
    json_int_t seen = json_integer_value(json_object_get(st, "observedGeneration"));

    if (seen < gen)
        return sp_asprintf("%s %s: update not yet observed", kind, name_of(o));
    if (want == 0) /* a suspended store is never checked: this was done by hand */
        return sp_asprintf("%s %s is scaled to 0 replicas: nothing runs", kind, name_of(o));
    if (ready < want || updated < want)
        return sp_asprintf("%s %s: %lld of %lld replicas ready", kind, name_of(o), (long long)ready,
                           (long long)want);
    return NULL;
}

void sp_ready_jobs(const json_t *jobs, char **problem, bool *hard)
{
    const json_t *o;
    size_t i;

    json_array_foreach(jobs, i, o)
    {
        const json_t *cd;
        size_t k;
        bool complete = false;
        json_array_foreach(json_object_get(json_object_get(o, "status"), "conditions"), k, cd)
        {
            const char *type = json_string_value(json_object_get(cd, "type"));
            const char *s = json_string_value(json_object_get(cd, "status"));
            if (!type || !s || strcmp(s, "True") != 0)
                continue;
            if (strcmp(type, "Complete") == 0)
                complete = true;
            if (strcmp(type, "Failed") == 0 && !*hard) {
                /* a failed Job decides the store's fate: its reason replaces any other */
                const char *m = json_string_value(json_object_get(cd, "message"));
                const char *r = json_string_value(json_object_get(cd, "reason"));
                free(*problem);
                *problem = sp_asprintf("setup job %s failed: %s%s%s", name_of(o), r ? r : "Failed",
                                       m ? ": " : "", m ? m : "");
                *hard = true;
            }
        }
        if (!complete && !*problem)
            *problem = sp_asprintf("job %s has not completed yet", name_of(o));
    }
}

void sp_ready_pvcs(const struct sp_ready_ctx *c, const json_t *pvcs, char **problem)
{
    const json_t *o;
    size_t i;

    json_array_foreach(pvcs, i, o)
    {
        const char *phase =
            json_string_value(json_object_get(json_object_get(o, "status"), "phase"));
        if (phase && strcmp(phase, "Bound") == 0)
            continue;
        if (!*problem) {
            char *w = older_than(c, o, SP_READY_WARNING_AGE_MS)
                          ? warning(c, "PersistentVolumeClaim", name_of(o))
                          : NULL;
            *problem = sp_asprintf("volume claim %s is %s%s%s", name_of(o),
                                   phase ? phase : "not bound", w ? ": " : "", w ? w : "");
            free(w);
        }
    }
}

void sp_ready_workloads(const char *kind, const json_t *items, char **problem, bool *any)
{
    const json_t *o;
    size_t i;

    json_array_foreach(items, i, o)
    {
        char *p = workload_problem(kind, o);
        *any = true;
        if (p && !*problem)
            *problem = p;
        else
            free(p);
    }
}

void sp_ready_pods(const struct sp_ready_ctx *c, const json_t *pods, char **problem, bool *hard,
                   bool *any)
{
    const json_t *o;
    size_t i;

    json_array_foreach(pods, i, o)
    {
        char *p;
        bool soft = *problem && strstr(*problem, " has not completed yet");
        if (owned_by_job(o)) {
            /* a Job's pods are the Job check's, but a container's own reason (a missing
               image, a crash loop) says why the Job has not completed */
            bool was_hard = *hard;
            if (!soft)
                continue;
            p = pod_problem(c, o, hard);
            if (p && strstr(p, ", container ")) {
                free(*problem);
                *problem = p;
            } else {
                *hard = was_hard;
                free(p);
            }
            continue;
        }
        *any = true;
        p = pod_problem(c, o, hard);
        /* a pod's own reason explains more than a replica count or a waiting Job */
        if (p && (!*problem || (soft && strstr(p, ", container ")) ||
                  strncmp(*problem, "deployment", 10) == 0 ||
                  strncmp(*problem, "statefulset", 11) == 0)) {
            free(*problem);
            *problem = p;
        } else {
            free(p);
        }
    }
}

size_t sp_ready_running_pods(const json_t *pods, char **first)
{
    const json_t *pod;
    size_t i, n = 0;

    *first = NULL;
    json_array_foreach(pods, i, pod)
    {
        const char *phase =
            json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
        if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
            continue;
        if (n++ == 0 && name_of(pod))
            *first = sp_strdup(name_of(pod));
    }
    return n;
}

size_t sp_ready_volumes_left(const json_t *pvs, const char *ns, char **first)
{
    const json_t *pv, *spec;
    size_t i, n = 0;

    *first = NULL;
    json_array_foreach(pvs, i, pv)
    {
        const char *claim_ns, *policy;
        spec = json_object_get(pv, "spec");
        claim_ns =
            json_string_value(json_object_get(json_object_get(spec, "claimRef"), "namespace"));
        policy = json_string_value(json_object_get(spec, "persistentVolumeReclaimPolicy"));
        if (!claim_ns || strcmp(claim_ns, ns) != 0 || !policy || strcmp(policy, "Delete") != 0)
            continue;
        if (n++ == 0 && name_of(pv))
            *first = sp_strdup(name_of(pv));
    }
    return n;
}

void sp_ready_restarts(const json_t *pods, int64_t *restarts, char **last)
{
    const json_t *o, *c;
    size_t i, k;
    char latest[40] = "";

    *restarts = 0;
    *last = NULL;
    json_array_foreach(pods, i, o)
    {
        if (owned_by_job(o))
            continue;
        json_array_foreach(json_object_get(json_object_get(o, "status"), "containerStatuses"), k, c)
        {
            const json_t *t = json_object_get(json_object_get(c, "lastState"), "terminated");
            const char *at = json_string_value(json_object_get(t, "finishedAt"));
            const char *reason = json_string_value(json_object_get(t, "reason"));
            const char *name = json_string_value(json_object_get(c, "name"));
            const char *component = json_string_value(
                json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"),
                                "app.kubernetes.io/component"));
            const char *limit = memory_limit(o, name);
            bool oom = reason && strcmp(reason, "OOMKilled") == 0;

            *restarts += json_integer_value(json_object_get(c, "restartCount"));
            if (!t || (at && strcmp(at, latest) <= 0) || (!at && *last))
                continue;
            snprintf(latest, sizeof(latest), "%s", at ? at : "");
            free(*last);
            *last = sp_asprintf(
                "the %s (pod %s, container %s) last ended: %s%s%s%s%s, exit code %lld",
                component ? component : "workload", name_of(o), name ? name : "?",
                reason ? reason : "terminated", oom ? ", out of memory" : "",
                oom && limit ? " (limit " : "", oom && limit ? limit : "", oom && limit ? ")" : "",
                (long long)json_integer_value(json_object_get(t, "exitCode")));
        }
    }
}
