#!/usr/bin/env bash
# charts/medusa, the Medusa engine's chart, as 010 (lint, template, schema, checker), 030
# (suspended) and 020 (install) test charts/store:
#   - helm lint --strict and helm template with each values file; the schema rejects typos,
#     wrong types, latest tags and bad names; every pod (values.yaml, values-local, values-prod,
#     TLS, suspended) passes the restricted/quota checker, which catches a bad manifest; the
#     quota is the sum of the plan (read from the output, computed from the values); the
#     setup Job is named per revision; no Secret is rendered, the values hold no password;
#     the environment refers to the credentials Secret by the keys charts/engines.yaml makes;
#     suspended renders 0 replicas, no Ingress, no Job and keeps the claim;
#   - charts/engines.yaml's medusa entry: the values the orchestrator would pass (its ${...}
#     made as the orchestrator makes them, tests/charts/lib/engine_values.py) with each size
#     pass the schema and the checker, and the quota follows the size;
#   - on the control plane, as the orchestrator installs it: a namespace that enforces
#     restricted, a Secret with the entry's keys, `helm upgrade --install --wait
#     --wait-for-jobs` with the entry's values; admission accepts everything, the PVC binds,
#     an upgrade runs a new setup Job, suspending and resuming keep the claim, and uninstall
#     plus namespace deletion leave nothing. (Pods run on KWOK nodes: Ready without running.)
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
chart=$root/charts/medusa
. "$(dirname "$0")/lib/common.sh"

tmp=$(mktemp -d)
store="cm$RANDOM"
ns="store-$store"
release="store-$store"
cleanup() {
	rm -rf "$tmp"
	kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true
}
trap cleanup EXIT
engines=$root/charts/engines.yaml
engine_values() { "$py" "$root/tests/charts/lib/engine_values.py" "$engines" medusa "$@"; }
quota_matches() { "$py" "$root/tests/charts/lib/quota.py" "$chart/values.yaml" "$@"; } # values files; manifests on stdin
env_refs() { "$py" "$root/tests/charts/lib/env_refs.py" "$@"; }
has() { # FILE REGEX...: each REGEX (grep -E) matches a line of FILE
	local f=$1 re
	shift
	for re in "$@"; do grep -qE -- "$re" "$f" || { echo "no line of $f matches /$re/"; return 1; }; done
}
lacks() { # FILE REGEX...: none matches
	local f=$1 re
	shift
	for re in "$@"; do ! grep -nE -- "$re" "$f" || return 1; done
}
count_is() { # N FILE REGEX: exactly N lines of FILE match
	local n
	n=$(grep -cE -- "$3" "$2")
	[ "$n" = "$1" ] || { echo "$n lines match /$3/, want $1"; return 1; }
}

# --- lint and template --------------------------------------------------------------------------
start=$SECONDS
check "helm lint --strict (values.yaml + storeName/host)" helm lint --strict "$chart" "${base_sets[@]}"
for f in values-local.yaml values-prod.yaml; do
	check "helm lint --strict -f $f" helm lint --strict "$chart" -f "$chart/$f"
	check "helm template -f $f" render -f "$chart/$f"
done
echo "# lint and template took $((SECONDS - start))s"

# --- the schema: what the orchestrator must set, and typos, wrong types, latest, bad names --------
check_fails_with "schema: storeName is required (and not empty)" "at '/storeName'" render
check_fails_with "schema: host is required" "at '/host'" render --set storeName=demo
check_fails_with "schema: a typo'd top-level key fails" "additional properties 'ingres'" render "${base_sets[@]}" --set ingres.className=nginx
check_fails_with "schema: a typo'd nested key fails" "at '/plan/database': additional properties 'stroage'" render "${base_sets[@]}" --set plan.database.stroage=5Gi
check_fails_with "schema: the server has no volume (plan.shop.storage is charts/store's)" "at '/plan/shop': additional properties 'storage'" \
	render "${base_sets[@]}" --set plan.shop.storage=5Gi
check_fails_with "schema: ingress.tls must be a boolean" "at '/ingress/tls'" render "${base_sets[@]}" --set-string ingress.tls=yes
check_fails_with "schema: suspended must be a boolean" "at '/suspended'" render "${base_sets[@]}" --set-string suspended=yes
check_fails_with "schema: plan storage must be a quantity string" "at '/plan/database/storage'" render "${base_sets[@]}" --set plan.database.storage=5
check_fails_with "schema: memory in a unit the quota understands" "at '/plan/shop/resources/limits/memory'" \
	render "${base_sets[@]}" --set plan.shop.resources.limits.memory=1G
