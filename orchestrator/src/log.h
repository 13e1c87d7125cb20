/*
 * Structured logging: one JSON object per line on stderr with the keys time,
 * level, store, step and msg (store and step left out when NULL). Lines from
 * different threads never interleave. Never pass secrets to these functions.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include "err.h"

enum sp_level { SP_LOG_DEBUG, SP_LOG_INFO, SP_LOG_WARN, SP_LOG_ERROR };

/* Sets the lowest level written; default SP_LOG_INFO. */
void sp_log_set_level(enum sp_level min);
/* Parses "debug"/"info"/"warn"/"error"; false for anything else. */
int sp_log_parse_level(const char *s, enum sp_level *out);

void sp_log(enum sp_level level, const char *store, const char *step, const char *fmt, ...)
    SP_PRINTF(4, 5);

#define sp_debug(store, step, ...) sp_log(SP_LOG_DEBUG, store, step, __VA_ARGS__)
#define sp_info(store, step, ...)  sp_log(SP_LOG_INFO, store, step, __VA_ARGS__)
#define sp_warn(store, step, ...)  sp_log(SP_LOG_WARN, store, step, __VA_ARGS__)
#define sp_error(store, step, ...) sp_log(SP_LOG_ERROR, store, step, __VA_ARGS__)

#endif
