#!/usr/bin/env bash
# Builds the pinned third-party tools (tools/versions.env) from their Go modules
# into a cache outside the repository, keyed by a hash of every file under tools/,
# so a second run on the same machine builds nothing. Prints the bin directory.
#
#   scripts/tools.sh          build what is missing, print the bin dir
#   scripts/tools.sh --dir    print the bin dir only (no build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/versions.env
. "$root/tools/versions.env"

key=$(cd "$root/tools" && find . -type f \( -name 'go.mod' -o -name 'go.sum' -o -name '*.go' -o -name versions.env \) \
	| LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
cache=${STORE_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/store-platform}
bin="$cache/tools/$key/bin"

if [ "${1:-}" = "--dir" ]; then
	echo "$bin"
	exit 0
fi

# The control plane and its clients, then the real node (kubelet, kube-proxy,
# containerd with its shim and ctr) and what serves it (CoreDNS, Traefik).
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl helm
	kubelet kube-proxy containerd containerd-shim-runc-v2 ctr coredns traefik)
missing=()
for b in "${want[@]}"; do
	[ -x "$bin/$b" ] || missing+=("$b")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "$bin"
	exit 0
fi

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
mkdir -p "$bin"
export GOFLAGS=-mod=mod CGO_ENABLED=0
start=$(date +%s)

have() { [ -x "$bin/$1" ]; }

if ! have etcd; then
	log "building etcd v$ETCD_VERSION"
	(cd "$root/tools/etcd" && go build -trimpath -o "$bin/etcd.tmp" . && mv "$bin/etcd.tmp" "$bin/etcd")
fi

if ! have helm; then
	log "building helm v$HELM_VERSION"
	(cd "$root/tools/helm" && go build -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" \
		-o "$bin/helm.tmp" helm.sh/helm/v4/cmd/helm && mv "$bin/helm.tmp" "$bin/helm")
fi

if ! have kwok || ! have kwokctl; then
	log "building kwok and kwokctl v$KWOK_VERSION"
	kld="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=v$KUBE_VERSION"
	(cd "$root/tools/kwok" && for t in kwok kwokctl; do
		go build -trimpath -ldflags "$kld" -o "$bin/$t.tmp" "sigs.k8s.io/kwok/cmd/$t" && mv "$bin/$t.tmp" "$bin/$t"
	done)
fi

kube=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
for t in "${kube[@]}"; do
	have "$t" && continue
	IFS=. read -r major minor _ <<<"$KUBE_VERSION"
	v=k8s.io/component-base/version
	kld="-s -w -X $v.gitVersion=v$KUBE_VERSION -X $v.gitMajor=$major -X $v.gitMinor=$minor"
	kld+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
	# client-go carries its own copy of the version variables (kubectl reports them)
	kld+=" -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
	log "building $t v$KUBE_VERSION"
	(cd "$root/tools/kube" && go build -trimpath -ldflags "$kld" -o "$bin/$t.tmp" "k8s.io/kubernetes/cmd/$t" && mv "$bin/$t.tmp" "$bin/$t")
done

for t in containerd containerd-shim-runc-v2 ctr; do
	have "$t" && continue
	cld="-s -w -X github.com/containerd/containerd/v2/version.Version=v$CONTAINERD_VERSION"
	log "building $t v$CONTAINERD_VERSION"
	(cd "$root/tools/containerd" && go build -trimpath -ldflags "$cld" -o "$bin/$t.tmp" "github.com/containerd/containerd/v2/cmd/$t" && mv "$bin/$t.tmp" "$bin/$t")
done

if ! have coredns; then
	log "building coredns v$COREDNS_VERSION"
	(cd "$root/tools/coredns" && go build -trimpath -ldflags "-s -w" -o "$bin/coredns.tmp" github.com/coredns/coredns && mv "$bin/coredns.tmp" "$bin/coredns")
fi

if ! have traefik; then
	log "building traefik v$TRAEFIK_VERSION"
	(cd "$root/tools/traefik" && go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=v$TRAEFIK_VERSION" \
		-o "$bin/traefik.tmp" github.com/traefik/traefik/v3/cmd/traefik && mv "$bin/traefik.tmp" "$bin/traefik")
fi

log "built ${#missing[@]} tool(s) in $(($(date +%s) - start))s into $bin"
echo "$bin"
