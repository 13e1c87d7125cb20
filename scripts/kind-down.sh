#!/usr/bin/env bash
# make down: deletes the kind cluster made by `make up` (scripts/kind-up.sh), with every store in
# it, and its kubeconfig. The images stay in the local Docker image store. Idempotent.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${KIND_CLUSTER_NAME:-store-platform}

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

command -v kind >/dev/null || { log "missing: kind (https://kind.sigs.k8s.io/)"; exit 1; }
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
	log "deleting kind cluster $cluster"
	kind delete cluster --name "$cluster"
else
	log "no kind cluster $cluster"
fi
rm -f "$root/.cluster/kind.kubeconfig"
