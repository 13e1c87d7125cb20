#!/usr/bin/env bash
# A shopper's browser in a real WooCommerce store on the host (tests/store/lib.sh):
# Debian's Chromium (tests/browser/shopper.test.mjs) opens the shop, adds the
# chai to the cart, checks out through WooCommerce's own checkout page with
# Cash on Delivery and reads the confirmation with its GST line; the order is
# then read from the store's database.
# shellcheck disable=SC2119 # store_setup takes optional arguments
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

browser="$root/tests/browser"
[ -x /usr/bin/chromium ] || { echo "not ok - Chromium is installed (make deps)"; exit 1; }
if [ ! -d "$browser/node_modules/playwright-core" ]; then
	(cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
		{ echo "not ok - npm ci in tests/browser"; exit 1; }
fi
store_begin
store_setup || { echo "not ok - setup.php made the store"; sed 's/^/    # /' "$store_out" | tail -n 20; exit 1; }

SHOP_URL=$store_url SP_SHOTS="${SP_SHOTS:-}" node "$browser/shopper.test.mjs" | tee "$store_dir/shopper.out"
id=$(sed -n 's/^# order \([0-9]*\)$/\1/p' "$store_dir/shopper.out")
php "$root/charts/store/files/order-check.php" "$store_wp" "${id:-0}" >"$store_dir/order.json" 2>&1
check "the browser's order is in the database: processing, cod, INR, ₹349.00 with one GST line at 18%" \
	jq -e '.status == "processing" and .payment_method == "cod" and .currency == "INR" and .total == "349.00"
		and (.tax_lines | length == 1) and .tax_lines[0].label == "GST" and (.tax_lines[0].rate_percent | tonumber) == 18' "$store_dir/order.json"
exit 0
