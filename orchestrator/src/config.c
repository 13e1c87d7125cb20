/*
 * Configuration (see config.h): one table maps each flag to its field, its
 * kind and its help line; parsing and usage both walk that table.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum kind { STR, INT, DBL, DUR, BOOL };

struct flag {
    const char *name;
    enum kind kind;
    size_t off;
    const char *help;
};

#define F(name, kind, field, help)                                                                 \
    {                                                                                              \
        name, kind, offsetof(struct sp_config, field), help                                        \
    }

static const struct flag flags[] = {
    F("kubeconfig", STR, kubeconfig,
      "kubeconfig file (else $KUBECONFIG, in-cluster, ~/.kube/config)"),
    F("context", STR, context, "kubeconfig context (default: current-context)"),
    F("kube-qps", DBL, qps, "API requests per second, on average"),
    F("kube-burst", INT, burst, "API requests allowed at once above kube-qps"),
    F("log-level", STR, log_level, "debug, info, warn or error"),
    F("controller-class", STR, controller_class,
      "reconcile only Stores labelled storeplatform.dev/controller-class=<this>; empty: only "
      "Stores without that label"),
    F("store-selector", STR, store_selector,
      "further label selector narrowing the Stores reconciled (sharding)"),
    F("workers", INT, workers, "stores reconciled at once"),
    F("resync", DUR, resync_ms, "how often every Store is reconciled even without a change"),
    F("poll-interval", DUR, poll_ms, "how often a provisioning or deleting store is looked at"),
    F("backoff", DUR, backoff_ms, "first retry delay after an error (doubles per failure)"),
    F("backoff-max", DUR, backoff_cap_ms, "longest retry delay"),
    F("provision-timeout", DUR, provision_timeout_ms, "time a store may take to become Ready"),
    F("watch-namespaces", BOOL, watch_namespaces,
      "watch a provisioning store's namespace to notice readiness at once (else poll only)"),
    F("max-provisioning", INT, max_provisioning,
      "stores provisioning at once; the rest wait in Pending (0: no limit)"),
    F("base-domain", STR, base_domain, "stores are served at <name>.<base-domain>"),
    F("ingress-class", STR, ingress_class, "IngressClass of every store"),
    F("ingress-tls", BOOL, ingress_tls, "serve stores over HTTPS (URLs become https)"),
    F("cluster-issuer", STR, cluster_issuer, "cert-manager ClusterIssuer for store certificates"),
    F("storage-class", STR, storage_class,
      "StorageClass of store volumes (empty: cluster default)"),
    F("chart-dir", STR, chart_dir,
      "directory the engine table's chart paths are relative to (default: the table's directory)"),
    F("engines-file", STR, engines_file, "engine table: engine -> chart, values, readiness"),
    F("store-values-file", STR, store_values_file,
      "values file given to every store before its own values"),
    F("helm", STR, helm, "helm executable"),
    F("helm-timeout", DUR, helm_timeout_ms, "deadline of one helm run"),
    F("tmpdir", STR, tmpdir, "where values files and helm's cache go (default: $TMPDIR or /tmp)"),
    F("storefront-check", BOOL, storefront_check,
      "GET the storefront before calling a store Ready"),
    F("storefront-timeout", DUR, storefront_timeout_ms, "timeout of the storefront check"),
    F("storefront-connect-to", STR, storefront_connect_to,
      "send the storefront check to HOST:PORT (the ingress controller) whatever the store's host "
      "resolves to; the request still names the store's host"),
    F("health-interval", DUR, health_ms,
      "how often a Ready store's workloads and storefront are checked (jittered by 10%; a "
      "Degraded store 4 times as often); 0: never"),
    F("health-restarts", INT, health_restarts,
      "container restarts within --health-window that make a Ready store Degraded"),
    F("health-window", DUR, health_window_ms,
      "the window --health-restarts and --drift-repairs count in"),
    F("drift-interval", DUR, drift_ms,
      "how often a Ready store's objects are compared with its release, and any deleted or "
      "changed one applied again (jittered by 10%); 0: never"),
    F("drift-repairs", INT, drift_repairs,
      "repairs of one store within --health-window before they pause (another writer is "
      "fighting them)"),
    F("service-account", STR, service_account,
      "namespace/name of the orchestrator's ServiceAccount, bound in each store namespace"),
    F("store-role", STR, store_role,
      "ClusterRole bound to that ServiceAccount in each store namespace"),
    F("leader-elect", BOOL, leader_elect, "elect one leader among replicas with a Lease"),
    F("leader-elect-namespace", STR, leader_namespace,
      "namespace of the Lease (default: the kubeconfig's or pod's)"),
    F("leader-elect-lease", STR, leader_lease, "name of the Lease"),
    F("leader-elect-identity", STR, leader_identity,
      "this replica's identity (default: hostname-pid-random, new for every process)"),
    F("lease-duration", DUR, lease_duration_ms,
      "a new leader takes over after this long without renewal"),
    F("lease-renew-deadline", DUR, lease_renew_ms,
      "a leader that cannot renew for this long steps down"),
    F("lease-retry", DUR, lease_retry_ms, "how often the Lease is renewed or tried"),
    F("listen", STR, listen, "address of the HTTP API and dashboard, host:port (off: no API)"),
    F("tokens-file", STR, tokens_file,
      "API tokens file: one \"<token> <user> <admin|user>\" a line"),
    F("max-stores-per-user", INT, max_stores_per_user, "stores one user may own"),
    F("dashboard-dir", STR, dashboard_dir,
      "serve the dashboard from this directory instead of the compiled-in copy"),
    F("audit-file", STR, audit_file, "file the audit log is appended to, besides stdout"),
    F("rate-user", DBL, rate_user, "API writes per second per user, on average (0: no limit)"),
    F("rate-ip", DBL, rate_ip, "API writes per second per client address (0: no limit)"),
    F("rate-burst", INT, rate_burst, "API writes allowed at once above the rates"),
    F("max-body", INT, max_body, "largest API request body in bytes"),
    F("request-timeout", DUR, request_timeout_ms,
      "an idle API connection is closed after this long"),
    F("sse-heartbeat", DUR, sse_heartbeat_ms, "heartbeat period of /api/v1/events streams"),
    F("help", BOOL, help, "print this help"),
};

#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

void sp_config_defaults(struct sp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->qps = 50;
    cfg->burst = 100;
    cfg->log_level = "info";
    cfg->workers = 4;
    cfg->resync_ms = (int64_t)5 * 60000;
    cfg->poll_ms = 2000;
    cfg->backoff_ms = 1000;
    cfg->backoff_cap_ms = (int64_t)5 * 60000;
    cfg->provision_timeout_ms = (int64_t)10 * 60000;
    cfg->max_provisioning = 5;
    cfg->watch_namespaces = true;
    cfg->base_domain = "localtest.me";
    cfg->ingress_class = "nginx";
    cfg->cluster_issuer = "";
    cfg->storage_class = "";
    cfg->engines_file = "charts/engines.yaml";
    cfg->helm = "helm";
    cfg->helm_timeout_ms = (int64_t)5 * 60000;
    cfg->rate_user = 1;
    cfg->rate_ip = 5;
    cfg->rate_burst = 10;
    cfg->max_body = 16384;
    cfg->request_timeout_ms = 30000;
    cfg->sse_heartbeat_ms = 15000;
    cfg->storefront_check = true;
    cfg->storefront_timeout_ms = 5000;
    cfg->health_ms = 60000;
    cfg->health_restarts = 3;
    cfg->health_window_ms = (int64_t)10 * 60000;
    cfg->drift_ms = (int64_t)5 * 60000;
    cfg->drift_repairs = 5;
    cfg->leader_elect = true;
    cfg->leader_lease = "store-platform-orchestrator";
    cfg->lease_duration_ms = 15000;
    cfg->lease_renew_ms = 10000;
    cfg->lease_retry_ms = 2000;
    cfg->listen = ":8080";
    cfg->max_stores_per_user = 5;
}

static enum sp_err set(struct sp_config *cfg, const struct flag *f, const char *v,
                       const char *source)
{
    void *p = (char *)cfg + f->off;
    char *end;

    switch (f->kind) {
    case STR:
        *(const char **)p = v;
        return SP_OK;
    case INT: {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 0 || n > 1000000)
            return sp_fail(SP_E_INVALID, "%s%s: '%s' is not a whole number", source, f->name, v);
        *(int *)p = (int)n;
        return SP_OK;
    }
    case DBL: {
        double d = strtod(v, &end);
        if (!*v || *end || d < 0)
            return sp_fail(SP_E_INVALID, "%s%s: '%s' is not a number", source, f->name, v);
        *(double *)p = d;
        return SP_OK;
    }
    case DUR:
        if (!sp_duration_parse(v, (int64_t *)p))
            return sp_fail(SP_E_INVALID, "%s%s: '%s' is not a duration such as 90s or 10m", source,
                           f->name, v);
        return SP_OK;
    case BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0)
            *(bool *)p = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0)
            *(bool *)p = false;
        else
            return sp_fail(SP_E_INVALID, "%s%s: '%s' is not true or false", source, f->name, v);
        return SP_OK;
    }
    return SP_OK;
}

static void env_name(const char *flag, char *out, size_t n)
{
    size_t i = 0;
    i += (size_t)snprintf(out, n, "SP_");
    for (const char *p = flag; *p && i + 1 < n; p++)
        out[i++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    out[i] = '\0';
}

enum sp_err sp_config_parse(struct sp_config *cfg, int argc, char **argv)
{
    enum sp_err err;

    for (size_t i = 0; i < N_FLAGS; i++) {
        char name[64];
        const char *v;
        env_name(flags[i].name, name, sizeof(name));
        v = getenv(name);
        if (v && *v) {
            err = set(cfg, &flags[i], v, "environment variable for --");
            if (err)
                return err;
        }
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a], *eq, *value = NULL;
        const struct flag *f = NULL;
        size_t len;
        bool negated = false;

        if (strncmp(arg, "--", 2) != 0)
            return sp_fail(SP_E_INVALID, "unexpected argument '%s' (flags start with --)", arg);
        arg += 2;
        eq = strchr(arg, '=');
        len = eq ? (size_t)(eq - arg) : strlen(arg);
        for (size_t i = 0; i < N_FLAGS && !f; i++)
            if (strlen(flags[i].name) == len && strncmp(flags[i].name, arg, len) == 0)
                f = &flags[i];
        if (!f && strncmp(arg, "no-", 3) == 0)
            for (size_t i = 0; i < N_FLAGS && !f; i++)
                if (flags[i].kind == BOOL && strlen(flags[i].name) == len - 3 &&
                    strncmp(flags[i].name, arg + 3, len - 3) == 0) {
                    f = &flags[i];
                    negated = true;
                }
        if (!f)
            return sp_fail(SP_E_INVALID, "unknown flag '--%.*s' (see --help)", (int)len, arg);
        if (eq)
            value = eq + 1;
        else if (f->kind == BOOL)
            value = negated ? "false" : "true";
        else if (a + 1 < argc)
            value = argv[++a];
        else
            return sp_fail(SP_E_INVALID, "flag '--%s' needs a value", f->name);
        if (negated && eq)
            return sp_fail(SP_E_INVALID, "flag '--no-%s' takes no value", f->name);
        err = set(cfg, f, value, "--");
        if (err)
            return err;
    }
    if (cfg->workers < 1)
        return sp_fail(SP_E_INVALID, "--workers: must be at least 1");
    if (cfg->drift_repairs < 1)
        return sp_fail(SP_E_INVALID, "--drift-repairs: must be at least 1");
    if (cfg->health_restarts < 1)
        return sp_fail(SP_E_INVALID, "--health-restarts: must be at least 1");
    if (cfg->health_ms > 0 && cfg->health_window_ms < cfg->health_ms)
        return sp_fail(SP_E_INVALID,
                       "--health-window: must be at least --health-interval (restarts are "
                       "counted between checks)");
    if (!sp_dns_label(cfg->base_domain) && !strchr(cfg->base_domain, '.'))
        return sp_fail(SP_E_INVALID, "--base-domain: '%s' is not a domain", cfg->base_domain);
    if (cfg->storefront_connect_to && cfg->storefront_connect_to[0]) {
        const char *colon = strrchr(cfg->storefront_connect_to, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || colon == cfg->storefront_connect_to || !end || *end || port < 1 ||
            port > 65535)
            return sp_fail(SP_E_INVALID, "--storefront-connect-to: '%s' is not HOST:PORT",
                           cfg->storefront_connect_to);
    }
    return SP_OK;
}

/* The default of f as "; default X", or "" when it has none worth printing. */
static void default_of(const struct sp_config *d, const struct flag *f, char *out, size_t n)
{
    const char *p = (const char *)d + f->off;
    const char *str;
    int64_t ms;

    out[0] = '\0';
    switch (f->kind) {
    case STR:
        memcpy(&str, p, sizeof(str));
        if (str && *str)
            snprintf(out, n, "; default %s", str);
        break;
    case INT:
        snprintf(out, n, "; default %d", *(const int *)(const void *)p);
        break;
    case DBL:
        snprintf(out, n, "; default %g", *(const double *)(const void *)p);
        break;
    case DUR:
        memcpy(&ms, p, sizeof(ms));
        if (ms % 60000 == 0 && ms)
            snprintf(out, n, "; default %lldm", (long long)(ms / 60000));
        else if (ms % 1000 == 0)
            snprintf(out, n, "; default %llds", (long long)(ms / 1000));
        else
            snprintf(out, n, "; default %lldms", (long long)ms);
        break;
    case BOOL:
        if (strcmp(f->name, "help") != 0)
            snprintf(out, n, "; default %s", *(const bool *)(const void *)p ? "on" : "off");
        break;
    }
}

void sp_config_usage(FILE *out)
{
    struct sp_config d;
    sp_config_defaults(&d);
    fprintf(out,
            "usage: orchestrator [--flag=value ...]\n\nFlags (environment variable; default):\n");
    for (size_t i = 0; i < N_FLAGS; i++) {
        char env[64], def[200];
        env_name(flags[i].name, env, sizeof(env));
        default_of(&d, &flags[i], def, sizeof(def));
        fprintf(out, "  --%-24s %s (%s%s)\n", flags[i].name, flags[i].help, env, def);
    }
}
