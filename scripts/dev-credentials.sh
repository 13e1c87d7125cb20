#!/usr/bin/env bash
# Gives a natively run orchestrator (make dev) exactly the permissions the platform chart gives
# it in a cluster, instead of the control plane's admin:
#
#   1. installs the platform chart with orchestrator.enabled=false: the Store CRD, the
#      ServiceAccount, its RBAC, the admission policy and the tokens Secret, no Deployment;
#   2. writes a kubeconfig for that ServiceAccount: a token from the TokenRequest API
#      (kubectl create token --duration) with the server and CA of the admin kubeconfig;
#   3. writes the tokens file, the admin token, and the identity flags the orchestrator needs
#      (the same names as charts/platform/templates/_args.tpl).
#
# Outputs, in $DEV_STATE_DIR (default .cluster/):
#   orchestrator.kubeconfig   the ServiceAccount's kubeconfig (mode 0600)
#   tokens                    the API tokens file ("<token> <user> <role>" a line, mode 0600)
#   admin-token               the admin's API token (mode 0600)
#   orchestrator.flags        one flag a line: --kubeconfig, --tokens-file, --service-account,
#                             --store-role, --leader-elect-namespace, --leader-elect-lease
#
# Environment: PLATFORM_CHART (charts/platform), PLATFORM_RELEASE (store-platform),
# PLATFORM_NAMESPACE (store-platform), TOKEN_DURATION (24h; the API server may shorten it),
# DEV_STATE_DIR, KUBECONFIG (the admin's, default .cluster/kubeconfig), PLATFORM_HELM_ARGS
# (extra helm flags, e.g. --skip-crds).
# Re-running refreshes the token and keeps the API tokens.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
chart=${PLATFORM_CHART:-$root/charts/platform}
release=${PLATFORM_RELEASE:-store-platform}
namespace=${PLATFORM_NAMESPACE:-store-platform}
duration=${TOKEN_DURATION:-24h}
state=${DEV_STATE_DIR:-$root/.cluster}
export KUBECONFIG="${KUBECONFIG:-$root/.cluster/kubeconfig}"
PATH="$("$root/scripts/tools.sh" --dir):$PATH"
export PATH

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

for tool in helm kubectl jq base64; do
	command -v "$tool" >/dev/null || die "$tool not found (run: make tools)"
done
[ -f "$KUBECONFIG" ] || die "no admin kubeconfig at $KUBECONFIG (run: make cluster-up)"
kubectl get --raw /readyz --request-timeout=5s >/dev/null 2>&1 || die "the control plane at $KUBECONFIG is not ready (run: make cluster-up)"
mkdir -p "$state"

log "installing the platform's CRD, RBAC and admission policy (release $release in $namespace)"
read -ra helm_args <<<"${PLATFORM_HELM_ARGS:-}"
helm upgrade --install "$release" "$chart" -n "$namespace" --create-namespace \
	--set orchestrator.enabled=false --wait --timeout 2m "${helm_args[@]}" >/dev/null

# The release's objects, found by their labels rather than by re-deriving helm's names.
sel="app.kubernetes.io/instance=$release"
one() { # kind component [kubectl args...] -> the name of the one such object of the release
	local kind=$1 component=$2 name
	shift 2
	name=$(kubectl get "$kind" "$@" -l "$sel,app.kubernetes.io/component=$component" -o jsonpath='{.items[0].metadata.name}')
	[ -n "$name" ] || die "no $kind labelled $sel,app.kubernetes.io/component=$component"
	echo "$name"
}
sa=$(one serviceaccount orchestrator -n "$namespace")
store_role=$(one clusterrole store-access)
lease=$(kubectl get role -n "$namespace" -l "$sel,app.kubernetes.io/component=rbac" \
	-o jsonpath='{.items[0].rules[?(@.resourceNames)].resourceNames[0]}')
values=$(helm get values "$release" -n "$namespace" --all -o json)
tokens_key=$(jq -r '.auth.existingSecretKey' <<<"$values")
tokens_secret=$(jq -r '.auth.existingSecret' <<<"$values")
[ -n "$tokens_secret" ] || tokens_secret=$(one secret orchestrator -n "$namespace")

token=$(kubectl create token "$sa" -n "$namespace" --duration "$duration")
cluster=$(kubectl config view --minify -o jsonpath='{.contexts[0].context.cluster}')
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
ca_data=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
if [ -z "$ca_data" ]; then
	ca_file=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')
	[ -n "$ca_file" ] || die "the admin kubeconfig names no CA for $server"
	case $ca_file in /*) ;; *) ca_file="$(dirname "$KUBECONFIG")/$ca_file" ;; esac
	ca_data=$(base64 -w0 <"$ca_file")
fi

umask 077
kc="$state/orchestrator.kubeconfig"
cat >"$kc.tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: $cluster
    cluster:
      server: $server
      certificate-authority-data: $ca_data
users:
  - name: $namespace-$sa
    user:
      token: $token
contexts:
  - name: $sa@$cluster
    context:
      cluster: $cluster
      user: $namespace-$sa
      namespace: $namespace
current-context: $sa@$cluster
YAML
mv "$kc.tmp" "$kc"

kubectl get secret "$tokens_secret" -n "$namespace" -o json |
	jq -er --arg k "$tokens_key" '.data[$k] | @base64d' >"$state/tokens" ||
	die "the Secret $namespace/$tokens_secret has no key $tokens_key"
awk '$3 == "admin" {print $1; exit}' "$state/tokens" >"$state/admin-token"
[ -s "$state/admin-token" ] || die "the tokens Secret $namespace/$tokens_secret has no admin line"

cat >"$state/orchestrator.flags" <<FLAGS
--kubeconfig=$kc
--tokens-file=$state/tokens
--service-account=$namespace/$sa
--store-role=$store_role
--leader-elect-namespace=$namespace
--leader-elect-lease=$lease
FLAGS

log "kubeconfig for system:serviceaccount:$namespace:$sa (token for $duration): $kc"
log "admin token: $state/admin-token; orchestrator flags: $state/orchestrator.flags"
