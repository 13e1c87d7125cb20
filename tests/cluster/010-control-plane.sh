#!/usr/bin/env bash
# The control plane is the one the project pins: both simulated nodes are
# Ready, and every component reports the pinned Kubernetes version.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
. "$root/tools/versions.env"

check "api server is ready" kubectl get --raw /readyz
nodes_ready() {
	local n
	n=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')
	[ "$n" -ge 2 ] || { echo "ready nodes: $n"; return 1; }
}
check "two nodes Ready" nodes_ready
node_capacity() {
	local cpu
	cpu=$(kubectl get node kwok-node-1 -o jsonpath='{.status.allocatable.cpu}')
	[ "$cpu" = 8 ] || { echo "kwok-node-1 allocatable cpu: $cpu"; return 1; }
}
check "nodes have realistic capacity" node_capacity
version_is_pinned() {
	local v
	v=$(kubectl get --raw /version | jq -r .gitVersion)
	[ "$v" = "v$KUBE_VERSION" ] || { echo "/version says $v, pinned v$KUBE_VERSION"; return 1; }
}
check "/version reports v$KUBE_VERSION" version_is_pinned
check "default StorageClass exists" bash -o pipefail -c "kubectl get storageclass -o json | jq -e '.items[] | select(.metadata.annotations[\"storageclass.kubernetes.io/is-default-class\"]==\"true\")'"
check "IngressClass nginx exists" kubectl get ingressclass nginx
