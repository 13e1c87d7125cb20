/*
 * Helpers shared by every module (see util.h). Allocation failure aborts here
 * and nowhere else: a controller that cannot allocate a few bytes cannot do
 * anything useful, and Kubernetes restarts it.
 */
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

__attribute__((noreturn)) static void oom(size_t n)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory allocating %zu bytes\"}\n", n);
    abort();
}

void *sp_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *sp_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *sp_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *sp_strdup(const char *s)
{
    char *p;
    if (!s)
        return NULL;
    p = strdup(s);
    if (!p)
        oom(strlen(s));
    return p;
}

char *sp_asprintf(const char *fmt, ...)
{
    struct sp_buf b = SP_BUF_INIT;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    b.cap = (size_t)n + 1;
    b.data = sp_malloc(b.cap);
    va_start(ap, fmt);
    vsnprintf(b.data, b.cap, fmt, ap);
    va_end(ap);
    return b.data;
}

static void buf_grow(struct sp_buf *b, size_t extra)
{
    size_t want = b->len + extra + 1;
    if (want <= b->cap)
        return;
    if (b->cap * 2 > want)
        want = b->cap * 2;
    if (want < 64)
        want = 64;
    b->data = sp_realloc(b->data, want);
    b->cap = want;
}

void sp_buf_add(struct sp_buf *b, const void *data, size_t n)
{
    buf_grow(b, n);
    assert(b->data != NULL);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sp_buf_adds(struct sp_buf *b, const char *s)
{
    sp_buf_add(b, s, strlen(s));
}

void sp_buf_addf(struct sp_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sp_buf_reset(struct sp_buf *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0';
}

void sp_buf_release(struct sp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *sp_buf_detach(struct sp_buf *b)
{
    char *s = b->data ? b->data : sp_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void sp_buf_rtrim(struct sp_buf *b)
{
    while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' ' ||
                      b->data[b->len - 1] == '\r' || b->data[b->len - 1] == '\t'))
        b->data[--b->len] = '\0';
}

int64_t sp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sp_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sp_time_format(int64_t wall_ms, char *out, size_t n)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sp_time_format_micro(int64_t wall_ms, char *out, size_t n)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    char base[32];
    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06dZ", base, (int)(wall_ms % 1000) * 1000);
}

bool sp_time_parse(const char *s, int64_t *wall_ms)
{
    struct tm tm;
    const char *p;
    int64_t ms = 0, off = 0;

    if (!s)
        return false;
    memset(&tm, 0, sizeof(tm));
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return false;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return false;
        off = (int64_t)(hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    *wall_ms = ((int64_t)timegm(&tm) - off) * 1000 + ms;
    return true;
}

bool sp_duration_parse(const char *s, int64_t *ms)
{
    int64_t total = 0;
    const char *p = s;

    if (!s || !*s)
        return false;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return false;
        p = end;
        if (!*p && total == 0 && p != s) {
            total = (int64_t)(v * 1000); /* bare number: seconds */
            break;
        }
        if (strncmp(p, "ms", 2) == 0) {
            total += (int64_t)v;
            p += 2;
        } else if (*p == 's') {
            total += (int64_t)(v * 1000);
            p++;
        } else if (*p == 'm') {
            total += (int64_t)(v * 60000);
            p++;
        } else if (*p == 'h') {
            total += (int64_t)(v * 3600000);
            p++;
        } else {
            return false;
        }
    }
    *ms = total;
    return true;
}

void sp_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

enum sp_err sp_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return sp_fail(SP_E_IO, "getrandom failed: %s", strerror(errno));
        }
        p += r;
        n -= (size_t)r;
    }
    return SP_OK;
}

enum sp_err sp_random_string(size_t n, char **out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char *s = sp_malloc(n + 1);
    size_t i = 0;

    while (i < n) {
        unsigned char chunk[64];
        enum sp_err err = sp_random(chunk, sizeof(chunk));
        if (err) {
            free(s);
            return err;
        }
        /* rejection sampling: 62 * 4 = 248, so bytes >= 248 are dropped */
        for (size_t j = 0; j < sizeof(chunk) && i < n; j++)
            if (chunk[j] < 248)
                s[i++] = alphabet[chunk[j] % 62];
    }
    s[n] = '\0';
    *out = s;
    return SP_OK;
}

enum sp_err sp_read_file(const char *path, struct sp_buf *out)
{
    char chunk[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sp_fail(SP_E_IO, "unable to open '%s': %s", path, strerror(errno));
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return sp_fail(SP_E_IO, "unable to read '%s': %s", path, strerror(errno));
        }
        if (r == 0)
            break;
        sp_buf_add(out, chunk, (size_t)r);
    }
    close(fd);
    if (!out->data)
        sp_buf_add(out, "", 0);
    return SP_OK;
}

bool sp_dns_label(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i + 1 < n))
            return false;
    }
    return true;
}

void sp_set_str(char **dst, const char *src)
{
    char *copy = sp_strdup(src);
    free(*dst);
    *dst = copy;
}

char *sp_label_value(const char *s)
{
    char *v = sp_calloc(64, 1);
    size_t n = 0;
    for (const char *p = s ? s : ""; *p && n < 63; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        v[n++] = ok ? c : '_';
    }
    while (n && !((v[n - 1] >= 'a' && v[n - 1] <= 'z') || (v[n - 1] >= 'A' && v[n - 1] <= 'Z') ||
                  (v[n - 1] >= '0' && v[n - 1] <= '9')))
        v[--n] = '\0';
    while (v[0] && !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z') ||
                     (v[0] >= '0' && v[0] <= '9')))
        memmove(v, v + 1, strlen(v));
    return v;
}

enum sp_err sp_base64_decode(const char *in, struct sp_buf *out)
{
    size_t n = strlen(in), k = 0;
    char *clean = sp_malloc(n + 1);
    unsigned char *bin;
    int r, pad = 0;

    for (size_t i = 0; i < n; i++)
        if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ' && in[i] != '\t')
            clean[k++] = in[i];
    clean[k] = '\0';
    if (k % 4 != 0) {
        free(clean);
        return sp_fail(SP_E_INVALID, "base64 data has a length of %zu, not a multiple of 4", k);
    }
    bin = sp_malloc(k / 4 * 3 + 1);
    r = EVP_DecodeBlock(bin, (const unsigned char *)clean, (int)k);
    if (r < 0) {
        free(clean);
        free(bin);
        return sp_fail(SP_E_INVALID, "invalid base64 data");
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (k >= 1 && clean[k - 1] == '=')
        pad++;
    if (k >= 2 && clean[k - 2] == '=')
        pad++;
    sp_buf_add(out, bin, (size_t)r - (size_t)pad);
    free(clean);
    free(bin);
    return SP_OK;
}
