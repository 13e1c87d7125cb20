#!/usr/bin/env bash
# Downloads what the official wordpress image lacks, for clusters that run it
# instead of ours (wordpress.bundled=false): WooCommerce into DIR/woocommerce
# and wp-cli into DIR/wp, each checked against its pinned checksum. Uses only
# what that image has: bash, curl, sha256sum/sha512sum and PHP's zip extension.
#
#   fetch.sh woocommerce DIR [wp-cli DIR]
#   env: WOOCOMMERCE_VERSION WOOCOMMERCE_SHA256 WP_CLI_VERSION WP_CLI_SHA512
set -euo pipefail

log() { printf 'fetch: %s\n' "$*" >&2; }

download() { # url file
	curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 10 --max-time 300 -o "$2" "$1"
}

fetch_woocommerce() { # dir
	local dir=$1 zip=${TMPDIR:-/tmp}/woocommerce.zip
	if [ -f "$dir/woocommerce/woocommerce.php" ]; then
		log "WooCommerce already in $dir"
		return 0
	fi
	log "downloading WooCommerce $WOOCOMMERCE_VERSION"
	download "https://downloads.wordpress.org/plugin/woocommerce.$WOOCOMMERCE_VERSION.zip" "$zip"
	echo "$WOOCOMMERCE_SHA256  $zip" | sha256sum -c - >&2
	# shellcheck disable=SC2016 # PHP code, its $ are PHP's
	php -r '$z = new ZipArchive(); if ($z->open($argv[1]) !== true || !$z->extractTo($argv[2])) { fwrite(STDERR, "cannot unpack $argv[1]\n"); exit(1); }' -- "$zip" "$dir"
	rm -f "$zip"
	[ -f "$dir/woocommerce/woocommerce.php" ] || { log "error: no woocommerce/woocommerce.php in the zip"; exit 1; }
}

fetch_wp_cli() { # dir
	local dir=$1 phar=${TMPDIR:-/tmp}/wp-cli.phar
	if [ -x "$dir/wp" ]; then
		log "wp-cli already in $dir"
		return 0
	fi
	log "downloading wp-cli $WP_CLI_VERSION"
	download "https://github.com/wp-cli/wp-cli/releases/download/v$WP_CLI_VERSION/wp-cli-$WP_CLI_VERSION.phar" "$phar"
	echo "$WP_CLI_SHA512  $phar" | sha512sum -c - >&2
	install -m 0755 "$phar" "$dir/wp"
	rm -f "$phar"
}

main() {
	if [ $# -eq 0 ] || [ $(($# % 2)) -ne 0 ]; then
		log "usage: fetch.sh woocommerce DIR [wp-cli DIR]"
		exit 2
	fi
	while [ $# -gt 0 ]; do
		case $1 in
		woocommerce) fetch_woocommerce "$2" ;;
		wp-cli) fetch_wp_cli "$2" ;;
		*) log "unknown download '$1'"; exit 2 ;;
		esac
		shift 2
	done
}

main "$@"
