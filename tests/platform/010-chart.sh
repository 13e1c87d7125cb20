#!/usr/bin/env bash
# The platform chart without a cluster: helm lint --strict and helm template with each values
# file; the schema refuses a wrong type and an unknown key; the rendered orchestrator is hardened;
# RBAC has no wildcard, no cluster-wide Secrets, bind only on the store role; orchestrator.enabled
# =false (make dev) renders the identity and its fences but no workload.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
chart=${PLATFORM_CHART:-$root/charts/platform}
render="$(dirname "$0")/render.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "the Store CRD is in the chart (crds/stores.yaml)" test -s "$chart/crds/stores.yaml"
for v in values.yaml values-local.yaml values-prod.yaml; do
	check "helm lint --strict with $v" helm lint --strict "$chart" -f "$chart/$v"
	check "helm template with $v" bash -c "helm template sp '$chart' -n store-platform -f '$chart/$v' >'$tmp/$v.out'"
done
on() { # values-file question args... : ask render.py about that file's rendering
	local v=$1
	shift
	"$render" "$@" <"$tmp/$v.out"
}

check_not "the schema refuses a wrong type (replicaCount: two)" helm template sp "$chart" --set replicaCount=two
check "... naming the offending key" bash -c "helm template sp '$chart' --set replicaCount=two 2>&1 | grep -q replicaCount"
check_not "the schema refuses an unknown key (config.wrkers)" helm template sp "$chart" --set config.wrkers=3
check_not "the schema refuses a bad enum (image.pullPolicy: Sometimes)" helm template sp "$chart" --set image.pullPolicy=Sometimes

for v in values.yaml values-local.yaml values-prod.yaml; do
	check "$v: hardened orchestrator (non-root UID, read-only root, drop ALL, seccomp, /tmp emptyDir, probes, resources)" on "$v" hardened
done
check "every object carries the standard labels" on values.yaml labelled
check "2 replicas with leader election by default" on values.yaml args --leader-elect=true
check "replicas default to 2" on values.yaml replicas 2
check "all objects of the release are rendered" on values.yaml kinds Deployment=1 Service=1 Ingress=1 PodDisruptionBudget=1 NetworkPolicy=1 \
	ServiceAccount=1 ClusterRole=2 ClusterRoleBinding=1 Role=1 RoleBinding=1 ValidatingAdmissionPolicy=1 ValidatingAdmissionPolicyBinding=1 Secret=1
check "RBAC: no wildcard, no cluster-wide Secrets/workloads, bind only on the store role" on values.yaml least_privilege
if [ -s "$chart/crds/stores.yaml" ]; then
	group=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["group"])' "$chart/crds/stores.yaml")
	check "the Store rules name the CRD's group ($group)" on values.yaml store_group "$group"
fi

check "local: nginx class and localtest.me" on values-local.yaml args --ingress-class=nginx --base-domain=localtest.me
check "local: the dashboard host is under localtest.me" on values-local.yaml field Ingress spec/rules/0/host platform.localtest.me
check "prod: traefik class, local-path storage, TLS through the ClusterIssuer for stores" on values-prod.yaml args --ingress-class=traefik --storage-class=local-path --ingress-tls=true --cluster-issuer=letsencrypt-prod
check "prod: the dashboard Ingress has TLS" on values-prod.yaml field Ingress spec/tls/0/hosts/0 platform.example.com
check "prod: the dashboard certificate comes from a cert-manager ClusterIssuer" \
	on values-prod.yaml field Ingress metadata/annotations/cert-manager.io~1cluster-issuer letsencrypt-prod
check "prod: tokens come from an existing Secret (none rendered)" on values-prod.yaml kinds Secret=0
check "prod: the orchestrator mounts that Secret" on values-prod.yaml field Deployment spec/template/spec/volumes/name=tokens/secret/secretName store-platform-tokens
only_values_differ() {
	local f
	for f in values-local.yaml values-prod.yaml; do
		grep -q '{{' "$chart/$f" && { echo "$f has template syntax"; return 1; }
	done
	return 0
}
check "local and prod differ only in values (no templates in the values files)" only_values_differ

check "dev mode (orchestrator.enabled=false) renders" bash -c "helm template sp '$chart' -n store-platform --set orchestrator.enabled=false >'$tmp/dev.out'"
check "dev mode: identity, RBAC, admission policy and tokens, but no workload" "$render" kinds \
	Deployment=0 Service=0 Ingress=0 PodDisruptionBudget=0 NetworkPolicy=0 ConfigMap=0 ServiceAccount=1 ClusterRole=2 \
	ClusterRoleBinding=1 Role=1 ValidatingAdmissionPolicy=1 ValidatingAdmissionPolicyBinding=1 Secret=1 <"$tmp/dev.out"
check "two releases share no cluster-scoped name" bash -c "
	helm template a '$chart' | grep -A3 -E '^kind: (ClusterRole|ClusterRoleBinding|ValidatingAdmissionPolicy|ValidatingAdmissionPolicyBinding)$' | awk '/^  name:/{print \$2}' | sort >'$tmp/a'
	helm template b '$chart' | grep -A3 -E '^kind: (ClusterRole|ClusterRoleBinding|ValidatingAdmissionPolicy|ValidatingAdmissionPolicyBinding)$' | awk '/^  name:/{print \$2}' | sort >'$tmp/b'
	[ -s '$tmp/a' ] && [ -z \"\$(comm -12 '$tmp/a' '$tmp/b')\" ]"
