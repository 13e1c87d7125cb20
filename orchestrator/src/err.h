/*
 * The one error type of the orchestrator. Every fallible function returns an
 * enum sp_err and is declared SP_MUST so a caller cannot ignore it. SP_OK is 0,
 * so the idiom is `err = f(); if (err) goto fail;`. The human-readable detail
 * (what failed, with which value, and the API server's or helm's own message)
 * lives in a per-thread buffer set by sp_fail() and read with sp_errmsg(); it
 * stays valid until the same thread calls sp_fail() again.
 */
#ifndef SP_ERR_H
#define SP_ERR_H

#define SP_MUST         __attribute__((warn_unused_result))
#define SP_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum sp_err {
    SP_OK = 0,
    SP_E_INVALID,   /* bad input: configuration, spec, argument, 400/422 */
    SP_E_NOTFOUND,  /* the object does not exist (404) */
    SP_E_CONFLICT,  /* exists already or changed meanwhile (409) */
    SP_E_GONE,      /* watch resourceVersion too old (410): relist */
    SP_E_FORBIDDEN, /* 401/403 */
    SP_E_TIMEOUT,   /* a deadline passed */
    SP_E_IO,        /* network, file or process failure */
    SP_E_API,       /* any other answer of the API server (5xx, 429 after retries) */
    SP_E_HELM,      /* helm exited non-zero; the message carries its stderr */
    SP_E_STOPPED,   /* shutdown was requested while waiting */
};

/* Records the detail message for this thread and returns code. */
SP_MUST enum sp_err sp_fail(enum sp_err code, const char *fmt, ...) SP_PRINTF(2, 3);

/* Detail of the last sp_fail() on this thread; never NULL, "" when none. */
const char *sp_errmsg(void);

/* Short stable name of a code ("notfound"), for logs and metrics labels. */
const char *sp_errname(enum sp_err code);

#endif
