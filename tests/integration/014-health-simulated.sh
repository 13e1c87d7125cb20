#!/usr/bin/env bash
# Health after Ready on the simulated nodes (no storefront: nothing serves there, so
# the check is off and health is the workloads' and restarts'): the shop scaled
# beyond its namespace's quota cannot get its replicas, so the Ready store becomes
# Degraded with the replica count; an orchestrator restarted while it is Degraded
# keeps it so (the phase is in the Store, not in memory) and, once the shop is
# scaled back, moves it to Ready again; a second store, healthy, stays Ready
# throughout. Drift repair is off (--drift-interval=0): it would scale the shop back.
# Prints the times from the fault to Degraded and from the fix to Ready.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

flags=(--no-leader-elect --health-interval=2s --drift-interval=0)
orch_start sim "${flags[@]}"
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/sim.log"
s="hsim-$RANDOM" calm="hcalm-$RANDOM"
store_apply "$s"
store_apply "$calm"
both_ready() { store_is "$s" Ready && store_is "$calm" Ready; }
check "two stores Ready on the simulated nodes" wait_for 120 both_ready || exit 1

message() { kubectl get store "$s" -o jsonpath='{.status.message}' 2>/dev/null; }
over_quota() { store_is "$s" Degraded && [[ $(message) == *"deployment store-$s-wordpress: "*" of 5 replicas ready"* ]]; }
t0=$(date +%s.%N)
kubectl -n "store-$s" scale "deployment/store-$s-wordpress" --replicas=5 >/dev/null
check "the shop scaled past its quota -> Degraded, with its replica count" wait_for 30 over_quota
printf '# scaled past the quota -> Degraded: %.1f s; message: %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$(message)"

orch_kill "$ORCH_PID"
orch_start sim2 "${flags[@]}"
check "a restarted orchestrator keeps it Degraded" bash -c \
	"sleep 5; [ \"\$(kubectl get store $s -o jsonpath='{.status.phase}')\" = Degraded ]"
t0=$(date +%s.%N)
kubectl -n "store-$s" scale "deployment/store-$s-wordpress" --replicas=1 >/dev/null
check "scaled back -> Ready again by itself" wait_for 60 store_is "$s" Ready
printf '# scaled back -> Ready: %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
check "the healthy store stayed Ready throughout" bash -c \
	"kubectl get store $calm -o json | jq -e '.status.phase == \"Ready\" and ([.status.activity[].message | select(startswith(\"Degraded\"))] | length == 0)'"
check "the release was not touched (one revision: a check only reads)" [ "$(release_revisions "$s")" = 1 ]
exit 0
