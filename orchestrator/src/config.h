/*
 * The orchestrator's configuration from defaults, then environment
 * variables (SP_<FLAG_NAME>, e.g. SP_BASE_DOMAIN), then command-line flags
 * (--flag=value or --flag value; booleans also as --flag / --no-flag).
 * One table in config.c lists every flag with its help text.
 *
 * Strings are borrowed from argv, the environment or string literals and
 * live as long as the process; nothing in struct sp_config is freed.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct sp_config {
    const char *kubeconfig;
    const char *context;
    double qps;
    int burst;
    const char *log_level;
    const char *store_selector;
    const char *controller_class;

    int workers;
    int64_t resync_ms;
    int64_t poll_ms;
    int64_t backoff_ms;
    int64_t backoff_cap_ms;
    int64_t provision_timeout_ms;
    int max_provisioning;
    bool watch_namespaces;

    const char *base_domain;
    const char *ingress_class;
    bool ingress_tls;
    const char *cluster_issuer;
    const char *storage_class;
    const char *chart_dir;
    const char *engines_file;
    const char *store_values_file;
    const char *helm;
    int64_t helm_timeout_ms;
    const char *tmpdir;
    bool storefront_check;
    int64_t storefront_timeout_ms;
    const char *storefront_connect_to; /* HOST:PORT, or NULL: the URL's own host */
    int64_t health_ms;                 /* a Ready store's health check period; 0: off */
    int health_restarts;               /* restarts within health_window_ms that degrade */
    int64_t health_window_ms;
    int64_t drift_ms;  /* a Ready store's drift check period; 0: off */
    int drift_repairs; /* repairs within health_window_ms before a pause */
    const char *service_account;
    const char *store_role;

    bool leader_elect;
    const char *leader_namespace;
    const char *leader_lease;
    const char *leader_identity;
    int64_t lease_duration_ms;
    int64_t lease_renew_ms;
    int64_t lease_retry_ms;

    /* read by the HTTP API (issue 4); parsed here so the command line is one */
    const char *listen;
    const char *tokens_file;
    int max_stores_per_user;
    const char *dashboard_dir;
    const char *audit_file;
    double rate_user;
    double rate_ip;
    int rate_burst;
    int max_body;
    int64_t request_timeout_ms;
    int64_t sse_heartbeat_ms;

    bool help;
};

/* Fills cfg with the defaults. */
void sp_config_defaults(struct sp_config *cfg);
/* Applies SP_* environment variables, then argv. Errors name the flag and value. */
SP_MUST enum sp_err sp_config_parse(struct sp_config *cfg, int argc, char **argv);
/* Prints every flag with its environment variable, default and help. */
void sp_config_usage(FILE *out);

#endif
