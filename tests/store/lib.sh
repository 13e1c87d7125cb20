# shellcheck shell=bash
# A real WooCommerce store on this host, without containers, for the suites in
# tests/store and for `make bench`: MariaDB on a private socket and datadir,
# Apache with mod_php (Debian's, as the image's base) serving WordPress and
# WooCommerce with the chart's own Apache config, and the setup Job's own
# environment, rendered from charts/store by helm. Source after tests/lib.sh.
#
# WordPress and WooCommerce come from the archives in STORE_VENDOR_DIR
# (default ../shared/vendor beside the checkout): wordpress-*.tar.xz|.tar.gz|.zip
# and woocommerce*.tar.xz|.zip. A machine with internet can point it at a
# folder holding the official release archives. Nothing is copied into git.
#
#   store_begin              what a suite does first: store_require, store_up, store_fresh,
#                            and store_down on EXIT
#   store_require            every real component is here, else "not ok" and exit 1
#   store_up                 unpacks the tree, starts MariaDB and Apache (once per suite)
#   store_fresh [VALUES...]  a new empty database and the environment of a new
#                            store (exports the Job's variables; extra helm --set)
#   store_setup [ARGS...]    runs files/setup.php as the shop's user; output in $store_out
#   store_sql SQL            runs SQL in the store's database, prints tab-separated rows
#   store_restart            the shop pod restarting: Apache stops, the document root
#                            is made anew from the archives (an emptyDir filled from
#                            the image), only wp-content/uploads (the PVC) is kept
#   store_is GOT WANT        passes when equal; shows both when not
#   store_down               stops both servers, removes everything (trap it on EXIT)
#
# After store_up: $store_url (http://localhost:PORT), $store_wp (the WordPress
# root), $store_dir. After store_fresh: $store_secrets (the credentials as
# JSON) and every WORDPRESS_*/STORE_*/WP_ADMIN_* variable of the setup Job.
# shellcheck disable=SC2034 # the suites read these

STORE_VENDOR_DIR=${STORE_VENDOR_DIR:-$(cd "$root/.." && pwd)/shared/vendor}
store_dir=
store_url=
store_wp=
store_db=
store_out=
store_secrets=
store_port=
store_php_user=www-data
_store_pids=()

_store_fail() { # message: the suite cannot run; says why and stops
	echo "not ok - $1"
	exit 1
}

_store_archive() { # glob...: the first archive that exists
	local g f
	for g in "$@"; do
		for f in $g; do
			[ -f "$f" ] && { echo "$f"; return 0; }
		done
	done
	return 1
}

store_require() {
	local missing=() c
	for c in php mariadbd mariadb-install-db mariadb apache2 setpriv; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ -f /usr/lib/apache2/modules/libphp8.2.so ] || missing+=("mod_php (libapache2-mod-php)")
	[ ${#missing[@]} -eq 0 ] || _store_fail "a real WooCommerce store needs ${missing[*]} (make deps installs them)"
	local ext
	# shellcheck disable=SC2016 # PHP code, its $ are PHP's
	ext=$(php -r 'foreach (["mysqli", "mbstring", "xml", "gd", "curl", "intl", "zip"] as $e) if (!extension_loaded($e)) echo $e, " ";')
	[ -z "$ext" ] || _store_fail "PHP lacks extensions WordPress or WooCommerce need: $ext(make deps installs them)"
	store_wp_archive=$(_store_archive "$STORE_VENDOR_DIR/wordpress-*.tar.xz" "$STORE_VENDOR_DIR/wordpress-*.tar.gz" "$STORE_VENDOR_DIR/wordpress-*.zip") ||
		_store_fail "no WordPress archive (wordpress-*.tar.xz, .tar.gz or .zip) in STORE_VENDOR_DIR=$STORE_VENDOR_DIR"
	store_wc_archive=$(_store_archive "$STORE_VENDOR_DIR/woocommerce-*.tar.xz" "$STORE_VENDOR_DIR/woocommerce*.zip") ||
		_store_fail "no WooCommerce archive (woocommerce-*.tar.xz or woocommerce*.zip) in STORE_VENDOR_DIR=$STORE_VENDOR_DIR"
	command -v helm >/dev/null 2>&1 || _store_fail "helm is not built (make tools)"
}

_store_unpack() { # archive dir
	# shellcheck disable=SC2016 # PHP code, its $ are PHP's
	case $1 in
	*.zip) php -r '$z = new ZipArchive(); if ($z->open($argv[1]) !== true || !$z->extractTo($argv[2])) exit(1);' -- "$1" "$2" ;;
	*) tar -xf "$1" -C "$2" ;;
	esac
}

