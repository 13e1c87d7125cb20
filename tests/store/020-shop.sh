#!/usr/bin/env bash
# A shopper in a real WooCommerce store made by setup.php (tests/store/lib.sh):
# the storefront's pages answer, every image a product page links to answers,
# prices are shown including GST and charged as shown, and scripts/order.sh
# places and verifies cash-on-delivery orders for a physical and a virtual
# product, with pretty and plain permalinks, checked in the database, through
# the REST API (application password, WP_ENVIRONMENT_TYPE local) and by this
# test's own queries. A restart of the shop (document root made anew, only the
# uploads volume kept) loses nothing.
# shellcheck disable=SC2119 # store_fresh/store_setup take optional arguments
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

store_begin
store_setup || {
	echo "not ok - setup.php made the store"
	sed 's/^/    # /' "$store_out" | tail -n 30
	exit 1
}
p=$WORDPRESS_TABLE_PREFIX
order="$root/scripts/order.sh"
jar="$store_dir/shopper.cookies"

get() { # path [curl args]: prints the status; body in $store_dir/page
	local path=$1
	shift
	curl -sS -o "$store_dir/page" -w '%{http_code}' -b "$jar" -c "$jar" "$@" "$store_url$path"
}
answers() { # path code
	local code
	code=$(get "$1")
	[ "$code" = "$2" ] || { echo "GET $1: HTTP $code, expected $2"; head -c 400 "$store_dir/page"; return 1; }
}

product_json() { # sku: the Store API's product
	curl -sS "$store_url/wp-json/wc/store/v1/products?sku=$1" | jq -e '.[0]'
}
chai=$(product_json SP-CHAI-250)
chai_id=$(jq -r .id <<<"$chai")
chai_url=$(jq -r .permalink <<<"$chai")
check "the Store API lists the chai, ₹349.00 including GST" store_is "$(jq -r '.prices.price + " " + .prices.currency_code' <<<"$chai")" "34900 INR"

# The pages a shopper opens.
storefront() {
	: >"$jar"
	answers / 200 && answers /shop/ 200 && answers "${chai_url#"$store_url"}" 200 &&
		answers /cart/ 200 && answers /my-account/ 200 && answers /my-account/lost-password/ 200
}
check "/, /shop/, a product page, /cart/, /my-account/ and an endpoint of it answer 200" storefront
product_page_prices() {
	get "${chai_url#"$store_url"}" >/dev/null
	# The price shown, with its suffix; 411.82 would be 349 plus 18% on top.
	grep -q '349\.00' "$store_dir/page" && grep -q 'incl. GST' "$store_dir/page" && ! grep -q '411\.82' "$store_dir/page"
}
check "the product page shows ₹349.00 incl. GST" product_page_prices
checkout_with_item() {
	: >"$jar"
	answers "/?add-to-cart=$chai_id" 200 && grep -q 'woocommerce_items_in_cart' "$jar" && answers /checkout/ 200
}
check "/checkout/ with an item in the cart answers 200" checkout_with_item

# Every image a product page links to (src and srcset), at least one.
images_answer() { # page path
	local n=0 bad=0 url code
	get "$1" >/dev/null
	while read -r url; do
		[ -n "$url" ] || continue
		n=$((n + 1))
		code=$(curl -sS -o /dev/null -w '%{http_code}' "$url")
		[ "$code" = 200 ] || { echo "image $url: HTTP $code"; bad=$((bad + 1)); }
	done < <(python3 - "$store_dir/page" "$store_url" <<'EOF'
import html.parser, sys, urllib.parse
base = sys.argv[2] + "/"
seen = set()
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag != "img":
            return
        a = dict(attrs)
        urls = [a.get("src") or ""]
        urls += [part.strip().split(" ")[0] for part in (a.get("srcset") or "").split(",")]
        for u in urls:
            if u and not u.startswith("data:"):
                u = urllib.parse.urljoin(base, u)
                if u not in seen:
                    seen.add(u)
                    print(u)
P().feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
EOF
	)
	echo "$n images checked on $1"
	[ "$n" -gt 0 ] && [ "$bad" = 0 ]
}
check "every image on the chai's page answers 200" images_answer "${chai_url#"$store_url"}"
check "every image on /shop/ answers 200" images_answer /shop/

# An application password for the admin, made with WordPress's own API.
app_password() {
	# shellcheck disable=SC2016 # PHP code, its $ are PHP's
	setpriv --reuid=www-data --regid=www-data --clear-groups php -r '
		$_SERVER["HTTP_HOST"] = "localhost"; $_SERVER["REQUEST_URI"] = "/";
		require $argv[1] . "/wp-load.php";
		$u = get_user_by("login", $argv[2]);
		$r = WP_Application_Passwords::create_new_application_password($u->ID, array("name" => "order-test"));
		if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message() . "\n"); exit(1); }
		echo $r[0];' -- "$store_wp" "$WP_ADMIN_USER"
}
STORE_ADMIN_APP_PASSWORD=$(app_password)
export STORE_ADMIN_USER=$WP_ADMIN_USER STORE_ADMIN_APP_PASSWORD
check "an application password was made" test -n "$STORE_ADMIN_APP_PASSWORD"

