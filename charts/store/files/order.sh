#!/usr/bin/env bash
# Places an order the way a shopper does, through the WooCommerce Store API,
# then proves the order was stored. Works with WooCommerce 9.0 and later: the
# cart is carried by the Cart-Token header, and the Nonce header is sent too
# because releases before 9.x's Cart-Token-only checks still ask for it.
#
#   order.sh [options] STORE_URL          e.g. order.sh http://demo.localtest.me
#     --email ADDR      billing e-mail (order-test@example.com)
#     --product-id ID   buy this product (default: the first simple one in stock)
#     --quantity N      how many (1)
#     --host NAME       send "Host: NAME" (reaching the shop by IP or port-forward)
#     --insecure        accept a certificate that does not verify (local TLS)
#     --plain-permalinks  call /?rest_route=... instead of /wp-json/...
#     --namespace NS    also check the order with wp-cli in the shop pod (kubectl)
#     --release NAME    the store's release name (default: NS)
#   STORE_ADMIN_USER and STORE_ADMIN_APP_PASSWORD (a WordPress application
#   password) in the environment also check it through the REST API.
#
# Prints the order id, status and totals with the tax line. Exit status: 0 the
# order is placed and stored as placed, 1 any failure or mismatch, 2 usage.
# Needs bash, curl and jq (or PHP, as in the shop image, for the helm test).
set -euo pipefail

EMAIL=order-test@example.com
PRODUCT_ID=
QUANTITY=1
HOST_HEADER=
INSECURE=no
PLAIN=no
NAMESPACE=
RELEASE=
BASE=
CART_TOKEN=
NONCE=
HTTP_STATUS=
work=

