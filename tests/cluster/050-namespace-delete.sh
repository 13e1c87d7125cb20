#!/usr/bin/env bash
# Deleting a namespace with workloads and claims completes (the real namespace
# controller and garbage collector), and none of its volumes stay Bound.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
trap cleanup_ns EXIT
ns=$(new_ns nsdelete)

kubectl apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: registry.invalid/db:1.0
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: extra}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
YAML
check "workloads are up before the delete" kubectl rollout status -n "$ns" statefulset/db --timeout=60s
wait_for 30 bash -c "[ \"\$(kubectl get pvc -n '$ns' -o jsonpath='{.items[*].status.phase}')\" = 'Bound Bound' ]"
pvs=$(kubectl get pvc -n "$ns" -o jsonpath='{.items[*].spec.volumeName}')
check "namespace deletion completes" kubectl delete namespace "$ns" --timeout=90s
pvs_released() {
	local pv phase
	for pv in $pvs; do
		phase=$(kubectl get pv "$pv" -o jsonpath='{.status.phase}' 2>/dev/null || true)
		[ -z "$phase" ] || [ "$phase" != Bound ] || { echo "$pv still Bound"; return 1; }
		[ -z "$phase" ] || { echo "$pv still exists ($phase)"; return 1; }
	done
}
check "the namespace's volumes are deleted, none left Bound" wait_for 60 pvs_released
