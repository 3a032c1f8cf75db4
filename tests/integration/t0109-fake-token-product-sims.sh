#!/bin/sh
# fakecloud: token info and product fields as documented, SIM deactivation,
# sim_release_pending (202, visible until a delay or some GETs pass), and
# reject_empty_name.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
P=/v1/products

assert_eq "token info 200" 200 "$(fake_call GET /v1/access_tokens/current)"
assert_eq "token info: documented fields, and expires_at as in the example" \
	'["client", "expires_at", "expires_in", "orgs", "scopes"]' "$(fake_json "$FAKE_BODY" 'sorted(j)')"
assert_eq "a token that never expires: expires_in 0, expires_at null" '0 None' \
	"$(fake_json "$FAKE_BODY" '"%d %s" % (j["expires_in"], j["expires_at"])')"
assert_eq "scopes include the new stores" true \
	"$(fake_json "$FAKE_BODY" 'all(s in j["scopes"] for s in ("configuration:update", "devices.function:call", "ledger.definitions:get"))')"

assert_eq "product 200" 200 "$(fake_call GET $P/acme-thermostat)"
assert_eq "product: documented fields" true \
	"$(fake_json "$FAKE_BODY" 'all(k in j["product"] for k in ("id", "product_id", "name", "slug", "description", "platform_id", "organization", "requires_activation_codes", "device_protection"))')"
assert_eq "product: fixture values over defaults" '1001 1001 Acme Thermostat acme-thermostat disabled' \
	"$(fake_json "$FAKE_BODY" '"%d %d %s %s %s" % (j["product"]["id"], j["product"]["product_id"], j["product"]["name"], j["product"]["slug"], j["product"]["device_protection"])')"

# Deactivate: 200 with no body, as documented.
assert_eq "deactivate 200" 200 "$(fake_call PUT $P/1002/sims/89014103211118510711 '{"action":"deactivate"}')"
assert_eq "deactivate has no body" 0 "$(wc -c < "$FAKE_BODY" | tr -d ' ')"
fake_call GET $P/1002/sims/89014103211118510711 > /dev/null
assert_eq "deactivated SIM is inactive" inactive "$(fake_json "$FAKE_BODY" 'j["sim"]["status"]')"

# Release: 204 by default.
assert_eq "release 204" 204 "$(fake_call DELETE $P/1002/sims/89014103211118510712)"
assert_eq "released SIM is gone" 404 "$(fake_call GET $P/1002/sims/89014103211118510712)"

# sim_release_pending after 2 GETs.
fake_behaviour '{"sim_release_pending": {"gets": 2}}'
S=$P/1001/sims/89014103211118510701
_fake_curl -D "$T/h1" -o "$FAKE_BODY" -X DELETE -H @"$FAKE_DIR/auth" "$FAKE_URL$S"
assert_grep "release pending: 202" "$T/h1" '^HTTP/1.1 202'
assert_eq "202 has no body" 0 "$(wc -c < "$FAKE_BODY" | tr -d ' ')"
fake_state > "$T/s1.json"
assert_eq "state: still there, release_pending" release_pending \
	"$(fake_json "$T/s1.json" '[s["status"] for s in j["products"][0]["sims"] if s["iccid"] == "89014103211118510701"][0]')"
assert_eq "GET 1 shows it" 200 "$(fake_call GET "$S")"
assert_eq "... pending" release_pending "$(fake_json "$FAKE_BODY" 'j["sim"]["status"]')"
assert_eq "deleting again is still 202" 202 "$(fake_call DELETE "$S")"
fake_call GET "$P/1001/sims?deviceId=0a10aa" > /dev/null
assert_eq "GET 2 (the list) shows it" '["89014103211118510701"]' "$(fake_json "$FAKE_BODY" '[s["_id"] for s in j["sims"]]')"
assert_eq "then it is released" 404 "$(fake_call GET "$S")"
fake_state > "$T/s2.json"
assert_eq "state: gone" 3 "$(fake_json "$T/s2.json" 'len(j["products"][0]["sims"])')"

