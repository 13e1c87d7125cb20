#!/usr/bin/env bash
# Makes a WordPress a WooCommerce shop that is ready to sell, with nobody
# clicking through a wizard. Runs in the setup Job on every install and
# upgrade, so every step first looks at what is there and changes only what
# differs: re-runs create nothing twice (one GST rate, one India zone, one
# product per sample SKU) and leave the shop as the first run left it.
#
#   setup.sh [--path DIR]
#
# Environment (the Job sets it from values and the store's Secret):
#   WP_ADMIN_USER WP_ADMIN_PASSWORD WP_ADMIN_EMAIL   admin account (required)
#   STORE_URL                 http(s)://host (required)
#   STORE_TITLE STORE_COUNTRY STORE_STATE STORE_CITY STORE_ADDRESS STORE_POSTCODE
#   STORE_CURRENCY STORE_TAX_RATE STORE_TAX_NAME STORE_SAMPLE_PRODUCTS (yes|no)
#   WORDPRESS_DB_HOST/USER/PASSWORD/NAME   database, as for wp-config.php
#   DB_WAIT_SECONDS (300) DB_WAIT_INTERVAL (2)   how long to wait for the database
#   WP_BIN (wp)                 the wp-cli command
# Exit status: 0 done, 1 a step failed, 2 bad arguments or environment.
set -euo pipefail

WP_BIN=${WP_BIN:-wp}
WP_PATH=/var/www/html

log() { printf 'setup: %s\n' "$*" >&2; }
die() { # message [status]
	log "error: $1"
	exit "${2:-1}"
}

usage() {
	echo "usage: setup.sh [--path DIR]   (configuration through the environment, see the header)"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--path)
			if [ $# -lt 2 ] || [ -z "$2" ]; then die "--path needs a directory" 2; fi
			WP_PATH=$2
			shift 2
			;;
		--path=*)
			WP_PATH=${1#--path=}
			[ -n "$WP_PATH" ] || die "--path needs a directory" 2
			shift
			;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown argument '$1'" 2 ;;
		esac
	done
}

