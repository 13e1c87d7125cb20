#!/usr/bin/env bash
# The store's setup (charts/store/files/setup.php) on a real WordPress +
# WooCommerce (tests/store/lib.sh: MariaDB, Apache + mod_php, the chart's own
# Job environment), on a fresh database: bad environment is refused before the
# database is touched; the first run succeeds; a second and third change
# nothing; no credential appears in its output; the shop is configured as the
# chart says (INR, one 18% GST rate, prices shown including it, cash on
# delivery, pages, products, the placeholder image on the uploads volume); the
# owner can log in with the password from the Secret.
# shellcheck disable=SC2119 # store_fresh/store_setup take optional arguments
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

store_begin

tables() { store_sql "SHOW TABLES" | wc -l; }
opt() { store_sql "SELECT option_value FROM ${WORDPRESS_TABLE_PREFIX}options WHERE option_name = '$1'"; }
p=$WORDPRESS_TABLE_PREFIX

# Bad environment: exit 2, the message names the variable, the database stays empty.
bad() { # name expected-variable env-args...
	local name=$1 var=$2 rc
	shift 2
	env "$@" setpriv --reuid=www-data --regid=www-data --clear-groups \
		php "$root/charts/store/files/setup.php" --path "$store_wp" >"$store_dir/bad.out" 2>&1
	rc=$?
	check "bad environment ($name): exit status 2" test "$rc" = 2
	check "bad environment ($name): the message names $var" grep -q "error: $var" "$store_dir/bad.out"
}
bad "no admin user" WP_ADMIN_USER -u WP_ADMIN_USER
bad "a URL with a path" STORE_URL STORE_URL=http://localhost/shop
bad "a URL without a scheme" STORE_URL STORE_URL=localhost
bad "a tax rate of abc" STORE_TAX_RATE STORE_TAX_RATE=abc
bad "a currency of rupees" STORE_CURRENCY STORE_CURRENCY=rupees
bad "no database password" WORDPRESS_DB_PASSWORD -u WORDPRESS_DB_PASSWORD
check "bad environment changed nothing: the database has no table" store_is "$(tables)" 0
check_fails_with "unknown argument: exit 2" "unknown argument" bash -c "php '$root/charts/store/files/setup.php' --frobnicate; [ \$? -eq 2 ] && exit 1"
check "--help exits 0 and prints the usage" bash -c "php '$root/charts/store/files/setup.php' --help | grep -q '^usage: php setup.php'"

# The first run on a fresh store succeeds.
start=$(date +%s.%N)
store_setup
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
check "first run: exit status 0" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/    # /' "$store_out" | tail -n 30
cp "$store_out" "$store_dir/run1.out"
echo "# setup on a fresh store: ${secs}s"
printf '%s\n' "$secs" >"${STORE_SETUP_TIME_FILE:-/dev/null}"
check "first run: no database error printed" bash -c "! grep -i 'database error' '$store_dir/run1.out'"
check "first run: no PHP warning or fatal error printed" bash -c "! grep -iE 'PHP (warning|fatal|parse|deprecated|notice)|Fatal error|Warning:|Deprecated:|Notice:' '$store_dir/run1.out'"

# No secret in what it printed: every value of the store's credentials.
leaks() { # file: prints the keys of the credentials whose value appears in it
	python3 - "$store_secrets" "$1" <<'EOF'
import json, sys
secrets = json.load(open(sys.argv[1]))
text = open(sys.argv[2], encoding="utf-8", errors="replace").read()
for key, value in secrets.items():
    if value and value in text:
        print(key)
EOF
}
check "first run: no credential in its output ($(jq -r 'keys | length' "$store_secrets") values checked)" test -z "$(leaks "$store_dir/run1.out")"

