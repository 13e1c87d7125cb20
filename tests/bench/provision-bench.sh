#!/usr/bin/env bash
# Provisioning throughput of the platform against the plain-Helm baseline, in one run on the
# same control plane. Not a test: prints the numbers (scripts/bench.sh puts them in
# docs/benchmarks.md) and "key=value" result lines to $BENCH_OUT when set.
#
# Platform: the real orchestrator (default settings, except --no-storefront-check: nothing
# serves HTTP on the simulated nodes) running as the platform's ServiceAccount; N stores
# created through POST /api/v1/stores one after the other; each store's time to Ready is
# from its POST to the first GET /api/v1/stores (polled every 0.1 s) showing it Ready.
# helm's own time per store comes from a wrapper around the helm binary (--helm) that logs the
# wall time of each helm process the orchestrator runs (cross-checked against the
# storeplatform_helm_duration_seconds histogram of /metrics).
#
# Baseline: what an operator scripts without the platform, sequentially for N releases:
# create the namespace, the credentials Secret (the same keys and lengths the orchestrator
# generates, charts/engines.yaml `secret:`), then `helm upgrade --install --wait
# --wait-for-jobs` of the same chart with the same values (read back with `helm get values`
# from the platform's releases, the store name substituted). --wait-for-jobs because a
# store is only ready once its setup Job has completed, for the platform too.
#
#   BENCH_N=20 tests/bench/provision-bench.sh
# For experiments: BENCH_ORCH_FLAGS adds orchestrator flags (e.g. --no-watch-namespaces),
# BENCH_BASELINE=0 skips the baseline (no ratio then), BENCH_KEEP=dir keeps the run's logs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
# shellcheck source=../integration/_orchestrator.sh
. "$here/../integration/_orchestrator.sh"

n=${BENCH_N:-20}
out=${BENCH_OUT:-/dev/null}
real_helm=$(command -v helm)
token="bench-$(openssl rand -hex 16)"
printf '%s %s %s\n' "$token" tester user >"$t_tmp/tokens"
now_ms() { date +%s%3N; }
result() { echo "$1=$2" >>"$out"; }

# helm, timed: one line per run "op release start_ms end_ms exit".
cat >"$t_tmp/helm-timed" <<-SH
	#!/bin/bash
	s=\$(date +%s%3N)
	"$real_helm" "\$@"
	rc=\$?
	echo "\$1 \${3:-\$2} \$s \$(date +%s%3N) \$rc" >>"$t_tmp/helm-times"
	exit \$rc
SH
chmod +x "$t_tmp/helm-timed"

read -ra extra_flags <<<"${BENCH_ORCH_FLAGS:-}"
"$orch_bin" \
	--engines-file="$root/charts/engines.yaml" --chart-dir="$chart_dir" \
	--helm="$t_tmp/helm-timed" --tmpdir="$t_tmp" --no-storefront-check \
	--leader-elect-namespace="$t_lease_ns" --leader-elect-lease="$t_lease" \
	--leader-elect-identity="bench-$t_run" --controller-class="test-$t_run" \
	--listen=127.0.0.1:0 --rate-user=0 --rate-ip=0 --max-stores-per-user=1000 \
	"${t_cred_flags[@]}" --tokens-file="$t_tmp/tokens" "${extra_flags[@]}" >"$t_tmp/orch.metrics" 2>"$t_tmp/orch.log" &
pid=$!
t_pids+=("$pid")
port=$(orch_port "$t_tmp/orch.log" "$pid")
api="http://127.0.0.1:$port"
wait_for 20 curl -sf "$api/readyz" >/dev/null || { echo "orchestrator not ready"; tail "$t_tmp/orch.log"; exit 1; }
# the controller runs once this replica holds the Lease
wait_for 30 grep -q 'acquired leadership' "$t_tmp/orch.log"

names=()
for i in $(seq -w 1 "$n"); do names+=("bp$t_run$i"); done
bnames=()
for i in $(seq -w 1 "$n"); do bnames+=("bh$t_run$i"); done

