/*
 * Storefront check (see probe.h): a plain libcurl GET whose body is thrown
 * away.
 */
#include "probe.h"

#include <curl/curl.h>

static size_t discard(char *d, size_t size, size_t n, void *ud)
{
    (void)d, (void)ud;
    return size * n;
}

enum sp_err sp_probe_http(const char *url, int64_t timeout_ms, long *status)
{
    CURL *h = curl_easy_init();
    CURLcode cc;

    *status = 0;
    if (!h)
        return sp_fail(SP_E_IO, "curl_easy_init failed");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "store-platform-storefront-check/1");
    cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        return sp_fail(cc == CURLE_OPERATION_TIMEDOUT ? SP_E_TIMEOUT : SP_E_IO, "storefront %s: %s",
                       url, curl_easy_strerror(cc));
    return SP_OK;
}
