#!/usr/bin/env bash
# kill -9 of the orchestrator (and the helm it runs, as a pod kill does) in the middle of
# provisioning and in the middle of deleting: after a restart everything converges, nothing
# leaks (namespaces, volumes, helm records) and nothing is duplicated (one release revision).
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

# --- mid-provisioning -----------------------------------------------------------------
s="t3-$RANDOM"
ns="store-$s"
orch_start first --no-leader-elect
pid=$ORCH_PID
store_apply "$s"
# Kill as soon as helm has started writing the release (its record in pending-install), or
# at the latest once any helm record exists.
state=""
for _ in $(seq 1 400); do
	state=$(kubectl get secrets -n "$ns" -l "owner=helm,name=$ns" -o jsonpath='{.items[*].metadata.labels.status}' 2>/dev/null)
	[ -n "$state" ] && break
	sleep 0.05
done
orch_kill "$pid"
echo "# killed with the helm release in state: ${state:-none}"
check "store is caught mid-provisioning" store_is "$s" Provisioning
orch_start second --no-leader-elect
pid=$ORCH_PID
check "after the restart the store becomes Ready" wait_for 90 store_is "$s" Ready
check "one release revision, deployed" bash -c \
	"helm history $ns -n $ns -o json | jq -e 'length == 1 and .[0].status == \"deployed\"'"
check "no helm record left pending" bash -c \
	"! kubectl get secrets -n $ns -l owner=helm -o jsonpath='{.items[*].metadata.labels.status}' | grep -q pending"
check "one credentials Secret" test "$(kubectl get secrets -n "$ns" -l storeplatform.dev/store="$s" -o name | wc -l)" = 1
check "one setup Job and one shop Deployment" bash -c \
	"[ \$(kubectl get jobs -n $ns -o name | wc -l) = 1 ] && [ \$(kubectl get deploy -n $ns -o name | wc -l) = 1 ]"
if grep -q 'removed record' "$t_tmp/second.log"; then
	echo "# the restarted orchestrator recovered a pending helm record"
fi

# --- mid-deleting ---------------------------------------------------------------------
kubectl delete store "$s" --wait=false >/dev/null
check "deletion starts" wait_for 30 bash -c \
	"[ \"\$(kubectl get store $s -o jsonpath='{.status.phase}')\" = Deleting ] || kubectl get ns $ns -o jsonpath='{.status.phase}' | grep -q Terminating"
orch_kill "$pid"
check "the finalizer keeps the Store while the orchestrator is down" bash -c \
	"sleep 2; kubectl get store $s -o json | jq -e '.metadata.deletionTimestamp != null'"
orch_start third --no-leader-elect
pid=$ORCH_PID
check "after the restart the store is gone" wait_for 120 store_gone "$s"
check "its namespace is gone" ns_gone "$s"
check "its volumes are gone" wait_for 60 bash -c \
	"! kubectl get pv -o json | jq -e '.items[] | select(.spec.claimRef.namespace == \"$ns\")' | grep -q ."
orch_stop "$pid"
