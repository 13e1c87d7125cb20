/*
 * The helm driver. Installs, upgrades, rollbacks and uninstalls run the helm binary
 * through proc.h (own process group, deadline, stderr kept for the failure
 * reason). The release state is read straight from helm's storage (Secrets
 * labelled owner=helm in the release namespace, HELM_DRIVER=secret, which
 * this driver sets) through the API client, which is cheaper than starting
 * helm and lets a release stuck in pending-* after a crash be recovered by
 * deleting that unfinished record: helm then sees the last good revision (or
 * none) and the next upgrade --install proceeds.
 */
#ifndef SP_HELM_H
#define SP_HELM_H

#include <stdatomic.h>
#include <stdint.h>

#include "err.h"
#include "kube.h"

struct sp_helm {
    const char *bin;        /* helm executable (PATH lookup when no '/') */
    const char *kubeconfig; /* passed as --kubeconfig, NULL in-cluster */
    const char *home;       /* directory for helm's cache/config/data (HELM_*_HOME) */
    int64_t timeout_ms;     /* deadline of one helm run */
    const char *labels;     /* "k=v[,k=v]" stored on the release record (--labels), or NULL */
    const atomic_bool *cancel;
};

struct sp_helm_state {
    int64_t deployed; /* revision in status deployed, 0 when none */
    int64_t latest;   /* highest revision recorded, 0 when no release */
    char status[32];  /* status of the latest revision, "" when no release */
};

/* Reads the release's records. No release is SP_OK with latest == 0. */
SP_MUST enum sp_err sp_helm_state(struct sp_kube *k, const char *release, const char *ns,
                                  struct sp_helm_state *out);

/* Deletes records in a pending-* status; *recovered counts them. */
SP_MUST enum sp_err sp_helm_recover_pending(struct sp_kube *k, const char *release, const char *ns,
                                            int *recovered);

/*
 * helm upgrade --install release chart -n ns -f each of values_files (NULL
 * terminated). *revision receives the deployed revision. On SP_E_HELM the
 * message is helm's own error line.
 */
SP_MUST enum sp_err sp_helm_upgrade(const struct sp_helm *h, const char *release, const char *ns,
                                    const char *chart, const char *const values_files[],
                                    int64_t *revision);

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
