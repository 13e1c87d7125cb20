/*
 * Audit log (see audit.h): a ring of json_t objects plus line output. The
 * file is opened once with O_APPEND, so concurrent writers (other tools
 * appending to the same file) never overwrite each other's lines.
 */
#include "audit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct sp_audit {
    FILE *out;
    int fd;
    pthread_mutex_t lock; /* guards the ring and serialises output */
    json_t **ring;
    size_t size, head, n; /* head: next slot to write */
};

enum sp_err sp_audit_new(FILE *out, const char *path, size_t ring_size, struct sp_audit **res)
{
    struct sp_audit *a = sp_calloc(1, sizeof(*a));

    a->out = out;
    a->fd = -1;
    a->size = ring_size ? ring_size : 1;
    a->ring = sp_calloc(
        a->size,
        sizeof(*a->ring)); /* NOLINT(bugprone-sizeof-expression): an array of json_t pointers */
    pthread_mutex_init(&a->lock, NULL);
    if (path) {
        a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (a->fd < 0) {
            sp_audit_free(a);
            *res = NULL;
            return sp_fail(SP_E_IO, "unable to open audit file '%s'", path);
        }
    }
    *res = a;
    return SP_OK;
}

void sp_audit_free(struct sp_audit *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->size; i++)
        json_decref(a->ring[i]);
    free(a->ring);
    if (a->fd >= 0)
        close(a->fd);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

const char *sp_audit_result(int status)
{
    if (status >= 200 && status < 300)
        return "success";
    if (status == 401 || status == 403 || status == 404 || status == 409 || status == 429)
        return "denied";
    return "error";
}

static void set_opt(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v ? json_string(v) : json_null());
}

void sp_audit_record(struct sp_audit *a, const struct sp_audit_rec *rec)
{
    char ts[40];
    int64_t now = rec->time_ms ? rec->time_ms : sp_wall_ms();
    json_t *o = json_object();
    char *line;

    sp_time_format(now, ts, sizeof(ts));
    snprintf(ts + 19, sizeof(ts) - 19, ".%03dZ", (int)(now % 1000));
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "audit", json_true());
    set_opt(o, "user", rec->user);
    set_opt(o, "ip", rec->ip);
    set_opt(o, "action", rec->action);
    set_opt(o, "store", rec->store);
    json_object_set_new(o, "result", json_string(sp_audit_result(rec->status)));
    json_object_set_new(o, "status", json_integer(rec->status));
    if (rec->detail)
        json_object_set_new(o, "detail", json_string(rec->detail));
    /* a value that is not valid UTF-8 makes jansson refuse it: the key stays null */
    line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

    pthread_mutex_lock(&a->lock);
    if (line) {
        if (a->out) {
            fputs(line, a->out);
            fputc('\n', a->out);
            fflush(a->out);
        }
        if (a->fd >= 0) {
            size_t len = strlen(line);
            line[len] = '\n'; /* one write() per line keeps lines whole */
            if (write(a->fd, line, len + 1) < 0) {
                /* nothing better to do: the ring and stdout still hold it */
            }
            line[len] = '\0';
        }
    }
    json_decref(a->ring[a->head]);
    a->ring[a->head] = o;
    a->head = (a->head + 1) % a->size;
    if (a->n < a->size)
        a->n++;
    pthread_mutex_unlock(&a->lock);
    free(line);
}

static bool matches(const json_t *o, const char *key, const char *want)
{
    const char *v;
    if (!want)
        return true;
    v = json_string_value(json_object_get(o, key));
    return v && strcmp(v, want) == 0;
}

json_t *sp_audit_list(struct sp_audit *a, const char *store, const char *user, size_t limit)
{
    json_t *arr = json_array();
    json_t **pick;
    size_t k = 0;

    pthread_mutex_lock(&a->lock);
    pick = sp_calloc(
        a->n + 1,
        sizeof(*pick)); /* NOLINT(bugprone-sizeof-expression): an array of json_t pointers */
    /* newest first, stop at limit, then reverse into the array */
    for (size_t i = 0; i < a->n && k < limit; i++) {
        json_t *o = a->ring[(a->head + a->size - 1 - i) % a->size];
        if (matches(o, "store", store) && matches(o, "user", user))
            pick[k++] = json_incref(o);
    }
    pthread_mutex_unlock(&a->lock);
    while (k > 0)
        json_array_append_new(arr, pick[--k]);
    free(pick);
    return arr;
}