check_fails_with "schema: cpu is cores or millicores" "at '/plan/database/resources/requests/cpu'" render "${base_sets[@]}" --set plan.database.resources.requests.cpu=1core
check_fails_with "schema: quota.pods must be an integer" "at '/quota/pods'" render "${base_sets[@]}" --set-string quota.pods=six
check_fails_with "schema: storeName is a DNS label" "at '/storeName'" render --set storeName=Demo_Shop --set host=demo.localtest.me
check_fails_with "schema: host is a lower-case hostname" "at '/host'" render --set storeName=demo --set host=Demo_Shop.localtest.me
check_fails_with "schema: existingSecret is a DNS name" "at '/existingSecret'" render "${base_sets[@]}" --set existingSecret=My_Secret
check_fails_with "schema: the server image tag latest is refused" "at '/medusa/image/tag'" render "${base_sets[@]}" --set medusa.image.tag=latest
check_fails_with "schema: the database image tag latest is refused" "at '/database/image/tag'" render "${base_sets[@]}" --set database.image.tag=latest
check_fails_with "schema: the database user is not the superuser postgres" "at '/database/user'" render "${base_sets[@]}" --set database.user=postgres
check_fails_with "schema: the database name is an identifier" "at '/database/name'" render "${base_sets[@]}" --set database.name='medusa;drop'
check_fails_with "schema: the currency is an ISO 4217 code in lower case" "at '/setup/currency'" render "${base_sets[@]}" --set setup.currency=INR
check "schema: a valid plan override passes" render "${base_sets[@]}" --set plan.database.storage=5Gi \
	--set plan.shop.resources.limits.cpu=1500m --set plan.shop.resources.requests.cpu=0.5

# --- every pod hardened, with requests, limits and probes, in every variant ----------------------
variants=(
	"values.yaml|${base_sets[*]}"
	"values-local.yaml|-f $chart/values-local.yaml"
	"values-prod.yaml|-f $chart/values-prod.yaml"
	"TLS, Internet egress|${base_sets[*]} --set ingress.tls=true --set ingress.clusterIssuer=ca --set networkPolicy.allowInternetEgress=true"
	"suspended|${base_sets[*]} --set suspended=true"
)
for v in "${variants[@]}"; do
	name=${v%%|*}
	read -r -a args <<<"${v#*|}"
	render "${args[@]}" >"$tmp/out.yaml" 2>&1
	check "no :latest image ($name)" lacks "$tmp/out.yaml" 'image: *"?[^" ]*:latest"?$'
	check "pods restricted, with requests, limits and probes ($name)" check_manifests <"$tmp/out.yaml"
	check "no Secret is rendered ($name)" lacks "$tmp/out.yaml" '^kind: Secret'
	check "every \$(VAR) in an environment is defined before it ($name)" env_refs order <"$tmp/out.yaml"
done
out=$(render "${base_sets[@]}")
printf '%s\n' "$out" >"$tmp/default.yaml"
four_pods() { check_manifests <"$tmp/default.yaml" | grep -x '4 pod templates checked, 0 problems'; }
check "the checker sees the four pods (server, database, setup Job, helm test)" four_pods

# The checker can fail: strip the limits and make the root writable, or drop the probes.
sed -e '/^ \{6,\}limits:$/,/^ *memory:/d' -e 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$tmp/default.yaml" >"$tmp/bad.yaml"
check_fails_with "the checker rejects pods without limits and with a writable root" 'no limits.cpu.*|root filesystem is not read-only' \
	check_manifests <"$tmp/bad.yaml"
sed -e 's/^\( *\)readinessProbe:$/\1startupProbeX:/' -e 's/^\( *\)livenessProbe:$/\1startupProbeY:/' "$tmp/default.yaml" >"$tmp/bad.yaml"
check_fails_with "the checker rejects the server and database without readiness and liveness probes" \
	'StatefulSet/store-demo-postgresql container postgresql: no readinessProbe' check_manifests <"$tmp/bad.yaml"
sed -e 's/runAsNonRoot: true/runAsNonRoot: false/' -e 's/type: RuntimeDefault/type: Unconfined/' "$tmp/default.yaml" >"$tmp/bad.yaml"
check_fails_with "the checker rejects root and an unconfined seccomp profile" 'runAsNonRoot is not true' check_manifests <"$tmp/bad.yaml"

