#!/bin/sh
# Entry point of the shop image, and the setup Job's command: puts WordPress into the working
# directory (/var/www/html, an emptyDir in the cluster) when it holds none yet, copying
# /usr/src/wordpress (WordPress, WooCommerce, the project's wp-config.php) as the official
# image's entrypoint does, then runs its arguments in its place (exec), so the command (Apache,
# or `php /opt/scripts/setup.php`) is the process the kubelet signals.
#
#   store-entrypoint.sh [COMMAND [ARGS...]]     default: apache2-foreground
#
# The uploads volume may already be mounted at wp-content/uploads: it is kept, never copied
# over (the image has no uploads of its own).
set -eu
src=/usr/src/wordpress
if [ ! -e index.php ] && [ ! -e wp-includes/version.php ]; then
	if [ ! -w . ]; then
		echo "store-entrypoint: $(pwd) is not writable by uid $(id -u): cannot install WordPress there" >&2
		exit 1
	fi
	cp -R --preserve=mode,timestamps "$src/." .
	echo "store-entrypoint: WordPress copied into $(pwd)" >&2
fi
[ $# -gt 0 ] || set -- apache2-foreground
exec "$@"
