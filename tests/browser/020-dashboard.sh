#!/usr/bin/env bash
# The dashboard in a real browser: Debian's Chromium driven by playwright-core
# (tests/browser/dashboard.test.mjs) against the real orchestrator on the control
# plane, which reconciles the stores the tests create (fixture chart: pods become
# Ready without running). Prints TAP lines; screenshots go to docs/screenshots/.
# A Ready store is checked every 2 s (--health-interval), so the health tests see
# it Degraded and Ready again within seconds of their fault and fix; drift repair is
# off (--drift-interval=0), or it would scale the shop back by itself.
#
# The orchestrator serves the compiled-in dashboard when its copy is the one in
# dashboard/dist (its hashed file names are in the binary), else it is started
# with --dashboard-dir=dashboard/dist.
#
# Environment: SP_ORCHESTRATOR (binary, default orchestrator/build/orchestrator),
# SP_SHOTS (screenshot directory, default docs/screenshots), SP_TEST_KEEP_LOGS.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
here="$root/tests/browser"
orch_bin="${SP_ORCHESTRATOR:-$root/orchestrator/build/orchestrator}"
t_tmp=$(mktemp -d /tmp/sp-browser-XXXXXX)
t_run="ui$((RANDOM % 9000 + 1000))$((RANDOM % 90 + 10))"
t_pid=""
: >"$t_tmp/stores"

t_cleanup() {
	local stores
	mapfile -t stores <"$t_tmp/stores"
	if [ -n "$t_pid" ] && kill -0 "$t_pid" 2>/dev/null; then
		# the orchestrator still runs: let it remove what the stores made
		stores_delete_wait 60 "${stores[@]}"
		kill -TERM "$t_pid" 2>/dev/null
		wait "$t_pid" 2>/dev/null
	fi
	stores_forget "${stores[@]}"
	if [ -n "${SP_TEST_KEEP_LOGS:-}" ]; then
		echo "# logs kept in $t_tmp"
	else
		rm -rf "$t_tmp"
	fi
}
trap t_cleanup EXIT

# --- what the tests need -------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
	echo "not ok - Chromium is installed (make deps installs the Debian package chromium)"
	exit 1
fi
for d in "$root/dashboard" "$here"; do
	if [ ! -d "$d/node_modules" ]; then
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error >"$t_tmp/npm.log" 2>&1) || {
			echo "not ok - npm ci in ${d#"$root"/}"
			sed 's/^/    # /' "$t_tmp/npm.log" | tail -n 20
			exit 1
		}
	fi
done
check "the dashboard builds" bash -c "cd '$root/dashboard' && npm run --silent build >'$t_tmp/build.log' 2>&1 || { cat '$t_tmp/build.log'; exit 1; }"
sed -n 's/^\(dashboard: built.*\|  total.*\)/# \1/p' "$t_tmp/build.log"

orch_prepare "$orch_bin"
if ! grep -q -- '--listen' <<<"$("$orch_bin" --help 2>&1)"; then
	echo "not ok - the orchestrator serves the API (no --listen flag in $orch_bin)"
	exit 1
fi

# --- the orchestrator: API, dashboard and controller ---------------------------------------
user_a="ann-$t_run"
user_b="ben-$t_run"
tok() { od -An -N20 -tx1 /dev/urandom | tr -d ' \n'; }
tok_admin="adm-$(tok)"
tok_a="ann-$(tok)"
tok_b="ben-$(tok)"
cat >"$t_tmp/tokens" <<-TOKENS
	# browser test users of run $t_run
	$tok_admin ops-$t_run admin
	$tok_a $user_a user
	$tok_b $user_b user
TOKENS
chmod 600 "$t_tmp/tokens"

js=$(sed -n 's|.*src="/\(assets/app-[^"]*\.js\)".*|\1|p' "$root/dashboard/dist/index.html")
dash_flags=(--dashboard-dir="$root/dashboard/dist")
mode=dir
if [ -n "$js" ] && grep -qF "$js" "$orch_bin" 2>/dev/null; then
	dash_flags=()
	mode=embedded
fi
echo "# dashboard: $mode"
max_stores=3
orch_launch "$t_tmp/stdout.log" "$t_tmp/stderr.log" \
	--chart-dir="$root/tests/fixtures/charts" \
	--no-leader-elect \
	--controller-class="ui-$$" \
	--provision-timeout=15s \
	--listen=127.0.0.1:0 --tokens-file="$t_tmp/tokens" \
	--max-stores-per-user=$max_stores --rate-user=5 --rate-ip=50 --rate-burst=20 \
	--sse-heartbeat=5s \
	--health-interval=2s \
	--drift-interval=0 \
	"${dash_flags[@]}"
t_pid=$ORCH_PID
port=$(orch_port "$t_tmp/stderr.log" "$t_pid")
if [ -z "$port" ]; then
	echo "not ok - the orchestrator starts and listens"
	tail -n 20 "$t_tmp/stderr.log" | sed 's/^/    # /'
	exit 1
fi
check "the orchestrator is ready" wait_for 20 curl -sf "http://127.0.0.1:$port/readyz"

# --- the browser ------------------------------------------------------------------------------
start=$SECONDS
(cd "$here" && SP_URL="http://127.0.0.1:$port" SP_TOKEN_ADMIN="$tok_admin" SP_TOKEN_A="$tok_a" SP_TOKEN_B="$tok_b" \
	SP_USER_A="$user_a" SP_USER_B="$user_b" SP_MAX_STORES=$max_stores SP_RUN="$t_run" \
	SP_SHOTS="${SP_SHOTS:-$root/docs/screenshots}" SP_STORES_FILE="$t_tmp/stores" SP_DASHBOARD_MODE=$mode \
	node dashboard.test.mjs)
rc=$?
echo "# browser tests took $((SECONDS - start)) s"
if ! kill -0 "$t_pid" 2>/dev/null; then
	echo "not ok - the orchestrator was still running after the browser tests"
	tail -n 20 "$t_tmp/stderr.log" | sed 's/^/    # /'
	rc=1
fi
exit $rc
