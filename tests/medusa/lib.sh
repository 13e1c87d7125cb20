# shellcheck shell=bash
# A real Medusa v2 store on this host, without containers, for the suites in
# tests/medusa: PostgreSQL and Redis (Debian's) on private ports, sockets and
# data directories in a temporary folder, and our Medusa application
# (engines/medusa/app) with its node_modules from `npm ci` of the committed
# lock, cached under ~/.cache/store-platform/medusa/<hash of the lock>.
# Source after tests/lib.sh.
#
#   medusa_begin            what a suite does first: medusa_require, medusa_up,
#                           and medusa_down on EXIT
#   medusa_require          every real component is here, else "not ok" and exit 1
#   medusa_install          node_modules for the lock (npm ci once per lock, then cached)
#   medusa_up               the app copied to $medusa_dir/app, PostgreSQL and Redis started,
#                           the store's environment exported (DATABASE_URL, REDIS_URL, ...)
#   medusa_exec FILE ARGS   `medusa exec` in the app (output in the caller's redirections)
#   medusa_start            the Medusa server on a free port ($medusa_url), waits for /health;
#                           call it from the suite's shell (not in check's subshell): it sets
#                           $medusa_pid, $medusa_url and $medusa_start_secs
#   medusa_stop             stops it ($medusa_stop_secs, $medusa_stop_how)
#   medusa_rss_kb           the server's resident memory
#   medusa_sql SQL          runs SQL in the store's database, prints unaligned rows
#   medusa_down             stops every server, removes everything (trap it on EXIT)
#
# PostgreSQL and Redis run as an unprivileged user ($medusa_user: nobody when
# root runs the suite, since PostgreSQL refuses root); Medusa runs as the caller,
# who owns the cached node_modules. No credential is put on a command line: they
# live in files of mode 0600 and the environment.
# shellcheck disable=SC2034 # the suites read these

# shellcheck disable=SC2154 # root is tests/lib.sh's
medusa_app_src="$root/engines/medusa/app"
medusa_cache=${STORE_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/store-platform}/medusa
medusa_dir=
medusa_app=
medusa_url=
medusa_pid=
medusa_pg_port=
medusa_redis_port=
medusa_modules=
medusa_install_secs=
medusa_start_secs=
medusa_user=${MEDUSA_TEST_USER:-}
_medusa_pids=()
_medusa_pg_pid=
_medusa_pg_bin=

_medusa_fail() { # message: the suite cannot run; says why and stops
	echo "not ok - $1"
	exit 1
}

_medusa_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_medusa_rand() { head -c 64 /dev/urandom | base64 | tr -d '\n/+=' | head -c "${1:-32}"; }

# _medusa_as CMD...: runs CMD as $medusa_user (or as is, when not root)
_medusa_as() {
	if [ -n "$medusa_user" ]; then
		setpriv --reuid="$(id -u "$medusa_user")" --regid="$(id -g "$medusa_user")" --clear-groups -- "$@"
	else
		"$@"
	fi
}

# _medusa_spawn LOG CMD...: starts the server CMD in the background as $medusa_user, output
# to LOG; its pid (setpriv's, which becomes the server's) joins the servers to stop.
_medusa_spawn() {
	local log=$1
	shift
	if [ -n "$medusa_user" ]; then
		setpriv --reuid="$(id -u "$medusa_user")" --regid="$(id -g "$medusa_user")" --clear-groups -- "$@" >"$log" 2>&1 &
	else
		"$@" >"$log" 2>&1 &
	fi
	_medusa_pids+=($!)
}

_medusa_missing() { # prints what of the real components is not here
	local c
	for c in node npm python3 curl jq bc setpriv redis-server redis-cli psql; do
		command -v "$c" >/dev/null 2>&1 || printf '%s ' "$c"
	done
	local pg
	pg=$(_medusa_pg_dir)
	[ -n "$pg" ] && [ -x "$pg/initdb" ] && [ -x "$pg/postgres" ] ||
		printf '%s ' "PostgreSQL's initdb and postgres (postgresql)"
}

