#!/usr/bin/env bash
# The decisions of the setup script (charts/store/files/setup.sh) without a
# WordPress: argument and environment checks, and what it does on a fresh
# site, on a second run, and on a site with duplicate GST rates. `wp` and
# `php` on PATH are stand-ins (tests/charts/lib/stubs) that record every call
# and model the site's state; this is a unit test of the script's choices.
# That the real wp-cli commands do what the script expects (core install,
# wc tax/product/tool, the shipping-zone eval) needs a real WordPress and is
# verified only on a cluster that runs containers (see charts/store/README.md).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/common.sh"

setup="$chart/files/setup.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export PATH="$root/tests/charts/lib/stubs:$PATH"
export STUB_STATE="$tmp/state" STUB_LOG="$tmp/calls"
export WP_ADMIN_USER=admin WP_ADMIN_PASSWORD='s3cret-Pa55 word' WP_ADMIN_EMAIL=owner@example.com
export STORE_URL=http://demo.localtest.me STORE_TITLE=Demo STORE_STATE=KA DB_WAIT_INTERVAL=0

fresh_site() { # a WordPress copied from the image: WooCommerce present, nothing installed
	rm -rf "$STUB_STATE" "$STUB_LOG"
	mkdir -p "$STUB_STATE"
	touch "$STUB_STATE/plugin-woocommerce" "$STUB_LOG"
}
run_setup() { bash "$setup" --path /var/www/html "$@" >"$tmp/out" 2>&1; }
calls() { grep -c -- "$1" "$STUB_LOG" || true; }
taxes() { grep -c ',GST,' "$STUB_STATE/taxes" 2>/dev/null || echo 0; }

# Arguments and environment: refused before anything runs.
fresh_site
check_not "unknown argument is refused" run_setup --frobnicate
check "unknown argument exits 2" bash -c "bash '$setup' --frobnicate >/dev/null 2>&1; [ \$? -eq 2 ]"
check_not "--path without a directory is refused" run_setup --path
check_not "missing admin password is refused" env -u WP_ADMIN_PASSWORD bash "$setup"
check_not "a STORE_URL with a path is refused" env STORE_URL=http://x.test/shop bash "$setup"
check_not "a non-numeric tax rate is refused" env STORE_TAX_RATE=eighteen bash "$setup"
check "nothing ran on refused input" test ! -s "$STUB_LOG"
check "--help exits 0" bash "$setup" --help

# Waits for the database, gives up after DB_WAIT_SECONDS.
fresh_site
check "waits for the database (down for 3 pings)" env STUB_DB_DOWN=3 bash "$setup"
check "pinged the database 4 times" test "$(cat "$STUB_STATE/db-pings")" = 4
fresh_site
check_not "gives up when the database stays down" env STUB_DB_DOWN=1000 DB_WAIT_SECONDS=0 bash "$setup"
check "touched nothing without a database" test ! -s "$STUB_LOG"

# A fresh site: everything is created once.
fresh_site
check "fresh site: setup succeeds" run_setup
check "fresh site: core install ran" test "$(calls '^core install')" = 1
check "fresh site: admin password came through stdin" test "$(cat "$STUB_STATE/admin-password")" = "$WP_ADMIN_PASSWORD"
check "fresh site: admin password never on a command line" bash -c "! grep -qF -- '$WP_ADMIN_PASSWORD' '$STUB_LOG'"
check "fresh site: WooCommerce activated" test -f "$STUB_STATE/active-woocommerce"
check "fresh site: country India (IN:KA)" test "$(cat "$STUB_STATE/options/woocommerce_default_country")" = IN:KA
check "fresh site: currency INR" test "$(cat "$STUB_STATE/options/woocommerce_currency")" = INR
check "fresh site: taxes on" test "$(cat "$STUB_STATE/options/woocommerce_calc_taxes")" = yes
check "fresh site: exactly one 18% GST rate" test "$(taxes)" = 1
check "fresh site: GST rate is IN, 18, standard" grep -q ',IN,,18.0000,GST,standard$' "$STUB_STATE/taxes"
check "fresh site: cash on delivery on, also for virtual products" grep -q '"enabled":"yes".*"enable_for_virtual":"yes"' "$STUB_STATE/options/woocommerce_cod_settings"
check "fresh site: coming soon off" test "$(cat "$STUB_STATE/options/woocommerce_coming_soon")" = no
check "fresh site: onboarding skipped" grep -q '"skipped":true' "$STUB_STATE/options/woocommerce_onboarding_profile"
check "fresh site: pretty permalinks" test "$(cat "$STUB_STATE/options/permalink_structure")" = '/%postname%/'
check "fresh site: WooCommerce pages created" test "$(calls '^wc tool run install_pages')" = 1
check "fresh site: a shipping zone for India" grep -q 'Domestic (IN)' "$STUB_STATE/zones"
check "fresh site: four sample products" test "$(wc -l <"$STUB_STATE/products")" = 4
check "fresh site: one product needs no shipping" test "$(grep -c -- '--virtual=true' "$STUB_LOG")" = 1

# A second run (every upgrade) changes nothing and creates nothing.
cp "$STUB_LOG" "$tmp/first-calls"
: >"$STUB_LOG"
check "second run: setup succeeds" run_setup
check "second run: no core install" test "$(calls '^core install')" = 0
check "second run: no activation" test "$(calls '^plugin activate')" = 0
check "second run: still one GST rate, none created" bash -c "[ \"\$(grep -c ',GST,' '$STUB_STATE/taxes')\" = 1 ] && ! grep -q '^wc tax create' '$STUB_LOG'"
check "second run: no product created" test "$(calls '^wc product create')" = 0
check "second run: no zone created" test "$(calls '^eval')" = 0
check "second run: pages not recreated" test "$(calls '^wc tool')" = 0
check "second run: no option rewritten" test "$(calls '^option update')" = 0

# A damaged site: duplicate GST rates are reduced to one, a deleted product
# and a deleted page come back, an owner's other tax rate is left alone.
echo '90,IN,,18.0000,GST,standard' >>"$STUB_STATE/taxes"
echo '91,IN,,5.0000,GST-reduced,reduced-rate' >>"$STUB_STATE/taxes"
sed -i '/SP-TOTE-01/d' "$STUB_STATE/products"
rm "$STUB_STATE/post-$(cat "$STUB_STATE/options/woocommerce_cart_page_id")"
: >"$STUB_LOG"
check "damaged site: setup succeeds" run_setup
check "damaged site: one GST rate again" test "$(taxes)" = 1
check "damaged site: the duplicate was deleted" grep -q '^wc tax delete 90 ' "$STUB_LOG"
check "damaged site: the owner's 5% rate is kept" grep -q '^91,' "$STUB_STATE/taxes"
check "damaged site: only the missing product recreated" bash -c "[ \"\$(grep -c '^wc product create' '$STUB_LOG')\" = 1 ] && grep -q -- '--sku=SP-TOTE-01' '$STUB_LOG'"
check "damaged site: pages tool ran" test "$(calls '^wc tool run install_pages')" = 1

# Sample products can be turned off.
fresh_site
check "STORE_SAMPLE_PRODUCTS=no: setup succeeds" env STORE_SAMPLE_PRODUCTS=no bash "$setup"
check "STORE_SAMPLE_PRODUCTS=no: no product created" test "$(calls '^wc product create')" = 0
exit 0