# --- what the templates promise, read from the output -------------------------------------------
check "quota: CPU, memory and storage are the sums of the plan (values.yaml)" quota_matches <"$tmp/default.yaml"
render -f "$chart/values-prod.yaml" >"$tmp/prod.yaml"
check "quota: the sums of the plan (values-prod.yaml)" quota_matches "$chart/values-prod.yaml" <"$tmp/prod.yaml"
cat >"$tmp/plan.yaml" <<'EOF'
plan:
  shop: {resources: {requests: {cpu: "0.3", memory: 700Mi}, limits: {cpu: 1500m, memory: 3Gi}}}
  database: {resources: {requests: {cpu: 125m, memory: 1Gi}, limits: {cpu: "2", memory: 2048Mi}}, storage: 7Gi}
  setup: {resources: {requests: {cpu: 75m, memory: 384Mi}, limits: {cpu: "1", memory: 1Gi}}}
EOF
render "${base_sets[@]}" -f "$tmp/plan.yaml" >"$tmp/plan-out.yaml"
check "quota: the sums of an odd plan (0.3 cores, 700Mi, 2048Mi)" quota_matches "$tmp/plan.yaml" <"$tmp/plan-out.yaml"
sed 's/requests.cpu: "650m"/requests.cpu: "651m"/' "$tmp/default.yaml" >"$tmp/bad.yaml"
check_fails_with "quota: the comparison catches a quota 1m off (the check can fail)" 'MISMATCH requests.cpu' quota_matches <"$tmp/bad.yaml"
check "quota: no load balancers, no node ports, one PVC" has "$tmp/default.yaml" \
	'services.loadbalancers: "0"' 'services.nodeports: "0"' 'persistentvolumeclaims: "1"'
check "the database volume is plan.database.storage (7Gi), the LimitRange's largest 20Gi" has "$tmp/plan-out.yaml" \
	'^            storage: "7Gi"$' '^        storage: "20Gi"$'
check "Node.js's heap is three quarters of the server's memory limit (3Gi: 2304 MB)" has "$tmp/plan-out.yaml" \
	'value: "--max-old-space-size=2304"'
check "Node.js's heap at the default limit (1Gi: 768 MB), server and setup" count_is 2 "$tmp/default.yaml" \
	'value: "--max-old-space-size=768"'
check "setup Job is named per revision" has "$tmp/default.yaml" '^  name: store-demo-setup-r1$'
render "${base_sets[@]}" --set setup.enabled=false >"$tmp/nosetup.yaml"
check "setup.enabled=false: no Job and no setup NetworkPolicy" lacks "$tmp/nosetup.yaml" '^kind: Job' 'name: store-demo-setup$'
no_password_in() { # FILE: no key naming a password, secret, salt or key has a value (existingSecret
	# names the Secret, quota.secrets counts them)
	! grep -inE '^[^#]*(password|passwd|secret|salt|key)[^:]*: *[^ "{}]' "$1" | grep -vE '^[0-9]+: *(existingSecret|secrets): '
}
for f in values.yaml values-local.yaml values-prod.yaml; do
	check "$f holds no password, secret or key" no_password_in "$chart/$f"
done
printf 'tests:\n  email: a@b.c\ndatabase:\n  password: hunter2\n' >"$tmp/pw.yaml"
check_not "a values file with a password is caught (the check can fail)" no_password_in "$tmp/pw.yaml"
db_url() { # server and setup compose it from the Secret's password, defined before it
	local urls
	urls=$(env_refs get DATABASE_URL <"$tmp/default.yaml")
	# shellcheck disable=SC2016 # the kubelet's $(VAR), literally
	[ "$(grep -cF ' postgres://medusa:$(POSTGRES_PASSWORD)@store-demo-postgresql:5432/medusa?' <<<"$urls")" = 2 ] || { echo "$urls"; return 1; }
}
check "DATABASE_URL (server, setup) takes the password from the Secret as \$(POSTGRES_PASSWORD)" db_url
secret_keys() { # FILE SECRET: every secretKeyRef in FILE names SECRET and a key the engine entry makes
	local used want s k
	used=$(env_refs secrets <"$1") || return 1
	want=$(engine_values secret-keys) || return 1
	[ -n "$used" ] || { echo "no secretKeyRef"; return 1; }
	while read -r s k; do
		[ "$s" = "$2" ] || { echo "secretKeyRef names $s"; return 1; }
		grep -qx -- "$k" <<<"$want" || { echo "key $k is not among the engine's: $want"; return 1; }
	done <<<"$used"
}
check "every secretKeyRef names existingSecret and a key charts/engines.yaml's medusa entry makes" \
	secret_keys "$tmp/default.yaml" store-credentials