_store_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The document root as the image has it: WordPress, WooCommerce, wp-config.php.
_store_docroot() {
	mkdir -p "$store_dir/unpack"
	_store_unpack "$store_wp_archive" "$store_dir/unpack" || _store_fail "cannot unpack $store_wp_archive"
	mv "$store_dir/unpack/wordpress" "$store_wp" || _store_fail "$store_wp_archive has no wordpress/ folder"
	_store_unpack "$store_wc_archive" "$store_wp/wp-content/plugins" || _store_fail "cannot unpack $store_wc_archive"
	[ -f "$store_wp/wp-content/plugins/woocommerce/woocommerce.php" ] || _store_fail "$store_wc_archive has no woocommerce/woocommerce.php"
	rmdir "$store_dir/unpack"
	# The image's wp-config.php: everything from the environment.
	cp "$root/images/wordpress/wp-config.php" "$store_wp/wp-config.php"
	mkdir -p "$store_wp/wp-content/uploads"
	chown -R "$store_php_user:$store_php_user" "$store_wp"
}

store_up() {
	store_dir=$(mktemp -d /tmp/store-test.XXXXXX)
	chmod 0755 "$store_dir"
	mkdir -p "$store_dir/db" "$store_dir/run" "$store_dir/apache/sites"
	store_wp="$store_dir/www"
	_store_docroot

	# MariaDB: its own datadir and socket, no TCP.
	mariadb-install-db --no-defaults --datadir="$store_dir/db/data" --user=root \
		--auth-root-authentication-method=socket --skip-test-db >"$store_dir/db/install.log" 2>&1 ||
		_store_fail "mariadb-install-db failed: $(tail -n 3 "$store_dir/db/install.log")"
	store_db="$store_dir/run/mysqld.sock"
	mariadbd --no-defaults --datadir="$store_dir/db/data" --socket="$store_db" --skip-networking \
		--user=root --pid-file="$store_dir/run/mysqld.pid" --log-error="$store_dir/db/error.log" \
		--innodb-buffer-pool-size=128M --innodb-log-file-size=48M --skip-log-bin 2>>"$store_dir/db/error.log" &
	_store_pids+=($!)
	wait_for 30 mariadb --no-defaults -S "$store_db" -uroot -e 'SELECT 1' ||
		_store_fail "MariaDB did not start: $(tail -n 5 "$store_dir/db/error.log")"
	chmod 0777 "$store_db"

	store_port=$(_store_free_port)
	store_url="http://localhost:$store_port"
}

# The chart's Apache config for this store, on this host: its Listen and
# VirtualHost on $store_port, its document root the unpacked tree; the rest
# of the server as Debian's apache2 with the modules the image enables.
_store_apache_start() {
	local a="$store_dir/apache" mods=/usr/lib/apache2/modules m
	sed -e "s|^Listen 8080$|Listen 127.0.0.1:$store_port|" "$a/ports.conf" >"$a/ports.local.conf"
	sed -e "s|<VirtualHost \*:8080>|<VirtualHost *:$store_port>|" -e "s|/var/www/html|$store_wp|g" \
		-e "s|/proc/self/fd/2|$a/error.log|" -e "s|/proc/self/fd/1|$a/access.log|" \
		"$a/000-default.conf" >"$a/sites/000-default.conf"
	grep -q "Listen 127.0.0.1:$store_port" "$a/ports.local.conf" || _store_fail "the chart's ports.conf has no 'Listen 8080'"
	grep -q "<VirtualHost \*:$store_port>" "$a/sites/000-default.conf" || _store_fail "the chart's site has no <VirtualHost *:8080>"
	{
		echo "ServerRoot /etc/apache2"
		echo "PidFile $store_dir/run/apache.pid"
		echo "DefaultRuntimeDir $store_dir/run"
		echo "Mutex file:$store_dir/run default"
		echo "User $store_php_user"
		echo "Group $store_php_user"
		echo "ServerName localhost"
		for m in mpm_prefork authz_core authz_host dir mime rewrite env setenvif alias headers filter deflate; do
			echo "LoadModule ${m}_module $mods/mod_$m.so"
		done
		echo "LoadModule php_module $mods/libphp8.2.so"
		echo "TypesConfig /etc/mime.types"
		echo "ErrorLog $a/server-error.log"
		echo "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %O\" combined"
		echo "StartServers 2"
		echo "MaxRequestWorkers 8"
		echo "<FilesMatch \"\\.php\$\">"
		echo "  SetHandler application/x-httpd-php"
		echo "</FilesMatch>"
		echo "<Directory />"
		echo "  AllowOverride None"
		echo "  Require all denied"
		echo "</Directory>"
		echo "Include $a/ports.local.conf"
		echo "Include $a/sites/000-default.conf"
	} >"$a/httpd.conf"
	# The shop's PHP sees the store's environment, as in the container.
	# Its own session: on shutdown Apache signals its whole process group.
	setsid apache2 -f "$a/httpd.conf" -DFOREGROUND >"$a/stdout.log" 2>&1 &
	_store_pids+=($!)
	wait_for 15 curl -fsS -o /dev/null "$store_url/wp-includes/images/blank.gif" ||
		_store_fail "Apache did not serve $store_url: $(tail -n 5 "$a/server-error.log" "$a/stdout.log" 2>/dev/null)"
}

