/* The HTTP server (http.c): listen addresses, request metrics in Prometheus text, and the
 * server itself around one handler: its answer, the security headers, the body limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "metrics.h"

static void parses_listen_addresses(void **state)
{
    struct sockaddr_storage ss;
    unsigned len;
    (void)state;
    assert_int_equal(sp_http_parse_listen(":8080", &ss, &len), SP_OK);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_int_equal(sp_http_parse_listen("127.0.0.1:0", &ss, &len), SP_OK);
    assert_int_equal(sp_http_parse_listen("[::1]:18080", &ss, &len), SP_OK);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(sp_http_parse_listen("8080", &ss, &len), SP_E_INVALID);
    assert_int_equal(sp_http_parse_listen("host:99999", &ss, &len), SP_E_INVALID);
    assert_int_equal(sp_http_parse_listen("example.com:80", &ss, &len), SP_E_INVALID);
}

/* A small strict reader of the exposition format: every line a comment or a sample. */
static void check_exposition(const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        char line[1024];
        size_t n;
        assert_non_null(nl); /* every line ends with \n */
        n = (size_t)(nl - p);
        assert_true(n < sizeof(line));
        memcpy(line, p, n);
        line[n] = '\0';
        if (line[0] == '#') {
            assert_true(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
        } else {
            char *sp = strrchr(line, ' ');
            char *end;
            assert_non_null(sp);
            strtod(sp + 1, &end);
            assert_true(*end == '\0' || strcmp(sp + 1, "+Inf") == 0);
            for (char *c = line; c < sp && *c != '{'; c++)
                assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                            *c == ':');
        }
        p = nl + 1;
    }
}

static void http_metrics_render_as_prometheus_text(void **state)
{
    struct sp_buf out = SP_BUF_INIT;
    (void)state;
    sp_http_observe("/api/v1/stores", "GET", 200, 0.003);
    sp_http_observe("/api/v1/stores", "GET", 200, 0.2);
    sp_http_observe("/api/v1/stores", "BREW", 405, 0.0001);
    sp_http_observe("/api/v1/events", "GET", 200, -1); /* a stream: counted, not timed */
    sp_metrics_render(&out);
    check_exposition(out.data);
    assert_non_null(strstr(out.data, "# TYPE storeplatform_http_requests_total counter\n"));
    assert_non_null(strstr(out.data, "storeplatform_http_requests_total{route=\"/api/v1/stores\","
                                     "method=\"GET\",code=\"200\"} 2\n"));
    assert_non_null(strstr(out.data, "method=\"other\",code=\"405\"} 1\n"));
    assert_non_null(strstr(out.data, "# TYPE storeplatform_http_request_duration_seconds "
                                     "histogram\n"));
    assert_non_null(strstr(out.data, "storeplatform_http_request_duration_seconds_bucket{route="
                                     "\"/api/v1/stores\",code=\"200\",le=\"0.005\"} 1\n"));
    assert_non_null(strstr(out.data, "storeplatform_http_request_duration_seconds_bucket{route="
                                     "\"/api/v1/stores\",code=\"200\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(out.data, "storeplatform_http_request_duration_seconds_count{route="
                                     "\"/api/v1/stores\",code=\"200\"} 2\n"));
    assert_null(strstr(out.data, "duration_seconds_count{route=\"/api/v1/events\""));
    sp_buf_release(&out);
}

static int handled;
static bool saw_too_large;

static const char *stub_handler(void *ud, struct sp_http_req *r)
{
    (void)ud;
    handled++;
    saw_too_large = r->too_large;
    if (r->too_large)
        sp_http_error(r, 413, "too_large", "", "over %zu bytes", r->max_body);
    else
        sp_http_json(r, 200, json_pack("{s:s, s:s}", "method", r->method, "path", r->path));
    return "/stub";
}

/* One request over a plain socket; the whole answer into out. */
static void raw_request(int port, const char *request, char *out, size_t n)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t got = 0;
    ssize_t r;
    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    while (got + 1 < n && (r = read(fd, out + got, n - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
}

static void server_calls_the_one_handler(void **state)
{
    struct sp_http *h;
    char answer[4096];
    (void)state;
    assert_int_equal(sp_http_start(stub_handler, NULL,
                                   &(struct sp_http_config){.listen = "127.0.0.1:0", .max_body = 8},
                                   &h),
                     SP_OK);
    assert_true(sp_http_port(h) > 0);
    raw_request(sp_http_port(h), "GET /any/path HTTP/1.0\r\n\r\n", answer, sizeof(answer));
    assert_int_equal(handled, 1);
    assert_true(strncmp(answer, "HTTP/1.", 7) == 0 && strncmp(answer + 8, " 200 ", 5) == 0);
    assert_non_null(strstr(answer, "\"path\":\"/any/path\""));
    assert_non_null(strstr(answer, "X-Content-Type-Options: nosniff"));
    assert_non_null(strstr(answer, "Cache-Control: no-store"));
    /* a body over the limit is not read; the handler is told */
    raw_request(sp_http_port(h),
                "POST /x HTTP/1.0\r\nContent-Length: 20\r\n\r\n01234567890123456789", answer,
                sizeof(answer));
    assert_int_equal(handled, 2);
    assert_true(saw_too_large);
    assert_non_null(strstr(answer, " 413 "));
    sp_http_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_listen_addresses),
        cmocka_unit_test(http_metrics_render_as_prometheus_text),
        cmocka_unit_test(server_calls_the_one_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
