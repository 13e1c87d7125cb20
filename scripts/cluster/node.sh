#!/usr/bin/env bash
# The local cluster's real node, beside its KWOK-simulated ones: kubelet,
# kube-proxy and containerd (built from Go modules by scripts/tools.sh) with
# Debian's runc and CNI plugins, so store pods really run here. With it, on the
# host: CoreDNS (Service names for the pods), Traefik (the ingress controller,
# on loopback, serving the IngressClasses "nginx" and "traefik") and a watcher
# that opens the host-path provisioner's new volume directories to the pods'
# non-root users (k3s's local-path provisioner makes them 0777 the same way).
#
#   scripts/cluster/node.sh start    idempotent; the control plane must be up
#   scripts/cluster/node.sh stop     leaves no process, mount, iptables chain,
#                                    cgroup, network device or file behind, and
#                                    restores the sysctls the node changed
#   scripts/cluster/node.sh status   exit 0 when the node is Ready
#
# The node is named $REAL_NODE_NAME (real-node), labelled
# storeplatform.dev/node=real and tainted storeplatform.dev/real-node=true:NoSchedule,
# so only pods that ask for it run there. Its pods get 10.88.0.0/24 on the
# bridge spbr0 (10.88.0.1, an address that exists only on this machine; the
# kubelet, CoreDNS and NodePorts listen there). The ingress answers on
# 127.0.0.1:$STORE_INGRESS_PORT (80): http://<store>.localtest.me/ from this
# machine, and on 10.88.0.1:80 for the pods (the in-cluster orchestrator's
# storefront check). The API server stays on loopback; pods reach it through
# the "kubernetes" Service, which the API server advertises at 10.88.0.1 on its
# own port (scripts/cluster/kwokctl.yaml), where socat forwards to loopback.
# Fixed paths the components use whatever their flags: /run/containerd,
# /var/lib/cni, /var/lib/kubelet/device-plugins; only one real node per machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
name=${CLUSTER_NAME:-store-platform}
state=${CLUSTER_DIR:-$root/.cluster}
node=${REAL_NODE_NAME:-real-node}
dir="$state/node"
pki_ca="$state/kwok/clusters/$name/pki"
admin_kubeconfig="$state/kubeconfig"
bin=$("$root/scripts/tools.sh" --dir)
bridge=spbr0
gw=10.88.0.1
cidr=10.88.0.0/24
ingress_port=${STORE_INGRESS_PORT:-80}
cgroup_root=store-platform
sock="$dir/containerd/containerd.sock"
sandbox_image=store-platform/pause:1
# Which cluster's node this machine runs: the fixed paths, the bridge, the
# chains and the cgroups are the machine's, so only their owner may set them
# up or take them down.
owner_file=/run/store-platform-real-node
busybox_image=store-platform/busybox:1
export PATH="$bin:$PATH"

log() { printf 'node: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
kc() { kubectl --kubeconfig "$admin_kubeconfig" "$@"; }

# --- certificates and kubeconfigs, from the cluster's CA ----------------------

# cert NAME SUBJECT [SAN]: a client (or, with SAN, serving) certificate signed by the cluster CA.
cert() {
	local n=$1 subj=$2 san=${3:-}
	[ -s "$dir/pki/$n.crt" ] && return 0
	openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/pki/$n.key" -subj "$subj" -out "$dir/pki/$n.csr" 2>/dev/null
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=digitalSignature,keyEncipherment"
		if [ -n "$san" ]; then echo "extendedKeyUsage=serverAuth"; echo "subjectAltName=$san"; else echo "extendedKeyUsage=clientAuth"; fi
	} >"$dir/pki/$n.ext"
	openssl x509 -req -in "$dir/pki/$n.csr" -CA "$pki_ca/ca.crt" -CAkey "$pki_ca/ca.key" -CAcreateserial \
		-days 365 -extfile "$dir/pki/$n.ext" -out "$dir/pki/$n.crt" 2>/dev/null
	chmod 0600 "$dir/pki/$n.key"
}

