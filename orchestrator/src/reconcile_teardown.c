/*
 * Removing a store's resources: helm uninstall, then the namespace (the
 * namespace controller removes its PVCs before the namespace goes), then
 * the wait for the volumes' provisioner to delete the PersistentVolumes
 * those claims had, which it does after the claims are gone, so possibly
 * after the namespace. One path for both a Failed store (whose Store is
 * kept) and a deleted one (whose finalizer goes once nothing is left).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "readiness.h"
#include "reconcile_job.h"
#include "util.h"

/* What a teardown says in the log and the activity log: the Failed store's or the deleted one's. */
struct teardown_words {
    const char *step;        /* log step */
    const char *uninstalled; /* activity once the release is uninstalled, or NULL */
    const char *deleting;    /* activity once the namespace deletion started */
};

/*
 * Once the namespace is gone: the store's volumes that their provisioner is
 * still to delete (0 when none). A failed look is an error, never "none".
 */
static enum sp_err volumes_left(struct sp_job *j, size_t *n)
{
    json_t *list = NULL;
    char *first = NULL;
    enum sp_err err = sp_kube_get(j->r->kube, "/api/v1/persistentvolumes", &list);

    *n = 0;
    if (err)
        return err;
    *n = sp_ready_volumes_left(json_object_get(list, "items"), j->ns, &first);
    if (*n)
        sp_debug(j->s.name, "teardown", "waiting for %zu volume(s) to be deleted, first %s", *n,
                 first ? first : "?");
    free(first);
    json_decref(list);
    return SP_OK;
}

/*
 * The one teardown path: while the namespace is ours and not terminating,
 * helm uninstall (when a release is recorded, or when that cannot be told:
 * a failed look is never read as "no release"; a failed uninstall is logged
 * and the namespace goes anyway), then delete the namespace and look again
 * later. Done (SP_OK, *requeue untouched) once the namespace and the
 * volumes claimed in it are gone, or the namespace was never ours.
 */
static enum sp_err teardown(struct sp_job *j, const struct teardown_words *w, int64_t *requeue)
{
    bool exists, terminating, ours;
    struct sp_helm_state st;
    char *path;
    size_t left;
    enum sp_err err = sp_job_ns_state(j, &exists, &terminating, &ours);

    if (err || (exists && !ours))
        return err;
    if (!exists) { /* the claims are gone; their volumes go a little later */
        err = volumes_left(j, &left);
        if (!err && left)
            *requeue = j->r->cfg.poll_ms;
        return err;
    }
    *requeue = j->r->cfg.poll_ms;
    if (terminating) /* the namespace controller removes the PVCs before it goes */
        return SP_OK;
    err = sp_job_flush(j);
    if (err)
        return err;
    if (sp_helm_look(j->r->kube, j->release, j->ns, false, &st) != SP_OK || st.latest) {
        err = sp_helm_uninstall(&j->r->helm, j->release, j->ns);
        if (err)
            sp_warn(j->s.name, w->step, "helm uninstall failed, deleting the namespace anyway: %s",
                    sp_errmsg());
        else if (w->uninstalled)
            sp_store_add_activity(&j->s, j->now, w->uninstalled);
    }
    path = sp_asprintf("/api/v1/namespaces/%s", j->ns);
    err = sp_kube_delete(j->r->kube, path, "Background", NULL);
    free(path);
    if (err && err != SP_E_NOTFOUND)
        return err;
    sp_info(j->s.name, w->step, "deleting namespace %s", j->ns);
    sp_store_add_activity(&j->s, j->now, w->deleting);
    return SP_OK;
}

enum sp_err sp_job_cleanup(struct sp_job *j, int64_t *requeue)
{
    static const struct teardown_words w = {.step = "cleanup",
                                            .deleting = "resources of the failed store removed"};
    return teardown(j, &w, requeue);
}

enum sp_err sp_job_remove_finalizer(struct sp_job *j)
{
    json_t *fins = json_object_get(json_object_get(j->obj, "metadata"), "finalizers");
    json_t *v, *ops;
    size_t i;
    char *path, idx[64];
    enum sp_err err = SP_OK;

    json_array_foreach(fins, i, v)
    {
        if (!json_is_string(v) || strcmp(json_string_value(v), SP_FINALIZER) != 0)
            continue;
        snprintf(idx, sizeof(idx), "/metadata/finalizers/%zu", i);
        ops = json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "op", "test", "path", idx, "value",
                        SP_FINALIZER, "op", "remove", "path", idx);
        path = sp_asprintf("%s/%s", SP_STORES_PATH, j->s.name);
        err = sp_kube_json_patch(j->r->kube, path, ops, NULL);
        free(path);
        json_decref(ops);
        if (err == SP_E_NOTFOUND)
            err = SP_OK;
        break;
    }
    return err;
}

enum sp_err sp_job_finalize(struct sp_job *j, int64_t *requeue)
{
    static const struct teardown_words w = {.step = "delete",
                                            .uninstalled = "release uninstalled",
                                            .deleting = "namespace deletion started"};
    enum sp_err err;

    sp_slot_give_back(j->r, j->s.name);
    if (!j->s.has_finalizer)
        return SP_OK;
    err = sp_job_go(j, SP_PHASE_DELETING, "Normal", "removing the store and its data");
    if (err)
        return err;
    return teardown(j, &w, requeue); /* done: the finalizer goes */
}