sed 's/key: jwt-secret/key: jwt-token/' "$tmp/default.yaml" >"$tmp/bad.yaml"
check_fails_with "a key the engine does not make is caught (the check can fail)" 'jwt-token' \
	secret_keys "$tmp/bad.yaml" store-credentials
check "6 NetworkPolicies" count_is 6 "$tmp/default.yaml" '^kind: NetworkPolicy$'
check "no Internet egress by default" lacks "$tmp/default.yaml" 'cidr: 0.0.0.0/0'
db_isolated() { # the database's policy: ingress from the server and the setup Job only, no egress
	"$py" -c 'import sys, yaml
d = [x for x in yaml.safe_load_all(sys.stdin) if x and x["kind"] == "NetworkPolicy" and x["metadata"]["name"].endswith("-database")][0]["spec"]
comps = sorted(p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in d["ingress"][0]["from"])
ok = d["egress"] == [] and "Egress" in d["policyTypes"] and len(d["ingress"]) == 1 and comps == ["setup", "shop"]
sys.exit(0 if ok else f"database policy: {d}")' <"$tmp/default.yaml"
}
check "the database is reached by the server and the setup Job only, and reaches nothing" db_isolated
render "${base_sets[@]}" --set ingress.tls=true --set ingress.clusterIssuer=letsencrypt --set networkPolicy.allowInternetEgress=true >"$tmp/tls.yaml"
check "TLS: cert-manager annotation, the Secret store-demo-tls" has "$tmp/tls.yaml" \
	'cert-manager.io/cluster-issuer: letsencrypt' 'secretName: store-demo-tls'
check "TLS: the CORS origins (store, admin, auth in server and setup) are https" count_is 6 "$tmp/tls.yaml" \
	'value: "https://demo.localtest.me"'
check "allowInternetEgress: HTTPS out of the server only" count_is 1 "$tmp/tls.yaml" 'cidr: 0.0.0.0/0'
check "no TLS: the CORS origins are http" count_is 6 "$tmp/default.yaml" 'value: "http://demo.localtest.me"'
check "no TLS: no tls block, no cert-manager annotation" lacks "$tmp/default.yaml" 'secretName: store-demo-tls' '^ +cert-manager.io/'
check "the helm test orders from the server's Service in the release namespace" has "$tmp/default.yaml" \
	'- "http://store-demo-medusa.store-demo.svc"'

# --- suspended ----------------------------------------------------------------------------------
for f in values.yaml values-local.yaml values-prod.yaml; do
	args=("${base_sets[@]}")
	[ "$f" = values.yaml ] || args=(-f "$chart/$f")
	check "helm lint --strict, suspended ($f)" helm lint --strict "$chart" "${args[@]}" --set suspended=true
	render "${args[@]}" >"$tmp/run.yaml" 2>&1
	render "${args[@]}" --set suspended=true >"$tmp/sus.yaml" 2>&1
	summary "$tmp/run.yaml" | sort >"$tmp/run.txt"
	summary "$tmp/sus.yaml" | sort >"$tmp/sus.txt"
	check "running: server and database at 1 replica, an Ingress, the setup Job ($f)" has "$tmp/run.txt" \
		'^Deployment/store-demo-medusa replicas=1$' '^StatefulSet/store-demo-postgresql replicas=1$' \
		'^Ingress/store-demo-medusa$' '^Job/store-demo-setup-r1$'
	check "suspended: server and database at 0 replicas ($f)" has "$tmp/sus.txt" \
		'^Deployment/store-demo-medusa replicas=0$' '^StatefulSet/store-demo-postgresql replicas=0$'
	check "suspended: no Ingress, no setup Job ($f)" lacks "$tmp/sus.txt" '^(Ingress|Job)/'
	grep -vE '^(Ingress|Job)/|^(Deployment|StatefulSet)/' "$tmp/run.txt" >"$tmp/run-kept.txt"
	grep -vE '^(Deployment|StatefulSet)/' "$tmp/sus.txt" >"$tmp/sus-kept.txt"
	check "suspended: the same claim template, Services, policies, quota and limits as running ($f)" \
		diff "$tmp/run-kept.txt" "$tmp/sus-kept.txt"
	check "suspended: the database's claim template is still there ($f)" has "$tmp/sus.txt" '^claimTemplate store-demo-postgresql/data '
