/*
 * The orchestrator's entry point: configuration into one struct, wiring of
 * the layers, signals, shutdown.
 *
 * Layers (each uses only those below it):
 *   entry       main.c, config.c
 *   faces       controller.c (the work queue's workers and the Lease);
 *               http.c (libmicrohttpd glue) calling api_routes.c (routes, auth,
 *               rate limits, audit) over one file per resource: api_stores.c,
 *               api_me.c, api_events.c (the SSE hub), api_audit.c, api_health.c,
 *               api_metrics.c; api_views.c (rendered views), dashboard.c, api.c
 *   decisions   reconcile.c (dispatcher) with reconcile_job.h and its concerns:
 *               reconcile_slots.c, reconcile_provision.c, reconcile_readiness.c,
 *               readiness.c, reconcile_rollout.c, reconcile_teardown.c,
 *               reconcile_health.c with health.c, reconcile_drift.c with drift.c,
 *               reconcile_suspend.c with suspend.c;
 *               store.c (the model), engine.c, request.c, auth.c, ratelimit.c,
 *               audit.c
 *   mechanisms  kube.c, kubeconfig.c, cache.c, nswatch.c, helm.c, proc.c, lease.c,
 *               event.c, probe.c, metrics.c, queue.c, log.c, yaml2json.c, util.c,
 *               err.c; crd.h (the CRD's names)
 *
 * Signals are blocked in every thread and taken by sigwait() here:
 * SIGINT/SIGTERM stop (a running helm gets SIGTERM through its process
 * group, the Lease is released), SIGUSR1 writes the metrics to stdout.
 */
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cache.h"
#include "config.h"
#include "controller.h"
#include "engine.h"
#include "event.h"
#include "helm.h"
#include "http.h"
#include "kube.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "reconcile.h"
#include "store.h"
#include "util.h"

static atomic_bool stopping;
/*
 * Set while this replica must not run helm: stopping, or not the leader. A
 * replica that loses its Lease (its API server hung, say) while helm runs for
 * it would otherwise let that helm go on next to the new leader's; proc.c
 * kills the process group when this turns true.
 */
static atomic_bool helm_cancel;

/* The Lease callback: the controller's gate, and helm cancelled while not leading. */
static void on_leader(void *ud, bool leader)
{
    atomic_store(&helm_cancel, !leader || atomic_load(&stopping));
    if (!leader)
        sp_warn(NULL, "lease", "not the leader: helm runs of this replica are cancelled");
    sp_controller_on_leader(ud, leader);
}

static void dump_metrics(void)
{
    struct sp_buf b = SP_BUF_INIT;
    sp_metrics_render(&b);
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    fflush(stdout);
    sp_buf_release(&b);
}

/* Everything main() starts, stopped and freed by app_stop() whatever was reached. */
struct app {
    struct sp_config cfg;
    struct sp_kube *kube;
    struct sp_engines engines;
    struct sp_helm helm;
    struct sp_reconciler *rec;
    struct sp_cache *cache;
    struct sp_controller *ctl;
    struct sp_lease *lease;
    struct sp_api *api; /* the HTTP API, or NULL with --listen=off */
    struct sp_http *http;
    char identity[160];
    char *helm_home, *selector;
};

/* Flags and environment into a->cfg. Returns -1 to go on, else the exit code. */
static int configure(struct app *a, int argc, char **argv)
{
    enum sp_level level;

    sp_config_defaults(&a->cfg);
    if (sp_config_parse(&a->cfg, argc, argv) != SP_OK) {
        fprintf(stderr, "orchestrator: %s\n", sp_errmsg());
        return 2;
    }
    if (a->cfg.help) {
        sp_config_usage(stdout);
        return 0;
    }
    if (!sp_log_parse_level(a->cfg.log_level, &level)) {
        fprintf(stderr, "orchestrator: --log-level: '%s' is not debug, info, warn or error\n",
                a->cfg.log_level);
        return 2;
    }
    sp_log_set_level(level);
    return -1;
}

/* The API client, from the kubeconfig the flags and environment name. */
static enum sp_err connect_kube(struct app *a)
{
    struct sp_kubeconfig kc;
    enum sp_err err = sp_kubeconfig_resolve(a->cfg.kubeconfig, a->cfg.context, &kc);

    if (err)
        return err;
    sp_info(NULL, "config", "API server %s", kc.server);
    return sp_kube_new(
        &kc,
        &(struct sp_kube_options){.qps = a->cfg.qps, .burst = a->cfg.burst, .timeout_ms = 30000},
        &a->kube);
}

