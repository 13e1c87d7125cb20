/*
 * The storefront check: one HTTP GET of a URL (redirects not followed, TLS
 * verified), answering the status code. Used by reconcile before a store is
 * called Ready, and switchable off where nothing serves HTTP. Where the
 * store's public name does not lead to the ingress from where the
 * orchestrator runs (a local cluster, a split-horizon DNS), connect_to sends
 * the request to HOST:PORT instead, still naming the store's host (curl's
 * CURLOPT_CONNECT_TO), as a shopper's request through that ingress would.
 */
#ifndef SP_PROBE_H
#define SP_PROBE_H

#include <stdint.h>

#include "err.h"

/* *status receives the HTTP status; SP_E_IO/SP_E_TIMEOUT when none came.
 * connect_to is "HOST:PORT" or NULL (connect where the URL says). */
SP_MUST enum sp_err sp_probe_http(const char *url, int64_t timeout_ms, const char *connect_to,
                                  long *status);

#endif
