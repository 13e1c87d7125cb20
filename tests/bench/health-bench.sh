#!/usr/bin/env bash
# What watching Ready stores costs: N Ready stores (default 200, the real store chart on
# simulated nodes), checked for health only and then for drift only, every BENCH_INTERVAL
# (10 s) for BENCH_SECONDS (60 s) each, measured from the orchestrator's own counters:
# checks done, requests to the API server (storeplatform_kube_requests_total), the
# orchestrator's CPU time, and the API server's CPU time over the same window. The
# per-check costs are then scaled to the defaults (--health-interval=60s,
# --drift-interval=5m). At 10 s the checks are bounded by the API client's own rate limit
# (--kube-qps, 50/s), so the window measures the cost per check, not the interval. Not a test: prints
# the numbers, and "key=value" lines to $BENCH_OUT when set (scripts/bench.sh puts them in
# docs/benchmarks.md).
#
# The storefront probe is off here (nothing serves HTTP on simulated nodes), so its cost
# (one GET through the ingress per health check) is not in these numbers.
# Two more simulated nodes (cpu 400, 1000 pods each) are added for the run and removed at
# the end: the cluster's own two hold about 30 stores.
#
#   BENCH_STORES=200 BENCH_INTERVAL=10s BENCH_SECONDS=60 tests/bench/health-bench.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
# shellcheck source=../integration/_orchestrator.sh
. "$here/../integration/_orchestrator.sh"

n=${BENCH_STORES:-200}
interval=${BENCH_INTERVAL:-10s}
window=${BENCH_SECONDS:-60}
out=${BENCH_OUT:-/dev/null}
result() { echo "$1=$2" >>"$out"; }
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

