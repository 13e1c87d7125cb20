#!/usr/bin/env bash
# charts/store with suspended=true, as the orchestrator renders a suspended
# store (charts/engines.yaml passes ${suspended}): the shop Deployment and the
# database StatefulSet at 0 replicas, no Ingress (the host shows nothing of the
# store), no setup Job; every volume claim (the uploads PVC and the
# StatefulSet's claim template) and everything else the same as when running,
# so suspending keeps the data and resuming finds it. Without a cluster.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in values.yaml values-local.yaml values-prod.yaml; do
	args=("${base_sets[@]}")
	[ "$f" = values.yaml ] || args=(-f "$chart/$f")
	check "helm lint --strict, suspended ($f)" helm lint --strict "$chart" "${args[@]}" --set suspended=true
	render "${args[@]}" >"$tmp/run.yaml" 2>&1
	render "${args[@]}" --set suspended=true >"$tmp/sus.yaml" 2>&1
	summary "$tmp/run.yaml" | sort >"$tmp/run.txt"
	summary "$tmp/sus.yaml" | sort >"$tmp/sus.txt"
	check "running: shop and database at 1 replica ($f)" bash -c \
		"grep -q '^Deployment/store-demo-wordpress replicas=1\$' '$tmp/run.txt' && grep -q '^StatefulSet/store-demo-mariadb replicas=1\$' '$tmp/run.txt'"
	check "running: an Ingress and a setup Job ($f)" bash -c \
		"grep -q '^Ingress/' '$tmp/run.txt' && grep -q '^Job/store-demo-setup-r1\$' '$tmp/run.txt'"
	check "suspended: shop and database at 0 replicas ($f)" bash -c \
		"grep -q '^Deployment/store-demo-wordpress replicas=0\$' '$tmp/sus.txt' && grep -q '^StatefulSet/store-demo-mariadb replicas=0\$' '$tmp/sus.txt'"
	check "suspended: no Ingress, no setup Job ($f)" bash -c "! grep -qE '^(Ingress|Job)/' '$tmp/sus.txt'"
	# what stays: every other object, every claim and claim template, unchanged
	grep -vE '^(Ingress|Job)/|^(Deployment|StatefulSet)/' "$tmp/run.txt" >"$tmp/run-kept.txt"
	grep -vE '^(Deployment|StatefulSet)/' "$tmp/sus.txt" >"$tmp/sus-kept.txt"
	check "suspended: the same claims, Services, policies, quota and limits as running ($f)" \
		diff "$tmp/run-kept.txt" "$tmp/sus-kept.txt"
	check "suspended: the claims are still there to keep ($f)" bash -c \
		"grep -q '^pvc store-demo-wordpress' '$tmp/sus.txt' && grep -q '^claimTemplate store-demo-mariadb/' '$tmp/sus.txt'"
	check "suspended: pods still restricted, with requests, limits and probes ($f)" check_manifests <"$tmp/sus.yaml"
done

check_not "schema: suspended must be a boolean" render "${base_sets[@]}" --set-string suspended=yes
check "NOTES say the store is suspended" bash -c \
	"helm install --dry-run store-demo '$chart' -n store-demo ${base_sets[*]} --set suspended=true 2>&1 | grep -q 'is suspended'"

# The engine table passes the variable, so the orchestrator's values carry it.
check "charts/engines.yaml passes \${suspended} to the store chart" \
	grep -qE '^ +suspended: "\$\{suspended\}"' "$root/charts/engines.yaml"
exit 0
