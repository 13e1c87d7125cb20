/* Restarts over time (health.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "health.h"

#define MIN 60000LL

static void counts_increases_within_the_window(void **state)
{
    struct sp_health_hist h;
    (void)state;
    memset(&h, 0, sizeof(h));
    sp_health_note(&h, 0, 2, 10 * MIN); /* restarts before the first look are the base */
    assert_int_equal(sp_health_restarts(&h), 0);
    sp_health_note(&h, 1 * MIN, 3, 10 * MIN);
    sp_health_note(&h, 2 * MIN, 5, 10 * MIN);
    assert_int_equal(sp_health_restarts(&h), 3);
    /* the pod was replaced: its count starts again, which is no restart */
    sp_health_note(&h, 3 * MIN, 0, 10 * MIN);
    assert_int_equal(sp_health_restarts(&h), 3);
    sp_health_note(&h, 4 * MIN, 1, 10 * MIN);
    assert_int_equal(sp_health_restarts(&h), 4);
    /* 12 minutes on, the notes at 0 and 1 minutes are out; the one at 2 is the base */
    sp_health_note(&h, 12 * MIN, 1, 10 * MIN);
    assert_int_equal(h.n, 4);
    assert_int_equal(sp_health_restarts(&h), 1);
    /* quiet for a window: nothing counts */
    sp_health_note(&h, 30 * MIN, 1, 10 * MIN);
    assert_int_equal(sp_health_restarts(&h), 0);
    assert_int_equal(h.n, 2);
}

static void keeps_at_most_its_notes(void **state)
{
    struct sp_health_hist h;
    (void)state;
    memset(&h, 0, sizeof(h));
    for (int i = 0; i < 3 * SP_HEALTH_NOTES; i++)
        sp_health_note(&h, i * 1000, i, 1000 * MIN);
    assert_int_equal(h.n, SP_HEALTH_NOTES);
    assert_int_equal(sp_health_restarts(&h), SP_HEALTH_NOTES - 1);
    assert_int_equal(h.total[SP_HEALTH_NOTES - 1], 3 * SP_HEALTH_NOTES - 1);
}

static void spans_in_words(void **state)
{
    char s[32];
    (void)state;
    sp_health_span(45000, s, sizeof(s));
    assert_string_equal(s, "45 s");
    sp_health_span(3 * MIN + 5000, s, sizeof(s));
    assert_string_equal(s, "3 minutes");
    sp_health_span(10 * MIN, s, sizeof(s));
    assert_string_equal(s, "10 minutes");
    sp_health_span(3 * 60 * MIN, s, sizeof(s));
    assert_string_equal(s, "3 hours");
    sp_health_span(-5, s, sizeof(s));
    assert_string_equal(s, "0 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_increases_within_the_window),
        cmocka_unit_test(keeps_at_most_its_notes),
        cmocka_unit_test(spans_in_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
