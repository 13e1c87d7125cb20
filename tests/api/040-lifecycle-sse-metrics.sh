#!/usr/bin/env bash
# A store's whole life through the API with the controller running: create -> Ready seen
# through API reads -> credentials equal to the Secret's -> activity -> delete -> gone. An SSE
# stream opened before the create delivers Provisioning and Ready; another user's stream does
# not see the store; Last-Event-ID resumes without a snapshot. /metrics passes a strict
# Prometheus text check and counts the requests made.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_api.sh
. "$(dirname "$0")/_api.sh"

here=$(cd "$(dirname "$0")" && pwd)
api_start --controller --no-leader-elect --sse-heartbeat=1s --rate-user=0 --rate-ip=0
check "orchestrator serves the API" curl -sf "$API/readyz"

s="tl-$t_run"
track "$s"
curl -sN -H "Authorization: Bearer $BOB" "$API/api/v1/events" >"$t_tmp/sse-bob" 2>/dev/null &
sse_bob=$!
curl -sN -H "Authorization: Bearer $CAROL" "$API/api/v1/events" >"$t_tmp/sse-carol" 2>/dev/null &
sse_carol=$!
check "SSE stream starts with a snapshot" wait_for 5 grep -q '^event: snapshot' "$t_tmp/sse-bob"

check "create: 201" expect 201 POST /api/v1/stores "$BOB" "{\"name\":\"$s\",\"engine\":\"woocommerce\",\"displayName\":\"Life\"}"
ready() { expect_json 200 '.phase == "Ready" and (.url | test("^http://"))' GET "/api/v1/stores/$s" "$BOB"; }
check "the store becomes Ready, as API reads show" wait_for 90 ready
check "SSE delivered Provisioning" wait_for 5 bash -c \
	"grep '^data: ' $t_tmp/sse-bob | sed 's/^data: //' | jq -se 'map(select(.store.name? == \"$s\" and .store.phase == \"Provisioning\")) | length >= 1'"
check "SSE delivered Ready" wait_for 5 bash -c \
	"grep '^data: ' $t_tmp/sse-bob | sed 's/^data: //' | jq -se 'map(select(.store.name? == \"$s\" and .store.phase == \"Ready\")) | length >= 1'"
check "SSE sends heartbeats" wait_for 3 grep -q '^: heartbeat' "$t_tmp/sse-bob"
check "another user's stream never mentions the store" bash -c "! grep -q '$s' $t_tmp/sse-carol"
resume() {
	local id out
	id=$(grep '^id: ' "$t_tmp/sse-bob" | sed -n 2p | cut -d' ' -f2)
	[ -n "$id" ] || { echo "no event id"; return 1; }
	out=$(curl -sN --max-time 2 -H "Authorization: Bearer $BOB" -H "Last-Event-ID: $id" "$API/api/v1/events")
	! grep -q '^event: snapshot' <<<"$out" && grep -q "\"name\":\"$s\"" <<<"$out"
}
check "Last-Event-ID resumes with the events after it, no snapshot" resume
foreign() {
	local out
	out=$(curl -sN --max-time 2 -H "Authorization: Bearer $BOB" -H "Last-Event-ID: 0000-5" "$API/api/v1/events")
	grep -q '^event: snapshot' <<<"$out"
}
check "a foreign Last-Event-ID gets a fresh snapshot" foreign

creds() {
	local pw
	expect_json 200 '.user == "admin" and (.password | length) == 24' GET "/api/v1/stores/$s/credentials" "$BOB" || return 1
	pw=$(kubectl get secret -n "store-$s" "store-$s-credentials" -o jsonpath='{.data.wordpress-admin-password}' | base64 -d)
	[ "$(jq -r .password <<<"$BODY")" = "$pw" ] || { echo "password differs from the Secret"; return 1; }
}
check "the owner gets the WordPress admin login from the Secret" creds
check "an admin may fetch it too" expect 200 GET "/api/v1/stores/$s/credentials" "$ALICE"
check "another user may not (404)" expect 404 GET "/api/v1/stores/$s/credentials" "$CAROL"
check "the password never reaches a log" bash -c \
	"pw=\$(kubectl get secret -n store-$s store-$s-credentials -o jsonpath='{.data.wordpress-admin-password}' | base64 -d); ! grep -rqF \"\$pw\" $t_tmp/stdout.log $t_tmp/stderr.log $t_tmp/audit.log"
check "credentials reads are audited" bash -c "grep -q '\"action\":\"store.credentials\"' $t_tmp/audit.log"
# shellcheck disable=SC2016 # a jq program, not shell
check "activity shows status, Kubernetes Events and audit lines, in time order" expect_json 200 \
	'([.events[].source] | (index("status") != null and index("kubernetes") != null and index("audit") != null)) and ([.events[].time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601] as $t | $t == ($t | sort))' \
	GET "/api/v1/stores/$s/events" "$BOB"

check "delete: 202" expect_json 202 '.phase == "Deleting"' DELETE "/api/v1/stores/$s" "$BOB"
check "delete again while deleting: 202" expect 202 DELETE "/api/v1/stores/$s" "$BOB"
check "the store is gone (API read: 404)" wait_for 90 expect 404 GET "/api/v1/stores/$s" "$BOB"
check "the Store object is gone" store_gone "$s"
check "SSE delivered the deletion" wait_for 5 bash -c \
	"grep '^data: ' $t_tmp/sse-bob | sed 's/^data: //' | jq -se 'map(select(.type? == \"DELETED\" and .store.name == \"$s\")) | length >= 1'"
kill "$sse_bob" "$sse_carol" 2>/dev/null
wait "$sse_bob" "$sse_carol" 2>/dev/null

curl -s "$API/metrics" >"$t_tmp/metrics"
check "/metrics is valid Prometheus text" python3 "$here/promcheck.py" <"$t_tmp/metrics"
check "/metrics counts the create" grep -q '^storeplatform_http_requests_total{route="/api/v1/stores",method="POST",code="201"} 1$' "$t_tmp/metrics"
check "/metrics counts the deletes" grep -q '^storeplatform_http_requests_total{route="/api/v1/stores/{name}",method="DELETE",code="202"} 2$' "$t_tmp/metrics"
check "/metrics has the latency histogram by route and code" grep -q '^storeplatform_http_request_duration_seconds_bucket{route="/api/v1/stores/{name}",code="200",le="+Inf"} [1-9]' "$t_tmp/metrics"
check "/metrics keeps the controller's families" grep -q '^# TYPE storeplatform_stores gauge' "$t_tmp/metrics"
broken() {
	printf '# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n' | python3 "$here/promcheck.py" 2>/dev/null && return 1
	printf 'x 1\n' | python3 "$here/promcheck.py" 2>/dev/null && return 1
	printf '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n' |
		python3 "$here/promcheck.py" 2>/dev/null && return 1
	return 0
}
check "the checker refuses broken exposition text" broken
check "server alive" alive
