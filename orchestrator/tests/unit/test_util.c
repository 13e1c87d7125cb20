/* Helpers: durations, timestamps, random strings, labels, buffers; and the config flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"
#include "yaml2json.h"

static void parses_durations(void **state)
{
    int64_t ms;
    (void)state;
    assert_true(sp_duration_parse("10m", &ms));
    assert_int_equal(ms, 600000);
    assert_true(sp_duration_parse("1h30m", &ms));
    assert_int_equal(ms, 5400000);
    assert_true(sp_duration_parse("500ms", &ms));
    assert_int_equal(ms, 500);
    assert_true(sp_duration_parse("1.5s", &ms));
    assert_int_equal(ms, 1500);
    assert_true(sp_duration_parse("45", &ms));
    assert_int_equal(ms, 45000);
    assert_false(sp_duration_parse("", &ms));
    assert_false(sp_duration_parse("10x", &ms));
    assert_false(sp_duration_parse("m", &ms));
}

static void formats_and_parses_timestamps(void **state)
{
    char buf[48];
    int64_t ms;
    (void)state;
    sp_time_format(1767323045000, buf, sizeof(buf));
    assert_string_equal(buf, "2026-01-02T03:04:05Z");
    assert_true(sp_time_parse(buf, &ms));
    assert_int_equal(ms, 1767323045000);
    sp_time_format_micro(1767323045123, buf, sizeof(buf));
    assert_string_equal(buf, "2026-01-02T03:04:05.123000Z");
    assert_true(sp_time_parse(buf, &ms));
    assert_int_equal(ms, 1767323045123);
    assert_true(sp_time_parse("2026-01-02T05:04:05+02:00", &ms));
    assert_int_equal(ms, 1767323045000);
    assert_false(sp_time_parse("2026-01-02", &ms));
    assert_false(sp_time_parse("2026-01-02T03:04:05", &ms));
    assert_false(sp_time_parse(NULL, &ms));
}

static void random_strings_are_alnum_and_differ(void **state)
{
    char *a, *b;
    (void)state;
    assert_int_equal(sp_random_string(64, &a), SP_OK);
    assert_int_equal(sp_random_string(64, &b), SP_OK);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    for (char *p = a; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9'));
    free(a);
    free(b);
}

static void buffers_grow_and_detach(void **state)
{
    struct sp_buf b = SP_BUF_INIT;
    char *s;
    (void)state;
    for (int i = 0; i < 1000; i++)
        sp_buf_addf(&b, "%d,", i);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
    sp_buf_adds(&b, "  \n");
    sp_buf_rtrim(&b);
    assert_int_equal(b.data[b.len - 1], ',');
    s = sp_buf_detach(&b);
    assert_null(b.data);
    free(s);
    assert_true(sp_dns_label("a-b1"));
    assert_false(sp_dns_label("a_b"));
}

static void yaml_typed_and_untyped(void **state)
{
    const char *y = "a: true\nb: 'true'\nc: 12\nd: 1.5\ne: ~\nf: [x, 2]\ng: ${v}\n";
    json_t *j;
    (void)state;
    assert_int_equal(sp_yaml_to_json(y, strlen(y), true, &j), SP_OK);
    assert_true(json_is_true(json_object_get(j, "a")));
    assert_true(json_is_string(json_object_get(j, "b")));
    assert_int_equal(json_integer_value(json_object_get(j, "c")), 12);
    assert_true(json_is_real(json_object_get(j, "d")));
    assert_true(json_is_null(json_object_get(j, "e")));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "f"), 1)), 2);
    assert_string_equal(json_string_value(json_object_get(j, "g")), "${v}");
    json_decref(j);
    assert_int_equal(sp_yaml_to_json(y, strlen(y), false, &j), SP_OK);
    assert_string_equal(json_string_value(json_object_get(j, "c")), "12");
    json_decref(j);
    assert_int_equal(sp_yaml_to_json("", 0, true, &j), SP_OK);
    assert_true(json_is_object(j));
    json_decref(j);
    assert_int_equal(sp_yaml_to_json("a: *nope", 8, true, &j), SP_E_INVALID);
}

static void config_from_flags_and_environment(void **state)
{
    struct sp_config c;
    char *argv[] = {"orchestrator",
                    "--workers=8",
                    "--provision-timeout",
                    "90s",
                    "--no-storefront-check",
                    "--leader-elect=false",
                    "--base-domain=x.test",
                    "--kube-qps=5.5",
                    NULL};
    (void)state;
    setenv("SP_INGRESS_CLASS", "traefik", 1);
    setenv("SP_WORKERS", "2", 1);
    sp_config_defaults(&c);
    assert_int_equal(c.workers, 4);
    assert_int_equal(c.provision_timeout_ms, 600000);
    assert_true(c.storefront_check);
    assert_int_equal(sp_config_parse(&c, 8, argv), SP_OK);
    assert_int_equal(c.workers, 8); /* flag beats environment */
    assert_int_equal(c.provision_timeout_ms, 90000);
    assert_false(c.storefront_check);
    assert_false(c.leader_elect);
    assert_string_equal(c.base_domain, "x.test");
    assert_string_equal(c.ingress_class, "traefik");
    assert_true(c.qps > 5.4 && c.qps < 5.6);
    unsetenv("SP_INGRESS_CLASS");
    unsetenv("SP_WORKERS");
}