# Debian's PostgreSQL server programs (the newest installed major version)
_medusa_pg_dir() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }

medusa_require() {
	local missing v
	missing=$(_medusa_missing)
	if [ -n "$missing" ]; then
		# The Debian packages of tools/debian-packages.txt (postgresql, redis-server, ...),
		# installed as `make deps` does; quiet when nothing is missing.
		"$root/scripts/deps.sh" >"${TMPDIR:-/tmp}/medusa-deps.$$.log" 2>&1 ||
			echo "# scripts/deps.sh failed: $(tail -n 3 "${TMPDIR:-/tmp}/medusa-deps.$$.log")"
		rm -f "${TMPDIR:-/tmp}/medusa-deps.$$.log"
		missing=$(_medusa_missing)
	fi
	[ -z "$missing" ] || _medusa_fail "a real Medusa store needs ${missing% } (tools/debian-packages.txt; Node.js 20.19+ with npm)"
	_medusa_pg_bin=$(_medusa_pg_dir)
	v=$(node -p 'process.versions.node')
	node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)' ||
		_medusa_fail "Medusa 2 needs Node.js ^20.19 or >=22.12, this is $v"
	[ -f "$medusa_app_src/package-lock.json" ] || _medusa_fail "no package-lock.json in $medusa_app_src"
	if [ "$(id -u)" -eq 0 ] && [ -z "$medusa_user" ]; then
		medusa_user=nobody
	fi
	[ -z "$medusa_user" ] || id "$medusa_user" >/dev/null 2>&1 || _medusa_fail "no user $medusa_user to run the servers as"
}

# node_modules for the committed lock: `npm ci` (nothing but the lock's packages,
# no install scripts beyond theirs) into the cache, once per lock and Node.js major.
medusa_install() {
	local key start tmp
	key=$( (sha256sum "$medusa_app_src/package-lock.json" | cut -c1-16; node -p 'process.versions.node.split(".")[0]') | tr '\n' - | sed 's/-$//')
	medusa_modules="$medusa_cache/$key/node_modules"
	if [ -d "$medusa_modules/@medusajs/medusa" ] && [ -f "$medusa_cache/$key/.complete" ]; then
		medusa_install_secs=cached
		return 0
	fi
	mkdir -p "$medusa_cache"
	tmp=$(mktemp -d "$medusa_cache/.install.XXXXXX")
	cp "$medusa_app_src/package.json" "$medusa_app_src/package-lock.json" "$tmp/"
	start=$(date +%s.%N)
	(cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error --update-notifier=false) >"$tmp/npm.log" 2>&1 || {
		local why
		why=$(tail -n 5 "$tmp/npm.log")
		rm -rf "$tmp"
		_medusa_fail "npm ci of engines/medusa/app/package-lock.json failed: $why"
	}
	medusa_install_secs=$(echo "$(date +%s.%N) - $start" | bc)
	rm -rf "${medusa_cache:?}/$key"
	touch "$tmp/.complete"
	mv "$tmp" "$medusa_cache/$key"
}