/* helm's directories, the replica's identity, and the reconciler over them. */
static void reconciler_from_config(struct app *a)
{
    const struct sp_config *cfg = &a->cfg;
    const char *tmpdir = getenv("TMPDIR");
    char host[64] = "orchestrator";

    if (!a->cfg.tmpdir)
        a->cfg.tmpdir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    a->helm_home = sp_asprintf("%s/store-platform-helm-%d", cfg->tmpdir, (int)getpid());
    mkdir(a->helm_home, 0700);
    gethostname(host, sizeof(host) - 1);
    if (!cfg->leader_identity) {
        /* A process of its own: a container restarted in the same pod is PID 1 again, and
         * must not take its dead predecessor's Lease as its own. */
        unsigned char r[3] = {0};
        if (sp_random(r, sizeof(r)) != SP_OK)
            memset(r, 0, sizeof(r));
        snprintf(a->identity, sizeof(a->identity), "%s-%d-%02x%02x%02x", host, (int)getpid(), r[0],
                 r[1], r[2]);
        a->cfg.leader_identity = a->identity;
    }
    sp_event_set_instance(cfg->leader_identity);
    a->helm = (struct sp_helm){.bin = cfg->helm,
                               .kubeconfig = sp_kube_config(a->kube)->path,
                               .home = a->helm_home,
                               .tmpdir = cfg->tmpdir,
                               .timeout_ms = cfg->helm_timeout_ms,
                               .cancel = &helm_cancel};
    a->rec = sp_reconciler_new(a->kube, &a->engines, &a->helm,
                               &(struct sp_reconcile_config){
                                   .base_domain = cfg->base_domain,
                                   .ingress_class = cfg->ingress_class,
                                   .ingress_tls = cfg->ingress_tls,
                                   .cluster_issuer = cfg->cluster_issuer,
                                   .storage_class = cfg->storage_class,
                                   .store_values_file = cfg->store_values_file,
                                   .service_account = cfg->service_account,
                                   .store_role = cfg->store_role,
                                   .storefront_check = cfg->storefront_check,
                                   .storefront_timeout_ms = cfg->storefront_timeout_ms,
                                   .storefront_connect_to = cfg->storefront_connect_to,
                                   .health_ms = cfg->health_ms,
                                   .health_restarts = cfg->health_restarts,
                                   .health_window_ms = cfg->health_window_ms,
                                   .drift_ms = cfg->drift_ms,
                                   .drift_repairs = cfg->drift_repairs,
                                   .provision_timeout_ms = cfg->provision_timeout_ms,
                                   .poll_ms = cfg->poll_ms,
                                   .max_provisioning = cfg->max_provisioning,
                                   .watch_namespaces = cfg->watch_namespaces,
                               });
}

/* Says early when the Store resource is missing (the cache waits for it anyway). */
static void probe_crd(struct sp_kube *kube)
{
    json_t *probe = NULL;
    enum sp_err err = sp_kube_get(kube, SP_STORES_PATH "?limit=1", &probe);

    json_decref(probe);
    if (err == SP_E_NOTFOUND)
        sp_error(NULL, "config",
                 "the Store resource is not installed (kubectl apply -f "
                 "charts/platform/crds/stores.yaml); waiting for it");
    else if (err)
        sp_warn(NULL, "config", "cannot list Stores yet: %s", sp_errmsg());
}

/* The Stores this replica handles: its controller class, and --store-selector (caller frees). */
static char *store_selector(const struct sp_config *cfg)
{
    char *selector = cfg->controller_class && *cfg->controller_class
                         ? sp_asprintf("%s=%s", SP_CLASS_LABEL, cfg->controller_class)
                         : sp_asprintf("!%s", SP_CLASS_LABEL);
    if (cfg->store_selector && *cfg->store_selector) {
        char *both = sp_asprintf("%s,%s", selector, cfg->store_selector);
        free(selector);
        selector = both;
    }
    return selector;
}

static const char *set_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

/* The API's state; its event hub subscribes to the cache, so before the cache starts. */
static enum sp_err api_from_config(struct app *a)
{
    const struct sp_config *cfg = &a->cfg;
    enum sp_err err;

    if (!cfg->listen || !*cfg->listen || strcmp(cfg->listen, "off") == 0)
        return SP_OK;
    err = sp_api_new(
        &(struct sp_api_config){
            .tokens_file = set_or_null(cfg->tokens_file),
            .dashboard_dir = set_or_null(cfg->dashboard_dir),
            .audit_file = set_or_null(cfg->audit_file),
            .controller_class = set_or_null(cfg->controller_class),
            .max_stores_per_user = cfg->max_stores_per_user,
            .rate_user = cfg->rate_user,
            .rate_ip = cfg->rate_ip,
            .rate_burst = cfg->rate_burst,
            .heartbeat_ms = cfg->sse_heartbeat_ms,
        },
        a->kube, a->cache, &a->engines, &a->api);
    if (!err && !set_or_null(cfg->tokens_file))
        sp_warn(NULL, "api", "no --tokens-file: every API request will answer 401");
    return err;
}

