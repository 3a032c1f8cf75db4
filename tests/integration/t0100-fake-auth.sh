#!/bin/sh
# fakecloud: HTTPS with the test CA, bearer token required, token never echoed.
. "$(dirname "$0")/../lib.sh"

fake_start fleet

st=$(fake_call GET /v1/access_tokens/current)
assert_eq "token info with the right token" 200 "$st"
assert_eq "token info lists scopes" true \
	"$(fake_json "$FAKE_BODY" '"customers:remove" in j["scopes"]')"

st=$(_fake_curl -o "$T/noauth" -w '%{http_code}' "$FAKE_URL/v1/products/1001/customers")
assert_eq "401 without a token" 401 "$st"
assert_eq "401 body is Particle's" invalid_token "$(fake_json "$T/noauth" 'j["error"]')"

st=$(_fake_curl -o "$T/wrong" -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}x" \
	"$FAKE_URL/v1/products/1001/devices")
assert_eq "401 with a wrong token" 401 "$st"
st=$(_fake_curl -o "$T/short" -w '%{http_code}' -H "Authorization: Bearer test-token" \
	"$FAKE_URL/v1/products/1001/devices")
assert_eq "401 with the fixture's token when --token-file overrides it" 401 "$st"
st=$(_fake_curl -o "$T/basic" -w '%{http_code}' -H "Authorization: Basic $TOKEN" \
	"$FAKE_URL/v1/products/1001/devices")
assert_eq "401 with another auth scheme" 401 "$st"

# The deprecated query parameter is refused and redacted from the log.
st=$(_fake_curl -o "$T/q" -w '%{http_code}' "$FAKE_URL/v1/products/1001/devices?access_token=$TOKEN")
assert_eq "401 with the token in the query string" 401 "$st"

st=$(_fake_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FAKE_PORT/v1/access_tokens/current" 2>/dev/null)
assert_eq "plain HTTP is not served on the TLS port" 000 "$st"

fake_requests > "$T/requests.json"
fake_state > "$T/state.json"
assert_eq "request log records the 401s" 5 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["status"] == 401])')"
assert_grep "query logged with the token redacted" "$T/requests.json" 'access_token=REDACTED'
assert_no_bytes "token appears in no response, log or dump" "$TOKEN" \
	"$T/noauth" "$T/wrong" "$T/q" "$FAKE_BODY" "$T/requests.json" "$T/state.json" \
	"$FAKE_DIR/stdout" "$FAKE_DIR/stderr"
assert_eq "the TLS certificate is verified against the test CA" 200 \
	"$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T/tls/ca.pem" \
		"https://localhost:$FAKE_PORT/admin/stats")"
