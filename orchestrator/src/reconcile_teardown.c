/*
 * Removing a store's resources: helm uninstall, then the namespace (the
 * namespace controller removes its PVCs and their volumes before the
 * namespace goes). One path for both a Failed store (whose Store is kept)
 * and a deleted one (whose finalizer goes once the namespace is gone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reconcile_job.h"
#include "util.h"

/* What a teardown says in the log and the activity log: the Failed store's or the deleted one's. */
struct teardown_words {
    const char *step;        /* log step */
    const char *uninstalled; /* activity once the release is uninstalled, or NULL */
    const char *deleting;    /* activity once the namespace deletion started */
};

/*
 * The one teardown path: while the namespace is ours and not terminating,
 * helm uninstall (when a release is recorded, or when that cannot be told:
 * a failed look is never read as "no release"; a failed uninstall is logged
 * and the namespace goes anyway), then delete the namespace and look again
 * later. Done (SP_OK, *requeue untouched) once the namespace is gone, or
 * was never ours.
 */
static enum sp_err teardown(struct sp_job *j, const struct teardown_words *w, int64_t *requeue)
{
    bool exists, terminating, ours;
    struct sp_helm_state st;
    char *path;
    enum sp_err err = sp_job_ns_state(j, &exists, &terminating, &ours);

    if (err || !exists || !ours)
        return err;
    *requeue = j->r->cfg.poll_ms;
    if (terminating) /* the namespace controller removes the PVCs (and their volumes) before
                      * the namespace itself disappears, so "namespace gone" means "data gone" */
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
