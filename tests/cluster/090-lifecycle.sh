#!/usr/bin/env bash
# The cluster scripts' own contract, on a second, throw-away cluster so the
# project's cluster keeps running: cluster-up is idempotent, brings a stopped
# cluster back, and cluster-down leaves no process, port or file behind.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export CLUSTER_NAME="lifecycle-$$" CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d)/cluster
trap '"$root/scripts/cluster-down.sh" >/dev/null 2>&1; rm -rf "$(dirname "$CLUSTER_DIR")"' EXIT
kc() { kubectl --kubeconfig "$CLUSTER_DIR/kubeconfig" "$@"; }
component_pid() { cat "$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME/pids/$1.pid"; }
apiserver_pid() { component_pid kube-apiserver; }
ports() { # the TCP ports our processes listen on
	local pids
	pids=$(pgrep -f "$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME/bin/" | paste -sd'|')
	[ -n "$pids" ] || return 0
	ss -ltnpH | grep -E "pid=($pids)," | awk '{print $4}'
}

check "cluster-up creates a cluster" "$root/scripts/cluster-up.sh"
check "its nodes are Ready" kc wait --for=condition=Ready node --all --timeout=30s
first=$(apiserver_pid)
listening=$(ports)
check "every component listens on loopback only" bash -c "[ -n '$listening' ] && ! grep -qv '^127\.0\.0\.1:' <<<'$listening'"
check "a second cluster-up reuses the running cluster" bash -c "'$root/scripts/cluster-up.sh' && [ \"\$(cat '$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME/pids/kube-apiserver.pid')\" = '$first' ]"

kc create configmap survives -n default >/dev/null
pkill -9 -f "$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME/bin/"
sleep 0.5
check "cluster-up starts a cluster whose processes died" "$root/scripts/cluster-up.sh"
check "and its data survived" kc get configmap survives -n default
kc create deployment after-restart --image=pause -n default >/dev/null
check "and runs pods at once (the dead processes' Leases do not hold it up)" \
	kc wait --for=condition=Available deployment/after-restart -n default --timeout=30s

kill -9 "$(component_pid kube-controller-manager)"
check "cluster-up restarts a cluster one of whose components died" "$root/scripts/cluster-up.sh"
check "and that component runs again" bash -c \
	"awk '/^State:/ {exit \$2 == \"Z\"}' /proc/\$(cat '$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME/pids/kube-controller-manager.pid')/status"
kc create deployment after-kcm --image=pause -n default >/dev/null
check "and its controllers work" \
	kc wait --for=condition=Available deployment/after-kcm -n default --timeout=30s

kc apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: left, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
YAML
wait_for 30 bash -c "[ \"\$(kubectl --kubeconfig '$CLUSTER_DIR/kubeconfig' get pvc left -n default -o jsonpath='{.status.phase}')\" = Bound ]"
volume=$(kc get pv -o jsonpath='{.items[0].spec.hostPath.path}')
listening=$(ports)

check "cluster-down succeeds" "$root/scripts/cluster-down.sh"
no_process() {
	local left
	left=$(pgrep -fa "$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME/bin/")
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}
check "no process is left" no_process
port_free() {
	local p
	for p in $listening; do
		! ss -ltnH | awk '{print $4}' | grep -qx "$p" || { echo "$p still listening"; return 1; }
	done
}
check "no port is left" port_free
check "no file is left" bash -c "[ ! -e '$CLUSTER_DIR' ] && [ -n '$volume' ] && [ ! -e '$volume' ]"
