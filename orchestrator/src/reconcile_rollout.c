/*
 * Chart rollout of a Ready store (reconcile.h): the store stays Ready and
 * serving; it waits for the controller's one rollout slot, is upgraded,
 * checked like a new store, and rolled back to the revision before on a
 * helm error, a hard workload failure or the deadline. The failed version
 * is recorded before the rollback, so a crash resumes with the rollback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reconcile_job.h"
#include "util.h"

enum sp_rollout sp_rollout_decide(const char *chart, const char *deployed, const char *failed)
{
    if (!chart || !*chart || (deployed && strcmp(deployed, chart) == 0))
        return SP_ROLLOUT_NONE;
    if (failed && strcmp(failed, chart) == 0)
        return SP_ROLLOUT_HELD;
    return SP_ROLLOUT_UPGRADE;
}

void sp_rollout_clear(struct sp_job *j)
{
    sp_set_str(&j->s.status.upgrading_to, NULL);
    j->s.status.upgrade_from_revision = 0;
    j->s.status.upgrade_started_ms = 0;
    sp_rollout_give_back(j->r, j->s.name);
}

/* An upgrade under way is dropped for a reinstall (spec change, namespace gone). */
void sp_rollout_abandon(struct sp_job *j, const char *why)
{
    char msg[300];
    if (!j->s.status.upgrading_to)
        return;
    snprintf(msg, sizeof(msg), "upgrade to chart %s abandoned: %s", j->s.status.upgrading_to, why);
    sp_store_add_activity(&j->s, j->now, msg);
    sp_info(j->s.name, "rollout", "%s", msg);
    sp_rollout_clear(j);
}

/*
 * The upgrade to chart status.upgradingTo failed (cause): helm rollback to
 * status.upgradeFromRevision, remember the version in failedChartVersion
 * (recorded before the rollback, so a crash or a failed rollback comes back
 * here instead of upgrading again) and give the rollout slot back.
 */
static enum sp_err roll_back(struct sp_job *j, const char *cause, int64_t *requeue)
{
    struct sp_helm_state st;
    char msg[1400];
    int64_t t0 = sp_wall_ms();
    enum sp_err err;

    if (!j->s.status.failed_chart_version ||
        strcmp(j->s.status.failed_chart_version, j->s.status.upgrading_to) != 0) {
        snprintf(msg, sizeof(msg), "upgrade to chart %s failed: %s; rolling back to revision %lld",
                 j->s.status.upgrading_to, cause, (long long)j->s.status.upgrade_from_revision);
        sp_set_str(&j->s.status.failed_chart_version, j->s.status.upgrading_to);
        sp_set_str(&j->s.status.message, msg);
        sp_store_add_activity(&j->s, j->now, msg);
        sp_warn(j->s.name, "rollout", "%s", msg);
    }
    err = sp_job_flush(j);
    if (!err)
        err = sp_helm_look(j->r->kube, j->release, j->ns, true, &st);
    if (!err && j->r->watch)
        sp_nswatch_drop(j->r->watch, j->s.name);
    if (!err)
        err = sp_helm_rollback(&j->r->helm, j->release, j->ns, j->s.status.upgrade_from_revision);
    if (err) {
        sp_warn(j->s.name, "rollout", "helm rollback to revision %lld failed: %s",
                (long long)j->s.status.upgrade_from_revision, sp_errmsg());
        return err;
    }
    err = sp_helm_look(j->r->kube, j->release, j->ns, false, &st);
    if (err)
        return err;
    sp_set_str(&j->s.status.chart_version, st.chart[0] ? st.chart : NULL);
    j->s.status.helm_revision = st.deployed;
    {
        /* the message keeps the cause, which status.message already holds */
        const char *m = j->s.status.message ? j->s.status.message : "";
        const char *tail = strstr(m, "; rolling back to revision");
        snprintf(msg, sizeof(msg), "%.*s; rolled back to revision %lld (now revision %lld)",
                 (int)(tail ? (size_t)(tail - m) : strlen(m)), m,
                 (long long)j->s.status.upgrade_from_revision, (long long)st.deployed);
    }
    sp_set_str(&j->s.status.message, msg);
    sp_store_add_activity(&j->s, j->now, msg);
    sp_job_transition(j, "Warning", "UpgradeRolledBack", msg);
    snprintf(msg, sizeof(msg), "revision %lld (rollback to %lld)", (long long)st.deployed,
             (long long)j->s.status.upgrade_from_revision);
    sp_job_cond(j, SP_COND_RELEASE, SP_TRUE, "RolledBack", msg);
    sp_job_cond(j, SP_COND_WORKLOADS, SP_UNKNOWN, "RolledBack",
                "the previous revision's workloads are restored by the rollback");
    sp_info(j->s.name, "rollout", "rolled back to revision %lld in %lld ms",
            (long long)j->s.status.upgrade_from_revision, (long long)(sp_wall_ms() - t0));
    sp_rollout_clear(j);
    *requeue = 0;
    return SP_OK;
}

