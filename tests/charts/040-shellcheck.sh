#!/usr/bin/env bash
# The store's shell scripts pass shellcheck and its PHP programs php -l; the
# image's Dockerfile passes hadolint where it is installed (Debian 12 does not
# package it).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

for f in "$root"/charts/store/files/*.sh "$root/scripts/order.sh" "$root"/tests/charts/*.sh \
	"$root"/tests/charts/lib/*.sh "$root"/tests/store/*.sh; do
	check "shellcheck ${f#"$root"/}" shellcheck -x -s bash "$f"
done
for f in "$root"/charts/store/files/*.php "$root/images/wordpress/wp-config.php"; do
	check "php -l ${f#"$root"/}" php -l "$f"
done
if command -v hadolint >/dev/null 2>&1; then
	check "hadolint images/wordpress/Dockerfile" hadolint "$root/images/wordpress/Dockerfile"
else
	echo "# hadolint is not installed: images/wordpress/Dockerfile not linted"
fi
check "Dockerfile pins its base image (no :latest, a version tag)" \
	grep -qE '^FROM wordpress:[0-9]+\.[0-9]+\.[0-9]+-php[0-9.]+-apache' "$root/images/wordpress/Dockerfile"
check "Dockerfile installs the project's wp-config.php" grep -q '^COPY wp-config.php /usr/src/wordpress/wp-config.php' "$root/images/wordpress/Dockerfile"
check "Dockerfile checks WooCommerce and wp-cli checksums" bash -c \
	"grep -q 'sha256sum -c' '$root/images/wordpress/Dockerfile' && grep -q 'sha512sum -c' '$root/images/wordpress/Dockerfile'"
check "Dockerfile runs as www-data" grep -qx 'USER www-data' "$root/images/wordpress/Dockerfile"
check "chart and Dockerfile pin the same WooCommerce" bash -c \
	"v=\$(sed -n 's/^ARG WOOCOMMERCE_VERSION=//p' '$root/images/wordpress/Dockerfile'); grep -q \"woocommerceVersion: \\\"\$v\\\"\" '$root/charts/store/values.yaml' && grep -q \"tag: 7.0.4-wc\$v\" '$root/charts/store/values.yaml'"
exit 0
