#!/usr/bin/env bash
# One store through its whole life with the real orchestrator binary: kubectl apply a Store
# -> Ready with everything a store needs in store-<name>; Events and status tell the story;
# kubectl delete -> the Store, the release, the namespace and the volumes are all gone.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

s="t1-$RANDOM"
ns="store-$s"
orch_start one --no-leader-elect
pid=$ORCH_PID
check "orchestrator starts and stays up" wait_for 10 grep -q '"orchestrator running' "$t_tmp/one.log"
sleep 1
rss_rest=$(rss_kib "$pid")

start=$(date +%s.%N)
store_apply "$s"
check "store becomes Ready" wait_for 90 store_is "$s" Ready
ready_s=$(echo "$(date +%s.%N) - $start" | bc)
printf '# apply -> Ready: %.1f s\n' "$ready_s"

check "namespace is managed and PodSecurity restricted" bash -c \
	"kubectl get ns $ns -o json | jq -e '.metadata.labels[\"app.kubernetes.io/managed-by\"] == \"store-platform\" and .metadata.labels[\"pod-security.kubernetes.io/enforce\"] == \"restricted\" and .metadata.labels[\"storeplatform.dev/store\"] == \"$s\"'"
check "credentials Secret has the 13 keys the chart reads" bash -c \
	"kubectl get secret -n $ns $ns-credentials -o json | jq -e '.data | (keys | length) == 13 and has(\"mariadb-root-password\") and has(\"wordpress-admin-password\") and has(\"nonce-salt\")'"
check "ResourceQuota exists" bash -c "kubectl get resourcequota -n $ns -o name | grep -q ."
check "LimitRange exists" bash -c "kubectl get limitrange -n $ns -o name | grep -q ."
check "NetworkPolicy exists" bash -c "kubectl get networkpolicy -n $ns -o name | grep -q ."
check "PVCs are Bound" bash -c \
	"kubectl get pvc -n $ns -o json | jq -e '(.items | length) >= 2 and all(.items[]; .status.phase == \"Bound\")'"
check "Service exists" bash -c "kubectl get service -n $ns -o name | grep -q ."
check "Ingress has host $s.localtest.me" bash -c \
	"kubectl get ingress -n $ns -o json | jq -e '[.items[].spec.rules[].host] | index(\"$s.localtest.me\") != null'"
check "status has the URL, the revision and five True conditions" bash -c \
	"kubectl get store $s -o json | jq -e '.status.url == \"http://$s.localtest.me/\" and .status.adminUrl == \"http://$s.localtest.me/wp-admin/\" and .status.helmRevision == 1 and .status.observedGeneration == 1 and ([.status.conditions[] | select(.status == \"True\")] | length == 5) and .status.readyAt != null'"
check "kubectl get stores shows phase, URL and owner" bash -c \
	"kubectl get stores $s --no-headers | grep -E 'Ready +http://$s.localtest.me/ +tester'"
check "an Event was recorded for each transition" bash -c \
	"kubectl get events -n default --field-selector involvedObject.name=$s,involvedObject.kind=Store -o json | jq -e '[.items[].reason] | (index(\"Pending\") != null) and (index(\"Provisioning\") != null) and (index(\"Ready\") != null)'"
check "the release was installed once" test "$(release_revisions "$s")" = 1
check "no secret reaches the Helm values" bash -c \
	"! helm get values $ns -n $ns -o json | grep -qi -e password -e salt"
check "finalizer protects the store" bash -c \
	"kubectl get store $s -o json | jq -e '.metadata.finalizers | index(\"storeplatform.dev/cleanup\") != null'"
check "status shows an activity log" bash -c \
	"kubectl get store $s -o json | jq -e '.status.activity | length >= 3'"

# A deleted namespace is set up again (level-triggered repair).
kubectl delete namespace "$ns" --wait=false >/dev/null
check "a store whose namespace vanished is repaired" wait_for 120 bash -c \
	"kubectl get store $s -o json | jq -e '.status.phase == \"Ready\" and (.status.activity | map(.message) | any(test(\"disappeared\")))' && kubectl get ns $ns -o json | jq -e '.status.phase == \"Active\"'"

kill -USR1 "$pid"
sleep 0.5
check "metrics count stores by phase and provisioning time" bash -c \
	"grep -q '^storeplatform_stores{phase=\"Ready\"} 1' $t_tmp/one.metrics && grep -q '^storeplatform_provisioning_duration_seconds_count 2' $t_tmp/one.metrics && grep -q '^storeplatform_helm_duration_seconds_count{op=\"upgrade\",result=\"success\"}' $t_tmp/one.metrics"

start=$(date +%s.%N)
kubectl delete store "$s" --wait=false >/dev/null
check "deleted store disappears" wait_for 120 store_gone "$s"
printf '# delete -> gone: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
check "its namespace is gone" ns_gone "$s"
check "its volumes are gone" wait_for 60 bash -c \
	"! kubectl get pv -o json | jq -e '.items[] | select(.spec.claimRef.namespace == \"$ns\")' | grep -q ."
check "no secret or credentials leaked into the log" bash -c \
	"! grep -qiE 'password\"?:|BEGIN (RSA|EC|PRIVATE)' $t_tmp/one.log"
printf '# orchestrator RSS at rest: %s KiB\n' "$rss_rest"
orch_stop "$pid"
check "orchestrator stops cleanly on SIGTERM" bash -c "grep -q 'stopping' $t_tmp/one.log"
