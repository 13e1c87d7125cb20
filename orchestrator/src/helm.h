/*
 * The helm driver. Installs, upgrades, rollbacks and uninstalls run the helm binary
 * through proc.h (own process group, deadline, stderr kept for the failure
 * reason). The release state is read straight from helm's storage (Secrets
 * labelled owner=helm in the release namespace, HELM_DRIVER=secret, which
 * this driver sets) through the API client, which is cheaper than starting
 * helm and lets a release stuck in pending-* after a crash be recovered by
 * deleting that unfinished record: helm then sees the last good revision (or
 * none) and the next upgrade --install proceeds.
 *
 * This file is the only reader of helm's release records: one LIST per look
 * (sp_helm_look()) gives the revisions, the latest status and the labels the
 * controller put on the deployed record (generation, chart version), and
 * sp_helm_manifest() decodes the deployed record's manifest (the objects
 * helm applied: base64 of gzip of JSON, in a Secret's data). It also
 * owns the values file of an upgrade: written mode 0600 in a fresh directory
 * under h->tmpdir and removed after the run, whatever its result.
 */
#ifndef SP_HELM_H
#define SP_HELM_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "crd.h"
#include "err.h"
#include "kube.h"

struct sp_helm {
    const char *bin;        /* helm executable (PATH lookup when no '/') */
    const char *kubeconfig; /* passed as --kubeconfig, NULL in-cluster */
    const char *home;       /* directory for helm's cache/config/data (HELM_*_HOME) */
    const char *tmpdir;     /* where the values file of an upgrade is written */
    int64_t timeout_ms;     /* deadline of one helm run */
    const atomic_bool *cancel;
};

/* What one look at the release's records found. */
struct sp_helm_state {
    int64_t deployed;   /* revision in status deployed, 0 when none */
    int64_t latest;     /* highest revision recorded, 0 when no release */
    char status[32];    /* status of the latest revision, "" when no release */
    int64_t generation; /* the deployed record's SP_GENERATION_LABEL, 0 when none */
    char chart[64];     /* the deployed record's SP_CHART_LABEL, "" when none */
    int recovered;      /* records left in pending-* removed by this look */
};

/*
 * Reads the release's records with one LIST (no release, or no namespace,
 * is SP_OK with latest == 0). With recover, records left in a pending-*
 * status by a killed helm are deleted first and the state is that of the
 * others: helm then sees the last good revision (or none). On an error
 * nothing in *out may be used.
 */
SP_MUST enum sp_err sp_helm_look(struct sp_kube *k, const char *release, const char *ns,
                                 bool recover, struct sp_helm_state *out);

/*
 * The objects of the release's deployed revision, as helm applied them
 * (*objects: a JSON array of manifests, hooks not included; *revision: its
 * number). No deployed revision is SP_E_NOTFOUND. Costs one LIST of the
 * release's records, no helm process.
 */
SP_MUST enum sp_err sp_helm_manifest(struct sp_kube *k, const char *release, const char *ns,
                                     json_t **objects, int64_t *revision);

/* What an upgrade installs and the labels it leaves on the release record. */
struct sp_helm_install {
    const char *chart;
    const char *base_values_file; /* given before values (--store-values-file), or NULL */
    const json_t *values;         /* written to a private 0600 file, removed after the run */
    int64_t generation;           /* SP_GENERATION_LABEL */
    const char *chart_version;    /* SP_CHART_LABEL, or NULL for none */
};

/*
 * helm upgrade --install release -n ns with in's chart and values.
 * *revision receives the deployed revision. On SP_E_HELM the message is
 * helm's own error line; SP_E_IO when the values file cannot be written.
 */
SP_MUST enum sp_err sp_helm_upgrade(const struct sp_helm *h, const char *release, const char *ns,
                                    const struct sp_helm_install *in, int64_t *revision);

/*
 * helm rollback release revision -n ns: a new revision with the manifest of
 * revision (resources only in the newer one are deleted). Does not wait for
 * the workloads. On SP_E_HELM the message is helm's own error line.
 */
SP_MUST enum sp_err sp_helm_rollback(const struct sp_helm *h, const char *release, const char *ns,
                                     int64_t revision);

/* helm uninstall; a release that does not exist is SP_OK. */
SP_MUST enum sp_err sp_helm_uninstall(const struct sp_helm *h, const char *release, const char *ns);

#endif
