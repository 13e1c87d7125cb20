#!/usr/bin/env bash
# The API server (and etcd) restarted under a watching orchestrator, on a second, throw-away
# control plane so the project's cluster keeps running. CHAOS_ROUNDS rounds (default 1), each
# while two stores provision; the two kinds take turns:
#   odd rounds   kill -9 of kube-apiserver, then of etcd: the whole control plane is down, and
#                scripts/cluster-up.sh starts it again (every component);
#   even rounds  kill -9 of kube-apiserver alone, etcd running; kwokctl starts it again.
# Each outage lasts 20 s; kube-controller-manager and kube-scheduler, which run without leader
# election, stay up through it and reconnect.
# Before each restart, the API server hangs for a few seconds (SIGSTOP): the leader steps down
# within the lease duration (its requests end by its renew deadline) and /readyz answers 503
# promptly, then both recover.
# While it is down, a second API server on the same etcd (as in an HA control plane) takes
# writes the orchestrator can only learn by listing or watching again once it reconnects:
# two Stores created, the Ready ones deleted.
# Checked: /readyz answers 503 with a JSON error while the API server is gone, /healthz 200 and
# the process lives; the leader steps down and leads again; /readyz turns 200 after the restart,
# and only once the cache shows what changed meanwhile (the API answers from it); then the
# orchestrator converges: the interrupted and the new stores Ready, each release installed
# once (one revision, no pending record), the deleted stores gone with their namespaces.
# Prints, per round, how long /readyz took to notice the loss and the return, and to converge.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

rounds=${CHAOS_ROUNDS:-1}
export CLUSTER_NAME="chaos-api-$$" CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d /tmp/sp-chaos-api-XXXXXX)/cluster
kw="$CLUSTER_DIR/kwok/clusters/$CLUSTER_NAME"
peer_pid=""
cluster_gone() {
	[ -z "$peer_pid" ] || kill -9 "$peer_pid" 2>/dev/null
	"$root/scripts/cluster-down.sh" >/dev/null 2>&1
	rm -rf "$(dirname "$CLUSTER_DIR")"
}
trap cluster_gone EXIT
if ! out=$("$root/scripts/cluster-up.sh" 2>&1); then
	echo "not ok - a throw-away control plane comes up"
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/    # /'
	exit 1
fi
echo "ok - a throw-away control plane comes up"
export KUBECONFIG="$CLUSTER_DIR/kubeconfig"
# shellcheck source=../integration/_orchestrator.sh
. "$(dirname "$0")/../integration/_orchestrator.sh"
# On failure the control plane's logs go with the orchestrator's (kept by t_cleanup). The
# control plane goes first: t_cleanup has nothing to delete on it then.
keep_cluster_logs() {
	if [ "$t_orch_failed" != 0 ] || [ -n "${SP_TEST_KEEP_LOGS:-}" ]; then
		cp -r "$kw/logs" "$t_tmp/cluster-logs" 2>/dev/null
	fi
}
trap 'keep_cluster_logs; cluster_gone; t_cleanup' EXIT

since() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }
ms_since() { echo "($(date +%s.%N) - $1) * 1000 / 1" | bc; }
lease_ms=4000 renew_ms=3000 # orch_start's --lease-duration and --lease-renew-deadline
# wait_for at 0.1 s, for the figures this test prints.
wait_fast() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { "$@"; return 1; }
		sleep 0.1
	done
}
component_pid() { cat "$kw/pids/$1.pid" 2>/dev/null; }
# kill -9 a component kwokctl runs, and drop its pid file so `kwokctl start` starts it again.
kill_component() {
	local pid
	pid=$(component_pid "$1")
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -f "$kw/pids/$1.pid"
	while [ -n "$pid" ] && [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
		sleep 0.05
	done
}
components_up() { local c; for c in "$@"; do kill -0 "$(component_pid "$c")" 2>/dev/null || return 1; done; }
# Starts every component of the cluster that is not running (kwokctl checks each pid).
start_missing() {
	KWOK_WORKDIR="$CLUSTER_DIR/kwok" kwokctl start cluster --name "$CLUSTER_NAME" --timeout 60s
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A second kube-apiserver on the same etcd: the running one's command line, another port.
# Started in the background (sets peer_pid); peer_ready tells when it serves.
peer_start() {
	local args=() a port
	mapfile -d '' args <"/proc/$(component_pid kube-apiserver)/cmdline"
	port=$(free_port)
	for a in "${!args[@]}"; do
		case ${args[$a]} in --secure-port=*) args[a]="--secure-port=$port" ;; esac
	done
	"${args[@]}" >"$t_tmp/peer-apiserver.log" 2>&1 &
	peer_pid=$!
	sed "s|server: https://127.0.0.1:[0-9]*|server: https://127.0.0.1:$port|" "$KUBECONFIG" >"$t_tmp/peer.kubeconfig"
}
peer_ready() { kubectl --kubeconfig "$t_tmp/peer.kubeconfig" get --raw /readyz; }
peer_stop() {
	[ -z "$peer_pid" ] || { kill -9 "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; }
	peer_pid=""
}
peer() { KUBECONFIG="$t_tmp/peer.kubeconfig" "$@"; }

orch_start api
pid=$ORCH_PID
port=$(orch_port "$t_tmp/api.log" "$pid")
check "the orchestrator serves its API" test -n "$port"
admin_token=$(cat "$t_tmp/creds/admin-token")
readyz_is() { # CODE: /readyz answers CODE, with a JSON body
	local code
	code=$(curl -s -o "$t_tmp/readyz.json" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/readyz")
	[ "$code" = "$1" ] && jq -e . "$t_tmp/readyz.json" >/dev/null
}
# Polls /readyz until it answers 503; fails when an answer takes over 3 s (it waits at most
# 2 s for the API server) or none is 503 within 15 s.
readyz_answers_503() {
	local code took deadline=$((SECONDS + 15))
	while [ $SECONDS -lt $deadline ]; do
		read -r code took < <(curl -s -o "$t_tmp/readyz.json" -w '%{http_code} %{time_total}\n' \
			--max-time 30 "http://127.0.0.1:$port/readyz")
		[ "$(echo "$took > 3" | bc)" = 0 ] || { echo "/readyz answered $code after ${took}s"; return 1; }
		[ "$code" = 503 ] && return 0
		sleep 0.1
	done
	echo "/readyz still answers $code"
	return 1
}
ready_and_leading() { readyz_is 200 && leader_is 1; }
not_ready_body() { jq -e '.error.code == "not_ready" and (.error.message | length > 0)' "$t_tmp/readyz.json"; }
healthz_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz")" = 200 ]; }
leader_is() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | grep -qx "storeplatform_leader $1"; }
api_store() { curl -s --max-time 5 -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$port/api/v1/stores/$1"; }
# The API answers from the cache: does it show what changed while the orchestrator was cut off?
cache_current() { # created... -- deleted...
	local s
	while [ "$1" != -- ]; do
		api_store "$1" | jq -e '.name' >/dev/null || { echo "the API does not know store $1 yet: $(api_store "$1")"; return 1; }
		shift
	done
	shift
	for s in "$@"; do
		api_store "$s" | jq -e '.deleting == true or .error.code == "not_found"' >/dev/null ||
			{ echo "the API does not know store $s is deleted: $(api_store "$s")"; return 1; }
	done
}
all_ready() { local s; for s in "$@"; do store_is "$s" Ready || return 1; done; }
all_gone() { local s; for s in "$@"; do store_gone "$s" && ns_gone "$s" || return 1; done; }
helm_running() { pgrep -f "helm.* upgrade --install store-$1 "; }

check "/readyz answers 200 once the cache is loaded" wait_for 30 readyz_is 200
ready=("a$t_run-0-1" "a$t_run-0-2")
for s in "${ready[@]}"; do store_apply "$s"; done
check "2 stores become Ready before the first restart" wait_for 180 all_ready "${ready[@]}"

for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then kind="API server and etcd"; else kind="API server"; fi
	inflight=("a$t_run-$r-p1" "a$t_run-$r-p2")
	created=("a$t_run-$r-n1" "a$t_run-$r-n2")
	peer_start # ready by the time the hang is over: it needs etcd only
	# A hung API server first (SIGSTOP: it accepts connections and answers nothing).
	t_stop=$(date +%s.%N)
	kill -STOP "$(component_pid kube-apiserver)"
	check "round $r (API server hung): the leader steps down" wait_fast 40 leader_is 0
	stepdown_ms=$(ms_since "$t_stop")
	check "round $r: ... within the lease duration, before another replica could take over" \
		test "$stepdown_ms" -le "$lease_ms"
	check "round $r: /readyz answers 503, each answer within 3 s" readyz_answers_503
	hung_503_ms=$(ms_since "$t_stop")
	kill -CONT "$(component_pid kube-apiserver)"
	check "round $r: once it answers again, the orchestrator leads and /readyz answers 200" \
		wait_fast 30 ready_and_leading
	echo "# round $r (API server hung): the leader stepped down ${stepdown_ms} ms after the stop" \
		"(renew deadline ${renew_ms} ms); /readyz 503 after ${hung_503_ms} ms"

	check "round $r: a second API server runs on the same etcd" wait_for 60 peer_ready
	for s in "${inflight[@]}"; do store_apply "$s"; done
	check "round $r: helm is installing a new store" wait_fast 60 helm_running "${inflight[0]}"
	for s in "${inflight[@]}"; do echo "# round $r: $s at the kill: $(kubectl get store "$s" -o jsonpath='{.status.phase}: {.status.message}')"; done

	t_kill=$(date +%s.%N)
	kill_component kube-apiserver
	check "round $r ($kind): /readyz answers 503 once the API server is gone" wait_fast 30 readyz_is 503
	down_s=$(since "$t_kill")
	check "round $r: its body is a JSON not_ready error" not_ready_body
	check "round $r: /healthz still answers 200" healthz_ok
	check "round $r: the leader steps down when it cannot renew the Lease" wait_for 20 leader_is 0
	# What the orchestrator cannot see now, written through the other API server.
	for s in "${created[@]}"; do peer store_apply "$s"; done
	check "round $r: Stores created and deleted through the other API server" \
		peer kubectl delete store "${ready[@]}" --wait=false
	peer_stop
	# A long outage (20 s), so the orchestrator's reconnect back-off has grown. kube-controller-
	# manager and kube-scheduler run without leader election (scripts/cluster/kwokctl.yaml): they
	# stay up and reconnect, where they once exited for want of their Lease and needed starting.
	sleep 20
	check "round $r: kube-controller-manager and kube-scheduler stay up without the API server" \
		components_up kube-controller-manager kube-scheduler
	if [ "$kind" = "API server" ]; then
		restart=(start_missing) # as a kubelet restarts static pods
	else
		kill_component etcd
		sleep 1
		check "round $r: /readyz still 503 with etcd gone too" readyz_is 503
		restart=("$root/scripts/cluster-up.sh")
	fi
	# /readyz is watched while the restart runs, so its figure does not wait for the script.
	t_up=$(date +%s.%N)
	outage_s=$(since "$t_kill")
	"${restart[@]}" >"$t_tmp/restart.log" 2>&1 &
	restart_pid=$!
	check "round $r: /readyz answers 200 again" wait_fast 120 readyz_is 200
	up_s=$(since "$t_up")
	check "round $r: by then its cache shows what changed during the outage" \
		cache_current "${created[@]}" -- "${ready[@]}"
	wait "$restart_pid"
	rc=$?
	restart_s=$(since "$t_up")
	check "round $r: ${restart[0]##*/} starts what was stopped" bash -c "[ $rc = 0 ] || { cat '$t_tmp/restart.log'; exit 1; }"
	check "round $r: the interrupted and the new stores become Ready" wait_fast 120 all_ready "${inflight[@]}" "${created[@]}"
	ready_s=$(since "$t_up")
	check "round $r: the deleted stores and their namespaces are gone" wait_fast 120 all_gone "${ready[@]}"
	conv_s=$(since "$t_up")
	check "round $r: each release was installed once (one revision, no pending record)" \
		installed_once "${inflight[@]}" "${created[@]}"
	check "round $r: it leads again" wait_for 20 leader_is 1
	check "round $r: the orchestrator never exited" kill -0 "$pid"
	echo "# round $r ($kind): /readyz 503 ${down_s}s after the kill; restarted after ${outage_s}s;" \
		"/readyz 200 ${up_s}s, stores Ready ${ready_s}s, deletions done ${conv_s}s after the restart began" \
		"(${restart[0]##*/} took ${restart_s}s)"
	ready=("${inflight[@]}" "${created[@]}")
done
relisted=$(grep -c 'listed [0-9]* objects' "$t_tmp/api.log")
echo "# the cache listed the Stores $relisted times (the first list included)"
check "no namespace or release without its Store" no_orphans "a$t_run-"
orch_stop "$pid" # the throw-away control plane goes with everything on it
