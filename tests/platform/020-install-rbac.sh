#!/usr/bin/env bash
# The platform chart on the control plane: it installs and its pods become Ready in a namespace
# enforcing PodSecurity "restricted"; the orchestrator's ServiceAccount may do what the design
# says and nothing else (kubectl auth can-i); and, acting as that ServiceAccount, the admission
# policy refuses RoleBindings and namespace changes outside namespaces labelled
# app.kubernetes.io/managed-by=store-platform while admitting them inside. Uninstall removes
# every cluster-scoped object of the release. The Store CRD is not installed (--skip-crds): it is
# shared by the whole cluster; RBAC answers for stores.<group> without it.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
chart=${PLATFORM_CHART:-$root/charts/platform}
release="tp$RANDOM"
cleanup() {
	helm uninstall "$release" -n "$ns" --wait --timeout 60s >/dev/null 2>&1 || true
	cleanup_ns
}
trap cleanup EXIT
ns=$(new_ns platform)
t_namespaces+=("$ns") # new_ns ran in a subshell
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
# the Store API group the chart's RBAC names (tests/platform/010 checks it is the CRD's)
group=$(helm template x "$chart" --show-only templates/clusterrole.yaml |
	python3 -c 'import sys,yaml; print(yaml.safe_load(sys.stdin)["rules"][0]["apiGroups"][0])')

start=$(date +%s.%N)
check "helm install --wait of the platform chart succeeds" \
	helm install "$release" "$chart" -n "$ns" --skip-crds --wait --timeout 120s
echo "# install took $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f')s"
sel="app.kubernetes.io/instance=$release"
check "both orchestrator replicas are Ready (under PodSecurity restricted)" \
	kubectl wait -n "$ns" --for=condition=Ready pod -l "$sel,app.kubernetes.io/component=orchestrator" --timeout=60s
check "two replicas" bash -c "[ \"\$(kubectl get pods -n '$ns' -l '$sel' -o name | wc -l)\" = 2 ]"

name_of() { kubectl get "$1" "${@:3}" -l "$sel,app.kubernetes.io/component=$2" -o jsonpath='{.items[0].metadata.name}'; }
sa=$(name_of serviceaccount orchestrator -n "$ns")
store_role=$(name_of clusterrole store-access)
orch_role=$(name_of clusterrole rbac)
policy=$(name_of validatingadmissionpolicy admission)
lease=$(kubectl get role -n "$ns" -l "$sel" -o jsonpath='{.items[0].rules[?(@.resourceNames)].resourceNames[0]}')
user="system:serviceaccount:$ns:$sa"
check "the release's identity objects exist (ServiceAccount, store role, orchestrator role, policy, lease rule)" \
	test -n "$sa" -a -n "$store_role" -a -n "$orch_role" -a -n "$policy" -a -n "$lease"
check "the tokens Secret holds a generated admin token" bash -c \
	"kubectl get secret -n '$ns' -l '$sel,app.kubernetes.io/component=orchestrator' -o jsonpath='{.items[0].data.tokens}' | base64 -d | awk '\$3 == \"admin\" && length(\$1) >= 32 {ok=1} END {exit !ok}'"
