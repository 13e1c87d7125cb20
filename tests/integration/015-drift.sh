#!/usr/bin/env bash
# Drift repair, on the real node: objects of a Ready store's release deleted or changed
# by hand are applied again from the release's manifest, one Event each, and the store
# serves again; a field the release does not set is left alone; an orchestrator
# restarted after the repairs repeats none; and a writer that changes an object every
# second gets at most --drift-repairs repairs within --health-window, then one Warning,
# not an endless fight. Short timings: --drift-interval=3s. Prints the time from each
# fault to its repair.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

port=${STORE_INGRESS_PORT:-80}
sock="$root/.cluster/node/containerd/containerd.sock"
real_node_ready "$sock" || exit 1

s="drift-$RANDOM"
ns="store-$s"
common=(--no-leader-elect --storefront-check --storefront-connect-to="127.0.0.1:$port"
	--store-values-file="$root/scripts/cluster/store-values.yaml" --provision-timeout=5m
	--health-interval=3s --drift-interval=3s --health-window=60s)
orch_start drift "${common[@]}" --drift-repairs=10
pid=$ORCH_PID
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/drift.log"
store_apply "$s"
check "the store becomes Ready" wait_for 300 store_is "$s" Ready || exit 1

since() { echo "$(date +%s.%N) - $1" | bc; }
front() { curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Host: $s.localtest.me" "http://127.0.0.1:$port/"; }
serves() { store_is "$s" Ready && [ "$(front)" = 200 ]; }
repairs() { # REASON [TEXT]: how many Events of the store have that reason (and text)
	kubectl get events -A --field-selector "involvedObject.kind=Store,involvedObject.name=$s" -o json |
		jq --arg r "$1" --arg t "${2:-}" '[.items[] | select(.reason == $r and (.message | contains($t))) | .count // 1] | add // 0'
}
repaired() { [ "$(repairs DriftRepaired "$1")" -ge 1 ]; }
applied_lines() { grep -c '"step":"drift".*applied again' "$1" 2>/dev/null || true; }
shop="$ns-wordpress"

# Each fault: done, repaired (an Event naming it), and the store serves again.
fault() { # NAME TEXT-IN-EVENT TEST-OF-REPAIR COMMAND...
	local name=$1 text=$2 ok=$3 t0
	shift 3
	t0=$(date +%s.%N)
	"$@" >/dev/null
	check "$name -> repaired, with an Event saying so" wait_for 60 repaired "$text" &&
		check "... and put back" wait_for 30 bash -c "$ok"
	printf '# %s -> repaired: %.1f s\n' "$name" "$(since "$t0")"
	check "... and the store serves again" wait_for 120 serves
}
fault "shop Deployment deleted" "Deployment $shop was deleted" \
	"kubectl -n $ns get deployment $shop" kubectl -n "$ns" delete deployment "$shop" --wait=false
fault "shop Service deleted" "Service $shop was deleted" \
	"kubectl -n $ns get service $shop" kubectl -n "$ns" delete service "$shop"
fault "NetworkPolicy deleted" "NetworkPolicy $ns-shop was deleted" \
	"kubectl -n $ns get networkpolicy $ns-shop" kubectl -n "$ns" delete networkpolicy "$ns-shop"
fault "shop scaled to 0" "Deployment $shop: spec.replicas was 0, wants 1" \
	"[ \"\$(kubectl -n $ns get deployment $shop -o jsonpath='{.spec.replicas}')\" = 1 ]" \
	kubectl -n "$ns" scale deployment "$shop" --replicas=0
hard_pods=$(kubectl -n "$ns" get resourcequota "$ns" -o jsonpath='{.spec.hard.pods}')
fault "ResourceQuota changed" "ResourceQuota $ns: spec.hard.pods was" \
	"[ \"\$(kubectl -n $ns get resourcequota $ns -o jsonpath='{.spec.hard.pods}')\" = '$hard_pods' ]" \
	kubectl -n "$ns" patch resourcequota "$ns" --type=merge -p '{"spec":{"hard":{"pods":"50"}}}'

events_are() { # REASON N [TEXT]
	local n
	n=$(repairs "$1" "${3:-}")
	[ "$n" = "$2" ] || { echo "$n Events $1${3:+ saying \"$3\"}"; return 1; }
}
check "one Event per repair: 5" events_are DriftRepaired 5
logged() { kubectl get store "$s" -o json | jq -e '[.status.activity[]?.message | select(test("applied again from release revision"))] | length == 5'; }
check "the activity log has each repair" logged
kill -USR1 "$pid"
check "the metric counts the repairs by kind" wait_for 5 grep -q '^storeplatform_store_drift_repairs_total{kind="Deployment"} 2' "$t_tmp/drift.metrics"

# A field the release does not set stays as another writer set it.
kubectl -n "$ns" label deployment "$shop" team=ops >/dev/null
kubectl -n "$ns" annotate service "$shop" example.com/owner=ops >/dev/null
sleep 10
check "a label the release does not set is left alone" \
	bash -c "[ \"\$(kubectl -n $ns get deployment $shop -o jsonpath='{.metadata.labels.team}')\" = ops ]"
check "... an annotation too" \
	bash -c "[ \"\$(kubectl -n $ns get service $shop -o jsonpath='{.metadata.annotations.example\.com/owner}')\" = ops ]"
check "... and neither was a repair" events_are DriftRepaired 5

# The repaired objects are still helm's: a change of the store upgrades its release.
marked() { [ "$(kubectl -n "$ns" get "$1" -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}')" = "$ns" ]; }
check "a re-created object carries the release's ownership marks" marked "deployment/$shop"
kubectl patch store "$s" --type=merge -p '{"spec":{"displayName":"Drift Shop, renamed"}}' >/dev/null
upgraded() { [ "$(release_revisions "$s")" = 2 ] && store_is "$s" Ready; }
check "... so a change of the store upgrades the release (revision 2) and it is Ready" wait_for 180 upgraded
check "... keeping the label helm does not set" \
	bash -c "[ \"\$(kubectl -n $ns get deployment $shop -o jsonpath='{.metadata.labels.team}')\" = ops ]"

# Restarted: the repairs are done, so none is repeated.
orch_stop "$pid"
orch_start drift2 "${common[@]}" --drift-repairs=3
pid=$ORCH_PID
check "a restarted orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/drift2.log"
check "... and checks the store's objects" wait_for 30 grep -q '"step":"drift".*objects looked at' "$t_tmp/drift2.log"
sleep 10
none_applied() { [ "$(applied_lines "$t_tmp/drift2.log")" = 0 ]; }
check "... and repeats no repair" none_applied

# Another writer scales the shop to 2 every second for 25 s: at most 3 repairs in the
# 60 s window, then one Warning; without the bound it would be one every 2-3 s.
t0=$(date +%s.%N)
end=$((SECONDS + 25))
while [ "$SECONDS" -lt "$end" ]; do
	kubectl -n "$ns" scale deployment "$shop" --replicas=2 >/dev/null 2>&1
	sleep 1
done
n=$(applied_lines "$t_tmp/drift2.log")
printf '# a writer fighting for 25 s: %s repairs, then paused (%.1f s)\n' "$n" "$(since "$t0")"
check "a fighting writer gets at most 3 repairs in the window" bash -c "[ '$n' -ge 1 ] && [ '$n' -le 3 ]"
check "... then one Warning: repairs paused" events_are DriftRepairPaused 1 "repairs paused: 3 in 60 s"
check "... naming what is left as is" events_are DriftRepairPaused 1 "Deployment $shop: spec.replicas was 2, wants 1"
check "the orchestrator kept running" kill -0 "$pid"

kubectl delete store "$s" --wait=false >/dev/null
check "the store is gone" wait_for 180 store_gone "$s"
exit 0
