#!/usr/bin/env bash
# The store's shell scripts and the images' scripts pass shellcheck and its PHP
# programs php -l; the Dockerfiles pass hadolint where it is installed (Debian
# 12 does not package it) and keep what the chart relies on: one Debian base,
# checked archives, the uids, the stop signal, and the tags the chart names.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

for f in "$root"/charts/store/files/*.sh "$root/scripts/order.sh" "$root"/tests/charts/*.sh \
	"$root"/tests/charts/lib/*.sh "$root"/tests/store/*.sh; do
	check "shellcheck ${f#"$root"/}" shellcheck -x -s bash "$f"
done
for f in "$root"/charts/store/files/*.php "$root/images/wordpress/wp-config.php"; do
	check "php -l ${f#"$root"/}" php -l "$f"
done
for f in "$root"/images/*/*.sh "$root"/images/wordpress/apache2-foreground; do
	check "shellcheck ${f#"$root"/}" shellcheck -x "$f"
done
dockerfiles=("$root"/images/*/Dockerfile)
if command -v hadolint >/dev/null 2>&1; then
	for f in "${dockerfiles[@]}"; do check "hadolint ${f#"$root"/}" hadolint "$f"; done
else
	echo "# hadolint is not installed: the Dockerfiles are not linted"
fi
# Every image starts from the one Debian base (made here by scripts/images.sh, a registry's in
# production), and nothing else.
from_debian_only() {
	local f
	for f in "${dockerfiles[@]}"; do
		grep -q '^FROM ' "$f" || return 1
		! grep '^FROM ' "$f" | grep -vE '^FROM debian:bookworm-slim( AS [a-z]+)?$' || return 1
	done
}
check "every Dockerfile is FROM debian:bookworm-slim only (${#dockerfiles[@]})" from_debian_only
wp=$root/images/wordpress/Dockerfile
check "shop Dockerfile installs the project's wp-config.php" grep -q '^COPY wp-config.php /var/www/html/wp-config.php' "$wp"
sha_pins() { # every archive pin is 64 hex digits or (official, not yet recorded) empty; both modes check them
	local a
	for a in WORDPRESS_SHA256 WOOCOMMERCE_SHA256; do grep -qE "^ARG $a=([0-9a-f]{64})?$" "$wp" || return 1; done
	for a in WORDPRESS_LOCAL_SHA256 WOOCOMMERCE_LOCAL_SHA256; do grep -qE "^ARG $a=[0-9a-f]{64}$" "$wp" || return 1; done
	# shellcheck disable=SC2016 # the Dockerfile's own text
	[ "$(grep -c 'sha256sum -c' "$wp")" -eq 2 ] && grep -q 'needs $pin' "$wp"
}
check "shop Dockerfile checks both archives' SHA-256 in both modes, refuses an empty pin" sha_pins
check "shop runs as www-data (33), database as mysql (999), orchestrator as 10001" bash -c \
	"grep -qx 'USER 33:33' '$wp' && grep -qx 'USER 999:999' '$root/images/mariadb/Dockerfile' && grep -qx 'USER 10001:10001' '$root/images/orchestrator/Dockerfile'"
check "shop stops gracefully on SIGWINCH, with Apache as PID 1 (exec)" bash -c \
	"grep -qx 'STOPSIGNAL SIGWINCH' '$wp' && grep -q '^exec /usr/sbin/apache2 -DFOREGROUND' '$root/images/wordpress/apache2-foreground'"
arg() { sed -n "s/^ARG $2=//p" "$root/images/$1/Dockerfile" | head -n1; }
tag_of() { python3 -c 'import sys, yaml; v = yaml.safe_load(open(sys.argv[1]))[sys.argv[2]]["image"]; print(v["repository"] + ":" + v["tag"])' "$root/charts/store/values.yaml" "$1"; }
check "chart's shop image is the Dockerfile's pins (<WordPress>-wc<WooCommerce>)" test \
	"$(tag_of wordpress)" = "store-platform/wordpress:$(arg wordpress WORDPRESS_VERSION)-wc$(arg wordpress WOOCOMMERCE_VERSION)"
check "chart's database image is the Dockerfile's pin (MariaDB series)" test \
	"$(tag_of database)" = "store-platform/mariadb:$(arg mariadb MARIADB_VERSION)"
check "scripts/images.sh --list names the chart's images" bash -c \
	"\"$root/scripts/images.sh\" --list | grep -qx '$(tag_of wordpress)' && \"$root/scripts/images.sh\" --list | grep -qx '$(tag_of database)'"
exit 0
