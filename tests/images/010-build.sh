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
#   - the orchestrator's binary and helm start.
# A missing tool or archive fails the suite (it is never skipped). As root.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d /tmp/images-test.XXXXXX)
chmod 0755 "$tmp"
pids=()
containers=()
cleanup() { # every namespace's PID 1 (which ends the namespace), the log readers, the containers
	local p u c
	for p in "${pids[@]}"; do
		for u in $(pgrep -P "$p" -x unshare); do
			for c in $(pgrep -P "$u"); do kill -KILL "$c" 2>/dev/null; done
		done
	done
	[ ! -f "$tmp/readers" ] || while read -r p; do kill "$p" 2>/dev/null; done <"$tmp/readers"
	wait 2>/dev/null
	for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1; done
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
all_reused() {
	[ "$(grep -c '^images: reused ' <<<"$warm_out")" -eq 4 ] || { echo "$warm_out"; return 1; }
	[ "$warm" -le 10 ]
}
check "a second run reuses the base and the three images, in seconds (${warm}s)" all_reused

mapfile -t refs < <("$root/scripts/images.sh" --list)
wp_ref=${refs[0]} db_ref=${refs[1]} orch_ref=${refs[2]}
pinned() {
	local r
	[ ${#refs[@]} -eq 3 ] || return 1
	for r in "${refs[@]}"; do [[ $r =~ ^store-platform/[a-z]+:[0-9][A-Za-z0-9._-]*$ ]] || { echo "$r"; return 1; }; done
}
check "--list: three pinned references (${refs[*]}), none latest" pinned

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
check "charts/platform values.yaml: image is $orch_ref" is_image "$root/charts/platform/values.yaml" image "$orch_ref" "$app_version"
from_debian_only() {
	local f
	for f in "$root"/images/*/Dockerfile; do
		grep -q '^FROM ' "$f" || return 1
		! grep '^FROM ' "$f" | grep -vE '^FROM debian:bookworm-slim( AS [a-z]+)?$' || return 1
	done
}
check "every Dockerfile is FROM debian:bookworm-slim only" from_debian_only

# --- running an image as the kubelet would ------------------------------------------------------
# rootfs of a new container of an image (buildah from + mount); removed on exit.
rootfs() {
	local c
	c=$(buildah from --pull=never "docker.io/$1") || return 1
	containers+=("$c")
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
html=$(emptydir "$tmp/html" 33:33) uploads=$(emptydir "$tmp/uploads" 33:33) wptmp=$(emptydir "$tmp/wp-tmp" 33:33)
wp_binds="$html:/var/www/html,$uploads:/var/www/html/wp-content/uploads,$wptmp:/tmp"
wp_binds+=",$(emptydir "$tmp/apache-run" 33:33):/var/run/apache2,$(emptydir "$tmp/apache-lock" 33:33):/var/lock/apache2"
wp_binds+=",$apache/ports.conf:/etc/apache2/ports.conf,$apache/sites:/etc/apache2/sites-enabled"
install -d -o 33 -g 33 "$html/wp-content" "$html/wp-content/uploads" # the kubelet's mount point of the uploads volume
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
wp_installed() { [ -f "$html/wp-content/plugins/woocommerce/woocommerce.php" ] && cmp -s "$html/wp-config.php" "$root/images/wordpress/wp-config.php"; }
# PHP, its extensions and the database: before setup WordPress sends a visitor to its installer.
to_installer() { curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$wp_url/wp-login.php" | grep -E '^302 .*/wp-admin/install\.php'; }
no_version() {
	local h
	h=$(curl -fsSI "$wp_url/wp-includes/version.php") && grep -qi '^server: apache' <<<"$h" && ! grep -iE '^(server: .*[0-9]|x-powered-by)' <<<"$h"
}
stopsignal() { [ "$(buildah inspect --type image --format '{{.OCIv1.Config.StopSignal}}' "docker.io/$wp_ref")" = SIGWINCH ]; }
copied_once() { [ "$(grep -c 'WordPress copied' "$tmp/wp.log")" -eq 1 ]; }
only_www_data() { [ -z "$(find "$html" "$uploads" -not -user 33 | head -n 5)" ]; }

wp_start
timed_check "shop: WordPress copied into the empty document root, served on the chart's port" \
	"$tmp/wp.log" wait_for 30 curl -fsS -o /dev/null "$wp_url/wp-includes/version.php"
check "shop: apache2 is PID 1 of its namespace, all of Apache as uid 33" is_pid1 "$wp_ns" apache2 33
check "shop: WooCommerce and the project's wp-config.php are in the document root" wp_installed
check "shop: PHP reaches the database (wp-login.php redirects to the installer)" to_installer
check "shop: Apache names no version" no_version
check "shop: the access log goes to stdout" grep -q '"GET /wp-login.php' "$tmp/wp.log"
check "shop: everything it wrote belongs to www-data" only_www_data
check "shop: its STOPSIGNAL is SIGWINCH" stopsignal
check "shop: SIGWINCH (Apache's graceful stop) stops it promptly" stops_within 12 WINCH "$wp_ns"
wp_start
timed_check "shop: serves again after a restart" "$tmp/wp.log" wait_for 30 curl -fsS -o /dev/null "$wp_url/wp-includes/version.php"
check "shop: a restart keeps the document root, copies nothing" copied_once
check "shop: SIGTERM stops it promptly" stops_within 5 TERM "$wp_ns"
# The setup Job as the chart runs it (files/setup.php, its own empty document root, the shop's
# uploads volume), then the shop again, and the chart's helm test (files/order.sh) in the image:
# an order placed with Cash on Delivery, in INR, with its GST line.
setup_html=$(emptydir "$tmp/setup-html" 33:33)
install -d -o 33 -g 33 "$setup_html/wp-content" "$setup_html/wp-content/uploads"
setup_env=("${wp_env[@]}" WP_ADMIN_USER=admin WP_ADMIN_PASSWORD="$(rand)" WP_ADMIN_EMAIL=owner@example.com
	STORE_URL="$wp_url" STORE_TITLE="Image test" STORE_COUNTRY=IN STORE_STATE=KA STORE_CITY=Bengaluru
	STORE_ADDRESS="1 MG Road" STORE_POSTCODE=560001 STORE_CURRENCY=INR STORE_TAX_RATE=18 STORE_TAX_NAME=GST
	STORE_SAMPLE_PRODUCTS=yes DB_WAIT_SECONDS=60)
setup_job() {
	in_image "$wp_root" 33:33 /var/www/html \
		"$setup_html:/var/www/html,$uploads:/var/www/html/wp-content/uploads,$wptmp:/tmp,$root/charts/store/files:/opt/scripts" \
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

# The setup Job's command: WordPress into an empty working directory, then the command itself.
job_html=$(emptydir "$tmp/job-html" 33:33)
# shellcheck disable=SC2016 # PHP code
check "shop: the setup Job's entry point copies WordPress in, then runs PHP with WordPress loaded" \
	in_image "$wp_root" 33:33 /var/www/html "$job_html:/var/www/html,$wptmp:/tmp" "${wp_env[@]}" -- \
	store-entrypoint.sh php -r 'define("WP_INSTALLING", true); require "wp-load.php"; if (get_bloginfo("version") !== "7.0" || !class_exists("mysqli")) exit(1);'
for e in bash curl jq php; do
	check "shop: the helm test has $e" in_image "$wp_root" 33:33 / "" -- sh -c "command -v $e"
done

# --- the orchestrator ---------------------------------------------------------------------------
orch_root=$(rootfs "$orch_ref") || { echo "not ok - buildah from $orch_ref"; exit 1; }
orch_tmp=$(emptydir "$tmp/orch-tmp" 10001:10001)
check "orchestrator: --help as uid 10001 on a read-only root" \
	in_image "$orch_root" 10001:10001 / "$orch_tmp:/tmp" -- /usr/local/bin/orchestrator --help
check "orchestrator: helm lints the store chart in the image" \
	in_image "$orch_root" 10001:10001 / "$orch_tmp:/tmp" HELM_CACHE_HOME=/tmp/helm HELM_CONFIG_HOME=/tmp/helm -- \
	helm lint /usr/share/store-platform/charts/store --set storeName=demo --set host=demo.localtest.me
exit 0
