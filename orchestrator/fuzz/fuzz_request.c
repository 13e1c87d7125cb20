/*
 * libFuzzer harness for everything the API parses from clients: the first
 * byte picks the target, the rest is the input.
 *   0  POST /api/v1/stores body -> sp_create_req_parse (and, when accepted,
 *      the Store object built from it and the idempotency comparison)
 *   1  request path -> sp_path_split, then the store name rules
 *   2  tokens file text -> sp_tokens_parse and a lookup
 *   3  raw JSON -> sp_json_depth_check, then the error JSON renderer
 * Invariants checked with abort(): an accepted request has a valid,
 * non-reserved name and a known engine; a refused one names a code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/auth.h"
#include "../src/http.h"
#include "../src/log.h"
#include "../src/request.h"
#include "../src/store.h"

static struct sp_engines engines;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sp_log_set_level(SP_LOG_ERROR);
    if (sp_engines_load(SP_ENGINES_FILE, "/charts", &engines) != SP_OK) {
        fprintf(stderr, "fuzz: %s\n", sp_errmsg());
        abort();
    }
    return 0;
}

static void create_body(const char *s, size_t n)
{
    struct sp_create_req r;
    struct sp_req_error e = {0};
    if (sp_create_req_parse(s, n, &engines, &r, &e) == SP_OK) {
        json_t *obj = sp_create_req_store(&r, "fuzzer");
        struct sp_req_error e2;
        if (sp_api_name_check(r.name, &e2) != SP_OK || !sp_engines_find(&engines, r.spec.engine) ||
            !r.spec.size || !obj || !sp_create_req_matches(&r, "fuzzer", obj))
            abort();
        json_decref(obj);
        sp_create_req_release(&r);
    } else if (!e.code || !e.field || r.name) {
        abort();
    }
}

static void path(const char *s)
{
    struct sp_path p;
    struct sp_req_error e;
    if (sp_path_split(s, &p) != SP_OK)
        return;
    for (int i = 0; i < p.n; i++) {
        if (!*p.seg[i] || strcmp(p.seg[i], "..") == 0 || strchr(p.seg[i], '/'))
            abort();
        if (sp_api_name_check(p.seg[i], &e) == SP_OK &&
            (strlen(p.seg[i]) > SP_NAME_MAX || !sp_dns_label(p.seg[i])))
            abort();
    }
}

static void tokens(const char *s, size_t n)
{
    struct sp_tokens t;
    struct sp_user u;
    if (sp_tokens_parse(s, n, &t) != SP_OK)
        return;
    for (size_t i = 0; i < t.n; i++)
        if (strlen(t.v[i].user.name) > SP_USER_MAX)
            abort();
    (void)sp_tokens_find(&t, s, n > SP_TOKEN_MAX ? SP_TOKEN_MAX : n, &u);
    sp_tokens_release(&t);
}

static void json_text(const char *s, size_t n)
{
    struct sp_buf b = SP_BUF_INIT;
    json_t *o;
    if (sp_json_depth_check(s, n, SP_REQ_MAX_DEPTH) != SP_OK)
        return;
    sp_http_error_json(&b, "invalid", s, s); /* client text in field and message */
    o = json_loads(b.data, 0, NULL);
    if (!o)
        abort(); /* the error answer must always be valid JSON */
    json_decref(o);
    sp_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    if (size < 1 || size > 65536)
        return 0;
    s = malloc(size); /* NUL-terminated copy of the input after the selector */
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 4) {
    case 0:
        create_body(s, size - 1);
        break;
    case 1:
        path(s);
        break;
    case 2:
        tokens(s, size - 1);
        break;
    case 3:
        json_text(s, strlen(s));
        break;
    }
    free(s);
    return 0;
}