bench_cleanup() {
	local s
	[ -z "${BENCH_KEEP:-}" ] || { mkdir -p "$BENCH_KEEP" && cp "$t_tmp"/{helm-times,orch.log,phases} "$BENCH_KEEP/" 2>/dev/null; }
	for s in "${names[@]}"; do
		curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $token" "$api/api/v1/stores/$s"
	done
	for s in "${names[@]}"; do wait_for 60 store_gone "$s" >/dev/null 2>&1 || true; done
	for s in "${names[@]}"; do
		kubectl patch store "$s" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
		kubectl delete store "$s" --wait=false --ignore-not-found >/dev/null 2>&1
		kubectl delete ns "store-$s" --wait=false --ignore-not-found >/dev/null 2>&1
	done
	for s in "${bnames[@]}"; do
		"$real_helm" uninstall "store-$s" -n "store-$s" --wait=false >/dev/null 2>&1
		kubectl delete ns "store-$s" --wait=false --ignore-not-found >/dev/null 2>&1
	done
	t_cleanup
}
trap bench_cleanup EXIT

# ---- platform ---------------------------------------------------------------------------
declare -A t_post=() t_ready=() t_prov=()
# A watcher polls the list from before the first POST until every store is Ready, writing
# "ms name phase" for each store each time; the first line of a phase is when the API first
# showed it.
poll_list() {
	local ts
	while :; do
		ts=$(now_ms)
		curl -s -H "Authorization: Bearer $token" "$api/api/v1/stores" |
			jq -r --arg ts "$ts" '.stores[] | "\($ts) \(.name) \(.phase)"' >>"$t_tmp/phases"
		sleep 0.05
	done
}
: >"$t_tmp/phases"
poll_list &
poller=$!
t_pids+=("$poller")
start=$(now_ms)
for s in "${names[@]}"; do
	t_post[$s]=$(now_ms)
	code=$(curl -s -o "$t_tmp/post" -w '%{http_code}' -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$s\",\"engine\":\"woocommerce\",\"displayName\":\"Bench $s\",\"plan\":{\"size\":\"small\"}}" \
		"$api/api/v1/stores")
	[ "$code" = 201 ] || { echo "POST $s answered $code: $(cat "$t_tmp/post")"; exit 1; }
done
timeout_at=$(($(now_ms) + ${BENCH_TIMEOUT:-600} * 1000))
ready_count() { awk '$3 == "Ready" {r[$2] = 1} END {print length(r)}' "$t_tmp/phases"; }
while [ "$(ready_count)" -lt "$n" ] && [ "$(now_ms)" -lt "$timeout_at" ]; do
	if failed=$(awk '$3 == "Failed" {print $2; exit}' "$t_tmp/phases") && [ -n "$failed" ]; then
		echo "store $failed failed: $(curl -s -H "Authorization: Bearer $token" "$api/api/v1/stores/$failed")"
		exit 1
	fi
	sleep 0.1
done
kill "$poller" 2>/dev/null
wait "$poller" 2>/dev/null
while read -r s phase ts; do
	case $phase in
	Provisioning) t_prov[$s]=$ts ;;
	Ready) t_ready[$s]=$ts t_prov[$s]=${t_prov[$s]:-$ts} ;; # Provisioning never seen: 0 s
	esac
done < <(awk '!seen[$2 " " $3]++ {print $2, $3, $1}' "$t_tmp/phases" | sort -k3,3n)
end=$(awk '$3 == "Ready" && !seen[$2]++ {t = $1} END {print t}' "$t_tmp/phases")
[ "${#t_ready[@]}" -eq "$n" ] || { echo "only ${#t_ready[@]} of $n stores became Ready"; exit 1; }
platform_ms=$((end - start))
kill -USR1 "$pid" 2>/dev/null
sleep 0.5

