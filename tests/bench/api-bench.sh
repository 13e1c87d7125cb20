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
# Each wrk run is shown with what else happened meanwhile, to tell the server's latency from
# the machine's: the orchestrator's CPU time per request, the share of requests the server
# itself timed at over 1 ms (its own histogram in /metrics, whose clock counts whole
# milliseconds, so this is at least 1 ms and less than 2 ms), the load average, the
# CPU time stolen by the hypervisor and the time runnable tasks waited for a CPU
# (/proc/pressure/cpu "some"). BENCH_RUNS=N repeats each endpoint N times, interleaved, and
# reports the median run (by p99) with the spread of all runs; the default is one run.
#
#   BENCH_STORES=200 BENCH_SECONDS=15 BENCH_CONNECTIONS=16 BENCH_THREADS=1 BENCH_RUNS=1 \
#     tests/bench/api-bench.sh
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
runs=${BENCH_RUNS:-1}
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
# counters ROUTE: "<orchestrator CPU ticks> <steal ticks> <all CPU ticks> <CPU pressure us>
# <server answers of ROUTE within 1 ms> <all its answers>"
counters() {
	local route=$1
	awk '{printf "%.0f ", $14 + $15}' "/proc/$t_pid/stat"
	awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%.0f %.0f ", $9, t}' /proc/stat
	if [ -r /proc/pressure/cpu ]; then
		awk -F'total=' '/^some/ {printf "%.0f ", $2}' /proc/pressure/cpu
	else
		printf '0 '
	fi
	curl -s "$API/metrics" | awk -v r="route=\"$route\",code=\"200\"" '
		index($0, "storeplatform_http_request_duration_seconds_bucket{" r ",le=\"0.001\"}") == 1 {a = $2}
		index($0, "storeplatform_http_request_duration_seconds_bucket{" r ",le=\"+Inf\"}") == 1 {b = $2}
		END {printf "%.0f %.0f\n", a, b}'
}
to_ms() { awk -v x="$1" 'BEGIN {
	if (x ~ /us$/) v = x / 1000; else if (x ~ /ms$/) v = x + 0; else if (x ~ /s$/) v = x * 1000; else v = x
	printf "%.3f", v}'; }
# one_run ROUTE PATH FILE: one wrk run; prints its output as comments and appends
# "p99_ms rps p50 p99 non2xx errors|context" to FILE
one_run() {
	local route=$1 path=$2 file=$3 before after rps p50 p99 non2xx errs n ctx
	before=$(counters "$route")
	wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$t_tmp/auth.lua" "$API$path" >"$t_tmp/wrk.txt"
	after=$(counters "$route")
	sed 's/^/# /' "$t_tmp/wrk.txt"
	rps=$(awk '/^Requests\/sec/ {print $2}' "$t_tmp/wrk.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$t_tmp/wrk.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$t_tmp/wrk.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$t_tmp/wrk.txt")
	errs=$(awk '/Socket errors/ {print $0}' "$t_tmp/wrk.txt")
	n=$(awk '/requests in/ {print $1}' "$t_tmp/wrk.txt")
	ctx=$(awk -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" -v secs="$secs" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
		-v b="$before" -v a="$after" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		cpu = n ? (y[1] - x[1]) / hz * 1e6 / n : 0
		steal = y[3] > x[3] ? 100 * (y[2] - x[2]) / (y[3] - x[3]) : 0
		psi = 100 * (y[4] - x[4]) / (secs * 1e6)
		slow = y[6] > x[6] ? 100 * ((y[6] - x[6]) - (y[5] - x[5])) / (y[6] - x[6]) : 0
		printf "server CPU %.1f us/request, server answers over 1 ms %.2f%%, load %s, steal %.1f%%, CPU pressure %.0f%%",
			cpu, slow, load, steal, psi}')
	echo "$(to_ms "$p99") $rps $p50 $p99 ${non2xx:-0} ${errs:-}|$ctx" >>"$file"
	echo "# meanwhile: $ctx"
}
# bench LABEL ROUTE PATH BYTES
bench() {
	local label=$1 route=$2 path=$3 bytes=$4 line rps p50 p99 errors ctx
	line=$(sort -n -k1,1 "$t_tmp/runs.$label" | sed -n "$(((runs + 1) / 2))p")
	read -r _ rps p50 p99 errors <<<"${line%%|*}"
	ctx=${line#*|}
	echo "GET $path with $n stores ($bytes bytes each answer), wrk -t$threads -c$conns -d${secs}s:"
	if [ "$runs" -gt 1 ]; then
		echo "  median of $runs runs by p99; all runs (p99 ms, req/s):" \
			"$(sort -n -k1,1 "$t_tmp/runs.$label" | awk '{printf "%s%s ms %s/s", (NR > 1 ? ", " : ""), $1, $2}')"
	fi
	echo "  requests/s: $rps   p50: $p50   p99: $p99   non-2xx: ${errors}"
	echo "  meanwhile: $ctx"
	result "${label}_rps" "$rps"
	result "${label}_p50" "$p50"
	result "${label}_p99" "$p99"
	result "${label}_bytes" "$bytes"
	result "${label}_errors" "${errors}"
	result "${label}_context" "$ctx"
	result "${label}_runs" "$runs"
}
: >"$t_tmp/runs.list"
: >"$t_tmp/runs.one"
for _ in $(seq 1 "$runs"); do
	one_run /api/v1/stores /api/v1/stores "$t_tmp/runs.list"
	one_run "/api/v1/stores/{name}" "/api/v1/stores/$one" "$t_tmp/runs.one"
done
bench list /api/v1/stores /api/v1/stores "$bytes"
bench one "/api/v1/stores/{name}" "/api/v1/stores/$one" "$one_bytes"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$t_pid/status")
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$t_pid/status")
echo "  orchestrator RSS: ${rss_rest} KiB at rest (no stores), ${rss_before} KiB with $n stores, ${rss_after} KiB after wrk, peak (VmHWM) ${hwm} KiB"
result api_stores "$n"
result api_wrk "-t$threads -c$conns -d${secs}s"
result rss_rest_kib "$rss_rest"
result rss_stores_kib "$rss_before"
result rss_after_kib "$rss_after"
result rss_peak_kib "$hwm"