done
helm install --dry-run=client store-demo "$chart" -n store-demo "${base_sets[@]}" --set suspended=true >"$tmp/notes.txt" 2>&1
check "NOTES say the store is suspended" has "$tmp/notes.txt" 'Medusa store "demo" is suspended'

# --- charts/engines.yaml's medusa entry against the chart -----------------------------------------
check "charts/engines.yaml's medusa entry names this chart" test "$(engine_values chart)" = medusa
mapfile -t sizes < <(engine_values sizes)
check "the medusa entry has sizes small, medium, large (${sizes[*]})" test "${sizes[*]}" = "small medium large"
sample_plan=(plan.requests.cpu=300m plan.requests.memory=600Mi plan.limits.cpu=1500m plan.limits.memory=1536Mi plan.storage=3Gi)
# One rendering as the orchestrator's: its values file (the entry, a size, the variables) after
# the --store-values-file the local cluster gives (scripts/cluster/store-values.yaml).
engine_render() { # NAME SIZE VAR=VALUE...: $tmp/NAME.json and $tmp/NAME.yaml
	local n=$1
	shift
	engine_values values "$@" >"$tmp/$n.json" &&
		render -f "$root/scripts/cluster/store-values.yaml" -f "$tmp/$n.json" >"$tmp/$n.yaml"
}
size_storage() { # size: the database volume it asks for (the chart's default when it sets none)
	"$py" -c 'import sys, yaml
e = yaml.safe_load(open(sys.argv[1]))["engines"]["medusa"]["sizes"][sys.argv[2]] or {}
print((e.get("plan", {}).get("database") or {}).get("storage") or yaml.safe_load(open(sys.argv[3]))["plan"]["database"]["storage"])' \
		"$engines" "$1" "$chart/values.yaml"
}
for s in "${sizes[@]}"; do
	for plan in unset set; do
		p=()
		[ "$plan" = unset ] || p=("${sample_plan[@]}")
		n=$s-$plan
		check "engine medusa, size $s, plan fields $plan: the orchestrator's values pass the schema" engine_render "$n" "$s" "${p[@]}"
		check "engine medusa, size $s, plan fields $plan: pods restricted, with requests, limits and probes" check_manifests <"$tmp/$n.yaml"
		check "engine medusa, size $s, plan fields $plan: the quota is the plan's sums" \
			quota_matches "$root/scripts/cluster/store-values.yaml" "$tmp/$n.json" <"$tmp/$n.yaml"
	done
	want=$(size_storage "$s")
	check "engine medusa, size $s: the database volume is the size's ($want)" has "$tmp/$s-unset.yaml" "^            storage: \"$want\"\$"
	check "engine medusa, size $s: explicit plan fields win (3Gi volume, 1500m server limit)" has "$tmp/$s-set.yaml" \
		'^            storage: "3Gi"$' '^ +cpu: 1500m$'
done
check "engine medusa: the Ingress's host is \${host}" has "$tmp/small-unset.yaml" '^    - host: "demo.localtest.me"$'
check "engine medusa: the Secret is \${secretName}, its keys the entry's" secret_keys "$tmp/small-unset.yaml" store-demo-credentials
check "engine medusa, TLS from a ClusterIssuer" engine_render tls medium ingressTls=true clusterIssuer=ca
check "engine medusa, TLS: https origins and the issuer annotation" has "$tmp/tls.yaml" \
	'cert-manager.io/cluster-issuer: ca' 'value: "https://demo.localtest.me"'
engine_suspended() {
	local s
	engine_render sus large suspended=true && s=$(summary "$tmp/sus.yaml") || return 1
	grep -qx 'Deployment/store-demo-medusa replicas=0' <<<"$s" && grep -qx 'StatefulSet/store-demo-postgresql replicas=0' <<<"$s" &&
		! grep -E '^(Ingress|Job)/' <<<"$s"
}
check "engine medusa, suspended (\${suspended} true): 0 replicas, no Ingress, no Job" engine_suspended
check "engine medusa: the local cluster's scheduling reaches every pod (4 nodeSelectors)" count_is 4 "$tmp/small-unset.yaml" \
	'storeplatform.dev/node: real'
