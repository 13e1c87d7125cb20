#!/usr/bin/env bash
# helm works against the control plane: an install that waits for readiness
# succeeds, and an uninstall removes what it installed.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
trap cleanup_ns EXIT
ns=$(new_ns helm)
chart="$root/tests/cluster/chart"

check "helm upgrade --install --wait succeeds" helm upgrade --install check "$chart" -n "$ns" --wait --timeout 90s
check "release is deployed" bash -o pipefail -c "helm status check -n '$ns' -o json | jq -e '.info.status == \"deployed\"'"
check "Deployment, Service, PVC and Ingress exist" kubectl get -n "$ns" deployment/check service/check pvc/check-data ingress/check
check "the Ingress carries the host" bash -c "[ \"\$(kubectl get ingress -n '$ns' check -o jsonpath='{.spec.rules[0].host}')\" = check.localtest.me ]"
check "a second upgrade --install is a new revision, not a second release" bash -c \
	"helm upgrade --install check '$chart' -n '$ns' --wait --timeout 60s >/dev/null && [ \"\$(helm list -n '$ns' -q | wc -l)\" = 1 ] && [ \"\$(helm status check -n '$ns' -o json | jq .version)\" = 2 ]"
check "helm uninstall succeeds" helm uninstall check -n "$ns" --wait --timeout 60s
gone() {
	local left
	left=$(kubectl get deployment,service,pvc,ingress -n "$ns" -o name 2>&1)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}
check "uninstall removed every object" wait_for 30 gone