# Orders: a physical and a virtual product, pretty and plain permalinks; each
# verified by order.sh in the database and through the REST API.
place() { # name sku [order.sh args]
	local name=$1 sku=$2
	shift 2
	"$order" --sku "$sku" --email shopper@example.com --wp-path "$store_wp" \
		--tax-name "$STORE_TAX_NAME" --tax-rate "$STORE_TAX_RATE" --currency "$STORE_CURRENCY" "$@" "$store_url" \
		>"$store_dir/order-$name.out" 2>&1
	local rc=$?
	cat "$store_dir/order-$name.out"
	[ "$rc" = 0 ] && grep -q 'verified in the database' "$store_dir/order-$name.out" &&
		grep -q 'verified through the REST API' "$store_dir/order-$name.out"
}
check "order: the chai (physical), pretty permalinks" place chai-pretty SP-CHAI-250
check "it costs what the shop showed: ₹349.00 with ₹53.24 GST in it" grep -q 'OK order [0-9]* status processing total 349.00 INR GST 53.24' "$store_dir/order-chai-pretty.out"
check "order: the cooking class (virtual), pretty permalinks" place class-pretty SP-CLASS-01
check "order: the chai (physical), plain permalinks" place chai-plain SP-CHAI-250 --plain-permalinks
check "order: the cooking class (virtual), plain permalinks" place class-plain SP-CLASS-01 --plain-permalinks --quantity 2
check "two classes: ₹1998.00 with ₹304.78 GST in it" grep -q 'total 1998.00 INR GST 304.78' "$store_dir/order-class-plain.out"

# This test's own look at the database: four COD orders in INR, each with one
# GST line at 18%, totals as the shopper was shown.
orders() {
	store_sql "SELECT CONCAT(o.status, '|', o.payment_method, '|', o.currency, '|', o.total_amount, '|', o.tax_amount, '|',
			(SELECT GROUP_CONCAT(CONCAT(l.meta_value, '@', m.meta_value)) FROM ${p}woocommerce_order_items i
			 JOIN ${p}woocommerce_order_itemmeta m ON m.order_item_id = i.order_item_id AND m.meta_key = 'rate_percent'
			 JOIN ${p}woocommerce_order_itemmeta l ON l.order_item_id = i.order_item_id AND l.meta_key = 'label'
			 WHERE i.order_id = o.id AND i.order_item_type = 'tax'))
		FROM ${p}wc_orders o WHERE o.type = 'shop_order' ORDER BY o.id"
}
check "the database holds the four orders: processing, cod, INR, one GST line at 18%" store_is "$(orders | tr '\n' ' ')" \
	"wc-processing|cod|INR|349.00000000|53.24000000|GST@18 wc-processing|cod|INR|999.00000000|152.39000000|GST@18 wc-processing|cod|INR|349.00000000|53.24000000|GST@18 wc-processing|cod|INR|1998.00000000|304.78000000|GST@18 "

# order.sh's checks can fail: a shop that is not what it is told to expect.
check_fails_with "order.sh fails when the tax rate is not the one expected" "rate is 18%, not 12%" \
	"$order" --sku SP-CHAI-250 --tax-rate 12 "$store_url"
check_fails_with "order.sh fails when the tax line has another name" "is 'GST', not VAT" \
	"$order" --sku SP-CHAI-250 --tax-name VAT "$store_url"
check_fails_with "order.sh fails when the currency is not the one expected" "in 'INR', not USD" \
	"$order" --sku SP-CHAI-250 --currency USD "$store_url"
check_fails_with "order.sh fails for a product the shop does not have" "no product to buy with SKU NOPE" \
	"$order" --sku NOPE "$store_url"
check "order.sh --help prints its options and exits 0" bash -c "'$order' --help | grep -q -- '--tax-rate PCT'"
check_fails_with "order.sh: a bad option exits 2 with the usage" "unknown option" bash -c "'$order' --frobnicate x; [ \$? -eq 2 ] && exit 1"

# In production WordPress refuses application passwords over plain HTTP: the
# REST check says so instead of passing without checking.
extra=$WORDPRESS_CONFIG_EXTRA
export WORDPRESS_CONFIG_EXTRA=${extra//\'local\'/\'production\'}
store_restart_apache
check_fails_with "production over plain HTTP: the REST check fails with 401 and says why" "REST API: HTTP 401.*application passwords need HTTPS" \
	"$order" --sku SP-CHAI-250 "$store_url"
export WORDPRESS_CONFIG_EXTRA=$extra
store_restart_apache

# The shop restarts: its document root is rebuilt from the image, only the
# uploads volume is kept. Everything still answers, and it still sells.
store_restart
check "after a restart: the storefront answers" storefront
check "after a restart: every image on the chai's page answers 200" images_answer "${chai_url#"$store_url"}"
check "after a restart: an order" place chai-restart SP-CHAI-250
exit 0
