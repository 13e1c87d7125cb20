/* The work queue: de-duplication, one worker per name, delays, back-off, shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "util.h"

static void deduplicates_waiting_names(void **state)
{
    struct sp_queue *q = sp_queue_new(10, 100);
    char *n;
    (void)state;
    sp_queue_add(q, "a");
    sp_queue_add(q, "b");
    sp_queue_add(q, "a");
    assert_int_equal(sp_queue_len(q), 2);
    assert_true(sp_queue_get(q, &n));
    assert_string_equal(n, "a");
    sp_queue_done(q, n);
    free(n);
    assert_true(sp_queue_get(q, &n));
    assert_string_equal(n, "b");
    sp_queue_done(q, n);
    free(n);
    assert_int_equal(sp_queue_len(q), 0);
    sp_queue_free(q);
}

static void never_hands_one_name_to_two_workers(void **state)
{
    struct sp_queue *q = sp_queue_new(10, 100);
    char *n, *m;
    (void)state;
    sp_queue_add(q, "a");
    assert_true(sp_queue_get(q, &n));
    /* added while being processed: held back, not handed out */
    sp_queue_add(q, "a");
    sp_queue_add(q, "b");
    assert_true(sp_queue_get(q, &m));
    assert_string_equal(m, "b");
    sp_queue_done(q, m);
    free(m);
    assert_int_equal(sp_queue_len(q), 0);
    /* done() puts the change back in the queue */
    sp_queue_done(q, n);
    free(n);
    assert_int_equal(sp_queue_len(q), 1);
    assert_true(sp_queue_get(q, &n));
    assert_string_equal(n, "a");
    sp_queue_done(q, n);
    free(n);
    sp_queue_free(q);
}

static void delays_and_keeps_the_earliest(void **state)
{
    struct sp_queue *q = sp_queue_new(10, 100);
    int64_t start = sp_now_ms();
    char *n;
    (void)state;
    sp_queue_add_after(q, "late", 300);
    sp_queue_add_after(q, "late", 60);
    sp_queue_add_after(q, "later", 150);
    assert_int_equal(sp_queue_len(q), 2);
    assert_true(sp_queue_get(q, &n));
    assert_string_equal(n, "late");
    assert_in_range(sp_now_ms() - start, 55, 250);
    sp_queue_done(q, n);
    free(n);
    assert_true(sp_queue_get(q, &n));
    assert_string_equal(n, "later");
    assert_in_range(sp_now_ms() - start, 145, 400);
    sp_queue_done(q, n);
    free(n);
    sp_queue_free(q);
}

static void backs_off_exponentially_with_a_cap(void **state)
{
    struct sp_queue *q = sp_queue_new(100, 1000);
    (void)state;
    assert_int_equal(sp_backoff_delay(0, 100, 1000), 100);
    assert_int_equal(sp_backoff_delay(1, 100, 1000), 200);
    assert_int_equal(sp_backoff_delay(3, 100, 1000), 800);
    assert_int_equal(sp_backoff_delay(4, 100, 1000), 1000);
    assert_int_equal(sp_backoff_delay(200, 100, 1000), 1000);
    assert_int_equal(sp_backoff_delay(0, 5000, 1000), 1000);
    assert_int_equal(sp_queue_add_backoff(q, "x"), 100);
    assert_int_equal(sp_queue_add_backoff(q, "x"), 200);
    assert_int_equal(sp_queue_add_backoff(q, "y"), 100);
    assert_int_equal(sp_queue_add_backoff(q, "x"), 400);
    sp_queue_forget(q, "x");
    assert_int_equal(sp_queue_add_backoff(q, "x"), 100);
    sp_queue_free(q);
}

static void *getter(void *arg)
{
    char *n = NULL;
    bool ok = sp_queue_get(arg, &n);
    free(n);
    return ok ? (void *)1 : NULL;
}

static void shutdown_wakes_blocked_workers(void **state)
{
    struct sp_queue *q = sp_queue_new(10, 100);
    pthread_t t;
    void *res = (void *)1;
    (void)state;
    pthread_create(&t, NULL, getter, q);
    sp_sleep_ms(50);
    sp_queue_stop(q);
    pthread_join(t, &res);
    assert_null(res);
    sp_queue_add(q, "ignored");
    assert_int_equal(sp_queue_len(q), 0);
    sp_queue_free(q);
}

struct stress {
    struct sp_queue *q;
    pthread_mutex_t lock;
    int active[8];
    int max_active;
    int done;
};

static void *stress_worker(void *arg)
{
    struct stress *s = arg;
    char *n;
    while (sp_queue_get(s->q, &n)) {
        int k = n[0] - 'a';
        pthread_mutex_lock(&s->lock);
        s->active[k]++;
        if (s->active[k] > s->max_active)
            s->max_active = s->active[k];
        pthread_mutex_unlock(&s->lock);
        sp_sleep_ms(1);
        pthread_mutex_lock(&s->lock);
        s->active[k]--;
        s->done++;
        pthread_mutex_unlock(&s->lock);
        sp_queue_done(s->q, n);
        free(n);
    }
    return NULL;
}

static void four_workers_keep_names_exclusive(void **state)
{
    struct stress s = {.q = sp_queue_new(1, 10)};
    pthread_t t[4];
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    (void)state;
    pthread_mutex_init(&s.lock, NULL);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, stress_worker, &s);
    for (int r = 0; r < 200; r++)
        sp_queue_add(s.q, names[r % 8]);
    sp_sleep_ms(300);
    sp_queue_stop(s.q);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.max_active, 1);
    assert_true(s.done >= 8);
    pthread_mutex_destroy(&s.lock);
    sp_queue_free(s.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deduplicates_waiting_names),
        cmocka_unit_test(never_hands_one_name_to_two_workers),
        cmocka_unit_test(delays_and_keeps_the_earliest),
        cmocka_unit_test(backs_off_exponentially_with_a_cap),
        cmocka_unit_test(shutdown_wakes_blocked_workers),
        cmocka_unit_test(four_workers_keep_names_exclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
