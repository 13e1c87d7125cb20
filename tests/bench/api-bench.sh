#!/usr/bin/env bash
# Throughput and latency of GET /api/v1/stores and GET /api/v1/stores/{name} with N Stores
# present (default 200), measured with wrk on loopback against the real orchestrator, and its
# resident memory: at rest before the Stores exist, with them, and its peak (VmHWM) under the
# wrk load. Not a test: prints the numbers, and "key=value" lines to $BENCH_OUT when set
# (scripts/bench.sh puts them in docs/benchmarks.md).
#
# The replica serves the API only (it competes for a Lease held by nobody, so it never
# reconciles). The Stores carry this replica's controller class, so no other controller on
# the cluster (other engineers' test runs) reconciles them either; they are deleted at exit.
#
# wrk and the server share the machine's cores (2 here): the default is one wrk thread and
# 16 connections (-t1 -c16), leaving a core to the server.
#
#   BENCH_STORES=200 BENCH_SECONDS=15 BENCH_CONNECTIONS=16 BENCH_THREADS=1 tests/bench/api-bench.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
# shellcheck source=../api/_api.sh
. "$here/../api/_api.sh" >/dev/null

n=${BENCH_STORES:-200}
secs=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-1}
out=${BENCH_OUT:-/dev/null}
result() { echo "$1=$2" >>"$out"; }

bench_cleanup() {
	kubectl delete stores -l "storeplatform.dev/bench=$t_run" --wait=false >/dev/null 2>&1
	t_cleanup
}
trap bench_cleanup EXIT

{
	for i in $(seq -w 1 "$n"); do
		cat <<-YAML
			---
			apiVersion: storeplatform.dev/v1alpha1
			kind: Store
			metadata:
			  name: bench-$t_run-$i
			  labels: {storeplatform.dev/bench: "$t_run", storeplatform.dev/controller-class: "api-$t_run"}
			spec: {engine: woocommerce, owner: "$U_BOB", displayName: "Bench shop $i", plan: {size: small}}
		YAML
	done
} >"$t_tmp/stores.yaml"
api_start --rate-user=0 --rate-ip=0
sleep 1
rss_rest=$(awk '/^VmRSS/ {print $2}' "/proc/$t_pid/status")
kubectl create -f "$t_tmp/stores.yaml" >/dev/null
wait_for 60 bash -c "[ \"\$(curl -s -H 'Authorization: Bearer $BOB' $API/api/v1/stores | jq .count)\" = $n ]"
count=$(curl -s -H "Authorization: Bearer $BOB" "$API/api/v1/stores" | jq .count)
echo "# stores listed for the owner: $count (of $n created)"
[ "$count" = "$n" ] || { echo "expected $n stores in the list"; exit 1; }
bytes=$(curl -s -H "Authorization: Bearer $BOB" "$API/api/v1/stores" | wc -c)
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$t_pid/status")

one="bench-$t_run-$(printf '%0*d' ${#n} $((n / 2)))"
one_bytes=$(curl -s -H "Authorization: Bearer $BOB" "$API/api/v1/stores/$one" | wc -c)
cat >"$t_tmp/auth.lua" <<-LUA
	wrk.headers["Authorization"] = "Bearer $BOB"
LUA
# bench LABEL PATH BYTES
bench() {
	local label=$1 path=$2 bytes=$3 rps p50 p99 non2xx errs
	wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$t_tmp/auth.lua" "$API$path" >"$t_tmp/wrk.txt"
	sed 's/^/# /' "$t_tmp/wrk.txt"
	rps=$(awk '/^Requests\/sec/ {print $2}' "$t_tmp/wrk.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$t_tmp/wrk.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$t_tmp/wrk.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$t_tmp/wrk.txt")
	errs=$(awk '/Socket errors/ {print $0}' "$t_tmp/wrk.txt")
	echo "GET $path with $n stores ($bytes bytes each answer), wrk -t$threads -c$conns -d${secs}s:"
	echo "  requests/s: $rps   p50: $p50   p99: $p99   non-2xx: ${non2xx:-0} ${errs}"
	result "${label}_rps" "$rps"
	result "${label}_p50" "$p50"
	result "${label}_p99" "$p99"
	result "${label}_bytes" "$bytes"
	result "${label}_errors" "${non2xx:-0} ${errs:-}"
}
bench list /api/v1/stores "$bytes"
bench one "/api/v1/stores/$one" "$one_bytes"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$t_pid/status")
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$t_pid/status")
echo "  orchestrator RSS: ${rss_rest} KiB at rest (no stores), ${rss_before} KiB with $n stores, ${rss_after} KiB after wrk, peak (VmHWM) ${hwm} KiB"
result api_stores "$n"
result api_wrk "-t$threads -c$conns -d${secs}s"
result rss_rest_kib "$rss_rest"
result rss_stores_kib "$rss_before"
result rss_after_kib "$rss_after"
result rss_peak_kib "$hwm"
