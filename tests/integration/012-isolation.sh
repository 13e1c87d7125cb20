#!/usr/bin/env bash
# Two real stores side by side on the real node, A and B: what keeps A from B's
# data. The local cluster's CNI (the bridge plugin) does not enforce NetworkPolicy,
# so the database's policy (only its own store's shop and setup pods may connect)
# is checked as an object and its effect is not: this suite says so in a note and
# prints whether B's database port answers from A's pod. What it does test, for
# real: each store has its own generated credentials, A's pod cannot log in to B's
# database with what it holds (while the same login works on its own), the store
# pods carry no Kubernetes token and their ServiceAccount may read nothing, and the
# ingress serves each host only its own store.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

port=${STORE_INGRESS_PORT:-80}
if ! "$root/scripts/cluster/node.sh" status; then
	echo "not ok - the real node is Ready (make cluster-up starts it)"
	exit 1
fi

a="iso-a-$RANDOM" b="iso-b-$RANDOM"
orch_start iso --no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port" \
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=5m
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/iso.log"
store_apply "$a"
store_apply "$b"
both_ready() { store_is "$a" Ready && store_is "$b" Ready; }
check "stores A and B are Ready on the real node" wait_for 300 both_ready || exit 1

key_hash() { # STORE KEY: the key's SHA-256, never the key (the Secret is store-<name>-credentials)
	kubectl get secret -n "store-$1" "store-$1-credentials" -o jsonpath="{.data.$2}" | base64 -d | sha256sum | cut -c1-64
}
differ() {
	local k ha hb empty
	empty=$(printf '' | sha256sum | cut -c1-64)
	for k in mariadb-password mariadb-root-password wordpress-admin-password auth-key; do
		ha=$(key_hash "$a" "$k") hb=$(key_hash "$b" "$k")
		if [ "$ha" = "$empty" ] || [ "$hb" = "$empty" ]; then echo "$k: empty"; return 1; fi
		if [ "$ha" = "$hb" ]; then echo "$k: the same in A and B"; return 1; fi
	done
}
check "each store has its own generated credentials (database, root, admin, WordPress keys)" differ

# From A's shop container, with the database login A's shop holds.
# shellcheck disable=SC2016 # PHP code, its $ are PHP's
login_php='mysqli_report(MYSQLI_REPORT_OFF);
$m = @new mysqli(getenv("TARGET"), getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"), getenv("WORDPRESS_DB_NAME"), 3306);
echo $m->connect_errno ? "error " . $m->connect_errno . ": " . $m->connect_error : "connected", "\n";'
login_from_a() { # HOST: what A's shop gets when it logs in there
	kubectl -n "store-$a" exec "deploy/store-$a-wordpress" -c wordpress -- env TARGET="$1" php -r "$login_php" 2>&1
}
db_of() { echo "store-$1-mariadb.store-$1.svc.cluster.local"; }
own=$(login_from_a "$(db_of "$a")")
echo "# A's login on A's database: $own"
check "control: A's shop logs in to its own database by its full Service name" [ "$own" = connected ]
other=$(login_from_a "$(db_of "$b")")
echo "# A's login on B's database: $other"
check "A's login is refused by B's database (MariaDB error 1045, access denied)" \
	bash -c "[[ '$other' == 'error 1045:'* ]]"

no_token() {
	local s out
	for s in "$a" "$b"; do
		out=$(kubectl -n "store-$s" exec "deploy/store-$s-wordpress" -c wordpress -- \
			sh -c 'ls /var/run/secrets/kubernetes.io/serviceaccount 2>/dev/null || echo none')
		[ "$out" = none ] || { echo "store-$s: $out"; return 1; }
	done
}
check "no store pod holds a Kubernetes token" no_token
sa_of() { kubectl get pods -n "store-$1" -l app.kubernetes.io/component=shop -o jsonpath='{.items[0].spec.serviceAccountName}'; }
sa_a="system:serviceaccount:store-$a:$(sa_of "$a")"
cannot() { # VERB RESOURCE NAMESPACE: A's ServiceAccount may not
	[ "$(kubectl auth can-i "$1" "$2" -n "$3" --as="$sa_a" 2>/dev/null)" = no ]
}
check "A's ServiceAccount may not read B's Secrets" cannot get secrets "store-$b"
check "... nor list B's pods" cannot list pods "store-$b"
check "... nor read its own store's Secrets" cannot get secrets "store-$a"
check "... nor read Stores" cannot list stores.storeplatform.dev default

db_policy() {
	kubectl get networkpolicy -n "store-$1" -l app.kubernetes.io/component=database -o json |
		jq -e '.items | length == 1 and (.[0].spec.policyTypes | index("Ingress")) and
			all(.[0].spec.ingress[].from[]; has("podSelector") and (has("namespaceSelector") | not))'
}
check "B's database NetworkPolicy admits only pods of B's own namespace" db_policy "$b"
# shellcheck disable=SC2016 # PHP code
reach=$(kubectl -n "store-$a" exec "deploy/store-$a-wordpress" -c wordpress -- env TARGET="$(db_of "$b")" \
	php -r '$s = @fsockopen(getenv("TARGET"), 3306, $no, $err, 3); echo $s ? "open" : "closed ($err)";' 2>&1)
echo "# note: this cluster's bridge CNI enforces no NetworkPolicy; B's database port from A's pod: $reach"

title_of() { curl -sS --max-time 10 -H "Host: $1.localtest.me" "http://127.0.0.1:$port/" | grep -o '<title>[^<]*' | head -n1; }
own_host() {
	local ta tb
	ta=$(title_of "$a") tb=$(title_of "$b")
	if [[ $ta == *"Test $a"* ]] && [[ $tb == *"Test $b"* ]]; then return 0; fi
	echo "A: $ta / B: $tb"
	return 1
}
check "the ingress serves each store's host only its own shop" own_host

kubectl delete store "$a" "$b" --wait=false >/dev/null
gone() { store_gone "$a" && store_gone "$b" && ns_gone "$a" && ns_gone "$b"; }
check "both stores and namespaces are gone" wait_for 180 gone
exit 0
