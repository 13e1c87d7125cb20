#!/usr/bin/env bash
# Throughput and latency of GET /api/v1/stores with N Stores present (default 200), measured
# with wrk on loopback against the real orchestrator, and its peak resident memory (VmHWM)
# under that load. Not a test: prints the numbers (for docs/benchmarks.md).
#
# The replica serves the API only (it competes for a Lease held by nobody, so it never
# reconciles). Other controllers may be watching the same cluster (other engineers' test
# runs), so the Stores are made inert for them: each carries a finalizer of this script only
# and is deleted right after creation, so every controller sees a Store being deleted that
# holds none of its own finalizers and leaves it alone; the API still lists all N of them.
# At exit the finalizer is removed and the Stores disappear.
#
#   BENCH_STORES=200 BENCH_SECONDS=15 BENCH_CONNECTIONS=32 BENCH_THREADS=2 tests/bench/api-bench.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
# shellcheck source=../api/_api.sh
. "$here/../api/_api.sh" >/dev/null

n=${BENCH_STORES:-200}
secs=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
hold="bench.storeplatform.dev/hold"

bench_cleanup() {
	kubectl get stores -l "storeplatform.dev/bench=$t_run" -o name 2>/dev/null |
		xargs -r -n 50 kubectl patch --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
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
			  labels: {storeplatform.dev/bench: "$t_run"}
			  finalizers: ["$hold"]
			spec: {engine: woocommerce, owner: "$U_BOB", displayName: "Bench shop $i", plan: {size: small}}
		YAML
	done
} >"$t_tmp/stores.yaml"
kubectl create -f "$t_tmp/stores.yaml" >/dev/null && \
	kubectl delete stores -l "storeplatform.dev/bench=$t_run" --wait=false >/dev/null
api_start --rate-user=0 --rate-ip=0
count=$(curl -s -H "Authorization: Bearer $BOB" "$API/api/v1/stores" | jq .count)
echo "# stores listed for the owner: $count (of $n created)"
[ "$count" = "$n" ] || { echo "expected $n stores in the list"; exit 1; }
bytes=$(curl -s -H "Authorization: Bearer $BOB" "$API/api/v1/stores" | wc -c)
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$t_pid/status")
cat >"$t_tmp/auth.lua" <<-LUA
	wrk.headers["Authorization"] = "Bearer $BOB"
LUA
wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$t_tmp/auth.lua" "$API/api/v1/stores" >"$t_tmp/wrk.txt"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$t_pid/status")
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$t_pid/status")
cat "$t_tmp/wrk.txt"
rps=$(awk '/^Requests\/sec/ {print $2}' "$t_tmp/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$t_tmp/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$t_tmp/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$t_tmp/wrk.txt")
echo "GET /api/v1/stores with $n stores ($bytes bytes each answer), wrk -t$threads -c$conns -d${secs}s:"
echo "  requests/s: $rps   p50: $p50   p99: $p99   non-2xx: ${non2xx:-0}"
echo "  orchestrator RSS: ${rss_before} KiB before, ${rss_after} KiB after, peak (VmHWM) ${hwm} KiB"
