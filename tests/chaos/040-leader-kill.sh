#!/usr/bin/env bash
# Two replicas with leader election; the leader is killed (kill -9 with its helm process groups,
# as a pod kill) while stores provision. The other replica takes the Lease over once it expired:
# not before the lease duration less one retry period after the kill (the last renewal may
# precede the kill by one period), at most the duration plus two retry periods after it (the
# last renewal may be seen one period late; expiry is checked once a period), with 1 s of slack
# for a loaded machine. It then finishes the work: every store Ready, each release installed
# once (one revision, no pending helm record), the previous round's stores gone, nothing left
# without its Store; the killed replica, started again, stays follower and reconciles nothing.
# CHAOS_ROUNDS rounds (default 1), each with 10 new stores while the previous round's are
# deleted; the survivor leads the next round, so the rounds kill each replica in turn.
# Prints each hand-over time.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../integration/_orchestrator.sh
. "$(dirname "$0")/../integration/_orchestrator.sh"
trap 't_cleanup; cleanup_ns' EXIT

rounds=${CHAOS_ROUNDS:-1}
duration_ms=4000 retry_ms=500
# A Lease of this run's own, so runs sharing the control plane never contend for one; as the
# platform's ServiceAccount, with the rights the chart's role-leader.yaml gives it on its Lease.
lease_ns=$(new_ns lease)
lease="sp-chaos-$t_run"
sa=$(printf '%s\n' "${t_cred_flags[@]}" | sed -n 's|^--service-account=||p')
if [ -n "$sa" ]; then
	kubectl apply -n "$lease_ns" -f - >/dev/null <<-YAML
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {name: leader}
		rules:
		  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [create]}
		  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, update, patch], resourceNames: [$lease]}
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: leader}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: leader}
		subjects: [{kind: ServiceAccount, namespace: ${sa%%/*}, name: ${sa#*/}}]
	YAML
fi
flags=(--leader-elect --leader-elect-namespace="$lease_ns" --leader-elect-lease="$lease"
	--lease-duration="${duration_ms}ms" --lease-renew-deadline=3s --lease-retry="${retry_ms}ms"
	--max-provisioning=10)

declare -A pid_of # identity -> pid
start_replica() { orch_start "$1" "${flags[@]}"; pid_of[$1]=$ORCH_PID; }
lease_field() { kubectl get lease -n "$lease_ns" "$lease" -o jsonpath="{.spec.$1}" 2>/dev/null; }
holder_is() { [ "$(lease_field holderIdentity)" = "$1" ]; }
held() { [ -n "$(lease_field holderIdentity)" ]; }
busy() { pgrep -P "$1" >/dev/null; } # the replica runs a helm
all_ready() { local s; for s in "$@"; do store_is "$s" Ready || return 1; done; }
all_gone() { local s; for s in "$@"; do store_gone "$s" && ns_gone "$s" || return 1; done; }
phases() { # counts of this run's stores by phase
	kubectl get stores -l "storeplatform.dev/test-run=$t_run" -o json |
		jq -r '[.items[] | .status.phase // "New"] | group_by(.) | map("\(length) \(.[0])") | join(", ")'
}
reconciled_nothing() { ! grep '"store":"' "$t_tmp/$1.log"; }

start_replica alpha-0
start_replica beta-0
check "one replica holds the Lease" wait_for 20 held
old=()
for r in $(seq 1 "$rounds"); do
	leader=$(lease_field holderIdentity)
	follower=""
	for id in "${!pid_of[@]}"; do [ "$id" = "$leader" ] || follower=$id; done
	new=()
	for i in $(seq -w 1 10); do new+=("l$t_run-$r-$i"); store_apply "l$t_run-$r-$i"; done
	for s in "${old[@]}"; do kubectl delete store "$s" --wait=false >/dev/null; done
	check "round $r: the leader $leader runs helm" wait_for 60 busy "${pid_of[$leader]}"
	sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.1f", r % 20 / 10}')"
	t_kill=$(date +%s.%N)
	orch_kill "${pid_of[$leader]}"
	echo "# round $r: killed $leader; stores: $(phases)"
	unset "pid_of[$leader]"
	check "round $r: $follower takes the Lease over" wait_for 20 holder_is "$follower"
	acquired=$(date -d "$(lease_field acquireTime)" +%s.%N)
	handover_ms=$(echo "($acquired - $t_kill) * 1000 / 1" | bc)
	echo "# round $r: hand-over ${handover_ms} ms after the kill (lease duration ${duration_ms} ms, retry ${retry_ms} ms)"
	check "round $r: not before the Lease expired (>= duration - retry)" \
		test "$handover_ms" -ge $((duration_ms - retry_ms))
	check "round $r: within the lease duration + 2 retry periods (+1 s slack)" \
		test "$handover_ms" -le $((duration_ms + 2 * retry_ms + 1000))
	restarted="${leader%-*}-$r"
	start_replica "$restarted"
	check "round $r: the 10 stores become Ready" wait_for 240 all_ready "${new[@]}"
	echo "# round $r: all Ready $(printf '%.1f' "$(echo "$(date +%s.%N) - $t_kill" | bc)") s after the kill"
	check "round $r: the previous round's stores and namespaces are gone" wait_for 240 all_gone "${old[@]}"
	check "round $r: each release was installed once (one revision, no pending record)" \
		installed_once "${new[@]}"
	check "round $r: $follower still leads" holder_is "$follower"
	check "round $r: $restarted came back as a follower and reconciled nothing" reconciled_nothing "$restarted"
	old=("${new[@]}")
done
check "no namespace, release or PVC of this run without its Store" no_orphans "l$t_run-"
for s in "${old[@]}"; do kubectl delete store "$s" --wait=false >/dev/null; done
check "the last stores are deleted" wait_for 240 all_gone "${old[@]}"
for id in "${!pid_of[@]}"; do orch_stop "${pid_of[$id]}"; done
