#!/usr/bin/env bash
# The second engine for real: a Medusa store and a WooCommerce store created side by side
# through the orchestrator's API on the local cluster's real node (scripts/cluster/node.sh),
# from the images built here. The Medusa store is Ready only once its storefront answers
# (GET /storefront through the ingress: 200 only when the setup made it sellable); `helm
# test` places an order in the cluster; engines/medusa/order.sh places one through the
# ingress as a shopper would (cart, line item, shipping, cash on delivery, complete) and it
# is checked in the store's PostgreSQL: INR, a GST 18% line, the system payment provider.
# The WooCommerce store takes an order too. The two stores are isolated: their own
# credentials, neither's database login works on the other's, the ingress serves each host
# only its own store. DELETE of each leaves no namespace, claim, volume or container.
# Prints POST -> Ready, POST -> first order, the pods' memory and the image sizes.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

port=${STORE_INGRESS_PORT:-80}
sock="${CLUSTER_DIR:-$root/.cluster}/node/containerd/containerd.sock"
real_node_ready "$sock" || exit 1
check "the medusa chart passes helm lint --strict" \
	helm lint --strict "$root/charts/medusa" --set storeName=lint,host=lint.localtest.me || exit 1

m="med-$RANDOM" w="woo-$RANDOM"
trap 'stores_forget "$m" "$w"; t_cleanup' EXIT
token="tester-$(openssl rand -hex 16)"
printf '%s tester user\n' "$token" >"$t_tmp/tokens"
chmod 600 "$t_tmp/tokens"
orch_start real --no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port" \
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=8m \
	--tokens-file="$t_tmp/tokens" --rate-user=0 --rate-ip=0 --drift-interval=0
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/real.log"
api_port=$(orch_port "$t_tmp/real.log" "${t_pids[0]}")
check "it serves the API" wait_for 10 curl -sf "http://127.0.0.1:$api_port/readyz"

api() { # METHOD PATH [BODY]: prints the HTTP status, the body in $t_tmp/body
	curl -sS --max-time 15 -o "$t_tmp/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
		${3:+-H 'Content-Type: application/json' --data "$3"} "http://127.0.0.1:$api_port/api/v1$2"
}
engines_list() {
	[ "$(api GET /engines)" = 200 ] && jq -e '[.engines[].name] | index("medusa") and index("woocommerce")' "$t_tmp/body" >/dev/null
}
check "GET /engines lists medusa beside woocommerce" engines_list
created() { # NAME ENGINE
	local code
	code=$(api POST /stores "{\"name\":\"$1\",\"engine\":\"$2\",\"displayName\":\"Side by side $2\"}")
	[ "$code" = 201 ] || { echo "POST: HTTP $code: $(cat "$t_tmp/body")"; return 1; }
}
start=$(date +%s.%N)
check "POST a store with engine medusa: 201" created "$m" medusa
check "POST a store with engine woocommerce: 201" created "$w" woocommerce
elapsed() { echo "$(date +%s.%N) - $start" | bc; }
both_ready() { store_is "$m" Ready && store_is "$w" Ready; }
# From the Store's own record: creation (whole seconds, the API server's) to status.readyAt.
ready_secs() {
	local c r
	read -r c r < <(kubectl get store "$1" -o json | jq -r '[.metadata.creationTimestamp, .status.readyAt] | @tsv')
	echo "$(date -d "$r" +%s.%N) - $(date -d "$c" +%s.%N)" | bc
}
check "both stores become Ready on the real node" wait_for 600 both_ready || {
	kubectl get store "$m" "$w" -o json | jq -r '.items[] | "# \(.metadata.name): \(.status.phase) \(.status.message // "")"'
	exit 1
}
printf '# POST -> Ready on the real node: medusa %.1f s (creation to readyAt), both %.1f s\n' "$(ready_secs "$m")" "$(elapsed)"

ns_m="store-$m" ns_w="store-$w" host_m="$m.localtest.me" host_w="$w.localtest.me"
check "the Medusa store's pods ran on the real node" bash -c \
	"kubectl get pods -n $ns_m -o json | jq -e '(.items | length) >= 2 and all(.items[]; .spec.nodeName == \"real-node\")'"
