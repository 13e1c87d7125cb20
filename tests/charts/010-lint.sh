#!/usr/bin/env bash
# charts/store without a cluster: helm lint --strict and helm template with
# each values file; the schema rejects typos and wrong types; every pod the
# chart renders (in both image modes, with and without TLS) passes the
# restricted/quota checker, and the checker itself catches a bad manifest.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
check "helm lint --strict (values.yaml + storeName/host)" helm lint --strict "$chart" "${base_sets[@]}"
for f in values-local.yaml values-prod.yaml; do
	check "helm lint --strict -f $f" helm lint --strict "$chart" -f "$chart/$f"
	check "helm template -f $f" render -f "$chart/$f"
done
echo "# lint and template took $((SECONDS - start))s"

# The schema: what the orchestrator must set, and typos and wrong types.
check_not "schema: storeName is required" render
check_not "schema: host is required" render --set storeName=demo
check_not "schema: a typo'd top-level key fails" render "${base_sets[@]}" --set ingres.className=nginx
check_not "schema: a typo'd nested key fails" render "${base_sets[@]}" --set plan.shop.stroage=1Gi
check_not "schema: ingress.tls must be a boolean" render "${base_sets[@]}" --set-string ingress.tls=yes
check_not "schema: plan storage must be a quantity string" render "${base_sets[@]}" --set plan.shop.storage=5
check_not "schema: memory in a unit the quota understands" render "${base_sets[@]}" --set plan.database.resources.limits.memory=1G
check_not "schema: storeName is a DNS label" render --set storeName=Demo_Shop --set host=demo.localtest.me
check_not "schema: image tag latest is refused" render "${base_sets[@]}" --set database.image.tag=latest
check "schema: a valid plan override passes" render "${base_sets[@]}" --set plan.shop.storage=5Gi --set plan.shop.resources.limits.cpu=1500m

# No :latest anywhere, hardened pods with requests, limits and probes.
variants=(
	"values.yaml|${base_sets[*]}"
	"values-local.yaml|-f $chart/values-local.yaml"
	"values-prod.yaml|-f $chart/values-prod.yaml"
	"official image (bundled=false), TLS|${base_sets[*]} --set wordpress.bundled=false --set wordpress.image.repository=wordpress --set wordpress.image.tag=7.0.4-php8.3-apache --set ingress.tls=true --set ingress.clusterIssuer=ca"
)
for v in "${variants[@]}"; do
	name=${v%%|*}
	read -r -a args <<<"${v#*|}"
	render "${args[@]}" >"$tmp/out.yaml" 2>&1
	check "no :latest image ($name)" bash -c "! grep -nE 'image: *\"?[^\" ]*:latest\"?\$' '$tmp/out.yaml'"
	check "pods restricted, with requests, limits and probes ($name)" check_manifests <"$tmp/out.yaml"
done

# The checker can fail: strip the limits and the probes and it must object.
render "${base_sets[@]}" | sed -e '/^ *limits:$/,/^ *memory:/d' -e 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' >"$tmp/bad.yaml"
check_not "the checker rejects pods without limits and with a writable root" check_manifests <"$tmp/bad.yaml"

# What the templates promise, read from the output.
out=$(render "${base_sets[@]}")
check "quota covers shop + database + setup + test requests (650m)" grep -q 'requests.cpu: "650m"' <<<"$out"
check "quota storage is both volumes (3072Mi)" grep -q 'requests.storage: "3072Mi"' <<<"$out"
check "setup Job is named per revision" grep -q 'name: store-demo-setup-r1' <<<"$out"
check "no Secret is rendered (credentials come from existingSecret)" bash -c "! grep -q '^kind: Secret' <<<\"\$1\"" _ "$out"
check "values.yaml holds no password" bash -c "! grep -inE '^[^#]*(password|passwd|salt|key)[^:]*: *[^ \"{}]' '$chart/values.yaml'"
tls=$(render "${base_sets[@]}" --set ingress.tls=true --set ingress.clusterIssuer=letsencrypt)
check "TLS: cert-manager annotation and https WP_HOME" bash -c "grep -q 'cert-manager.io/cluster-issuer: letsencrypt' <<<\"\$1\" && grep -q \"WP_HOME', 'https://demo.localtest.me'\" <<<\"\$1\"" _ "$tls"
check "TLS: probes send X-Forwarded-Proto" grep -q 'value: https' <<<"$tls"
official=$(render "${base_sets[@]}" --set wordpress.bundled=false)
check "official image: fetch init container and Internet egress" bash -c "grep -q 'fetch.sh' <<<\"\$1\" && grep -q 'cidr: 0.0.0.0/0' <<<\"\$1\"" _ "$official"
check "official image: the setup Job runs its docker-ensure-installed.sh" grep -q 'command: \["docker-ensure-installed.sh", "php"' <<<"$official"
check "bundled image: the setup Job runs our store-entrypoint.sh" grep -q 'command: \["store-entrypoint.sh", "php"' <<<"$out"
check "bundled image: no Internet egress" bash -c "! grep -q 'cidr: 0.0.0.0/0' <<<\"\$1\"" _ "$out"
exit 0
