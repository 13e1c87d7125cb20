#!/usr/bin/env bash
# Two orchestrator replicas share one Lease: only the leader reconciles; when it is killed,
# the other takes over within the lease duration and provisions the next store.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

lease=$t_lease
holder() { kubectl get lease -n "$t_lease_ns" "$lease" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
orch_start alpha
pid_alpha=$ORCH_PID
orch_start beta
pid_beta=$ORCH_PID
check "one replica holds the Lease" wait_for 20 bash -c \
	"h=\$(kubectl get lease -n $t_lease_ns $lease -o jsonpath='{.spec.holderIdentity}'); [ \"\$h\" = alpha ] || [ \"\$h\" = beta ]"
leader=$(holder)
if [ "$leader" = alpha ]; then
	follower=beta leader_pid=$pid_alpha follower_pid=$pid_beta
else
	follower=alpha leader_pid=$pid_beta follower_pid=$pid_alpha
fi
echo "# leader: $leader"

s1="t5a-$RANDOM"
store_apply "$s1"
check "the leader provisions a store" wait_for 90 store_is "$s1" Ready
check "only the leader reconciled it" bash -c \
	"grep -q '\"store\":\"$s1\"' $t_tmp/$leader.log && ! grep -q '\"store\":\"$s1\"' $t_tmp/$follower.log"
check "the follower stays follower" bash -c "sleep 2; [ \"\$(kubectl get lease -n $t_lease_ns $lease -o jsonpath='{.spec.holderIdentity}')\" = $leader ]"

killed_at=$(date +%s.%N)
orch_kill "$leader_pid"
check "the follower takes the Lease over" wait_for 20 bash -c \
	"[ \"\$(kubectl get lease -n $t_lease_ns $lease -o jsonpath='{.spec.holderIdentity}')\" = $follower ]"
printf '# lease handed over %.1f s after the leader was killed\n' "$(echo "$(date +%s.%N) - $killed_at" | bc)"
s2="t5b-$RANDOM"
store_apply "$s2"
check "the new leader provisions the next store" wait_for 90 store_is "$s2" Ready
check "the new leader did it" grep -q "\"store\":\"$s2\"" "$t_tmp/$follower.log"
check "lease transitions are counted" bash -c \
	"kubectl get lease -n $t_lease_ns $lease -o json | jq -e '.spec.leaseTransitions >= 1'"
kubectl delete store "$s1" "$s2" --wait=false >/dev/null
check "the new leader deletes both stores" wait_for 120 bash -c \
	"! kubectl get store $s1 >/dev/null 2>&1 && ! kubectl get store $s2 >/dev/null 2>&1"
orch_stop "$follower_pid"
check "a stopping leader releases the Lease" bash -c \
	"[ -z \"\$(kubectl get lease -n $t_lease_ns $lease -o jsonpath='{.spec.holderIdentity}')\" ]"
