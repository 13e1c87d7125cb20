#!/usr/bin/env bash
# Hostile and broken input: invalid JSON, wrong types, unknown fields, a huge body, deep
# nesting, bad UTF-8, bad names (reserved, too long, CR/LF), path traversal against the API
# and the static files. Each answer is a 4xx with the error shape, the server stays up, and
# no Store is created.
set -uo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=_api.sh
. "$(dirname "$0")/_api.sh"

mkdir -p "$t_tmp/www/assets"
echo '<!doctype html><title>t</title>' >"$t_tmp/www/index.html"
echo 'console.log(1)' >"$t_tmp/www/assets/app.js"
echo 'secret' >"$t_tmp/www/.env"
ln -s "$t_tmp/tokens" "$t_tmp/www/link"
api_start --dashboard-dir="$t_tmp/www" --max-body=16384 --rate-user=0 --rate-ip=0
check "orchestrator serves the API" curl -sf "$API/readyz"

n="tm-$t_run"
track "$n"
P=/api/v1/stores
check "invalid JSON: 400 invalid_json" expect_error 400 invalid_json - POST $P "$BOB" '{"name": '
check "empty body: 400" expect_error 400 invalid_json - POST $P "$BOB" ''
check "not an object: 400" expect_error 400 invalid_json - POST $P "$BOB" '["a"]'
check "name of the wrong type: 400 naming the field" expect_error 400 invalid name POST $P "$BOB" '{"name":5,"engine":"woocommerce"}'
check "plan of the wrong type: 400" expect_error 400 invalid plan POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"plan\":[1]}"
check "unknown field: 400 unknown_field" expect_error 400 unknown_field - POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"owner\":\"alice\"}"
check "unknown plan field: 400 naming plan" expect_error 400 unknown_field plan POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"plan\":{\"cpus\":\"1\"}}"
check "bad quantity: 400 naming the field" expect_error 400 invalid plan.limits.cpu POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"plan\":{\"limits\":{\"cpu\":\"lots\"}}}"
check "unknown size: 400 listing the sizes" expect_json 400 '.error.field == "plan.size" and (.error.message | test("small"))' POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"plan\":\"huge\"}"
check "unknown engine: 400 naming the engines" expect_json 400 '.error.field == "engine" and (.error.message | test("woocommerce"))' POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"magento\"}"
check "duplicate key: 400" expect_error 400 invalid_json - POST $P "$BOB" "{\"name\":\"$n\",\"name\":\"x\",\"engine\":\"woocommerce\"}"
check "reserved name: 400 reserved_name" expect_error 400 reserved_name name POST $P "$BOB" '{"name":"admin","engine":"woocommerce"}'
check "name too long: 400 naming the limit" expect_json 400 '.error.field == "name" and (.error.message | test("30"))' POST $P "$BOB" '{"name":"abcdefghijabcdefghijabcdefghijk","engine":"woocommerce"}'
check "upper case name: 400" expect_error 400 invalid name POST $P "$BOB" '{"name":"Shop","engine":"woocommerce"}'
check "CR/LF in the name: 400" expect_error 400 invalid name POST $P "$BOB" '{"name":"a\r\nX-Injected: 1","engine":"woocommerce"}'
check "control character in displayName: 400" expect_error 400 invalid displayName POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"displayName\":\"a\\u0007b\"}"
check "NUL in a string: 400" expect_error 400 invalid_json - POST $P "$BOB" "{\"name\":\"$n\\u0000x\",\"engine\":\"woocommerce\"}"
bad_utf8() {
	printf '{"name":"%s","engine":"woocommerce","displayName":"\xff\xfe"}' "$n" >"$t_tmp/bad.json"
	expect_error 400 invalid_json - POST $P "$BOB" "@$t_tmp/bad.json"
}
check "bad UTF-8: 400" bad_utf8
deep() {
	local d
	d=$(printf '%.0s[' $(seq 1 5000))
	expect_error 400 too_deep - POST $P "$BOB" "{\"name\":\"$n\",\"engine\":\"woocommerce\",\"plan\":$d"
}
check "deep nesting: 400 too_deep" deep
huge() {
	head -c 100000 /dev/zero | tr '\0' 'a' | sed "s/^/{\"name\":\"$n\",\"displayName\":\"/; s/\$/\"}/" >"$t_tmp/huge.json"
	expect_error 413 too_large - POST $P "$BOB" "@$t_tmp/huge.json"
}
check "huge body: 413" huge
huge_chunked() {
	STATUS=$(head -c 200000 /dev/zero | curl -s -o "$t_tmp/body" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $BOB" -H 'Transfer-Encoding: chunked' --data-binary @- "$API$P")
	[ "$STATUS" = 413 ] || { echo "got $STATUS"; return 1; }
}
check "huge chunked body: 413" huge_chunked
big_headers() {
	STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' b)" "$API/healthz")
	case "$STATUS" in 4*) return 0 ;; *) echo "got $STATUS"; return 1 ;; esac
}
check "huge header: 4xx" big_headers

check "path traversal in the API: 400 bad_path" expect_error 400 bad_path path GET "/api/v1/stores/../../../etc/passwd" "$BOB"
check "encoded traversal: 400 bad_path" expect_error 400 bad_path path GET "/api/v1/stores/%2e%2e/x" "$BOB"
check "encoded CR/LF in a path name is refused, never decoded" expect_error 400 invalid name GET "/api/v1/stores/a%0d%0aSet-Cookie:x" "$BOB"
check "no injected header in that answer" bash -c "! grep -qi '^Set-Cookie' $t_tmp/headers"
check "empty segment: 400" expect_error 400 bad_path path GET "/api/v1//stores" "$BOB"
check "unknown API path: 404" expect_error 404 not_found - GET /api/v1/nothing "$BOB"
wrong_method() { expect 405 PUT /api/v1/stores "$BOB" && header Allow | grep -q 'GET, POST'; }
check "wrong method: 405 with Allow" wrong_method

csp_ok() {
	expect 200 GET / "" && header Content-Security-Policy | grep -q "frame-ancestors 'none'" &&
		! header Content-Security-Policy | grep -q unsafe-inline &&
		header X-Content-Type-Options | grep -q nosniff && header Referrer-Policy | grep -q no-referrer
}
check "dashboard: / serves index.html with a strict CSP, nosniff, Referrer-Policy" csp_ok
asset_ok() { expect 200 GET /assets/app.js "" && header Content-Type | grep -q '^text/javascript'; }
check "dashboard asset with its type" asset_ok
check "static traversal: 400" expect 400 GET "/../tokens" ""
check "static encoded traversal: 400" expect 400 GET "/assets/%2e%2e/%2e%2e/tokens" ""
check "hidden file: 404" expect 404 GET "/.env" ""
check "symlink out of the directory: 404" expect 404 GET "/link" ""
check "missing file: 404" expect 404 GET "/nope.html" ""

check "server alive after all of it" alive
check "no Store was created" store_gone "$n"
