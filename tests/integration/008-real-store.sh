#!/usr/bin/env bash
# A store that really runs, end to end, on the local cluster's real node
# (scripts/cluster/node.sh) from the images built here (make images): the
# orchestrator calls it Ready only once its storefront answers through the
# ingress; `helm test` places an order in the cluster; scripts/order.sh places
# one through the ingress as a shopper would and checks it in the store's
# database, and so does a shopper's browser (Chromium, tests/browser/
# shopper.test.mjs) through WooCommerce's checkout page; the shop and database pods are deleted and come back with the
# order and the uploads intact; DELETE leaves no namespace, claim, volume,
# host directory or container of the store.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

port=${STORE_INGRESS_PORT:-80}
sock="${CLUSTER_DIR:-$root/.cluster}/node/containerd/containerd.sock"
real_node_ready "$sock" || exit 1

s="real-$RANDOM"
ns="store-$s"
host="$s.localtest.me"
orch_start real --no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port" \
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=5m
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/real.log"

start=$(date +%s.%N)
store_apply "$s"
check "the store becomes Ready" wait_for 300 store_is "$s" Ready
printf '# apply -> Ready on the real node: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
check "its pods ran on the real node" bash -c \
	"kubectl get pods -n $ns -o json | jq -e '(.items | length) >= 2 and all(.items[]; .spec.nodeName == \"real-node\")'"
check "Ready came after the storefront answered (StorefrontReady: Serving)" bash -c \
	"kubectl get store $s -o json | jq -e '.status.conditions[] | select(.type == \"StorefrontReady\") | .status == \"True\" and .reason == \"Serving\"'"

front() { curl -sS --max-time 10 -H "Host: $host" -o "$t_tmp/front.html" -w '%{http_code}' "http://127.0.0.1:$port$1"; }
check "the storefront answers through the ingress" bash -c "[ \"\$(curl -sS --max-time 10 -H 'Host: $host' -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/)\" = 200 ]"
lists_products() {
	local code
	code=$(front /shop/)
	[ "$code" = 200 ] && grep -q 'Masala Chai' "$t_tmp/front.html" && return 0
	echo "GET /shop/: HTTP $code"
	head -c 600 "$t_tmp/front.html"
	return 1
}
check "the shop page lists the sample products" lists_products

check "helm test places an order in the cluster" helm test "store-$s" -n "$ns" --timeout 3m --logs
"$root/scripts/order.sh" --host "$host" --namespace "$ns" "http://127.0.0.1:$port" >"$t_tmp/order.out" 2>&1
rc=$?
sed "s/^/# /" "$t_tmp/order.out"
check "order.sh through the ingress: COD, INR, GST, checked in the database" bash -c \
	"[ $rc = 0 ] && grep -q 'verified in the database of $ns' '$t_tmp/order.out'"
order_id=$(sed -n 's/^order: OK order \([0-9]*\) .*/\1/p' "$t_tmp/order.out")

# A shopper's browser, through the ingress as a DNS entry for the store's name would send it:
# the storefront, the cart, WooCommerce's own checkout page with Cash on Delivery, the confirmation.
if [ -d "$root/tests/browser/node_modules/playwright-core" ] ||
	(cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
	SHOP_URL="http://$host" SHOP_CONNECT="127.0.0.1:$port" node "$root/tests/browser/shopper.test.mjs" | tee "$t_tmp/shopper.out"
	web_order=$(sed -n 's/^# order \([0-9]*\)$/\1/p' "$t_tmp/shopper.out")
	check "the browser's order is in the store's database: cod, INR, one GST line" bash -c \
		"[ -n '$web_order' ] && kubectl -n $ns exec deploy/$ns-wordpress -c wordpress -- php /opt/scripts/order-check.php /var/www/html $web_order | jq -e '.payment_method == \"cod\" and .currency == \"INR\" and (.tax_lines | length == 1) and .tax_lines[0].label == \"GST\"'"
else
	echo "not ok - npm ci in tests/browser (playwright-core for the shopper's browser)"
fi

# Persistence: both pods deleted, both come back with the data.
# shellcheck disable=SC2016 # PHP code, its $ are PHP's
placeholder=$(kubectl -n "$ns" exec "deploy/$ns-wordpress" -c wordpress -- php -r '
	$_SERVER["HTTP_HOST"] = "localhost"; require "/var/www/html/wp-load.php";
	echo wp_get_attachment_url((int) get_option("woocommerce_placeholder_image"));' 2>/dev/null)
kubectl -n "$ns" delete pod -l app.kubernetes.io/component=database --wait=true --timeout=120s >/dev/null 2>&1
kubectl -n "$ns" delete pod -l app.kubernetes.io/component=shop --wait=true --timeout=120s >/dev/null 2>&1
back() {
	kubectl -n "$ns" rollout status "deploy/$ns-wordpress" --timeout=5s >/dev/null 2>&1 &&
		kubectl -n "$ns" rollout status "statefulset/$ns-mariadb" --timeout=5s >/dev/null 2>&1 &&
		[ "$(front /)" = 200 ]
}
check "after deleting the shop and database pods, the storefront answers again" wait_for 180 back
check "the earlier order is still in the database" bash -c \
	"[ -n '$order_id' ] && kubectl -n $ns exec deploy/$ns-wordpress -c wordpress -- php /opt/scripts/order-check.php /var/www/html $order_id | jq -e '.payment_method == \"cod\" and .currency == \"INR\"'"
check "the uploaded placeholder image is still served" bash -c \
	"[ -n '$placeholder' ] && [ \"\$(curl -sS --max-time 10 -H 'Host: $host' -o /dev/null -w '%{http_code}' 'http://127.0.0.1:$port/${placeholder#*://*/}')\" = 200 ]"

# DELETE: nothing of the store is left.
pvs=$(kubectl get pv -o json | jq -r --arg ns "$ns" '.items[] | select(.spec.claimRef.namespace == $ns) | .metadata.name + " " + .spec.hostPath.path')
kubectl delete store "$s" --wait=false >/dev/null
check "the Store is gone" wait_for 180 store_gone "$s"
check "its namespace is gone" wait_for 120 ns_gone "$s"
check "no PersistentVolume of it is left" bash -c "! kubectl get pv -o json | jq -e --arg ns '$ns' '.items[] | select(.spec.claimRef.namespace == \$ns)' >/dev/null"
check "no host directory of its volumes is left" bash -c "for p in \$(awk '{print \$2}' <<<'$pvs'); do [ ! -e \"\$p\" ] || { echo \"left: \$p\"; exit 1; }; done"
no_containers() { [ -z "$(ctr --address "$sock" -n k8s.io containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$ns" 2>/dev/null)" ]; }
check "no container of it is left on the node" wait_for 90 no_containers
exit 0
