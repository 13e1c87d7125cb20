#!/usr/bin/env bash
# kill -9 of the orchestrator (and its helm process groups, as a pod kill does) at random
# moments while 10 stores provision and 10 are deleted, CHAOS_ROUNDS rounds (default 1):
# afterwards every store is Ready or gone as asked, no namespace (with its PVCs and Secrets)
# or helm release is left without its Store, and no release was installed twice.
# Then the API under wrk load while stores provision: no request errors, provisioning completes.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../integration/_orchestrator.sh
. "$(dirname "$0")/../integration/_orchestrator.sh"

rounds=${CHAOS_ROUNDS:-1}
kills=${CHAOS_KILLS:-3}
flags=(--no-leader-elect --max-provisioning=10)
all_ready() { local s; for s in "$@"; do store_is "$s" Ready || return 1; done; }
all_gone() { local s; for s in "$@"; do store_gone "$s" && ns_gone "$s" || return 1; done; }

orch_start c0 "${flags[@]}"
pid=$ORCH_PID
old=()
for i in $(seq -w 1 10); do old+=("k$t_run-0-$i"); store_apply "k$t_run-0-$i"; done
check "10 stores become Ready before the chaos" wait_for 180 all_ready "${old[@]}"

for r in $(seq 1 "$rounds"); do
	new=()
	for i in $(seq -w 1 10); do new+=("k$t_run-$r-$i"); store_apply "k$t_run-$r-$i"; done
	for s in "${old[@]}"; do kubectl delete store "$s" --wait=false >/dev/null; done
	for k in $(seq 1 "$kills"); do
		sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.1f", 0.5 + r % 40 / 10}')"
		orch_kill "$pid"
		echo "# round $r: kill $k"
		orch_start "c$r-$k" "${flags[@]}"
		pid=$ORCH_PID
	done
	check "round $r: the 10 new stores become Ready" wait_for 240 all_ready "${new[@]}"
	check "round $r: the 10 deleted stores and their namespaces are gone" wait_for 240 all_gone "${old[@]}"
	check "round $r: each release was installed once (one revision, no pending record)" installed_once "${new[@]}"
	check "round $r: one credentials Secret per store" bash -c "
		for s in ${new[*]}; do
			[ \$(kubectl get secrets -n store-\$s -l storeplatform.dev/store=\$s -o name | wc -l) = 1 ] || { echo \"\$s: secrets\"; exit 1; }
		done"
	old=("${new[@]}")
done
check "no namespace, release or PVC of this run without its Store" no_orphans "k$t_run-"

# --- the API under wrk load while stores provision -------------------------------------
orch_kill "$pid"
token="chaos-$(openssl rand -hex 16)"
printf '%s tester user\n' "$token" >"$t_tmp/tokens"
orch_start load "${flags[@]}" --tokens-file="$t_tmp/tokens"
pid=$ORCH_PID
port=$(orch_port "$t_tmp/load.log" "$pid")
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$t_tmp/auth.lua"
wrk -t1 -c16 -d"${CHAOS_WRK_SECONDS:-20}s" -s "$t_tmp/auth.lua" "http://127.0.0.1:$port/api/v1/stores" >"$t_tmp/wrk.txt" 2>&1 &
wrk_pid=$!
sleep 1
loaded=()
for i in $(seq -w 1 5); do loaded+=("k$t_run-w-$i"); store_apply "k$t_run-w-$i"; done
check "stores provisioned under API load become Ready" wait_for 180 all_ready "${loaded[@]}"
wait "$wrk_pid"
grep -E 'Requests/sec|requests in' "$t_tmp/wrk.txt" | sed 's/^/# /'
check "wrk saw no socket errors and no non-2xx answers" bash -c \
	"! grep -qE 'Socket errors|Non-2xx' $t_tmp/wrk.txt && grep -q 'Requests/sec' $t_tmp/wrk.txt"
for s in "${old[@]}" "${loaded[@]}"; do kubectl delete store "$s" --wait=false >/dev/null; done
check "everything is deleted at the end" wait_for 240 all_gone "${old[@]}" "${loaded[@]}"
orch_stop "$pid"
