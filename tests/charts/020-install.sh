#!/usr/bin/env bash
# charts/store on the control plane, the way the orchestrator installs it: a
# namespace store-<name> that enforces PodSecurity "restricted", a Secret with
# random credentials under the agreed keys, then
# `helm upgrade --install --wait --wait-for-jobs`. Admission (PodSecurity,
# the chart's own ResourceQuota and LimitRange) must accept every object, the
# PVCs bind, the shop and database become ready, the setup Job completes, an
# upgrade runs setup again, and uninstall plus namespace deletion leave
# nothing. (Pods run on KWOK nodes: Ready without running; Job pods Succeed.)
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/common.sh"

store="ct$RANDOM"
ns="store-$store"
release="store-$store"
tmp_out=$(mktemp)
cleanup() {
	rm -f "$tmp_out"
	kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true
}
trap cleanup EXIT

create_secret() { # the keys the orchestrator creates (charts/store/README.md)
	local args=() k
	for k in auth-key secure-auth-key logged-in-key nonce-key auth-salt secure-auth-salt logged-in-salt nonce-salt; do
		args+=(--from-literal="$k=$(rand 64)")
	done
	kubectl -n "$ns" create secret generic store-credentials \
		--from-literal=mariadb-root-password="$(rand)" --from-literal=mariadb-password="$(rand)" \
		--from-literal=wordpress-admin-user=admin --from-literal=wordpress-admin-password="$(rand)" \
		--from-literal=wordpress-admin-email=owner@example.com "${args[@]}"
}
install() { # extra helm args
	helm upgrade --install "$release" "$chart" -n "$ns" \
		--set storeName="$store" --set host="$store.localtest.me" --set ingress.className=nginx \
		--set ingress.tls=false --set persistence.storageClass= --set existingSecret=store-credentials \
		--wait=watcher --wait-for-jobs --timeout 5m "$@"
}

check "namespace $ns enforces restricted" create_restricted_ns "$ns"
check "credentials Secret created" create_secret
# The namespace really enforces: a pod without the hardened context is refused.
check_not "admission refuses a pod that is not restricted (the check below can fail)" \
	kubectl -n "$ns" run probe --image=busybox:1.36 --restart=Never --dry-run=server -- true

start=$SECONDS
check "helm upgrade --install --wait=watcher --wait-for-jobs succeeds" install
echo "# install took $((SECONDS - start))s"
check "release is deployed" bash -o pipefail -c "helm status '$release' -n '$ns' -o json | jq -e '.info.status == \"deployed\"'"
check "no object was refused (no FailedCreate events)" bash -c \
	"! kubectl get events -n '$ns' --field-selector reason=FailedCreate -o name | grep -q ."
check "both PVCs bound (database, uploads)" wait_for 60 pvcs_bound "$ns" 2
check "database StatefulSet ready" bash -c "[ \"\$(kubectl get sts -n '$ns' '$release-mariadb' -o jsonpath='{.status.readyReplicas}')\" = 1 ]"
check "shop Deployment available" kubectl wait -n "$ns" --for=condition=Available "deployment/$release-wordpress" --timeout=60s
check "setup Job r1 complete" kubectl wait -n "$ns" --for=condition=Complete "job/$release-setup-r1" --timeout=60s
check "existing pods pass restricted (server dry-run of the label)" bash -c \
	"out=\$(kubectl label --dry-run=server --overwrite ns '$ns' pod-security.kubernetes.io/enforce=restricted 2>&1) && ! grep -qi warning <<<\"\$out\""
check "quota in force and within its limits" bash -o pipefail -c \
	"kubectl get resourcequota -n '$ns' '$release' -o json | jq -e '.status.used[\"requests.cpu\"] != null and .status.used.pods != null'"
check "LimitRange and 6 NetworkPolicies exist" bash -c \
	"kubectl get limitrange -n '$ns' '$release' >/dev/null && [ \"\$(kubectl get networkpolicy -n '$ns' -o name | wc -l)\" = 6 ]"
check "Ingress carries the host and class" bash -c \
	"[ \"\$(kubectl get ingress -n '$ns' '$release-wordpress' -o jsonpath='{.spec.ingressClassName} {.spec.rules[0].host}')\" = 'nginx $store.localtest.me' ]"

# Every upgrade runs setup again in a new Job, inside the same quota.
start=$SECONDS
check "upgrade (revision 2) succeeds" install --set plan.shop.storage=1Gi --set title="Renamed"
echo "# upgrade took $((SECONDS - start))s"
check "setup Job r2 complete, r1 removed" bash -c \
	"kubectl wait -n '$ns' --for=condition=Complete job/$release-setup-r2 --timeout=60s >/dev/null && ! kubectl get -n '$ns' job/$release-setup-r1 >/dev/null 2>&1"

# helm test: the order pod is admitted (restricted, quota) and starts. On
# KWOK a bare pod stays Running (only Job pods complete), so helm test times
# out here and the pod, which a real run deletes on success, is removed by hand.
helm test "$release" -n "$ns" --timeout 15s >"$tmp_out" 2>&1
check "helm test pod admitted and running (restricted, within quota)" \
	wait_for 30 bash -c "[ \"\$(kubectl get pod -n '$ns' '$release-test-order' -o jsonpath='{.status.phase}')\" = Running ]"
check "helm test was not refused by admission" bash -c "! grep -qiE 'forbidden|exceeded quota' '$tmp_out'"
kubectl delete pod -n "$ns" "$release-test-order" --wait=false >/dev/null 2>&1

start=$SECONDS
check "helm uninstall succeeds" helm uninstall "$release" -n "$ns" --wait --timeout 2m
echo "# uninstall took $((SECONDS - start))s"
check "uninstall left no object of the release (PVCs included)" wait_for 60 release_left "$ns" "$release"
start=$SECONDS
check "namespace deletion completes" bash -c "kubectl delete namespace '$ns' --timeout=120s >/dev/null"
echo "# namespace deletion took $((SECONDS - start))s"
# The PV controller deletes a released volume shortly after its claim is gone.
check "no PersistentVolume of the store is left" wait_for 30 bash -c \
	"! kubectl get pv -o jsonpath='{range .items[*]}{.spec.claimRef.namespace}{\"\\n\"}{end}' | grep -qx '$ns'"
exit 0
