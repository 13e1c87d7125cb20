#!/bin/bash
# Entry point of the store database image: makes the datadir ready, then runs mariadbd in its
# place (exec), so the server is PID 1 and shuts down cleanly on the kubelet's SIGTERM.
#
#   mariadb-entrypoint.sh [mariadbd] [SERVER OPTIONS...]   (any other command runs as given)
#
# First start (no mysql/ in /var/lib/mysql): mariadb-install-db into /var/lib/mysql/.init, a
# temporary server there on a private socket without networking, the SQL that sets root's
# password and creates the probes' user, the database and its user, then the result moved
# into place. A start interrupted before the move leaves no mysql/ and begins again; the
# probes cannot pass before the real server is up (the temporary one uses another socket).
# Later starts: mariadb-upgrade when MARIADB_AUTO_UPGRADE is set and the datadir was written
# by another version. The environment is described in the Dockerfile; secrets travel on the
# client's standard input only and are unset before the server starts.
set -euo pipefail

datadir=/var/lib/mysql
init_socket=/run/mysqld/init.sock
log() { printf 'mariadb-entrypoint: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ $# -gt 0 ] || set -- mariadbd
case $1 in -*) set -- mariadbd "$@" ;; esac
[ "$1" = mariadbd ] || exec "$@"
shift

# A quoted SQL string literal: backslashes and quotes escaped.
sql_string() {
	local s=${1//\\/\\\\}
	s=${s//\'/\\\'}
	printf "'%s'" "$s"
}

# Starts a server on the private socket with no networking (datadir $1); waits until it answers.
temp_server_pid=
temp_server_start() {
	local dir=$1 tries=120
	shift
	mariadbd "$@" --datadir="$dir" --socket="$init_socket" --skip-networking --skip-log-bin &
	temp_server_pid=$!
	while [ $((tries -= 1)) -gt 0 ]; do
		mariadb-admin --no-defaults --protocol=socket --socket="$init_socket" --connect-timeout=1 ping --silent >/dev/null 2>&1 && return 0
		kill -0 "$temp_server_pid" 2>/dev/null || die "the temporary server exited (its log is above)"
		sleep 0.5
	done
	die "the temporary server did not answer within 60s"
}
temp_server_stop() {
	kill -TERM "$temp_server_pid"
	wait "$temp_server_pid" || die "the temporary server did not shut down cleanly"
	temp_server_pid=
}

# Runs SQL from stdin on the temporary server of a new datadir, as root (no password yet).
temp_sql() {
	mariadb --no-defaults --protocol=socket --socket="$init_socket" --user=root --batch
}

initialise() {
	local v
	for v in MARIADB_ROOT_PASSWORD MARIADB_DATABASE MARIADB_USER MARIADB_PASSWORD; do
		[ -n "${!v:-}" ] || die "$v is not set: it is needed to initialise the database"
	done
	[[ $MARIADB_DATABASE =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "MARIADB_DATABASE '$MARIADB_DATABASE' is not letters, digits and _ (at most 64)"
	[[ $MARIADB_USER =~ ^[A-Za-z0-9_]{1,80}$ ]] || die "MARIADB_USER '$MARIADB_USER' is not letters, digits and _ (at most 80)"
	case $MARIADB_USER in root | mysql) die "MARIADB_USER may not be '$MARIADB_USER'" ;; esac

	local work=$datadir/.init
	rm -rf "$work"
	log "initialising the datadir $datadir"
	# --force: no name lookups (a container may have no /etc/hosts; grants use no host names).
	local out
	out=$(mariadb-install-db --no-defaults --datadir="$work" --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --force 2>&1) ||
		die "mariadb-install-db failed: $out"
	temp_server_start "$work" "$@"
	# Of the accounts mariadb-install-db makes, only root@localhost (the socket) is kept: no
	# anonymous user, no root over TCP.
	temp_sql <<-SQL
		DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
		FLUSH PRIVILEGES;
		ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$MARIADB_ROOT_PASSWORD");
		CREATE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;
		CREATE DATABASE \`$MARIADB_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY $(sql_string "$MARIADB_PASSWORD");
		GRANT ALL PRIVILEGES ON \`$MARIADB_DATABASE\`.* TO '$MARIADB_USER'@'%';
	SQL
	temp_server_stop
	# Into place: mysql/ last, as it is what marks an initialised datadir.
	local f
	for f in "$work"/* "$work"/.[!.]*; do
		[ -e "$f" ] || continue
		[ "${f##*/}" = mysql ] || mv "$f" "$datadir/"
	done
	mv "$work/mysql" "$datadir/mysql"
	rmdir "$work"
	log "database '$MARIADB_DATABASE' and user '$MARIADB_USER' created"
}

upgrade_if_needed() {
	local have want
	have=$(cat "$datadir/mysql_upgrade_info" 2>/dev/null || true)
	want=$(mariadbd --version | sed -n 's/.*Ver \([^ ]*\).*/\1/p')
	[ -n "${MARIADB_AUTO_UPGRADE:-}" ] && [ "${have%%-*}" != "${want%%-*}" ] || return 0
	[ -n "${MARIADB_ROOT_PASSWORD:-}" ] || die "MARIADB_ROOT_PASSWORD is not set: it is needed to upgrade the datadir"
	log "upgrading the datadir from '${have:-unknown}' to '$want'"
	temp_server_start "$datadir" "$@"
	# The password in a defaults file on a pipe of this process only, never an argument or a file.
	mariadb-upgrade --defaults-extra-file=<(printf '[client]\npassword=%s\n' "$MARIADB_ROOT_PASSWORD") \
		--protocol=socket --socket="$init_socket" --user=root --silent >&2 || die "mariadb-upgrade failed"
	temp_server_stop
}

[ -w "$datadir" ] || die "$datadir is not writable by uid $(id -u)"
rm -f "$init_socket"
if [ -d "$datadir/mysql" ]; then
	upgrade_if_needed "$@"
else
	initialise "$@"
fi
unset MARIADB_ROOT_PASSWORD MARIADB_PASSWORD
exec mariadbd "$@"