# The check can fail: the WooCommerce entry's values (plan.shop.storage) do not fit this chart,
# a typo'd variable is refused as the orchestrator refuses it, a size in a unit the chart
# does not take fails the schema.
entry_renders() { # ENGINES_FILE ENGINE SIZE: that entry's values for the size, rendered by this chart
	"$py" "$root/tests/charts/lib/engine_values.py" "$1" "$2" values "$3" >"$tmp/entry.json" && render -f "$tmp/entry.json"
}
check "entry_renders renders the medusa entry (what the checks below change)" entry_renders "$engines" medusa large
check_fails_with "the woocommerce entry's values are refused by this chart (the check can fail)" "at '/plan/shop': additional properties 'storage'" \
	entry_renders "$engines" woocommerce medium
# shellcheck disable=SC2016 # the entry's own ${...}
sed 's/storeName: "${name}"/storeName: "${nmae}"/' "$engines" >"$tmp/engines-typo.yaml"
check_fails_with "an unknown variable in the entry is refused, as the orchestrator refuses it" "unknown variable 'nmae'" \
	"$py" "$root/tests/charts/lib/engine_values.py" "$tmp/engines-typo.yaml" medusa values
"$py" - "$engines" "$tmp/engines-1g.yaml" <<'PY'
import sys, yaml
e = yaml.safe_load(open(sys.argv[1]))
e["engines"]["medusa"]["sizes"]["large"]["plan"]["shop"]["resources"]["limits"]["memory"] = "2G"
yaml.safe_dump(e, open(sys.argv[2], "w"))
PY
check_fails_with "a size whose memory is 2G (not Gi) fails the chart's schema (the check can fail)" "at '/plan/shop/resources/limits/memory'" \
	entry_renders "$tmp/engines-1g.yaml" medusa large

