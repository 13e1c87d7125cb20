/* Child processes: output capture, exit codes, deadlines that kill the whole group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static void captures_output_and_exit_code(void **state)
{
    const char *argv[] = {"sh", "-c", "echo out; echo err >&2; echo $SP_X; exit 3", NULL};
    const char *env[] = {"SP_X=from-env", NULL};
    struct sp_proc_result r;
    (void)state;
    assert_int_equal(sp_proc_run(argv, env, 5000, NULL, &r), SP_OK);
    assert_int_equal(r.exit_code, 3);
    assert_false(r.timed_out);
    assert_string_equal(r.out.data, "out\nfrom-env\n");
    assert_string_equal(r.err.data, "err\n");
    sp_proc_result_release(&r);
}

/* A killed orphan stays a zombie until PID 1 reaps it; both mean "not running". */
static bool gone_or_zombie(int pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    size_t n;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return true;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void deadline_kills_the_process_group(void **state)
{
    /* the grandchild would outlive a kill of the child alone */
    const char *argv[] = {"sh", "-c", "sleep 30 & echo $! ; wait", NULL};
    struct sp_proc_result r;
    int64_t start = sp_now_ms();
    int grandchild = 0;
    (void)state;
    assert_int_equal(sp_proc_run(argv, NULL, 300, NULL, &r), SP_E_TIMEOUT);
    assert_true(r.timed_out);
    assert_in_range(sp_now_ms() - start, 250, 4000);
    assert_int_equal(sscanf(r.out.data, "%d", &grandchild), 1);
    sp_sleep_ms(200);
    assert_true(gone_or_zombie(grandchild));
    sp_proc_result_release(&r);
}

static void cancel_flag_stops_the_child(void **state)
{
    const char *argv[] = {"sleep", "30", NULL};
    struct sp_proc_result r;
    atomic_bool cancel;
    (void)state;
    atomic_init(&cancel, true);
    assert_int_equal(sp_proc_run(argv, NULL, 10000, &cancel, &r), SP_E_STOPPED);
    assert_int_equal(r.term_signal, SIGTERM);
    sp_proc_result_release(&r);
}

static void missing_program_is_an_error(void **state)
{
    const char *argv[] = {"/nonexistent/helm", "version", NULL};
    struct sp_proc_result r;
    (void)state;
    assert_int_equal(sp_proc_run(argv, NULL, 1000, NULL, &r), SP_E_IO);
    assert_non_null(strstr(sp_errmsg(), "/nonexistent/helm"));
    sp_proc_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(captures_output_and_exit_code),
        cmocka_unit_test(deadline_kills_the_process_group),
        cmocka_unit_test(cancel_flag_stops_the_child),
        cmocka_unit_test(missing_program_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
