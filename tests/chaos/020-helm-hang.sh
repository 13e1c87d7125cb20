#!/usr/bin/env bash
# helm hanging: the store's chart (tests/fixtures/charts-hang) has a pre-install hook that
# never ends. The provisioning timeout fires while helm still waits: the store goes to Failed
# with the reason, and no helm process of that release is left (its process group is killed).
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../integration/_orchestrator.sh
. "$(dirname "$0")/../integration/_orchestrator.sh"

s="h${t_run}"
orch_start hang --no-leader-elect --chart-dir="$root/tests/fixtures/charts-hang" \
	--provision-timeout=10s --helm-timeout=60s
pid=$ORCH_PID
store_apply "$s"
check "helm starts and hangs on the hook" wait_for 30 pgrep -f "upgrade --install store-$s "
check "the provisioning timeout fails the store well before helm's own deadline" wait_for 30 store_is "$s" Failed
kubectl get store "$s" -o json | jq -r '"# reason: \(.status.reason): \(.status.message)"'
check "the reason says why: Timeout, within the 10 s limit" bash -o pipefail -c \
	"kubectl get store $s -o json | jq -e '.status.reason == \"Timeout\" and (.status.message | test(\"within 10 s\"))'"
no_helm_left() { # STORE; a function, not bash -c: pgrep -f would match that shell's own command line
	local left
	left=$(pgrep -af "helm.* store-$1 ")
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}
check "no helm process of the release is left" wait_for 10 no_helm_left "$s"
check "the orchestrator is still serving" kill -0 "$pid"
check "its namespace is cleaned up" wait_for 60 ns_gone "$s"
orch_stop "$pid"

# A leader that loses its Lease while helm runs for it: the helm is cancelled (its process
# group killed), so it cannot go on next to the new leader's. The Lease is taken over by
# hand here (another holder, renewed now), as a replica whose API server hung would see it.
s2="g${t_run}"
orch_start lose --chart-dir="$root/tests/fixtures/charts-hang" --provision-timeout=5m --helm-timeout=5m
pid=$ORCH_PID
check "the leader runs helm, which hangs on the hook" bash -c "
	$(declare -f wait_for); wait_for 30 grep -q 'acquired leadership' '$t_tmp/lose.log'" &&
	store_apply "$s2" && check "helm starts" wait_for 30 pgrep -f "upgrade --install store-$s2 "
taken=$(date +%s%3N)
kubectl patch lease -n "$t_lease_ns" "$t_lease" --type=merge -p "{\"spec\":{\"holderIdentity\":\"chaos-$t_run\",\"leaseDurationSeconds\":30,\"renewTime\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)\"}}" >/dev/null
check "the replica notices it lost the Lease" wait_for 10 grep -q 'lost leadership' "$t_tmp/lose.log"
check "its helm is cancelled: no helm process of the release is left" wait_for 10 no_helm_left "$s2"
printf '# Lease taken -> helm gone: %d ms\n' "$(($(date +%s%3N) - taken))"
check "the replica keeps running as a follower" kill -0 "$pid"
orch_stop "$pid"
# give the Lease back for whoever runs next
kubectl patch lease -n "$t_lease_ns" "$t_lease" --type=merge -p '{"spec":{"holderIdentity":null}}' >/dev/null
