#!/usr/bin/env bash
# make dev: the platform on this machine. Starts the local control plane,
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
# The simulated cluster runs no containers, so no storefront answers HTTP:
# the storefront check is off here and on in the platform chart.
exec orchestrator/build/orchestrator "${identity[@]}" \
	--listen="$listen" \
	--base-domain="${DEV_BASE_DOMAIN:-localtest.me}" \
	--ingress-class=nginx \
	--chart-dir="$root/charts" \
	--engines-file="$root/charts/engines.yaml" \
	--storefront-check=false
