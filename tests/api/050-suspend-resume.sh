#!/usr/bin/env bash
# Suspend and resume through the API with the controller running, on the simulated nodes
# (fixture chart, which honours suspended as charts/store does): a Ready store is suspended
# (202, then 200 for every repeat), becomes Suspended with its Deployment and StatefulSet at
# 0, no pod, no Ingress, its claims and Secret kept, and `kubectl get stores` says so; it
# still counts toward its owner's limit; it is resumed (202, repeats 200) and is Ready again
# with the same claims. 409 names the phase for a store not Ready (suspend), not suspended
# (resume) and being deleted; another user's store is 404; a body or a bad name is 400 and
# changes nothing. An orchestrator killed right after each request loses nothing. Each
# transition is an Event, an audit line and a metric.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_api.sh
. "$(dirname "$0")/_api.sh"

flags=(--controller --no-leader-elect --rate-user=0 --rate-ip=0 --max-stores-per-user=2
	--provision-timeout=30s)
api_start "${flags[@]}"
check "orchestrator serves the API" curl -sf "$API/readyz"

s="su-$t_run"
f="sf-$t_run"
ns="store-$s"
track "$s"
track "$f"
phase_is() { expect_json 200 ".phase == \"$2\"" GET "/api/v1/stores/$1" "$BOB"; }
settled() { expect_json 200 '.phase == "Suspended" and (.message | startswith("suspended:"))' GET "/api/v1/stores/$s" "$BOB"; }
spec_suspended() { [ "$(kubectl get store "$s" -o jsonpath='{.spec.suspended}')" = "$1" ]; }
generation() { kubectl get store "$s" -o jsonpath='{.metadata.generation}'; }
running_pods() { # pods of the namespace that are not Succeeded or Failed
	kubectl get pods -n "$ns" -o json | jq '[.items[] | select(.status.phase != "Succeeded" and .status.phase != "Failed")] | length'
}
claims() { kubectl get pvc -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid} {end}'; }

check "create: 201" expect 201 POST /api/v1/stores "$BOB" "{\"name\":\"$s\",\"engine\":\"woocommerce\"}"
# provisioning (and later failed: its plan is over the fixture namespace's quota)
check "create a second store: 201" expect 201 POST /api/v1/stores "$BOB" "{\"name\":\"$f\",\"engine\":\"woocommerce\",\"plan\":{\"size\":\"large\"}}"
check "suspend a store not yet Ready: 409 naming its phase" expect_json 409 \
	'.error.code == "not_ready" and .error.field == "phase" and (.error.message | test("is (Pending|Provisioning)$"))' \
	POST "/api/v1/stores/$f/suspend" "$BOB"
check "the store becomes Ready" wait_for 90 phase_is "$s" Ready
check "resume a Ready store that was never suspended: 409 naming its phase" expect_json 409 \
	'.error.code == "not_suspended" and .error.field == "phase" and (.error.message | test("is Ready$"))' \
	POST "/api/v1/stores/$s/resume" "$BOB"
pvcs_before=$(claims)
secret_uid=$(kubectl get secret -n "$ns" "store-$s-credentials" -o jsonpath='{.metadata.uid}')
check "the store has claims and pods before the suspension" bash -c "[ -n '$pvcs_before' ] && [ \"\$(kubectl get pods -n $ns --no-headers | wc -l)\" -gt 0 ]"

# --- bad input changes nothing -------------------------------------------------------------
gen=$(generation)
check "another user's store: 404 for suspend" expect_error 404 not_found name POST "/api/v1/stores/$s/suspend" "$CAROL"
check "another user's store: 404 for resume" expect_error 404 not_found name POST "/api/v1/stores/$s/resume" "$CAROL"
check "no token: 401" expect 401 POST "/api/v1/stores/$s/suspend" ""
check "a store that does not exist: 404" expect_error 404 not_found name POST "/api/v1/stores/nope-$t_run/suspend" "$BOB"
check "a bad name: 400 naming the field" expect_error 400 invalid name POST "/api/v1/stores/Bad_Name/suspend" "$BOB"
check "a body: 400 naming it" expect_error 400 invalid body POST "/api/v1/stores/$s/suspend" "$BOB" '{"suspended":false}'
check "junk for a body: 400" expect_error 400 invalid body POST "/api/v1/stores/$s/suspend" "$BOB" $'\x01\xff{{'
check "GET on suspend: 405" expect 405 GET "/api/v1/stores/$s/suspend" "$BOB"
check "none of it changed the store" bash -c "[ \"\$(kubectl get store $s -o jsonpath='{.metadata.generation}')\" = '$gen' ] && [ -z \"\$(kubectl get store $s -o jsonpath='{.spec.suspended}')\" ]"
check "the orchestrator is still up" alive

