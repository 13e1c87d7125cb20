# shellcheck shell=bash
# Shared helpers for the shell test suites. Source it; it prints TAP lines
# ("ok - name" / "not ok - name") that tests/run.sh counts.
#
#   check "name" command args...     passes when the command exits 0
#   check_not "name" command args... passes when the command exits non-zero
#   check_fails_with "name" REGEX command args...
#                                    passes when the command exits non-zero and
#                                    its output matches REGEX (grep -E): refused
#                                    for the expected reason, not any reason
#   wait_for SECONDS command args... retries every 0.5 s until success or time out
# The output of a failing command is shown indented under its "not ok" line.
# Each returns the check's status (0 passed, 1 failed), so `check … && next`
# runs next only when the check passed.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KUBECONFIG="${KUBECONFIG:-$root/.cluster/kubeconfig}"
PATH="$("$root/scripts/tools.sh" --dir):$PATH"
export PATH


_t_report() { # status name output
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		[ -z "$3" ] || printf '%s\n' "$3" | tail -n 20 | sed 's/^/    # /'
	fi
	[ "$1" -eq 0 ]
}

check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	_t_report "$rc" "$name" "$out"
}

check_not() {
	local name=$1 out rc
	shift
	if out=$("$@" 2>&1); then rc=1; out="expected failure, but it succeeded: $out"; else rc=0; fi
	_t_report "$rc" "$name" "$out"
}

check_fails_with() {
	local name=$1 re=$2 out rc
	shift 2
	if out=$("$@" 2>&1); then
		rc=1; out="expected failure, but it succeeded: $out"
	elif printf '%s\n' "$out" | grep -qE -- "$re"; then
		rc=0
	else
		rc=1; out="failed, but not with /$re/: $out"
	fi
	_t_report "$rc" "$name" "$out"
}

wait_for() {
	local secs=$1 deadline
	shift
	deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $deadline ]; then
			"$@"
			return 1
		fi
		sleep 0.5
	done
}

# A namespace of its own for each test, removed by cleanup_ns (trap it on EXIT).
# new_ns runs in $(...), a subshell, so the names are kept in a file.
t_ns_file=$(mktemp)
new_ns() {
	local ns="t-$1-$RANDOM"
	kubectl create namespace "$ns" >/dev/null
	echo "$ns" >>"$t_ns_file"
	echo "$ns"
}
cleanup_ns() {
	local ns
	while read -r ns; do
		kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true
	done <"$t_ns_file"
	rm -f "$t_ns_file"
}

# Removing what a suite's Stores made, the one way for the integration, API and browser suites:
# stores_delete_wait SECONDS NAME...   delete each Store and wait (each up to SECONDS) for
#                                      its controller, still running, to remove it
# stores_forget NAME...                drop each Store's finalizer, delete it and its
#                                      namespace store-NAME without waiting (no controller
#                                      needed): nothing a failed test made stays behind
stores_delete_wait() {
	local secs=$1 s
	shift
	for s in "$@"; do
		[ -n "$s" ] && kubectl delete store "$s" --wait=false --ignore-not-found >/dev/null 2>&1
	done
	for s in "$@"; do
		[ -n "$s" ] && wait_for "$secs" bash -c "! kubectl get store '$s' >/dev/null 2>&1" >/dev/null 2>&1
	done
	return 0
}
stores_forget() {
	local s
	for s in "$@"; do
		[ -n "$s" ] || continue
		kubectl patch store "$s" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
		kubectl delete store "$s" --wait=false --ignore-not-found >/dev/null 2>&1
		kubectl delete namespace "store-$s" --wait=false --ignore-not-found >/dev/null 2>&1
	done
	return 0
}

# What every suite that runs the real orchestrator needs first: the binary
# (built when missing; the suite ends with "not ok" if it does not build) and
# the Store CRD installed and established.
orch_prepare() { # BINARY
	if [ ! -x "$1" ]; then
		make -s -C "$root/orchestrator" >/dev/null 2>&1 || {
			echo "not ok - the orchestrator builds"
			exit 1
		}
	fi
	kubectl apply -f "$root/charts/platform/crds/stores.yaml" >/dev/null
	kubectl wait --for=condition=Established crd/stores.storeplatform.dev --timeout=30s >/dev/null
}

# The one launcher of the real orchestrator for the integration, API and browser suites:
# orch_launch OUT ERR FLAG...  starts $orch_bin in the background with what every suite
#                              gives it (the engine table, helm from PATH, values files in
#                              $t_tmp, no storefront check, 500 ms poll and back-off, 10 s
#                              resync) and then the suite's own flags (a later flag wins);
#                              stdout to OUT, stderr (the log) to ERR; sets ORCH_PID
orch_launch() {
	local out=$1 err=$2
	shift 2
	# shellcheck disable=SC2154 # orch_bin and t_tmp are the suite's
	"$orch_bin" \
		--engines-file="$root/charts/engines.yaml" \
		--helm="$(command -v helm)" \
		--tmpdir="$t_tmp" \
		--no-storefront-check \
		--poll-interval=500ms --resync=10s --backoff=500ms --backoff-max=5s \
		"$@" >"$out" 2>"$err" &
	# shellcheck disable=SC2034 # the suite reads it
	ORCH_PID=$!
}

# Prints the port an orchestrator started with --listen=HOST:0 reports in its
# log ("API listening on ... (port N)"); waits up to 10 s, or until PID exits.
# Prints nothing and fails when no port appeared.
orch_port() { # LOGFILE [PID]
	local port
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*API listening on .* (port \([0-9]*\)).*/\1/p' "$1" 2>/dev/null | head -n1)
		[ -n "$port" ] && { echo "$port"; return 0; }
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Chaos and integration invariants about stores (kubectl and helm on the current cluster):
# installed_once STORE...   each store's release has exactly one revision and no pending record
# no_orphans PREFIX         no store namespace, PVC or helm release whose store name starts with
#                           PREFIX is left without its Store (prints the first orphan)
installed_once() {
	local s n
	for s in "$@"; do
		n=$(helm history "store-$s" -n "store-$s" -o json 2>/dev/null | jq length)
		[ "$n" = 1 ] || { echo "$s: $n revisions: $(helm history "store-$s" -n "store-$s" 2>&1)"; return 1; }
		! kubectl get secrets -n "store-$s" -l owner=helm -o jsonpath='{.items[*].metadata.labels.status}' |
			grep -q pending || { echo "$s: a pending helm record"; return 1; }
	done
}
no_orphans() {
	local p=$1 s
	for s in $(kubectl get ns -o name | sed -n "s|^namespace/store-\($p.*\)|\1|p"); do
		kubectl get store "$s" >/dev/null 2>&1 || { echo "orphan namespace store-$s"; return 1; }
	done
	for s in $(kubectl get pvc -A -o jsonpath='{range .items[*]}{.metadata.namespace}{"\n"}{end}' | sed -n "s|^store-\($p.*\)|\1|p" | sort -u); do
		kubectl get store "$s" >/dev/null 2>&1 || { echo "orphan PVC in store-$s"; return 1; }
	done
	for s in $(helm list -A -q | sed -n "s|^store-\($p.*\)|\1|p"); do
		kubectl get store "$s" >/dev/null 2>&1 || { echo "orphan release store-$s"; return 1; }
	done
}
