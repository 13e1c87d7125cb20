/*
 * Storefront check (see probe.h): a plain libcurl GET whose body is thrown
 * away.
 */
#include "probe.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "util.h"

static size_t discard(char *d, size_t size, size_t n, void *ud)
{
    (void)d, (void)ud;
    return size * n;
}

enum sp_err sp_probe_http(const char *url, int64_t timeout_ms, const char *connect_to, long *status)
{
    CURL *h = curl_easy_init();
    struct curl_slist *to = NULL;
    CURLcode cc;

    *status = 0;
    if (!h)
        return sp_fail(SP_E_IO, "curl_easy_init failed");
    if (connect_to && connect_to[0]) {
        /* "::HOST:PORT": any host and port of the URL goes to HOST:PORT. */
        char *entry = sp_asprintf("::%s", connect_to);
        to = curl_slist_append(NULL, entry);
        free(entry);
        if (!to) {
            curl_easy_cleanup(h);
            return sp_fail(SP_E_IO, "curl_slist_append failed");
        }
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "store-platform-storefront-check/1");
    cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    curl_slist_free_all(to);
    if (cc != CURLE_OK)
        return sp_fail(cc == CURLE_OPERATION_TIMEDOUT ? SP_E_TIMEOUT : SP_E_IO, "storefront %s: %s",
                       url, curl_easy_strerror(cc));
    return SP_OK;
}