check "Ready came after its storefront answered (StorefrontReady: Serving)" bash -c \
	"kubectl get store $m -o json | jq -e '.status.conditions[] | select(.type == \"StorefrontReady\") | .status == \"True\" and .reason == \"Serving\"'"
check "its URL is its host, with no admin URL (no admin dashboard is built)" bash -c \
	"[ \"\$(kubectl get store $m -o jsonpath='{.status.url}|{.status.adminUrl}')\" = 'http://$host_m/|' ]"

front() { # HOST PATH: the status; the body in $t_tmp/front
	curl -sS --max-time 10 -H "Host: $1" -o "$t_tmp/front" -w '%{http_code}' "http://127.0.0.1:$port$2"
}
storefront() {
	if [ "$(front "$host_m" /storefront)" = 200 ] &&
		jq -e '.ready and .currency == "inr" and .products == 3 and (.publishable_key | startswith("pk_")) and .regions[0].name == "India"' "$t_tmp/front" >/dev/null; then
		return 0
	fi
	echo "GET /storefront: $(head -c 400 "$t_tmp/front")"
	return 1
}
check "GET /storefront through the ingress: ready, INR, India, 3 products, a publishable key" storefront
key=$(jq -r '.publishable_key // empty' "$t_tmp/front")
check "the Store API refuses a request without the publishable key (400)" bash -c \
	"[ \"\$(curl -sS --max-time 10 -H 'Host: $host_m' -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/store/products)\" = 400 ]"
check "the Store API lists the products with the key" bash -c \
	"curl -sS --max-time 10 -H 'Host: $host_m' -H 'x-publishable-api-key: $key' http://127.0.0.1:$port/store/products | jq -e '.products | length == 3'"

check "helm test places an order in the cluster" helm test "store-$m" -n "$ns_m" --timeout 3m --logs
"$root/engines/medusa/order.sh" --connect "127.0.0.1:$port" "http://$host_m" >"$t_tmp/order.out" 2>&1
rc=$?
printf '# POST -> helm test'"'"'s order and a shopper'"'"'s through the ingress, both placed: %.1f s\n' "$(elapsed)"
sed 's/^/# /' "$t_tmp/order.out"
check "order.sh through the ingress: a shopper's order, cash on delivery, INR, GST 18%" bash -c \
	"[ $rc = 0 ] && grep -qE '^order: OK order order_[0-9A-Z]+ .* INR tax [0-9.]+ \(GST 18%\) payment pp_system_default$' '$t_tmp/order.out'"
order=$(sed -n 's/^order: OK order \(order_[0-9A-Z]*\) .*/\1/p' "$t_tmp/order.out")
psql_m() { # SQL: in the Medusa store's database, as the superuser over the pod's own socket (peer)
	kubectl -n "$ns_m" exec "statefulset/store-$m-postgresql" -c postgresql -- \
		psql --no-psqlrc -qAt -h /run/postgresql -U postgres -d medusa -c "$1" 2>&1
}
# shellcheck disable=SC2016 # the $1 and $2 are the inner shell's
is() { # NAME GOT WANT
	check "$1" bash -c '[ "$1" = "$2" ] || { printf "got:      %s\nexpected: %s\n" "$1" "$2"; exit 1; }' _ "$2" "$3"
}
is "the order is in the store's PostgreSQL, in INR" "$(psql_m "SELECT currency_code FROM \"order\" WHERE id = '$order'")" "inr"
is "its item carries one tax line: GST 18%" "$(psql_m "SELECT string_agg(t.code || ' ' || t.rate, ',') FROM order_item oi JOIN order_line_item li ON li.id = oi.item_id JOIN order_line_item_tax_line t ON t.item_id = li.id AND t.deleted_at IS NULL WHERE oi.order_id = '$order'")" "GST 18"
is "its payment: authorized with the system provider (cash on delivery)" "$(psql_m "SELECT string_agg(p.provider_id || '|' || s.status, ',') FROM order_payment_collection opc JOIN payment_session s ON s.payment_collection_id = opc.payment_collection_id JOIN payment p ON p.payment_session_id = s.id WHERE opc.order_id = '$order'")" "pp_system_default|authorized"
orders=$(psql_m 'SELECT count(*) FROM "order"')
is "two orders in the store (helm test's and the shopper's)" "$orders" 2

