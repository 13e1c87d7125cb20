#!/usr/bin/env bash
# What watching Ready stores costs: N Ready stores (default 200, the real store chart on
# simulated nodes) checked for health and drift every BENCH_INTERVAL (10 s) for
# BENCH_SECONDS (60 s), measured from the orchestrator's own counters: checks done, requests
# to the API server by verb (storeplatform_kube_requests_total), the orchestrator's CPU
# time, and the API server's CPU time over the same window. The per-check costs are then
# scaled to the defaults (--health-interval=60s, --drift-interval=5m). Not a test: prints
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
orch_start hb --no-leader-elect --resync=5m --health-interval="$interval" --drift-interval="$interval"
pid=$ORCH_PID
port=$(orch_port "$t_tmp/hb.log" "$pid") || { echo "orchestrator did not start"; tail "$t_tmp/hb.log"; exit 1; }
metrics() { curl -sf "http://127.0.0.1:$port/metrics"; }
sleep 30 # every store has had its first health and drift check

# the window: counters and CPU before and after
apiserver=$(pgrep -f 'kube-apiserver' | head -n1)
m0=$(metrics)
c0=$(cpu_ticks "$pid")
a0=$([ -n "$apiserver" ] && cpu_ticks "$apiserver" || echo 0)
sleep "$window"
m1=$(metrics)
c1=$(cpu_ticks "$pid")
a1=$([ -n "$apiserver" ] && cpu_ticks "$apiserver" || echo 0)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

sum() { # TEXT METRIC-PREFIX: sum of the series whose line starts with it
	awk -v p="$2" 'index($0, p) == 1 {s += $NF} END {printf "%.0f", s}' <<<"$1"
}
delta() { echo $(($(sum "$m1" "$1") - $(sum "$m0" "$1"))); }
health=$(delta 'storeplatform_store_health_checks_total{')
drift=$(delta 'storeplatform_store_drift_checks_total{')
repairs=$(delta 'storeplatform_store_drift_repairs_total{')
reqs=$(delta 'storeplatform_kube_requests_total{')
gets=$(delta 'storeplatform_kube_requests_total{verb="GET"}')
patches=$(delta 'storeplatform_kube_requests_total{verb="PATCH"}')
orch_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v w="$window" 'BEGIN {printf "%.1f", (b - a) / hz / w * 100}')
api_cpu=$(awk -v a="$a0" -v b="$a1" -v hz="$hz" -v w="$window" 'BEGIN {printf "%.1f", (b - a) / hz / w * 100}')
per() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b ? a / b : 0}'; }
# requests per check: a drift check is 1 LIST + a GET per object; a health check 3 LISTs
# (the rest of the window's requests: status writes, Events, resyncs); scaled to the defaults
req_s=$(per "$reqs" "$window")
default_req_s=$(awk -v r="$reqs" -v h="$health" -v d="$drift" -v n="$n" 'BEGIN {
	if (!h || !d) { print 0; exit }
	per_check = r / (h + d); printf "%.1f", n * per_check * (1 / 60 + 1 / 300) }')

echo "$n Ready stores, health and drift every $interval, measured over $window s:"
echo "  checks: $health health ($(per "$health" "$window")/s), $drift drift ($(per "$drift" "$window")/s), $repairs repairs"
echo "  API requests: $reqs ($req_s/s; GET $gets, PATCH $patches), $(per "$reqs" "$((health + drift))") per check"
echo "  orchestrator CPU: $orch_cpu% of one core; API server CPU: $api_cpu%; orchestrator RSS $((rss / 1024)) MiB"
echo "  at the defaults (health 60 s, drift 5 min): about $default_req_s requests/s to the API server"
result health_stores "$n"
result health_interval "$interval"
result health_checks "$health"
result drift_checks "$drift"
result drift_repairs_seen "$repairs"
result health_req_s "$req_s"
result health_req_per_check "$(per "$reqs" "$((health + drift))")"
result health_orch_cpu "$orch_cpu"
result health_api_cpu "$api_cpu"
result health_rss_kib "$rss"
result health_default_req_s "$default_req_s"