/*
 * A Ready store and the engine's chart version: nothing, queued for the
 * rollout slot, or one step of its upgrade (helm upgrade, then readiness
 * per call until ready, a hard failure or the timeout, then done or rolled
 * back). The phase stays Ready: the old pods serve until the new ones are
 * ready, and a failed upgrade goes back to the old revision.
 */
/*
 * No upgrade under way: start one when the deployed release's chart is
 * outdated and the rollout slot is free (else say the store is queued).
 * *started tells whether the upgrade now goes on in this call.
 */
static enum sp_err rollout_start(struct sp_job *j, const char *want, int64_t *requeue,
                                 bool *started)
{
    struct sp_helm_state st;
    const char *deployed;
    char msg[400];
    enum sp_err err = sp_helm_look(j->r->kube, j->release, j->ns, false, &st);

    *started = false;
    if (err || !st.deployed || st.latest != st.deployed)
        return err;
    deployed = st.chart[0] ? st.chart : NULL;
    sp_set_str(&j->s.status.chart_version, deployed);
    if (sp_rollout_decide(want, deployed, j->s.status.failed_chart_version) != SP_ROLLOUT_UPGRADE)
        return SP_OK;
    *requeue = j->r->cfg.poll_ms;
    if (!sp_rollout_take(j->r, j->s.name)) {
        snprintf(msg, sizeof(msg),
                 "queued for the upgrade to chart %s: stores are upgraded one at a time", want);
        if (!j->s.status.message || strcmp(j->s.status.message, msg) != 0) {
            sp_set_str(&j->s.status.message, msg);
            sp_store_add_activity(&j->s, j->now, msg);
        }
        return SP_OK;
    }
    sp_set_str(&j->s.status.upgrading_to, want);
    j->s.status.upgrade_from_revision = st.deployed;
    j->s.status.upgrade_started_ms = j->now;
    snprintf(msg, sizeof(msg), "upgrading to chart %s from %s (revision %lld)", want,
             deployed ? deployed : "an unrecorded chart version", (long long)st.deployed);
    sp_set_str(&j->s.status.message, msg);
    sp_store_add_activity(&j->s, j->now, msg);
    sp_job_transition(j, "Normal", "Upgrading", msg);
    sp_info(j->s.name, "rollout", "%s", msg);
    *started = true;
    return SP_OK;
}

/* helm upgrade to want (the release does not carry it yet); readiness from the next call. */
static enum sp_err rollout_install(struct sp_job *j, const char *want, int64_t *requeue)
{
    char msg[1400];
    int64_t rev = 0;
    bool invalid;
    enum sp_err err = sp_job_install(j, j->s.status.upgrade_started_ms, &rev, &invalid);