# --- on the control plane, as the orchestrator installs it ------------------------------------------
create_secret() { # the keys of the engine entry's secret: random letters and digits, e-mails
	local args=() k
	while read -r k; do
		case $k in
		*-email | *-user) args+=(--from-literal="$k=admin@$store.localtest.me") ;;
		*) args+=(--from-literal="$k=$(rand 32)") ;;
		esac
	done < <(engine_values secret-keys)
	[ ${#args[@]} -eq 6 ] || { echo "${#args[@]} keys"; return 1; }
	kubectl -n "$ns" create secret generic "$release-credentials" "${args[@]}" >/dev/null
}
install() { # extra helm args: the engine entry's values for this store, then the args
	helm upgrade --install "$release" "$chart" -n "$ns" -f "$tmp/install.json" \
		--wait=watcher --wait-for-jobs --timeout 5m "$@"
}
engine_values values - name="$store" >"$tmp/install.json"

check "namespace $ns enforces restricted" create_restricted_ns "$ns"
check "credentials Secret created with the entry's 6 keys" create_secret
check_not "admission refuses a pod that is not restricted (the check below can fail)" \
	kubectl -n "$ns" run probe --image=busybox:1.36 --restart=Never --dry-run=server -- true

start=$SECONDS
check "helm upgrade --install --wait=watcher --wait-for-jobs succeeds (the entry's values)" install
echo "# install took $((SECONDS - start))s"
check "release is deployed" bash -o pipefail -c "helm status '$release' -n '$ns' -o json | jq -e '.info.status == \"deployed\"'"
check "no object was refused (no FailedCreate events)" bash -c \
	"! kubectl get events -n '$ns' --field-selector reason=FailedCreate -o name | grep -q ."
check "the database PVC is bound" wait_for 60 pvcs_bound "$ns" 1
check "the PVC is data-$release-postgresql-0, 2Gi" bash -c \
	"[ \"\$(kubectl get pvc -n '$ns' 'data-$release-postgresql-0' -o jsonpath='{.spec.resources.requests.storage}')\" = 2Gi ]"
check "database StatefulSet ready" bash -c "[ \"\$(kubectl get sts -n '$ns' '$release-postgresql' -o jsonpath='{.status.readyReplicas}')\" = 1 ]"
check "server Deployment available" kubectl wait -n "$ns" --for=condition=Available "deployment/$release-medusa" --timeout=60s
check "setup Job r1 complete" kubectl wait -n "$ns" --for=condition=Complete "job/$release-setup-r1" --timeout=60s
check "existing pods pass restricted (server dry-run of the label)" bash -c \
	"out=\$(kubectl label --dry-run=server --overwrite ns '$ns' pod-security.kubernetes.io/enforce=restricted 2>&1) && ! grep -qi warning <<<\"\$out\""
check "quota in force, counting the pods and the claim" bash -o pipefail -c \
	"kubectl get resourcequota -n '$ns' '$release' -o json | jq -e '.status.used[\"requests.cpu\"] != null and .status.used.pods != null and .status.used[\"requests.storage\"] == \"2Gi\"'"
check "LimitRange and 6 NetworkPolicies exist" bash -c \
	"kubectl get limitrange -n '$ns' '$release' >/dev/null && [ \"\$(kubectl get networkpolicy -n '$ns' -o name | wc -l)\" = 6 ]"
check "Ingress carries the host and class" bash -c \
	"[ \"\$(kubectl get ingress -n '$ns' '$release-medusa' -o jsonpath='{.spec.ingressClassName} {.spec.rules[0].host}')\" = 'nginx $store.localtest.me' ]"

start=$SECONDS
check "upgrade (revision 2, a new title) succeeds" install --set title=Renamed
echo "# upgrade took $((SECONDS - start))s"
check "setup Job r2 complete, r1 removed" bash -c \
	"kubectl wait -n '$ns' --for=condition=Complete job/$release-setup-r2 --timeout=60s >/dev/null && ! kubectl get -n '$ns' job/$release-setup-r1 >/dev/null 2>&1"
check "the setup Job r2 has the new title" bash -c \
	"kubectl get job -n '$ns' '$release-setup-r2' -o json | jq -e '.spec.template.spec.containers[0].env[] | select(.name == \"STORE_NAME\") | .value == \"Renamed\"' >/dev/null"

helm test "$release" -n "$ns" --timeout 15s >"$tmp/test.txt" 2>&1
check "helm test pod admitted and running (restricted, within quota)" \
	wait_for 30 bash -c "[ \"\$(kubectl get pod -n '$ns' '$release-test-order' -o jsonpath='{.status.phase}')\" = Running ]"
check "helm test was not refused by admission" lacks 'forbidden|exceeded quota' "$tmp/test.txt"
kubectl delete pod -n "$ns" "$release-test-order" --wait=false >/dev/null 2>&1

# Suspended and resumed, as the orchestrator does it (${suspended} in the entry's values).
no_pods() { [ -z "$(kubectl get pods -n "$ns" -o name 2>&1)" ]; }
check "suspend (revision 3) succeeds" install --set suspended=true
check "suspended: no pod left" wait_for 60 no_pods
check "suspended: no Ingress, no Job" bash -c "[ -z \"\$(kubectl get ingress,job -n '$ns' -o name 2>&1)\" ]"
check "suspended: the PVC is kept, bound" pvcs_bound "$ns" 1
check "resume (revision 4) succeeds with a new setup Job" bash -c \
	"helm upgrade --install '$release' '$chart' -n '$ns' -f '$tmp/install.json' --wait=watcher --wait-for-jobs --timeout 5m >/dev/null &&
	kubectl wait -n '$ns' --for=condition=Complete job/$release-setup-r4 --timeout=60s >/dev/null"
check "resumed: the same claim, bound" bash -c \
	"[ \"\$(kubectl get pvc -n '$ns' -o jsonpath='{.items[*].metadata.name} {.items[*].status.phase}')\" = 'data-$release-postgresql-0 Bound' ]"

start=$SECONDS
check "helm uninstall succeeds" helm uninstall "$release" -n "$ns" --wait --timeout 2m
echo "# uninstall took $((SECONDS - start))s"
check "uninstall left no object of the release (the PVC included)" wait_for 60 release_left "$ns" "$release"
start=$SECONDS
check "namespace deletion completes" bash -c "kubectl delete namespace '$ns' --timeout=120s >/dev/null"
echo "# namespace deletion took $((SECONDS - start))s"
check "no PersistentVolume of the store is left" wait_for 30 bash -c \
	"! kubectl get pv -o jsonpath='{range .items[*]}{.spec.claimRef.namespace}{\"\\n\"}{end}' | grep -qx '$ns'"
exit 0