_medusa_pg_up() {
	local d="$medusa_dir/pg" pw
	mkdir -p "$d/data" "$d/run"
	pw=$(_medusa_rand)
	printf '%s\n' "$pw" >"$d/pwfile"
	chmod 0600 "$d/pwfile"
	[ -z "$medusa_user" ] || chown -R "$medusa_user" "$d"
	_medusa_as "$_medusa_pg_bin/initdb" -D "$d/data" -U postgres --pwfile="$d/pwfile" \
		--auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$d/initdb.log" 2>&1 ||
		_medusa_fail "initdb failed: $(tail -n 3 "$d/initdb.log")"
	medusa_pg_port=$(_medusa_free_port)
	_medusa_spawn "$d/server.log" "$_medusa_pg_bin/postgres" -D "$d/data" -p "$medusa_pg_port" -k "$d/run" \
		-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
		-c shared_buffers=64MB -c max_connections=50
	_medusa_pg_pid=${_medusa_pids[-1]}
	# The superuser's password for psql, in a file only we read.
	printf '127.0.0.1:%s:*:postgres:%s\n' "$medusa_pg_port" "$pw" >"$medusa_dir/pgpass"
	chmod 0600 "$medusa_dir/pgpass"
	export PGPASSFILE="$medusa_dir/pgpass"
	wait_for 30 psql -h 127.0.0.1 -p "$medusa_pg_port" -U postgres -d postgres -Atqc 'SELECT 1' ||
		_medusa_fail "PostgreSQL did not start: $(tail -n 5 "$d/server.log")"
	# The store's own role and database, as the chart will make them.
	local dbpw
	dbpw=$(_medusa_rand)
	psql -h 127.0.0.1 -p "$medusa_pg_port" -U postgres -d postgres -qv ON_ERROR_STOP=1 \
		-v pw="$dbpw" >/dev/null 2>"$d/create.err" <<-'EOF' || _medusa_fail "cannot create the store's database: $(cat "$d/create.err")"
		CREATE ROLE medusa LOGIN PASSWORD :'pw';
		CREATE DATABASE medusa OWNER medusa;
	EOF
	export DATABASE_URL="postgres://medusa:$dbpw@127.0.0.1:$medusa_pg_port/medusa"
	medusa_secret_values+=("$pw" "$dbpw")
}

_medusa_redis_up() {
	local d="$medusa_dir/redis" pw
	mkdir -p "$d"
	pw=$(_medusa_rand)
	medusa_redis_port=$(_medusa_free_port)
	{
		echo "bind 127.0.0.1"
		echo "port $medusa_redis_port"
		echo "unixsocket $d/redis.sock"
		echo "dir $d"
		echo 'save ""'
		echo "appendonly no"
		echo "daemonize no"
		echo "logfile $d/redis.log"
		echo "requirepass $pw"
	} >"$d/redis.conf"
	chmod 0600 "$d/redis.conf"
	[ -z "$medusa_user" ] || chown -R "$medusa_user" "$d"
	_medusa_spawn "$d/stdout.log" redis-server "$d/redis.conf"
	export REDISCLI_AUTH="$pw"
	wait_for 15 redis-cli -h 127.0.0.1 -p "$medusa_redis_port" ping ||
		_medusa_fail "Redis did not start: $(tail -n 5 "$d/redis.log" 2>/dev/null)"
	export REDIS_URL="redis://:$pw@127.0.0.1:$medusa_redis_port"
	medusa_secret_values+=("$pw")
}

# The app as the image will have it: our sources beside the cached node_modules.
_medusa_app_copy() {
	medusa_app="$medusa_dir/app"
	mkdir -p "$medusa_app"
	cp -R "$medusa_app_src/package.json" "$medusa_app_src/package-lock.json" "$medusa_app_src/tsconfig.json" \
		"$medusa_app_src/medusa-config.ts" "$medusa_app_src/setup.sh" "$medusa_app_src/src" "$medusa_app/"
	ln -s "$medusa_modules" "$medusa_app/node_modules"
}

medusa_secret_values=()
medusa_up() {
	medusa_dir=$(mktemp -d /tmp/medusa-test.XXXXXX)
	chmod 0755 "$medusa_dir"
	medusa_install
	_medusa_app_copy
	_medusa_pg_up
	_medusa_redis_up
	# The store's credentials Secret, as the orchestrator makes it.
	export JWT_SECRET COOKIE_SECRET MEDUSA_ADMIN_EMAIL MEDUSA_ADMIN_PASSWORD
	JWT_SECRET=$(_medusa_rand 64)
	COOKIE_SECRET=$(_medusa_rand 64)
	MEDUSA_ADMIN_EMAIL=owner@example.com
	# with characters that quoting gets wrong
	MEDUSA_ADMIN_PASSWORD="$(_medusa_rand 20)\$'\\\" %x"
	medusa_secret_values+=("$JWT_SECRET" "$COOKIE_SECRET" "$MEDUSA_ADMIN_PASSWORD")
	export NODE_ENV=development MEDUSA_DISABLE_TELEMETRY=true DO_NOT_TRACK=1
	export npm_config_update_notifier=false
}

