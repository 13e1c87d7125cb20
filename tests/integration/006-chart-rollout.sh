#!/usr/bin/env bash
# A new store chart version is rolled out to existing stores one store at a time; a store whose
# upgrade cannot become ready is rolled back with helm rollback, says why, and is not upgraded
# to that version again. The chart is a per-run copy of the fixture chart whose version is
# bumped (and, the second time, broken with a volume claim of a StorageClass that does not
# exist); the orchestrator reads the version at start, so each bump is a restart, as a new
# orchestrator image would be.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_orchestrator.sh
. "$(dirname "$0")/_orchestrator.sh"

charts="$t_tmp/charts"
mkdir -p "$charts"
cp -r "$root/tests/fixtures/charts/store" "$charts/"
chart_dir="$charts" # orch_start passes it as --chart-dir
echo "# chart for this test: $charts/store (a per-run copy of the fixture chart)"
set_version() { sed -i "s/^version: .*/version: $1/" "$charts/store/Chart.yaml"; }
stores=("t6a-$RANDOM" "t6b-$RANDOM" "t6c-$RANDOM")
sel="storeplatform.dev/test-run=$t_run"
stores_json() { kubectl get stores -l "$sel" -o json; }
# The chart version label of the deployed record of store-NAME.
deployed_chart() {
	kubectl get secrets -n "store-$1" -l "owner=helm,name=store-$1,status=deployed" \
		-o jsonpath='{.items[0].metadata.labels.storeplatform\.dev/chart-version}' 2>/dev/null
}
all_on() { # VERSION: every store Ready, on VERSION, no upgrade under way, records agree
	local s
	stores_json | jq -e --arg v "$1" '(.items | length) == 3 and all(.items[];
		.status.phase == "Ready" and .status.chartVersion == $v and .status.upgradingTo == null)' \
		>/dev/null || return 1
	for s in "${stores[@]}"; do [ "$(deployed_chart "$s")" = "$1" ] || return 1; done
}

orch_start v1 --no-leader-elect
for s in "${stores[@]}"; do store_apply "$s"; done
check "three stores become Ready on chart 0.1.0" wait_for 120 all_on 0.1.0
orch_stop "$ORCH_PID"

# --- (a) 0.2.0: rolled out to all three, one at a time -------------------------------------
set_version 0.2.0
cat >"$charts/store/templates/chart-version.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-chart
  labels: {{- include "fx.labels" . | nindent 4 }}
data:
  version: {{ .Chart.Version | quote }}
YAML
# Samples, while the rollout runs, of how many stores say they are upgrading and how many
# helm releases of this run are in pending-upgrade.
watch_rollout() {
	while :; do
		u=$(stores_json | jq '[.items[] | select(.status.upgradingTo != null)] | length')
		p=0
		for s in "${stores[@]}"; do
			if kubectl get secrets -n "store-$s" -l "owner=helm,status=pending-upgrade" -o name 2>/dev/null | grep -q .; then
				p=$((p + 1))
			fi
		done
		echo "$u $p" >>"$t_tmp/rollout.samples"
		sleep 0.2
	done
}
watch_rollout &
watcher=$!
start=$(date +%s.%N)
orch_start v2 --no-leader-elect
check "all three stores end up on chart 0.2.0" wait_for 120 all_on 0.2.0
rollout_s=$(echo "$(date +%s.%N) - $start" | bc)
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
printf '# rollout of 3 stores (orchestrator start -> all on 0.2.0): %.1f s\n' "$rollout_s"
grep -ho 'upgraded to chart 0.2.0 (revision [0-9]*) in [0-9.]* s' "$t_tmp/v2.log" | sed 's/^/# /'
check "the watcher saw upgrades under way" bash -c "awk '\$1 >= 1' $t_tmp/rollout.samples | grep -q ."
check "never two stores upgrading at once (status)" bash -c "! awk '\$1 > 1' $t_tmp/rollout.samples | grep -q ."
check "never two releases in pending-upgrade at once (helm records)" bash -c \
	"! awk '\$2 > 1' $t_tmp/rollout.samples | grep -q ."
check "the stores waiting for their turn said so" bash -c \
	"kubectl get stores -l $sel -o json | jq -e '[.items[].status.activity[].message | select(test(\"queued for the upgrade to chart 0.2.0\"))] | length >= 1'"
