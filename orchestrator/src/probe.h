/*
 * The storefront check: one HTTP GET of a URL (redirects not followed, TLS
 * verified), answering the status code. Used by reconcile before a store is
 * called Ready, and switchable off where nothing serves HTTP.
 */
#ifndef SP_PROBE_H
#define SP_PROBE_H

#include <stdint.h>

#include "err.h"

/* *status receives the HTTP status; SP_E_IO/SP_E_TIMEOUT when none came. */
SP_MUST enum sp_err sp_probe_http(const char *url, int64_t timeout_ms, long *status);

#endif
