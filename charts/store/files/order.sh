#!/usr/bin/env bash
# Places an order the way a shopper does, through the WooCommerce Store API,
# then proves the order was stored as the shopper was told. Works with
# WooCommerce 9.0 and later: the cart is carried by the Cart-Token header and
# by the session cookie (which WooCommerce 9.2 falls back to under
# ?rest_route=), and the Nonce header is sent too for releases that ask for it.
#
#   order.sh [options] STORE_URL          e.g. order.sh http://demo.localtest.me
#     --email ADDR        billing e-mail (order-test@example.com)
#     --product-id ID     buy this product (default: the first simple one in stock)
#     --sku SKU           buy the product with this SKU
#     --quantity N        how many (1)
#     --tax-name NAME     the tax line the order must carry (GST; the chart's setup.taxName)
#     --tax-rate PCT      its rate in percent (18; the chart's setup.taxRate)
#     --currency CODE     the currency the order must be in (INR)
#     --host NAME         send "Host: NAME" (reaching the shop by IP or port-forward)
#     --insecure          accept a certificate that does not verify (local TLS)
#     --plain-permalinks  call /?rest_route=... instead of /wp-json/...
#     --wp-path DIR       also check the stored order in the database, with
#                         order-check.php and php on this host (the shop's
#                         WORDPRESS_* variables in the environment)
#     --namespace NS      the same check in the store's shop pod (kubectl exec)
#     --release NAME      the store's release name (default: NS)
#     -h, --help          this text
#   STORE_ADMIN_USER and STORE_ADMIN_APP_PASSWORD (a WordPress application
#   password) in the environment also check it through the REST API. WordPress
#   accepts application passwords only over HTTPS, or over HTTP when the shop's
#   WP_ENVIRONMENT_TYPE is local (values-local.yaml).
#
# Prices are shown including the tax: the order's total must equal the price
# shown times the quantity (plus shipping), and its one tax line of the given
# name and rate must hold the tax included in it.
#
# Prints the order id, status and totals with the tax line. Exit status: 0 the
# order is placed and stored as placed, 1 any failure or mismatch, 2 usage.
# Needs bash, curl and jq (or PHP, as in the shop image, for the helm test).
set -euo pipefail

EMAIL=order-test@example.com
PRODUCT_ID=
SKU=
QUANTITY=1
TAX_NAME=GST
TAX_RATE=18
CURRENCY=INR
HOST_HEADER=
INSECURE=no
PLAIN=no
WP_PATH=
NAMESPACE=
RELEASE=
BASE=
CART_TOKEN=
NONCE=
HTTP_STATUS=
PRODUCT_NAME=
PRODUCT_PRICE=
work=
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'order: %s\n' "$*"; }
fail() {
	printf 'order: FAILED: %s\n' "$*" >&2
	exit 1
}
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
usage_error() {
	printf 'order: %s\n' "$1" >&2
	usage >&2
	exit 2
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--email | --product-id | --sku | --quantity | --tax-name | --tax-rate | --currency | --host | --wp-path | --namespace | --release)
			[ $# -ge 2 ] || usage_error "$1 needs a value"
			case $1 in
			--email) EMAIL=$2 ;;
			--product-id) PRODUCT_ID=$2 ;;
			--sku) SKU=$2 ;;
			--quantity) QUANTITY=$2 ;;
			--tax-name) TAX_NAME=$2 ;;
			--tax-rate) TAX_RATE=$2 ;;
			--currency) CURRENCY=$2 ;;
			--host) HOST_HEADER=$2 ;;
			--wp-path) WP_PATH=$2 ;;
			--namespace) NAMESPACE=$2 ;;
			--release) RELEASE=$2 ;;
			esac
			shift 2
			;;
		--insecure) INSECURE=yes && shift ;;
		--plain-permalinks) PLAIN=yes && shift ;;
		-h | --help)
			usage
			exit 0
			;;
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
	[[ -z $PRODUCT_ID || -z $SKU ]] || usage_error "--product-id and --sku: give one"
	[[ $TAX_RATE =~ ^[0-9]{1,2}(\.[0-9]{1,4})?$ ]] || usage_error "--tax-rate '$TAX_RATE' is not a percentage"
	[ -n "$TAX_NAME" ] || usage_error "--tax-name is empty"
	[[ $CURRENCY =~ ^[A-Z]{3}$ ]] || usage_error "--currency '$CURRENCY' is not a three-letter code"
	[[ -z $WP_PATH || -f $WP_PATH/wp-load.php ]] || usage_error "--wp-path '$WP_PATH' holds no WordPress"
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
# keeps the Cart-Token, the Nonce and the cookies the shop hands back.
request() {
	local method=$1 route=$2 query=${3:-} body=${4:-} v
	local args=(-sS --max-time 60 -D "$work/headers" -o "$work/body" -w '%{http_code}' -H 'Accept: application/json'
		-b "$work/cookies" -c "$work/cookies")
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
		elif [ -n "$SKU" ]; then
			[ "$(json_get "$work/body" "$i.sku")" = "$SKU" ] || continue
		elif [ "$(json_get "$work/body" "$i.type")" != simple ] ||
			[ "$(json_get "$work/body" "$i.is_purchasable")" != true ] ||
			[ "$(json_get "$work/body" "$i.is_in_stock")" != true ]; then
			continue
		fi
		PRODUCT_ID=$id
		PRODUCT_NAME=$(json_get "$work/body" "$i.name")
		# The price a shopper sees on the product (tax included), in minor units.
		PRODUCT_PRICE=$(json_get "$work/body" "$i.prices.price")
		[[ $PRODUCT_PRICE =~ ^[0-9]+$ ]] || fail "product $id shows no price"
		return 0
	done
	fail "no product to buy${PRODUCT_ID:+ with id $PRODUCT_ID}${SKU:+ with SKU $SKU}"
}