# What the shop is, as the chart's values say.
check "WordPress installed at the store's URL" store_is "$(opt siteurl)" "$store_url"
check "site title from the chart" store_is "$(opt blogname)" "$STORE_TITLE"
check "WooCommerce active" bash -c "grep -q 'woocommerce/woocommerce.php' <<<\"\$1\"" _ "$(opt active_plugins)"
check "currency INR" store_is "$(opt woocommerce_currency)" INR
check "store country India, Karnataka" store_is "$(opt woocommerce_default_country)" IN:KA
check "taxes on" store_is "$(opt woocommerce_calc_taxes)" yes
check "prices entered including tax" store_is "$(opt woocommerce_prices_include_tax)" yes
check "prices shown including tax in the shop and the cart" store_is "$(opt woocommerce_tax_display_shop)/$(opt woocommerce_tax_display_cart)" incl/incl
check "tax itemised" store_is "$(opt woocommerce_tax_total_display)" itemized
gst() { store_sql "SELECT CONCAT(tax_rate_country, '|', tax_rate, '|', tax_rate_name, '|', tax_rate_class, '|', tax_rate_shipping) FROM ${p}woocommerce_tax_rates"; }
check "exactly one tax rate: IN, 18%, GST, standard, on shipping too" store_is "$(gst)" "IN|18.0000|GST||1"
check "cash on delivery on, also for virtual products" bash -c "grep -q 's:7:\"enabled\";s:3:\"yes\"' <<<\"\$1\" && grep -q 's:18:\"enable_for_virtual\";s:3:\"yes\"' <<<\"\$1\"" _ "$(opt woocommerce_cod_settings)"
check "coming soon off" store_is "$(opt woocommerce_coming_soon)" no
check "task lists hidden through woocommerce_task_list_hidden_lists" bash -c "grep -q '\"setup\"' <<<\"\$1\" && grep -q '\"extended\"' <<<\"\$1\"" _ "$(opt woocommerce_task_list_hidden_lists)"
check "pretty permalinks" store_is "$(opt permalink_structure)" '/%postname%/'
check "no .htaccess written (the rewrite is in the Apache config)" test ! -e "$store_wp/.htaccess"
pages() {
	local page id
	for page in shop cart checkout myaccount; do
		id=$(opt "woocommerce_${page}_page_id")
		echo "$page=$(store_sql "SELECT post_status FROM ${p}posts WHERE ID = '${id:-0}'")"
	done
}
check "shop, cart, checkout and my-account pages published" store_is "$(pages | tr '\n' ' ')" "shop=publish cart=publish checkout=publish myaccount=publish "
products() {
	store_sql "SELECT CONCAT(m.meta_value, '|', pr.meta_value, '|', v.meta_value, '|', po.post_status)
		FROM ${p}posts po JOIN ${p}postmeta m ON m.post_id = po.ID AND m.meta_key = '_sku'
		JOIN ${p}postmeta pr ON pr.post_id = po.ID AND pr.meta_key = '_regular_price'
		JOIN ${p}postmeta v ON v.post_id = po.ID AND v.meta_key = '_virtual'
		WHERE po.post_type = 'product' ORDER BY m.meta_value"
}
check "four sample products, one virtual, prices including GST" store_is "$(products | tr '\n' ' ')" "SP-CHAI-250|349|no|publish SP-CLASS-01|999|yes|publish SP-DIYA-01|799|no|publish SP-TOTE-01|599|no|publish "
zones() { store_sql "SELECT CONCAT(z.zone_name, '|', l.location_code, '|', m.method_id) FROM ${p}woocommerce_shipping_zones z JOIN ${p}woocommerce_shipping_zone_locations l ON l.zone_id = z.zone_id JOIN ${p}woocommerce_shipping_zone_methods m ON m.zone_id = z.zone_id"; }
check "one shipping zone for India with free shipping" store_is "$(zones)" "Domestic (IN)|IN|free_shipping"
placeholder=$(store_sql "SELECT meta_value FROM ${p}postmeta WHERE post_id = '$(opt woocommerce_placeholder_image)' AND meta_key = '_wp_attached_file'")
check "the placeholder image is a media item" test -n "$placeholder"
check "its file is in wp-content/uploads (the shop's volume)" test -s "$store_wp/wp-content/uploads/$placeholder"

# The owner logs in with the password from the Secret.
login() {
	local jar="$store_dir/cookies" code
	rm -f "$jar"
	curl -sS -c "$jar" -o /dev/null "$store_url/wp-login.php"
	code=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{http_code}' "$store_url/wp-login.php" \
		--data-urlencode "log=$WP_ADMIN_USER" --data-urlencode "pwd=$1" --data-urlencode "testcookie=1" \
		--data-urlencode "redirect_to=$store_url/wp-admin/")
	[ "$code" = 302 ] && grep -q 'wordpress_logged_in' "$jar"
}
check "the owner logs in with the Secret's password" login "$WP_ADMIN_PASSWORD"
check_not "a wrong password does not log in" login "not-$WP_ADMIN_PASSWORD"