kubeconfig_for() { # NAME: $dir/NAME.kubeconfig with NAME's client certificate
	local server
	server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	put "$dir/$1.kubeconfig" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		- name: local
		  cluster: {server: "$server", certificate-authority: "$pki_ca/ca.crt"}
		users:
		- name: $1
		  user: {client-certificate: "$dir/pki/$1.crt", client-key: "$dir/pki/$1.key"}
		contexts:
		- name: local
		  context: {cluster: local, user: $1}
		current-context: local
	EOF
	chmod 0600 "$dir/$1.kubeconfig"
}

# put FILE: stdin into FILE only when it differs (kube-proxy exits when its
# configuration file is written, even with the same content).
put() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# --- processes -----------------------------------------------------------------

running() { [ -f "$dir/pids/$1.pid" ] && kill -0 "$(cat "$dir/pids/$1.pid")" 2>/dev/null; }

spawn() { # NAME COMMAND...: in a session of its own, log in $dir/logs/NAME.log
	local n=$1
	shift
	running "$n" && return 0
	setsid "$@" >>"$dir/logs/$n.log" 2>&1 </dev/null &
	echo $! >"$dir/pids/$n.pid"
}

stop_process() { # NAME: its whole process group (spawn made it a session leader)
	local pid
	[ -f "$dir/pids/$1.pid" ] || return 0
	pid=$(cat "$dir/pids/$1.pid")
	kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 -- "-$pid" 2>/dev/null || true
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/pids/$1.pid"
}

wait_until() { # SECONDS WHAT COMMAND...
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	die "$what did not come up in ${secs}s (logs in $dir/logs)"
}

# --- host settings the node changes, saved once and restored by stop -----------

sysctls=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward)

save_host() {
	[ -f "$dir/host.saved" ] && return 0
	local s
	for s in "${sysctls[@]}"; do
		echo "$s=$(sysctl -n "$s")"
	done >"$dir/host.saved.tmp"
	# Fixed paths that exist before the node: stop leaves those.
	for p in /run/containerd /run/nri /var/lib/cni /var/lib/kubelet /var/lib/kubelet/device-plugins /tmp/hostpath_pv; do
		[ -e "$p" ] && echo "existed=$p"
	done >>"$dir/host.saved.tmp"
	mv "$dir/host.saved.tmp" "$dir/host.saved"
}

# --- the pieces -----------------------------------------------------------------

require() {
	local missing=() c
	for c in kubelet kube-proxy containerd containerd-shim-runc-v2 ctr coredns traefik kubectl; do
		[ -x "$bin/$c" ] || missing+=("$c (make tools)")
	done
	command -v socat >/dev/null || missing+=("socat (make deps)")
	for c in runc iptables ip6tables conntrack ip openssl inotifywait gcc umoci jq; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c (make deps)")
	done
	[ -x /bin/busybox ] || missing+=("busybox-static (make deps)")
	[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] || missing+=("CNI plugins (make deps)")
	[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]}"
	[ -f "$pki_ca/ca.key" ] || die "no cluster CA at $pki_ca (start the control plane first)"
	kc get --raw /readyz >/dev/null 2>&1 || die "the API server does not answer"
}

setup_bridge() {
	if ! ip link show "$bridge" >/dev/null 2>&1; then
		ip link add "$bridge" type bridge
		ip addr add "$gw/24" dev "$bridge"
	fi
	ip link set "$bridge" up
	mkdir -p "$dir/cni/net.d" "$dir/cni/ipam"
	put "$dir/cni/net.d/10-store-platform.conflist" <<-EOF
		{
		  "cniVersion": "1.0.0",
		  "name": "store-platform",
		  "plugins": [
		    {
		      "type": "bridge",
		      "bridge": "$bridge",
		      "isGateway": true,
		      "ipMasq": true,
		      "hairpinMode": true,
		      "ipam": {
		        "type": "host-local",
		        "dataDir": "$dir/cni/ipam",
		        "ranges": [[{"subnet": "$cidr", "rangeStart": "10.88.0.10", "gateway": "$gw"}]],
		        "routes": [{"dst": "0.0.0.0/0"}]
		      }
		    },
		    {"type": "portmap", "capabilities": {"portMappings": true}}
		  ]
		}
	EOF
}

