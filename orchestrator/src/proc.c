/*
 * Child processes with process groups and deadlines (see proc.h).
 *
 * posix_spawn is used instead of fork so a multi-threaded parent never runs
 * code between fork and exec; POSIX_SPAWN_SETPGROUP puts the child in a new
 * group whose id is its pid, so kill(-pid) reaches helm and anything it
 * started. Output is drained with poll() in 100 ms slices, which is also how
 * often the deadline and the cancel flag are looked at.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char **build_env(const char *const extra[])
{
    size_t n = 0, m = 0, k = 0;
    char **env;

    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    env = sp_calloc(n + m + 1, sizeof(*env));
    for (size_t i = 0; i < m; i++)
        env[k++] = (char *)extra[i];
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;
        const char *eq = strchr(environ[i], '=');
        size_t keylen = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
        for (size_t j = 0; j < m; j++)
            if (strlen(extra[j]) >= keylen && memcmp(extra[j], environ[i], keylen) == 0)
                overridden = true;
        if (!overridden)
            env[k++] = environ[i];
    }
    env[k] = NULL;
    return env;
}

static void drain(int *fd, struct sp_buf *b)
{
    char chunk[4096];
    ssize_t r = read(*fd, chunk, sizeof(chunk));
    if (r > 0) {
        size_t room = b->len < SP_PROC_MAX_OUTPUT ? SP_PROC_MAX_OUTPUT - b->len : 0;
        sp_buf_add(b, chunk, (size_t)r < room ? (size_t)r : room);
    } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
    }
}

/*
 * Starts argv in a process group of its own with stdin from /dev/null and
 * stdout, stderr on the pipes' write ends (closed here either way); the
 * signal mask and dispositions are reset for it.
 */
static int spawn(const char *const argv[], const char *const envp[], int out_w, int err_w,
                 pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    char **env;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    env = build_env(envp);
    rc = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)argv, env);
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out_w);
    close(err_w);
    return rc;
}

/*
 * Drains the child's output until both pipes close and it exits, ending its
 * group at the deadline or on *cancel (SIGTERM, SIGKILL 2 s later). Returns
 * SP_E_TIMEOUT or SP_E_STOPPED (message set by the caller), or SP_OK.
 */
static enum sp_err supervise(const char *prog, pid_t pid, int fds[2], int64_t deadline,
                             const atomic_bool *cancel, struct sp_proc_result *res, int *status)
{
    int64_t kill_at = 0;
    enum sp_err result = SP_OK;

    for (;;) {
        struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
        int64_t now = sp_now_ms();
        pid_t w;

        if (!kill_at && (now >= deadline || (cancel && atomic_load(cancel)))) {
            res->timed_out = now >= deadline;
            result = res->timed_out ? SP_E_TIMEOUT : SP_E_STOPPED;
            kill(-pid, SIGTERM);
            kill_at = now + 2000;
        }
        if (kill_at && now >= kill_at) {
            kill(-pid, SIGKILL);
            kill_at = INT64_MAX;
        }
        if (fds[0] >= 0 || fds[1] >= 0) {
            if (poll(p, 2, 100) > 0) {
                if (fds[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                    drain(&fds[0], &res->out);
                if (fds[1] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
                    drain(&fds[1], &res->err);
            }
            continue;
        }
        w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return result;
        if (w < 0 && errno != EINTR)
            return sp_fail(SP_E_IO, "waitpid for '%s' failed: %s", prog, strerror(errno));
        sp_sleep_ms(50);
    }
}

enum sp_err sp_proc_run(const char *const argv[], const char *const envp[], int64_t timeout_ms,
                        const atomic_bool *cancel, struct sp_proc_result *res)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, fds[2];
    pid_t pid;
    int rc, status = 0;
    int64_t start = sp_now_ms();
    enum sp_err result;

    memset(res, 0, sizeof(*res));
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        result = sp_fail(SP_E_IO, "unable to create pipes for '%s': %s", argv[0], strerror(errno));
        if (outp[0] >= 0) {
            close(outp[0]);
            close(outp[1]);
        }
        return result;
    }
    rc = spawn(argv, envp, outp[1], errp[1], &pid);
    if (rc != 0) {
        close(outp[0]);
        close(errp[0]);
        res->exit_code = -1;
        return sp_fail(SP_E_IO, "unable to run '%s': %s", argv[0], strerror(rc));
    }
    fds[0] = outp[0];
    fds[1] = errp[0];
    result = supervise(argv[0], pid, fds, start + timeout_ms, cancel, res, &status);
    /* sweep anything the child left running in its group */
    kill(-pid, SIGKILL);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    if (WIFEXITED(status)) {
        res->exit_code = WEXITSTATUS(status);
    } else {
        res->exit_code = -1;
        res->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    res->duration_ms = sp_now_ms() - start;
    if (result == SP_E_TIMEOUT)
        return sp_fail(result, "'%s' did not finish within %lld s", argv[0],
                       (long long)(timeout_ms / 1000));
    if (result == SP_E_STOPPED)
        return sp_fail(result, "'%s' cancelled (shutdown, or leadership lost)", argv[0]);
    return result;
}

void sp_proc_result_release(struct sp_proc_result *res)
{
    sp_buf_release(&res->out);
    sp_buf_release(&res->err);
}
