#!/usr/bin/env bash
# Real admission runs: PodSecurity "restricted" refuses a privileged pod and
# admits a hardened one; a ResourceQuota refuses an object over quota.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
trap cleanup_ns EXIT
ns=$(new_ns admission)
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null

privileged_pod() {
	kubectl apply -n "$ns" -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: privileged}
spec:
  containers:
  - name: c
    image: registry.invalid/c:1.0
    securityContext: {privileged: true}
YAML
}
check_fails_with "PodSecurity restricted rejects a privileged pod" 'violates PodSecurity "restricted:latest": privileged' privileged_pod

hardened_pod() {
	kubectl apply -n "$ns" -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hardened}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: c
    image: registry.invalid/c:1.0
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
YAML
}
check "PodSecurity restricted admits a hardened pod" hardened_pod
check "the hardened pod becomes Ready" kubectl wait -n "$ns" --for=condition=Ready pod/hardened --timeout=30s

kubectl apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota}
spec:
  hard: {configmaps: "2", requests.storage: 1Gi}
YAML
quota_counted() {
	[ -n "$(kubectl get resourcequota -n "$ns" quota -o jsonpath='{.status.used.configmaps}')" ]
}
wait_for 30 quota_counted
# kube-root-ca.crt already uses one of the two configmaps
check "a ConfigMap within quota is admitted" kubectl create configmap -n "$ns" one
check_fails_with "a ConfigMap over the count quota is rejected" 'exceeded quota: quota, requested: configmaps=1' kubectl create configmap -n "$ns" two
big_claim() {
	kubectl apply -n "$ns" -f - <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: big}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
YAML
}
check_fails_with "a PVC over the storage quota is rejected" 'exceeded quota: quota, requested: requests.storage=5Gi' big_claim
