/* SSE framing and the event hub, the store view and list answers, audit, dashboard types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"
#include "api_events.h"
#include "dashboard.h"
#include "metrics.h"

static void sse_frames_split_lines(void **state)
{
    struct sp_buf b = SP_BUF_INIT;
    (void)state;
    sp_sse_frame(&b, "e-1", "store", "{\"a\":1}");
    assert_string_equal(b.data, "id: e-1\nevent: store\ndata: {\"a\":1}\n\n");
    sp_buf_reset(&b);
    sp_sse_frame(&b, NULL, NULL, "one\ntwo\r\nthree\rfour");
    assert_string_equal(b.data, "data: one\ndata: two\ndata: three\ndata: four\n\n");
    sp_buf_reset(&b);
    sp_sse_frame(&b, NULL, "x", "");
    assert_string_equal(b.data, "event: x\ndata: \n\n");
    sp_buf_release(&b);
}

static const char store[] =
    "{\"metadata\":{\"name\":\"shop\",\"creationTimestamp\":\"2026-01-02T03:04:05Z\"},"
    "\"spec\":{\"engine\":\"woocommerce\",\"owner\":\"bob\",\"plan\":{\"size\":\"small\"}},"
    "\"status\":{\"phase\":\"Ready\",\"url\":\"http://shop.x/\",\"conditions\":[{\"type\":"
    "\"NamespaceReady\",\"status\":\"True\",\"reason\":\"Created\",\"message\":\"\","
    "\"lastTransitionTime\":\"2026-01-02T03:04:05Z\"}],\"observedRetry\":\"r\"}}";

static void view_shows_what_clients_need(void **state)
{
    json_t *obj = json_loads(store, 0, NULL), *v;
    struct sp_user bob = {.name = "bob"}, carol = {.name = "carol"},
                   admin = {.name = "root", .role = SP_ROLE_ADMIN};
    (void)state;
    v = sp_api_store_view(obj);
    assert_string_equal(json_string_value(json_object_get(v, "name")), "shop");
    assert_string_equal(json_string_value(json_object_get(v, "phase")), "Ready");
    assert_string_equal(json_string_value(json_object_get(v, "owner")), "bob");
    assert_string_equal(json_string_value(json_object_get(v, "url")), "http://shop.x/");
    assert_null(json_object_get(v, "observedRetry")); /* internals stay inside */
    assert_int_equal(json_array_size(json_object_get(v, "conditions")), 1);
    assert_true(sp_api_may_see(&bob, obj));
    assert_false(sp_api_may_see(&carol, obj));
    assert_true(sp_api_may_see(&admin, obj));
    json_decref(v);
    /* no status yet: queued (Pending); a deletionTimestamp: Deleting */
    json_object_del(obj, "status");
    json_object_set_new(json_object_get(obj, "metadata"), "deletionTimestamp",
                        json_string("2026-01-02T03:04:09Z"));
    v = sp_api_store_view(obj);
    assert_string_equal(json_string_value(json_object_get(v, "phase")), "Deleting");
    assert_true(json_is_true(json_object_get(v, "deleting")));
    json_decref(v);
    json_object_del(json_object_get(obj, "metadata"), "deletionTimestamp");
    v = sp_api_store_view(obj);
    assert_string_equal(json_string_value(json_object_get(v, "phase")), "Pending");
    json_decref(v);
    json_decref(obj);
}

/* A view is rendered once per resourceVersion, with the bytes json_dumps() gives; gone
 * names are swept by a list pass that did not see them. */
static void views_render_once_per_version(void **state)
{
    json_t *obj = json_loads(store, 0, NULL), *v;
    struct sp_api_views *vs = sp_api_views_new();
    struct sp_buf b = SP_BUF_INIT;
    char *want;
    uint64_t e;
    (void)state;
    json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion", json_string("1"));
    v = sp_api_store_view(obj);
    want = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    sp_api_views_append(vs, obj, &b);
    assert_string_equal(b.data, want);
    /* same version: the stored text, even if the (immutable in real use) object differs */
    json_object_set_new(json_object_get(obj, "status"), "phase", json_string("Failed"));
    sp_buf_reset(&b);
    sp_api_views_append(vs, obj, &b);
    assert_string_equal(b.data, want);
    /* a new version is rendered again */
    json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion", json_string("2"));
    sp_buf_reset(&b);
    sp_api_views_append(vs, obj, &b);
    assert_non_null(strstr(b.data, "\"phase\":\"Failed\""));
    assert_int_equal(sp_api_views_count(vs), 1);
    /* a pass that sees it keeps it; a pass that does not drops it */
    e = sp_api_views_begin(vs);
    sp_api_views_touch(vs, obj);
    assert_int_equal(sp_api_views_sweep(vs, e), 1);
    e = sp_api_views_begin(vs);
    assert_int_equal(sp_api_views_sweep(vs, e), 0);
    /* without a resourceVersion: rendered every time, never stored */
    json_object_del(json_object_get(obj, "metadata"), "resourceVersion");
    sp_buf_reset(&b);
    sp_api_views_append(vs, obj, &b);
    assert_non_null(strstr(b.data, "\"name\":\"shop\""));
    assert_int_equal(sp_api_views_count(vs), 0);
    free(want);
    sp_buf_release(&b);
    sp_api_views_free(vs);
    json_decref(obj);
}

static void hub_keeps_rendered_events(void **state)
{
    struct sp_events *ev = sp_events_new(1000);
    json_t *obj = json_loads(store, 0, NULL);
    (void)state;
    for (int i = 0; i < 600; i++) /* more than the ring holds */
        sp_events_on_change(ev, "MODIFIED", obj);
    sp_events_stop(ev);
    sp_events_free(ev);
    json_decref(obj);
}

static void audit_ring_is_bounded_and_filtered(void **state)
{
    struct sp_audit *a;
    json_t *l;
    char name[16];
    (void)state;
    assert_int_equal(sp_audit_new(NULL, NULL, 4, &a), SP_OK);
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        sp_audit_record(a, &(struct sp_audit_rec){.user = i % 2 ? "bob" : "carol",
                                                  .ip = "::1",
                                                  .action = "store.create",
                                                  .store = name,
                                                  .status = i == 5 ? 409 : 201});
    }
    l = sp_audit_list(a, NULL, NULL, 100);
    assert_int_equal(json_array_size(l), 4); /* the ring keeps the newest 4, oldest first */
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "store")), "s2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 3), "result")),
                        "denied");
    json_decref(l);
    l = sp_audit_list(a, NULL, "bob", 1);
    assert_int_equal(json_array_size(l), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "store")), "s5");
    json_decref(l);
    l = sp_audit_list(a, "s4", NULL, 10);
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    sp_audit_free(a);
    assert_string_equal(sp_audit_result(202), "success");
    assert_string_equal(sp_audit_result(503), "error");
}

static void dashboard_types_by_extension(void **state)
{
    (void)state;
    assert_string_equal(sp_dashboard_mime("a/b.JS"), "text/javascript; charset=utf-8");
    assert_string_equal(sp_dashboard_mime("index.html"), "text/html; charset=utf-8");
    assert_string_equal(sp_dashboard_mime("noext"), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sse_frames_split_lines),
        cmocka_unit_test(view_shows_what_clients_need),
        cmocka_unit_test(views_render_once_per_version),
        cmocka_unit_test(hub_keeps_rendered_events),
        cmocka_unit_test(audit_ring_is_bounded_and_filtered),
        cmocka_unit_test(dashboard_types_by_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
