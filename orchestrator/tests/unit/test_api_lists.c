/* The API's kept list answers: per key and cache generation, bounded, safe under threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static struct sp_http_body *body(const char *s)
{
    return sp_http_body_new(s, strlen(s), "application/json");
}

/* A list answer is kept per key and generation; any change makes it stale. */
static void lists_per_key_and_generation(void **state)
{
    struct sp_api_views *vs = sp_api_views_new();
    const struct sp_api_list_key bob = {.user = "bob"}, carol = {.user = "carol"};
    const struct sp_api_list_key all = {.all = true, .user = "alice"};
    const struct sp_api_list_key all2 = {.all = true, .user = "zed"};
    const struct sp_api_list_key bob_f = {.user = "bob", .owner = "bob"};
    struct sp_http_body *b;
    uint64_t g, g2;
    (void)state;

    assert_null(sp_api_views_list_get(vs, &bob, &g));
    sp_api_views_list_put(vs, &bob, g, body("bob"));
    b = sp_api_views_list_get(vs, &bob, &g2);
    assert_non_null(b);
    assert_int_equal(g, g2);
    assert_int_equal(sp_http_body_len(b), 3);
    assert_string_equal(sp_http_body_data(b), "bob");
    sp_http_body_unref(b);
    assert_null(sp_api_views_list_get(vs, &carol, &g2));
    assert_null(sp_api_views_list_get(vs, &bob_f, &g2));
    /* admins share one answer whoever asks */
    sp_api_views_list_put(vs, &all, g, body("all"));
    b = sp_api_views_list_get(vs, &all2, &g2);
    assert_non_null(b);
    sp_http_body_unref(b);
    /* a change: stale */
    sp_api_views_on_change(vs, "MODIFIED", NULL);
    assert_null(sp_api_views_list_get(vs, &bob, &g2));
    assert_true(g2 > g);
    /* a body built before the change does not replace a fresher one, nor is served */
    sp_api_views_list_put(vs, &bob, g2, body("new"));
    sp_api_views_list_put(vs, &bob, g, body("old"));
    b = sp_api_views_list_get(vs, &bob, &g2);
    assert_non_null(b);
    assert_string_equal(sp_http_body_data(b), "new");
    sp_http_body_unref(b);
    sp_api_views_invalidate(vs);
    assert_null(sp_api_views_list_get(vs, &bob, &g2));
    sp_api_views_free(vs);
}

static void lists_are_bounded(void **state)
{
    struct sp_api_views *vs = sp_api_views_new();
    char name[32];
    uint64_t g;
    struct sp_http_body *b;
    char *big = calloc(1, 600 * 1024);
    (void)state;
    memset(big, 'x', 600 * 1024 - 1);
    for (int i = 0; i < 100; i++) {
        struct sp_api_list_key k = {.user = name};
        snprintf(name, sizeof(name), "u%d", i);
        (void)sp_api_views_list_get(vs, &k, &g);
        sp_api_views_list_put(vs, &k, g, body(name));
    }
    assert_int_equal(sp_api_views_list_count(vs), 32);
    /* the most recent are kept */
    b = sp_api_views_list_get(vs, &(struct sp_api_list_key){.user = "u99"}, &g);
    assert_non_null(b);
    sp_http_body_unref(b);
    assert_null(sp_api_views_list_get(vs, &(struct sp_api_list_key){.user = "u0"}, &g));
    /* too large: not kept */
    sp_api_views_list_put(vs, &(struct sp_api_list_key){.user = "big"}, g, body(big));
    assert_null(sp_api_views_list_get(vs, &(struct sp_api_list_key){.user = "big"}, &g));
    /* bytes bounded: 4 x 400 KB > 2 MiB budget keeps at most 5 */
    big[400 * 1024] = '\0';
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "b%d", i);
        sp_api_views_list_put(vs, &(struct sp_api_list_key){.user = name}, g, body(big));
    }
    assert_true(sp_api_views_list_count(vs) <= 32);
    b = sp_api_views_list_get(vs, &(struct sp_api_list_key){.user = "b7"}, &g);
    assert_non_null(b);
    sp_http_body_unref(b);
    assert_null(sp_api_views_list_get(vs, &(struct sp_api_list_key){.user = "b0"}, &g));
    free(big);
    sp_api_views_free(vs);
}

/* Eight threads get and put under invalidations. cmocka's asserts are for the main
 * thread, so each thread counts what it saw and the test asserts on the counts: a kept
 * answer is always the one put for that key, whole, and the cache did serve hits. */
static struct sp_api_views *shared;
struct hammer_count {
    long id;
    long hits, misses, wrong;
};

static void *hammer(void *arg)
{
    struct hammer_count *c = arg;
    char name[16];
    for (int i = 0; i < 20000; i++) {
        struct sp_api_list_key k = {.user = name};
        struct sp_http_body *b;
        uint64_t g;
        snprintf(name, sizeof(name), "u%d", (int)((i + c->id) % 40));
        b = sp_api_views_list_get(shared, &k, &g);
        if (!b) {
            c->misses++;
            sp_api_views_list_put(shared, &k, g, body(name));
        } else {
            c->hits++;
            if (sp_http_body_len(b) != strlen(name) ||
                memcmp(sp_http_body_data(b), name, strlen(name)) != 0)
                c->wrong++;
            sp_http_body_unref(b);
        }
        if (c->id == 0 && i % 100 == 0)
            sp_api_views_invalidate(shared);
    }
    return NULL;
}

static void lists_concurrent(void **state)
{
    pthread_t t[8];
    struct hammer_count c[8];
    long hits = 0, misses = 0;
    struct sp_http_body *b;
    uint64_t g;
    (void)state;
    shared = sp_api_views_new();
    for (long i = 0; i < 8; i++) {
        c[i] = (struct hammer_count){.id = i};
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &c[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(c[i].wrong, 0);
        hits += c[i].hits;
        misses += c[i].misses;
    }
    assert_int_equal(hits + misses, 8 * 20000);
    assert_true(hits > 0);   /* it kept answers while others read and wrote */
    assert_true(misses > 0); /* and the invalidations were seen */
    assert_true(sp_api_views_list_count(shared) <= 32);
    /* still consistent afterwards */
    (void)sp_api_views_list_get(shared, &(struct sp_api_list_key){.user = "after"}, &g);
    sp_api_views_list_put(shared, &(struct sp_api_list_key){.user = "after"}, g, body("after"));
    b = sp_api_views_list_get(shared, &(struct sp_api_list_key){.user = "after"}, &g);
    assert_non_null(b);
    assert_string_equal(sp_http_body_data(b), "after");
    sp_http_body_unref(b);
    sp_api_views_free(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_per_key_and_generation),
        cmocka_unit_test(lists_are_bounded),
        cmocka_unit_test(lists_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
