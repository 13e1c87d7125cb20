#!/usr/bin/env bash
# The real node (scripts/cluster/node.sh) runs real containers beside the KWOK
# nodes: a pod that asks for it (node selector + toleration) runs there under
# PodSecurity "restricted" with limits; the host reaches it by pod IP, Service
# IP and through the ingress (Traefik on 127.0.0.1:80, by Host name); a pod
# reaches it by Service name (CoreDNS); kubectl logs and exec work through the
# kubelet; a volume from the default StorageClass is writable by a non-root
# pod; an OOM kill is reported as such; deleting the namespace leaves no
# container behind. Uses the node's busybox image (Debian's busybox-static).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

ns=""
cleanup() { [ -z "$ns" ] || kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1; }
trap cleanup EXIT
port=${STORE_INGRESS_PORT:-80}
sock="$root/.cluster/node/containerd/containerd.sock"

if ! "$root/scripts/cluster/node.sh" status; then
	echo "not ok - the real node is Ready (make cluster-up starts it; STORE_REAL_NODE=0 leaves it out)"
	exit 1
fi
echo "ok - the real node is Ready"
ns="t-node-$RANDOM"
kubectl create namespace "$ns" >/dev/null
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null

on_real_node='nodeSelector: {storeplatform.dev/node: real}
  tolerations: [{key: storeplatform.dev/real-node, operator: Exists, effect: NoSchedule}]
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: {type: RuntimeDefault}}'
restricted='securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}'

kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  $on_real_node
  containers:
    - name: web
      image: store-platform/busybox:1
      imagePullPolicy: Never
      command: [/busybox, sh, -c, 'mkdir -p /tmp/www && echo hello-from-the-real-node >/tmp/www/index.html && echo written >/data/probe && exec /busybox httpd -f -p 8080 -h /tmp/www']
      ports: [{containerPort: 8080}]
      readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 32Mi}}
      $restricted
      volumeMounts: [{name: tmp, mountPath: /tmp}, {name: data, mountPath: /data}]
  volumes: [{name: tmp, emptyDir: {}}, {name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
    - host: web-$ns.localtest.me
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
YAML
check "a restricted pod with a volume runs on the real node and is Ready" kubectl -n "$ns" wait --for=condition=Ready pod/web --timeout=60s
check "it was scheduled on the real node" test "$(kubectl -n "$ns" get pod web -o jsonpath='{.spec.nodeName}')" = real-node
ip=$(kubectl -n "$ns" get pod web -o jsonpath='{.status.podIP}')
svc=$(kubectl -n "$ns" get service web -o jsonpath='{.spec.clusterIP}')
check "the pod has an address on the node's bridge (10.88.0.0/24)" bash -c "[[ '$ip' == 10.88.0.* ]]"
check "host -> pod IP" bash -c "curl -fsS --max-time 5 http://$ip:8080/ | grep -q hello-from-the-real-node"
check "host -> Service IP (kube-proxy)" wait_for 20 bash -c "curl -fsS --max-time 2 http://$svc/ | grep -q hello-from-the-real-node"
check "host -> ingress on 127.0.0.1:$port by Host name (Traefik)" wait_for 30 bash -c \
	"curl -fsS --max-time 2 -H 'Host: web-$ns.localtest.me' http://127.0.0.1:$port/ | grep -q hello-from-the-real-node"
check "an unknown Host gets 404 from the ingress" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: nobody.localtest.me' http://127.0.0.1:$port/)\" = 404 ]"
check "kubectl exec: the volume was writable by a non-root user" bash -c "kubectl -n '$ns' exec web -- /busybox cat /data/probe | grep -q written"
# (Debian's busybox is static glibc: its wget crashes in getaddrinfo, so the
# name is resolved by its nslookup and the request sent with its nc.)
check "kubectl exec: the Service's name resolves in the pod (CoreDNS)" bash -c \
	"kubectl -n '$ns' exec web -- /busybox nslookup web.$ns.svc.cluster.local | grep -q 'Address: $svc'"
check "kubectl exec: pod -> Service IP" bash -c \
	"kubectl -n '$ns' exec web -- /busybox sh -c 'printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | /busybox nc -w 5 $svc 80' | grep -q hello-from-the-real-node"
check "kubectl exec: the pod runs as uid 65534" bash -c "[ \"\$(kubectl -n '$ns' exec web -- /busybox id -u)\" = 65534 ]"
check "kubectl logs works through the kubelet" kubectl -n "$ns" logs web

# Over its memory limit: killed, and the API says OOMKilled.
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  $on_real_node
  restartPolicy: Never
  containers:
    - name: hog
      image: store-platform/busybox:1
      imagePullPolicy: Never
      command: [/busybox, sh, -c, 'x=a; while true; do x="\$x\$x"; done']
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 200m, memory: 16Mi}}
      $restricted
YAML
oom() { [ "$(kubectl -n "$ns" get pod hog -o jsonpath='{.status.containerStatuses[0].state.terminated.reason}')" = OOMKilled ]; }
check "a container over its memory limit is OOMKilled, and says so" wait_for 60 oom

gone=$ns
kubectl delete namespace "$ns" --timeout=90s >/dev/null 2>&1
ns=""
no_containers() { [ -z "$(ctr --address "$sock" -n k8s.io containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$gone" 2>/dev/null)" ]; }
# (the kubelet removes a deleted pod's stopped containers in its next cleanup, within a minute)
check "deleting the namespace leaves no container of its pods" wait_for 90 no_containers
exit 0