# per store: time to Ready, helm time (every helm run for its release), overhead, and the
# overhead's parts: queued (POST until the API shows it Provisioning: waiting for a
# provisioning slot), setup (Provisioning until helm starts: namespace, RoleBinding, Secret,
# status), after helm (helm's end until the API shows it Ready: the cluster making pods
# Ready, volumes Bound and the Job Complete, the orchestrator noticing, the status write).
# Phases are seen by polling every ~0.1 s, so each part is known to about 0.1 s.
: >"$t_tmp/ttr"
: >"$t_tmp/overhead"
: >"$t_tmp/queued"
: >"$t_tmp/setup"
: >"$t_tmp/after"
for s in "${names[@]}"; do
	ttr=$((t_ready[$s] - t_post[$s]))
	read -r hm h0 h1 < <(awk -v r="store-$s" '$2 == r {t += $4 - $3; if (!f || $3 < f) f = $3; if ($4 > l) l = $4}
		END {printf "%.0f %.0f %.0f\n", t, f, l}' "$t_tmp/helm-times")
	queued=$((t_prov[$s] - t_post[$s]))
	setup=$((h0 - t_prov[$s]))
	after=$((t_ready[$s] - h1))
	echo "$ttr" >>"$t_tmp/ttr"
	echo "$((ttr - hm))" >>"$t_tmp/overhead"
	echo "$queued" >>"$t_tmp/queued"
	echo "$setup" >>"$t_tmp/setup"
	echo "$after" >>"$t_tmp/after"
	echo "# $s: ready after ${ttr} ms: queued ${queued} ms, setup ${setup} ms, helm ${hm} ms, after helm ${after} ms"
done
pct() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }
helm_total=$(awk '$1 == "upgrade" {t += $4 - $3; c++} END {printf "%d %d", t, c}' "$t_tmp/helm-times")
metrics_sum=$(awk '/^storeplatform_helm_duration_seconds_sum\{op="upgrade"/ {s += $2} END {printf "%.3f", s}' "$t_tmp/orch.metrics")

# values of one platform release, for the baseline
for s in "${names[@]}"; do
	"$real_helm" get values "store-$s" -n "store-$s" -o json >"$t_tmp/values-$s.json" || exit 1
done

# The simulated nodes have room for about 30 stores (their CPU requests), so the platform's
# stores go before the baseline installs its releases.
for s in "${names[@]}"; do
	curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $token" "$api/api/v1/stores/$s"
done
for s in "${names[@]}"; do wait_for 120 ns_gone "$s" >/dev/null 2>&1; done

if [ "${BENCH_BASELINE:-1}" = 0 ]; then
	echo "platform:  ${platform_ms} ms wall for $n stores; time to Ready p50 $(pct "$t_tmp/ttr" 50) ms, p95 $(pct "$t_tmp/ttr" 95) ms"
	echo "  overhead (time to Ready - helm's own time): p50 $(pct "$t_tmp/overhead" 50) ms, p95 $(pct "$t_tmp/overhead" 95) ms"
	for part in queued setup after; do
		echo "    $part: p50 $(pct "$t_tmp/$part" 50) ms, p95 $(pct "$t_tmp/$part" 95) ms"
	done
	exit 0
fi