_store_rand() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c "${1:-32}"; }

# shellcheck disable=SC2120 # its arguments are optional
store_fresh() {
	local db="store_$RANDOM$RANDOM" k rendered="$store_dir/rendered.yaml"
	# The credentials Secret's keys (charts/engines.yaml), with values of the
	# kinds the orchestrator generates; the admin password also has characters
	# that quoting gets wrong.
	store_secrets="$store_dir/secrets.json"
	{
		printf '{"mariadb-password":"%s","mariadb-root-password":"%s",' "$(_store_rand)" "$(_store_rand)"
		printf '"wordpress-admin-user":"owner","wordpress-admin-email":"owner@example.com",'
		printf '"wordpress-admin-password":"%s"' "$(_store_rand 20)\$'\\\\\\\" %x"
		for k in auth-key secure-auth-key logged-in-key nonce-key auth-salt secure-auth-salt logged-in-salt nonce-salt; do
			printf ',"%s":"%s"' "$k" "$(_store_rand 64)"
		done
		echo '}'
	} >"$store_secrets"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$store_secrets" || _store_fail "the test's credentials are not JSON"
	helm template "store-t$RANDOM" "$root/charts/store" -f "$root/charts/store/values-local.yaml" \
		--set storeName=demo --set host=localhost --set database.name="$db" --set database.user="$db" "$@" \
		>"$rendered" 2>"$store_dir/helm.err" || _store_fail "helm template failed: $(cat "$store_dir/helm.err")"
	python3 "$root/tests/store/lib/chart_env.py" env "$store_secrets" <"$rendered" >"$store_dir/env.sh" ||
		_store_fail "the setup Job's environment could not be read"
	# shellcheck disable=SC1091 # written just above
	. "$store_dir/env.sh"
	# On this host: the database on its socket, the shop on its port.
	export WORDPRESS_DB_HOST="localhost:$store_db"
	export STORE_URL="$store_url"
	WORDPRESS_CONFIG_EXTRA=${WORDPRESS_CONFIG_EXTRA//http:\/\/localhost\'/$store_url\'}
	export WORDPRESS_CONFIG_EXTRA
	export DB_WAIT_INTERVAL=0.2
	mariadb --no-defaults -S "$store_db" -uroot -e "CREATE DATABASE \`$db\`; CREATE USER '$db'@'localhost' IDENTIFIED BY '$WORDPRESS_DB_PASSWORD'; GRANT ALL ON \`$db\`.* TO '$db'@'localhost';" ||
		_store_fail "cannot create database $db"
	if [ ${#_store_pids[@]} -lt 2 ]; then
		python3 "$root/tests/store/lib/chart_env.py" apache "$store_dir/apache" <"$rendered" || _store_fail "the chart's Apache config could not be read"
		_store_apache_start
	fi
}

# Apache's workers are started with the environment of the first store; a
# suite that makes a new store restarts them so PHP sees its variables.
store_restart_apache() {
	_store_apache_stop
	_store_apache_start
}

# Stops Apache and waits until it and its pid file are gone (from the suite's
# own shell: a subshell cannot update the list of servers to stop).
_store_apache_stop() {
	local pid=${_store_pids[1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait_for 20 bash -c "! kill -0 $pid 2>/dev/null && [ ! -e '$store_dir/run/apache.pid' ]" ||
		_store_fail "Apache (pid $pid) did not stop"
	wait "$pid" 2>/dev/null
	unset '_store_pids[1]'
	_store_pids=("${_store_pids[@]}")
}

store_restart() {
	_store_apache_stop
	mv "$store_wp/wp-content/uploads" "$store_dir/uploads.kept"
	rm -rf "$store_wp"
	_store_docroot
	rmdir "$store_wp/wp-content/uploads"
	mv "$store_dir/uploads.kept" "$store_wp/wp-content/uploads"
	_store_apache_start
}

store_setup() {
	store_out="$store_dir/setup.out"
	setpriv --reuid="$store_php_user" --regid="$store_php_user" --clear-groups \
		php "$root/charts/store/files/setup.php" --path "$store_wp" "$@" >"$store_out" 2>&1
}

store_is() {
	[ "$1" = "$2" ] && return 0
	printf 'got:      %s\nexpected: %s\n' "$1" "$2"
	return 1
}

store_sql() {
	mariadb --no-defaults -S "$store_db" -uroot -N -B "$WORDPRESS_DB_NAME" -e "$1"
}

store_begin() {
	store_require
	trap store_down EXIT
	store_up
	# shellcheck disable=SC2119 # a store with the chart's defaults
	store_fresh
}

store_down() {
	local p
	for p in "${_store_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_store_pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -z "$store_dir" ] || rm -rf "$store_dir"
}
