# shellcheck shell=bash
# Helpers for the chart suites; source after tests/lib.sh.
# shellcheck disable=SC2034,SC2154 # sourced after tests/lib.sh (which sets root); the suites use these
# The chart under test: charts/store unless the suite names another before sourcing this
# (tests/charts/050-medusa.sh sets chart=$root/charts/medusa); render and lint use it.
chart=${chart:-$root/charts/store}
# A python3 with PyYAML (python3-yaml from tools/debian-packages.txt).
py=""
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import yaml' 2>/dev/null; then
		py=$p
		break
	fi
done
check_manifests() { "$py" "$root/tests/charts/lib/check_manifests.py"; }
# kind/name per object, replicas, and the claims: one line each (tests/charts/lib/summary.py)
summary() { "$py" "$root/tests/charts/lib/summary.py" "$1"; }
# Minimal values every install needs (the orchestrator always sets them).
base_sets=(--set storeName=demo --set host=demo.localtest.me)
# The chart rendered as release store-demo in namespace store-demo, with extra helm args.
render() { helm template store-demo "$chart" --namespace store-demo "$@"; }

# On the control plane:
# rand [N]                  N random letters and digits (32), the kind the orchestrator makes
# create_restricted_ns NS   a namespace that enforces PodSecurity "restricted", as the
#                           orchestrator makes a store's (warn and audit too)
# pvcs_bound NS N           NS has N PVCs, all Bound
# release_left NS RELEASE   nothing of RELEASE (by its instance label) is left in NS; else
#                           prints what is and fails
rand() { head -c 96 /dev/urandom | base64 | tr -d '\n/+=' | head -c "${1:-32}"; }
create_restricted_ns() {
	kubectl create namespace "$1" &&
		kubectl label namespace "$1" pod-security.kubernetes.io/enforce=restricted \
			pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted
}
pvcs_bound() {
	local phases
	phases=$(kubectl get pvc -n "$1" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}')
	[ "$(grep -c . <<<"$phases")" = "$2" ] && ! grep -qv '^Bound$' <<<"$phases"
}
release_left() {
	local out
	out=$(kubectl get all,pvc,configmap,secret,ingress,networkpolicy,resourcequota,limitrange,serviceaccount \
		-n "$1" -l "app.kubernetes.io/instance=$2" -o name 2>&1)
	[ -z "$out" ] || { echo "left: $out"; return 1; }
}
