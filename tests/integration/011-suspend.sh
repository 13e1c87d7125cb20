#!/usr/bin/env bash
# Suspend and resume a store that really runs, on the local cluster's real node, through
# the API as its owner would: Ready -> an order placed through the ingress
# (charts/store/files/order.sh, checked in the database) -> POST .../suspend -> no pod and
# no container of the store runs, its claims (same uids, Bound, their host directories)
# and its credentials Secret remain, and the storefront through the ingress shows nothing
# of the store -> POST .../resume -> Ready again (the storefront check on, so only once the
# shop answers) with the same claims, and the order placed before is still in the
# database. Prints suspend -> no pod and resume -> Ready.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

port=${STORE_INGRESS_PORT:-80}
sock="${CLUSTER_DIR:-$root/.cluster}/node/containerd/containerd.sock"
real_node_ready "$sock" || exit 1

s="sus-$RANDOM"
ns="store-$s"
host="$s.localtest.me"
token="tester-$(openssl rand -hex 16)"
printf '%s tester user\n' "$token" >"$t_tmp/tokens"
chmod 600 "$t_tmp/tokens"
orch_start real --no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port" \
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=5m \
	--tokens-file="$t_tmp/tokens" --rate-user=0 --rate-ip=0
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/real.log"
api_port=$(orch_port "$t_tmp/real.log" "${t_pids[0]}")
check "it serves the API" wait_for 10 curl -sf "http://127.0.0.1:$api_port/readyz"
post() { # ACTION: prints the HTTP status, the body in $t_tmp/post.json
	curl -sS -o "$t_tmp/post.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
		"http://127.0.0.1:$api_port/api/v1/stores/$s/$1"
}
elapsed() { echo "$(date +%s.%N) - $1" | bc; }

store_apply "$s"
check "the store becomes Ready" wait_for 300 store_is "$s" Ready

front() { curl -sS --max-time 10 -H "Host: $host" -o "$t_tmp/front.html" -w '%{http_code}' "http://127.0.0.1:$port$1"; }
serves_the_shop() { [ "$(front /shop/)" = 200 ] && grep -q 'Masala Chai' "$t_tmp/front.html"; }
check "the shop lists its products through the ingress" serves_the_shop
"$root/charts/store/files/order.sh" --host "$host" --namespace "$ns" "http://127.0.0.1:$port" >"$t_tmp/order.out" 2>&1
rc=$?
sed "s/^/# /" "$t_tmp/order.out"
check "an order placed through the ingress, checked in the database" bash -c \
	"[ $rc = 0 ] && grep -q 'verified in the database of $ns' '$t_tmp/order.out'"
order_id=$(sed -n 's/^order: OK order \([0-9]*\) .*/\1/p' "$t_tmp/order.out")

claims() { kubectl get pvc -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}={.status.phase} {end}'; }
pvcs=$(claims)
dirs=$(kubectl get pv -o json | jq -r --arg ns "$ns" '.items[] | select(.spec.claimRef.namespace == $ns) | .spec.hostPath.path')
secret_uid=$(kubectl get secret -n "$ns" "store-$s-credentials" -o jsonpath='{.metadata.uid}')
check "two claims, Bound, on host directories" bash -c \
	"kubectl get pvc -n $ns -o json | jq -e '(.items | length) == 2 and all(.items[]; .status.phase == \"Bound\")' >/dev/null && [ \"\$(wc -w <<<'$dirs')\" = 2 ]"