# --- suspend --------------------------------------------------------------------------------
t0=$(date +%s.%N)
check "suspend: 202 with suspended true" expect_json 202 '.suspended == true' POST "/api/v1/stores/$s/suspend" "$BOB"
check "suspend again at once: 200" expect_json 200 '.suspended == true' POST "/api/v1/stores/$s/suspend" "$BOB"
gen=$(generation)
check "spec.suspended is true" spec_suspended true
check "the store becomes Suspended with no pod running" wait_for 60 settled
t1=$(date +%s.%N)
echo "# suspend -> Suspended, no pod: $(echo "$t1 - $t0" | bc) s"
check "suspend a suspended store: 200, nothing changes" expect_json 200 '.phase == "Suspended"' POST "/api/v1/stores/$s/suspend" "$BOB"
check "the repeats did not change the spec" bash -c "[ \"\$(kubectl get store $s -o jsonpath='{.metadata.generation}')\" = '$gen' ]"
check "no pod runs in the namespace" bash -c "[ \"\$(kubectl get pods -n $ns -o json | jq '[.items[] | select(.status.phase != \"Succeeded\" and .status.phase != \"Failed\")] | length')\" = 0 ]"
check "the Deployment and the StatefulSet are at 0 replicas" bash -c \
	"kubectl get deploy,statefulset -n $ns -o json | jq -e '(.items | length) == 2 and all(.items[]; .spec.replicas == 0)'"
check "no Ingress: the host shows nothing of the store" bash -c "[ -z \"\$(kubectl get ingress -n $ns -o name)\" ]"
check "the same claims (same uids), still Bound" bash -c "[ \"\$(kubectl get pvc -n $ns -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid} {end}')\" = '$pvcs_before' ] && kubectl get pvc -n $ns -o json | jq -e 'all(.items[]; .status.phase == \"Bound\")'"
check "the credentials Secret is the same" bash -c "[ \"\$(kubectl get secret -n $ns store-$s-credentials -o jsonpath='{.metadata.uid}')\" = '$secret_uid' ]"
check "kubectl get stores shows Suspended" bash -c "kubectl get store $s --no-headers | grep -qw Suspended"
check "kubectl get stores -o wide has the Suspended column" bash -c "kubectl get store $s -o wide | head -1 | grep -qw SUSPENDED && kubectl get store $s -o wide --no-headers | grep -qw true"
check "the API shows suspendedAt" expect_json 200 '.suspendedAt != null and .suspended == true' GET "/api/v1/stores/$s" "$BOB"
check "an admin sees it Suspended too" expect_json 200 '.phase == "Suspended"' GET "/api/v1/stores/$s" "$ALICE"

# --- the limit: a suspended store still counts ------------------------------------------------
check "the second store fails (over its quota)" wait_for 60 phase_is "$f" Failed
check "suspend a Failed store: 409 naming Failed" expect_json 409 '.error.field == "phase" and (.error.message | test("is Failed$"))' \
	POST "/api/v1/stores/$f/suspend" "$BOB"
check "/me counts the suspended store: 2 of 2" expect_json 200 '.quota.used == 2' GET /api/v1/me "$BOB"
check "a third store is over the limit: 403" expect_error 403 quota_exceeded - POST /api/v1/stores "$BOB" "{\"name\":\"s3-$t_run\",\"engine\":\"woocommerce\"}"

