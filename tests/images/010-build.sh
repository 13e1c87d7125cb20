#!/usr/bin/env bash
# The images (scripts/images.sh) built and run here without a kubelet: every image builds
# (or is reused from the cache, and then quickly), the charts' defaults name exactly what it
# builds, and each image runs as the chart runs it: as its own uid, with a read-only root and
# only the chart's writable mounts (host folders standing in for the emptyDirs and volumes),
# in its own PID namespace so that its command is PID 1, on the host's network.
#
#   - the database initialises an empty datadir from MARIADB_*, answers the chart's probes
#     (healthcheck.sh), accepts its user over TCP (and not root), stops promptly on SIGTERM and
#     keeps its data across a restart;
#   - the shop copies WordPress into its empty document root, serves it on 8080 as uid 33 with
#     the chart's own Apache config against that database, and stops promptly on its
#     STOPSIGNAL (SIGWINCH) and on SIGTERM; the setup Job's entry point runs its command;
#   - the Medusa store's database (PostgreSQL) initialises an empty data directory from
#     POSTGRES_*, answers the chart's probe (pg_isready) and the setup Job's wait for it,
#     accepts the store's user over TCP with its password (not a wrong one, not the superuser,
#     not another database), stops promptly on its STOPSIGNAL (SIGINT) and keeps its data
#     across a restart;
#   - the Medusa store runs Node.js and Medusa at the Dockerfile's pins, its setup Job
#     (/app/setup.sh) makes that database a store, and `medusa start` answers /health and
#     GET /storefront 200 with the store's publishable key; the helm test's medusa-order
#     places an order; it stops promptly on SIGTERM;
#   - the orchestrator's binary and helm start, and helm lints both engines' charts.
# A missing tool or archive fails the suite (it is never skipped). As root.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/images-test.XXXXXX)
chmod 0755 "$tmp"
pids=()
cleanup() { # every namespace's PID 1 (which ends the namespace), the log readers, the containers
	local p u c
	for p in "${pids[@]}"; do
		for u in $(pgrep -P "$p" -x unshare); do
			for c in $(pgrep -P "$u"); do kill -KILL "$c" 2>/dev/null; done
		done
	done
	[ ! -f "$tmp/readers" ] || while read -r p; do kill "$p" 2>/dev/null; done <"$tmp/readers"
	wait 2>/dev/null
	[ ! -f "$tmp/containers" ] || while read -r c; do buildah rm "$c" >/dev/null 2>&1; done <"$tmp/containers"
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- build (or reuse) -------------------------------------------------------------------------
start=$SECONDS
if ! out=$("$root/scripts/images.sh" 2>&1); then
	printf '%s\n' "$out" | sed 's/^/    # /'
	echo "not ok - scripts/images.sh builds every image"
	exit 1
fi
echo "ok - scripts/images.sh builds every image ($((SECONDS - start))s)"
printf '%s\n' "$out" | sed 's/^/# /'
start=$SECONDS
warm_out=$("$root/scripts/images.sh" 2>&1)
warm=$((SECONDS - start))
mapfile -t refs < <("$root/scripts/images.sh" --list)
dockerfiles=("$root"/images/*/Dockerfile)
all_reused() {
	[ "$(grep -c '^images: reused ' <<<"$warm_out")" -eq $((${#refs[@]} + 1)) ] || { echo "$warm_out"; return 1; }
	[ "$warm" -le 10 ]
}
check "a second run reuses the base and the ${#refs[@]} images, in seconds (${warm}s)" all_reused

ref_of() { printf '%s\n' "${refs[@]}" | grep -m1 "^store-platform/$1:"; } # image folder: its reference
wp_ref=$(ref_of wordpress) db_ref=$(ref_of mariadb) medusa_ref=$(ref_of medusa) pg_ref=$(ref_of postgresql)
orch_ref=$(ref_of orchestrator)
pinned() { # one pinned reference per images/*/Dockerfile, named after its folder
	local r f
	[ ${#refs[@]} -eq ${#dockerfiles[@]} ] || { echo "${#refs[@]} references, ${#dockerfiles[@]} Dockerfiles"; return 1; }
	for r in "${refs[@]}"; do [[ $r =~ ^store-platform/[a-z]+:[0-9][A-Za-z0-9._-]*$ ]] || { echo "$r"; return 1; }; done
	for f in "${dockerfiles[@]}"; do
		f=${f%/Dockerfile}
		[ -n "$(ref_of "${f##*/}")" ] || { echo "no reference for images/${f##*/}"; return 1; }
	done
}
check "--list: one pinned reference per Dockerfile (${refs[*]}), none latest" pinned

# The charts' defaults are what is built.
is_image() { # values-file key want [default-tag]: repository:tag of that key is want
	local got
	got=$(python3 -c 'import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v = v[k]
print(v["repository"] + ":" + (v["tag"] or sys.argv[3]))' "$1" "$2" "${4:-}") || return 1
	[ "$got" = "$3" ] || { echo "$1: $2 is $got, not $3"; return 1; }
}
app_version=$(sed -n 's/^appVersion: *//p' "$root/charts/platform/Chart.yaml" | tr -d '"')
check "charts/store values.yaml: wordpress.image is $wp_ref" is_image "$root/charts/store/values.yaml" wordpress.image "$wp_ref"
check "charts/store values-local.yaml: wordpress.image is $wp_ref" is_image "$root/charts/store/values-local.yaml" wordpress.image "$wp_ref"
check "charts/store values.yaml: database.image is $db_ref" is_image "$root/charts/store/values.yaml" database.image "$db_ref"
check "charts/medusa values.yaml: medusa.image is $medusa_ref" is_image "$root/charts/medusa/values.yaml" medusa.image "$medusa_ref"
check "charts/medusa values-local.yaml: medusa.image is $medusa_ref" is_image "$root/charts/medusa/values-local.yaml" medusa.image "$medusa_ref"
check "charts/medusa values.yaml: database.image is $pg_ref" is_image "$root/charts/medusa/values.yaml" database.image "$pg_ref"
check "charts/medusa values-local.yaml: database.image is $pg_ref" is_image "$root/charts/medusa/values-local.yaml" database.image "$pg_ref"
check "charts/platform values.yaml: image is $orch_ref" is_image "$root/charts/platform/values.yaml" image "$orch_ref" "$app_version"
from_debian_only() {
	local f
	for f in "${dockerfiles[@]}"; do
		grep -q '^FROM ' "$f" || return 1
		! grep '^FROM ' "$f" | grep -vE '^FROM debian:bookworm-slim( AS [a-z]+)?$' || return 1
	done
}
check "every Dockerfile is FROM debian:bookworm-slim only" from_debian_only

# --- running an image as the kubelet would ------------------------------------------------------
# rootfs of a new container of an image (buildah from + mount); removed on exit. It runs in
# $(...), a subshell: the container's name goes to a file, not to a variable.
rootfs() {
	local c
	c=$(buildah from --pull=never "docker.io/$1") || return 1
	echo "$c" >>"$tmp/containers"
	buildah mount "$c"
}
# in_image ROOTFS UID:GID WORKDIR BINDS VAR=VALUE... -- COMMAND...
# COMMAND as PID 1 of new PID and mount namespaces, the root read-only, BINDS (comma-separated
# HOSTPATH:PATH) mounted over it, only the given environment (and PATH, HOME=/tmp).
in_image() {
	local r=$1 user=$2 wd=$3 binds=$4
	shift 4
	local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	# shellcheck disable=SC2016 # the script's own variables
	unshare --mount --pid --fork --kill-child bash -c '
		set -e
		r=$1 user=$2 wd=$3 binds=$4 n=$5
		shift 5
		envs=("${@:1:n}")
		shift "$n"
		mount --make-rprivate /
		IFS=, read -r -a bs <<<"$binds"
		# as runc does: a target resolved inside the root (/var/run is a link to /run), and
		# made when missing (in the container'"'"'s own layer) before the root turns read-only
		targets=()
		for b in "${bs[@]}"; do
			t=$r$(chroot "$r" readlink -m "${b#*:}")
			[ -e "$t" ] || if [ -d "${b%%:*}" ]; then mkdir -p "$t"; else touch "$t"; fi
			targets+=("$t")
		done
		mount --bind "$r" "$r"
		mount -o remount,bind,ro "$r"
		mount -t proc proc "$r/proc"
		mount --rbind /dev "$r/dev"
		for i in "${!bs[@]}"; do mount --bind "${bs[i]%%:*}" "${targets[i]}"; done
		exec chroot --userspec="$user" "$r" /usr/bin/env -i "${envs[@]}" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$wd" "$@"
	' _ "$r" "$user" "$wd" "$binds" "${#envs[@]}" "${envs[@]}" "$@"
}
pid1() { # PID 1 of the namespaces that in_image, started in the background as $1, made
	local u
	u=$(pgrep -P "$1" -x unshare) && pgrep -P "$u" | head -n1
}
is_pid1() { # ns-pid command uid: the namespace's PID 1 is that command, it and its children as that uid
	local p
	p=$(pid1 "$1")
	[ "$(ps -o comm= -p "$p")" = "$2" ] || { ps -o pid,uid,args --ppid "$1" -p "$1"; return 1; }
	! ps -o uid= --ppid "$p" -p "$p" | tr -d ' ' | grep -qvx "$3" || { ps -o pid,uid,args --ppid "$p" -p "$p"; return 1; }
}
stops_within() { # seconds signal ns-pid: the namespace's PID 1 exits that soon after the signal
	local secs=$1 sig=$2 p t=0
	p=$(pid1 "$3")
	kill "-$sig" "$p" || return 1
	while kill -0 "$p" 2>/dev/null; do
		sleep 0.2
		t=$((t + 1))
		[ "$t" -lt $((secs * 5)) ] || { echo "still running ${secs}s after SIG$sig"; return 1; }
	done
	wait "$3" 2>/dev/null
	echo "# stopped within $((t * 200 + 200)) ms of SIG$sig" >&3
}
exec 3>&1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rand() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c "${1:-24}"; }
emptydir() { mkdir -p "$1" && chown "$2" "$1" && echo "$1"; } # a host folder standing in for an emptyDir
timed_check() { # name log command...: ok (with the time it took) when the command passes, else
	local name=$1 logf=$2 t=$SECONDS # not ok with the end of the log
	shift 2
	if "$@" >/dev/null 2>&1; then echo "ok - $name ($((SECONDS - t))s)"; else
		echo "not ok - $name"
		tail -n 20 "$logf" | sed 's/^/    # /'
	fi
}
# A FIFO owned by the container's uid for its output, which goes on to the log: runc too gives
# a container's stdio to its uid, so that Apache can open /proc/self/fd/1 and /proc/self/fd/2.
logpipe() { # uid log: path of a new FIFO
	local f
	f=$tmp/fifo.$RANDOM
	mkfifo "$f" && chown "$1" "$f" || return 1
	cat "$f" >>"$2" &
	echo $! >>"$tmp/readers" # this runs in $(...): the pid goes to a file, not to a variable
	echo "$f"
}

# --- the database ---------------------------------------------------------------------------------
db_root=$(rootfs "$db_ref") || { echo "not ok - buildah from $db_ref"; exit 1; }
db_port=$(free_port)
db_pw="p'w\\$(rand)" # a quote and a backslash: the entry point must escape them
root_pw=$(rand)
data=$(emptydir "$tmp/db-data" 999:999) run=$(emptydir "$tmp/db-run" 999:999) dbtmp=$(emptydir "$tmp/db-tmp" 999:999)
db_binds="$data:/var/lib/mysql,$run:/run/mysqld,$dbtmp:/tmp"
db_env=(MARIADB_ROOT_PASSWORD="$root_pw" MARIADB_PASSWORD="$db_pw" MARIADB_DATABASE=wordpress MARIADB_USER=wordpress
	MARIADB_AUTO_UPGRADE=1 MARIADB_INITDB_SKIP_TZINFO=1)
db_start() {
	in_image "$db_root" 999:999 / "$db_binds" "${db_env[@]}" -- mariadb-entrypoint.sh mariadbd --port="$db_port" \
		>"$(logpipe 999 "$tmp/db.log")" 2>&1 &
	db_ns=$!
	pids+=("$db_ns")
}
db_probe() { in_image "$db_root" 999:999 / "$db_binds" -- healthcheck.sh "$@"; }
db_as() { mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$db_port" --connect-timeout=3 -N -B "$@"; }
db_user_sees() { [ "$(db_as -u wordpress --password="$db_pw" -e "$1" wordpress)" = "$2" ]; }
no_secret_in() { ! grep -qF -e "$root_pw" -e "$db_pw" "$1"; }
no_password_env() {
	local env
	env=$(tr '\0' '\n' <"/proc/$(pid1 "$db_ns")/environ") && [ -n "$env" ] && ! grep -q PASSWORD <<<"$env"
}
kept_and_initialised_once() { db_user_sees 'SELECT v FROM kept' 'order 1' && [ "$(grep -c 'initialising the datadir' "$tmp/db.log")" -eq 1 ]; }

db_start
timed_check "database: a new datadir initialised from MARIADB_*, the readiness probe passes" \
	"$tmp/db.log" wait_for 90 db_probe --connect --innodb_initialized
check "database: mariadbd is PID 1 of its namespace, as uid 999" is_pid1 "$db_ns" mariadbd 999
check "database: the user reaches its database over TCP" db_user_sees 'SELECT DATABASE()' wordpress
check_fails_with "database: root cannot log in over TCP" 'Access denied' db_as -u root --password="$root_pw" -e 'SELECT 1'
check_fails_with "database: the user cannot use another database" 'Access denied' db_as -u wordpress --password="$db_pw" -e 'SELECT 1' mysql
check "database: no password in its log" no_secret_in "$tmp/db.log"
check "database: no password in the server's environment" no_password_env
db_as -u wordpress --password="$db_pw" -e 'CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ("order 1")' wordpress
check "database: SIGTERM stops it promptly" stops_within 20 TERM "$db_ns"
db_start
timed_check "database: ready again after a restart" "$tmp/db.log" wait_for 60 db_probe --connect --innodb_initialized
check "database: a restart keeps the data and does not initialise again" kept_and_initialised_once
check_fails_with "database: a new datadir without MARIADB_ROOT_PASSWORD is refused, naming it" 'MARIADB_ROOT_PASSWORD is not set' \
	in_image "$db_root" 999:999 / "$(emptydir "$tmp/db2" 999:999):/var/lib/mysql,$run:/run/mysqld,$dbtmp:/tmp" \
	MARIADB_DATABASE=wordpress MARIADB_USER=wordpress MARIADB_PASSWORD=x -- mariadb-entrypoint.sh

# --- the shop ---------------------------------------------------------------------------------
wp_root=$(rootfs "$wp_ref") || { echo "not ok - buildah from $wp_ref"; exit 1; }
wp_port=$(free_port)
# The chart's own Apache config (configmap-apache.yaml), on a free port of this host.
apache=$(emptydir "$tmp/apache" 0:0)
helm template t "$root/charts/store" --set storeName=demo --set host=localhost -s templates/configmap-apache.yaml |
	python3 -c 'import sys, yaml
for k, v in yaml.safe_load(sys.stdin)["data"].items(): open(sys.argv[1] + "/" + k, "w").write(v)' "$apache"
mkdir -p "$apache/sites" && mv "$apache/000-default.conf" "$apache/sites/"
sed -i "s/^Listen 8080$/Listen 127.0.0.1:$wp_port/" "$apache/ports.conf"
sed -i "s/<VirtualHost \*:8080>/<VirtualHost *:$wp_port>/" "$apache/sites/000-default.conf"
uploads=$(emptydir "$tmp/uploads" 33:33) wptmp=$(emptydir "$tmp/wp-tmp" 33:33)
# The document root is the image's own (read-only); only uploads and /tmp are writable.
wp_binds="$uploads:/var/www/html/wp-content/uploads,$wptmp:/tmp"
wp_binds+=",$(emptydir "$tmp/apache-run" 33:33):/var/run/apache2,$(emptydir "$tmp/apache-lock" 33:33):/var/lock/apache2"
wp_binds+=",$apache/ports.conf:/etc/apache2/ports.conf,$apache/sites:/etc/apache2/sites-enabled"
wp_env=(WORDPRESS_DB_HOST="127.0.0.1:$db_port" WORDPRESS_DB_NAME=wordpress WORDPRESS_DB_USER=wordpress WORDPRESS_DB_PASSWORD="$db_pw")
for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
	wp_env+=("WORDPRESS_$k=$(rand 40)")
done
wp_url="http://127.0.0.1:$wp_port"
# As the chart's store.wordpressEnv with values-local.yaml.
wp_env+=("WORDPRESS_CONFIG_EXTRA=define('WP_HOME', '$wp_url'); define('WP_SITEURL', '$wp_url');
define('WP_ENVIRONMENT_TYPE', 'local'); define('AUTOMATIC_UPDATER_DISABLED', true); define('DISALLOW_FILE_MODS', true);")
wp_start() {
	in_image "$wp_root" 33:33 /var/www/html "$wp_binds" "${wp_env[@]}" -- store-entrypoint.sh apache2-foreground \
		>"$(logpipe 33 "$tmp/wp.log")" 2>&1 &
	wp_ns=$!
	pids+=("$wp_ns")
}
html="$wp_root/var/www/html"
wp_installed() { [ -f "$html/wp-content/plugins/woocommerce/woocommerce.php" ] && cmp -s "$html/wp-config.php" "$root/images/wordpress/wp-config.php"; }
# The uploads mount point is the image's, www-data's: the runtime need not make it (as root).
uploads_mountpoint() { [ "$(stat -c %u "$html/wp-content/uploads")" = 33 ] && [ "$(stat -c %u "$html/wp-includes/version.php")" = 0 ]; }
# PHP, its extensions and the database: before setup WordPress sends a visitor to its installer.
to_installer() { curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$wp_url/wp-login.php" | grep -E '^302 .*/wp-admin/install\.php'; }
no_version() {
	local h
	h=$(curl -fsSI "$wp_url/wp-includes/version.php") && grep -qi '^server: apache' <<<"$h" && ! grep -iE '^(server: .*[0-9]|x-powered-by)' <<<"$h"
}
stopsignal() { [ "$(buildah inspect --type image --format '{{.OCIv1.Config.StopSignal}}' "docker.io/$1")" = "$2" ]; } # REF SIGNAL
only_www_data() { [ -z "$(find "$uploads" -not -user 33 | head -n 5)" ]; }

wp_start
timed_check "shop: WordPress served from the image's document root on the chart's port" \
	"$tmp/wp.log" wait_for 30 curl -fsS -o /dev/null "$wp_url/wp-includes/version.php"
check "shop: apache2 is PID 1 of its namespace, all of Apache as uid 33" is_pid1 "$wp_ns" apache2 33
check "shop: WooCommerce and the project's wp-config.php are in the document root" wp_installed
check "shop: the document root is root's, its uploads mount point www-data's" uploads_mountpoint
check "shop: PHP reaches the database (wp-login.php redirects to the installer)" to_installer
check "shop: Apache names no version" no_version
check "shop: the access log goes to stdout" grep -q '"GET /wp-login.php' "$tmp/wp.log"
check "shop: everything it wrote belongs to www-data" only_www_data
check "shop: its STOPSIGNAL is SIGWINCH" stopsignal "$wp_ref" SIGWINCH
check "shop: SIGWINCH (Apache's graceful stop) stops it promptly" stops_within 12 WINCH "$wp_ns"
wp_start
timed_check "shop: serves again after a restart" "$tmp/wp.log" wait_for 30 curl -fsS -o /dev/null "$wp_url/wp-includes/version.php"
check "shop: nothing was copied at start" bash -c "! grep -q 'copied' '$tmp/wp.log'"
check "shop: SIGTERM stops it promptly" stops_within 5 TERM "$wp_ns"
# The setup Job as the chart runs it (files/setup.php, the image's document root, the shop's
# uploads volume), then the shop again, and the chart's helm test (files/order.sh) in the image:
# an order placed with Cash on Delivery, in INR, with its GST line.
setup_env=("${wp_env[@]}" WP_ADMIN_USER=admin WP_ADMIN_PASSWORD="$(rand)" WP_ADMIN_EMAIL=owner@example.com
	STORE_URL="$wp_url" STORE_TITLE="Image test" STORE_COUNTRY=IN STORE_STATE=KA STORE_CITY=Bengaluru
	STORE_ADDRESS="1 MG Road" STORE_POSTCODE=560001 STORE_CURRENCY=INR STORE_TAX_RATE=18 STORE_TAX_NAME=GST
	STORE_SAMPLE_PRODUCTS=yes DB_WAIT_SECONDS=60)
setup_job() {
	in_image "$wp_root" 33:33 /var/www/html \
		"$uploads:/var/www/html/wp-content/uploads,$wptmp:/tmp,$root/charts/store/files:/opt/scripts" \
		"${setup_env[@]}" -- store-entrypoint.sh php /opt/scripts/setup.php --path /var/www/html >>"$tmp/setup.log" 2>&1
}
helm_test() {
	in_image "$wp_root" 33:33 / "$wptmp:/tmp,$root/charts/store/files:/opt/scripts" -- \
		bash /opt/scripts/order.sh "$wp_url" --email order-test@example.com >>"$tmp/order.log" 2>&1
}
timed_check "shop: the setup Job (setup.php) makes it a shop" "$tmp/setup.log" setup_job
wp_start
wait_for 30 curl -fsS -o /dev/null "$wp_url/wp-includes/version.php"
# shellcheck disable=SC2016 # the inner script's own $1
check "shop: the storefront serves the shop page with a sample product" bash -c 'curl -fsSL "$1/?post_type=product" | grep -q "Online Cooking Class"' _ "$wp_url"
timed_check "shop: helm test's order.sh places and checks an order (COD, INR, GST) from the image" "$tmp/order.log" helm_test
sed 's/^/# /' "$tmp/order.log"
check "shop: SIGWINCH stops it promptly after serving" stops_within 12 WINCH "$wp_ns"

# The setup Job's command: the entry point checks WordPress is there, then runs the command.
# shellcheck disable=SC2016 # PHP code
check "shop: the setup Job's entry point runs PHP with WordPress loaded" \
	in_image "$wp_root" 33:33 /var/www/html "$wptmp:/tmp" "${wp_env[@]}" -- \
	store-entrypoint.sh php -r 'define("WP_INSTALLING", true); require "wp-load.php"; if (get_bloginfo("version") !== "7.0" || !class_exists("mysqli")) exit(1);'
for e in bash curl jq php; do
	check "shop: the helm test has $e" in_image "$wp_root" 33:33 / "" -- sh -c "command -v $e"
done

# --- the Medusa store's database (PostgreSQL) --------------------------------------------------
# The image's own environment (PATH to PostgreSQL's programs, PGDATA, NODE_ENV, ...), as runc
# gives it, before the chart's.
image_env() { buildah inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "docker.io/$1"; }
pg_root=$(rootfs "$pg_ref") || { echo "not ok - buildah from $pg_ref"; exit 1; }
mapfile -t pg_image_env < <(image_env "$pg_ref")
pg_port=$(free_port)
pg_pw=$(rand 32) # letters and digits, as the orchestrator makes it (DATABASE_URL carries it)
pgdata=$(emptydir "$tmp/pg-data" 999:999)
pg_binds="$pgdata:/var/lib/postgresql,$(emptydir "$tmp/pg-run" 999:999):/run/postgresql"
pg_binds+=",$(emptydir "$tmp/pg-tmp" 999:999):/tmp,$(emptydir "$tmp/pg-shm" 999:999):/dev/shm"
# As the chart's StatefulSet: its environment, its command on a free port of this host.
pg_env=("${pg_image_env[@]}" POSTGRES_PASSWORD="$pg_pw" POSTGRES_DB=medusa POSTGRES_USER=medusa PGDATA=/var/lib/postgresql/data)
pg_start() {
	in_image "$pg_root" 999:999 / "$pg_binds" "${pg_env[@]}" -- postgresql-entrypoint.sh postgres \
		-p "$pg_port" -c listen_addresses=127.0.0.1 >"$(logpipe 999 "$tmp/pg.log")" 2>&1 &
	pg_ns=$!
	pids+=("$pg_ns")
}
# The chart's probes: pg_isready over the socket as the server's uid (the port is this test's).
pg_probe() { in_image "$pg_root" 999:999 / "$pg_binds" "${pg_image_env[@]}" -- pg_isready --quiet --host=/run/postgresql --port="$pg_port" --dbname=medusa; }
# psql from this host over TCP; the password from a pgpass file (never on a command line).
pgpass() { # FILE USER PASSWORD: a pgpass file for this server
	local pw=${3//\\/\\\\}
	(umask 077 && printf '127.0.0.1:%s:*:%s:%s\n' "$pg_port" "$2" "${pw//:/\\:}" >"$1")
}
pgpass "$tmp/pgpass" medusa "$pg_pw"
pgpass "$tmp/pgpass-wrong" medusa "$(rand 32)"
pgpass "$tmp/pgpass-postgres" postgres "$pg_pw"
pg_as() { # PGPASSFILE USER DB SQL: one query over TCP, never prompting
	PGPASSFILE=$1 psql -w -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U "$2" -d "$3" -c "$4"
}
pg_user_sees() { [ "$(pg_as "$tmp/pgpass" medusa medusa "$1")" = "$2" ]; }
pg_no_secret_in() { ! grep -qF -e "$pg_pw" "$1"; }
pg_no_password_env() {
	local env
	env=$(tr '\0' '\n' <"/proc/$(pid1 "$pg_ns")/environ") && [ -n "$env" ] && ! grep -q PASSWORD <<<"$env"
}
pg_kept_and_initialised_once() {
	pg_user_sees 'SELECT v FROM kept' 'order 1' && [ "$(grep -c 'initialising the data directory' "$tmp/pg.log")" -eq 1 ]
}
only_uid() { [ -z "$(find "$1" -not -user "$2" | head -n 5)" ]; } # DIR UID: everything in it is UID's
# The setup Job's init container: the database image as the store image's uid (no name in the
# database image), pg_isready over TCP with the user named (templates/setup-job.yaml).
setup_waits() {
	in_image "$pg_root" 1000:1000 / "$(emptydir "$tmp/wait-tmp" 1000:1000):/tmp" "${pg_image_env[@]}" -- \
		pg_isready --quiet --host=127.0.0.1 --port="$pg_port" --dbname=medusa --username=medusa --timeout=5
}

pg_start
timed_check "postgresql: an empty data directory initialised from POSTGRES_*, the probe (pg_isready) passes" \
	"$tmp/pg.log" wait_for 60 pg_probe
check "postgresql: postgres is PID 1 of its namespace, all of PostgreSQL as uid 999" is_pid1 "$pg_ns" postgres 999
check "postgresql: the setup Job's wait (pg_isready over TCP, as uid 1000) passes" setup_waits
check "postgresql: the store's user reaches its database over TCP with its password" pg_user_sees 'SELECT current_user || current_database()' medusamedusa
check_fails_with "postgresql: a wrong password is refused" 'password authentication failed for user "medusa"' \
	pg_as "$tmp/pgpass-wrong" medusa medusa 'SELECT 1'
check_fails_with "postgresql: the superuser postgres cannot log in over TCP" 'no pg_hba.conf entry for host "127.0.0.1", user "postgres"' \
	pg_as "$tmp/pgpass-postgres" postgres postgres 'SELECT 1'
check_fails_with "postgresql: the store's user cannot reach another database" 'no pg_hba.conf entry for host "127.0.0.1", user "medusa", database "postgres"' \
	pg_as "$tmp/pgpass" medusa postgres 'SELECT 1'
check "postgresql: the store's user is no superuser and owns its database" pg_user_sees \
	"SELECT rolsuper::text || ' ' || (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'medusa') FROM pg_roles WHERE rolname = current_user" 'false medusa'
check "postgresql: no password in its log" pg_no_secret_in "$tmp/pg.log"
check "postgresql: no password in the server's environment" pg_no_password_env
in_data_dir() { [ -s "$pgdata/data/PG_VERSION" ] && [ ! -e "$pgdata/data.init" ] && only_uid "$pgdata" 999; }
check "postgresql: its data in data/ on the volume (PGDATA), all of it uid 999's" in_data_dir
pg_as "$tmp/pgpass" medusa medusa "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('order 1')" >/dev/null
check "postgresql: its STOPSIGNAL is SIGINT (PostgreSQL's fast shutdown)" stopsignal "$pg_ref" SIGINT
pg_as "$tmp/pgpass" medusa medusa 'SELECT pg_sleep(60)' >/dev/null 2>&1 & # a client that stays
pg_client=$!
sleep 0.5
check "postgresql: SIGINT stops it promptly, a client still connected" stops_within 10 INT "$pg_ns"
wait "$pg_client" 2>/dev/null
pg_start
timed_check "postgresql: ready again after a restart" "$tmp/pg.log" wait_for 60 pg_probe
check "postgresql: a restart keeps the data and does not initialise again" pg_kept_and_initialised_once
# A password with a quote and a backslash, which the entry point's SQL must quote: set as given.
pg_odd() {
	local d pw pg_port ns ok=0 # pg_port: this server's, for pgpass and pg_as
	d=$(emptydir "$tmp/pg-odd" 999:999) && pw="p'w\\$(rand)" && pg_port=$(free_port) || return 1
	pgpass "$tmp/pgpass-odd" medusa "$pw"
	in_image "$pg_root" 999:999 / "$d:/var/lib/postgresql,$(emptydir "$tmp/pg-odd-tmp" 999:999):/tmp" "${pg_image_env[@]}" \
		POSTGRES_PASSWORD="$pw" POSTGRES_DB=medusa POSTGRES_USER=medusa -- postgresql-entrypoint.sh postgres \
		-p "$pg_port" -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp >"$tmp/pg-odd.log" 2>&1 &
	ns=$!
	wait_for 60 pg_as "$tmp/pgpass-odd" medusa medusa 'SELECT 1' || { tail -n 5 "$tmp/pg-odd.log"; ok=1; }
	stops_within 10 INT "$ns" >/dev/null 3>&1 || { kill -KILL "$(pid1 "$ns")"; ok=1; }
	[ "$ok" = 0 ] && ! grep -qF "$pw" "$tmp/pg-odd.log"
}
check "postgresql: a password with a quote and a backslash is set as given, not logged" pg_odd
check_fails_with "postgresql: a new data directory without POSTGRES_PASSWORD is refused, naming it" 'POSTGRES_PASSWORD is not set' \
	in_image "$pg_root" 999:999 / "$(emptydir "$tmp/pg2" 999:999):/var/lib/postgresql,$(emptydir "$tmp/pg2-tmp" 999:999):/tmp" \
	"${pg_image_env[@]}" POSTGRES_DB=medusa POSTGRES_USER=medusa -- postgresql-entrypoint.sh
check_fails_with "postgresql: POSTGRES_USER=postgres is refused" "POSTGRES_USER may not be 'postgres'" \
	in_image "$pg_root" 999:999 / "$(emptydir "$tmp/pg3" 999:999):/var/lib/postgresql,$(emptydir "$tmp/pg3-tmp" 999:999):/tmp" \
	"${pg_image_env[@]}" POSTGRES_PASSWORD=x POSTGRES_DB=medusa POSTGRES_USER=postgres -- postgresql-entrypoint.sh

# --- the Medusa store ---------------------------------------------------------------------------
medusa_root=$(rootfs "$medusa_ref") || { echo "not ok - buildah from $medusa_ref"; exit 1; }
mapfile -t medusa_image_env < <(image_env "$medusa_ref")
medusa_port=$(free_port)
medusa_url="http://127.0.0.1:$medusa_port"
# The credentials Secret, as the orchestrator makes it (charts/engines.yaml), in a file only
# root reads: the chart's environment is taken from it below.
secrets=$tmp/secrets.json
(umask 077 && printf '{"postgres-password":"%s","jwt-secret":"%s","cookie-secret":"%s","medusa-admin-email":"owner@example.com","medusa-admin-password":"%s"}\n' \
	"$pg_pw" "$(rand 64)" "$(rand 64)" "$(rand 24)" >"$secrets")
# chart_env KIND/NAME CONTAINER: that container's environment in charts/medusa (values-local),
# NAME=VALUE a line, the Secret's keys from $secrets and $(VAR) expanded as the kubelet does;
# the database is this host's, the server's port a free one.
chart_env() {
	helm template store-demo "$root/charts/medusa" -n store-demo -f "$root/charts/medusa/values-local.yaml" |
		python3 -c 'import json, re, sys, yaml
kind, name = sys.argv[1].split("/")
secrets = json.load(open(sys.argv[3]))
d = next(d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == kind and d["metadata"]["name"] == name)
c = next(c for c in d["spec"]["template"]["spec"]["containers"] if c["name"] == sys.argv[2])
env = {}
for e in c["env"]:
    if "valueFrom" in e:
        v = secrets[e["valueFrom"]["secretKeyRef"]["key"]]
    else:
        v = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), e["value"])
    env[e["name"]] = v
env["DATABASE_URL"] = env["DATABASE_URL"].replace("@store-demo-postgresql:5432/", "@127.0.0.1:" + sys.argv[4] + "/")
env["PORT"] = sys.argv[5]
for k, v in env.items():
    print(f"{k}={v}")' "$1" "$2" "$secrets" "$pg_port" "$medusa_port"
}
mapfile -t server_env < <(chart_env Deployment/store-demo-medusa medusa)
mapfile -t setup_env < <(chart_env Job/store-demo-setup-r1 setup)
medusa_binds="$(emptydir "$tmp/medusa-tmp" 1000:1000):/tmp,$(emptydir "$tmp/medusa-dot" 1000:1000):/app/.medusa"
in_medusa() { # VAR=VALUE... -- COMMAND...: in the store image as the chart runs it (uid 1000, /app)
	in_image "$medusa_root" 1000:1000 /app "$medusa_binds" "${medusa_image_env[@]}" "$@"
}
medusa_start() {
	in_medusa "${server_env[@]}" -- medusa start >"$(logpipe 1000 "$tmp/medusa.log")" 2>&1 &
	medusa_ns=$!
	pids+=("$medusa_ns")
}
medusa_pin() { sed -n "s/^ARG $1=//p" "$root/images/medusa/Dockerfile" | head -n1; }
node_is_pinned() { [ "$(in_medusa -- node --version)" = "v$(medusa_pin NODE_VERSION)" ]; }
medusa_is_pinned() { # the package the server runs, the CLI, the Dockerfile's pin and the chart's tag
	local pkg cli
	pkg=$(in_medusa -- node -p 'require("@medusajs/medusa/package.json").version') || return 1
	cli=$(in_medusa -- medusa --version 2>&1) || { echo "$cli"; return 1; }
	if [ "$pkg" != "$(medusa_pin MEDUSA_VERSION)" ] || [ "$medusa_ref" != "store-platform/medusa:$pkg" ] || ! grep -q "$pkg" <<<"$cli"; then
		echo "package $pkg, CLI: $cli, reference $medusa_ref"
		return 1
	fi
}
storefront_ready() { # GET /storefront: 200 with the store's publishable key, region and products
	curl -fsS --max-time 5 "$medusa_url/storefront" >"$tmp/storefront.json" &&
		jq -e '.ready and (.publishable_key | startswith("pk_")) and .currency == "inr" and .products > 0 and
			(.regions | map(.name) | index("India") != null)' "$tmp/storefront.json" >/dev/null
}
medusa_no_secret_in() { # FILE: no value of the Secret in it (names the keys whose value is)
	python3 -c 'import json, sys
text = open(sys.argv[2]).read()
found = [k for k, v in json.load(open(sys.argv[1])).items() if "email" not in k and v in text]
sys.exit("%s: the value of %s" % (sys.argv[2].rsplit("/", 1)[-1], found) if found else 0)' "$secrets" "$1"
}
medusa_setup() { in_medusa "${setup_env[@]}" -- /app/setup.sh >"$tmp/medusa-setup.out" 2>>"$tmp/medusa-setup.log"; }
medusa_order() { # the helm test's command, with its arguments from the chart, against this server
	local args
	mapfile -t args < <(helm template store-demo "$root/charts/medusa" -n store-demo -f "$root/charts/medusa/values-local.yaml" \
		-s templates/tests/test-order.yaml | python3 -c 'import sys, yaml
c = yaml.safe_load(sys.stdin)["spec"]["containers"][0]
print("\n".join(c["command"] + c["args"][1:]))')
	in_medusa -- "${args[0]}" "$medusa_url" "${args[@]:1}" >>"$tmp/medusa-order.log" 2>&1
}

check "medusa: node --version is the Dockerfile's pin (v$(medusa_pin NODE_VERSION)), as uid 1000 on a read-only root" node_is_pinned
check "medusa: Medusa is $(medusa_pin MEDUSA_VERSION) (package, CLI, the image's tag)" medusa_is_pinned
env_complete() { # the chart's environment taken whole: DATABASE_URL composed, no $(VAR) left
	local e
	for e in server_env setup_env; do
		local -n vars=$e
		# shellcheck disable=SC2016 # the kubelet's $(VAR), literally
		if ! printf '%s\n' "${vars[@]}" | grep -q "^DATABASE_URL=postgres://medusa:[A-Za-z0-9]*@127.0.0.1:$pg_port/medusa?sslmode=disable\$" ||
			! printf '%s\n' "${vars[@]}" | grep -q '^JWT_SECRET=.' || printf '%s\n' "${vars[@]}" | grep -qF '$('; then
			echo "$e: $(printf '%s\n' "${vars[@]}" | cut -d= -f1 | tr '\n' ' ')"
			return 1
		fi
	done
}
check "medusa: the chart's environment, with the Secret's values (server ${#server_env[@]}, setup ${#setup_env[@]} variables)" env_complete
timed_check "medusa: the setup Job (/app/setup.sh: migrations, region, tax, products, key, owner) against that PostgreSQL" \
	"$tmp/medusa-setup.log" medusa_setup
check "medusa: the setup prints its result line" grep -q '^setup-result: {' "$tmp/medusa-setup.out"
medusa_start
timed_check "medusa: medusa start answers /health" "$tmp/medusa.log" wait_for 120 curl -fsS -o /dev/null --max-time 2 "$medusa_url/health"
check "medusa: node is PID 1 of its namespace, as uid 1000" is_pid1 "$medusa_ns" node 1000
timed_check "medusa: GET /storefront answers 200 with the publishable key (the store is sellable)" "$tmp/medusa.log" \
	wait_for 30 storefront_ready
timed_check "medusa: the helm test's medusa-order places and checks an order (INR, GST, cash on delivery)" "$tmp/medusa-order.log" medusa_order
sed 's/^/# /' "$tmp/medusa-order.log" | tail -n 8
check "medusa: the setup runs again (idempotent) beside the server" medusa_setup
no_medusa_secret() {
	local f
	for f in "$tmp/medusa.log" "$tmp/medusa-setup.log" "$tmp/medusa-setup.out" "$tmp/medusa-order.log"; do
		medusa_no_secret_in "$f" || return 1
	done
}
check "medusa: no secret in the server's, the setup's or the order's output" no_medusa_secret
(umask 077 && python3 -c 'import json, sys; print("token", json.load(open(sys.argv[1]))["jwt-secret"])' "$secrets" >"$tmp/leak.txt")
check_fails_with "medusa: that check finds a value of the Secret (it can fail)" "leak.txt: the value of \['jwt-secret'\]" \
	medusa_no_secret_in "$tmp/leak.txt"
check "medusa: everything it wrote (/tmp, /app/.medusa) belongs to uid 1000" bash -c \
	"[ -z \"\$(find '$tmp/medusa-tmp' '$tmp/medusa-dot' -not -user 1000 | head -n 5)\" ]"
check "medusa: SIGTERM (the kubelet's, no STOPSIGNAL) stops it promptly" stops_within 15 TERM "$medusa_ns"

# --- the orchestrator ---------------------------------------------------------------------------
orch_root=$(rootfs "$orch_ref") || { echo "not ok - buildah from $orch_ref"; exit 1; }
orch_tmp=$(emptydir "$tmp/orch-tmp" 10001:10001)
check "orchestrator: --help as uid 10001 on a read-only root" \
	in_image "$orch_root" 10001:10001 / "$orch_tmp:/tmp" -- /usr/local/bin/orchestrator --help
check "orchestrator: helm lints the store chart in the image" \
	in_image "$orch_root" 10001:10001 / "$orch_tmp:/tmp" HELM_CACHE_HOME=/tmp/helm HELM_CONFIG_HOME=/tmp/helm -- \
	helm lint /usr/share/store-platform/charts/store --set storeName=demo --set host=demo.localtest.me
check "orchestrator: helm lints the medusa chart in the image" \
	in_image "$orch_root" 10001:10001 / "$orch_tmp:/tmp" HELM_CACHE_HOME=/tmp/helm HELM_CONFIG_HOME=/tmp/helm -- \
	helm lint --strict /usr/share/store-platform/charts/medusa --set storeName=demo --set host=demo.localtest.me
exit 0