# ---- baseline ---------------------------------------------------------------------------
rnd() { openssl rand -base64 96 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
: >"$t_tmp/helm-wait"
bstart=$(now_ms)
for i in "${!bnames[@]}"; do
	b=${bnames[$i]}
	p=${names[$i]}
	ns="store-$b"
	t0=$(now_ms)
	kubectl create namespace "$ns" >/dev/null || exit 1
	kubectl create secret generic -n "$ns" "store-$b-credentials" \
		--from-literal=mariadb-root-password="$(rnd 32)" --from-literal=mariadb-password="$(rnd 32)" \
		--from-literal=wordpress-admin-user=admin --from-literal=wordpress-admin-password="$(rnd 24)" \
		--from-literal=wordpress-admin-email="admin@$b.localtest.me" \
		--from-literal=auth-key="$(rnd 64)" --from-literal=secure-auth-key="$(rnd 64)" \
		--from-literal=logged-in-key="$(rnd 64)" --from-literal=nonce-key="$(rnd 64)" \
		--from-literal=auth-salt="$(rnd 64)" --from-literal=secure-auth-salt="$(rnd 64)" \
		--from-literal=logged-in-salt="$(rnd 64)" --from-literal=nonce-salt="$(rnd 64)" >/dev/null || exit 1
	jq --arg p "$p" --arg b "$b" 'walk(if type == "string" then gsub($p; $b) else . end)' \
		"$t_tmp/values-$p.json" >"$t_tmp/bvalues.json"
	t1=$(now_ms)
	"$real_helm" upgrade --install "$ns" "$chart_dir/store" -n "$ns" --values "$t_tmp/bvalues.json" \
		--wait --wait-for-jobs --timeout 300s >/dev/null || { echo "baseline helm failed for $b"; exit 1; }
	t2=$(now_ms)
	echo "$((t2 - t0))" >>"$t_tmp/btime"
	echo "$((t2 - t1))" >>"$t_tmp/helm-wait"
done
baseline_ms=$(($(now_ms) - bstart))

ratio=$(awk -v a="$platform_ms" -v b="$baseline_ms" 'BEGIN {printf "%.2f", a / b}')
read -r helm_ms helm_runs <<<"$helm_total"
echo "chart: $chart_dir/store, N=$n"
echo "platform:  ${platform_ms} ms wall for $n stores; time to Ready p50 $(pct "$t_tmp/ttr" 50) ms, p95 $(pct "$t_tmp/ttr" 95) ms"
echo "  helm upgrade runs: $helm_runs, ${helm_ms} ms in total (wrapper); metrics histogram sum ${metrics_sum} s"
echo "  overhead (time to Ready - helm's own time): p50 $(pct "$t_tmp/overhead" 50) ms, p95 $(pct "$t_tmp/overhead" 95) ms"
for part in queued setup after; do
	echo "    $part: p50 $(pct "$t_tmp/$part" 50) ms, p95 $(pct "$t_tmp/$part" 95) ms"
done
echo "baseline:  ${baseline_ms} ms wall for $n releases; per release p50 $(pct "$t_tmp/btime" 50) ms, p95 $(pct "$t_tmp/btime" 95) ms (helm --wait alone p50 $(pct "$t_tmp/helm-wait" 50) ms)"
echo "ratio platform/baseline: $ratio"
result chart "$chart_dir/store"
default_of() { "$orch_bin" --help 2>&1 | sed -n "s/^  --$1 .*; default \([^)]*\))\$/\1/p"; }
result workers "$(default_of workers)"
result max_prov "$(default_of max-provisioning)"
result n "$n"
result platform_ms "$platform_ms"
result ttr_p50 "$(pct "$t_tmp/ttr" 50)"
result ttr_p95 "$(pct "$t_tmp/ttr" 95)"
result helm_runs "$helm_runs"
result helm_ms "$helm_ms"
result helm_metrics_s "$metrics_sum"
result helm_p50 "$(awk '$1 == "upgrade" {print $4 - $3}' "$t_tmp/helm-times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
result overhead_p50 "$(pct "$t_tmp/overhead" 50)"
result overhead_p95 "$(pct "$t_tmp/overhead" 95)"
for part in queued setup after; do
	result "${part}_p50" "$(pct "$t_tmp/$part" 50)"
	result "${part}_p95" "$(pct "$t_tmp/$part" 95)"
done
result baseline_ms "$baseline_ms"
result baseline_p50 "$(pct "$t_tmp/btime" 50)"
result baseline_p95 "$(pct "$t_tmp/btime" 95)"
result baseline_helm_p50 "$(pct "$t_tmp/helm-wait" 50)"
result ratio "$ratio"
