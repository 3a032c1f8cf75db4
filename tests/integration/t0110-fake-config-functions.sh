#!/bin/sh
# fakecloud: product and per-device configuration (an empty PUT resets to
# the product's; offline devices get it when they connect), connecting
# devices through the admin endpoint, and cloud function calls (recorded in
# the state dump; offline, unknown function, raw format, function_timeout).
. "$(dirname "$0")/../lib.sh"

fake_start conformance
P=/v1/products/3001
A1=3a10aa0000000000000000a1	# online, own config, functions wipe+reboot
A2=3a10aa0000000000000000a2	# offline, own config, function wipe
B1=3b20bb0000000000000000b1	# online, no own config
D1=3d40dd0000000000000000d1	# online, function reset only (returns 0)
dev() { fake_json "$1" '[d for d in j["products"][0]["devices"] if d["id"] == "'"$2"'"][0]'"$3"; }

# Configuration.
assert_eq "product config 200" 200 "$(fake_call GET $P/config)"
fake_json "$FAKE_BODY" 'j["configuration"]' > "$T/product.cfg"
assert_eq "product config body" 50 "$(fake_json "$FAKE_BODY" 'j["configuration"]["location"]["radius"]')"
assert_eq "product without a config: 404" 404 "$(fake_call GET /v1/products/3002/config)"
assert_eq "... with {} as documented" '{}' "$(cat "$FAKE_BODY")"
assert_eq "device config 200" 200 "$(fake_call GET $P/config/$A1)"
assert_eq "device config: current and pending" '5 {}' \
	"$(fake_json "$FAKE_BODY" '"%d %s" % (j["configuration"]["current"]["location"]["radius"], json.dumps(j["configuration"]["pending"]))')"
fake_call GET $P/config/$B1 > /dev/null
assert_eq "a device without its own config shows the product's" 50 \
	"$(fake_json "$FAKE_BODY" 'j["configuration"]["current"]["location"]["radius"]')"
assert_eq "no config anywhere: 404 {}" '404 {}' \
	"$(fake_call GET /v1/products/3002/config/3f60ff0000000000000000f1) $(cat "$FAKE_BODY")"
assert_eq "device of another product: 404" 404 "$(fake_call GET /v1/products/3002/config/$A1)"

st=$(_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X PUT -H @"$FAKE_DIR/auth" "$FAKE_URL$P/config/$A1")
assert_eq "empty PUT to an online device: 200" 200 "$st"
assert_eq "... body {}" '{}' "$(cat "$FAKE_BODY")"
fake_state > "$T/s1.json"
assert_eq "state: the device now has the product's config" "$(cat "$T/product.cfg")" "$(dev "$T/s1.json" $A1 '["config"]')"
assert_eq "PUT a config (replaces, no merge): 200" 200 \
	"$(fake_call PUT $P/config/$B1 '{"location":{"radius":7}}')"
fake_state > "$T/s2.json"
assert_eq "state: the new config" '{"location": {"radius": 7}}' "$(dev "$T/s2.json" $B1 '["config"]')"
assert_eq "a non-object body is 400" 400 "$(fake_call PUT $P/config/$B1 '[1]')"

assert_eq "empty PUT to an offline device: 202" 202 "$(fake_call PUT $P/config/$A2 '{}')"
assert_eq "... body {}" '{}' "$(cat "$FAKE_BODY")"
fake_call GET $P/config/$A2 > /dev/null
assert_eq "offline: current unchanged, pending the product's" '10 50' \
	"$(fake_json "$FAKE_BODY" '"%d %d" % (j["configuration"]["current"]["location"]["radius"], j["configuration"]["pending"]["location"]["radius"])')"
fake_state > "$T/s3.json"
assert_eq "state: config untouched, config_pending set" '10 50' \
	"$(fake_json "$T/s3.json" '"%d %d" % tuple([(d["config"]["location"]["radius"], d["config_pending"]["location"]["radius"]) for d in j["products"][0]["devices"] if d["id"] == "'$A2'"][0])')"
fake_online $A2 true
fake_state > "$T/s4.json"
assert_eq "connecting applies the pending config" "$(cat "$T/product.cfg")" "$(dev "$T/s4.json" $A2 '["config"]')"
assert_eq "... and clears config_pending" false "$(dev "$T/s4.json" $A2 '.get("config_pending") is not None')"
assert_eq "... and the device was heard from just now" true \
	"$(dev "$T/s4.json" $A2 '["last_heard"] != "2026-11-01T08:00:00.000Z"')"
fake_call GET $P/devices?perPage=1 > /dev/null
assert_eq "... so it lists first" alice-spare "$(fake_json "$FAKE_BODY" 'j["devices"][0]["name"]')"
fake_online $A2 false
fake_call GET $P/devices/$A2 > /dev/null
assert_eq "offline again" 'False False' "$(fake_json "$FAKE_BODY" '"%s %s" % (j["online"], j["connected"])')"
assert_eq "admin: unknown device 404" 404 \
	"$(_fake_curl -o /dev/null -w '%{http_code}' -X POST --data-binary '{"online":true}' "$FAKE_URL/admin/devices/000000000000000000000000")"