# Defaults and validation of the environment; nothing runs before it passes.
check_env() {
	local v
	for v in WP_ADMIN_USER WP_ADMIN_PASSWORD WP_ADMIN_EMAIL STORE_URL; do
		[ -n "${!v:-}" ] || die "$v is not set" 2
	done
	STORE_TITLE=${STORE_TITLE:-Store}
	STORE_COUNTRY=${STORE_COUNTRY:-IN}
	STORE_STATE=${STORE_STATE:-}
	STORE_CITY=${STORE_CITY:-}
	STORE_ADDRESS=${STORE_ADDRESS:-}
	STORE_POSTCODE=${STORE_POSTCODE:-}
	STORE_CURRENCY=${STORE_CURRENCY:-INR}
	STORE_TAX_RATE=${STORE_TAX_RATE:-18}
	STORE_TAX_NAME=${STORE_TAX_NAME:-GST}
	STORE_SAMPLE_PRODUCTS=${STORE_SAMPLE_PRODUCTS:-yes}
	DB_WAIT_SECONDS=${DB_WAIT_SECONDS:-300}
	DB_WAIT_INTERVAL=${DB_WAIT_INTERVAL:-2}
	[[ $STORE_URL =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "STORE_URL '$STORE_URL' is not http(s)://host" 2
	[[ $WP_ADMIN_EMAIL == *@* ]] || die "WP_ADMIN_EMAIL '$WP_ADMIN_EMAIL' is not an e-mail address" 2
	[[ $STORE_COUNTRY =~ ^[A-Z]{2}$ ]] || die "STORE_COUNTRY '$STORE_COUNTRY' is not a two-letter country code" 2
	[[ $STORE_CURRENCY =~ ^[A-Z]{3}$ ]] || die "STORE_CURRENCY '$STORE_CURRENCY' is not a three-letter currency code" 2
	[[ $STORE_TAX_RATE =~ ^[0-9]{1,2}(\.[0-9]{1,4})?$ ]] || die "STORE_TAX_RATE '$STORE_TAX_RATE' is not a percentage" 2
	[[ $STORE_SAMPLE_PRODUCTS =~ ^(yes|no)$ ]] || die "STORE_SAMPLE_PRODUCTS '$STORE_SAMPLE_PRODUCTS' is not yes or no" 2
	[[ $DB_WAIT_SECONDS =~ ^[0-9]+$ ]] || die "DB_WAIT_SECONDS '$DB_WAIT_SECONDS' is not a number of seconds" 2
}

wp() { command "$WP_BIN" --path="$WP_PATH" "$@"; }
# WooCommerce's commands act as a user: the admin.
woo() { wp wc "$@" --user="$WP_ADMIN_USER"; }

# The database accepts WordPress's user (so its first-start initialisation is over).
db_ping() {
	# shellcheck disable=SC2016 # PHP code, its $ are PHP's
	php -r '
		$host = getenv("WORDPRESS_DB_HOST"); $port = 3306;
		if (strpos($host, ":") !== false) { list($host, $port) = explode(":", $host, 2); }
		mysqli_report(MYSQLI_REPORT_OFF);
		$db = @mysqli_connect($host, getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"), getenv("WORDPRESS_DB_NAME"), (int) $port);
		exit($db ? 0 : 1);'
}

wait_for_db() {
	local deadline=$((SECONDS + DB_WAIT_SECONDS))
	until db_ping; do
		[ $SECONDS -lt $deadline ] || die "database not reachable after ${DB_WAIT_SECONDS}s"
		log "waiting for the database"
		sleep "$DB_WAIT_INTERVAL"
	done
}

# set_option NAME VALUE: writes only when the stored value differs.
set_option() {
	local current
	current=$(wp option get "$1" 2>/dev/null) || current=
	if [ "$current" != "$2" ]; then
		log "option $1 = $2"
		wp option update "$1" "$2" >/dev/null
	fi
}

# json_has OPTION '"key":value' ...: the option, as JSON, holds every pair.
json_has() {
	local name=$1 json pair
	shift
	json=$(wp option get "$name" --format=json 2>/dev/null) || return 1
	for pair in "$@"; do
		[[ $json == *"$pair"* ]] || return 1
	done
}

ensure_core() {
	if wp core is-installed 2>/dev/null; then
		log "WordPress is installed"
		return 0
	fi
	log "installing WordPress for $STORE_URL"
	# The password goes through stdin, never on a command line.
	printf '%s\n' "$WP_ADMIN_PASSWORD" | wp core install --url="$STORE_URL" --title="$STORE_TITLE" \
		--admin_user="$WP_ADMIN_USER" --admin_email="$WP_ADMIN_EMAIL" --skip-email --prompt=admin_password
}

ensure_site() {
	set_option home "$STORE_URL"
	set_option siteurl "$STORE_URL"
	set_option blogname "$STORE_TITLE"
	set_option blog_public 1
}

ensure_woocommerce() {
	wp plugin is-installed woocommerce || die "WooCommerce is not in $WP_PATH/wp-content/plugins"
	if wp plugin is-active woocommerce; then
		log "WooCommerce is active"
	else
		log "activating WooCommerce"
		wp plugin activate woocommerce
	fi
	# Database updates after an image with a newer WooCommerce; a no-op otherwise.
	woo update >/dev/null
}

configure_store() {
	local country=$STORE_COUNTRY
	[ -z "$STORE_STATE" ] || country="$STORE_COUNTRY:$STORE_STATE"
	set_option woocommerce_default_country "$country"
	set_option woocommerce_store_address "$STORE_ADDRESS"
	set_option woocommerce_store_city "$STORE_CITY"
	set_option woocommerce_store_postcode "$STORE_POSTCODE"
	set_option woocommerce_currency "$STORE_CURRENCY"
	set_option woocommerce_currency_pos left
	set_option woocommerce_price_thousand_sep ,
	set_option woocommerce_price_decimal_sep .
	set_option woocommerce_price_num_decimals 2
	set_option woocommerce_allowed_countries specific
	json_has woocommerce_specific_allowed_countries "\"$STORE_COUNTRY\"" ||
		wp option update woocommerce_specific_allowed_countries "[\"$STORE_COUNTRY\"]" --format=json >/dev/null
	set_option woocommerce_ship_to_countries ""
	set_option woocommerce_calc_taxes yes
	set_option woocommerce_prices_include_tax no
	set_option woocommerce_tax_display_shop excl
	set_option woocommerce_tax_display_cart excl
	set_option woocommerce_tax_total_display itemized
	set_option woocommerce_enable_guest_checkout yes
	# Open for business: no coming-soon page, no onboarding wizard, no nags.
	set_option woocommerce_coming_soon no
	set_option woocommerce_store_pages_only no
	set_option woocommerce_task_list_hidden yes
	set_option woocommerce_extended_task_list_hidden yes
	set_option woocommerce_show_marketplace_suggestions no
	set_option woocommerce_allow_tracking no
	json_has woocommerce_onboarding_profile '"skipped":true' ||
		json_has woocommerce_onboarding_profile '"completed":true' ||
		wp option update woocommerce_onboarding_profile '{"skipped":true}' --format=json >/dev/null
}

ensure_cod() {
	if json_has woocommerce_cod_settings '"enabled":"yes"' '"enable_for_virtual":"yes"'; then
		log "cash on delivery is enabled"
		return 0
	fi
	log "enabling cash on delivery"
	local settings='{"enabled":"yes","title":"Cash on delivery","description":"Pay with cash upon delivery.","instructions":"Pay with cash upon delivery.","enable_for_methods":[],"enable_for_virtual":"yes"}'
	wp option update woocommerce_cod_settings "$settings" --format=json >/dev/null
}

# The shop, cart, checkout and my-account pages exist and are published.
pages_exist() {
	local page id
	for page in shop cart checkout myaccount; do
		id=$(wp option get "woocommerce_${page}_page_id" 2>/dev/null) || return 1
		[[ $id =~ ^[1-9][0-9]*$ ]] || return 1
		[ "$(wp post get "$id" --field=post_status 2>/dev/null)" = publish ] || return 1
	done
}

ensure_pages() {
	if pages_exist; then
		log "WooCommerce pages exist"
	else
		log "creating WooCommerce pages"
		woo tool run install_pages >/dev/null
	fi
}

ensure_permalinks() {
	set_option permalink_structure '/%postname%/'
	# Rewrite rules are derived data (WooCommerce adds endpoints): rebuilding is harmless.
	wp rewrite flush >/dev/null
}

# IDs of the standard-class rates that are ours: country, name and rate match.
tax_rate_ids() {
	woo tax list --per_page=100 --fields=id,country,state,rate,name,class --format=csv |
		awk -F, -v country="$STORE_COUNTRY" -v name="$STORE_TAX_NAME" -v rate="$STORE_TAX_RATE" '
			NR > 1 { gsub(/"/, "") }
			NR > 1 && $2 == country && $3 == "" && $5 == name && ($4 + 0) == (rate + 0) && ($6 == "standard" || $6 == "") { print $1 }'
}

ensure_tax_rate() {
	local ids=() id
	mapfile -t ids < <(tax_rate_ids)
	if [ ${#ids[@]} -eq 0 ]; then
		log "creating the $STORE_TAX_RATE% $STORE_TAX_NAME rate"
		woo tax create --country="$STORE_COUNTRY" --rate="$STORE_TAX_RATE" --name="$STORE_TAX_NAME" \
			--priority=1 --compound=false --shipping=true --class=standard --porcelain >/dev/null
		return 0
	fi
	log "the $STORE_TAX_NAME rate exists (id ${ids[0]})"
	# Duplicates left by an older, non-idempotent setup would double the tax.
	for id in "${ids[@]:1}"; do
		log "deleting duplicate $STORE_TAX_NAME rate $id"
		woo tax delete "$id" --force=true >/dev/null
	done
}

zone_exists() { # name
	woo shipping_zone list --fields=id,name --format=csv |
		awk -F, -v name="$1" 'NR > 1 { gsub(/"/, "") } NR > 1 && $2 == name { found = 1 } END { exit !found }'
}

ensure_shipping_zone() {
	local name="Domestic ($STORE_COUNTRY)"
	if zone_exists "$name"; then
		log "shipping zone '$name' exists"
		return 0
	fi
	log "creating shipping zone '$name' with free shipping"
	# shellcheck disable=SC2016 # PHP code, its $ are PHP's
	ZONE_NAME=$name ZONE_COUNTRY=$STORE_COUNTRY wp eval '
		$zone = new WC_Shipping_Zone();
		$zone->set_zone_name(getenv("ZONE_NAME"));
		$zone->set_zone_order(1);
		$zone->add_location(getenv("ZONE_COUNTRY"), "country");
		$zone->save();
		$zone->add_shipping_method("free_shipping");'
}

# SKU|name|price|virtual|description: three to ship and one that needs no shipping.
SAMPLE_PRODUCTS=(
	"SP-CHAI-250|Masala Chai, 250 g|349|false|Assam tea with cardamom, ginger and cinnamon."
	"SP-TOTE-01|Handloom Cotton Tote|599|false|A sturdy tote woven on a handloom."
	"SP-DIYA-01|Brass Diya|799|false|A hand-polished brass oil lamp."
	"SP-CLASS-01|Online Cooking Class|999|true|A live online class; nothing is shipped."
)

product_exists() { # sku
	woo product list --sku="$1" --status=any --fields=id --format=csv | awk 'NR > 1 && $1 != "" { found = 1 } END { exit !found }'
}

ensure_products() {
	local line sku name price virtual description
	if [ "$STORE_SAMPLE_PRODUCTS" != yes ]; then
		log "sample products are turned off"
		return 0
	fi
	for line in "${SAMPLE_PRODUCTS[@]}"; do
		IFS='|' read -r sku name price virtual description <<<"$line"
		if product_exists "$sku"; then
			log "product $sku exists"
			continue
		fi
		log "creating product $sku ($name, $price)"
		woo product create --name="$name" --type=simple --status=publish --sku="$sku" \
			--regular_price="$price" --virtual="$virtual" --description="$description" --porcelain >/dev/null
	done
}

main() {
	parse_args "$@"
	check_env
	wait_for_db
	ensure_core
	ensure_site
	ensure_woocommerce
	configure_store
	ensure_cod
	ensure_pages
	ensure_permalinks
	ensure_tax_rate
	ensure_shipping_zone
	ensure_products
	log "done: $STORE_URL is ready to sell"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
