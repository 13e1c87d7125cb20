/*
 * The error type: codes plus a per-thread detail message (see err.h). The
 * message buffer is thread-local so concurrent workers never see each other's
 * messages and nothing needs freeing.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errbuf[2048];

enum sp_err sp_fail(enum sp_err code, const char *fmt, ...)
{
    va_list ap;
    char tmp[sizeof(errbuf)];

    /* fmt may reference sp_errmsg() itself, so format into a copy first */
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    snprintf(errbuf, sizeof(errbuf), "%s", tmp);
    return code;
}

const char *sp_errmsg(void)
{
    return errbuf;
}

const char *sp_errname(enum sp_err code)
{
    switch (code) {
    case SP_OK:
        return "ok";
    case SP_E_INVALID:
        return "invalid";
    case SP_E_NOTFOUND:
        return "notfound";
    case SP_E_CONFLICT:
        return "conflict";
    case SP_E_GONE:
        return "gone";
    case SP_E_FORBIDDEN:
        return "forbidden";
    case SP_E_TIMEOUT:
        return "timeout";
    case SP_E_IO:
        return "io";
    case SP_E_API:
        return "api";
    case SP_E_HELM:
        return "helm";
    case SP_E_STOPPED:
        return "stopped";
    }
    return "unknown";
}
