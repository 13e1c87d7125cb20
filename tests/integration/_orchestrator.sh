# shellcheck shell=bash
# Helpers for the orchestrator's integration tests: source it after tests/lib.sh.
# Each test starts the real binary (orchestrator/build/orchestrator) against the control
# plane with short timings, creates Stores labelled with its own run id, and on exit stops
# its orchestrators, deletes its Stores and removes anything they left.
#
#   orch_start NAME [flags...]   start a replica (log in $t_tmp/NAME.log); sets ORCH_PID
#   orch_kill PID                kill -9 a replica and the helm process groups it started
#                                (as a pod kill would), then wait for it
#   orch_stop PID                SIGTERM and wait
#   store_apply NAME [size]      kubectl apply a Store owned by "tester"
#   store_phase NAME             prints status.phase
#   store_is NAME PHASE          succeeds when the store is in PHASE
#   release_revisions NAME       how many revisions helm history shows for store-NAME
#   real_node_ready SOCK         the real node runs and its containerd (SOCK) holds the store
#                                images; prints ok, or not ok naming what is missing and fails
#
# The orchestrator runs as the platform's ServiceAccount with exactly the chart's RBAC and
# admission policy (scripts/dev-credentials.sh, as `make dev` does), so every test also proves
# the least-privilege permissions suffice; SP_TEST_AS=admin uses the admin kubeconfig instead.
# Each run labels its Stores with its own controller class and starts its orchestrators with
# that --controller-class, so tests and any other orchestrator on the same control plane never
# reconcile each other's Stores.
# SP_TEST_ORCHESTRATOR=path runs another build (e.g. orchestrator/build/asan/orchestrator).
# SP_TEST_CHART=fixture|real picks the chart behind the woocommerce engine: the minimal
# tests/fixtures/charts/store or the real charts/store (the default). The real chart must
# pass `helm lint --strict` first: when it does not, that is a "not ok" and the suite stops,
# rather than quietly testing the fixture in its place.

# shellcheck disable=SC2154 # root comes from tests/lib.sh
orch_bin="${SP_TEST_ORCHESTRATOR:-$root/orchestrator/build/orchestrator}"
t_orch_failed=0
# Remember whether any check failed, to keep the logs (tests/lib.sh only prints).
eval "$(declare -f _t_report | sed '1s/_t_report/_t_report_lib/')"
_t_report() {
	[ "$1" -eq 0 ] || t_orch_failed=1
	_t_report_lib "$@"
}
t_tmp=$(mktemp -d /tmp/sp-it-XXXXXX)
t_run="r$RANDOM$RANDOM"
t_pids=()

orch_prepare "$orch_bin"

case "${SP_TEST_CHART:-real}" in
fixture) chart_dir="$root/tests/fixtures/charts" ;;
*)
	chart_dir="$root/charts"
	check "the store chart passes helm lint --strict" \
		helm lint --strict "$chart_dir/store" --set storeName=lint,host=lint.localtest.me || {
		rm -rf "$t_tmp"
		exit 1
	}
	;;
esac
echo "# chart: $chart_dir/store"

t_lease_ns=default
t_lease="sp-test-$t_run"
t_cred_flags=()
if [ "${SP_TEST_AS:-orchestrator}" != admin ]; then
	if ! DEV_STATE_DIR="$t_tmp/creds" "$root/scripts/dev-credentials.sh" >"$t_tmp/creds.log" 2>&1; then
		echo "not ok - orchestrator credentials from scripts/dev-credentials.sh"
		sed 's/^/    # /' "$t_tmp/creds.log"
		exit 1
	fi
	mapfile -t t_cred_flags <"$t_tmp/creds/orchestrator.flags"
	t_lease_ns=$(sed -n 's/^--leader-elect-namespace=//p' "$t_tmp/creds/orchestrator.flags")
	t_lease=$(sed -n 's/^--leader-elect-lease=//p' "$t_tmp/creds/orchestrator.flags")
	echo "# running as $(sed -n 's/^--service-account=//p' "$t_tmp/creds/orchestrator.flags") (the platform's RBAC)"
fi

orch_start() {
	local name=$1
	shift
	orch_launch "$t_tmp/$name.metrics" "$t_tmp/$name.log" \
		--chart-dir="$chart_dir" \
		--leader-elect-namespace="$t_lease_ns" \
		--leader-elect-lease="$t_lease" \
		--leader-elect-identity="$name" \
		--lease-duration=4s --lease-renew-deadline=3s --lease-retry=500ms \
		--log-level=debug \
		--controller-class="test-$t_run" \
		--listen=127.0.0.1:0 \
		"${t_cred_flags[@]}" \
		"$@"
	t_pids+=("$ORCH_PID")
}

# kill -9 the replica and every helm it started: a pod's processes die together.
orch_kill() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		kill -9 -- "-$child" 2>/dev/null || kill -9 "$child" 2>/dev/null || true
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

orch_stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

store_apply() {
	local name=$1 size=${2:-small}
	kubectl apply -f - >/dev/null <<-YAML
		apiVersion: storeplatform.dev/v1alpha1
		kind: Store
		metadata:
		  name: $name
		  labels: {storeplatform.dev/test-run: $t_run, storeplatform.dev/controller-class: test-$t_run}
		spec:
		  engine: woocommerce
		  owner: tester
		  displayName: "Test $name"
		  plan: {size: $size}
	YAML
}

store_phase() { kubectl get store "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
store_is() { [ "$(store_phase "$1")" = "$2" ]; }
store_gone() { ! kubectl get store "$1" >/dev/null 2>&1; }
ns_gone() { ! kubectl get namespace "store-$1" >/dev/null 2>&1; }
release_revisions() { helm history "store-$1" -n "store-$1" -o json 2>/dev/null | jq length; }
real_node_ready() {
	local sock=$1 missing="" loaded ref
	if ! "$root/scripts/cluster/node.sh" status; then
		echo "not ok - the real node is Ready (make cluster-up starts it)"
		return 1
	fi
	loaded=$(ctr --address "$sock" -n k8s.io images ls -q 2>/dev/null)
	for ref in $("$root/scripts/images.sh" --list); do
		grep -qx "docker.io/$ref" <<<"$loaded" || missing+=" $ref"
	done
	if [ -n "$missing" ]; then
		echo "not ok - the store images are loaded on the real node (make images):$missing"
		return 1
	fi
	echo "ok - the real node is Ready with the store images"
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Everything this test created goes, even when it failed half-way.
t_cleanup() {
	local pid log stores
	for pid in "${t_pids[@]}"; do orch_kill "$pid"; done
	read -ra stores <<<"$(kubectl get stores -l "storeplatform.dev/test-run=$t_run" \
		-o jsonpath='{.items[*].metadata.name}' 2>/dev/null)"
	stores_forget "${stores[@]}"
	[ "$t_lease_ns" = default ] && kubectl delete lease -n default "$t_lease" --ignore-not-found >/dev/null 2>&1
	if [ "$t_orch_failed" -ne 0 ] || [ -n "${SP_TEST_KEEP_LOGS:-}" ]; then
		for log in "$t_tmp"/*.log; do
			[ -f "$log" ] || continue
			echo "# last lines of $log:"
			tail -n 15 "$log" | sed 's/^/#   /'
		done
		echo "# logs kept in $t_tmp"
	else
		rm -rf "$t_tmp"
	fi
}
trap t_cleanup EXIT