check "the log shows the upgrades strictly one after another" bash -c \
	"grep -oE 'upgrading to chart 0.2.0|upgraded to chart 0.2.0' $t_tmp/v2.log | uniq -c | awk '{ if (\$1 != 1) bad=1 } END { exit bad }'"
for s in "${stores[@]}"; do
	check "$s: revision 2 is chart store-0.2.0 and deployed" bash -c \
		"helm history store-$s -n store-$s -o json | jq -e 'length == 2 and .[-1].chart == \"store-0.2.0\" and .[-1].status == \"deployed\"'"
done
check "the new chart's objects exist" bash -c \
	"kubectl get configmap -n store-${stores[0]} store-${stores[0]}-chart -o jsonpath='{.data.version}' | grep -qx 0.2.0"
check "an Upgraded Event was recorded" bash -c \
	"kubectl get events -n default --field-selector involvedObject.name=${stores[0]},reason=Upgraded -o name | grep -q ."
orch_stop "$ORCH_PID"

# --- (b) 0.3.0 cannot become ready: rolled back, the reason recorded, not retried ------------
set_version 0.3.0
sed -i 's/persistentvolumeclaims: "2"/persistentvolumeclaims: "3"/' "$charts/store/templates/quota.yaml"
cat >"$charts/store/templates/broken.yaml" <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .Release.Name }}-broken
  labels: {{- include "fx.labels" . | nindent 4 }}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: no-such-class
  resources: {requests: {storage: 1Gi}}
YAML
start=$(date +%s.%N)
orch_start v3 --no-leader-elect --provision-timeout=10s
rolled_back() {
	stores_json | jq -e '(.items | length) == 3 and all(.items[];
		.status.phase == "Ready" and .status.failedChartVersion == "0.3.0" and
		.status.upgradingTo == null and .status.chartVersion == "0.2.0" and
		(.status.message | test("upgrade to chart 0.3.0 failed")) and
		(.status.message | test("rolled back to revision 2")))' >/dev/null
}
check "every store is rolled back to chart 0.2.0 and stays Ready" wait_for 180 rolled_back
printf '# three failed upgrades and rollbacks: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
grep -ho 'rolled back to revision 2 in [0-9]* ms' "$t_tmp/v3.log" | sed 's/^/# helm rollback: /'
s=${stores[0]}
kubectl get store "$s" -o jsonpath='{.status.message}' | sed 's/^/# message: /'
echo
check "status names the cause (the missing StorageClass)" bash -c \
	"kubectl get store $s -o jsonpath='{.status.message}' | grep -q no-such-class"
check "helm history shows the rollback and revision 4 deployed from chart 0.2.0" bash -c \
	"helm history store-$s -n store-$s -o json | jq -e '.[-1].revision == 4 and .[-1].status == \"deployed\" and .[-1].chart == \"store-0.2.0\" and (.[-1].description | test(\"Rollback to 2\")) and any(.[]; .chart == \"store-0.3.0\")'"
check "the rollback revision keeps the platform's labels" test "$(deployed_chart "$s")" = 0.2.0
check "the broken volume claim is gone again" wait_for 30 bash -c \
	"! kubectl get pvc -n store-$s store-$s-broken >/dev/null 2>&1"
check "the workloads are back and ready" wait_for 30 bash -c \
	"kubectl get deploy,statefulset -n store-$s -o json | jq -e '(.items | length) == 2 and all(.items[]; .status.readyReplicas == 1)'"
check "a Warning Event says the upgrade was rolled back" bash -c \
	"kubectl get events -n default --field-selector involvedObject.name=$s,reason=UpgradeRolledBack -o json | jq -e '.items[0].type == \"Warning\"'"
revs=$(release_revisions "$s")
sleep 6
check "the failed version is not tried again on that store" bash -c \
	"[ \"\$(helm history store-$s -n store-$s -o json | jq length)\" = $revs ] && kubectl get store $s -o json | jq -e '.status.upgradingTo == null'"
orch_stop "$ORCH_PID"
orch_start v3b --no-leader-elect --provision-timeout=10s
sleep 5
check "after a restart the failed version is still held back" bash -c \
	"[ \"\$(helm history store-$s -n store-$s -o json | jq length)\" = $revs ] && ! grep -q 'upgrading to chart 0.3.0' $t_tmp/v3b.log"