start_containerd() {
	mkdir -p "$dir/containerd/root" "$dir/containerd/state"
	put "$dir/containerd/config.toml" <<-EOF
		# containerd of the local cluster's real node (scripts/cluster/node.sh).
		version = 3
		root = "$dir/containerd/root"
		state = "$dir/containerd/state"
		[grpc]
		  address = "$sock"
		[ttrpc]
		  address = "$sock.ttrpc"
		[plugins.'io.containerd.internal.v1.opt']
		  path = "$dir/containerd/opt"
		[plugins.'io.containerd.nri.v1.nri']
		  disable = true
		[plugins.'io.containerd.cri.v1.images']
		  snapshotter = 'overlayfs'
		  [plugins.'io.containerd.cri.v1.images'.pinned_images]
		    sandbox = '$sandbox_image'
		[plugins.'io.containerd.cri.v1.runtime']
		  # root here lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj below ours.
		  restrict_oom_score_adj = true
		  netns_mounts_under_state_dir = true
		  [plugins.'io.containerd.cri.v1.runtime'.containerd]
		    default_runtime_name = 'runc'
		    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
		      runtime_type = 'io.containerd.runc.v2'
		      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
		        BinaryName = '$(command -v runc)'
		        SystemdCgroup = false
		  [plugins.'io.containerd.cri.v1.runtime'.cni]
		    bin_dirs = ['/usr/lib/cni']
		    conf_dir = '$dir/cni/net.d'
		    max_conf_num = 1
	EOF
	spawn containerd containerd --config "$dir/containerd/config.toml"
	wait_until 30 containerd ctr --address "$sock" version
}

# ctr on the node's containerd, without its cgroup v1 deprecation notice.
ctr_k8s() { ctr --address "$sock" -n k8s.io "$@" 2> >(grep -v "DEPRECATION: The support for cgroup v1" >&2); }

# static_image REF BINARY ENTRYPOINT...: a one-file image made with umoci from a
# static binary, imported into the node's containerd unless it is there.
static_image() {
	local ref=$1 file=$2 w
	shift 2
	ctr_k8s images ls -q | grep -x "docker.io/$ref" >/dev/null && return 0
	w=$(mktemp -d "$dir/image.XXXXXX")
	umoci init --layout "$w/oci"
	umoci new --image "$w/oci:img"
	umoci unpack --image "$w/oci:img" "$w/bundle" >/dev/null
	install -m 0755 "$file" "$w/bundle/rootfs/$(basename "$file")"
	umoci repack --image "$w/oci:img" "$w/bundle"
	local args=() e
	for e in "$@"; do args+=(--config.entrypoint "$e"); done
	umoci config --image "$w/oci:img" "${args[@]}" --config.user 65535:65535
	# The full reference as the manifest's name (umoci's tags cannot hold one).
	jq --arg ref "docker.io/$ref" '.manifests[0].annotations["org.opencontainers.image.ref.name"] = $ref' \
		"$w/oci/index.json" >"$w/index.json" && mv "$w/index.json" "$w/oci/index.json"
	tar -C "$w/oci" -cf "$w/image.tar" .
	ctr_k8s images import "$w/image.tar" >/dev/null
	rm -rf "$w"
	ctr_k8s images ls -q | grep -x "docker.io/$ref" >/dev/null || die "image $ref did not import"
}

# The sandbox image (a static pause program), and a busybox for tests and
# debugging (Debian's busybox-static: a shell, wget, nslookup, httpd).
load_images() {
	gcc -O2 -static -o "$dir/pause" "$root/scripts/cluster/pause.c"
	static_image "$sandbox_image" "$dir/pause" /pause
	static_image "$busybox_image" /bin/busybox /busybox
}

