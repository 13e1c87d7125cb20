/* Token bucket arithmetic with a hand-driven clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "ratelimit.h"

static void burst_then_rate(void **state)
{
    struct sp_ratelimit *rl = sp_ratelimit_new(2, 3, 100); /* 2/s, burst 3 */
    int64_t wait = 0;
    (void)state;
    for (int i = 0; i < 3; i++)
        assert_true(sp_ratelimit_take(rl, "user:a", 1000, &wait));
    assert_false(sp_ratelimit_take(rl, "user:a", 1000, &wait));
    assert_int_equal(wait, 501); /* one token per 500 ms (+1 ms rounding up) */
    assert_false(sp_ratelimit_take(rl, "user:a", 1499, &wait));
    assert_true(wait >= 1 && wait <= 2);
    assert_true(sp_ratelimit_take(rl, "user:a", 1500, &wait));
    assert_false(sp_ratelimit_take(rl, "user:a", 1500, &wait));
    /* another key has its own bucket */
    assert_true(sp_ratelimit_take(rl, "user:b", 1500, &wait));
    /* a long pause refills up to the burst only */
    for (int i = 0; i < 3; i++)
        assert_true(sp_ratelimit_take(rl, "user:a", 100000, &wait));
    assert_false(sp_ratelimit_take(rl, "user:a", 100000, &wait));
    /* a clock going backwards never adds tokens */
    assert_false(sp_ratelimit_take(rl, "user:a", 50000, &wait));
    sp_ratelimit_free(rl);
}

static void off_when_rate_is_zero(void **state)
{
    struct sp_ratelimit *rl = sp_ratelimit_new(0, 1, 10);
    (void)state;
    for (int i = 0; i < 1000; i++)
        assert_true(sp_ratelimit_take(rl, "ip:x", 0, NULL));
    sp_ratelimit_free(rl);
}

static void bounded_number_of_keys(void **state)
{
    struct sp_ratelimit *rl = sp_ratelimit_new(1, 2, 50);
    char key[32];
    (void)state;
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "ip:%d", i);
        assert_true(sp_ratelimit_take(rl, key, i, NULL));
        assert_true(sp_ratelimit_size(rl) <= 50);
    }
    /* the most recent key kept its state: one token left of 2, then none */
    assert_true(sp_ratelimit_take(rl, "ip:499", 499, NULL));
    assert_false(sp_ratelimit_take(rl, "ip:499", 499, NULL));
    sp_ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_rate),
        cmocka_unit_test(off_when_rate_is_zero),
        cmocka_unit_test(bounded_number_of_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