medusa_exec() { # FILE ARGS...
	local f=$1
	shift
	(cd "$medusa_app" && node_modules/.bin/medusa exec "$f" "$@")
}

medusa_start() {
	local port start
	port=$(_medusa_free_port)
	medusa_url="http://127.0.0.1:$port"
	start=$(date +%s.%N)
	# Its own session, so stopping it stops every process it started.
	(cd "$medusa_app" && PORT=$port exec setsid node_modules/.bin/medusa start --port "$port" --host 127.0.0.1) \
		>"$medusa_dir/server.log" 2>&1 &
	medusa_pid=$!
	_medusa_pids+=("$medusa_pid")
	local i
	for ((i = 0; i < 240; i++)); do
		curl -fsS -o /dev/null --max-time 2 "$medusa_url/health" 2>/dev/null && break
		kill -0 "$medusa_pid" 2>/dev/null || { echo "the server exited: $(tail -n 20 "$medusa_dir/server.log")"; return 1; }
		sleep 0.5
	done
	curl -fsS -o /dev/null --max-time 2 "$medusa_url/health" || { echo "no answer on $medusa_url/health in 120 s: $(tail -n 20 "$medusa_dir/server.log")"; return 1; }
	medusa_start_secs=$(echo "$(date +%s.%N) - $start" | bc)
}

# The server's resident memory in kB: every process of its session (medusa start and
# whatever it forks).
medusa_rss_kb() {
	local p total=0 r
	for p in $(pgrep -s "$medusa_pid" 2>/dev/null); do
		r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${r:-0}))
	done
	echo "$total"
}

# Stops the server: SIGTERM to its session, then SIGKILL after 20 s. Sets
# medusa_stop_secs (how long it took to go) and medusa_stop_how (term|kill).
medusa_stop_secs=
medusa_stop_how=
medusa_stop() {
	[ -n "$medusa_pid" ] || return 0
	local start=$SECONDS
	kill -TERM -- "-$medusa_pid" 2>/dev/null
	if wait_for 20 bash -c "! kill -0 -- -$medusa_pid 2>/dev/null" >/dev/null 2>&1; then
		medusa_stop_how="term"
	else
		medusa_stop_how="kill"
		kill -KILL -- "-$medusa_pid" 2>/dev/null
	fi
	wait "$medusa_pid" 2>/dev/null
	medusa_stop_secs=$((SECONDS - start))
	medusa_pid=
}

medusa_sql() {
	psql -h 127.0.0.1 -p "$medusa_pg_port" -U postgres -d medusa -AtqX -F '|' -v ON_ERROR_STOP=1 -c "$1"
}

# leaks FILE: prints how many of the test's secret values appear in FILE (0 is good)
medusa_leaks() {
	local v n=0
	for v in "${medusa_secret_values[@]}"; do
		[ -n "$v" ] && grep -qF -- "$v" "$1" && n=$((n + 1))
	done
	echo "$n"
}

medusa_begin() {
	medusa_require
	trap medusa_down EXIT
	medusa_up
}

medusa_down() {
	local p
	medusa_stop
	# PostgreSQL: a fast shutdown (SIGINT; SIGTERM would wait for every client to leave).
	[ -z "$_medusa_pg_pid" ] || kill -INT "$_medusa_pg_pid" 2>/dev/null
	for p in "${_medusa_pids[@]}"; do [ "$p" = "$_medusa_pg_pid" ] || kill "$p" 2>/dev/null; done
	for p in "${_medusa_pids[@]}"; do
		wait_for 20 bash -c "! kill -0 $p 2>/dev/null" >/dev/null 2>&1 || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_medusa_pids=()
	_medusa_pg_pid=
	[ -z "$medusa_dir" ] || rm -rf "$medusa_dir"
}
