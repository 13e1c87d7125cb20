#!/usr/bin/env bash
# Stops the local control plane and removes every trace of it: its processes,
# ports, the .cluster directory and the hostPath volumes it provisioned.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
name=${CLUSTER_NAME:-store-platform}
state=${CLUSTER_DIR:-$root/.cluster}
bin=$("$root/scripts/tools.sh" --dir)
export KWOK_WORKDIR="$state/kwok"
start=$(date +%s.%N)

# The host-path volumes still provisioned (claims not deleted before the stop).
volumes=""
if [ -f "$state/kubeconfig" ] && [ -x "$bin/kubectl" ]; then
	volumes=$("$bin/kubectl" --kubeconfig "$state/kubeconfig" --request-timeout=5s get pv \
		-o jsonpath='{range .items[*]}{.spec.hostPath.path}{"\n"}{end}' 2>/dev/null || true)
fi
# The real node first: its pods' mounts, devices, chains and cgroups.
CLUSTER_NAME=$name CLUSTER_DIR=$state "$root/scripts/cluster/node.sh" stop || true
pids=$(cat "$KWOK_WORKDIR/clusters/$name"/pids/*.pid 2>/dev/null || true)
if [ -x "$bin/kwokctl" ] && [ -d "$KWOK_WORKDIR/clusters/$name" ]; then
	"$bin/kwokctl" delete cluster --name "$name" >/dev/null 2>&1 || true
fi
# Anything of ours that kwokctl did not stop (a crash can leave strays behind).
for pid in $pids; do
	kill -9 "$pid" 2>/dev/null || true
done
pkill -9 -f "$KWOK_WORKDIR/clusters/$name/" 2>/dev/null || true
for v in $volumes; do
	case "$v" in /tmp/hostpath_pv/*) rm -rf "$v" ;; esac
done
rmdir /tmp/hostpath_pv 2>/dev/null || true
rm -rf "$state"
printf 'cluster-down: done in %.1fs\n' "$(echo "$(date +%s.%N) - $start" | bc)" >&2
