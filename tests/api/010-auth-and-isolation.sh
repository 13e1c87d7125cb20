#!/usr/bin/env bash
# Users, tokens and guardrails through the real orchestrator (API only, no reconciling):
# 401 without or with a bad token, a user never sees another user's store (404), idempotent
# create, 409 on a taken name or a changed spec, the per-user quota, the retry rule, admin-only
# audit, and the audit log on stdout and in --audit-file.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_api.sh
. "$(dirname "$0")/_api.sh"

api_start --max-stores-per-user=2 --rate-user=0 --rate-ip=0
check "orchestrator serves the API" curl -sf "$API/readyz"

no_token() { expect_error 401 unauthorized - GET /api/v1/stores '' && header WWW-Authenticate | grep -q '^Bearer realm='; }
bad_token() {
	expect_error 401 unauthorized - GET /api/v1/me not-a-valid-token-at-all &&
		header WWW-Authenticate | grep -q 'error="invalid_token"'
}
check "no token: 401 with WWW-Authenticate" no_token
check "bad token: 401 invalid_token" bad_token
check "a token of another user's prefix is not accepted" expect 401 GET /api/v1/me "${BOB%?}x"
check "GET /me names the user, role and quota" expect_json 200 \
	".user == \"$U_BOB\" and .role == \"user\" and .quota.used == 0 and .quota.max == 2" GET /api/v1/me "$BOB"
check "GET /engines lists woocommerce with its sizes" expect_json 200 \
	'.engines[0].name == "woocommerce" and (.engines[0].sizes | index("medium") != null)' GET /api/v1/engines "$BOB"

s1="ta-$t_run-1"
s2="ta-$t_run-2"
s3="ta-$t_run-3"
track "$s1"; track "$s2"; track "$s3"
body1="{\"name\":\"$s1\",\"engine\":\"woocommerce\",\"displayName\":\"Bob's shop\",\"plan\":{\"size\":\"small\"}}"
create_first() {
	expect_json 201 ".name == \"$s1\" and .owner == \"$U_BOB\" and .phase == \"Pending\"" \
		POST /api/v1/stores "$BOB" "$body1" && header Location | grep -qx "/api/v1/stores/$s1"
}
check "create: 201 with the store and a Location" create_first
check "the Store object is owned by the caller" bash -c \
	"kubectl get store $s1 -o json | jq -e '.spec.owner == \"$U_BOB\" and .spec.displayName == \"Bob'\"'\"'s shop\"'"
check "the same create again: 200 (safe to retry)" expect_json 200 ".name == \"$s1\"" POST /api/v1/stores "$BOB" "$body1"
check "same name, other display name: 409" expect_error 409 conflict name POST /api/v1/stores "$BOB" \
	"{\"name\":\"$s1\",\"engine\":\"woocommerce\",\"displayName\":\"Other\"}"
check "same name by another user: 409 name_taken" expect_error 409 name_taken name POST /api/v1/stores "$CAROL" "$body1"

check "the owner reads the store" expect_json 200 ".name == \"$s1\"" GET "/api/v1/stores/$s1" "$BOB"
check "the owner lists it" expect_json 200 "[.stores[].name] == [\"$s1\"] and .count == 1" GET /api/v1/stores "$BOB"
check "another user does not list it" expect_json 200 "[.stores[].name] | index(\"$s1\") == null" GET /api/v1/stores "$CAROL"
check "another user reading it: 404" expect_error 404 not_found name GET "/api/v1/stores/$s1" "$CAROL"
check "another user deleting it: 404" expect_error 404 not_found name DELETE "/api/v1/stores/$s1" "$CAROL"
check "another user fetching its credentials: 404" expect_error 404 not_found name GET "/api/v1/stores/$s1/credentials" "$CAROL"
check "another user reading its activity: 404" expect_error 404 not_found name GET "/api/v1/stores/$s1/events" "$CAROL"
check "another user retrying it: 404" expect_error 404 not_found name POST "/api/v1/stores/$s1/retry" "$CAROL"
check "after all that, the store is still there" kubectl get store "$s1"
check "an admin lists and reads it" expect_json 200 "[.stores[].name] | index(\"$s1\") != null" GET /api/v1/stores "$ALICE"
check "an unknown store: 404, same answer as someone else's" expect_error 404 not_found name GET "/api/v1/stores/ta-$t_run-none" "$CAROL"

