#!/usr/bin/env bash
# Downloads what the official wordpress image lacks, for clusters that run it
# instead of ours (wordpress.bundled=false): WooCommerce into DIR/woocommerce,
# checked against its pinned checksum. Uses only what that image has: bash,
# curl, sha256sum and PHP's zip extension. (Setup needs only PHP: no wp-cli.)
#
#   fetch.sh woocommerce DIR
#   env: WOOCOMMERCE_VERSION WOOCOMMERCE_SHA256
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

main() {
	if [ $# -ne 2 ] || [ "$1" != woocommerce ]; then
		log "usage: fetch.sh woocommerce DIR"
		exit 2
	fi
	fetch_woocommerce "$2"
}

main "$@"