start_kubelet() {
	cert kubelet "/O=system:nodes/CN=system:node:$node"
	cert kubelet-serving "/CN=$node" "IP:$gw,DNS:$node"
	kubeconfig_for kubelet
	mkdir -p "$dir/kubelet" "$dir/pod-logs" "$dir/kubelet-plugins"
	put "$dir/kubelet.yaml" <<-EOF
		apiVersion: kubelet.config.k8s.io/v1beta1
		kind: KubeletConfiguration
		# These machines mount cgroup v1 only.
		failCgroupV1: false
		cgroupDriver: cgroupfs
		cgroupRoot: /$cgroup_root
		containerRuntimeEndpoint: unix://$sock
		address: $gw
		port: 10350
		readOnlyPort: 0
		healthzBindAddress: 127.0.0.1
		healthzPort: 10348
		tlsCertFile: $dir/pki/kubelet-serving.crt
		tlsPrivateKeyFile: $dir/pki/kubelet-serving.key
		authentication:
		  anonymous: {enabled: false}
		  webhook: {enabled: true}
		  x509: {clientCAFile: $pki_ca/ca.crt}
		authorization: {mode: Webhook}
		clusterDNS: [$gw]
		clusterDomain: cluster.local
		registerWithTaints:
		  - {key: storeplatform.dev/real-node, value: "true", effect: NoSchedule}
		failSwapOn: false
		maxPods: 60
		podLogsDir: $dir/pod-logs
		volumePluginDir: $dir/kubelet-plugins
		serializeImagePulls: false
		# Images are loaded here, never pulled: keep them however full the disk is.
		imageGCHighThresholdPercent: 100
		imageGCLowThresholdPercent: 99
		evictionHard: {memory.available: 200Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
		shutdownGracePeriod: 0s
	EOF
	spawn kubelet kubelet --config "$dir/kubelet.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
		--root-dir "$dir/kubelet" --cert-dir "$dir/pki" --hostname-override "$node" --node-ip "$gw" \
		--node-labels "storeplatform.dev/node=real" --v=1
}

start_kube_proxy() {
	cert kube-proxy "/CN=system:kube-proxy"
	kubeconfig_for kube-proxy
	put "$dir/kube-proxy.yaml" <<-EOF
		apiVersion: kubeproxy.config.k8s.io/v1alpha1
		kind: KubeProxyConfiguration
		clientConnection: {kubeconfig: $dir/kube-proxy.kubeconfig}
		hostnameOverride: $node
		mode: iptables
		clusterCIDR: $cidr
		healthzBindAddress: 127.0.0.1:10356
		metricsBindAddress: 127.0.0.1:10349
		# NodePorts on the bridge address only; conntrack and route_localnet untouched.
		nodePortAddresses: ["$gw/32"]
		iptables: {localhostNodePorts: false}
		conntrack: {maxPerCore: 0}
	EOF
	spawn kube-proxy kube-proxy --config "$dir/kube-proxy.yaml"
}

# RBAC of the host services that read the cluster with certificates of their own.
apply_rbac() {
	kc apply -f - >/dev/null <<-'EOF'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRole
		metadata: {name: "storeplatform:coredns"}
		rules:
		  - apiGroups: [""]
		    resources: [endpoints, services, pods, namespaces]
		    verbs: [list, watch]
		  - apiGroups: [discovery.k8s.io]
		    resources: [endpointslices]
		    verbs: [list, watch]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: "storeplatform:coredns"}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "storeplatform:coredns"}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "storeplatform:coredns"}]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRole
		metadata: {name: "storeplatform:traefik"}
		rules:
		  - apiGroups: [""]
		    resources: [services, endpoints, secrets, nodes]
		    verbs: [get, list, watch]
		  - apiGroups: [discovery.k8s.io]
		    resources: [endpointslices]
		    verbs: [get, list, watch]
		  - apiGroups: [networking.k8s.io]
		    resources: [ingresses, ingressclasses]
		    verbs: [get, list, watch]
		  - apiGroups: [networking.k8s.io]
		    resources: [ingresses/status]
		    verbs: [update]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: "storeplatform:traefik"}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "storeplatform:traefik"}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "storeplatform:traefik"}]
	EOF
}

start_coredns() {
	cert coredns "/CN=storeplatform:coredns"
	kubeconfig_for coredns
	put "$dir/Corefile" <<-EOF
		.:53 {
		    bind $gw
		    errors
		    health 127.0.0.1:10357
		    ready 127.0.0.1:10355
		    kubernetes cluster.local in-addr.arpa ip6.arpa {
		        kubeconfig $dir/coredns.kubeconfig local
		        pods insecure
		        fallthrough in-addr.arpa ip6.arpa
		    }
		    forward . /etc/resolv.conf
		    cache 10
		}
	EOF
	spawn coredns coredns -conf "$dir/Corefile"
	wait_until 30 CoreDNS curl -fsS http://127.0.0.1:10355/ready
}

