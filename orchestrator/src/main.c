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
 *               readiness.c, reconcile_rollout.c, reconcile_teardown.c;
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

int main(int argc, char **argv)
{
    struct sp_config cfg;
    struct sp_kubeconfig kc;
    struct sp_kube *kube = NULL;
    struct sp_engines engines = {0};
    struct sp_reconciler rec;
    struct sp_cache *cache = NULL;
    struct sp_controller *ctl = NULL;
    struct sp_lease *lease = NULL;
    struct sp_api *api = NULL; /* the HTTP API, or NULL with --listen=off */
    struct sp_http *http = NULL;
    struct sp_helm helm;
    char identity[160], host[64] = "orchestrator";
    char *helm_home = NULL, *tmpdir, *selector = NULL;
    sigset_t sigs;
    enum sp_level level;
    enum sp_err err;
    int sig, rc = 1;

    /* glibc gives each new thread its own malloc arena (up to 8 per core); the watch and
     * HTTP threads would each keep one. Two are plenty for this process. */
    mallopt(M_ARENA_MAX, 2);

    sp_config_defaults(&cfg);
    err = sp_config_parse(&cfg, argc, argv);
    if (err) {
        fprintf(stderr, "orchestrator: %s\n", sp_errmsg());
        return 2;
    }
    if (cfg.help) {
        sp_config_usage(stdout);
        return 0;
    }
    if (!sp_log_parse_level(cfg.log_level, &level)) {
        fprintf(stderr, "orchestrator: --log-level: '%s' is not debug, info, warn or error\n",
                cfg.log_level);
        return 2;
    }
    sp_log_set_level(level);

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    err = sp_kubeconfig_resolve(cfg.kubeconfig, cfg.context, &kc);
    if (err) {
        sp_error(NULL, "config", "%s", sp_errmsg());
        return 2;
    }
    sp_info(NULL, "config", "API server %s", kc.server);
    err = sp_kube_new(
        &kc, &(struct sp_kube_options){.qps = cfg.qps, .burst = cfg.burst, .timeout_ms = 30000},
        &kube);
    if (err) {
        sp_error(NULL, "config", "%s", sp_errmsg());
        return 2;
    }
    err = sp_engines_load(cfg.engines_file, cfg.chart_dir, &engines);
    if (err) {
        sp_error(NULL, "config", "%s", sp_errmsg());
        goto out;
    }
    for (size_t i = 0; i < engines.n; i++)
        sp_info(NULL, "config", "engine %s: chart %s", engines.v[i].name, engines.v[i].chart);

    tmpdir = getenv("TMPDIR");
    if (!cfg.tmpdir)
        cfg.tmpdir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    helm_home = sp_asprintf("%s/store-platform-helm-%d", cfg.tmpdir, (int)getpid());
    mkdir(helm_home, 0700);

    gethostname(host, sizeof(host) - 1);
    if (!cfg.leader_identity) {
        snprintf(identity, sizeof(identity), "%s-%d", host, (int)getpid());
        cfg.leader_identity = identity;
    }
    sp_event_set_instance(cfg.leader_identity);

    helm = (struct sp_helm){.bin = cfg.helm,
                            .kubeconfig = sp_kube_config(kube)->path,
                            .home = helm_home,
                            .tmpdir = cfg.tmpdir,
                            .timeout_ms = cfg.helm_timeout_ms,
                            .cancel = &helm_cancel};
    sp_reconciler_init(&rec, kube, &engines, &helm,
                       &(struct sp_reconcile_config){
                           .base_domain = cfg.base_domain,
                           .ingress_class = cfg.ingress_class,
                           .ingress_tls = cfg.ingress_tls,
                           .cluster_issuer = cfg.cluster_issuer,
                           .storage_class = cfg.storage_class,
                           .store_values_file = cfg.store_values_file,
                           .service_account = cfg.service_account,
                           .store_role = cfg.store_role,
                           .storefront_check = cfg.storefront_check,
                           .storefront_timeout_ms = cfg.storefront_timeout_ms,
                           .provision_timeout_ms = cfg.provision_timeout_ms,
                           .poll_ms = cfg.poll_ms,
                           .max_provisioning = cfg.max_provisioning,
                           .watch_namespaces = cfg.watch_namespaces,
                       });

    {
        json_t *probe = NULL;
        err = sp_kube_get(kube, SP_STORES_PATH "?limit=1", &probe);
        json_decref(probe);
        if (err == SP_E_NOTFOUND)
            sp_error(NULL, "config",
                     "the Store resource is not installed (kubectl apply -f "
                     "charts/platform/crds/stores.yaml); waiting for it");
        else if (err)
            sp_warn(NULL, "config", "cannot list Stores yet: %s", sp_errmsg());
    }

    selector = cfg.controller_class && *cfg.controller_class
                   ? sp_asprintf("%s=%s", SP_CLASS_LABEL, cfg.controller_class)
                   : sp_asprintf("!%s", SP_CLASS_LABEL);
    if (cfg.store_selector && *cfg.store_selector) {
        char *both = sp_asprintf("%s,%s", selector, cfg.store_selector);
        free(selector);
        selector = both;
    }
    sp_info(NULL, "config", "reconciling Stores matching '%s'", selector);
    cache = sp_cache_new(kube, SP_STORES_PATH, selector);
    ctl = sp_controller_new(&rec, cache,
                            &(struct sp_controller_config){.workers = cfg.workers,
                                                           .resync_ms = cfg.resync_ms,
                                                           .backoff_ms = cfg.backoff_ms,
                                                           .backoff_cap_ms = cfg.backoff_cap_ms});
    /* the API's event hub subscribes to the cache, so it exists before the cache starts */
    if (cfg.listen && *cfg.listen && strcmp(cfg.listen, "off") != 0) {
        err = sp_api_new(
            &(struct sp_api_config){
                .tokens_file = cfg.tokens_file && *cfg.tokens_file ? cfg.tokens_file : NULL,
                .dashboard_dir = cfg.dashboard_dir && *cfg.dashboard_dir ? cfg.dashboard_dir : NULL,
                .audit_file = cfg.audit_file && *cfg.audit_file ? cfg.audit_file : NULL,
                .controller_class =
                    cfg.controller_class && *cfg.controller_class ? cfg.controller_class : NULL,
                .max_stores_per_user = cfg.max_stores_per_user,
                .rate_user = cfg.rate_user,
                .rate_ip = cfg.rate_ip,
                .rate_burst = cfg.rate_burst,
                .heartbeat_ms = cfg.sse_heartbeat_ms,
            },
            kube, cache, &engines, &api);
        if (err)
            goto fail;
        if (!cfg.tokens_file || !*cfg.tokens_file)
            sp_warn(NULL, "api", "no --tokens-file: every API request will answer 401");
    }
    err = sp_cache_start(cache);
    if (err)
        goto fail;
    if (cfg.leader_elect) {
        const char *ns =
            cfg.leader_namespace ? cfg.leader_namespace : sp_kube_config(kube)->namespace;
        err = sp_lease_start(kube,
                             &(struct sp_lease_config){.namespace = ns,
                                                       .name = cfg.leader_lease,
                                                       .identity = cfg.leader_identity,
                                                       .duration_ms = cfg.lease_duration_ms,
                                                       .renew_deadline_ms = cfg.lease_renew_ms,
                                                       .retry_ms = cfg.lease_retry_ms},
                             on_leader, ctl, &lease);
        if (err)
            goto fail;
        sp_info(NULL, "lease", "candidate %s for lease %s/%s", cfg.leader_identity, ns,
                cfg.leader_lease);
    }
    err = sp_controller_start(ctl, lease);
    if (err)
        goto fail;
    if (api) {
        err = sp_http_start(sp_api_handle, api,
                            &(struct sp_http_config){.listen = cfg.listen,
                                                     .max_body = (size_t)cfg.max_body,
                                                     .request_timeout_ms = cfg.request_timeout_ms},
                            &http);
        if (err)
            goto fail;
        sp_info(NULL, "api", "API listening on %s (port %d)", cfg.listen, sp_http_port(http));
    }
    sp_info(NULL, "main", "orchestrator running: %d workers, provisioning timeout %llds",
            cfg.workers, (long long)(cfg.provision_timeout_ms / 1000));

    for (;;) {
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGUSR1) {
            dump_metrics();
            continue;
        }
        sp_info(NULL, "main", "%s received, stopping", strsignal(sig));
        break;
    }
    rc = 0;
    goto out;
fail:
    sp_error(NULL, "main", "%s", sp_errmsg());
out:
    atomic_store(&stopping, true);
    atomic_store(&helm_cancel, true);
    sp_api_shutdown(api); /* ends the event streams, then the server stops */
    sp_http_stop(http);
    sp_lease_stop(lease);
    sp_controller_free(ctl);
    sp_cache_free(cache);
    sp_api_free(api); /* after the cache, whose thread calls the API's event hub */
    if (kube && cache)
        sp_reconciler_release(&rec);
    sp_engines_release(&engines);
    sp_kube_free(kube);
    free(selector);
    free(helm_home); /* the directory keeps helm's cache for the next start */
    return rc;
}
