#!/bin/bash
# Entry point of the Medusa store's database image: makes the data directory ready, then runs
# postgres in its place (exec), so the server is PID 1 and stops on the kubelet's signal
# (STOPSIGNAL SIGINT: PostgreSQL's fast shutdown).
#
#   postgresql-entrypoint.sh [postgres] [SERVER OPTIONS...]   (any other command runs as given)
#
# First start (no PG_VERSION in $PGDATA): initdb into $PGDATA.init, a temporary server there
# listening on no TCP address and a private socket, the SQL that creates the store's user and
# database, then the directory moved into place. A start interrupted before the move leaves no
# PG_VERSION and begins again. The environment is described in the Dockerfile; the password
# travels on psql's standard input only and is unset before the server starts.
set -euo pipefail

log() { printf 'postgresql-entrypoint: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ $# -gt 0 ] || set -- postgres
case $1 in -*) set -- postgres "$@" ;; esac
[ "$1" = postgres ] || exec "$@"
shift

pgdata=${PGDATA:-/var/lib/postgresql/data}
init_socket_dir=/tmp/postgresql-init

sql_string() { # a quoted SQL string literal
	printf "'%s'" "${1//\'/\'\'}"
}

initialise() {
	local v
	for v in POSTGRES_PASSWORD POSTGRES_DB POSTGRES_USER; do
		[ -n "${!v:-}" ] || die "$v is not set: it is needed to initialise the database"
	done
	[[ $POSTGRES_DB =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || die "POSTGRES_DB '$POSTGRES_DB' is not letters, digits and _ (at most 63)"
	[[ $POSTGRES_USER =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || die "POSTGRES_USER '$POSTGRES_USER' is not letters, digits and _ (at most 63)"
	[ "$POSTGRES_USER" != postgres ] || die "POSTGRES_USER may not be 'postgres'"

	local work=$pgdata.init
	rm -rf "$work"
	log "initialising the data directory $pgdata"
	initdb --pgdata="$work" --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
		--encoding=UTF8 --locale=C.UTF-8 >&2 || die "initdb failed"
	# The store's user over TCP with its password; nobody else over TCP.
	cat >"$work/pg_hba.conf" <<-HBA
		local all postgres peer
		host $POSTGRES_DB $POSTGRES_USER 0.0.0.0/0 scram-sha-256
		host $POSTGRES_DB $POSTGRES_USER ::/0 scram-sha-256
	HBA
	rm -rf "$init_socket_dir" && install -d -m 0700 "$init_socket_dir"
	pg_ctl --pgdata="$work" --silent --wait --timeout=60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$init_socket_dir'" start >&2 ||
		die "the temporary server did not start"
	psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$init_socket_dir" --username=postgres --dbname=postgres <<-SQL >&2 ||
		CREATE ROLE "$POSTGRES_USER" LOGIN PASSWORD $(sql_string "$POSTGRES_PASSWORD");
		CREATE DATABASE "$POSTGRES_DB" OWNER "$POSTGRES_USER" ENCODING 'UTF8';
		REVOKE ALL ON DATABASE "$POSTGRES_DB" FROM PUBLIC;
	SQL
		{ pg_ctl --pgdata="$work" --silent --mode=immediate stop || true; die "creating the database failed"; }
	pg_ctl --pgdata="$work" --silent --wait --mode=fast stop >&2 || die "the temporary server did not stop"
	rm -rf "$init_socket_dir"
	# Into place: an empty $pgdata (a volume's mount point) takes the files, PG_VERSION last.
	mkdir -p "$pgdata" && chmod 0700 "$pgdata"
	local f
	for f in "$work"/* "$work"/.[!.]*; do
		[ -e "$f" ] || continue
		[ "${f##*/}" = PG_VERSION ] || mv "$f" "$pgdata/"
	done
	mv "$work/PG_VERSION" "$pgdata/PG_VERSION"
	rmdir "$work"
	log "database '$POSTGRES_DB' and user '$POSTGRES_USER' created"
}

parent=$(dirname "$pgdata")
[ -w "$parent" ] || die "$parent is not writable by uid $(id -u)"
if [ ! -s "$pgdata/PG_VERSION" ]; then
	initialise
fi
unset POSTGRES_PASSWORD
exec postgres -D "$pgdata" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql "$@"
