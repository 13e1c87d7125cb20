/*
 * Who is calling: bearer tokens mapped to users and roles from a tokens file,
 * one user per line "<token> <user> <role>" (role admin or user; '#' starts a
 * comment line; blank lines are skipped). The platform chart mounts the file
 * from a Secret.
 *
 * Tokens are never kept: only their SHA-256 digests stay in memory, and a
 * presented token's digest is compared with every entry in constant time
 * (CRYPTO_memcmp, no early exit), so neither timing nor a memory dump gives a
 * token away. Error messages name the line, never the token.
 *
 * The file is re-read when it changes (inode, size or modification time,
 * looked at no more often than the check interval); a file that no longer
 * parses is logged and the previous table stays in force.
 *
 * Thread-safe: sp_auth_check() may run on any thread (a read-write lock
 * guards the table; it is swapped whole on reload).
 */
#ifndef SP_AUTH_H
#define SP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SP_USER_MAX   128 /* as the CRD's spec.owner maxLength */
#define SP_TOKEN_MIN  16
#define SP_TOKEN_MAX  512
#define SP_DIGEST_LEN 32

enum sp_role { SP_ROLE_USER, SP_ROLE_ADMIN };

struct sp_user {
    char name[SP_USER_MAX + 1];
    enum sp_role role;
};

struct sp_token {
    unsigned char digest[SP_DIGEST_LEN];
    struct sp_user user;
};

/* A parsed tokens file; v is owned (sp_tokens_release()). */
struct sp_tokens {
    struct sp_token *v;
    size_t n;
};

/*
 * Parses the text of a tokens file (len bytes, need not be NUL-terminated).
 * Refuses a malformed line, a token shorter than SP_TOKEN_MIN or longer than
 * SP_TOKEN_MAX, a user name outside [A-Za-z0-9._@-] or longer than
 * SP_USER_MAX, an unknown role and a token given twice. On failure out is empty.
 */
SP_MUST enum sp_err sp_tokens_parse(const char *text, size_t len, struct sp_tokens *out);
void sp_tokens_release(struct sp_tokens *t);
/* Finds token (len bytes) in t in constant time; fills *user on success. */
bool sp_tokens_find(const struct sp_tokens *t, const char *token, size_t len, struct sp_user *user);

struct sp_auth;

/*
 * Loads path (NULL: no tokens, every check fails) and returns the
 * authenticator in *out. check_interval_ms: how often the file is looked at
 * for changes (0: at every check).
 */
SP_MUST enum sp_err sp_auth_new(const char *path, int64_t check_interval_ms, struct sp_auth **out);
void sp_auth_free(struct sp_auth *a);
/* Reloads the file if it changed; called by sp_auth_check() too. */
void sp_auth_refresh(struct sp_auth *a);
/* Checks a presented token; fills *user when it is known. */
bool sp_auth_check(struct sp_auth *a, const char *token, size_t len, struct sp_user *user);
/* Number of tokens in force. */
size_t sp_auth_count(struct sp_auth *a);

const char *sp_role_name(enum sp_role r);

#endif
