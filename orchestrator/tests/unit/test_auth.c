/* Tokens file parsing, constant-time lookup by digest, and reload on change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "err.h"

static const char good[] = "# users\n"
                           "\n"
                           "tok-aaaaaaaaaaaaaaaa alice admin\n"
                           "  tok-bbbbbbbbbbbbbbbb\tbob   user  \r\n"
                           "tok-cccccccccccccccc carol@example.org user";

static void parses_users_roles_and_comments(void **state)
{
    struct sp_tokens t;
    struct sp_user u;
    (void)state;
    assert_int_equal(sp_tokens_parse(good, strlen(good), &t), SP_OK);
    assert_int_equal(t.n, 3);
    assert_true(sp_tokens_find(&t, "tok-aaaaaaaaaaaaaaaa", 20, &u));
    assert_string_equal(u.name, "alice");
    assert_int_equal(u.role, SP_ROLE_ADMIN);
    assert_true(sp_tokens_find(&t, "tok-bbbbbbbbbbbbbbbb", 20, &u));
    assert_string_equal(u.name, "bob");
    assert_int_equal(u.role, SP_ROLE_USER);
    assert_true(sp_tokens_find(&t, "tok-cccccccccccccccc", 20, &u));
    assert_string_equal(u.name, "carol@example.org");
    /* a prefix, a longer token, an empty one and a different one all fail */
    assert_false(sp_tokens_find(&t, "tok-aaaaaaaaaaaaaaa", 19, &u));
    assert_false(sp_tokens_find(&t, "tok-aaaaaaaaaaaaaaaaa", 21, &u));
    assert_false(sp_tokens_find(&t, "", 0, &u));
    assert_false(sp_tokens_find(&t, "tok-aaaaaaaaaaaaaaab", 20, &u));
    sp_tokens_release(&t);
}

static void only_digests_are_kept(void **state)
{
    struct sp_tokens t;
    (void)state;
    assert_int_equal(sp_tokens_parse(good, strlen(good), &t), SP_OK);
    /* the token text appears nowhere in the table */
    assert_null(memmem(t.v, t.n * sizeof(*t.v), "tok-aaaa", 8));
    sp_tokens_release(&t);
}

static void refuses_bad_lines_naming_the_line_not_the_token(void **state)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"tok-aaaaaaaaaaaaaaaa alice\n", "line 1: expected"},
        {"tok-aaaaaaaaaaaaaaaa alice admin extra\n", "line 1: expected"},
        {"# c\nshort alice admin\n", "line 2: token must be 16"},
        {"tok-aaaaaaaaaaaaaaaa alice root\n", "line 1: role 'root'"},
        {"tok-aaaaaaaaaaaaaaaa al/ice user\n", "line 1: user name"},
        {"tok-aaaaaaaaaaaaaaaa a user\ntok-aaaaaaaaaaaaaaaa b user\n", "line 2: the same token"},
        {"tok-aaaaaaaaaaaaaaa\x01 a user\n", "line 1: token must be printable"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sp_tokens t;
        assert_int_equal(sp_tokens_parse(bad[i].text, strlen(bad[i].text), &t), SP_E_INVALID);
        assert_non_null(strstr(sp_errmsg(), bad[i].msg));
        assert_null(strstr(sp_errmsg(), "tok-"));
        assert_int_equal(t.n, 0);
        assert_null(t.v);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void reloads_when_the_file_changes(void **state)
{
    char path[] = "/tmp/sp-test-tokens-XXXXXX";
    int fd = mkstemp(path);
    struct sp_auth *a;
    struct sp_user u;
    (void)state;
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "tok-aaaaaaaaaaaaaaaa alice admin\n");
    assert_int_equal(sp_auth_new(path, 0, &a), SP_OK);
    assert_true(sp_auth_check(a, "tok-aaaaaaaaaaaaaaaa", 20, &u));
    assert_false(sp_auth_check(a, "tok-bbbbbbbbbbbbbbbb", 20, &u));
    write_file(path, "tok-bbbbbbbbbbbbbbbb bob user\n# alice removed\n");
    assert_true(sp_auth_check(a, "tok-bbbbbbbbbbbbbbbb", 20, &u));
    assert_string_equal(u.name, "bob");
    assert_false(sp_auth_check(a, "tok-aaaaaaaaaaaaaaaa", 20, &u));
    /* a broken file keeps the previous table */
    write_file(path, "garbage\n");
    assert_true(sp_auth_check(a, "tok-bbbbbbbbbbbbbbbb", 20, &u));
    assert_int_equal(sp_auth_count(a), 1);
    sp_auth_free(a);
    unlink(path);
    assert_int_equal(sp_auth_new(path, 0, &a), SP_E_IO); /* missing file at start: error */
    assert_int_equal(sp_auth_new(NULL, 0, &a), SP_OK);   /* no file: nobody gets in */
    assert_false(sp_auth_check(a, "tok-aaaaaaaaaaaaaaaa", 20, &u));
    sp_auth_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_users_roles_and_comments),
        cmocka_unit_test(only_digests_are_kept),
        cmocka_unit_test(refuses_bad_lines_naming_the_line_not_the_token),
        cmocka_unit_test(reloads_when_the_file_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
