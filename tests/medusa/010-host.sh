#!/usr/bin/env bash
# The Medusa engine on this host, without containers (tests/medusa/lib.sh):
# PostgreSQL and Redis on private ports and data directories, our Medusa v2
# application (engines/medusa/app) with node_modules from `npm ci` of its lock.
# Bad environment is refused before the database is touched; the setup's first
# run makes the store (INR, region India, GST 18%, cash on delivery through the
# system payment provider, stock, shipping, products, a publishable key, the
# owner's login) and a second run changes nothing, row for row; no credential
# appears in any output; the server starts and a shopper's order (order.sh)
# is placed and stored as shown; everything is stopped and removed at the end.
# Prints the timings and the server's memory as "# " lines.
# shellcheck disable=SC2016 # the bash -c programs below take their values as arguments
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

medusa_begin
if [ "$medusa_install_secs" = cached ]; then
	echo "# npm ci: not run, node_modules of this lock are cached ($medusa_modules)"
else
	echo "# npm ci: ${medusa_install_secs}s"
fi
echo "# node_modules: $(du -sh "$medusa_modules/" 2>/dev/null | cut -f1)"

check "package.json pins @medusajs/* to one exact version" bash -c '
	jq -e "[(.dependencies + .devDependencies) | to_entries[] | select(.key | startswith(\"@medusajs/\")) | .value]
		| length > 0 and all(test(\"^2\\\\.[0-9]+\\\\.[0-9]+$\")) and (unique | length == 1)" "$1"' _ "$medusa_app_src/package.json"
check "the lock holds the same @medusajs/medusa as package.json" bash -c '
	[ "$(jq -r ".packages[\"node_modules/@medusajs/medusa\"].version" "$1/package-lock.json")" = "$(jq -r ".dependencies[\"@medusajs/medusa\"]" "$1/package.json")" ]' _ "$medusa_app_src"
check "the setup script and medusa-config.ts type-check (tsc --noEmit)" bash -c "cd '$medusa_app' && node_modules/.bin/tsc --noEmit -p tsconfig.json"

tables() { medusa_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"; }
setup() { (cd "$medusa_app" && ./setup.sh) >"$medusa_dir/setup.out" 2>"$medusa_dir/setup.err"; }

# Bad environment: exit 2, the message names the variable, the database stays empty.
bad() { # variable
	local rc
	(unset "$1" && cd "$medusa_app" && ./setup.sh) >"$medusa_dir/bad.out" 2>&1
	rc=$?
	check "without $1: exit status 2" test "$rc" = 2
	check "without $1: the message names it" grep -q "error: $1 is not set" "$medusa_dir/bad.out"
}
bad MEDUSA_ADMIN_PASSWORD
bad DATABASE_URL
bad JWT_SECRET
check "bad environment changed nothing: the database has no table" test "$(tables)" = 0

# The first run makes the store.
start=$(date +%s.%N)
setup
rc=$?
secs1=$(echo "$(date +%s.%N) - $start" | bc)
echo "# setup, first run: ${secs1}s ($(sed -n 's/^setup: migrations/migrations/p' "$medusa_dir/setup.err"))"
check "first run: exit status 0" test "$rc" = 0 || tail -n 30 "$medusa_dir/setup.err" | sed 's/^/    # /'
result1=$(sed -n 's/^setup-result: //p' "$medusa_dir/setup.out")
check "first run: stdout is one result line of JSON" bash -c '[ "$(wc -l <"$1")" = 1 ] && jq -e . <<<"$2" >/dev/null' _ "$medusa_dir/setup.out" "$result1"
check "first run: it says what it made" bash -c 'jq -e ".changes | length >= 10" <<<"$1" >/dev/null' _ "$result1"
cat "$medusa_dir/setup.out" "$medusa_dir/setup.err" >"$medusa_dir/run1.log"
check "first run: no credential in its output (${#medusa_secret_values[@]} values checked)" test "$(medusa_leaks "$medusa_dir/run1.log")" = 0
key=$(jq -r '.publishable_key // empty' <<<"$result1" 2>/dev/null)
region=$(jq -r '.region_id // empty' <<<"$result1" 2>/dev/null)
check "first run: a publishable key (pk_...) and a region id" bash -c '[[ $1 =~ ^pk_[0-9a-f]+$ && $2 =~ ^reg_ ]]' _ "$key" "$region"

# What is stored, as the database has it (not as the setup says).
q() { medusa_sql "$1" 2>&1; }
is() { # name got want
	check "$1" bash -c '[ "$1" = "$2" ] || { printf "got:      %s\nexpected: %s\n" "$1" "$2"; exit 1; }' _ "$2" "$3"
}
is "the store's only currency is INR, the default" "$(q "SELECT string_agg(currency_code || ':' || is_default, ',') FROM store_currency WHERE deleted_at IS NULL")" "inr:true"
is "INR prices include tax" "$(q "SELECT is_tax_inclusive FROM price_preference WHERE attribute = 'currency_code' AND value = 'inr' AND deleted_at IS NULL")" "t"
is "one region: India, in INR, country in, taxes automatic" "$(q "SELECT string_agg(r.name || '|' || r.currency_code || '|' || c.iso_2 || '|' || r.automatic_taxes, ',') FROM region r JOIN region_country c ON c.region_id = r.id WHERE r.deleted_at IS NULL")" "India|inr|in|true"
is "the region's prices include tax" "$(q "SELECT is_tax_inclusive FROM price_preference WHERE attribute = 'region_id' AND value = '$region' AND deleted_at IS NULL")" "t"
is "one tax rate: in, 18%, GST, the system tax provider" "$(q "SELECT string_agg(t.country_code || '|' || r.rate || '|' || r.code || '|' || r.is_default || '|' || t.provider_id, ',') FROM tax_rate r JOIN tax_region t ON t.id = r.tax_region_id WHERE r.deleted_at IS NULL")" "in|18|GST|true|tp_system"
is "the region's payment provider: the system one (cash on delivery)" "$(q "SELECT string_agg(payment_provider_id, ',') FROM region_payment_provider WHERE deleted_at IS NULL")" "pp_system_default"
is "one stock location, linked to the manual fulfillment provider" "$(q "SELECT count(*) || '|' || (SELECT string_agg(fulfillment_provider_id, ',') FROM location_fulfillment_provider WHERE deleted_at IS NULL) FROM stock_location WHERE deleted_at IS NULL")" "1|manual_manual"
is "one shipping option: flat, manual provider, 99 INR" "$(q "SELECT string_agg(o.name || '|' || o.price_type || '|' || o.provider_id || '|' || p.amount || '|' || p.currency_code, ',') FROM shipping_option o JOIN shipping_option_price_set s ON s.shipping_option_id = o.id JOIN price p ON p.price_set_id = s.price_set_id AND p.deleted_at IS NULL AND p.rules_count = 0 WHERE o.deleted_at IS NULL")" "Standard delivery|flat|manual_manual|99|inr"
is "three published products, each one variant priced in INR" "$(q "SELECT count(DISTINCT pr.id) || '|' || count(DISTINCT v.id) || '|' || string_agg(DISTINCT p.currency_code, ',') FROM product pr JOIN product_variant v ON v.product_id = pr.id JOIN product_variant_price_set vps ON vps.variant_id = v.id JOIN price p ON p.price_set_id = vps.price_set_id AND p.deleted_at IS NULL WHERE pr.status = 'published' AND pr.deleted_at IS NULL")" "3|3|inr"
is "each variant stocked (100) at the location" "$(q "SELECT count(*) || '|' || min(stocked_quantity) FROM inventory_level WHERE deleted_at IS NULL")" "3|100"
is "the publishable key is stored, linked to the store's sales channel" "$(q "SELECT count(*) FROM api_key k JOIN publishable_api_key_sales_channel l ON l.publishable_key_id = k.id AND l.deleted_at IS NULL JOIN store s ON s.default_sales_channel_id = l.sales_channel_id WHERE k.token = '$key' AND k.type = 'publishable' AND k.revoked_at IS NULL")" "1"
is "the owner: a user with an e-mail/password login" "$(q "SELECT count(*) FROM \"user\" u JOIN auth_identity a ON a.app_metadata->>'user_id' = u.id JOIN provider_identity p ON p.auth_identity_id = a.id AND p.provider = 'emailpass' AND p.entity_id = u.email WHERE u.email = '$MEDUSA_ADMIN_EMAIL' AND u.deleted_at IS NULL")" "1"
check "the password is not stored in clear" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$MEDUSA_ADMIN_PASSWORD" "$(q "SELECT provider_metadata::text FROM provider_identity")"

# A second run changes nothing: every table the setup writes is the same, row for row.
snapshot() {
	local t
	for t in store store_currency sales_channel region region_country region_payment_provider price_preference \
		tax_region tax_rate stock_location location_fulfillment_provider location_fulfillment_set fulfillment_set \
		service_zone geo_zone shipping_profile shipping_option shipping_option_rule price_set price product \
		product_variant inventory_item inventory_level api_key publishable_api_key_sales_channel \
		sales_channel_stock_location '"user"' auth_identity provider_identity; do
		printf '%s %s\n' "$t" "$(medusa_sql "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '-') FROM $t x" 2>&1)"
	done
}
snapshot >"$medusa_dir/before"
start=$(date +%s.%N)
setup
rc=$?
secs2=$(echo "$(date +%s.%N) - $start" | bc)
echo "# setup, second run: ${secs2}s ($(sed -n 's/^setup: migrations/migrations/p' "$medusa_dir/setup.err"))"
check "second run: exit status 0" test "$rc" = 0 || tail -n 30 "$medusa_dir/setup.err" | sed 's/^/    # /'
result2=$(sed -n 's/^setup-result: //p' "$medusa_dir/setup.out")
check "second run: it says it changed nothing" bash -c 'jq -e ".changes == []" <<<"$1" >/dev/null || { echo "$1"; exit 1; }' _ "$result2"
check "second run: the same key and region" bash -c '[ "$(jq -r "[.publishable_key, .region_id] | join(\" \")" <<<"$1")" = "$2 $3" ]' _ "$result2" "$key" "$region"
snapshot >"$medusa_dir/after"
check "second run: every table the setup writes is unchanged (30 tables)" diff "$medusa_dir/before" "$medusa_dir/after"
cat "$medusa_dir/setup.out" "$medusa_dir/setup.err" >"$medusa_dir/run2.log"
check "second run: no credential in its output" test "$(medusa_leaks "$medusa_dir/run2.log")" = 0

# The server.
medusa_start >"$medusa_dir/start.out" 2>&1
rc=$?
if check "the Medusa server starts and answers /health" bash -c 'cat "$1"; exit "$2"' _ "$medusa_dir/start.out" "$rc"; then
	echo "# Medusa server start (to /health): ${medusa_start_secs}s"
	echo "# Medusa server RSS after start: $(($(medusa_rss_kb) / 1024)) MiB"
	storefront_ready() { # url key: GET /storefront is 200 and names the setup's store
		local out=$medusa_dir/storefront.json code
		code=$(curl -sS --max-time 10 -o "$out" -w "%{http_code}" "$1/storefront") &&
			[ "$code" = 200 ] &&
			jq -e --arg k "$2" '.ready == true and .publishable_key == $k and .currency == "inr" and .products == 3 and .regions[0].name == "India"' "$out" >/dev/null &&
			return 0
		echo "GET /storefront: HTTP ${code:-none}: $(head -c 400 "$out" 2>/dev/null)"
		return 1
	}
	check "GET /storefront: 200, ready, the setup's publishable key, region India in INR, 3 products" storefront_ready "$medusa_url" "$key"
	check_fails_with "the Store API refuses a request without the publishable key" '^400$' \
		bash -c '! curl -sS -o /dev/null -w "%{http_code}" "$1/store/products"' _ "$medusa_url"
	check_fails_with "the owner cannot log in with a wrong password" '^401$' \
		bash -c '! curl -sS -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" --data-binary @- "$1/auth/user/emailpass" <<<"{\"email\":\"$2\",\"password\":\"wrong-password\"}"' _ "$medusa_url" "$MEDUSA_ADMIN_EMAIL"

	start=$(date +%s.%N)
	"$root/engines/medusa/order.sh" --key "$key" --admin-email "$MEDUSA_ADMIN_EMAIL" "$medusa_url" >"$medusa_dir/order.out" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	echo "# order (order.sh, Store API and Admin API): ${secs}s"
	check "order.sh: a shopper's order is placed and verified (exit 0)" test "$rc" = 0 || sed 's/^/    # /' "$medusa_dir/order.out"
	okline=$(grep '^order: OK ' "$medusa_dir/order.out")
	echo "# ${okline:-no OK line}"
	check "order.sh: an OK line with the order, INR and GST 18%" bash -c '[[ $1 =~ ^order:\ OK\ order\ order_[0-9A-Z]+\ .*INR\ tax\ [0-9.]+\ \(GST\ 18%\)\ payment\ pp_system_default$ ]]' _ "$okline"
	check "order.sh: no credential in its output" test "$(medusa_leaks "$medusa_dir/order.out")" = 0
	order=$(sed -n 's/^order: OK order \(order_[0-9A-Z]*\) .*/\1/p' "$medusa_dir/order.out")
	# The order as the database has it.
	is "the stored order is in INR, for the shopper's e-mail" "$(q "SELECT currency_code || '|' || email FROM \"order\" WHERE id = '$order'")" "inr|order-test@example.com"
	is "its item carries one tax line: GST 18%" "$(q "SELECT string_agg(t.code || ' ' || t.rate, ',') FROM order_item oi JOIN order_line_item li ON li.id = oi.item_id JOIN order_line_item_tax_line t ON t.item_id = li.id AND t.deleted_at IS NULL WHERE oi.order_id = '$order'")" "GST 18"
	is "its shipping carries one tax line: GST 18%" "$(q "SELECT string_agg(t.code || ' ' || t.rate, ',') FROM order_shipping os JOIN order_shipping_method_tax_line t ON t.shipping_method_id = os.shipping_method_id AND t.deleted_at IS NULL WHERE os.order_id = '$order'")" "GST 18"
	is "its payment: authorized with the system provider" "$(q "SELECT string_agg(p.provider_id || '|' || s.status, ',') FROM order_payment_collection opc JOIN payment_session s ON s.payment_collection_id = opc.payment_collection_id JOIN payment p ON p.payment_session_id = s.id WHERE opc.order_id = '$order'")" "pp_system_default|authorized"
	is "stock reserved for it: one reservation of the quantity ordered" "$(q "SELECT count(*) || '|' || sum(r.quantity) FROM reservation_item r JOIN order_line_item li ON li.id = r.line_item_id JOIN order_item oi ON oi.item_id = li.id WHERE oi.order_id = '$order' AND r.deleted_at IS NULL")" "1|1"
	echo "# Medusa server RSS after the order: $(($(medusa_rss_kb) / 1024)) MiB"
	check "the server log holds no credential" test "$(medusa_leaks "$medusa_dir/server.log")" = 0
	medusa_stop
	echo "# Medusa server stop: ${medusa_stop_secs}s ($medusa_stop_how)"
	check "the server stops on SIGTERM (within 20 s)" test "$medusa_stop_how" = term

	# One replica without Redis: Medusa's in-memory event bus, cache, workflow engine and locking.
	cp "$medusa_dir/server.log" "$medusa_dir/server-redis.log"
	REDIS_URL='' medusa_start >"$medusa_dir/start.out" 2>&1
	rc=$?
	check "without REDIS_URL the server starts (in-memory modules)" bash -c 'cat "$1"; exit "$2"' _ "$medusa_dir/start.out" "$rc"
	check "without REDIS_URL no module connects to Redis" bash -c '! grep -i "connection to redis" "$1"' _ "$medusa_dir/server.log"
	check "with REDIS_URL the modules did connect to Redis (event bus, cache, locking, workflows)" bash -c \
		'[ "$(grep -ciE "connection to redis (in module|in \"locking-redis\")" "$1")" -ge 4 ] || grep -i redis "$1"' _ "$medusa_dir/server-redis.log"
	check "without REDIS_URL a shopper's order is placed and verified (its key from GET /storefront)" \
		"$root/engines/medusa/order.sh" --handle cotton-kurta "$medusa_url"
	medusa_stop
fi

# Everything stops and goes away.
pids=("${_medusa_pids[@]}")
dir=$medusa_dir
medusa_down
medusa_dir=
check "cleanup: PostgreSQL, Redis and Medusa are stopped" bash -c 'for p in "$@"; do kill -0 "$p" 2>/dev/null && { ps -o pid,args -p "$p"; exit 1; }; done; exit 0' _ "${pids[@]}"
check "cleanup: the temporary folder is removed" test ! -e "$dir"