# The owner's login, as the dashboard shows it, works on the Admin API.
creds() { [ "$(api GET "/stores/$m/credentials")" = 200 ] && jq -e '.user and .password' "$t_tmp/body" >/dev/null; }
check "GET .../credentials gives the owner's e-mail and password" creds
admin_login() {
	local email pw code
	email=$(jq -r .user "$t_tmp/body") pw=$(jq -r .password "$t_tmp/body")
	code=$(jq -n --arg e "$email" --arg p "$pw" '{email: $e, password: $p}' |
		curl -sS --max-time 15 -H "Host: $host_m" -H 'Content-Type: application/json' --data-binary @- \
			-o "$t_tmp/auth" -w '%{http_code}' "http://127.0.0.1:$port/auth/user/emailpass")
	[ "$code" = 200 ] && jq -e '.token | length > 20' "$t_tmp/auth" >/dev/null
}
check "... and they log in to the Admin API (a token)" admin_login
rm -f "$t_tmp/auth" "$t_tmp/body"

# The WooCommerce store beside it.
"$root/scripts/order.sh" --host "$host_w" --namespace "$ns_w" "http://127.0.0.1:$port" >"$t_tmp/order-w.out" 2>&1
rc=$?
check "the WooCommerce store beside it takes an order too (COD, INR, GST, in its database)" bash -c \
	"[ $rc = 0 ] && grep -q 'verified in the database of $ns_w' '$t_tmp/order-w.out'" || sed 's/^/# /' "$t_tmp/order-w.out"

# Isolation.
check "each host serves only its own store: the WooCommerce host names no publishable key at /storefront" bash -c \
	"! curl -sS --max-time 10 -H 'Host: $host_w' http://127.0.0.1:$port/storefront | grep -q publishable_key"
check "... and the Medusa host serves no WordPress" bash -c \
	"[ \"\$(curl -sS --max-time 10 -H 'Host: $host_m' -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/wp-login.php)\" = 404 ]"
key_of() { kubectl get secret -n "store-$1" "store-$1-credentials" -o jsonpath="{.data.$2}" | base64 -d; }
own_db() { # from the Medusa server's pod: its own login on its own database
	kubectl -n "$ns_m" exec "deploy/store-$m-medusa" -c medusa -- node -e '
		const { Client } = require("/app/node_modules/pg");
		const c = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
		c.connect().then(() => { console.log("connected"); return c.end(); }, (e) => console.log("error " + (e.code || e.message)));' 2>&1
}
got=$(own_db)
check "control: the Medusa server logs in to its own database" [ "$got" = connected ]
cross_db() { # from the Medusa server's pod: its own login on the WooCommerce store's MariaDB
	local pw
	pw=$(key_of "$w" mariadb-password | sha256sum | cut -c1-8)
	[ "$(key_of "$m" postgres-password | sha256sum | cut -c1-8)" != "$pw" ]
}
check "the two stores' database passwords differ" cross_db
mariadb_from_medusa() { # the Medusa store's login (user medusa, its password) on the WooCommerce store's database
	# shellcheck disable=SC2016 # $p is the container shell's
	key_of "$m" postgres-password | kubectl -n "$ns_w" exec -i "statefulset/store-$w-mariadb" -c mariadb -- \
		sh -c 'read -r p; MYSQL_PWD=$p mariadb --no-defaults -h 127.0.0.1 -u medusa -e "SELECT 1" 2>&1 | head -n 1'
}
got=$(mariadb_from_medusa)
# shellcheck disable=SC2016 # $1 is the inner shell's
check "a login with the Medusa store's credentials is refused by the WooCommerce store's database" bash -c '[[ $1 == *"Access denied"* ]] || { echo "$1"; exit 1; }' _ "$got"

