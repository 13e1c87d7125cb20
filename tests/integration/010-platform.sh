#!/usr/bin/env bash
# The platform itself in the cluster, on the real node: charts/platform installed from
# the orchestrator image `make images` built (two replicas, in-cluster configuration,
# leader election, scripts/cluster/platform-values.yaml). Through the ingress, as an
# operator and a shop owner would: the dashboard and the API answer, a store POSTed
# there becomes Ready once its storefront answers (the in-cluster storefront check
# goes through the ingress too), the URLs the API gives (and the dashboard shows)
# work, and an order is placed and verified. Then the leader's process is killed: the other
# replica takes the Lease over and provisions the next store. DELETE through the API
# leaves nothing; the release is uninstalled at the end.
# Prints the times: install -> both replicas Ready, POST -> Ready, kill -> hand-over.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

port=${STORE_INGRESS_PORT:-80}
sock="$root/.cluster/node/containerd/containerd.sock"
run="p$RANDOM"
ns="sp-$run"
release="sp-$run"
phost="platform-$run.localtest.me"
tmp=$(mktemp -d /tmp/sp-platform-XXXXXX)
stores=()

cleanup() {
	local s
	for s in "${stores[@]}"; do stores_forget "$s"; done
	if [ -n "${SP_TEST_KEEP_LOGS:-}" ] || [ "${failed:-0}" != 0 ]; then
		kubectl -n "$ns" logs -l app.kubernetes.io/component=orchestrator --tail=15 --prefix 2>/dev/null | sed 's/^/# /'
	fi
	helm uninstall "$release" -n "$ns" --wait --timeout 60s >/dev/null 2>&1
	kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
since() { echo "$(date +%s.%N) - $1" | bc; } # seconds since a date +%s.%N
eval "$(declare -f _t_report | sed '1s/_t_report/_t_report_lib/')"
_t_report() {
	[ "$1" -eq 0 ] || failed=1
	_t_report_lib "$@"
}

if ! "$root/scripts/cluster/node.sh" status; then
	echo "not ok - the real node is Ready (make cluster-up starts it)"
	exit 1
fi
image=$("$root/scripts/images.sh" --list | grep '/orchestrator:')
loaded=$(ctr --address "$sock" -n k8s.io images ls -q 2>/dev/null) # not piped into grep -q (SIGPIPE)
if ! grep -qx "docker.io/$image" <<<"$loaded"; then
	echo "not ok - the orchestrator image $image is loaded on the real node (make images)"
	exit 1
fi
echo "ok - the real node is Ready with the orchestrator image"

# The API server for pods: the "kubernetes" Service's endpoint must be one the pods reach.
advertised=$(kubectl get endpointslice -n default -l kubernetes.io/service-name=kubernetes \
	-o jsonpath='{.items[0].endpoints[0].addresses[0]}')
check "the API server advertises the real node's bridge (10.88.0.1) to pods" [ "$advertised" = 10.88.0.1 ] || exit 1

kubectl apply -f "$root/charts/platform/crds/stores.yaml" >/dev/null
t0=$(date +%s.%N)
check "the platform chart installs with two replicas on the real node" \
	helm install "$release" "$root/charts/platform" -n "$ns" --create-namespace \
	-f "$root/scripts/cluster/platform-values.yaml" \
	--set "ingress.host=$phost" \
	--set-json "config.extraArgs=[\"--storefront-connect-to=10.88.0.1:80\",\"--controller-class=it-$run\"]" \
	--wait --timeout 3m || exit 1
printf '# install -> both replicas Ready: %.1f s\n' "$(since "$t0")"
pods_json() { kubectl get pods -n "$ns" -l app.kubernetes.io/component=orchestrator -o json; }
on_node() {
	pods_json | jq -e --arg image "$image" '[.items[] | select(.status.phase == "Running" and
		.spec.nodeName == "real-node" and .spec.containers[0].image == $image)] | length == 2'
}
check "both replicas run on the real node, from the local image" on_node

lease=$(kubectl get lease -n "$ns" -o jsonpath='{.items[0].metadata.name}')
holder() { kubectl get lease -n "$ns" "$lease" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_pod() { # the pod whose name starts the holder's identity ("<pod>-<pid>")
	local h p
	h=$(holder)
	for p in $(pods_json | jq -r '.items[].metadata.name'); do
		case $h in "$p"-*) echo "$p" ;; esac
	done
}
has_holder() { [ -n "$(holder_pod)" ]; }
check "one replica holds the Lease" wait_for 30 has_holder

secret=$(kubectl get secret -n "$ns" -l app.kubernetes.io/component=orchestrator -o name | head -n1)
token=$(kubectl get -n "$ns" "$secret" -o jsonpath='{.data.tokens}' | base64 -d | awk '!/^#/ && NF {print $1; exit}')
api() { # METHOD PATH [BODY]: through the ingress; the body to $tmp/body, prints the status
	curl -sS --max-time 15 -o "$tmp/body" -w '%{http_code}' -X "$1" -H "Host: $phost" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		${3:+--data "$3"} "http://127.0.0.1:$port/api/v1$2"
}
dashboard() {
	curl -sS --max-time 10 -H "Host: $phost" -o "$tmp/index.html" "http://127.0.0.1:$port/" &&
		grep -qi '<title>' "$tmp/index.html" && grep -q '<script' "$tmp/index.html"
}
check "the dashboard answers through the ingress" wait_for 30 dashboard
check "the API answers through the ingress with the generated admin token" bash -c \
	"[ \"\$(curl -sS -o /dev/null -w '%{http_code}' -H 'Host: $phost' -H 'Authorization: Bearer $token' http://127.0.0.1:$port/api/v1/me)\" = 200 ]"

