/*
 * Where the API server is and how to authenticate to it: from a kubeconfig
 * file (its current context, or a named one), or from the service-account
 * files a pod gets. Credentials come as files or inline "-data" (base64 in the
 * kubeconfig, decoded here to PEM bytes kept in memory), or a bearer token.
 * Exec and auth-provider plugins are not supported and are reported as such.
 *
 * Every string in struct sp_kubeconfig is owned by it and freed by
 * sp_kubeconfig_release(); absent values are NULL / empty buffers.
 */
#ifndef SP_KUBECONFIG_H
#define SP_KUBECONFIG_H

#include <stdbool.h>

#include "err.h"
#include "util.h"

#define SP_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct sp_kubeconfig {
    char *server;       /* "https://host:port", no trailing slash */
    char *namespace;    /* the context's namespace, or the pod's; "default" when unset */
    char *token;        /* bearer token, or NULL */
    char *token_file;   /* file holding the token, re-read as it rotates, or NULL */
    char *ca_file;      /* CA bundle path, or NULL */
    struct sp_buf ca;   /* CA bundle PEM bytes (certificate-authority-data) */
    char *cert_file;    /* client certificate path, or NULL */
    struct sp_buf cert; /* client certificate PEM bytes */
    char *key_file;     /* client key path, or NULL */
    struct sp_buf key;  /* client key PEM bytes */
    bool insecure;      /* insecure-skip-tls-verify */
    char *path;         /* the kubeconfig file read, NULL in-cluster (helm needs it) */
};

/*
 * Parses kubeconfig YAML text. context NULL means current-context; relative
 * file paths are resolved against base_dir (may be NULL).
 */
SP_MUST enum sp_err sp_kubeconfig_parse(const char *yaml, size_t len, const char *base_dir,
                                        const char *context, struct sp_kubeconfig *out);

/* Reads and parses the kubeconfig at path; sets out->path. */
SP_MUST enum sp_err sp_kubeconfig_load_file(const char *path, const char *context,
                                            struct sp_kubeconfig *out);

/*
 * In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the token, CA and
 * namespace files under sa_dir (SP_SA_DIR in a pod).
 */
SP_MUST enum sp_err sp_kubeconfig_in_cluster(const char *sa_dir, struct sp_kubeconfig *out);

/*
 * The usual order: flag_path if given, else the first entry of $KUBECONFIG,
 * else in-cluster when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
 */
SP_MUST enum sp_err sp_kubeconfig_resolve(const char *flag_path, const char *context,
                                          struct sp_kubeconfig *out);

void sp_kubeconfig_release(struct sp_kubeconfig *c);

#endif
