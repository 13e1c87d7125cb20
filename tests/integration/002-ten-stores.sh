#!/usr/bin/env bash
# Ten Stores applied at once: all become Ready, never more than --max-provisioning of them
# provision at the same time (the rest wait in Pending), and no release is installed twice.
# Then all ten are deleted and nothing stays behind. Reports time to Ready and memory.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

cap=4
orch_start ten --no-leader-elect --max-provisioning=$cap --workers=4
pid=$ORCH_PID
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/ten.log"
names=()
for i in $(seq -w 1 10); do names+=("t2-$i-$RANDOM"); done

all_ready() {
	local n
	for n in "${names[@]}"; do store_is "$n" Ready || return 1; done
}
provisioning_now() {
	kubectl get stores -l "storeplatform.dev/test-run=$t_run" -o json |
		jq '[.items[] | select(.status.phase == "Provisioning")] | length'
}

start=$(date +%s.%N)
apply_pids=()
for n in "${names[@]}"; do
	store_apply "$n" &
	apply_pids+=($!)
done
wait "${apply_pids[@]}"
max_seen=0
saw_pending=0
deadline=$((SECONDS + 180))
while [ $SECONDS -lt $deadline ] && ! all_ready; do
	p=$(provisioning_now)
	[ "$p" -gt "$max_seen" ] && max_seen=$p
	kubectl get stores -l "storeplatform.dev/test-run=$t_run" -o json |
		jq -e '.items[] | select(.status.phase == "Pending" and (.status.message // "" | test("queued")))' >/dev/null 2>&1 && saw_pending=1
	sleep 0.3
done
ready_s=$(echo "$(date +%s.%N) - $start" | bc)
check "all ten stores become Ready" all_ready
printf '# 10 stores apply -> all Ready: %.1f s\n' "$ready_s"
check "at most $cap provisioned at once (saw $max_seen)" test "$max_seen" -le "$cap"
check "stores beyond the cap waited in Pending with a queued message" test "$saw_pending" = 1
for n in "${names[@]}"; do
	check "store $n: release installed once" test "$(release_revisions "$n")" = 1
done
rss_busy=$(rss_kib "$pid")
printf '# orchestrator RSS with 10 stores: %s KiB\n' "$rss_busy"

start=$(date +%s.%N)
kubectl delete stores -l "storeplatform.dev/test-run=$t_run" --wait=false >/dev/null
all_gone() {
	local n
	for n in "${names[@]}"; do store_gone "$n" && ns_gone "$n" || return 1; done
}
check "all ten are deleted with their namespaces" wait_for 180 all_gone
printf '# 10 stores delete -> all gone: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
no_volumes() {
	local n
	for n in "${names[@]}"; do
		kubectl get pv -o json | jq -e --arg ns "store-$n" '.items[] | select(.spec.claimRef.namespace == $ns)' >/dev/null && return 1
	done
	return 0
}
check "no store volume is left" wait_for 60 no_volumes
kill -USR1 "$pid"
sleep 0.5
check "metrics show the reconciles and the queue" bash -c \
	"grep -q '^storeplatform_reconciles_total [1-9]' $t_tmp/ten.metrics && grep -q '^storeplatform_queue_depth ' $t_tmp/ten.metrics"
orch_stop "$pid"