    if (err == SP_E_HELM || invalid) {
        snprintf(msg, sizeof(msg), "helm upgrade: %s", sp_errmsg());
        return roll_back(j, msg, requeue);
    }
    if (err)
        return err;
    j->s.status.helm_revision = rev;
    sp_set_str(&j->s.status.chart_version, want);
    snprintf(msg, sizeof(msg), "revision %lld", (long long)rev);
    sp_job_cond(j, SP_COND_RELEASE, SP_TRUE, "Deployed", msg);
    snprintf(msg, sizeof(msg), "release upgraded to chart %s (revision %lld); checking readiness",
             want, (long long)rev);
    sp_store_add_activity(&j->s, j->now, msg);
    return SP_OK; /* once the controllers saw the change */
}

/* The upgraded release (revision deployed): ready and done, waiting, or rolled back. */
static enum sp_err rollout_finish(struct sp_job *j, const char *want, int64_t deployed,
                                  int64_t *requeue)
{
    char msg[1400], *failed;
    bool serving;
    enum sp_err err = sp_job_serving(j, &serving, &failed);

    if (err)
        return err;
    if (failed) {
        snprintf(msg, sizeof(msg), "%s", failed);
        free(failed);
        return roll_back(j, msg, requeue);
    }
    if (!serving)
        return SP_OK;
    snprintf(msg, sizeof(msg), "upgraded to chart %s (revision %lld) in %.1f s", want,
             (long long)deployed, (double)(j->now - j->s.status.upgrade_started_ms) / 1000.0);
    sp_set_str(&j->s.status.message, msg);
    sp_store_add_activity(&j->s, j->now, msg);
    sp_job_transition(j, "Normal", "Upgraded", msg);
    sp_info(j->s.name, "rollout", "%s", msg);
    j->s.status.helm_revision = deployed;
    sp_set_str(&j->s.status.chart_version, want);
    sp_set_str(&j->s.status.failed_chart_version, NULL);
    sp_rollout_clear(j);
    *requeue = 0;
    return SP_OK;
}

/* One step of an upgrade under way: resume a rollback, time out, install, or check. */
static enum sp_err rollout_step(struct sp_job *j, const char *want, int64_t *requeue)
{
    struct sp_helm_state st;
    char msg[1400];
    enum sp_err err;

    *requeue = j->r->cfg.poll_ms;
    if (!sp_rollout_take(j->r, j->s.name))
        return SP_OK; /* only after a restart found two upgrades under way: one waits */
    if (j->s.status.failed_chart_version &&
        strcmp(j->s.status.failed_chart_version, j->s.status.upgrading_to) == 0)
        return roll_back(j, "", requeue); /* decided before a crash or a failed rollback */
    if (strcmp(j->s.status.upgrading_to, want) != 0) {
        /* restarted with yet another chart during an upgrade: that one is the target now */
        sp_set_str(&j->s.status.upgrading_to, want);
        j->s.status.upgrade_started_ms = j->now;
    }
    if (j->now - j->s.status.upgrade_started_ms > j->r->cfg.provision_timeout_ms) {
        const struct sp_condition *w = &j->s.status.cond[SP_COND_WORKLOADS];
        snprintf(msg, sizeof(msg), "not ready within %lld s: %s",
                 (long long)(j->r->cfg.provision_timeout_ms / 1000),
                 w->status != SP_TRUE && w->message ? w->message : "readiness not reached");
        return roll_back(j, msg, requeue);
    }
    /* the release carries the target chart, else (helm not run yet, or a crash) upgrade */
    err = sp_helm_look(j->r->kube, j->release, j->ns, true, &st);
    if (err)
        return err;
    if (!st.chart[0] || strcmp(st.chart, want) != 0 || st.latest != st.deployed)
        return rollout_install(j, want, requeue);
    return rollout_finish(j, want, st.deployed, requeue);
}

enum sp_err sp_job_rollout(struct sp_job *j, int64_t *requeue)
{
    char *want = sp_job_chart_label(j->engine);
    bool started = true;
    enum sp_err err = SP_OK;

    if (want && *want && !j->s.status.upgrading_to)
        err = rollout_start(j, want, requeue, &started);
    if (want && *want && !err && started)
        err = rollout_step(j, want, requeue);
    free(want);
    return err;
}