check "retry of a store that is not Failed: 409" expect_error 409 not_failed phase POST "/api/v1/stores/$s1/retry" "$BOB"
check "activity lists the audit line of the create" expect_json 200 \
	'[.events[] | select(.source == "audit" and .action == "store.create")] | length >= 1' GET "/api/v1/stores/$s1/events" "$BOB"

check "second store: 201" expect 201 POST /api/v1/stores "$BOB" "{\"name\":\"$s2\",\"engine\":\"woocommerce\",\"plan\":\"medium\"}"
over_quota() {
	expect_error 403 quota_exceeded - POST /api/v1/stores "$BOB" "{\"name\":\"$s3\",\"engine\":\"woocommerce\"}" &&
		jq -e '.error.message | test("2 of 2")' <<<"$BODY"
}
check "third store beyond the quota of 2: 403 naming limit and usage" over_quota
check "no Store was created beyond the quota" store_gone "$s3"
check "GET /me shows the quota used" expect_json 200 '.quota.used == 2 and .quota.max == 2' GET /api/v1/me "$BOB"
check "another user still has their own quota" expect 201 POST /api/v1/stores "$CAROL" "{\"name\":\"$s3\",\"engine\":\"woocommerce\"}"

check "audit is for admins: 403 for a user" expect_error 403 forbidden - GET /api/v1/audit "$BOB"
check "an admin reads the audit log" expect_json 200 \
	"[.entries[] | select(.action == \"store.create\" and .user == \"$U_BOB\" and .status == 201 and .ip == \"127.0.0.1\")] | length == 2" \
	GET /api/v1/audit "$ALICE"
check "the audit log records refusals too" expect_json 200 \
	"[.entries[] | select(.user == \"$U_CAROL\" and .action == \"store.delete\" and .result == \"denied\" and .status == 404)] | length == 1" \
	GET "/api/v1/audit?store=$s1" "$ALICE"
check "delete: 202" expect_json 202 '.deleting == true' DELETE "/api/v1/stores/$s2" "$BOB"
delete_again() { req DELETE "/api/v1/stores/$s2" "$BOB" && { [ "$STATUS" = 202 ] || [ "$STATUS" = 404 ]; }; }
check "delete again is harmless (202 or 404, nothing else)" delete_again
check "audit lines reach stdout as JSON" bash -c \
	"grep '\"audit\":true' $t_tmp/stdout.log | jq -se 'map(select(.action == \"store.delete\" and .store == \"$s2\" and .status == 202)) | length >= 1'"
check "audit lines reach --audit-file" bash -c "grep -c '\"action\":\"store.create\"' $t_tmp/audit.log | grep -qv '^0$'"
check "no token appears in any log" bash -c \
	"! grep -rqF -e '${BOB#bob-}' -e '${ALICE#alice-}' -e '${CAROL#carol-}' $t_tmp/stdout.log $t_tmp/stderr.log $t_tmp/audit.log"

# the tokens file is re-read when it changes
dave="dave-$(openssl rand -hex 16)"
echo "$dave dave-$t_run user" >>"$t_tmp/tokens"
check "a token added to the file works without a restart" wait_for 5 expect 200 GET /api/v1/me "$dave"
sed -i "/^$BOB /d" "$t_tmp/tokens"
check "a token removed from the file stops working" wait_for 5 expect 401 GET /api/v1/me "$BOB"
check "server alive" alive
