#!/bin/sh
# fakecloud: customer delete, device update/unclaim/remove, SIM and ledger
# changes show in the state dump; the request log keeps raw paths.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
P=/v1/products

# Customer delete: the email arrives percent-encoded (+ and @), any case.
st=$(fake_call DELETE "$P/1001/customers/bob.smith%2Biot%40example.org")
assert_eq "delete customer 200" 200 "$st"
assert_eq "delete customer body" '{"ok":true}' "$(cat "$FAKE_BODY")"
st=$(fake_call DELETE "$P/1001/customers/Bob.Smith%2Biot%40Example.org")
assert_eq "second delete is 404" 404 "$st"
assert_eq "404 body" 'Customer not found' "$(fake_json "$FAKE_BODY" 'j["error"]')"
fake_state > "$T/s1.json"
assert_eq "customer gone from the state" '[]' \
	"$(fake_json "$T/s1.json" '[c for p in j["products"] for c in p["customers"] if "bob" in c["username"].lower()]')"
assert_eq "its device keeps its owner (delete does not unclaim)" 'bob.smith+iot@example.org' \
	"$(fake_json "$T/s1.json" '[d["owner"] for d in j["products"][0]["devices"] if d["id"] == "0b20bb0000000000000000b1"][0]')"
assert_eq "other products' customers untouched" 3 \
	"$(fake_json "$T/s1.json" 'len(j["products"][1]["customers"])')"
assert_eq "state dump has no token" false "$(fake_json "$T/s1.json" '"token" in j')"

# Device update.
st=$(fake_call PUT "$P/1001/devices/0a10aa0000000000000000a1" '{"notes":"","name":"device-a1","groups":[]}')
assert_eq "PUT device 200" 200 "$st"
assert_eq "PUT echoes the fields" '0a10aa0000000000000000a1  device-a1' \
	"$(fake_json "$FAKE_BODY" '" ".join([j["id"], j["notes"], j["name"]])')"
assert_grep "PUT reply has updated_at" "$FAKE_BODY" '"updated_at":"20[0-9-]+T'
st=$(fake_call PUT "$P/1001/devices/0c30cc0000000000000000c1" '{"notes":5,"name":"x"}')
assert_eq "PUT with a bad value is 400" 400 "$st"
st=$(fake_call PUT "$P/1001/devices/0c30cc0000000000000000c1" '{"colour":"red"}')
assert_eq "PUT with nothing to change is 400" 400 "$st"
st=$(fake_call PUT "$P/1001/devices/0c30cc0000000000000000c1" 'notes=')
assert_eq "PUT with a non-JSON body is 400" 400 "$st"
fake_call GET "$P/1001/devices/0c30cc0000000000000000c1" > /dev/null
assert_eq "a refused PUT changes nothing" 'carol-office Carol Chen, office 3F' \
	"$(fake_json "$FAKE_BODY" 'j["name"] + " " + j["notes"]')"
st=$(_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X PUT -H @"$FAKE_DIR/auth" \
	--data-urlencode 'notes=' "$FAKE_URL$P/1001/devices/0c30cc0000000000000000c2")
assert_eq "form-encoded PUT works" 200 "$st"

# Unclaim keeps the device in the product.
st=$(fake_call DELETE "$P/acme-thermostat/devices/0A10AA0000000000000000A2/owner")
assert_eq "unclaim 200" 200 "$st"
assert_eq "unclaim body" '{"ok":true}' "$(cat "$FAKE_BODY")"
fake_call GET "$P/1001/devices/0a10aa0000000000000000a2" > /dev/null
assert_eq "unclaimed device has no owner" false "$(fake_json "$FAKE_BODY" '"owner" in j')"
fake_call GET "$P/1001/customers" > /dev/null
assert_eq "customer's device list drops the unclaimed device" '["0a10aa0000000000000000a1"]' \
	"$(fake_json "$FAKE_BODY" '[c for c in j["customers"] if c["id"] == "c1001a"][0]["devices"]')"

# Remove from product.
st=$(fake_call DELETE "$P/1002/devices/1b20bb0000000000000000b2")
assert_eq "remove from product 204" 204 "$st"
assert_eq "204 has no body" 0 "$(wc -c < "$FAKE_BODY" | tr -d ' ')"
assert_eq "removed device is 404" 404 "$(fake_call GET "$P/1002/devices/1b20bb0000000000000000b2")"
assert_eq "removing again is 404" 404 "$(fake_call DELETE "$P/1002/devices/1b20bb0000000000000000b2")"

# SIMs.
assert_eq "deactivate SIM" 200 "$(fake_call PUT "$P/1002/sims/89014103211118510711" '{"action":"deactivate"}')"
assert_eq "activate is refused for product SIMs" 400 "$(fake_call PUT "$P/1002/sims/89014103211118510711" '{"action":"activate"}')"
assert_eq "release SIM 204" 204 "$(fake_call DELETE "$P/1002/sims/89014103211118510712")"
assert_eq "released SIM is 404" 404 "$(fake_call GET "$P/1002/sims/89014103211118510712")"

# Ledger instances.
assert_eq "get ledger instance" 200 "$(fake_call GET /v1/ledgers/device-prefs/instances/0a10aa0000000000000000a1)"
assert_eq "instance shape" 'Device 0a10aa0000000000000000a1 21' \
	"$(fake_json "$FAKE_BODY" '"%s %s %d" % (j["instance"]["scope"]["type"], j["instance"]["scope"]["value"], j["instance"]["data"]["temp"])')"
assert_eq "delete ledger instance 204" 204 "$(fake_call DELETE "$P/1001/ledgers/device-prefs/instances/0a10aa0000000000000000a1")"
assert_eq "deleted instance is 404" 404 "$(fake_call GET /v1/ledgers/device-prefs/instances/0a10aa0000000000000000a1)"
assert_eq "unknown ledger is 404" 404 "$(fake_call GET /v1/ledgers/nope/instances/x)"

fake_state > "$T/s2.json"
assert_eq "state: unclaimed owner is null" null \
	"$(fake_json "$T/s2.json" '[d for d in j["products"][0]["devices"] if d["id"] == "0a10aa0000000000000000a2"][0]["owner"]')"
assert_eq "state: updated notes and name" '["", "device-a1"]' \
	"$(fake_json "$T/s2.json" '[[d["notes"], d["name"]] for d in j["products"][0]["devices"] if d["id"] == "0a10aa0000000000000000a1"][0]')"
assert_eq "state: removed device gone" 5 "$(fake_json "$T/s2.json" 'len(j["products"][1]["devices"])')"
assert_eq "state: SIM statuses" '{"89014103211118510711": "inactive", "89014103211118510713": "active"}' \
	"$(fake_json "$T/s2.json" 'dict((s["iccid"], s["status"]) for s in j["products"][1]["sims"])')"
assert_eq "state: instance gone" 4 "$(fake_json "$T/s2.json" 'len(j["ledgers"][0]["instances"])')"

fake_requests > "$T/req.json"
assert_eq "log keeps the raw, escaped path" "DELETE $P/1001/customers/bob.smith%2Biot%40example.org 200" \
	"$(fake_json "$T/req.json" '" ".join([j[0]["method"], j[0]["path"], str(j[0]["status"])])')"
assert_eq "log has every API request and no admin call" 22 "$(fake_json "$T/req.json" 'len(j)')"
fake_reset_log
fake_requests > "$T/req2.json"
assert_eq "reset-log empties the log" '[]' "$(cat "$T/req2.json")"
