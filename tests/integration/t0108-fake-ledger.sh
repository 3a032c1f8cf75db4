#!/bin/sh
# fakecloud: ledger definitions (GET one, list, archived), distinct 404s for
# a missing definition and a missing instance, instance versions, and
# versions that outlive a deleted instance (also in the state dump).
. "$(dirname "$0")/../lib.sh"

fake_start conformance
A=3a10aa0000000000000000a1
B=3b20bb0000000000000000b1

assert_eq "definition 200" 200 "$(fake_call GET /v1/ledgers/device-prefs)"
assert_eq "definition: the documented fields" \
	'["archived_at", "created_at", "description", "direction", "name", "scope", "updated_at"]' \
	"$(fake_json "$FAKE_BODY" 'sorted(j["ledger"])')"
assert_eq "definition values" 'Device device-prefs Upstream None' \
	"$(fake_json "$FAKE_BODY" '"%s %s %s %s" % (j["ledger"]["scope"], j["ledger"]["name"], j["ledger"]["direction"], j["ledger"]["archived_at"])')"
assert_eq "definition under the product" 200 "$(fake_call GET /v1/products/tracker-fleet/ledgers/site-config)"
assert_eq "defaults: direction Downstream, description kept" 'Product Downstream product-wide settings' \
	"$(fake_json "$FAKE_BODY" '"%s %s %s" % (j["ledger"]["scope"], j["ledger"]["direction"], j["ledger"]["description"])')"

fake_call GET /v1/ledgers > /dev/null
assert_eq "list: the ones not archived" '["device-prefs", "site-config"]' \
	"$(fake_json "$FAKE_BODY" '[l["name"] for l in j["ledgers"]]')"
assert_eq "list meta" '{"page": 1, "per_page": 100, "total_pages": 1, "total": 2}' "$(fake_json "$FAKE_BODY" 'j["meta"]')"
fake_call GET '/v1/products/3001/ledgers?archived=true' > /dev/null
assert_eq "archived=true: the archived ones" '["old-notes"] ["2026-06-01T00:00:00.000Z"]' \
	"$(fake_json "$FAKE_BODY" 'json.dumps([l["name"] for l in j["ledgers"]]) + " " + json.dumps([l["archived_at"] for l in j["ledgers"]])')"

# Two different 404s.
assert_eq "missing definition 404" 404 "$(fake_call GET /v1/ledgers/nope)"
cp "$FAKE_BODY" "$T/nodef"
assert_eq "missing definition body" '{"ok":false,"error":"Ledger not found"}' "$(cat "$T/nodef")"
assert_eq "missing definition, instance path" 404 "$(fake_call GET /v1/ledgers/nope/instances/$A)"
assert_eq "... same body" "$(cat "$T/nodef")" "$(cat "$FAKE_BODY")"
assert_eq "missing instance 404" 404 "$(fake_call GET /v1/ledgers/device-prefs/instances/3e50ee0000000000000000e1)"
assert_eq "missing instance body differs" '{"ok":false,"error":"Ledger instance not found"}' "$(cat "$FAKE_BODY")"
assert_eq "delete of a missing instance: 404 instance" 404 \
	"$(fake_call DELETE /v1/products/3001/ledgers/device-prefs/instances/3e50ee0000000000000000e1)"
assert_eq "... body" 'Ledger instance not found' "$(fake_json "$FAKE_BODY" 'j["error"]')"
assert_eq "delete in a missing ledger: 404 ledger" 404 \
	"$(fake_call DELETE /v1/products/3001/ledgers/nope/instances/$A)"
assert_eq "... body" 'Ledger not found' "$(fake_json "$FAKE_BODY" 'j["error"]')"

# Versions: current first (no replaced_at), then the replaced ones.
V=/v1/products/3001/ledgers/device-prefs/instances/$A/versions
assert_eq "versions 200" 200 "$(fake_call GET "$V")"
assert_eq "current, then replaced" '[null, "2026-11-01T00:00:00.000Z"]' \
	"$(fake_json "$FAKE_BODY" '[v.get("replaced_at") for v in j["versions"]]')"
