#!/bin/sh
# Entry point of the shop image, and the setup Job's command: WordPress is in the image's
# document root (/var/www/html, the working directory); this checks it is there and runs its
# arguments in its place (exec), so the command (Apache, or `php /opt/scripts/setup.php`) is
# the process the kubelet signals.
#
#   store-entrypoint.sh [COMMAND [ARGS...]]     default: apache2-foreground
#
# Nothing is copied at start (the official image copies WordPress into an emptyDir at every
# start; here that took 8.5 s a pod): the uploads volume is mounted at wp-content/uploads.
set -eu
if [ ! -e wp-includes/version.php ] || [ ! -e wp-config.php ]; then
	echo "store-entrypoint: no WordPress in $(pwd) (the image puts it in /var/www/html)" >&2
	exit 1
fi
[ $# -gt 0 ] || set -- apache2-foreground
exec "$@"
