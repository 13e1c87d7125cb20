#!/usr/bin/env bash
# Brings up the local control plane: real etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler (built by scripts/tools.sh) with
# two KWOK-simulated nodes, a real node where pods run (scripts/cluster/node.sh:
# kubelet, containerd, CoreDNS, Traefik on 127.0.0.1:80; STORE_REAL_NODE=0
# leaves it out for quick runs; a second cluster, CLUSTER_NAME set, has none), a default StorageClass whose claims really
# bind, and the IngressClasses "nginx" and "traefik". Writes the kubeconfig to
# .cluster/kubeconfig.
#
# Idempotent: a healthy cluster is left as it is; a stopped one (its processes
# gone, e.g. after a reboot) or one with a component gone is started again; a
# broken one is recreated.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# CLUSTER_NAME and CLUSTER_DIR allow a second, throw-away cluster (the
# lifecycle test uses one); the defaults are the project's cluster.
name=${CLUSTER_NAME:-store-platform}
state=${CLUSTER_DIR:-$root/.cluster}
kubeconfig="$state/kubeconfig"
bin=$("$root/scripts/tools.sh")
export PATH="$bin:$PATH"
# kwokctl keeps the cluster's files (pki, logs, pids, etcd data) under its workdir.
export KWOK_WORKDIR="$state/kwok"
export KWOK_KUBECTL_BINARY="$bin/kubectl"
export KUBECONFIG="$kubeconfig"

log() { printf 'cluster-up: %s\n' "$*" >&2; }
start=$(date +%s.%N)

healthy() {
	[ -f "$kubeconfig" ] && kubectl get --raw /readyz --request-timeout=3s >/dev/null 2>&1
}

# The components kwokctl started that no longer run. kube-controller-manager and
# kube-scheduler exit when they cannot renew their leader Lease (the API server
# gone for 10 s), and nothing else starts them again. A dead one may linger as a
# zombie until init reaps it, so kill -0 would still find it.
dead_components() {
	local f state
	for f in "$KWOK_WORKDIR/clusters/$name"/pids/*.pid; do
		[ -f "$f" ] || continue
		state=$(awk '/^State:/ {print $2}' "/proc/$(cat "$f")/status" 2>/dev/null)
		case $state in "" | Z | X) basename "$f" .pid ;; esac
	done
}

# A cluster whose processes died (killed, or the machine restarted) keeps its
# etcd data; kwokctl trusts its pid files, so stale ones are removed first.
# The dead processes' Leases are in that data too, and the new processes have new
# identities: kube-controller-manager and kube-scheduler would wait out theirs
# (15 s), and kwok-controller the nodes' (200 s, kwokctl's
# --node-lease-duration-seconds; a later try is timed from the old renewal), so
# no pod would run for minutes. Their holders are dead: the Leases are deleted,
# and kwok-controller, which has already seen them, is started once more.
restart() {
	local pids="$KWOK_WORKDIR/clusters/$name/pids"
	pkill -9 -f "$KWOK_WORKDIR/clusters/$name/" 2>/dev/null || true
	rm -f "$pids"/*.pid
	kwokctl start cluster --name "$name" --timeout 60s >>"$state/create.log" 2>&1 || return 1
	for _ in $(seq 1 60); do healthy && break; sleep 0.5; done
	healthy || return 1
	kill -9 "$(cat "$pids/kwok-controller.pid")" 2>/dev/null || true
	rm -f "$pids/kwok-controller.pid"
	kubectl delete lease -n kube-system kube-controller-manager kube-scheduler --ignore-not-found >/dev/null &&
		kubectl delete lease -n kube-node-lease --all >/dev/null || return 1
	kwokctl start cluster --name "$name" --timeout 60s >>"$state/create.log" 2>&1
}

mkdir -p "$state"
dead=$(dead_components | paste -sd' ')
if healthy && [ -z "$dead" ]; then
	log "control plane already running"
elif [ -d "$KWOK_WORKDIR/clusters/$name" ] && restart && healthy; then
	log "restarted the stopped control plane${dead:+ (not running: $dead)}"
else
	if [ -d "$KWOK_WORKDIR/clusters/$name" ]; then
		log "removing a broken cluster"
		kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true
		rm -rf "$KWOK_WORKDIR/clusters/$name"
	fi
	rm -f "$kubeconfig"
	log "creating the control plane (kube $(kube-apiserver --version | awk '{print $2}'))"
	sed "s|@PKI@|$KWOK_WORKDIR/clusters/$name/pki|g" "$root/scripts/cluster/kwokctl.yaml" >"$state/kwokctl.yaml"
	kwokctl --config "$state/kwokctl.yaml" create cluster --name "$name" --runtime binary \
		--etcd-binary "$bin/etcd" \
		--kube-apiserver-binary "$bin/kube-apiserver" \
		--kube-controller-manager-binary "$bin/kube-controller-manager" \
		--kube-scheduler-binary "$bin/kube-scheduler" \
		--kwok-controller-binary "$bin/kwok" \
		--kube-authorization=true --kube-admission=true \
		--disable-qps-limits \
		--kubeconfig "$kubeconfig" \
		--wait 2m --quiet-pull >"$state/create.log" 2>&1 || {
		log "kwokctl create cluster failed:"
		tail -n 30 "$state/create.log" >&2
		exit 1
	}
	kubectl config use-context "kwok-$name" >/dev/null
fi

kubectl apply -f "$root/scripts/cluster/nodes.yaml" -f "$root/scripts/cluster/storage.yaml" >/dev/null
kubectl wait --for=condition=Ready node --all --timeout=60s >/dev/null
# Pods can be created in a namespace only once its default ServiceAccount exists.
for _ in $(seq 1 60); do
	kubectl get serviceaccount default -n default >/dev/null 2>&1 && break
	sleep 0.5
done
# One real node per machine (fixed ports and paths): the project's cluster has
# it; a throw-away second cluster (CLUSTER_NAME set, as tests make) does not,
# unless STORE_REAL_NODE=1 asks.
real_node=${STORE_REAL_NODE:-$([ -z "${CLUSTER_NAME:-}" ] && echo 1 || echo 0)}
if [ "$real_node" != 0 ]; then
	CLUSTER_NAME=$name CLUSTER_DIR=$state "$root/scripts/cluster/node.sh" start || {
		log "the real node did not start (logs in $state/node/logs)"
		exit 1
	}
fi
log "ready in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")s: KUBECONFIG=$kubeconfig"
