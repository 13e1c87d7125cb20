#!/usr/bin/env bash
# make dev: the platform on this machine. Starts the local control plane (with
# its real node, where stores run, and the images they run from),
# installs the platform chart's CRD, RBAC and admission policy, and runs the
# orchestrator natively on http://127.0.0.1:8080 as the chart's ServiceAccount
# (not the cluster admin), so every run exercises least privilege.
# The admin's API token is written to .cluster/admin-token. Ctrl-C stops it.
#
# Environment: DEV_LISTEN (127.0.0.1:8080), DEV_BASE_DOMAIN (localtest.me).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
listen=${DEV_LISTEN:-127.0.0.1:8080}

scripts/cluster-up.sh
scripts/dev-credentials.sh
mapfile -t identity <"$root/.cluster/orchestrator.flags"

cat >&2 <<MSG

  store-platform is starting on http://$listen
  admin token: $root/.cluster/admin-token   (cat it, then sign in on the dashboard)
  kubectl:     KUBECONFIG=$root/.cluster/kubeconfig kubectl get stores

MSG
PATH="$(scripts/tools.sh --dir):$PATH"
export PATH
# Stores run on the real node (scripts/cluster/node.sh) from the images built
# here, and are Ready once their storefront answers through the ingress on
# 127.0.0.1:${STORE_INGRESS_PORT:-80}. With STORE_REAL_NODE=0 only simulated
# nodes exist: no storefront can answer there, so the check is off.
node_flags=(--storefront-check=false)
if [ "${STORE_REAL_NODE:-1}" != 0 ]; then
	scripts/images.sh --load "$root/.cluster/node/containerd/containerd.sock" >&2
	node_flags=(--storefront-check --storefront-connect-to="127.0.0.1:${STORE_INGRESS_PORT:-80}"
		--store-values-file="$root/scripts/cluster/store-values.yaml")
fi
exec orchestrator/build/orchestrator "${identity[@]}" \
	--listen="$listen" \
	--base-domain="${DEV_BASE_DOMAIN:-localtest.me}" \
	--ingress-class=nginx \
	--chart-dir="$root/charts" \
	--engines-file="$root/charts/engines.yaml" \
	"${node_flags[@]}"