start_traefik() {
	cert traefik "/CN=storeplatform:traefik"
	kubeconfig_for traefik
	spawn traefik env KUBECONFIG="$dir/traefik.kubeconfig" traefik \
		--entrypoints.web.address="127.0.0.1:$ingress_port" \
		--entrypoints.pods.address="$gw:80" \
		--entrypoints.ping.address=127.0.0.1:10359 --ping=true --ping.entrypoint=ping \
		--providers.kubernetesingress=true --providers.kubernetesingress.allowemptyservices=true \
		--global.checknewversion=false --global.sendanonymoususage=false --log.level=INFO
	wait_until 30 Traefik curl -fsS http://127.0.0.1:10359/ping
}

# The API server for the pods: the "kubernetes" Service's endpoint is the
# address the API server advertises (kwokctl.yaml: the bridge's, on the port it
# listens on at loopback); forward that address to loopback, and nothing else.
start_apiserver_proxy() {
	local server port advertised
	server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	port=${server##*:}
	advertised=$(kc get endpointslice -n default -l kubernetes.io/service-name=kubernetes \
		-o jsonpath='{.items[0].endpoints[0].addresses[0]}:{.items[0].ports[0].port}' 2>/dev/null || true)
	[ "$advertised" = "$gw:$port" ] ||
		log "warning: the API server advertises '$advertised', not $gw:$port; pods cannot reach it (cluster made before scripts/cluster/kwokctl.yaml set advertise-address: make cluster-down cluster-up)"
	spawn apiserver-proxy socat "TCP-LISTEN:$port,bind=$gw,fork,reuseaddr" "TCP:127.0.0.1:$port"
	wait_until 10 "the API server's address for pods ($gw:$port)" \
		curl -sS --max-time 2 -k -o /dev/null "https://$gw:$port/livez"
}

# kube-controller-manager's host-path provisioner makes each volume's directory
# 0750 root; the pods' users (www-data, mysql) must write there. A new directory
# is opened at once (inotify), and every 2 s whatever was missed: the provisioner
# makes /tmp/hostpath_pv itself again when something removed it, and a watch on
# the removed one would see nothing more.
start_volume_watcher() {
	mkdir -p /tmp/hostpath_pv
	# shellcheck disable=SC2016 # the inner script's own variables
	spawn volumes bash -c 'while :; do
		inotifywait -q -t 2 -e create -e moved_to /tmp/hostpath_pv >/dev/null 2>&1 || sleep 0.2
		find /tmp/hostpath_pv -mindepth 1 -maxdepth 1 -type d ! -perm 0777 -exec chmod 0777 {} + 2>/dev/null
	done'
}

node_ready() {
	[ "$(kc get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# owner: prints the node directory that owns this machine's real node, if any.
owner() { cat "$owner_file" 2>/dev/null || true; }

start() {
	require
	local other
	other=$(owner)
	if [ -n "$other" ] && [ "$other" != "$dir" ]; then
		if [ -f "$other/pids/containerd.pid" ] && kill -0 "$(cat "$other/pids/containerd.pid")" 2>/dev/null; then
			die "this machine's real node belongs to another cluster ($other); stop that one first"
		fi
		log "taking over from a node that no longer runs ($other)"
	fi
	mkdir -p "$dir/pki" "$dir/logs" "$dir/pids"
	echo "$dir" >"$owner_file"
	save_host
	local t0=$SECONDS
	setup_bridge
	create_cgroups
	start_containerd
	load_images
	apply_rbac
	start_kubelet
	start_kube_proxy
	start_coredns
	start_traefik
	start_apiserver_proxy
	start_volume_watcher
	wait_until 60 "node $node" node_ready
	log "node $node ready in $((SECONDS - t0))s; ingress on 127.0.0.1:$ingress_port"
}

# --- stop: undo everything --------------------------------------------------------

# Rules that jump to, and chains named, KUBE-* or CNI-* in every table, IPv4 and IPv6.
clean_iptables() {
	local ipt table chain rule
	for ipt in iptables ip6tables; do
		for table in filter nat mangle raw; do
			{ "$ipt" -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j (KUBE-|CNI-)' || true; } | while read -r rule; do
				# iptables -S quotes a rule's comment as a shell would: eval reads it back.
				eval "\"\$ipt\" -t \"\$table\" ${rule/-A/-D}" 2>/dev/null || true
			done
			for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}'); do
				"$ipt" -t "$table" -F "$chain" 2>/dev/null || true
			done
			for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}'); do
				"$ipt" -t "$table" -X "$chain" 2>/dev/null || true
			done
		done
	done
	# The bridge plugin's masquerade rule for the pod range.
	{ iptables -t nat -S POSTROUTING 2>/dev/null | grep -F -- "-s $cidr" || true; } | while read -r rule; do
		eval "iptables -t nat ${rule/-A/-D}" 2>/dev/null || true
	done
}

stop_containers() {
	local r=/run/containerd/runc/k8s.io id
	[ -d "$r" ] || return 0
	for id in $(runc --root "$r" list -q 2>/dev/null); do
		runc --root "$r" kill -a "$id" KILL 2>/dev/null || true
	done
	sleep 0.5
	for id in $(runc --root "$r" list -q 2>/dev/null); do
		runc --root "$r" delete --force "$id" 2>/dev/null || true
	done
}

unmount_all() {
	local m
	for _ in 1 2 3; do
		{ findmnt -rn -o TARGET | grep -E "^($dir|/run/containerd|/var/lib/kubelet)(/|$)" || true; } | sort -r | while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
	done
}

# The kubelet's cgroup root must exist in every hierarchy; cpuset's needs its
# CPUs and memory nodes given (a new v1 cpuset has none).
create_cgroups() {
	local h
	for h in /sys/fs/cgroup/*/; do
		case $h in */unified/) continue ;; esac
		mkdir -p "$h$cgroup_root"
	done
	if [ -d "/sys/fs/cgroup/cpuset/$cgroup_root" ]; then
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$cgroup_root/cpuset.cpus"
		cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$cgroup_root/cpuset.mems"
	fi
}

remove_cgroups() {
	local h
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
		[ -d "$h$cgroup_root" ] || continue
		find "$h$cgroup_root" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

restore_host() {
	[ -f "$dir/host.saved" ] || return 0
	local line p
	while IFS= read -r line; do
		case $line in
		existed=*) ;;
		*=*) sysctl -q -w "$line" >/dev/null 2>&1 || true ;;
		esac
	done <"$dir/host.saved"
	for p in /run/containerd /run/nri /var/lib/cni /var/lib/kubelet/device-plugins /var/lib/kubelet /tmp/hostpath_pv; do
		grep -qx "existed=$p" "$dir/host.saved" && continue
		case $p in
		/tmp/hostpath_pv) rmdir "$p" 2>/dev/null || true ;; # its volumes go with their claims
		/var/lib/kubelet) rmdir "$p" 2>/dev/null || true ;;
		*) rm -rf "$p" ;;
		esac
	done
	rm -f "$dir/host.saved"
}