# Second and third runs: exit 0, report no change, and change nothing.
fingerprint() {
	{
		gst
		zones
		products
		pages
		store_sql "SELECT post_type, post_status, COUNT(*) FROM ${p}posts GROUP BY post_type, post_status ORDER BY 1, 2"
		store_sql "SELECT COUNT(*) FROM ${p}users"
		store_sql "SELECT option_name, option_value FROM ${p}options WHERE option_name LIKE 'woocommerce\\_%'
			AND option_name NOT LIKE '%\\_transient\\_%' AND option_name NOT IN ('woocommerce_admin_notices', 'woocommerce_marketplace_suggestions')
			OR option_name IN ('home', 'siteurl', 'blogname', 'permalink_structure', 'active_plugins') ORDER BY option_name"
	}
}
fingerprint >"$store_dir/state.1"
same_state() { fingerprint >"$store_dir/state.now" && diff "$store_dir/state.1" "$store_dir/state.now"; }
for run in 2 3; do
	store_setup
	rc=$?
	check "run $run: exit status 0" test "$rc" = 0
	check "run $run: reports no change" bash -c "! grep -E 'option |creating|activating|installing|deleting|setting|writing' '$store_out'"
	check "run $run: the shop is as the first run left it" same_state
	check "run $run: no credential in its output" test -z "$(leaks "$store_out")"
done

# A damaged shop is repaired, and the owner's own tax rate is kept: a duplicate
# GST rate, a deleted product, a trashed page, a lost placeholder file, a
# changed rate value (the chart's taxRate is the truth).
store_sql "INSERT INTO ${p}woocommerce_tax_rates (tax_rate_country, tax_rate_state, tax_rate, tax_rate_name, tax_rate_priority, tax_rate_compound, tax_rate_shipping, tax_rate_order, tax_rate_class) VALUES ('IN', '', '18.0000', 'GST', 1, 0, 1, 0, ''), ('IN', '', '5.0000', 'GST reduced', 1, 0, 1, 0, 'reduced-rate')"
store_sql "UPDATE ${p}woocommerce_tax_rates SET tax_rate = '12.0000' WHERE tax_rate_name = 'GST' ORDER BY tax_rate_id LIMIT 1"
tote=$(store_sql "SELECT post_id FROM ${p}postmeta WHERE meta_key = '_sku' AND meta_value = 'SP-TOTE-01'")
store_sql "DELETE FROM ${p}posts WHERE ID = $tote; DELETE FROM ${p}postmeta WHERE post_id = $tote; DELETE FROM ${p}wc_product_meta_lookup WHERE product_id = $tote"
store_sql "UPDATE ${p}posts SET post_status = 'trash' WHERE ID = $(opt woocommerce_cart_page_id)"
rm -f "$store_wp/wp-content/uploads/$placeholder"
store_setup
check "damaged shop: setup exits 0" test $? = 0
check "damaged shop: one GST rate at 18% again, the owner's 5% rate kept" store_is "$(gst | sort | tr '\n' ' ')" "IN|18.0000|GST||1 IN|5.0000|GST reduced|reduced-rate|1 "
check "damaged shop: the deleted product is back" bash -c "grep -q 'SP-TOTE-01|599|no|publish' <<<\"\$1\"" _ "$(products)"
check "damaged shop: a published cart page again" bash -c "grep -q 'cart=publish' <<<\"\$1\"" _ "$(pages)"
check "damaged shop: the placeholder file is back" test -s "$store_wp/wp-content/uploads/$placeholder"

# Sample products can be turned off (a new store whose chart says so).
store_fresh --set setup.sampleProducts=false
store_setup
check "sampleProducts=false: setup exits 0" test $? = 0
check "sampleProducts=false: no product created" store_is "$(store_sql "SELECT COUNT(*) FROM ${p}posts WHERE post_type = 'product'")" 0
exit 0