address() { # with-email
	local email=
	[ "$1" = yes ] && email=",\"email\":\"$EMAIL\""
	printf '{"first_name":"Asha","last_name":"Rao","company":"","address_1":"12 Residency Road","address_2":"","city":"Bengaluru","state":"KA","postcode":"560025","country":"IN","phone":"9876543210"%s}' "$email"
}

# near A B [TOLERANCE]: two amounts in minor units differ by at most TOLERANCE (1).
near() { awk -v a="$1" -v b="$2" -v t="${3:-1}" 'BEGIN { d = a - b; exit !(d <= t && d >= -t) }'; }
# same_rate A B: two percentages ("18%", "18", "18.0000") are the same number.
same_rate() { awk -v a="${1%\%}" -v b="${2%\%}" 'BEGIN { exit !(a + 0 == b + 0) }'; }
# The tax included in a tax-inclusive amount at TAX_RATE, in minor units.
included_tax() { awk -v v="$1" -v r="$TAX_RATE" 'BEGIN { printf "%.0f", v * r / (100 + r) }'; }

main() {
	parse_args "$@"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	: >"$work/cookies"

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
	[ "$currency" = "$CURRENCY" ] || fail "the cart is in '$currency', not $CURRENCY"

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
	local total tax items items_tax shipping shipping_tax n name rate price
	[ "$(json_get "$work/order" id)" = "$id" ] || fail "read back a different order"
	[ "$(json_get "$work/order" status)" = "$status" ] || fail "stored status '$(json_get "$work/order" status)' is not '$status'"
	[ "$(json_get "$work/order" totals.currency_code)" = "$CURRENCY" ] || fail "the order is in '$(json_get "$work/order" totals.currency_code)', not $CURRENCY"
	total=$(json_get "$work/order" totals.total_price)
	tax=$(json_get "$work/order" totals.total_tax)
	items=$(json_get "$work/order" totals.total_items)
	items_tax=$(json_get "$work/order" totals.total_items_tax)
	shipping=$(json_get "$work/order" totals.total_shipping)
	shipping_tax=$(json_get "$work/order" totals.total_shipping_tax)
	shipping=${shipping:-0} shipping_tax=${shipping_tax:-0}
	[ "$total" = "$cart_total" ] || fail "stored total $total is not the cart's $cart_total"
	log "items $(money "$items" "$digits") + shipping $(money "$shipping" "$digits") + tax $(money "$tax" "$digits") = total $(money "$total" "$digits") $currency"
	# The price shown includes the tax: that is what the shopper pays.
	[ "$((items + items_tax))" = "$((PRODUCT_PRICE * QUANTITY))" ] ||
		fail "the items cost $(money "$((items + items_tax))" "$digits") with tax, the shop showed $QUANTITY x $(money "$PRODUCT_PRICE" "$digits")"
	[ "$total" = "$((PRODUCT_PRICE * QUANTITY + shipping + shipping_tax))" ] ||
		fail "total $(money "$total" "$digits") is not the price shown ($QUANTITY x $(money "$PRODUCT_PRICE" "$digits")) plus shipping"
	n=$(json_len "$work/order" totals.tax_lines)
	[ "$n" = 1 ] || fail "the order has $n tax lines, expected one $TAX_NAME line"
	name=$(json_get "$work/order" "totals.tax_lines.0.name")
	rate=$(json_get "$work/order" "totals.tax_lines.0.rate")
	price=$(json_get "$work/order" "totals.tax_lines.0.price")
	log "tax line: $name $rate $(money "$price" "$digits") $currency"
	[ "$name" = "$TAX_NAME" ] || fail "the tax line is '$name', not $TAX_NAME"
	same_rate "$rate" "$TAX_RATE" || fail "the $TAX_NAME line's rate is ${rate%\%}%, not $TAX_RATE%"
	[ "$price" = "$tax" ] || fail "the $TAX_NAME line holds $price, the order's tax is $tax"
	[ "$tax" -gt 0 ] || fail "the order carries no tax"
	near "$tax" "$(included_tax "$total")" 2 ||
		fail "tax $(money "$tax" "$digits") is not the $TAX_RATE% included in $(money "$total" "$digits")"

	local want_total want_tax
	want_total=$(money "$total" "$digits")
	want_tax=$(money "$tax" "$digits")
	verify_admin_rest "$id" "$status" "$want_total" "$want_tax"
	verify_database "$id" "$status" "$want_total" "$want_tax"
	log "OK order $id status $status total $want_total $currency $TAX_NAME $want_tax"
}

