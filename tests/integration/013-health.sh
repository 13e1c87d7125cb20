#!/usr/bin/env bash
# Health after Ready, on the real node: a Ready store that stops serving becomes
# Degraded with a reason a shop owner can act on, and Ready again by itself once it
# serves. Three ways to stop serving: the shop scaled to zero and the database scaled
# to zero (each named as such), and the database container killed twice (restarts
# within the window, with how the last one ended). Each move is an Event, an activity
# entry and a metric. Short timings for the test: --health-interval=3s,
# --health-restarts=2, --health-window=40s; drift repair is off (--drift-interval=0),
# since it would scale the workloads back by itself (015-drift.sh tests that). Prints
# the time from each fault to Degraded and from the fix to Ready.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

port=${STORE_INGRESS_PORT:-80}
sock="$root/.cluster/node/containerd/containerd.sock"
if ! "$root/scripts/cluster/node.sh" status; then
	echo "not ok - the real node is Ready (make cluster-up starts it)"
	exit 1
fi

s="health-$RANDOM"
ns="store-$s"
orch_start health --no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port" \
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=5m \
	--health-interval=3s --health-restarts=2 --health-window=40s --drift-interval=0
pid=$ORCH_PID
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/health.log"
store_apply "$s"
check "the store becomes Ready" wait_for 300 store_is "$s" Ready || exit 1

message() { kubectl get store "$s" -o jsonpath='{.status.message}' 2>/dev/null; }
degraded_with() { store_is "$s" Degraded && [[ $(message) == *"$1"* ]]; }
since() { echo "$(date +%s.%N) - $1" | bc; }
shop="deployment/$ns-wordpress"
db="statefulset/$ns-mariadb"

# 1. The shop scaled to zero: the storefront has nobody behind it.
t0=$(date +%s.%N)
kubectl -n "$ns" scale "$shop" --replicas=0 >/dev/null
check "shop scaled to 0 -> Degraded: it is scaled to 0" wait_for 60 degraded_with "deployment $ns-wordpress is scaled to 0 replicas: nothing runs"
printf '# shop scaled to 0 -> Degraded: %.1f s; message: %s\n' "$(since "$t0")" "$(message)"
t0=$(date +%s.%N)
kubectl -n "$ns" scale "$shop" --replicas=1 >/dev/null
check "shop back -> Ready again by itself" wait_for 120 store_is "$s" Ready
printf '# shop back -> Ready: %.1f s\n' "$(since "$t0")"

# 2. The database scaled to zero: the shop answers, with an error.
t0=$(date +%s.%N)
kubectl -n "$ns" scale "$db" --replicas=0 >/dev/null
no_db() { degraded_with "statefulset $ns-mariadb is scaled to 0 replicas: nothing runs"; }
check "database scaled to 0 -> Degraded" wait_for 60 no_db
printf '# database scaled to 0 -> Degraded: %.1f s; message: %s\n' "$(since "$t0")" "$(message)"
t0=$(date +%s.%N)
kubectl -n "$ns" scale "$db" --replicas=1 >/dev/null
check "database back -> Ready again" wait_for 180 store_is "$s" Ready
printf '# database back -> Ready: %.1f s\n' "$(since "$t0")"

# 3. The database container killed twice: restarts within the window.
db_pod="$ns-mariadb-0"
restarts() { kubectl -n "$ns" get pod "$db_pod" -o jsonpath='{.status.containerStatuses[0].restartCount}' 2>/dev/null; }
running_again() { # RESTARTS: the container came back that many times and runs
	[ "$(restarts)" -ge "$1" ] &&
		[ "$(kubectl -n "$ns" get pod "$db_pod" -o jsonpath='{.status.containerStatuses[0].state.running}')" != "" ]
}
kill_db() {
	local id
	id=$(kubectl -n "$ns" get pod "$db_pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
	ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "${id#containerd://}" >/dev/null 2>&1
}
base=$(restarts)
t0=$(date +%s.%N)
kill_db
check "the database container was killed and restarted" wait_for 60 running_again $((base + 1))
kill_db
check "... twice" wait_for 90 running_again $((base + 2))
check "2 restarts in the window -> Degraded, saying how the database last ended" \
	wait_for 30 degraded_with "containers restarted 2 times in 40 s; the database (pod $db_pod, container mariadb) last ended:"
printf '# two kills -> Degraded: %.1f s; message: %s\n' "$(since "$t0")" "$(message)"
t0=$(date +%s.%N)
check "a window without restarts -> Ready again" wait_for 120 store_is "$s" Ready
printf '# last restart -> Ready again: %.1f s\n' "$(since "$t0")"

# Every move is recorded: Events, the activity log, the metric.
moves() { # TYPE REASON: how many Events of the store say so
	kubectl get events -A --field-selector "involvedObject.kind=Store,involvedObject.name=$s" -o json |
		jq --arg t "$1" --arg r "$2" '[.items[] | select(.type == $t and .reason == $r) | .count // 1] | add // 0'
}
recorded() {
	local d r
	d=$(moves Warning Degraded) r=$(moves Normal Ready)
	if [ "$d" -ge 3 ] && [ "$r" -ge 4 ]; then return 0; fi
	echo "Degraded: $d, Ready: $r"
	return 1
}
check "an Event per move: 3 x Warning Degraded, and Normal Ready after each" recorded
logged() { kubectl get store "$s" -o json | jq -e '[.status.activity[]?.message | select(startswith("Degraded"))] | length >= 3'; }
check "the activity log has each Degraded" logged
kill -USR1 "$pid"
check "the metric counts the moves" wait_for 5 grep -q '^storeplatform_store_health_transitions_total{to="Degraded"} [3-9]' "$t_tmp/health.metrics"
check "... and the checks" grep -q '^storeplatform_store_health_checks_total{result="healthy"} [1-9]' "$t_tmp/health.metrics"

kubectl delete store "$s" --wait=false >/dev/null
check "the store is gone" wait_for 180 store_gone "$s"
exit 0