nodes=("kwok-bench-$t_run-1" "kwok-bench-$t_run-2")
for node in "${nodes[@]}"; do
	kubectl apply -f - >/dev/null <<-YAML || exit 1
		apiVersion: v1
		kind: Node
		metadata:
		  name: $node
		  annotations: {kwok.x-k8s.io/node: fake}
		  labels: {kubernetes.io/hostname: $node, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
		status:
		  allocatable: {cpu: "400", memory: 2Ti, pods: "1000", ephemeral-storage: 10Ti}
		  capacity: {cpu: "400", memory: 2Ti, pods: "1000", ephemeral-storage: 10Ti}
		  nodeInfo: {architecture: amd64, kubeProxyVersion: fake, kubeletVersion: fake, operatingSystem: linux}
	YAML
done
names=()
for i in $(seq -w 1 "$n"); do names+=("hb$t_run$i"); done
bench_cleanup() {
	orch_start hbclean --no-leader-elect --health-interval=0 --drift-interval=0
	for s in "${names[@]}"; do kubectl delete store "$s" --wait=false --ignore-not-found >/dev/null 2>&1; done
	stores_delete_wait 600 "${names[@]}" >/dev/null 2>&1
	t_cleanup
	kubectl delete node "${nodes[@]}" --ignore-not-found >/dev/null 2>&1
}
trap bench_cleanup EXIT

# The stores are made by a replica with the default intervals; the one measured, with
# short ones, starts once they are Ready (checks every 10 s on 200 stores keep the workers
# busy enough to slow provisioning down: 177 of 200 Ready after 20 min, seen here).
orch_start hbmake --no-leader-elect --resync=5m --max-provisioning=8
pid=$ORCH_PID
t0=$(date +%s)
for s in "${names[@]}"; do store_apply "$s"; done
ready_count() { kubectl get stores -l "storeplatform.dev/test-run=$t_run" -o json | jq '[.items[] | select(.status.phase == "Ready")] | length'; }
all_ready() { [ "$(ready_count)" -ge "$n" ]; }
wait_for "${BENCH_TIMEOUT:-1800}" all_ready >/dev/null || { echo "only $(ready_count) of $n stores became Ready"; exit 1; }
echo "# $n stores Ready in $(($(date +%s) - t0)) s"
orch_stop "$pid"

sum() { # TEXT METRIC-PREFIX: sum of the series whose line starts with it
	awk -v p="$2" 'index($0, p) == 1 {s += $NF} END {printf "%.0f", s}' <<<"$1"
}
per() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b ? a / b : 0}'; }
apiserver=$(pgrep -f 'bin/kube-apiserver' | head -n1)
# window NAME FLAGS...: a replica checking with FLAGS, measured over the window after a warm-up;
# sets checks, reqs, gets, lists... as NAME_* results
window() {
	local name=$1 pid port m0 m1 c0 c1 a0 a1 metric checks reqs
	shift
	orch_start "$name" --no-leader-elect --resync=5m "$@"
	pid=$ORCH_PID
	port=$(orch_port "$t_tmp/$name.log" "$pid") || { echo "orchestrator did not start"; tail "$t_tmp/$name.log"; exit 1; }
	sleep 30 # every store has had its first check
	m0=$(curl -sf "http://127.0.0.1:$port/metrics")
	c0=$(cpu_ticks "$pid") a0=$(cpu_ticks "$apiserver")
	sleep "$window"
	m1=$(curl -sf "http://127.0.0.1:$port/metrics")
	c1=$(cpu_ticks "$pid") a1=$(cpu_ticks "$apiserver")
	case $name in
	health) metric='storeplatform_store_health_checks_total{' ;;
	*) metric='storeplatform_store_drift_checks_total{' ;;
	esac
	checks=$(($(sum "$m1" "$metric") - $(sum "$m0" "$metric")))
	reqs=$(($(sum "$m1" 'storeplatform_kube_requests_total{') - $(sum "$m0" 'storeplatform_kube_requests_total{')))
	w_checks=$checks w_reqs=$reqs
	w_patch=$(($(sum "$m1" 'storeplatform_kube_requests_total{verb="PATCH"}') - $(sum "$m0" 'storeplatform_kube_requests_total{verb="PATCH"}')))
	w_repairs=$(($(sum "$m1" 'storeplatform_store_drift_repairs_total{') - $(sum "$m0" 'storeplatform_store_drift_repairs_total{')))
	w_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v w="$window" 'BEGIN {printf "%.1f", (b - a) / hz / w * 100}')
	w_api=$(awk -v a="$a0" -v b="$a1" -v hz="$hz" -v w="$window" 'BEGIN {printf "%.1f", (b - a) / hz / w * 100}')
	w_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	orch_stop "$pid"
	echo "  $name only ($*): $checks checks ($(per "$checks" "$window")/s), $reqs API requests ($(per "$reqs" "$window")/s, $(per "$reqs" "$checks") per check, PATCH $w_patch), orchestrator CPU $w_cpu% of a core, API server $w_api%, RSS $((w_rss / 1024)) MiB"
}
echo "$n Ready stores, each check every $interval, measured over $window s:"
window health --health-interval="$interval" --drift-interval=0
h_checks=$w_checks h_reqs=$w_reqs h_cpu=$w_cpu h_api=$w_api h_rss=$w_rss
window drift --health-interval=0 --drift-interval="$interval"
d_checks=$w_checks d_reqs=$w_reqs d_cpu=$w_cpu d_api=$w_api d_repairs=$w_repairs d_patch=$w_patch
h_per=$(per "$h_reqs" "$h_checks")
d_per=$(per "$d_reqs" "$d_checks")
# at the defaults: each store's health every 60 s and drift every 5 min
default_req_s=$(awk -v h="$h_per" -v d="$d_per" -v n="$n" 'BEGIN {printf "%.1f", n * (h / 60 + d / 300)}')
default_cpu=$(awk -v hc="$h_cpu" -v hn="$h_checks" -v dc="$d_cpu" -v dn="$d_checks" -v n="$n" -v w="$window" 'BEGIN {
	if (!hn || !dn) { print 0; exit }
	printf "%.1f", (hc / (hn / w)) * n / 60 + (dc / (dn / w)) * n / 300 }')
echo "  at the defaults (health 60 s, drift 5 min): about $default_req_s API requests/s and $default_cpu% of a core"
result health_stores "$n"
result health_interval "$interval"
result health_checks "$h_checks"
result health_per_check "$h_per"
result health_orch_cpu "$h_cpu"
result health_api_cpu "$h_api"
result health_rss_kib "$h_rss"
result drift_checks "$d_checks"
result drift_per_check "$d_per"
result drift_orch_cpu "$d_cpu"
result drift_api_cpu "$d_api"
result drift_repairs_seen "$d_repairs"
result drift_dry_runs "$d_patch"
result health_default_req_s "$default_req_s"
result health_default_cpu "$default_cpu"
