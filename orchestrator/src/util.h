/*
 * Small helpers every module uses: allocation that aborts on failure (the one
 * place out-of-memory is handled), a growable string buffer, clocks and
 * RFC 3339 timestamps, random bytes from getrandom(2), and whole-file reads.
 *
 * struct sp_buf invariant: when cap > 0, data[len] == '\0', so data is always
 * a valid C string; a zeroed buffer (SP_BUF_INIT) is empty and owns nothing.
 */
#ifndef SP_UTIL_H
#define SP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Allocation: never return NULL; abort with a message instead. */
void *sp_malloc(size_t n);
void *sp_calloc(size_t n, size_t size);
void *sp_realloc(void *p, size_t n);
/* Returns a copy the caller frees; NULL stays NULL. */
char *sp_strdup(const char *s);
/* Returns a formatted string the caller frees. */
char *sp_asprintf(const char *fmt, ...) SP_PRINTF(1, 2);

struct sp_buf {
    char *data;
    size_t len;
    size_t cap;
};
#define SP_BUF_INIT                                                                                \
    {                                                                                              \
        0                                                                                          \
    }

void sp_buf_add(struct sp_buf *b, const void *data, size_t n);
void sp_buf_adds(struct sp_buf *b, const char *s);
void sp_buf_addf(struct sp_buf *b, const char *fmt, ...) SP_PRINTF(2, 3);
/* Empties the buffer, keeping its memory. */
void sp_buf_reset(struct sp_buf *b);
/* Frees the memory; the buffer is SP_BUF_INIT afterwards. */
void sp_buf_release(struct sp_buf *b);
/* Hands the string to the caller (who frees it) and empties the buffer. */
char *sp_buf_detach(struct sp_buf *b);
/* Drops trailing whitespace. */
void sp_buf_rtrim(struct sp_buf *b);

/* Milliseconds of a monotonic clock, for deadlines and durations. */
int64_t sp_now_ms(void);
/* Milliseconds since the Unix epoch, for timestamps written to the API. */
int64_t sp_wall_ms(void);
/* Formats wall_ms as "2006-01-02T15:04:05Z" into out (at least 32 bytes). */
void sp_time_format(int64_t wall_ms, char *out, size_t n);
/* Formats with microseconds, as the API's MicroTime: "...05.000000Z". */
void sp_time_format_micro(int64_t wall_ms, char *out, size_t n);
/* Parses RFC 3339 (UTC "Z" or numeric offset, optional fraction). */
bool sp_time_parse(const char *s, int64_t *wall_ms);
/* Parses "90s", "10m", "1h30m", "500ms", or a bare number of seconds. */
bool sp_duration_parse(const char *s, int64_t *ms);
void sp_sleep_ms(int64_t ms);

/* Fills buf with n bytes from getrandom(2). */
SP_MUST enum sp_err sp_random(void *buf, size_t n);
/* Returns a string of n random characters from [A-Za-z0-9] (caller frees). */
SP_MUST enum sp_err sp_random_string(size_t n, char **out);

/* Appends the whole content of path to out. */
SP_MUST enum sp_err sp_read_file(const char *path, struct sp_buf *out);

/* Returns true when s is a DNS-1123 label (a-z0-9 and '-', alnum at both ends). */
bool sp_dns_label(const char *s);

/*
 * A Kubernetes label value made of any string (an owner, a chart version):
 * at most 63 of [A-Za-z0-9._-], others replaced by '_', alphanumeric at
 * both ends; s NULL gives "". Caller frees.
 */
char *sp_label_value(const char *s);

/* Decodes standard base64 (whitespace ignored) and appends the bytes to out (NUL-terminated). */
SP_MUST enum sp_err sp_base64_decode(const char *in, struct sp_buf *out);

/* Sets *dst to a copy of src (either may be NULL), freeing the old value. */
void sp_set_str(char **dst, const char *src);

#endif