/* With --leader-elect: the Lease loop, which tells the controller when it leads. */
static enum sp_err lease_from_config(struct app *a)
{
    const struct sp_config *cfg = &a->cfg;
    const char *ns =
        cfg->leader_namespace ? cfg->leader_namespace : sp_kube_config(a->kube)->namespace;
    enum sp_err err;

    if (!cfg->leader_elect)
        return SP_OK;
    err = sp_lease_start(a->kube,
                         &(struct sp_lease_config){.namespace = ns,
                                                   .name = cfg->leader_lease,
                                                   .identity = cfg->leader_identity,
                                                   .duration_ms = cfg->lease_duration_ms,
                                                   .renew_deadline_ms = cfg->lease_renew_ms,
                                                   .retry_ms = cfg->lease_retry_ms},
                         on_leader, a->ctl, &a->lease);
    if (!err)
        sp_info(NULL, "lease", "candidate %s for lease %s/%s", cfg->leader_identity, ns,
                cfg->leader_lease);
    return err;
}

/* The wiring, in the order the parts need each other. */
static enum sp_err app_start(struct app *a)
{
    const struct sp_config *cfg = &a->cfg;
    enum sp_err err;

    reconciler_from_config(a);
    probe_crd(a->kube);
    a->selector = store_selector(cfg);
    sp_info(NULL, "config", "reconciling Stores matching '%s'", a->selector);
    a->cache = sp_cache_new(a->kube, SP_STORES_PATH, a->selector);
    a->ctl =
        sp_controller_new(a->rec, a->cache,
                          &(struct sp_controller_config){.workers = cfg->workers,
                                                         .resync_ms = cfg->resync_ms,
                                                         .backoff_ms = cfg->backoff_ms,
                                                         .backoff_cap_ms = cfg->backoff_cap_ms});
    err = api_from_config(a);
    if (!err)
        err = sp_cache_start(a->cache);
    if (!err)
        err = lease_from_config(a);
    if (!err)
        err = sp_controller_start(a->ctl, a->lease);
    if (err || !a->api)
        return err;
    err = sp_http_start(sp_api_handle, a->api,
                        &(struct sp_http_config){.listen = cfg->listen,
                                                 .max_body = (size_t)cfg->max_body,
                                                 .request_timeout_ms = cfg->request_timeout_ms},
                        &a->http);
    if (!err)
        sp_info(NULL, "api", "API listening on %s (port %d)", cfg->listen, sp_http_port(a->http));
    return err;
}

/* Waits for SIGINT or SIGTERM; SIGUSR1 writes the metrics meanwhile. */
static void wait_for_stop(const sigset_t *sigs)
{
    int sig;
    for (;;) {
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGUSR1) {
            dump_metrics();
            continue;
        }
        sp_info(NULL, "main", "%s received, stopping", strsignal(sig));
        return;
    }
}

static void app_stop(struct app *a)
{
    atomic_store(&stopping, true);
    atomic_store(&helm_cancel, true);
    sp_api_stop(a->api); /* ends the event streams, then the server stops */
    sp_http_stop(a->http);
    sp_lease_stop(a->lease);
    sp_controller_free(a->ctl);
    sp_cache_free(a->cache);
    sp_api_free(a->api); /* after the cache, whose thread calls the API's event hub */
    sp_reconciler_free(a->rec);
    sp_engines_release(&a->engines);
    sp_kube_free(a->kube);
    free(a->selector);
    free(a->helm_home); /* the directory keeps helm's cache for the next start */
}

int main(int argc, char **argv)
{
    static struct app a;
    sigset_t sigs;
    int rc;

    /* glibc gives each new thread its own malloc arena (up to 8 per core); the watch and
     * HTTP threads would each keep one. Two are plenty for this process. */
    mallopt(M_ARENA_MAX, 2);
    rc = configure(&a, argc, argv);
    if (rc >= 0)
        return rc;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (connect_kube(&a) != SP_OK) {
        sp_error(NULL, "config", "%s", sp_errmsg());
        return 2;
    }
    rc = 1;
    if (sp_engines_load(a.cfg.engines_file, a.cfg.chart_dir, &a.engines) != SP_OK) {
        sp_error(NULL, "config", "%s", sp_errmsg());
    } else {
        for (size_t i = 0; i < a.engines.n; i++)
            sp_info(NULL, "config", "engine %s: chart %s", a.engines.v[i].name,
                    a.engines.v[i].chart);
        if (app_start(&a) != SP_OK) {
            sp_error(NULL, "main", "%s", sp_errmsg());
        } else {
            sp_info(NULL, "main", "orchestrator running: %d workers, provisioning timeout %llds",
                    a.cfg.workers, (long long)(a.cfg.provision_timeout_ms / 1000));
            wait_for_stop(&sigs);
            rc = 0;
        }
    }
    app_stop(&a);
    return rc;
}
