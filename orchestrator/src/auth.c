/*
 * Bearer tokens (see auth.h). Parsing walks the text line by line without
 * copying it; each token is hashed with OpenSSL's SHA-256 as soon as it is
 * read and the local copy wiped. The table is an immutable struct sp_tokens
 * swapped under a write lock on reload.
 */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

struct sp_auth {
    char *path;
    int64_t interval_ms;
    pthread_rwlock_t lock; /* guards tokens */
    struct sp_tokens tokens;
    pthread_mutex_t stat_lock; /* guards the fields below */
    int64_t checked_ms;
    struct stat seen;
    bool have_seen;
};

const char *sp_role_name(enum sp_role r)
{
    return r == SP_ROLE_ADMIN ? "admin" : "user";
}

static bool user_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated word of [*p, end): start in *w, length returned. */
static size_t word(const char **p, const char *end, const char **w)
{
    const char *s = *p;
    while (s < end && blank(*s))
        s++;
    *w = s;
    while (s < end && !blank(*s))
        s++;
    *p = s;
    return (size_t)(s - *w);
}

enum sp_err sp_tokens_parse(const char *text, size_t len, struct sp_tokens *out)
{
    const char *p = text, *end = text + len;
    size_t cap = 0;
    int line = 0;
    enum sp_err err = SP_OK;

    memset(out, 0, sizeof(*out));
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *tok, *user, *role, *extra;
        size_t ntok, nuser, nrole;
        struct sp_token t;

        if (!eol)
            eol = end;
        line++;
        ntok = word(&p, eol, &tok);
        if (ntok == 0 || tok[0] == '#') {
            p = eol < end ? eol + 1 : end;
            continue;
        }
        nuser = word(&p, eol, &user);
        nrole = word(&p, eol, &role);
        if (nrole == 0 || word(&p, eol, &extra) != 0) {
            err = sp_fail(SP_E_INVALID, "tokens file line %d: expected '<token> <user> <role>'",
                          line);
            goto fail;
        }
        if (ntok < SP_TOKEN_MIN || ntok > SP_TOKEN_MAX) {
            err =
                sp_fail(SP_E_INVALID, "tokens file line %d: token must be %d to %d characters long",
                        line, SP_TOKEN_MIN, SP_TOKEN_MAX);
            goto fail;
        }
        for (size_t i = 0; i < ntok; i++)
            if ((unsigned char)tok[i] <= 0x20 || (unsigned char)tok[i] >= 0x7f) {
                err = sp_fail(SP_E_INVALID, "tokens file line %d: token must be printable ASCII",
                              line);
                goto fail;
            }
        if (nuser > SP_USER_MAX) {
            err = sp_fail(SP_E_INVALID, "tokens file line %d: user name longer than %d", line,
                          SP_USER_MAX);
            goto fail;
        }
        for (size_t i = 0; i < nuser; i++)
            if (!user_char(user[i])) {
                err = sp_fail(SP_E_INVALID,
                              "tokens file line %d: user name may hold only letters, digits "
                              "and . _ @ -",
                              line);
                goto fail;
            }
        memset(&t, 0, sizeof(t));
        if (nrole == 5 && memcmp(role, "admin", 5) == 0) {
            t.user.role = SP_ROLE_ADMIN;
        } else if (nrole == 4 && memcmp(role, "user", 4) == 0) {
            t.user.role = SP_ROLE_USER;
        } else {
            err = sp_fail(SP_E_INVALID, "tokens file line %d: role '%.*s' is not admin or user",
                          line, (int)(nrole > 20 ? 20 : nrole), role);
            goto fail;
        }
        memcpy(t.user.name, user, nuser);
        SHA256((const unsigned char *)tok, ntok, t.digest);
        for (size_t i = 0; i < out->n; i++)
            if (CRYPTO_memcmp(out->v[i].digest, t.digest, SP_DIGEST_LEN) == 0) {
                err = sp_fail(SP_E_INVALID, "tokens file line %d: the same token is given twice",
                              line);
                goto fail;
            }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            out->v = sp_realloc(out->v, cap * sizeof(*out->v));
        }
        out->v[out->n++] = t;
        p = eol < end ? eol + 1 : end;
    }
    return SP_OK;
fail:
    sp_tokens_release(out);
    return err;
}