# --- suspend ----------------------------------------------------------------------------------
running_pods() { kubectl get pods -n "$ns" -o json | jq '[.items[] | select(.status.phase != "Succeeded" and .status.phase != "Failed")] | length'; }
no_pod_runs() { [ "$(running_pods)" = 0 ]; }
containers() { ctr --address "$sock" -n k8s.io containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$ns" 2>/dev/null; }
no_containers() { [ -z "$(containers)" ]; }
no_task_runs() { # none of the store's containers has a running task on the node
	local id running
	running=$(ctr --address "$sock" -n k8s.io tasks ls 2>/dev/null | awk '$3 == "RUNNING" {print $1}')
	for id in $(containers); do
		! grep -qx "$id" <<<"$running" || { echo "still running: $id"; return 1; }
	done
}
suspended() { store_is "$s" Suspended && kubectl get store "$s" -o jsonpath='{.status.message}' | grep -q '^suspended:'; }
t0=$(date +%s.%N)
code=$(post suspend)
check "POST suspend: 202" bash -c "[ '$code' = 202 ] || { cat '$t_tmp/post.json'; exit 1; }"
check "POST suspend again: 200" bash -c "[ \"\$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer $token' http://127.0.0.1:$api_port/api/v1/stores/$s/suspend)\" = 200 ]"
check "no pod of the store runs" wait_for 180 no_pod_runs
no_pods_s=$(elapsed "$t0")
check "the store is Suspended (status.message: suspended)" wait_for 30 suspended
suspended_s=$(elapsed "$t0")
check "no container of the store runs on the node" wait_for 60 no_task_runs
no_tasks_s=$(elapsed "$t0")
check "and the kubelet removed them" wait_for 120 no_containers
no_containers_s=$(elapsed "$t0")
check "kubectl get stores shows it Suspended" bash -c "kubectl get store $s --no-headers | grep -qw Suspended"
check "its claims are the same ones, still Bound" bash -c "[ \"\$(kubectl get pvc -n $ns -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}={.status.phase} {end}')\" = '$pvcs' ]"
dirs_remain() {
	local d
	for d in $dirs; do
		[ -d "$d" ] || { echo "gone: $d"; return 1; }
	done
}
check "their host directories are still there" dirs_remain
check "the credentials Secret is the same one" bash -c "[ \"\$(kubectl get secret -n $ns store-$s-credentials -o jsonpath='{.metadata.uid}')\" = '$secret_uid' ]"
shows_nothing() {
	local code
	code=$(front /)
	[ "$code" != 200 ] && ! grep -qiE "Test $s|woocommerce|wp-content|$host" "$t_tmp/front.html" && return 0
	echo "GET / answered $code:"
	head -c 400 "$t_tmp/front.html"
	return 1
}
check "the storefront through the ingress shows nothing of the store" wait_for 30 shows_nothing
check "nor its shop page" bash -c "[ \"\$(curl -sS --max-time 10 -H 'Host: $host' -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/shop/)\" != 200 ]"

# --- resume -----------------------------------------------------------------------------------
t0=$(date +%s.%N)
code=$(post resume)
check "POST resume: 202" bash -c "[ '$code' = 202 ] || { cat '$t_tmp/post.json'; exit 1; }"
check "the store is Ready again" wait_for 300 store_is "$s" Ready
resume_s=$(elapsed "$t0")
check "Ready came after the storefront answered (StorefrontReady: Serving)" bash -c \
	"kubectl get store $s -o json | jq -e '.status.conditions[] | select(.type == \"StorefrontReady\") | .status == \"True\" and .reason == \"Serving\"'"
check "the shop lists its products again" serves_the_shop
check "the same claims as before the suspension" bash -c "[ \"\$(kubectl get pvc -n $ns -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}={.status.phase} {end}')\" = '$pvcs' ]"
check "the order placed before the suspension is still in the database" bash -c \
	"[ -n '$order_id' ] && kubectl -n $ns exec deploy/$ns-wordpress -c wordpress -- php /opt/scripts/order-check.php /var/www/html $order_id | jq -e '.payment_method == \"cod\" and .currency == \"INR\" and (.tax_lines | length == 1)'"
printf '# suspend -> no pod running: %.1f s; -> Suspended: %.1f s; -> no container running on the node: %.1f s; -> containers removed: %.1f s\n' \
	"$no_pods_s" "$suspended_s" "$no_tasks_s" "$no_containers_s"
printf '# resume -> Ready (storefront answering): %.1f s\n' "$resume_s"

kubectl delete store "$s" --wait=false >/dev/null
check "the Store is gone" wait_for 180 store_gone "$s"
check "its namespace is gone" wait_for 120 ns_gone "$s"
exit 0
