/*
 * JSON-lines logger (see log.h). Each line is built with jansson, so any
 * message text is escaped correctly, then written with one fputs under a
 * mutex.
 */
#include "log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static enum sp_level min_level = SP_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sp_log_set_level(enum sp_level min)
{
    min_level = min;
}

int sp_log_parse_level(const char *s, enum sp_level *out)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (enum sp_level)i;
            return 1;
        }
    return 0;
}

void sp_log(enum sp_level level, const char *store, const char *step, const char *fmt, ...)
{
    char msg[4096], ts[40];
    va_list ap;
    json_t *o;
    char *line;
    int64_t now;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    now = sp_wall_ms();
    sp_time_format(now, ts, sizeof(ts));
    /* add milliseconds for ordering lines within one second */
    snprintf(ts + 19, sizeof(ts) - 19, ".%03dZ", (int)(now % 1000));
    o = json_object();
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "level", json_string(level_names[level]));
    if (store)
        json_object_set_new(o, "store", json_string(store));
    if (step)
        json_object_set_new(o, "step", json_string(step));
    json_object_set_new(o, "msg", json_string(msg));
    line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return; /* message not valid UTF-8 is dropped by jansson */
    pthread_mutex_lock(&log_lock);
    fputs(line, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(line);
}
