#!/usr/bin/env bash
# Stores that cannot work, for real, on the local cluster's real node: the
# status names the cause a shop owner or operator can act on while the store
# retries, and the Failed message names it when the provisioning time is up;
# never only "timeout". Each case is an orchestrator whose store values
# (--store-values-file, on top of scripts/cluster/store-values.yaml) break
# the store one way:
#   - the shop's image does not exist on the node (ErrImageNeverPull)
#   - the shop's container exits at once (CrashLoopBackOff)
#   - the database's memory limit is below what MariaDB needs (OOMKilled)
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

if ! "$root/scripts/cluster/node.sh" status; then
	echo "not ok - the real node is Ready (make cluster-up starts it)"
	exit 1
fi

# The phase, and what the status says of the store: its message and the WorkloadsReady condition's.
message() {
	kubectl get store "$1" -o json 2>/dev/null |
		jq -r '.status.phase + ": " + .status.message + " | " + ([.status.conditions[]? | select(.type == "WorkloadsReady") | .message] | join(""))'
}
says() { message "$1" | grep -qE -- "$2"; }

# case NAME REGEX VALUES: a store with VALUES must report REGEX while retrying and in its Failed message.
case_() {
	local name=$1 re=$2 values=$3 s pid
	s="rf-$name-$RANDOM"
	{
		cat "$root/scripts/cluster/store-values.yaml"
		printf '%s\n' "$values"
	} >"$t_tmp/$name.yaml"
	orch_start "$name" --no-leader-elect --storefront-check=false --provision-timeout=75s \
		--store-values-file="$t_tmp/$name.yaml"
	pid=$ORCH_PID
	store_apply "$s"
	check "$name: reported while the store retries ($re)" wait_for 70 says "$s" "^Provisioning: .*($re)"
	echo "# $(message "$s")"
	check "$name: Failed when its time is up (75 s), naming the cause" wait_for 130 says "$s" "^Failed: .*($re)"
	echo "# $(message "$s")"
	kubectl delete store "$s" --wait=false >/dev/null 2>&1
	wait_for 120 store_gone "$s" >/dev/null
	orch_stop "$pid"
}

case_ missing-image "ErrImageNeverPull|not present with pull policy of Never" "wordpress:
  image:
    tag: does-not-exist
    pullPolicy: Never"
case_ crash-loop "CrashLoopBackOff" "wordpress:
  image:
    repository: store-platform/busybox
    tag: \"1\""
case_ database-oom "OOMKilled" "plan:
  database:
    resources:
      requests: {cpu: 100m, memory: 20Mi}
      limits: {cpu: 500m, memory: 20Mi}"
exit 0