assert_eq "admin: online must be a bool" 400 \
	"$(_fake_curl -o /dev/null -w '%{http_code}' -X POST --data-binary '{"online":1}' "$FAKE_URL/admin/devices/$A2")"

# DELETE is documented as deleting the device's schema, not its values.
st=$(_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X PUT -H @"$FAKE_DIR/auth" \
	-H 'Content-Type: application/schema+json' --data-binary '{"type":"object"}' "$FAKE_URL$P/config/$B1")
assert_eq "set device schema 200" '200 object' "$st $(fake_json "$FAKE_BODY" 'j["type"]')"
fake_state > "$T/s5.json"
assert_eq "state: schema kept beside the config" '{"type": "object"} {"location": {"radius": 7}}' \
	"$(dev "$T/s5.json" $B1 '["config_schema"]') $(dev "$T/s5.json" $B1 '["config"]')"
assert_eq "DELETE config: 204" 204 "$(fake_call DELETE $P/config/$B1)"
fake_state > "$T/s6.json"
assert_eq "DELETE removed the schema only" 'false {"location": {"radius": 7}}' \
	"$(dev "$T/s6.json" $B1 '.get("config_schema") is not None') $(dev "$T/s6.json" $B1 '["config"]')"
fake_call GET $P/devices/$B1 > /dev/null
assert_eq "config fields are not device fields" '[]' \
	"$(fake_json "$FAKE_BODY" '[k for k in j if k.startswith("config") or k.startswith("function_")]')"

# Cloud functions.
assert_eq "call wipe: 200" 200 "$(fake_call POST $P/devices/$A1/wipe '{"arg":"erase-all"}')"
assert_eq "call: documented fields" '{"id": "'$A1'", "name": "alice-tracker", "connected": true, "return_value": 1}' \
	"$(fake_json "$FAKE_BODY" 'j')"
st=$(_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X POST -H @"$FAKE_DIR/auth" -d arg=form-arg "$FAKE_URL$P/devices/$A1/wipe")
assert_eq "form-encoded arg: 200" 200 "$st"
_fake_curl -D "$T/h" -o "$FAKE_BODY" -X POST -H @"$FAKE_DIR/auth" -d arg=x -d format=raw "$FAKE_URL$P/devices/$A1/wipe"
assert_eq "format=raw: the bare return value" 1 "$(cat "$FAKE_BODY")"
assert_grep "format=raw: text/plain" "$T/h" '^Content-Type: text/plain'
long=0123456789012345678901234567890123456789012345678901234567890123456789
assert_eq "a long arg: 200" 200 "$(fake_call POST $P/devices/$A1/reboot '{"arg":"'$long'"}')"
assert_eq "no arg: 200" 200 "$(fake_call POST /v1/devices/$A1/reboot)"
fake_state > "$T/s7.json"
assert_eq "state: every call recorded, arg cut to 63 characters" \
	'[["wipe", "erase-all"], ["wipe", "form-arg"], ["wipe", "x"], ["reboot", "'"$(echo $long | cut -c1-63)"'"], ["reboot", null]]' \
	"$(dev "$T/s7.json" $A1 '["function_calls"]' | "$PYTHON" -c 'import json,sys; print(json.dumps([[c["name"], c["arg"]] for c in json.load(sys.stdin)]))')"
dev "$T/s7.json" $A1 '["function_calls"][0]["at"]' > "$T/at"
assert_grep "state: calls have a time" "$T/at" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'

assert_eq "offline device: 404" 404 "$(fake_call POST $P/devices/$A2/wipe '{"arg":"x"}')"
assert_eq "offline device: body" 'Device is not connected to the cloud' "$(fake_json "$FAKE_BODY" 'j["error"]')"
assert_eq "unknown function: 404" 404 "$(fake_call POST $P/devices/$D1/wipe '{"arg":"x"}')"
assert_eq "unknown function: body" 'Function not found' "$(fake_json "$FAKE_BODY" 'j["error"]')"
assert_eq "function_results sets the return value" '200 0' \
	"$(fake_call POST $P/devices/$D1/reset) $(fake_json "$FAKE_BODY" 'j["return_value"]')"
assert_eq "device of another product: 404" 404 "$(fake_call POST /v1/products/3002/devices/$A1/wipe)"
fake_state > "$T/s8.json"
assert_eq "refused calls are not recorded" false "$(dev "$T/s8.json" $A2 '.get("function_calls") is not None')"
fake_online $A2 true
assert_eq "connected: now it runs" 200 "$(fake_call POST $P/devices/$A2/wipe '{"arg":"now"}')"

fake_behaviour '{"function_timeout": true}'
assert_eq "function_timeout: 408" 408 "$(fake_call POST $P/devices/$B1/wipe '{"arg":"late"}')"
assert_eq "function_timeout: body" '{"ok":false,"error":"timed out"}' "$(cat "$FAKE_BODY")"
fake_state > "$T/s9.json"
assert_eq "function_timeout: the device ran it anyway" '[{"name": "wipe", "arg": "late", "timed_out": true}]' \
	"$(dev "$T/s9.json" $B1 '["function_calls"]' | "$PYTHON" -c 'import json,sys; print(json.dumps([dict((k, c[k]) for k in ("name", "arg", "timed_out")) for c in json.load(sys.stdin)]))')"
