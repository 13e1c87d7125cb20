#!/bin/sh
# The database's probes (charts/store: startup, readiness, liveness), with the options of the
# official image's healthcheck.sh that the chart uses:
#
#   healthcheck.sh [--connect] [--innodb_initialized]
#
#   --connect             the server accepts a connection on its socket
#   --innodb_initialized  InnoDB is up (its engine is available)
#
# It connects as the MariaDB user "mysql", which the entry point creates identified via
# unix_socket and with no privileges: only a process of the mysql OS user (uid 999, the
# container's) can use it, and no password is needed or kept. Exits non-zero on the first
# check that fails, with the reason on stderr.
set -eu
sql() { mariadb --no-defaults --protocol=socket --socket=/run/mysqld/mysqld.sock --user=mysql \
	--connect-timeout=3 --batch --skip-column-names -e "$1"; }
[ $# -gt 0 ] || set -- --connect
for check in "$@"; do
	case $check in
	--connect) sql 'SELECT 1' >/dev/null ;;
	--innodb_initialized)
		out=$(sql "SELECT 1 FROM information_schema.ENGINES WHERE engine = 'InnoDB' AND support IN ('YES', 'DEFAULT', 'ENABLED')")
		[ "$out" = 1 ] || { echo "healthcheck: InnoDB is not initialised" >&2; exit 1; } ;;
	*) echo "healthcheck: unknown check '$check' (--connect, --innodb_initialized)" >&2; exit 2 ;;
	esac
done