log() { printf 'order: %s\n' "$*"; }
fail() {
	printf 'order: FAILED: %s\n' "$*" >&2
	exit 1
}
usage_error() {
	printf 'order: %s\nusage: order.sh [--email ADDR] [--product-id ID] [--quantity N] [--host NAME] [--insecure] [--plain-permalinks] [--namespace NS [--release NAME]] STORE_URL\n' "$1" >&2
	exit 2
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--email | --product-id | --quantity | --host | --namespace | --release)
			[ $# -ge 2 ] || usage_error "$1 needs a value"
			case $1 in
			--email) EMAIL=$2 ;;
			--product-id) PRODUCT_ID=$2 ;;
			--quantity) QUANTITY=$2 ;;
			--host) HOST_HEADER=$2 ;;
			--namespace) NAMESPACE=$2 ;;
			--release) RELEASE=$2 ;;
			esac
			shift 2
			;;
		--insecure) INSECURE=yes && shift ;;
		--plain-permalinks) PLAIN=yes && shift ;;
		-h | --help) usage_error "help" ;;
		-*) usage_error "unknown option '$1'" ;;
		*)
			[ -z "$BASE" ] || usage_error "one STORE_URL only"
			BASE=${1%/}
			shift
			;;
		esac
	done
	[ -n "$BASE" ] || usage_error "STORE_URL is missing"
	[[ $BASE =~ ^https?://[^/]+ ]] || usage_error "STORE_URL '$BASE' is not http(s)://host"
	[[ $EMAIL =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] || usage_error "--email '$EMAIL' is not an e-mail address"
	[[ $QUANTITY =~ ^[1-9][0-9]*$ ]] || usage_error "--quantity '$QUANTITY' is not a positive number"
	[[ -z $PRODUCT_ID || $PRODUCT_ID =~ ^[1-9][0-9]*$ ]] || usage_error "--product-id '$PRODUCT_ID' is not a product id"
	RELEASE=${RELEASE:-$NAMESPACE}
}

# json_get FILE PATH: the value at a dot-separated path ("items.0.name"),
# objects and arrays as JSON, nothing when absent. jq, else PHP.
json_get() {
	if command -v jq >/dev/null 2>&1; then
		jq -r --arg p "$2" '
			($p | split(".") | map(if test("^[0-9]+$") then tonumber else . end)) as $path
			| (try getpath($path) catch null)
			| if . == null then empty elif type == "object" or type == "array" then tojson else tostring end' "$1"
	else
		# shellcheck disable=SC2016 # PHP code, its $ are PHP's
		php -r '
			$v = json_decode(file_get_contents($argv[1]), true);
			foreach (explode(".", $argv[2]) as $k) {
				if (!is_array($v) || !array_key_exists($k, $v)) exit(0);
				$v = $v[$k];
			}
			if (is_bool($v)) echo $v ? "true" : "false";
			elseif (is_array($v)) echo json_encode($v);
			elseif ($v !== null) echo $v;' -- "$1" "$2"
	fi
}

# json_len FILE PATH: length of the array at PATH (0 when absent).
json_len() {
	local i=0 prefix=${2:+$2.}
	while [ -n "$(json_get "$1" "$prefix$i")" ]; do i=$((i + 1)); done
	echo "$i"
}

url_for() { # route [query]
	if [ "$PLAIN" = yes ]; then
		echo "$BASE/?rest_route=$1${2:+&$2}"
	else
		echo "$BASE/wp-json$1${2:+?$2}"
	fi
}

header() { # name: last value of a response header
	grep -i "^$1:" "$work/headers" | tail -n 1 | cut -d: -f2- | tr -d ' \r' || true
}

# request METHOD ROUTE [QUERY] [BODY]: body in $work/body, status in HTTP_STATUS;
# keeps the Cart-Token and Nonce the shop hands back.
request() {
	local method=$1 route=$2 query=${3:-} body=${4:-} v
	local args=(-sS --max-time 60 -D "$work/headers" -o "$work/body" -w '%{http_code}' -H 'Accept: application/json')
	[ -z "$HOST_HEADER" ] || args+=(-H "Host: $HOST_HEADER")
	[ "$INSECURE" = no ] || args+=(-k)
	[ -z "$CART_TOKEN" ] || args+=(-H "Cart-Token: $CART_TOKEN")
	[ -z "$NONCE" ] || args+=(-H "Nonce: $NONCE" -H "X-WC-Store-API-Nonce: $NONCE")
	if [ "$method" != GET ]; then
		args+=(-X "$method" -H 'Content-Type: application/json' --data "${body:-{\}}")
	fi
	HTTP_STATUS=$(curl "${args[@]}" "$(url_for "$route" "$query")") || fail "$method $route: no answer from $BASE"
	v=$(header cart-token)
	[ -z "$v" ] || CART_TOKEN=$v
	v=$(header nonce)
	[ -n "$v" ] || v=$(header x-wc-store-api-nonce)
	[ -z "$v" ] || NONCE=$v
}

expect_status() { # what codes...
	local what=$1 code
	shift
	for code in "$@"; do
		[ "$HTTP_STATUS" = "$code" ] && return 0
	done
	fail "$what: HTTP $HTTP_STATUS: $(json_get "$work/body" message || head -c 300 "$work/body")"
}

money() { # minor-units digits
	awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v / (10 ^ d) }'
}

pick_product() {
	request GET /wc/store/v1/products "per_page=50"
	expect_status "list products" 200
	local n i id
	n=$(json_len "$work/body" "")
	log "$n products listed"
	[ "$n" -gt 0 ] || fail "the shop lists no products"
	for ((i = 0; i < n; i++)); do
		id=$(json_get "$work/body" "$i.id")
		if [ -n "$PRODUCT_ID" ]; then
			[ "$id" = "$PRODUCT_ID" ] || continue
		elif [ "$(json_get "$work/body" "$i.type")" != simple ] ||
			[ "$(json_get "$work/body" "$i.is_purchasable")" != true ] ||
			[ "$(json_get "$work/body" "$i.is_in_stock")" != true ]; then
			continue
		fi
		PRODUCT_ID=$id
		PRODUCT_NAME=$(json_get "$work/body" "$i.name")
		return 0
	done
	fail "no product to buy${PRODUCT_ID:+ with id $PRODUCT_ID}"
}

address() { # with-email
	local email=
	[ "$1" = yes ] && email=",\"email\":\"$EMAIL\""
	printf '{"first_name":"Asha","last_name":"Rao","company":"","address_1":"12 Residency Road","address_2":"","city":"Bengaluru","state":"KA","postcode":"560025","country":"IN","phone":"9876543210"%s}' "$email"
}

main() {
	parse_args "$@"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT

	pick_product
	log "product $PRODUCT_ID: $PRODUCT_NAME"

	request GET /wc/store/v1/cart
	expect_status "get a cart" 200
	[ -n "$CART_TOKEN" ] || fail "the shop sent no Cart-Token"
	request POST /wc/store/v1/cart/add-item "" "{\"id\":$PRODUCT_ID,\"quantity\":$QUANTITY}"
	expect_status "add to cart" 200 201
	[ "$(json_len "$work/body" items)" -ge 1 ] || fail "the cart is empty after adding product $PRODUCT_ID"
	request POST /wc/store/v1/cart/update-customer "" "{\"billing_address\":$(address yes),\"shipping_address\":$(address no)}"
	expect_status "set the address" 200
	cp "$work/body" "$work/cart"
	local cart_total digits currency
	cart_total=$(json_get "$work/cart" totals.total_price)
	digits=$(json_get "$work/cart" totals.currency_minor_unit)
	currency=$(json_get "$work/cart" totals.currency_code)

	request POST /wc/store/v1/checkout "" "{\"billing_address\":$(address yes),\"shipping_address\":$(address no),\"payment_method\":\"cod\",\"customer_note\":\"placed by order.sh\"}"
	expect_status "check out" 200 201
	cp "$work/body" "$work/checkout"
	local id status key paid
	id=$(json_get "$work/checkout" order_id)
	status=$(json_get "$work/checkout" status)
	key=$(json_get "$work/checkout" order_key)
	paid=$(json_get "$work/checkout" payment_result.payment_status)
	[[ $id =~ ^[1-9][0-9]*$ ]] || fail "checkout returned no order id"
	[ "$paid" = success ] || fail "payment result is '$paid', not success"
	case $status in
	processing | on-hold) ;;
	*) fail "order $id has status '$status', expected processing (cash on delivery)" ;;
	esac
	log "order $id placed, status $status"

	# Read it back as the shopper may (order key and billing e-mail): stored, same total.
	request GET "/wc/store/v1/order/$id" "key=$key&billing_email=$(printf '%s' "$EMAIL" | sed -e 's/%/%25/g' -e 's/+/%2B/g' -e 's/@/%40/g')"
	expect_status "read the order back" 200
	cp "$work/body" "$work/order"
	local total tax items shipping n i name rate price gst=
	[ "$(json_get "$work/order" id)" = "$id" ] || fail "read back a different order"
	[ "$(json_get "$work/order" status)" = "$status" ] || fail "stored status '$(json_get "$work/order" status)' is not '$status'"
	total=$(json_get "$work/order" totals.total_price)
	tax=$(json_get "$work/order" totals.total_tax)
	items=$(json_get "$work/order" totals.total_items)
	shipping=$(json_get "$work/order" totals.total_shipping)
	[ "$total" = "$cart_total" ] || fail "stored total $total is not the cart's $cart_total"
	log "items $(money "$items" "$digits") + shipping $(money "${shipping:-0}" "$digits") + tax $(money "$tax" "$digits") = total $(money "$total" "$digits") $currency"
	n=$(json_len "$work/order" totals.tax_lines)
	for ((i = 0; i < n; i++)); do
		name=$(json_get "$work/order" "totals.tax_lines.$i.name")
		rate=$(json_get "$work/order" "totals.tax_lines.$i.rate")
		price=$(json_get "$work/order" "totals.tax_lines.$i.price")
		log "tax line: $name $rate $(money "$price" "$digits") $currency"
		[[ $name == *GST* ]] && gst=$price
	done
	[ -n "$gst" ] || fail "the order has no GST tax line"
	[ "$tax" -gt 0 ] || fail "the order carries no tax"
	# 18% of what is taxed (items and shipping), within rounding.
	awk -v t="$tax" -v b="$((items + ${shipping:-0}))" 'BEGIN { d = t - b * 0.18; exit !(d <= 2 && d >= -2) }' ||
		fail "tax $tax is not 18% of $((items + ${shipping:-0}))"

	verify_admin_rest "$id" "$status" "$(money "$total" "$digits")"
	verify_wp_cli "$id" "$status" "$(money "$total" "$digits")"
	log "OK order $id status $status total $(money "$total" "$digits") $currency GST $(money "$gst" "$digits")"
}

