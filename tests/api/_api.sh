# shellcheck shell=bash
# Helpers for the API tests: source it after tests/lib.sh. Each test starts the real
# orchestrator binary on a port of its own (--listen=127.0.0.1:0, the port read from its log)
# with a tokens file of three users, talks to it with curl, and on exit stops it and deletes
# every Store it created (tracked in $t_tmp/stores), with any namespace left behind.
#
#   api_start [--controller] [flags...]   start; without --controller the replica serves the
#                                 API only: it competes for a Lease held by nobody, so it never
#                                 reconciles (nothing else in the cluster is touched)
#   req METHOD PATH TOKEN [BODY]  one request; sets STATUS and BODY (no subshell)
#   expect STATUS METHOD PATH TOKEN [BODY]   succeeds when the answer has that status
#   expect_json STATUS JQ METHOD PATH TOKEN [BODY]   ... and the body satisfies jq -e JQ
#   track NAME                    remember a store name for cleanup
#   alive                         the server still answers /healthz
# Tokens: $ALICE (admin), $BOB and $CAROL (users).

# shellcheck disable=SC2154 # root comes from tests/lib.sh
orch_bin="${SP_TEST_ORCHESTRATOR:-$root/orchestrator/build/orchestrator}"
t_tmp=$(mktemp -d /tmp/sp-api-XXXXXX)
t_run="a$RANDOM$RANDOM"
t_pid=""
t_lease="sp-api-$t_run"
: >"$t_tmp/stores"

orch_prepare "$orch_bin"

ALICE="alice-$(openssl rand -hex 16)"
BOB="bob-$(openssl rand -hex 16)"
CAROL="carol-$(openssl rand -hex 16)"
U_ALICE="alice-$t_run"
U_BOB="bob-$t_run"
U_CAROL="carol-$t_run"
cat >"$t_tmp/tokens" <<-TOKENS
	# test users of run $t_run
	$ALICE $U_ALICE admin
	$BOB $U_BOB user
	$CAROL $U_CAROL user
TOKENS

api_start() {
	local controller=0
	if [ "${1:-}" = "--controller" ]; then
		controller=1
		shift
	fi
	if [ $controller -eq 0 ]; then
		kubectl apply -f - >/dev/null <<-YAML
			apiVersion: coordination.k8s.io/v1
			kind: Lease
			metadata: {name: $t_lease, namespace: default}
			spec:
			  holderIdentity: nobody
			  leaseDurationSeconds: 3600
			  renewTime: "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)"
		YAML
	fi
	orch_launch "$t_tmp/stdout.log" "$t_tmp/stderr.log" \
		--chart-dir="$root/tests/fixtures/charts" \
		--leader-elect-namespace=default --leader-elect-lease="$t_lease" \
		--leader-elect-identity="api-$t_run" \
		--lease-duration=4s --lease-renew-deadline=3s --lease-retry=500ms \
		--listen=127.0.0.1:0 --tokens-file="$t_tmp/tokens" \
		--audit-file="$t_tmp/audit.log" \
		--controller-class="api-$t_run" \
		"$@"
	t_pid=$ORCH_PID
	API_PORT=$(orch_port "$t_tmp/stderr.log" "$t_pid")
	API="http://127.0.0.1:$API_PORT"
	wait_for 10 curl -sf "$API/readyz" >/dev/null
}

# req METHOD PATH TOKEN [BODY]
req() {
	local method=$1 path=$2 token=$3 args=()
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	STATUS=$(curl -s -o "$t_tmp/body" -D "$t_tmp/headers" -w '%{http_code}' -X "$method" \
		"${args[@]}" --path-as-is "$API$path")
	BODY=$(cat "$t_tmp/body")
}

expect() {
	local want=$1
	shift
	req "$@"
	if [ "$STATUS" != "$want" ]; then
		echo "expected $want, got $STATUS: $BODY"
		return 1
	fi
}

expect_json() {
	local want=$1 filter=$2
	shift 2
	expect "$want" "$@" || return 1
	jq -e "$filter" <<<"$BODY" >/dev/null || {
		echo "body does not satisfy $filter: $BODY"
		return 1
	}
}

# An error answer of the documented shape with this code (and field, when given).
expect_error() {
	local want=$1 code=$2 field=$3
	shift 3
	expect_json "$want" ".error.code == \"$code\" and (.error.message | length > 0) and (\"$field\" == \"-\" or .error.field == \"$field\")" "$@"
}

track() { echo "$1" >>"$t_tmp/stores"; }
alive() { curl -sf "$API/healthz" >/dev/null; }
header() { grep -i "^$1:" "$t_tmp/headers" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
store_gone() { ! kubectl get store "$1" >/dev/null 2>&1; }

t_cleanup() {
	local stores
	mapfile -t stores <"$t_tmp/stores"
	# with a controller running, let it remove its releases and namespaces
	if [ -n "$t_pid" ] && kill -0 "$t_pid" 2>/dev/null; then
		stores_delete_wait 60 "${stores[@]}"
	fi
	if [ -n "$t_pid" ]; then
		kill -TERM "$t_pid" 2>/dev/null
		wait "$t_pid" 2>/dev/null
	fi
	stores_forget "${stores[@]}"
	kubectl delete lease -n default "$t_lease" --ignore-not-found >/dev/null 2>&1
	if [ -n "${SP_TEST_KEEP_LOGS:-}" ]; then
		echo "# logs kept in $t_tmp"
	else
		rm -rf "$t_tmp"
	fi
}
trap t_cleanup EXIT
