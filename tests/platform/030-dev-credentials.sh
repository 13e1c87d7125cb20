#!/usr/bin/env bash
# scripts/dev-credentials.sh (make dev): installs only the CRD/RBAC/policy/tokens part of the
# platform chart and writes a kubeconfig for the orchestrator's ServiceAccount. With that
# kubeconfig, and nothing else, one store goes through what the controller does: a managed
# namespace, its RoleBinding, the credentials Secret, `helm upgrade --install` of charts/store
# waiting for readiness, `helm uninstall`, namespace deletion. Outside its fence it is refused.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
chart=${PLATFORM_CHART:-$root/charts/platform}
release="tdev$RANDOM"
state=$(mktemp -d)
cleanup() {
	helm uninstall "$release" -n "$ns" --wait --timeout 60s >/dev/null 2>&1 || true
	cleanup_ns
	rm -rf "$state"
}
trap cleanup EXIT
ns=$(new_ns platform-dev)
t_namespaces+=("$ns") # new_ns ran in a subshell
creds() {
	PLATFORM_CHART="$chart" PLATFORM_RELEASE="$release" PLATFORM_NAMESPACE="$ns" DEV_STATE_DIR="$state" \
		TOKEN_DURATION=15m PLATFORM_HELM_ARGS=--skip-crds "$root/scripts/dev-credentials.sh"
}
start=$(date +%s.%N)
check "dev-credentials.sh succeeds" creds
echo "# dev-credentials took $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')s"
kc="$state/orchestrator.kubeconfig"
check "it wrote the kubeconfig, tokens, admin token and flags, readable by the owner only" bash -c "
	for f in orchestrator.kubeconfig tokens admin-token orchestrator.flags; do
		[ -s '$state/'\$f ] || { echo \"missing \$f\"; exit 1; }
	done
	for f in orchestrator.kubeconfig tokens admin-token; do
		[ \"\$(stat -c %a '$state/'\$f)\" = 600 ] || { echo \"\$f is mode \$(stat -c %a '$state/'\$f)\"; exit 1; }
	done"
check "no orchestrator Deployment in dev mode" bash -c "[ -z \"\$(kubectl get deployments -n '$ns' -o name)\" ]"
sa=$(kubectl get serviceaccount -n "$ns" -l "app.kubernetes.io/instance=$release" -o jsonpath='{.items[0].metadata.name}')
user="system:serviceaccount:$ns:$sa"
check "the kubeconfig authenticates as the orchestrator's ServiceAccount, not the admin" bash -c \
	"[ \"\$(kubectl --kubeconfig '$kc' auth whoami -o jsonpath='{.status.userInfo.username}')\" = '$user' ]"
check "the admin token is the tokens file's admin line" bash -c \
	"[ \"\$(awk '\$3 == \"admin\" {print \$1}' '$state/tokens')\" = \"\$(cat '$state/admin-token')\" ]"
store_role=$(kubectl get clusterrole -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=store-access" -o jsonpath='{.items[0].metadata.name}')
check "the flags name the store role and the ServiceAccount" bash -c \
	"grep -qx -- '--store-role=$store_role' '$state/orchestrator.flags' && grep -qx -- '--service-account=$ns/$sa' '$state/orchestrator.flags'"
admin_token=$(cat "$state/admin-token")
rerun_keeps_token() {
	creds 2>/dev/null && [ "$(cat "$state/admin-token")" = "$admin_token" ]
}
check "a second run refreshes the credentials and keeps the admin token" rerun_keeps_token

sa_kubectl() { kubectl --kubeconfig "$kc" "$@"; }
sa_helm() { helm --kubeconfig "$kc" "$@"; }
check_not "as the ServiceAccount: no Secrets in kube-system" sa_kubectl get secrets -n kube-system
check_not "as the ServiceAccount: no pods in kube-system" sa_kubectl get pods -n kube-system
check_not "as the ServiceAccount: no cluster-wide Secrets" sa_kubectl get secrets -A
check_not "as the ServiceAccount: no ClusterRoleBindings" sa_kubectl get clusterrolebindings

store="store-$release"
t_namespaces+=("$store")
new_store_ns() {
	kubectl create namespace "$store" --dry-run=client -o yaml |
		kubectl label --local -f - -o yaml app.kubernetes.io/managed-by=store-platform \
			pod-security.kubernetes.io/enforce=restricted | sa_kubectl create -f -
}
check "provision as the ServiceAccount: the store namespace" new_store_ns
check "provision: the RoleBinding to the store role" \
	sa_kubectl create rolebinding store-platform -n "$store" --clusterrole="$store_role" --serviceaccount="$ns:$sa"
credentials() {
	local args=() k
	for k in mariadb-root-password mariadb-password wordpress-admin-password auth-key secure-auth-key logged-in-key \
		nonce-key auth-salt secure-auth-salt logged-in-salt nonce-salt; do
		args+=("--from-literal=$k=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')")
	done
	sa_kubectl create secret generic store-credentials -n "$store" "${args[@]}" \
		--from-literal=wordpress-admin-user=admin --from-literal=wordpress-admin-email=admin@example.com
}
check "provision: the credentials Secret" credentials
start=$(date +%s.%N)
check "provision: helm upgrade --install of charts/store --wait, with only the store role" \
	sa_helm upgrade --install "$store" "$root/charts/store" -n "$store" --wait --timeout 180s \
	--set storeName="$release" --set host="$release.localtest.me" --set networkPolicy.platformNamespace="$ns"
echo "# store install as the ServiceAccount took $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')s"
release_objects() { # every kind of charts/store exists, read as the ServiceAccount
	local kind
	for kind in deployment statefulset job service ingress pvc networkpolicy resourcequota limitrange serviceaccount configmap; do
		[ -n "$(sa_kubectl get "$kind" -n "$store" -l "app.kubernetes.io/instance=$store" -o name)" ] || { echo "no $kind"; return 1; }
	done
}
check "the release's objects exist (read as the ServiceAccount)" release_objects
check "readiness as the controller reads it: pods Ready, PVCs Bound (as the ServiceAccount)" bash -c "
	KUBECONFIG='$kc' kubectl wait -n '$store' --for=condition=Ready pod -l app.kubernetes.io/instance='$store' --field-selector=status.phase=Running --timeout=60s >/dev/null &&
	[ -z \"\$(KUBECONFIG='$kc' kubectl get pvc -n '$store' -o jsonpath='{.items[?(@.status.phase!=\"Bound\")].metadata.name}')\" ]"
check "delete: helm uninstall as the ServiceAccount" sa_helm uninstall "$store" -n "$store" --wait --timeout 120s
check "delete: the namespace, as the ServiceAccount" sa_kubectl delete namespace "$store" --wait=false