static void config_errors_name_the_flag(void **state)
{
    struct sp_config c;
    char *bad1[] = {"o", "--workers=many", NULL};
    char *bad2[] = {"o", "--nope", NULL};
    char *bad3[] = {"o", "--provision-timeout=soon", NULL};
    char *bad4[] = {"o", "--base-domain", NULL};
    char *bad5[] = {"o", "positional", NULL};
    char *bad6[] = {"o", "--storefront-check=maybe", NULL};
    (void)state;
    sp_config_defaults(&c);
    assert_int_equal(sp_config_parse(&c, 2, bad1), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "workers: 'many'"));
    assert_int_equal(sp_config_parse(&c, 2, bad2), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "--nope"));
    assert_int_equal(sp_config_parse(&c, 2, bad3), SP_E_INVALID);
    assert_non_null(strstr(sp_errmsg(), "'soon'"));
    assert_int_equal(sp_config_parse(&c, 2, bad4), SP_E_INVALID);
    assert_int_equal(sp_config_parse(&c, 2, bad5), SP_E_INVALID);
    assert_int_equal(sp_config_parse(&c, 2, bad6), SP_E_INVALID);
}

static void owner_becomes_a_valid_label_value(void **state)
{
    char *v;
    (void)state;
    v = sp_label_value("alice@example.com");
    assert_string_equal(v, "alice_example.com");
    free(v);
    v = sp_label_value("-bob-");
    assert_string_equal(v, "bob");
    free(v);
    v = sp_label_value("x234567890123456789012345678901234567890123456789012345678901234567890");
    assert_int_equal(strlen(v), 63);
    free(v);
    v = sp_label_value(NULL);
    assert_string_equal(v, "");
    free(v);
}

static void decodes_base64(void **state)
{
    struct sp_buf b = SP_BUF_INIT;
    (void)state;
    assert_int_equal(sp_base64_decode("aGk=\n", &b), SP_OK);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "hi", 2);
    sp_buf_reset(&b);
    assert_int_equal(sp_base64_decode("YQ==", &b), SP_OK);
    assert_int_equal(b.len, 1);
    assert_int_equal(sp_base64_decode("abc", &b), SP_E_INVALID);
    sp_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_base64),
        cmocka_unit_test(owner_becomes_a_valid_label_value),
        cmocka_unit_test(parses_durations),
        cmocka_unit_test(formats_and_parses_timestamps),
        cmocka_unit_test(random_strings_are_alnum_and_differ),
        cmocka_unit_test(buffers_grow_and_detach),
        cmocka_unit_test(yaml_typed_and_untyped),
        cmocka_unit_test(config_from_flags_and_environment),
        cmocka_unit_test(config_errors_name_the_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