# verify_stored WHAT FILE ID STATUS TOTAL TAX: an order as the shop keeps it
# (the REST API's or order-check.php's JSON: status, payment_method, currency,
# total, total_tax, tax_lines[{label, rate_percent, tax_total, shipping_tax_total}])
# is the order the shopper placed.
verify_stored() {
	local what=$1 f=$2 got
	[ "$(json_get "$f" id)" = "$3" ] || fail "$what: order '$(json_get "$f" id)' is not $3"
	[ "$(json_get "$f" status)" = "$4" ] || fail "$what: status '$(json_get "$f" status)' is not '$4'"
	[ "$(json_get "$f" payment_method)" = cod ] || fail "$what: payment method '$(json_get "$f" payment_method)' is not cod"
	[ "$(json_get "$f" currency)" = "$CURRENCY" ] || fail "$what: currency '$(json_get "$f" currency)' is not $CURRENCY"
	got=$(json_get "$f" total)
	awk -v a="$got" -v b="$5" 'BEGIN { exit !(a + 0 == b + 0) }' || fail "$what: total '$got' is not $5"
	[ "$(json_len "$f" tax_lines)" = 1 ] || fail "$what: $(json_len "$f" tax_lines) tax lines, expected one"
	[ "$(json_get "$f" tax_lines.0.label)" = "$TAX_NAME" ] || fail "$what: tax line '$(json_get "$f" tax_lines.0.label)' is not $TAX_NAME"
	same_rate "$(json_get "$f" tax_lines.0.rate_percent)" "$TAX_RATE" || fail "$what: tax rate '$(json_get "$f" tax_lines.0.rate_percent)' is not $TAX_RATE"
	awk -v a="$(json_get "$f" tax_lines.0.tax_total)" -v s="$(json_get "$f" tax_lines.0.shipping_tax_total)" -v b="$6" \
		'BEGIN { exit !(a + s == b + 0) }' || fail "$what: the tax line holds $(json_get "$f" tax_lines.0.tax_total), not $6"
}

# Through the REST API as the admin (an application password), when given one.
verify_admin_rest() { # id status total tax
	[ -n "${STORE_ADMIN_USER:-}" ] && [ -n "${STORE_ADMIN_APP_PASSWORD:-}" ] || return 0
	local args=(-sS --max-time 60 -o "$work/admin" -w '%{http_code}' -u "$STORE_ADMIN_USER:$STORE_ADMIN_APP_PASSWORD")
	[ -z "$HOST_HEADER" ] || args+=(-H "Host: $HOST_HEADER")
	[ "$INSECURE" = no ] || args+=(-k)
	HTTP_STATUS=$(curl "${args[@]}" "$(url_for "/wc/v3/orders/$1")") || fail "REST API: no answer"
	[ "$HTTP_STATUS" = 200 ] || fail "REST API: HTTP $HTTP_STATUS for order $1: $(json_get "$work/admin" message || true) (application passwords need HTTPS unless WP_ENVIRONMENT_TYPE is local)"
	verify_stored "REST API" "$work/admin" "$@"
	log "verified through the REST API as $STORE_ADMIN_USER"
}

# In the shop's database with WooCommerce's own API (order-check.php): on this
# host (--wp-path), or in the shop pod (--namespace).
verify_database() { # id status total tax
	if [ -n "$WP_PATH" ]; then
		php "$here/order-check.php" "$WP_PATH" "$1" >"$work/stored" || fail "order-check.php could not read order $1"
		verify_stored "database" "$work/stored" "$@"
		log "verified in the database ($WP_PATH)"
	elif [ -n "$NAMESPACE" ]; then
		kubectl -n "$NAMESPACE" exec "deploy/$RELEASE-wordpress" -c wordpress -- \
			php /opt/scripts/order-check.php /var/www/html "$1" >"$work/stored" ||
			fail "order-check.php in $NAMESPACE/$RELEASE-wordpress could not read order $1"
		verify_stored "database" "$work/stored" "$@"
		log "verified in the database of $NAMESPACE"
	fi
}

main "$@"