# Through the REST API as the admin (an application password), when given one.
verify_admin_rest() { # id status total
	[ -n "${STORE_ADMIN_USER:-}" ] && [ -n "${STORE_ADMIN_APP_PASSWORD:-}" ] || return 0
	local args=(-sS --max-time 60 -o "$work/admin" -w '%{http_code}' -u "$STORE_ADMIN_USER:$STORE_ADMIN_APP_PASSWORD")
	[ -z "$HOST_HEADER" ] || args+=(-H "Host: $HOST_HEADER")
	[ "$INSECURE" = no ] || args+=(-k)
	HTTP_STATUS=$(curl "${args[@]}" "$(url_for "/wc/v3/orders/$1")") || fail "REST API: no answer"
	[ "$HTTP_STATUS" = 200 ] || fail "REST API: HTTP $HTTP_STATUS for order $1"
	[ "$(json_get "$work/admin" status)" = "$2" ] || fail "REST API: status '$(json_get "$work/admin" status)' is not '$2'"
	[ "$(json_get "$work/admin" payment_method)" = cod ] || fail "REST API: payment method is not cod"
	awk -v a="$(json_get "$work/admin" total)" -v b="$3" 'BEGIN { exit !(a + 0 == b + 0) }' ||
		fail "REST API: total '$(json_get "$work/admin" total)' is not $3"
	log "verified through the REST API as $STORE_ADMIN_USER"
}

# With wp-cli in the shop pod, when told the namespace.
verify_wp_cli() { # id status total
	[ -n "$NAMESPACE" ] || return 0
	local got want code
	# $1 is a checked order number; the rest is PHP.
	code="\$o = wc_get_order($1); echo \$o ? \$o->get_status() . '|' . \$o->get_total() . '|' . \$o->get_payment_method() : 'none';"
	got=$(kubectl -n "$NAMESPACE" exec "deploy/$RELEASE-wordpress" -c wordpress -- \
		wp --path=/var/www/html eval "$code" 2>/dev/null) ||
		fail "wp-cli in $NAMESPACE/$RELEASE-wordpress did not answer"
	want="$2|$3|cod"
	awk -F'|' -v g="$got" -v w="$want" 'BEGIN { split(g, a, "|"); split(w, b, "|"); exit !(a[1] == b[1] && a[2] + 0 == b[2] + 0 && a[3] == b[3]) }' ||
		fail "wp-cli: order $1 is '$got', expected '$want'"
	log "verified with wp-cli in $NAMESPACE"
}

main "$@"