assert_eq "version shape" 'device-prefs Device '"$A"' imperial' \
	"$(fake_json "$FAKE_BODY" '" ".join([j["versions"][1]["name"], j["versions"][1]["scope"]["type"], j["versions"][1]["scope"]["value"], j["versions"][1]["data"]["units"]])')"
assert_eq "meta has_more" '{"has_more": false}' "$(fake_json "$FAKE_BODY" 'j["meta"]')"
fake_call GET "$V?replaced_before=2026-11-02T00:00:00Z" > /dev/null
assert_eq "replaced_before" '["2026-11-01T00:00:00.000Z"]' "$(fake_json "$FAKE_BODY" '[v.get("replaced_at") for v in j["versions"]]')"
fake_call GET "$V?replaced_after=2026-11-02T00:00:00Z" > /dev/null
assert_eq "replaced_after" '[]' "$(fake_json "$FAKE_BODY" 'j["versions"]')"
assert_eq "a bad date is 400" 400 "$(fake_call GET "$V?replaced_before=yesterday")"
assert_eq "versions of a missing instance: 404 instance" 404 \
	"$(fake_call GET /v1/ledgers/device-prefs/instances/3e50ee0000000000000000e1/versions)"

# Setting an instance: 201, and the old data becomes a version.
assert_eq "set instance: 201 as documented" 201 \
	"$(fake_call PUT /v1/ledgers/device-prefs/instances/$B '{"data":{"units":"imperial"}}')"
assert_eq "set instance body" 'imperial '"$B" \
	"$(fake_json "$FAKE_BODY" 'j["instance"]["data"]["units"] + " " + j["instance"]["scope"]["value"]')"
fake_call GET /v1/ledgers/device-prefs/instances/$B/versions > /dev/null
assert_eq "the replaced data is a version" '["imperial", "metric"]' \
	"$(fake_json "$FAKE_BODY" '[v["data"]["units"] for v in j["versions"]]')"
assert_eq "a non-object data is 400" 400 "$(fake_call PUT /v1/ledgers/device-prefs/instances/$B '{"data":5}')"

# Deleting an instance keeps its versions (the least favourable reading).
assert_eq "delete instance 204" 204 "$(fake_call DELETE /v1/products/3001/ledgers/device-prefs/instances/$A)"
assert_eq "the instance is gone" 404 "$(fake_call GET /v1/ledgers/device-prefs/instances/$A)"
assert_eq "its versions are not" 200 "$(fake_call GET "$V")"
assert_eq "the deleted data is now a replaced version" '[["metric", true], ["imperial", true]]' \
	"$(fake_json "$FAKE_BODY" '[[v["data"]["units"], "replaced_at" in v] for v in j["versions"]]')"
fake_state > "$T/s.json"
assert_eq "state: instance gone" '["'"$B"'"]' \
	"$(fake_json "$T/s.json" '[i["scope_value"] for i in j["ledgers"][0]["instances"]]')"
assert_eq "state: versions by scope value, oldest first" '{"'"$A"'": ["imperial", "metric"], "'"$B"'": ["metric"]}' \
	"$(fake_json "$T/s.json" 'dict((k, [v["data"]["units"] for v in vs]) for k, vs in j["ledgers"][0]["versions"].items())')"
assert_eq "state: other ledgers have no versions key" false "$(fake_json "$T/s.json" '"versions" in j["ledgers"][1]')"

# The dump loads as a fixture: versions survive a round trip.
"$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1])); j["token"] = "t"; json.dump(j, open(sys.argv[2], "w"))' "$T/s.json" "$T/again.json"
fake_start "$T/again.json"
fake_call GET "$V" > /dev/null
assert_eq "versions reload from a dump" '["metric", "imperial"]' \
	"$(fake_json "$FAKE_BODY" '[v["data"]["units"] for v in j["versions"]]')"
