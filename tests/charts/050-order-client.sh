#!/usr/bin/env bash
# scripts/order.sh's side of the shopper's conversation, against a stand-in
# Store API on 127.0.0.1 (lib/fake_store_api.py; WooCommerce cannot run here):
# it sends Cart-Token and Nonce, buys the first simple product with cash on
# delivery and an Indian address, prints the order and its GST line, and
# exits non-zero when the stored order does not match. Against a real shop it
# is verified only on a cluster that runs containers (see the chart README).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/common.sh"

order="$root/scripts/order.sh"
tmp=$(mktemp -d)
pids=()
stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap stop EXIT

serve() { # mode: starts a stand-in, sets url
	rm -f "$tmp/port"
	FAKE_MODE=$1 "$py" "$root/tests/charts/lib/fake_store_api.py" "$tmp/port" >"$tmp/server.log" 2>&1 &
	pids+=($!)
	wait_for 10 test -s "$tmp/port"
	url="http://127.0.0.1:$(cat "$tmp/port")"
}

check_not "usage: no URL exits non-zero" "$order"
check "usage: bad arguments exit 2" bash -c "'$order' --quantity x http://a.test >/dev/null 2>&1; [ \$? -eq 2 ]"

serve ""
check "an order is placed and read back" bash -c "'$order' --email shopper@example.com '$url' >'$tmp/out' 2>&1"
check "it prints the order id and status" grep -q 'order 77 placed, status processing' "$tmp/out"
check "it prints the totals" grep -q 'items 349.00 + shipping 0.00 + tax 62.82 = total 411.82 INR' "$tmp/out"
check "it prints the GST line" grep -q 'tax line: GST 18% 62.82 INR' "$tmp/out"
check "it skipped the variable product" grep -q 'product 7: Masala Chai' "$tmp/out"

for mode in wrong-total no-gst failed-payment; do
	serve "$mode"
	check_not "a mismatch fails the run ($mode)" "$order" --email shopper@example.com "$url"
done
exit 0
