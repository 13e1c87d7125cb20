#!/usr/bin/env bash
# Places an order the way a shopper does, through a Medusa v2 store's Store API
# with its publishable key, then proves the order was stored as the shopper was
# told: list products, a cart in the region, a line item, e-mail and addresses,
# the shipping option, a payment session with the system (manual) provider,
# which is the store's cash on delivery, and completing the cart.
#
#   order.sh [options] STORE_URL          e.g. order.sh http://127.0.0.1:9000
#     --key TOKEN         the publishable API key (or MEDUSA_PUBLISHABLE_KEY); without
#                         one, the key the store's GET /storefront names, as a
#                         storefront would take it
#     --region NAME       the region to buy in (India)
#     --currency CODE     the currency the order must be in (inr)
#     --tax-rate PCT      the tax rate every taxed line must carry (18)
#     --tax-code CODE     its code (GST)
#     --provider ID       the payment provider (pp_system_default)
#     --handle HANDLE     buy this product (default: the first with a price)
#     --quantity N        how many (1)
#     --email ADDR        the shopper's e-mail (order-test@example.com)
#     --connect HOST:PORT connect there for STORE_URL's host (an ingress reached by
#                         address while the URL keeps the store's name), as curl's
#                         --connect-to
#     --admin-email ADDR  also read the order back through the Admin API, logging in
#                         as ADDR with the password in MEDUSA_ADMIN_PASSWORD
#     -h, --help          this text
#
# Prices are shown including the tax (the region's prices are tax inclusive): the
# order's total must be the price shown times the quantity plus shipping, and its
# tax the rate's share included in that total.
#
# Prints what it does and, last, "order: OK order <id> display <n> total <t> <CUR>
# tax <x> (<code> <rate>%) payment <provider>". Exit status: 0 the order is placed
# and stored as placed, 1 any failure or mismatch, 2 usage. Needs bash, curl, jq.
set -euo pipefail