# Numbers: memory of the Medusa store's pods, the images.
for c in medusa postgresql; do
	pid=$(pgrep -f -n "$([ $c = medusa ] && echo 'medusa start' || echo 'postgres -D /var/lib/postgresql/data')" || true)
	[ -n "$pid" ] && echo "# $c RSS after the orders: $(($(rss_kib "$pid") / 1024)) MiB (one of the stores' $c processes)"
done
for i in medusa postgresql; do
	ref=$("$root/scripts/images.sh" --list | grep "/$i:")
	size=$(ctr --address "$sock" -n k8s.io images ls "name==docker.io/$ref" 2>/dev/null | awk 'NR == 2 {print $4, $5}')
	echo "# image $ref: $size (compressed layers, as containerd counts)"
done

# Suspend and resume the Medusa store through the API: the chart's part of the engine contract.
claim_uid() { kubectl get pvc -n "$ns_m" -o jsonpath='{.items[*].metadata.uid}'; }
uid_before=$(claim_uid)
post_action() { [ "$(api POST "/stores/$m/$1")" = 202 ]; }
check "POST .../suspend: 202" post_action suspend
start=$(date +%s.%N)
no_pods() { [ "$(kubectl get pods -n "$ns_m" --no-headers 2>/dev/null | grep -vc Completed)" = 0 ] && store_is "$m" Suspended; }
check "suspended: the store is Suspended and no pod of it runs" wait_for 120 no_pods
printf '# suspend -> no pod: %.1f s\n' "$(elapsed)"
check "suspended: its host shows nothing of the store (404, once the ingress dropped its rule)" wait_for 60 bash -c \
	"[ \"\$(curl -sS --max-time 10 -H 'Host: $host_m' -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/storefront)\" = 404 ]"
check "suspended: its database claim stays (the same uid)" bash -c "[ -n '$uid_before' ] && [ \"\$(kubectl get pvc -n $ns_m -o jsonpath='{.items[*].metadata.uid}')\" = '$uid_before' ]"
check "POST .../resume: 202" post_action resume
start=$(date +%s.%N)
check "resumed: Ready again (its storefront answers)" wait_for 300 store_is "$m" Ready
printf '# resume -> Ready: %.1f s\n' "$(elapsed)"
is "resumed: the two orders placed before are still there" "$(psql_m 'SELECT count(*) FROM "order"')" 2

# DELETE: nothing of either store is left.
mapfile -t pvs < <(kubectl get pv -o json | jq -r --arg a "$ns_m" --arg b "$ns_w" '.items[] | select(.spec.claimRef.namespace == $a or .spec.claimRef.namespace == $b) | .spec.hostPath.path')
deleted() { [ "$(api DELETE "/stores/$1")" = 202 ]; }
check "DELETE the Medusa store: 202" deleted "$m"
check "DELETE the WooCommerce store: 202" deleted "$w"
check "both Stores are gone" wait_for 240 bash -c "! kubectl get store $m >/dev/null 2>&1 && ! kubectl get store $w >/dev/null 2>&1"
check "their namespaces are gone" wait_for 120 bash -c "! kubectl get ns $ns_m >/dev/null 2>&1 && ! kubectl get ns $ns_w >/dev/null 2>&1"
check "no PersistentVolume of either is left" bash -c "! kubectl get pv -o json | jq -e --arg a '$ns_m' --arg b '$ns_w' '.items[] | select(.spec.claimRef.namespace == \$a or .spec.claimRef.namespace == \$b)' >/dev/null"
none_left() { local p; for p in "$@"; do [ ! -e "$p" ] || { echo "left: $p"; return 1; }; done; }
check "no host directory of their volumes is left (${#pvs[@]} volumes)" none_left "${pvs[@]}"
no_containers() {
	[ -z "$(ctr --address "$sock" -n k8s.io containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$ns_m" 2>/dev/null)" ] &&
		[ -z "$(ctr --address "$sock" -n k8s.io containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$ns_w" 2>/dev/null)" ]
}
check "no container of either is left on the node" wait_for 90 no_containers
exit 0
