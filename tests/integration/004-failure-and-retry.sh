#!/usr/bin/env bash
# A store that cannot become ready (its volumes ask for a StorageClass that does not exist)
# goes to Failed after the provisioning timeout, with a reason naming the cause; its release
# and namespace are removed but the Store stays so its owner sees why. A retry (the
# storeplatform.dev/retry annotation) on a healthy configuration provisions it from scratch.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

s="t4-$RANDOM"
orch_start bad --no-leader-elect --storage-class=no-such-class --provision-timeout=20s
pid=$ORCH_PID
store_apply "$s"
check "store goes to Failed" wait_for 60 store_is "$s" Failed
check "reason is Timeout and the message names the cause" bash -c \
	"kubectl get store $s -o json | jq -e '.status.reason == \"Timeout\" and (.status.message | test(\"volume claim\")) and (.status.message | test(\"no-such-class\"))'"
kubectl get store "$s" -o jsonpath='{.status.message}' | sed 's/^/# message: /'
echo
check "WorkloadsReady is False with the cause" bash -c \
	"kubectl get store $s -o json | jq -e '.status.conditions[] | select(.type == \"WorkloadsReady\") | .status == \"False\" and (.message | test(\"no-such-class\"))'"
check "its namespace is cleaned up" wait_for 90 ns_gone "$s"
check "the Store is kept" bash -c "kubectl get store $s >/dev/null"
check "a Warning Event says why" bash -c \
	"kubectl get events -n default --field-selector involvedObject.name=$s,reason=Failed -o json | jq -e '.items[0].type == \"Warning\"'"
kill -USR1 "$pid"
sleep 0.5
check "failures are counted by reason" grep -q '^storeplatform_store_failures_total{reason="Timeout"} 1' "$t_tmp/bad.metrics"
check "a Failed store stays Failed without a retry" bash -c "sleep 2; [ \"\$(kubectl get store $s -o jsonpath='{.status.phase}')\" = Failed ]"
orch_stop "$pid"

orch_start good --no-leader-elect
kubectl annotate store "$s" storeplatform.dev/retry="$(date +%s)" --overwrite >/dev/null
check "after a retry the store becomes Ready" wait_for 90 store_is "$s" Ready
check "the retry is recorded" bash -c \
	"kubectl get store $s -o json | jq -e '.status.observedRetry != null and (.status.activity | map(.message) | any(test(\"retry requested\"))) and .status.reason == null'"
kubectl delete store "$s" --wait=false >/dev/null
check "and it can be deleted" wait_for 90 store_gone "$s"