KEY=${MEDUSA_PUBLISHABLE_KEY:-}
REGION=India
CURRENCY=inr
TAX_RATE=18
TAX_CODE=GST
PROVIDER=pp_system_default
HANDLE=
QUANTITY=1
EMAIL=order-test@example.com
ADMIN_EMAIL=
CONNECT=
BASE=
HTTP_STATUS=
work=

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
		--key | --region | --currency | --tax-rate | --tax-code | --provider | --handle | --quantity | --email | --admin-email | --connect)
			[ $# -ge 2 ] || usage_error "$1 needs a value"
			case $1 in
			--key) KEY=$2 ;;
			--region) REGION=$2 ;;
			--currency) CURRENCY=$2 ;;
			--tax-rate) TAX_RATE=$2 ;;
			--tax-code) TAX_CODE=$2 ;;
			--provider) PROVIDER=$2 ;;
			--handle) HANDLE=$2 ;;
			--quantity) QUANTITY=$2 ;;
			--email) EMAIL=$2 ;;
			--admin-email) ADMIN_EMAIL=$2 ;;
			--connect) CONNECT=$2 ;;
			esac
			shift 2
			;;
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
	[ -z "$CONNECT" ] || [[ $CONNECT =~ ^[^:/]+:[0-9]+$ ]] || usage_error "--connect '$CONNECT' is not HOST:PORT"
	[ -n "$BASE" ] || usage_error "STORE_URL is missing"
	[[ $BASE =~ ^https?://[^/]+$ ]] || usage_error "STORE_URL '$BASE' is not http(s)://host[:port]"
	[ -z "$KEY" ] || [[ $KEY =~ ^pk_[0-9a-zA-Z_]+$ ]] || usage_error "--key '$KEY' is not a publishable key (pk_...)"
	[[ $EMAIL =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] || usage_error "--email '$EMAIL' is not an e-mail address"
	[[ $QUANTITY =~ ^[1-9][0-9]*$ ]] || usage_error "--quantity '$QUANTITY' is not a positive number"
	[[ $TAX_RATE =~ ^[0-9]{1,2}(\.[0-9]{1,4})?$ ]] || usage_error "--tax-rate '$TAX_RATE' is not a percentage"
	[[ $CURRENCY =~ ^[a-zA-Z]{3}$ ]] || usage_error "--currency '$CURRENCY' is not a three-letter code"
	CURRENCY=$(printf '%s' "$CURRENCY" | tr '[:upper:]' '[:lower:]')
	if [ -n "$ADMIN_EMAIL" ] && [ -z "${MEDUSA_ADMIN_PASSWORD:-}" ]; then
		usage_error "--admin-email needs MEDUSA_ADMIN_PASSWORD in the environment"
	fi
}

# request METHOD PATH [BODY-FILE]: body in $work/body, status in HTTP_STATUS.
# The publishable key on every Store API call, the admin's token on Admin API ones.
request() {
	local method=$1 path=$2 data=${3:-}
	local args=(-sS --max-time 60 -o "$work/body" -w '%{http_code}' -X "$method" -H 'Accept: application/json')
	[ -z "$CONNECT" ] || args+=(--connect-to "::$CONNECT")
	case $path in
	/store/*) args+=(-H "x-publishable-api-key: $KEY") ;;
	/admin/*) args+=(-H "@$work/auth-header") ;;
	esac
	[ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data-binary "@$data")
	HTTP_STATUS=$(curl "${args[@]}" "$BASE$path") || fail "$method $path: no answer from $BASE"
}

expect() { # what codes...
	local what=$1 code
	shift
	for code in "$@"; do
		[ "$HTTP_STATUS" = "$code" ] && return 0
	done
	fail "$what: HTTP $HTTP_STATUS: $(jq -r '.message // empty' "$work/body" 2>/dev/null || head -c 300 "$work/body")"
}

body() { # JQ-FILTER [jq args...]: writes the JSON it builds to $work/req, prints that path
	jq -n "$@" >"$work/req"
	echo "$work/req"
}

get() { jq -r "$1 // empty" "${2:-$work/body}"; }

# same A B: two amounts (major units, as Medusa keeps them) are equal to the paisa.
same() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 0.005 && d > -0.005) }'; }
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && d >= -t) }'; }
same_rate() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }'; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
money() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }

address() {
	jq -n '{first_name: "Asha", last_name: "Rao", address_1: "12 Residency Road", city: "Bengaluru",
		province: "KA", postal_code: "560025", country_code: "in", phone: "9876543210"}'
}

# shellcheck disable=SC2016 # jq programs: their $ are jq's
main() {
	parse_args "$@"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT

	# The key, as a storefront finds it when none is given.
	if [ -z "$KEY" ]; then
		request GET /storefront
		expect "GET /storefront (the store's publishable key)" 200
		KEY=$(get .publishable_key)
		[[ $KEY =~ ^pk_[0-9a-zA-Z_]+$ ]] || fail "GET /storefront named no publishable key"
		log "publishable key from /storefront"
	fi

	# The region the shopper is in.
	request GET /store/regions
	expect "list regions" 200
	local region_id region_currency
	region_id=$(jq -r --arg n "$REGION" '[.regions[] | select(.name == $n)][0].id // empty' "$work/body")
	[ -n "$region_id" ] || fail "no region named '$REGION' (the store has: $(jq -r '[.regions[].name] | join(", ")' "$work/body"))"
	region_currency=$(jq -r --arg n "$REGION" '[.regions[] | select(.name == $n)][0].currency_code' "$work/body")
	[ "$region_currency" = "$CURRENCY" ] || fail "region $REGION is in '$region_currency', not $CURRENCY"
	log "region $REGION ($region_id) in $CURRENCY"

	# The products, with the prices the shopper sees in that region.
	request GET "/store/products?region_id=$region_id&limit=50&fields=id,title,handle,*variants,*variants.calculated_price"
	expect "list products" 200
	local n pick variant_id title price inclusive
	n=$(jq '.products | length' "$work/body")
	log "$n products listed"
	[ "$n" -gt 0 ] || fail "the store lists no products"
	pick=$(jq -c --arg h "$HANDLE" '[.products[] | select($h == "" or .handle == $h) | . as $p
		| .variants[]? | select(.calculated_price.calculated_amount != null)
		| {variant_id: .id, title: $p.title, handle: $p.handle,
		   price: .calculated_price.calculated_amount,
		   inclusive: .calculated_price.is_calculated_price_tax_inclusive,
		   currency: .calculated_price.currency_code}][0] // empty' "$work/body")
	[ -n "$pick" ] || fail "no product with a price in $REGION${HANDLE:+ with handle $HANDLE}"
	variant_id=$(jq -r .variant_id <<<"$pick")
	title=$(jq -r .title <<<"$pick")
	price=$(jq -r .price <<<"$pick")
	inclusive=$(jq -r .inclusive <<<"$pick")
	[ "$(jq -r .currency <<<"$pick")" = "$CURRENCY" ] || fail "$title is priced in '$(jq -r .currency <<<"$pick")', not $CURRENCY"
	[ "$inclusive" = true ] || fail "$title's price does not include tax (is_calculated_price_tax_inclusive: $inclusive)"
	log "product: $title at $price $CURRENCY (tax included), variant $variant_id"

	# The cart.
	request POST /store/carts "$(body --arg r "$region_id" --arg e "$EMAIL" '{region_id: $r, email: $e}')"
	expect "create a cart" 200 201
	local cart
	cart=$(get .cart.id)
	[ -n "$cart" ] || fail "no cart id"
	[ "$(get .cart.currency_code)" = "$CURRENCY" ] || fail "the cart is in '$(get .cart.currency_code)', not $CURRENCY"
	request POST "/store/carts/$cart/line-items" "$(body --arg v "$variant_id" --argjson q "$QUANTITY" '{variant_id: $v, quantity: $q}')"
	expect "add to cart" 200 201
	[ "$(jq '.cart.items | length' "$work/body")" -ge 1 ] || fail "the cart is empty after adding $variant_id"
	request POST "/store/carts/$cart" "$(body --arg e "$EMAIL" --argjson a "$(address)" '{email: $e, shipping_address: $a, billing_address: $a}')"
	expect "set e-mail and addresses" 200

	# Shipping.
	request GET "/store/shipping-options?cart_id=$cart"
	expect "list shipping options" 200
	local option option_name
	option=$(get '.shipping_options[0].id')
	option_name=$(get '.shipping_options[0].name')
	[ -n "$option" ] || fail "no shipping option for this cart"
	request POST "/store/carts/$cart/shipping-methods" "$(body --arg o "$option" '{option_id: $o}')"
	expect "choose shipping" 200
	log "shipping: $option_name ($option), $(get '.cart.shipping_total') $CURRENCY"
	cp "$work/body" "$work/cart"

	# Payment: a session with the manual provider (cash on delivery).
	request POST /store/payment-collections "$(body --arg c "$cart" '{cart_id: $c}')"
	expect "create the payment collection" 200 201
	local pc
	pc=$(get .payment_collection.id)
	[ -n "$pc" ] || fail "no payment collection"
	request POST "/store/payment-collections/$pc/payment-sessions" "$(body --arg p "$PROVIDER" '{provider_id: $p}')"
	expect "start a payment session with $PROVIDER" 200 201
	[ "$(jq -r --arg p "$PROVIDER" '[.payment_collection.payment_sessions[]? | select(.provider_id == $p)] | length' "$work/body")" -ge 1 ] ||
		fail "no $PROVIDER payment session in the collection"

	# Place the order.
	request POST "/store/carts/$cart/complete"
	expect "complete the cart" 200
	[ "$(get .type)" = order ] || fail "completing the cart gave '$(get .type)', not an order: $(get .error.message)"
	local id display
	id=$(get .order.id)
	display=$(get .order.display_id)
	[ -n "$id" ] || fail "no order id"
	log "order $id (#$display) placed"

	# Read it back and check it is what the shopper was shown.
	local fields='id,display_id,email,currency_code,total,subtotal,tax_total,item_total,item_tax_total,shipping_total,shipping_tax_total,*items,*items.tax_lines,*shipping_methods,*shipping_methods.tax_lines,*payment_collections,*payment_collections.payment_sessions'
	request GET "/store/orders/$id?fields=$fields"
	expect "read the order back" 200
	cp "$work/body" "$work/order"
	verify "$work/order" "Store API" "$id" "$price"

	if [ -n "$ADMIN_EMAIL" ]; then
		# The owner's view: log in (the password from the environment, never on a command line).
		E=$ADMIN_EMAIL jq -n '{email: env.E, password: env.MEDUSA_ADMIN_PASSWORD}' >"$work/login"
		HTTP_STATUS=$(curl -sS --max-time 60 -o "$work/body" -w '%{http_code}' -H 'Content-Type: application/json' \
			--data-binary "@$work/login" "$BASE/auth/user/emailpass") || fail "admin login: no answer"
		rm -f "$work/login"
		expect "admin login as $ADMIN_EMAIL" 200
		printf 'Authorization: Bearer %s\n' "$(get .token)" >"$work/auth-header"
		request GET "/admin/orders/$id?fields=$fields,payment_status,status"
		expect "read the order through the Admin API" 200
		jq .order "$work/body" | jq '{order: .}' >"$work/admin"
		verify "$work/admin" "Admin API" "$id" "$price"
		log "verified through the Admin API as $ADMIN_EMAIL (status $(jq -r .order.status "$work/admin"), payment $(jq -r .order.payment_status "$work/admin"))"
	fi

	log "OK order $id display $display total $(money "$(get .order.total "$work/order")") $(printf '%s' "$CURRENCY" | tr '[:lower:]' '[:upper:]') tax $(money "$(get .order.tax_total "$work/order")") ($TAX_CODE $TAX_RATE%) payment $PROVIDER"
}

# verify FILE WHAT ID PRICE: the order in FILE ({order: ...}) is the one placed.
verify() {
	local f=$1 what=$2 id=$3 price=$4 total tax shipping items_total lines bad want_tax
	[ "$(get .order.id "$f")" = "$id" ] || fail "$what: read back order '$(get .order.id "$f")', not $id"
	[ "$(get .order.currency_code "$f")" = "$CURRENCY" ] || fail "$what: the order is in '$(get .order.currency_code "$f")', not $CURRENCY"
	[ "$(get .order.email "$f")" = "$EMAIL" ] || fail "$what: the order's e-mail is '$(get .order.email "$f")'"
	[ "$(jq '.order.items | length' "$f")" = 1 ] || fail "$what: $(jq '.order.items | length' "$f") items, expected 1"
	[ "$(get '.order.items[0].quantity' "$f")" = "$QUANTITY" ] || fail "$what: quantity $(get '.order.items[0].quantity' "$f"), expected $QUANTITY"
	total=$(get .order.total "$f")
	tax=$(get .order.tax_total "$f")
	shipping=$(get .order.shipping_total "$f")
	items_total=$(get .order.item_total "$f")
	# The items cost what the shopper was shown (tax included), the total adds shipping.
	same "$items_total" "$(calc "$price * $QUANTITY")" || fail "$what: the items cost $items_total, the store showed $QUANTITY x $price"
	same "$total" "$(calc "$items_total + $shipping")" || fail "$what: total $total is not items $items_total + shipping $shipping"
	# Every item and shipping line is taxed at the one rate, with its code.
	lines=$(jq '[.order.items[].tax_lines[]?, .order.shipping_methods[].tax_lines[]?] | length' "$f")
	[ "$lines" -ge 1 ] || fail "$what: the order has no tax line"
	bad=$(jq -r --arg c "$TAX_CODE" --argjson r "$TAX_RATE" '[.order.items[].tax_lines[]?, .order.shipping_methods[].tax_lines[]?
		| select(.code != $c or (.rate | tonumber) != $r) | "\(.code) \(.rate)%"] | join(", ")' "$f")
	[ -z "$bad" ] || fail "$what: tax lines not $TAX_CODE $TAX_RATE%: $bad"
	[ "$(jq '[.order.items[] | select((.tax_lines | length) != 1)] | length' "$f")" = 0 ] || fail "$what: an item without exactly one tax line"
	# The tax is the rate's share of the tax-inclusive total.
	want_tax=$(calc "$total * $TAX_RATE / (100 + $TAX_RATE)")
	near "$tax" "$want_tax" 0.02 || fail "$what: tax $tax is not the $TAX_RATE% included in $total ($want_tax)"
	awk -v t="$tax" 'BEGIN { exit !(t > 0) }' || fail "$what: the order carries no tax"
	# Paid with the manual provider.
	[ "$(jq -r --arg p "$PROVIDER" '[.order.payment_collections[]?.payment_sessions[]? | select(.provider_id == $p)] | length' "$f")" -ge 1 ] ||
		fail "$what: no payment with $PROVIDER (has: $(jq -r '[.order.payment_collections[]?.payment_sessions[]?.provider_id] | join(", ")' "$f"))"
	log "$what: items $(money "$items_total") + shipping $(money "$shipping") = total $(money "$total") $CURRENCY, tax $(money "$tax") ($lines $TAX_CODE $TAX_RATE% lines), payment $PROVIDER"
}

main "$@"