phase() { api GET "/stores/$1" >/dev/null && jq -r '.phase // empty' "$tmp/body"; }
ready() { [ "$(phase "$1")" = Ready ]; }
create() { # NAME: POST, 201
	local code
	code=$(api POST /stores "{\"name\":\"$1\",\"engine\":\"woocommerce\",\"displayName\":\"Platform $1\"}")
	[ "$code" = 201 ] || { echo "POST: HTTP $code $(cat "$tmp/body")"; return 1; }
}

s1="pl1-$run"
t0=$(date +%s.%N)
stores+=("$s1")
check "POST /api/v1/stores through the ingress: 201" create "$s1"
check "the in-cluster platform makes the store Ready" wait_for 300 ready "$s1"
printf '# POST -> Ready (in-cluster orchestrator): %.1f s\n' "$(since "$t0")"
check "Ready came after the storefront answered (StorefrontReady: Serving)" bash -c \
	"kubectl get store $s1 -o json | jq -e '.status.conditions[] | select(.type == \"StorefrontReady\") | .status == \"True\" and .reason == \"Serving\"'"

# The URLs the API gives, which the dashboard shows as the store's links: they work.
api GET "/stores/$s1" >/dev/null
url=$(jq -r '.url // empty' "$tmp/body")
admin_url=$(jq -r '.adminUrl // empty' "$tmp/body")
echo "# url: $url  admin: $admin_url"
opens() { # URL [WORD]: the page answers 200 (following redirects) through the ingress, showing WORD
	local hostport=${1#*://}
	hostport=${hostport%%/*}
	curl -sS -L --max-time 15 --connect-to "${hostport%%:*}:80:127.0.0.1:$port" -o "$tmp/page" -w '%{http_code}' "$1" | grep -qx 200 &&
		{ [ -z "${2:-}" ] || grep -q "$2" "$tmp/page"; }
}
check "the storefront URL opens the shop" opens "$url" "Platform $s1"
check "the admin URL opens the WordPress login" opens "$admin_url" 'user_login'

"$root/scripts/order.sh" --host "$s1.localtest.me" --namespace "store-$s1" "http://127.0.0.1:$port" >"$tmp/order.out" 2>&1
rc=$?
sed "s/^/# /" "$tmp/order.out"
check "an order in the store the platform made: COD, INR, GST, checked in the database" bash -c \
	"[ $rc = 0 ] && grep -q 'verified in the database of store-$s1' '$tmp/order.out'"

# Kill the leader: its container is SIGKILLed on the node (as an OOM kill or a crash
# would; a pod deletion would send SIGTERM, and a stopping leader hands its Lease over
# at once). Once the Lease expired (15 s) a live process takes it: the other replica,
# or the killed one's container restarted in its pod, a new candidate with an identity
# of its own (never its dead predecessor's, which would lead without waiting). The new
# leader provisions the next store.
leader=$(holder_pod)
before=$(holder)
cid=$(kubectl get pod -n "$ns" "$leader" -o jsonpath='{.status.containerStatuses[0].containerID}')
t0=$(date +%s.%N)
ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "${cid#containerd://}" >/dev/null 2>&1
handed() { local h; h=$(holder); [ -n "$h" ] && [ "$h" != "$before" ]; }
check "killing the leader's process ($before) hands the Lease to a live one" wait_for 60 handed
printf '# leader killed -> new leader: %.1f s (was %s, now %s)\n' "$(since "$t0")" "$before" "$(holder)"
s2="pl2-$run"
t0=$(date +%s.%N)
stores+=("$s2")
check "the new leader takes a store POSTed after the kill" create "$s2"
check "... to Ready" wait_for 300 ready "$s2"
printf '# POST -> Ready after the hand-over: %.1f s\n' "$(since "$t0")"
check "the first store is still Ready" ready "$s1"
deploy=$(kubectl get deployment -n "$ns" -l app.kubernetes.io/component=orchestrator -o name)
check "the killed replica is back (two replicas Ready)" \
	kubectl rollout status -n "$ns" "$deploy" --timeout=120s
check "... and the Lease is held by one of the two" has_holder

# DELETE through the API: nothing of either store is left.
deleted() { local code; code=$(api DELETE "/stores/$1"); [ "$code" = 202 ]; }
both_deleted() { deleted "$s1" && deleted "$s2"; }
check "DELETE both stores through the API: 202" both_deleted
check "both Stores are gone" wait_for 180 bash -c "! kubectl get store $s1 $s2 2>/dev/null | grep -q ."
check "their namespaces are gone" wait_for 120 bash -c "! kubectl get namespace store-$s1 store-$s2 2>/dev/null | grep -q ."
no_containers() {
	local s
	for s in "$s1" "$s2"; do
		[ -z "$(ctr --address "$sock" -n k8s.io containers ls -q "labels.\"io.kubernetes.pod.namespace\"==store-$s" 2>/dev/null)" ] || return 1
	done
}
check "no container of theirs is left on the node" wait_for 90 no_containers
exit 0