void sp_tokens_release(struct sp_tokens *t)
{
    if (t->v)
        OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

bool sp_tokens_find(const struct sp_tokens *t, const char *token, size_t len, struct sp_user *user)
{
    unsigned char d[SP_DIGEST_LEN];
    size_t found = (size_t)-1;

    if (!token || len == 0 || len > SP_TOKEN_MAX)
        return false;
    SHA256((const unsigned char *)token, len, d);
    /* every entry is compared, whatever matched before */
    for (size_t i = 0; i < t->n; i++)
        if (CRYPTO_memcmp(t->v[i].digest, d, SP_DIGEST_LEN) == 0)
            found = i;
    if (found == (size_t)-1)
        return false;
    *user = t->v[found].user;
    return true;
}

static enum sp_err load(const char *path, struct sp_tokens *out, struct stat *st)
{
    struct sp_buf b = SP_BUF_INIT;
    enum sp_err err;

    if (stat(path, st) != 0)
        return sp_fail(SP_E_IO, "unable to stat tokens file '%s'", path);
    err = sp_read_file(path, &b);
    if (!err)
        err = sp_tokens_parse(b.data ? b.data : "", b.len, out);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sp_buf_release(&b);
    return err;
}

enum sp_err sp_auth_new(const char *path, int64_t check_interval_ms, struct sp_auth **out)
{
    struct sp_auth *a = sp_calloc(1, sizeof(*a));
    enum sp_err err;

    a->interval_ms = check_interval_ms;
    pthread_rwlock_init(&a->lock, NULL);
    pthread_mutex_init(&a->stat_lock, NULL);
    if (path) {
        a->path = sp_strdup(path);
        err = load(path, &a->tokens, &a->seen);
        if (err) {
            sp_auth_free(a);
            *out = NULL;
            return err;
        }
        a->have_seen = true;
        a->checked_ms = sp_now_ms();
    }
    *out = a;
    return SP_OK;
}

void sp_auth_free(struct sp_auth *a)
{
    if (!a)
        return;
    sp_tokens_release(&a->tokens);
    pthread_rwlock_destroy(&a->lock);
    pthread_mutex_destroy(&a->stat_lock);
    free(a->path);
    free(a);
}

static bool changed(const struct stat *a, const struct stat *b)
{
    return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
           a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

void sp_auth_refresh(struct sp_auth *a)
{
    struct stat st;
    struct sp_tokens fresh = {0}, old;
    int64_t now = sp_now_ms();

    if (!a->path)
        return;
    pthread_mutex_lock(&a->stat_lock);
    if (a->interval_ms > 0 && now - a->checked_ms < a->interval_ms) {
        pthread_mutex_unlock(&a->stat_lock);
        return;
    }
    a->checked_ms = now;
    if (stat(a->path, &st) != 0 || (a->have_seen && !changed(&st, &a->seen))) {
        pthread_mutex_unlock(&a->stat_lock);
        return;
    }
    if (load(a->path, &fresh, &st) != SP_OK) {
        sp_warn(NULL, "auth", "keeping the previous tokens: %s", sp_errmsg());
        a->seen = st; /* do not retry an unchanged broken file */
        a->have_seen = true;
        pthread_mutex_unlock(&a->stat_lock);
        return;
    }
    a->seen = st;
    a->have_seen = true;
    pthread_mutex_unlock(&a->stat_lock);

    pthread_rwlock_wrlock(&a->lock);
    old = a->tokens;
    a->tokens = fresh;
    pthread_rwlock_unlock(&a->lock);
    sp_tokens_release(&old);
    sp_info(NULL, "auth", "tokens file reloaded: %zu tokens", fresh.n);
}

bool sp_auth_check(struct sp_auth *a, const char *token, size_t len, struct sp_user *user)
{
    bool ok;
    sp_auth_refresh(a);
    pthread_rwlock_rdlock(&a->lock);
    ok = sp_tokens_find(&a->tokens, token, len, user);
    pthread_rwlock_unlock(&a->lock);
    return ok;
}

size_t sp_auth_count(struct sp_auth *a)
{
    size_t n;
    pthread_rwlock_rdlock(&a->lock);
    n = a->tokens.n;
    pthread_rwlock_unlock(&a->lock);
    return n;
}
