#!/usr/bin/env bash
# Token buckets on writes: per user and per client address, 429 with Retry-After once a
# bucket is empty, reads never limited, and writes allowed again after the wait. The limited
# writes are deletes of stores that do not exist, so nothing in the cluster changes.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_api.sh
. "$(dirname "$0")/_api.sh"

api_start --rate-user=0.5 --rate-burst=3 --rate-ip=100
check "orchestrator serves the API" curl -sf "$API/readyz"
gone="tr-$t_run-none"
burst_ok() {
	for _ in 1 2 3; do expect 404 DELETE "/api/v1/stores/$gone" "$BOB" || return 1; done
}
check "a burst of 3 writes is allowed" burst_ok
limited() {
	expect_error 429 rate_limited - DELETE "/api/v1/stores/$gone" "$BOB" || return 1
	local ra
	ra=$(header Retry-After)
	if ! [[ "$ra" =~ ^[0-9]+$ ]] || [ "$ra" -lt 1 ] || [ "$ra" -gt 2 ]; then
		echo "Retry-After '$ra'"
		return 1
	fi
}
check "the 4th write: 429 with Retry-After of 1-2 s" limited
check "reads are not limited" expect 200 GET /api/v1/stores "$BOB"
check "another user has their own bucket" expect 404 DELETE "/api/v1/stores/$gone" "$CAROL"
sleep 2.2
check "after Retry-After, writes are allowed again" expect 404 DELETE "/api/v1/stores/$gone" "$BOB"
check "the refusals were audited" bash -c \
	"grep '\"audit\":true' $t_tmp/stdout.log | jq -se 'map(select(.status == 429 and .result == \"denied\")) | length == 1'"

# per address: a second replica-like instance with a tight address limit
kill -TERM "$t_pid"; wait "$t_pid" 2>/dev/null
api_start --rate-user=100 --rate-burst=2 --rate-ip=0.2
per_ip() {
	expect 404 DELETE "/api/v1/stores/$gone" "$BOB" && expect 404 DELETE "/api/v1/stores/$gone" "$CAROL" &&
		expect_json 429 '.error.message | test("address")' DELETE "/api/v1/stores/$gone" "$ALICE" &&
		[ -n "$(header Retry-After)" ]
}
check "per address: the third write from one address by any user: 429" per_ip
check "metrics count the limited writes by scope" bash -c \
	"curl -s $API/metrics | grep -q '^storeplatform_http_rate_limited_total{scope=\"ip\"} 1'"
check "server alive" alive
