#!/usr/bin/env bash
# make up: real stores on a workstation with Docker. Creates a kind cluster whose node publishes
# ports 80 and 443 on this machine, installs ingress-nginx, builds the orchestrator and WordPress
# images and loads them into the cluster, installs the platform chart with values-local.yaml,
# waits until it is ready, and prints the dashboard URL and the admin token.
#
# Idempotent: an existing cluster is reused, images are rebuilt, the chart is upgraded.
# The cluster's kubeconfig is .cluster/kind.kubeconfig (not ~/.kube/config, and not the local
# control plane's .cluster/kubeconfig). `make down` (scripts/kind-down.sh) removes it all.
#
# Environment: KIND_CLUSTER_NAME (store-platform), HTTP_PORT (80), HTTPS_PORT (443),
# INGRESS_NGINX_VERSION (controller tag of ingress-nginx's kind manifest).
#
# k3d instead of kind: `k3d cluster create store-platform -p 80:80@loadbalancer
# --k3s-arg --disable=traefik@server:0`, install ingress-nginx's cloud manifest, then
# `k3d image import` both images and run the helm command below.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${KIND_CLUSTER_NAME:-store-platform}
http_port=${HTTP_PORT:-80}
https_port=${HTTPS_PORT:-443}
ingress_nginx=${INGRESS_NGINX_VERSION:-controller-v1.12.1}
release=store-platform
namespace=store-platform
orchestrator_image=store-platform/orchestrator:local
export KUBECONFIG="$root/.cluster/kind.kubeconfig"
# helm and kubectl from `make tools` when they were built; else whatever is on PATH
tools_dir=$("$root/scripts/tools.sh" --dir)
[ -d "$tools_dir" ] && PATH="$tools_dir:$PATH"

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

# Every prerequisite, checked before anything changes, named together when missing.
missing=()
for tool in docker kind kubectl helm jq; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (docker: https://docs.docker.com/engine/install/, kind: https://kind.sigs.k8s.io/, kubectl and helm: make tools, jq: apt-get install jq)"
docker info >/dev/null 2>&1 || die "docker is installed but its daemon is not reachable (is it running, may this user use it?)"
[ -f "$root/images/wordpress/Dockerfile" ] || die "missing: images/wordpress/Dockerfile"

mkdir -p "$root/.cluster"
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
	log "reusing kind cluster $cluster"
	kind export kubeconfig --name "$cluster" --kubeconfig "$KUBECONFIG" >/dev/null
else
	log "creating kind cluster $cluster (ports $http_port, $https_port)"
	kind create cluster --name "$cluster" --kubeconfig "$KUBECONFIG" --wait 120s --config - <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    labels:
      ingress-ready: "true"
    extraPortMappings:
      - containerPort: 80
        hostPort: $http_port
        protocol: TCP
      - containerPort: 443
        hostPort: $https_port
        protocol: TCP
YAML
fi

log "installing ingress-nginx $ingress_nginx"
kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/$ingress_nginx/deploy/static/provider/kind/deploy.yaml" >/dev/null
kubectl wait -n ingress-nginx --for=condition=Available deployment/ingress-nginx-controller --timeout=180s >/dev/null

# *.localtest.me is 127.0.0.1 everywhere, also inside pods, where the orchestrator's storefront
# check fetches each store's public URL. Inside the cluster, answer those names with the ingress
# controller's Service instead, so the check goes through the same ingress a browser does.
corefile=$(kubectl -n kube-system get configmap coredns -o jsonpath='{.data.Corefile}')
if ! grep -q 'localtest' <<<"$corefile"; then
	log "resolving *.localtest.me to the ingress controller inside the cluster"
	rewrite='rewrite name regex (.+)\\.localtest\\.me ingress-nginx-controller.ingress-nginx.svc.cluster.local answer auto'
	corefile=$(awk -v rw="$rewrite" '{print} /^[[:space:]]*ready$/ {match($0, /^[[:space:]]*/); printf "%s%s\n", substr($0, 1, RLENGTH), rw}' <<<"$corefile")
	kubectl -n kube-system create configmap coredns --from-literal=Corefile="$corefile" --dry-run=client -o yaml |
		kubectl replace -f - >/dev/null
	kubectl -n kube-system rollout restart deployment coredns >/dev/null
	kubectl -n kube-system rollout status deployment coredns --timeout=120s >/dev/null
fi

wordpress_image="store-platform/wordpress:$(helm show values "$root/charts/store" --jsonpath '{.wordpress.image.tag}')"
mariadb_image="store-platform/mariadb:$(helm show values "$root/charts/store" --jsonpath '{.database.image.tag}')"
medusa_image="store-platform/medusa:$(helm show values "$root/charts/medusa" --jsonpath '{.medusa.image.tag}')"
postgresql_image="store-platform/postgresql:$(helm show values "$root/charts/medusa" --jsonpath '{.database.image.tag}')"
log "building $orchestrator_image"
docker build -f "$root/images/orchestrator/Dockerfile" -t "$orchestrator_image" "$root"
log "building $wordpress_image and $mariadb_image (the woocommerce engine)"
docker build -f "$root/images/wordpress/Dockerfile" -t "$wordpress_image" "$root/images/wordpress"
docker build -t "$mariadb_image" "$root/images/mariadb"
log "building $medusa_image and $postgresql_image (the medusa engine)"
docker build -f "$root/images/medusa/Dockerfile" -t "$medusa_image" "$root"
docker build -t "$postgresql_image" "$root/images/postgresql"
log "loading the images into the cluster"
kind load docker-image --name "$cluster" "$orchestrator_image" "$wordpress_image" "$mariadb_image" "$medusa_image" "$postgresql_image"

log "installing the platform chart (release $release in namespace $namespace)"
helm upgrade --install "$release" "$root/charts/platform" -n "$namespace" --create-namespace \
	-f "$root/charts/platform/values-local.yaml" --wait --timeout 5m >/dev/null
# the images are rebuilt under the same tag: restart so the pods run the new build
kubectl -n "$namespace" rollout restart deployment -l "app.kubernetes.io/instance=$release" >/dev/null
kubectl -n "$namespace" rollout status deployment -l "app.kubernetes.io/instance=$release" --timeout=180s >/dev/null

host=$(helm get values "$release" -n "$namespace" --all -o json | jq -r .ingress.host)
secret=$(kubectl get secret -n "$namespace" -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=orchestrator" -o jsonpath='{.items[0].metadata.name}')
token=$(kubectl get secret -n "$namespace" "$secret" -o jsonpath='{.data.tokens}' | base64 -d | awk '$3 == "admin" {print $1; exit}')
port_suffix=""
[ "$http_port" = 80 ] || port_suffix=":$http_port"
cat <<EOT

store-platform is up on kind cluster "$cluster".
  dashboard:    http://$host$port_suffix/
  admin token:  $token
  kubectl:      export KUBECONFIG=$KUBECONFIG
  remove it:    make down
EOT
