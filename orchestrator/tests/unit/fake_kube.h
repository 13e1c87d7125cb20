/*
 * A fake Kubernetes API server for unit tests: libmicrohttpd on 127.0.0.1 at
 * a free port, answering every request through the test's answer() callback,
 * and an sp_kube client pointed at it over plain HTTP. Every request is
 * counted and its body kept for the test to look at (fake_kube_find()).
 *
 * The answer callback runs on the server's thread; it returns the HTTP
 * status and sets *body to a static JSON text (NULL for "{}").
 */
#ifndef SP_TEST_FAKE_KUBE_H
#define SP_TEST_FAKE_KUBE_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"
#include "util.h"

struct fake_request {
    char method[8];
    char url[256];      /* path and the labelSelector, as "path?labelSelector=..." */
    struct sp_buf body; /* what the client sent */
};

struct fake_kube {
    struct MHD_Daemon *d;
    struct sp_kube *kube;
    int (*answer)(struct fake_kube *f, const struct fake_request *req, const char **body);
    void *ud;
    pthread_mutex_t lock; /* guards reqs and n_reqs */
    struct fake_request reqs[256];
    size_t n_reqs;
};

static enum MHD_Result fake_kube_handle(void *cls, struct MHD_Connection *c, const char *url,
                                        const char *method, const char *version, const char *upload,
                                        size_t *upload_size, void **con_cls)
{
    struct fake_kube *f = cls;
    struct fake_request *req = *con_cls;
    struct MHD_Response *resp;
    const char *body = NULL, *sel;
    enum MHD_Result ret;
    int status;

    (void)version;
    if (!req) {
        req = calloc(1, sizeof(*req));
        sel = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "labelSelector");
        snprintf(req->method, sizeof(req->method), "%s", method);
        snprintf(req->url, sizeof(req->url), "%s%s%s", url, sel ? "?labelSelector=" : "",
                 sel ? sel : "");
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        sp_buf_add(&req->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    status = f->answer(f, req, &body);
    pthread_mutex_lock(&f->lock);
    if (f->n_reqs < sizeof(f->reqs) / sizeof(f->reqs[0]))
        f->reqs[f->n_reqs++] = *req;
    else
        sp_buf_release(&req->body);
    pthread_mutex_unlock(&f->lock);
    free(req);
    *con_cls = NULL;
    body = body ? body : "{}";
    resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Starts the server and the client; returns 0, or -1 when either cannot start. */
static int fake_kube_start(struct fake_kube *f)
{
    const union MHD_DaemonInfo *info;
    struct sp_kubeconfig cfg = {0};
    struct sp_kube_options opt = {.timeout_ms = 5000};

    pthread_mutex_init(&f->lock, NULL);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, fake_kube_handle, f, MHD_OPTION_END);
    if (!f->d)
        return -1;
    info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    cfg.server = sp_asprintf("http://127.0.0.1:%u", (unsigned)info->port);
    cfg.namespace = sp_strdup("default");
    return sp_kube_new(&cfg, &opt, &f->kube) == SP_OK ? 0 : -1;
}

static void fake_kube_stop(struct fake_kube *f)
{
    sp_kube_free(f->kube);
    MHD_stop_daemon(f->d);
    for (size_t i = 0; i < f->n_reqs; i++)
        sp_buf_release(&f->reqs[i].body);
    pthread_mutex_destroy(&f->lock);
}

/* The first request of method whose url starts with prefix after index from, or NULL. */
static const struct fake_request *fake_kube_find(struct fake_kube *f, const char *method,
                                                 const char *prefix, size_t from)
{
    const struct fake_request *found = NULL;
    pthread_mutex_lock(&f->lock);
    for (size_t i = from; i < f->n_reqs && !found; i++)
        if (strcmp(f->reqs[i].method, method) == 0 &&
            strncmp(f->reqs[i].url, prefix, strlen(prefix)) == 0)
            found = &f->reqs[i];
    pthread_mutex_unlock(&f->lock);
    return found;
}

#endif