stop() {
	[ -d "$dir" ] || return 0
	local t0=$SECONDS p other
	other=$(owner)
	if [ -n "$other" ] && [ "$other" != "$dir" ]; then
		# Not this machine's node: stop only what this directory started.
		for p in volumes apiserver-proxy traefik coredns kubelet kube-proxy containerd; do stop_process "$p"; done
		rm -rf "$dir"
		log "stopped; the machine's node belongs to $other and was left alone"
		return 0
	fi
	if [ -f "$admin_kubeconfig" ]; then
		kc delete node "$node" --wait=false --ignore-not-found --request-timeout=5s >/dev/null 2>&1 || true
	fi
	for p in volumes apiserver-proxy traefik coredns kubelet kube-proxy; do stop_process "$p"; done
	if [ -f "$dir/kube-proxy.yaml" ]; then
		kube-proxy --config "$dir/kube-proxy.yaml" --cleanup >/dev/null 2>&1 || true
	fi
	stop_containers
	stop_process containerd
	pkill -9 -f "containerd-shim-runc-v2 .*$sock" 2>/dev/null || true
	pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io" 2>/dev/null || true
	unmount_all
	ip link del "$bridge" 2>/dev/null || true
	clean_iptables
	remove_cgroups
	restore_host
	rm -rf "$dir"
	rm -f "$owner_file"
	log "stopped and removed in $((SECONDS - t0))s"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) node_ready ;;
*)
	echo "usage: scripts/cluster/node.sh start|stop|status" >&2
	exit 2
	;;
esac