token_before=$(kubectl get secret -n "$ns" -l "$sel,app.kubernetes.io/component=orchestrator" -o jsonpath='{.items[0].data.tokens}')
check "helm upgrade keeps the admin token" bash -c \
	"helm upgrade '$release' '$chart' -n '$ns' --skip-crds --reuse-values --wait --timeout 120s >/dev/null &&
	 [ \"\$(kubectl get secret -n '$ns' -l '$sel,app.kubernetes.io/component=orchestrator' -o jsonpath='{.items[0].data.tokens}')\" = '$token_before' ]"

# --- RBAC matrix: "verb resource [flags]" as the ServiceAccount --------------------------------
can() { kubectl auth can-i "$@" --as="$user" 2>/dev/null | grep -qx yes; }
# Stores: without the CRD in the cluster, kubectl auth can-i cannot resolve stores.<group> (it
# asks about a resource literally named so), so ask with a SubjectAccessReview.
can_store() { # verb [subresource]
	kubectl create -o jsonpath='{.status.allowed}' -f - <<YAML | grep -qx true
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: $user
  groups: [system:serviceaccounts, "system:serviceaccounts:$ns", system:authenticated]
  resourceAttributes: {group: $group, resource: stores, subresource: "${2:-}", verb: $1}
YAML
}
matrix_start=$(date +%s.%N)
for q in get list watch create update patch delete "get status" "update status" "patch status" "update finalizers"; do
	read -ra a <<<"$q"
	check "allowed: $q stores.$group" can_store "${a[@]}"
done
for q in deletecollection "delete status" "delete finalizers"; do
	read -ra a <<<"$q"
	check_not "denied: $q stores.$group" can_store "${a[@]}"
done
allowed=(
	"create namespaces" "get namespaces" "list namespaces" "watch namespaces" "patch namespaces" "delete namespaces"
	"create events -n default" "patch events -n default" "create events.events.k8s.io -n default"
	"create rolebindings -n default"
	"bind clusterroles/$store_role"
	"get persistentvolumes" "list persistentvolumes"
	"create leases.coordination.k8s.io -n $ns" "get leases.coordination.k8s.io/$lease -n $ns"
	"update leases.coordination.k8s.io/$lease -n $ns"
)
denied=(
	"get secrets -n kube-system" "list secrets -n kube-system" "get secrets -n default" "list secrets -n default"
	"list secrets --all-namespaces" "get secrets -n $ns" "watch secrets -n $ns"
	"get configmaps -n kube-system" "list pods -n kube-system" "create pods -n kube-system"
	"create deployments.apps -n kube-system" "create deployments.apps -n default" "delete serviceaccounts -n kube-system"
	"create clusterrolebindings" "update clusterrolebindings" "create clusterroles" "update clusterroles/$store_role"
	"escalate clusterroles/$store_role" "escalate clusterroles/$orch_role" "escalate roles -n default"
	"bind clusterroles/cluster-admin" "bind clusterroles/admin" "bind clusterroles/$orch_role" "bind clusterroles"
	"bind roles -n default"
	"update rolebindings -n default" "delete rolebindings -n kube-system" "get rolebindings -n kube-system"
	"list nodes" "get nodes" "patch nodes"
	"delete persistentvolumes" "patch persistentvolumes" "watch persistentvolumes"
	"create validatingadmissionpolicies.admissionregistration.k8s.io"
	"delete validatingadmissionpolicybindings.admissionregistration.k8s.io/$policy"
	"update validatingadmissionpolicies.admissionregistration.k8s.io/$policy"
	"create customresourcedefinitions.apiextensions.k8s.io" "delete customresourcedefinitions.apiextensions.k8s.io"
	"impersonate users" "impersonate serviceaccounts"
	"create serviceaccounts/token -n $ns" "create serviceaccounts/token -n kube-system"
	"update namespaces/finalize" "update namespaces/status"
	"update leases.coordination.k8s.io/other -n $ns" "get leases.coordination.k8s.io -n kube-system"
	"create persistentvolumes" "delete storageclasses.storage.k8s.io"
)
for q in "${allowed[@]}"; do
	read -ra a <<<"$q"
	check "allowed: $q" can "${a[@]}"
done
for q in "${denied[@]}"; do
	read -ra a <<<"$q"
	check_not "denied: $q" can "${a[@]}"
done
echo "# RBAC matrix: 14 Store + ${#allowed[@]} allowed + ${#denied[@]} denied questions in $(echo "$(date +%s.%N) - $matrix_start" | bc | xargs printf '%.1f')s"

# --- the admission policy, acting as the ServiceAccount --------------------------------------
as() { kubectl --as="$user" "$@"; }
refused_by_policy() { # command... : fails, and the API server names this release's policy
	local out
	if out=$("$@" 2>&1); then
		echo "admitted: $out"
		return 1
	fi
	if ! grep -q "ValidatingAdmissionPolicy '$policy'" <<<"$out" || ! grep -q "store-platform:" <<<"$out"; then
		echo "refused, but not by $policy: $out"
		return 1
	fi
}
managed_ns() { # name [key=value labels...]: a namespace with the managed-by label, created as the orchestrator
	local name=$1
	shift
	kubectl create namespace "$name" --dry-run=client -o yaml |
		kubectl label --local -f - -o yaml app.kubernetes.io/managed-by=store-platform "$@" | as create -f -
}
store_binding() { # namespace subject-namespace subject-name [clusterrole]
	as create rolebinding "$release-store" -n "$1" --clusterrole="${4:-$store_role}" --serviceaccount="$2:$3"
}

# namespaces the orchestrator must not be able to create; removed on exit should a refusal fail
t_namespaces+=("store-$release-plain" "store-$release-nopss" "$release-noprefix")
check "refused: a RoleBinding in default (by the policy)" refused_by_policy store_binding default "$ns" "$sa"
victim=$(new_ns unmanaged)
t_namespaces+=("$victim") # new_ns ran in a subshell
check "refused: a RoleBinding in an unmanaged namespace (by the policy)" refused_by_policy store_binding "$victim" "$ns" "$sa"
check "refused: deleting an unmanaged namespace (by the policy)" refused_by_policy as delete namespace "$victim" --wait=false
check "the unmanaged namespace is untouched" bash -c \
	"[ \"\$(kubectl get namespace '$victim' -o jsonpath='{.status.phase}')\" = Active ]"
check "refused: deleting kube-node-lease (server-side dry run, by the policy)" refused_by_policy \
	as delete namespace kube-node-lease --dry-run=server
check "refused: labelling an unmanaged namespace as managed (by the policy)" refused_by_policy \
	as label namespace "$victim" app.kubernetes.io/managed-by=store-platform
check "refused: creating a namespace without the managed-by label (by the policy)" refused_by_policy \
	as create namespace "store-$release-plain"
check "refused: creating a managed namespace without PodSecurity restricted (by the policy)" refused_by_policy \
	managed_ns "store-$release-nopss"
check "refused: creating a managed namespace outside the store- prefix (by the policy)" refused_by_policy \
	managed_ns "$release-noprefix" pod-security.kubernetes.io/enforce=restricted
check "the policy binds only the orchestrator: the admin may still bind in an unmanaged namespace" \
	kubectl create rolebinding "$release-admin" -n "$victim" --clusterrole="$store_role" --serviceaccount="$ns:$sa"

store="store-$release"
t_namespaces+=("$store")
check "admitted: creating a managed store namespace" managed_ns "$store" pod-security.kubernetes.io/enforce=restricted
check "admitted: the store RoleBinding for its own ServiceAccount in it" store_binding "$store" "$ns" "$sa"
check "through that RoleBinding it may manage Secrets in the store namespace" can create secrets -n "$store"
check "... and StatefulSets, Jobs, Ingresses, NetworkPolicies, ResourceQuotas there" bash -c "
	for r in statefulsets.apps jobs.batch ingresses.networking.k8s.io networkpolicies.networking.k8s.io resourcequotas limitranges; do
		kubectl auth can-i create \$r -n '$store' --as='$user' | grep -qx yes || { echo \"no: \$r\"; exit 1; }
	done"
check_not "... but still not Secrets in default" can get secrets -n default
check "refused: binding the store role to another subject (by the policy)" refused_by_policy \
	as create rolebinding other -n "$store" --clusterrole="$store_role" --serviceaccount="$store:default"
check_not "refused: binding cluster-admin in its own store namespace (RBAC escalation check)" \
	as create rolebinding admin -n "$store" --clusterrole=cluster-admin --serviceaccount="$ns:$sa"
check "refused: removing the managed-by label (by the policy)" refused_by_policy \
	as label namespace "$store" app.kubernetes.io/managed-by-
check "refused: weakening PodSecurity on a managed namespace (by the policy)" refused_by_policy \
	as label namespace "$store" --overwrite pod-security.kubernetes.io/enforce=privileged
check "admitted: labelling a managed namespace" as label namespace "$store" example.com/owner=tester
check_not "it cannot delete RoleBindings, not even its own in a managed namespace (RBAC)" \
	as delete rolebinding "$release-store" -n "$store"
check "admitted: deleting the managed namespace" as delete namespace "$store" --wait=false

# --- uninstall leaves nothing cluster-scoped behind ------------------------------------------
check "helm uninstall succeeds" helm uninstall "$release" -n "$ns" --wait --timeout 60s
leftovers() {
	local left
	left=$(kubectl get clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings -l "$sel" -o name 2>&1)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}
check "no ClusterRole, ClusterRoleBinding or admission policy of the release is left" leftovers
