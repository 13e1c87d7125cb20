#!/usr/bin/env bash
# Stores that really run, on the local cluster's real node: from POST (kubectl
# apply of a Store, as the API does) to checkout-ready (the first order placed
# and verified through the ingress with scripts/order.sh), for 1 store and for
# BENCH_REAL_N (5) at once, split by the cluster's own timestamps into: pods
# started (scheduled -> containers running), database ready, setup Job done,
# storefront answering (the orchestrator's Ready), first order. Then the memory
# each running store takes (its pods' cgroups) and the images' sizes. Writes
# key=value lines to BENCH_OUT for scripts/bench.sh.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../integration/_orchestrator.sh
. "$root/tests/integration/_orchestrator.sh"
out=${BENCH_OUT:-/dev/null}
n=${BENCH_REAL_N:-5}
port=${STORE_INGRESS_PORT:-80}

"$root/scripts/cluster/node.sh" status || { echo "the real node is not Ready"; exit 1; }
orch_start bench --no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port" \
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=10m --max-provisioning=10
wait_for 10 grep -q '"orchestrator running' "$t_tmp/bench.log" || { echo "orchestrator did not start"; exit 1; }

epoch() { date -d "$1" +%s.%N; }
now() { date +%s.%N; }
sub() { echo "$1 - $2" | bc; }

# run COUNT LABEL: COUNT stores at once; prints per-store lines, writes LABEL_* keys.
run() {
	local count=$1 label=$2 i s t0 names=() ready=() ordered=() starts=() dbs=() setups=()
	t0=$(now)
	for i in $(seq 1 "$count"); do
		s="bench-$label-$i-$RANDOM"
		names+=("$s")
		store_apply "$s"
	done
	# Each store on its own: Ready, then its first order at once (the stores do not wait for
	# each other), the time of each written to a file.
	local jobs=()
	for s in "${names[@]}"; do
		(
			wait_for 600 store_is "$s" Ready >/dev/null || { echo "$s did not become Ready"; exit 1; }
			"$root/scripts/order.sh" --host "$s.localtest.me" "http://127.0.0.1:$port" >"$t_tmp/$s.order" 2>&1 ||
				{ echo "$s: no order"; tail -n 3 "$t_tmp/$s.order"; exit 1; }
			now >"$t_tmp/$s.ordered"
		) &
		jobs+=($!)
	done
	wait "${jobs[@]}" # not a bare wait: the orchestrator is a child of this shell too
	for s in "${names[@]}"; do
		[ -s "$t_tmp/$s.ordered" ] || return 1
		ready+=("$(sub "$(epoch "$(kubectl get store "$s" -o jsonpath='{.status.readyAt}')")" "$t0")")
		ordered+=("$(sub "$(cat "$t_tmp/$s.ordered")" "$t0")")
		local ns="store-$s" pods
		pods=$(kubectl get pods -n "$ns" -o json)
		# the shop pod: scheduled -> all containers started
		starts+=("$(jq -r '[.items[] | select(.metadata.labels["app.kubernetes.io/component"] == "shop")][0] |
			[(.status.conditions[] | select(.type == "PodScheduled") | .lastTransitionTime),
			 (.status.containerStatuses[0].state.running.startedAt)] | @tsv' <<<"$pods" |
			{ read -r a b; sub "$(epoch "$b")" "$(epoch "$a")"; })")
		dbs+=("$(jq -r '[.items[] | select(.metadata.labels["app.kubernetes.io/component"] == "database")][0] |
			(.status.conditions[] | select(.type == "Ready") | .lastTransitionTime)' <<<"$pods" |
			{ read -r a; sub "$(epoch "$a")" "$t0"; })")
		setups+=("$(kubectl get jobs -n "$ns" -o json | jq -r '.items[0].status.completionTime' | { read -r a; sub "$(epoch "$a")" "$t0"; })")
		echo "$s: pods started $(printf %.1f "${starts[-1]}") s after scheduling; database ready $(printf %.1f "${dbs[-1]}") s, setup done $(printf %.1f "${setups[-1]}") s, Ready $(printf %.1f "${ready[-1]}") s, first order $(printf %.1f "${ordered[-1]}") s after the POST"
	done
	p50_max() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {printf "%.1f %.1f", v[int((NR + 1) / 2)], v[NR]}'; }
	local a b
	read -r a b < <(p50_max "${ordered[@]}")
	{
		echo "${label}_n=$count"
		echo "${label}_order_p50=$a"
		echo "${label}_order_max=$b"
		read -r a b < <(p50_max "${ready[@]}")
		echo "${label}_ready_p50=$a"
		echo "${label}_ready_max=$b"
		read -r a b < <(p50_max "${starts[@]}")
		echo "${label}_start_p50=$a"
		read -r a b < <(p50_max "${dbs[@]}")
		echo "${label}_db_p50=$a"
		read -r a b < <(p50_max "${setups[@]}")
		echo "${label}_setup_p50=$a"
	} >>"$out"
	# Memory of each running store: its pods' memory cgroups (cache included, as the limit counts it).
	local kib=()
	for s in "${names[@]}"; do
		local total=0 uid f
		for uid in $(kubectl get pods -n "store-$s" -o json | jq -r '.items[] | select(.status.phase == "Running") | .metadata.uid'); do
			f=$(find /sys/fs/cgroup/memory/store-platform -maxdepth 3 -type d -name "pod$uid" | head -n1)
			[ -n "$f" ] && total=$((total + $(cat "$f/memory.usage_in_bytes") / 1024))
		done
		kib+=("$total")
	done
	read -r a b < <(p50_max "${kib[@]}")
	echo "${label}_mem_kib_p50=$a" >>"$out"
	echo "$label: first order p50 ${ordered[*]:0:1}..; memory per store p50 $(awk -v k="$a" 'BEGIN {printf "%.0f MiB", k / 1024}')"
	for s in "${names[@]}"; do kubectl delete store "$s" --wait=false >/dev/null; done
	for s in "${names[@]}"; do wait_for 300 store_gone "$s" >/dev/null; done
}

: >"$out"
run 1 one || exit 1
run "$n" many || exit 1
cache=${STORE_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/store-platform}/images
for ref in $("$root/scripts/images.sh" --list); do
	b=$(basename "${ref%%:*}")
	echo "image_$b=$ref, $(du -m "$cache/$b.tar" 2>/dev/null | cut -f1) MiB archive" >>"$out"
done
cat "$out"
