#!/usr/bin/env bash
# The real controllers work on the simulated nodes: a Deployment with a PVC,
# a StatefulSet with volumeClaimTemplates, and a Job all complete as on a
# real cluster, and claims are bound by the real PV controller.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
trap cleanup_ns EXIT
ns=$(new_ns workloads)

kubectl apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.invalid/web:1.0
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: registry.invalid/db:1.0
        volumeMounts: [{name: data, mountPath: /var/lib/db}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: once
        image: registry.invalid/once:1.0
YAML

check "Deployment with a PVC becomes Available" kubectl wait -n "$ns" --for=condition=Available deployment/web --timeout=60s
check "its PVC is Bound" kubectl wait -n "$ns" --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=30s
check "StatefulSet becomes Ready" kubectl rollout status -n "$ns" statefulset/db --timeout=60s
pvcs_bound() {
	local p
	for p in data-db-0 data-db-1; do
		[ "$(kubectl get pvc -n "$ns" "$p" -o jsonpath='{.status.phase}')" = Bound ] || { echo "$p not Bound"; return 1; }
	done
}
check "volumeClaimTemplates PVCs are Bound" wait_for 30 pvcs_bound
pv_provisioned() {
	local pv
	pv=$(kubectl get pvc -n "$ns" data -o jsonpath='{.spec.volumeName}')
	[ -n "$pv" ] && [ -d "$(kubectl get pv "$pv" -o jsonpath='{.spec.hostPath.path}')" ]
}
check "the bound PV was provisioned on disk" pv_provisioned
check "Job completes" kubectl wait -n "$ns" --for=condition=Complete job/once --timeout=60s
