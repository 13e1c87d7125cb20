/*
 * Child processes (helm) with a deadline. The child runs in its own process
 * group, with stdin from /dev/null, no inherited descriptors beyond 0-2, and
 * the default disposition for every signal; stdout and stderr are captured
 * (each capped at SP_PROC_MAX_OUTPUT bytes, the rest discarded). When the
 * deadline passes or *cancel becomes true, the whole group gets SIGTERM, then
 * SIGKILL two seconds later, so a hung helm never outlives its call.
 */
#ifndef SP_PROC_H
#define SP_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

#define SP_PROC_MAX_OUTPUT ((size_t)256 * 1024)

struct sp_proc_result {
    int exit_code;     /* exit status, or -1 when killed by a signal */
    int term_signal;   /* the signal that ended it, 0 when it exited */
    bool timed_out;    /* killed because the deadline passed */
    struct sp_buf out; /* captured stdout, owned by the result */
    struct sp_buf err; /* captured stderr, owned by the result */
    int64_t duration_ms;
};

/*
 * Runs argv[0] (looked up in PATH) with argv and waits at most timeout_ms.
 * envp adds "NAME=value" entries to the inherited environment (may be NULL).
 * Returns SP_OK when the child ran to completion whatever its exit code,
 * SP_E_TIMEOUT when the deadline killed it, SP_E_STOPPED when *cancel did, and
 * SP_E_IO when it could not be started. res is filled in every case and must
 * be released with sp_proc_result_release().
 */
SP_MUST enum sp_err sp_proc_run(const char *const argv[], const char *const envp[],
                                int64_t timeout_ms, const atomic_bool *cancel,
                                struct sp_proc_result *res);

void sp_proc_result_release(struct sp_proc_result *res);

#endif