# ... after a delay.
fake_behaviour '{"sim_release_pending": {"delay_ms": 1500}}'
S=$P/1001/sims/89014103211118510702
assert_eq "delay: 202" 202 "$(fake_call DELETE "$S")"
assert_eq "delay: visible at once" 200 "$(fake_call GET "$S")"
assert_eq "delay: visible again" 200 "$(fake_call GET "$S")"
fake_state > "$T/s3.json"
assert_eq "delay: state shows it pending" release_pending \
	"$(fake_json "$T/s3.json" '[s["status"] for s in j["products"][0]["sims"] if s["iccid"] == "89014103211118510702"][0]')"
sleep 1.7
fake_state > "$T/s4.json"
assert_eq "delay: the state dump releases it when due" '[]' \
	"$(fake_json "$T/s4.json" '[s for s in j["products"][0]["sims"] if s["iccid"] == "89014103211118510702"]')"
assert_eq "delay: then 404" 404 "$(fake_call GET "$S")"
fake_behaviour '{"sim_release_pending": true}'
assert_eq "true is one GET" 202 "$(fake_call DELETE $P/1001/sims/89014103211118510703)"
assert_eq "true: one GET shows it" 200 "$(fake_call GET $P/1001/sims/89014103211118510703)"
assert_eq "true: then gone" 404 "$(fake_call GET $P/1001/sims/89014103211118510703)"
fake_behaviour '{}'
assert_eq "off again: 204" 204 "$(fake_call DELETE $P/1002/sims/89014103211118510713)"

# Names: "" clears by default; reject_empty_name refuses it.
D=$P/1001/devices/0a10aa0000000000000000a1
assert_eq "default: name \"\" accepted" 200 "$(fake_call PUT "$D" '{"name":""}')"
fake_behaviour '{"reject_empty_name": true}'
D=$P/1001/devices/0c30cc0000000000000000c1
assert_eq "reject_empty_name: 400" 400 "$(fake_call PUT "$D" '{"name":"","notes":"","groups":[]}')"
assert_eq "reject_empty_name: error body" 'False name cannot be empty' \
	"$(fake_json "$FAKE_BODY" '"%s %s" % (j["ok"], j["error"])')"
fake_call GET "$D" > /dev/null
assert_eq "reject_empty_name: nothing changed" 'carol-office|Carol Chen, office 3F|["us"]' \
	"$(fake_json "$FAKE_BODY" 'j["name"] + "|" + j["notes"] + "|" + json.dumps(j["groups"])')"
st=$(_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X PUT -H @"$FAKE_DIR/auth" --data-urlencode 'name=' "$FAKE_URL$D")
assert_eq "reject_empty_name: form-encoded too" 400 "$st"
assert_eq "reject_empty_name: notes \"\" and groups [] still work" 200 "$(fake_call PUT "$D" '{"notes":"","groups":[]}')"
assert_eq "reject_empty_name: a real name works" 200 "$(fake_call PUT "$D" '{"name":"device-c1"}')"
fake_state > "$T/s5.json"
assert_eq "state after the allowed updates" '["device-c1", "", []]' \
	"$(fake_json "$T/s5.json" '[[d["name"], d["notes"], d["groups"]] for d in j["products"][0]["devices"] if d["id"] == "0c30cc0000000000000000c1"][0]')"

# A token with an expiry: expires_in counts down; once past, it is refused.
"$PYTHON" - "$ROOT/tests/fixtures/fleet.json" "$T" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["token_expires_at"] = "2099-01-01T00:00:00.000Z"
json.dump(j, open(sys.argv[2] + "/future.json", "w"))
j["token_expires_at"] = "2001-01-01T00:00:00Z"
json.dump(j, open(sys.argv[2] + "/past.json", "w"))
PY
fake_start "$T/future.json"
fake_call GET /v1/access_tokens/current > /dev/null
assert_eq "expiring token: expires_at and expires_in" true \
	"$(fake_json "$FAKE_BODY" 'j["expires_at"] == "2099-01-01T00:00:00.000Z" and 2e9 < j["expires_in"] < 3e9')"
fake_start "$T/past.json"
assert_eq "expired token: 401" 401 "$(fake_call GET /v1/access_tokens/current)"
assert_eq "expired token: invalid_token body" invalid_token "$(fake_json "$FAKE_BODY" 'j["error"]')"
