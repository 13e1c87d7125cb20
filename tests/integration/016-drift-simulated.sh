#!/usr/bin/env bash
# Drift repair on the simulated nodes (what needs no running container): the real store
# chart's Ingress and LimitRange deleted, a ConfigMap's data and a LimitRange's value
# changed -> each applied again from the release, one Event each; a suspended store is not
# repaired (its NetworkPolicy deleted stays deleted while it is suspended, also across an
# orchestrator restart), and resuming it brings the object back through the release, with
# no repair counted; a second store, untouched, gets no repair. Prints the time from each
# fault to its repair.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

orch_start dsim --no-leader-elect --health-interval=2s --drift-interval=2s
check "orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/dsim.log"
s="dsim-$RANDOM" calm="dcalm-$RANDOM"
ns="store-$s"
store_apply "$s"
store_apply "$calm"
both_ready() { store_is "$s" Ready && store_is "$calm" Ready; }
check "two stores Ready on the simulated nodes" wait_for 120 both_ready || exit 1

events() { # STORE REASON [TEXT]: how many Events of the store have that reason (and text)
	kubectl get events -A --field-selector "involvedObject.kind=Store,involvedObject.name=$1" -o json |
		jq --arg r "$2" --arg t "${3:-}" '[.items[] | select(.reason == $r and (.message | contains($t))) | .count // 1] | add // 0'
}
repaired() { [ "$(events "$s" DriftRepaired "$1")" -ge 1 ]; }
since() { echo "$(date +%s.%N) - $1" | bc; }
fault() { # NAME TEXT-IN-EVENT COMMAND...
	local name=$1 text=$2 t0
	shift 2
	t0=$(date +%s.%N)
	"$@" >/dev/null
	check "$name -> repaired, with an Event saying so" wait_for 30 repaired "$text"
	printf '# %s -> repaired: %.1f s\n' "$name" "$(since "$t0")"
}
fault "Ingress deleted" "Ingress $ns-wordpress was deleted" kubectl -n "$ns" delete ingress "$ns-wordpress"
check "... and it is back" kubectl -n "$ns" get ingress "$ns-wordpress"
fault "LimitRange deleted" "LimitRange $ns was deleted" kubectl -n "$ns" delete limitrange "$ns"
check "... and it is back" kubectl -n "$ns" get limitrange "$ns"
fault "ConfigMap data changed" "ConfigMap $ns-apache: data." \
	kubectl -n "$ns" patch configmap "$ns-apache" --type=json -p '[{"op":"replace","path":"/data/ports.conf","value":"Listen 81\n"}]'
listens_on_8080() { [ "$(kubectl -n "$ns" get configmap "$ns-apache" -o jsonpath='{.data.ports\.conf}')" = "Listen 8080" ]; }
check "... and its data is the release's again" listens_on_8080
fault "LimitRange value changed" "LimitRange $ns: spec.limits[1].max.storage was" \
	kubectl -n "$ns" patch limitrange "$ns" --type=json -p '[{"op":"replace","path":"/spec/limits/1/max/storage","value":"64Gi"}]'
n_repairs=$(events "$s" DriftRepaired)
check "one Event per repair: 4" [ "$n_repairs" = 4 ]

# Suspended: not repaired.
kubectl patch store "$s" --type=merge -p '{"spec":{"suspended":true}}' >/dev/null
check "the store is Suspended" wait_for 60 store_is "$s" Suspended
kubectl -n "$ns" delete networkpolicy "$ns-shop" >/dev/null
# a restart while it is suspended: the new replica knows it from the Store alone
orch_kill "$ORCH_PID"
orch_start dsim2 --no-leader-elect --health-interval=2s --drift-interval=2s
check "a restarted orchestrator starts" wait_for 10 grep -q '"orchestrator running' "$t_tmp/dsim2.log"
sleep 8
check "a suspended store is not repaired, before or after a restart: its deleted NetworkPolicy stays deleted" \
	bash -c "! kubectl -n $ns get networkpolicy $ns-shop >/dev/null 2>&1"
check "... it is still Suspended" store_is "$s" Suspended
check "... and no repair was counted" [ "$(events "$s" DriftRepaired)" = "$n_repairs" ]
kubectl patch store "$s" --type=merge -p '{"spec":{"suspended":false}}' >/dev/null
check "resumed -> Ready" wait_for 120 store_is "$s" Ready
check "... with the NetworkPolicy back through the release" kubectl -n "$ns" get networkpolicy "$ns-shop"
sleep 5
check "... and still no repair counted" [ "$(events "$s" DriftRepaired)" = "$n_repairs" ]
check "the untouched store got no repair" [ "$(events "$calm" DriftRepaired)" = 0 ]
check "the orchestrators logged no failed repair" bash -c "! grep -q 'applying it again failed' '$t_tmp/dsim.log' '$t_tmp/dsim2.log'"
exit 0