# --- resume -----------------------------------------------------------------------------------
t0=$(date +%s.%N)
check "resume: 202 with suspended false" expect_json 202 '.suspended == false' POST "/api/v1/stores/$s/resume" "$BOB"
check "resume again at once: 200" expect 200 POST "/api/v1/stores/$s/resume" "$BOB"
check "the store is Ready again" wait_for 90 phase_is "$s" Ready
t1=$(date +%s.%N)
echo "# resume -> Ready: $(echo "$t1 - $t0" | bc) s"
check "resume a resumed store: 200" expect_json 200 '.phase == "Ready" and .suspended == false and .resumedAt != null' POST "/api/v1/stores/$s/resume" "$BOB"
check "its pods run again, with the same claims" bash -c "[ \"\$(kubectl get pvc -n $ns -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid} {end}')\" = '$pvcs_before' ] && kubectl get deploy,statefulset -n $ns -o json | jq -e 'all(.items[]; .spec.replicas == 1 and .status.readyReplicas == 1)'"
check "the Ingress is back" bash -c "[ -n \"\$(kubectl get ingress -n $ns -o name)\" ]"

# --- metrics (before any restart: they are per process) ----------------------------------
curl -s "$API/metrics" >"$t_tmp/metrics"
check "metrics: suspending, suspended and resuming counted" bash -c \
	"for t in suspending suspended resuming; do grep -q \"^storeplatform_suspend_transitions_total{transition=\\\"\$t\\\"} [1-9]\" $t_tmp/metrics || exit 1; done"
check "metrics: the time to no pod running was observed" grep -q '^storeplatform_suspend_duration_seconds_count [1-9]' "$t_tmp/metrics"
check "metrics: stores by phase knows Suspended" grep -q '^storeplatform_stores{phase="Suspended"}' "$t_tmp/metrics"


# --- an orchestrator killed right after each request loses nothing --------------------------
restart() { # kill -9 the replica and the helm process groups it started, as a pod kill would
	local child
	for child in $(ps -o pid= --ppid "$t_pid" 2>/dev/null); do
		kill -9 -- "-$child" 2>/dev/null || kill -9 "$child" 2>/dev/null
	done
	kill -9 "$t_pid" 2>/dev/null
	wait "$t_pid" 2>/dev/null
	api_start "${flags[@]}"
}
check "the admin may suspend it: 202" expect 202 POST "/api/v1/stores/$s/suspend" "$ALICE"
restart
check "after a kill -9 and a restart it becomes Suspended, no pod running" wait_for 60 settled
check "the admin may resume it: 202" expect 202 POST "/api/v1/stores/$s/resume" "$ALICE"
restart
check "after a kill -9 and a restart it becomes Ready" wait_for 90 phase_is "$s" Ready
check "same claims after both restarts" bash -c "[ \"\$(kubectl get pvc -n $ns -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid} {end}')\" = '$pvcs_before' ]"

# --- Events, audit, metrics -------------------------------------------------------------------
events() { kubectl get events -n default --field-selector "involvedObject.kind=Store,involvedObject.name=$s" -o json; }
transitions_recorded() {
	events | jq -e '[.items[].reason] | (index("Suspended") != null and index("Ready") != null)' >/dev/null &&
		events | jq -e '[.items[] | select(.reason == "Provisioning") | .message] | any(test("resuming"))' >/dev/null
}
check "Events: Suspended, and Provisioning (resuming) then Ready" transitions_recorded
check "audit: the suspends and resumes, by whom" bash -c \
	"grep '\"action\":\"store.suspend\"' $t_tmp/audit.log | grep -q '\"user\":\"$U_ALICE\"' && grep '\"action\":\"store.resume\"' $t_tmp/audit.log | grep -q '\"user\":\"$U_BOB\"'"
check "activity lists the steps" expect_json 200 \
	'[.events[] | .message // "" ] | (any(test("^suspending")) and any(test("^Suspended")) and any(test("resuming")))' \
	GET "/api/v1/stores/$s/events" "$BOB"
# --- deleting ---------------------------------------------------------------------------------
check "delete: 202" expect 202 DELETE "/api/v1/stores/$s" "$BOB"
check "suspend a store being deleted: 409 naming Deleting" expect_json 409 \
	'.error.code == "deleting" and .error.field == "phase" and (.error.message | test("Deleting"))' \
	POST "/api/v1/stores/$s/suspend" "$BOB"
check "resume a store being deleted: 409" expect_error 409 deleting phase POST "/api/v1/stores/$s/resume" "$BOB"
check "the store is gone" wait_for 90 expect 404 GET "/api/v1/stores/$s" "$BOB"
check "the orchestrator never crashed" alive
exit 0
