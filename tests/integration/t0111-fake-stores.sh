#!/bin/sh
# fakecloud: Tracker locations, device vitals and integrations as
# documented; locations and vitals cannot be deleted and, like
# integrations, outlive the device's removal, unclaiming and its customer.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
P=/v1/products/3001
A1=3a10aa0000000000000000a1
B1=3b20bb0000000000000000b1
C1=3c30cc0000000000000000c1

# Locations: last known by default, one entry per device with data.
assert_eq "locations 200" 200 "$(fake_call GET $P/locations)"
assert_eq "devices with history" '["'$A1'", "3a10aa0000000000000000a2", "'$B1'"]' \
	"$(fake_json "$FAKE_BODY" '[l["device_id"] for l in j["locations"]]')"
assert_eq "meta as documented" '{"page": 1, "per_page": 20, "total_pages": 1, "devices_found": 3}' \
	"$(fake_json "$FAKE_BODY" 'j["meta"]')"
assert_eq "last known: a Point and one timestamp" 'Point [13.42, 52.53] ["2026-11-20T10:00:00Z"]' \
	"$(fake_json "$FAKE_BODY" '"%s %s %s" % (j["locations"][0]["geometry"]["type"], json.dumps(j["locations"][0]["geometry"]["coordinates"]), json.dumps(j["locations"][0]["timestamps"]))')"
assert_eq "entry fields" '["device_id", "device_name", "geometry", "gps_lock", "groups", "last_heard", "online", "product_id", "timestamps"]' \
	"$(fake_json "$FAKE_BODY" 'sorted(j["locations"][0])')"
assert_eq "gps_lock from the point" false "$(fake_json "$FAKE_BODY" 'j["locations"][2]["gps_lock"]')"
fake_call GET "$P/locations?device_id=3B" > /dev/null
assert_eq "device_id prefix (any case)" '["'$B1'"]' "$(fake_json "$FAKE_BODY" '[l["device_id"] for l in j["locations"]]')"
fake_call GET "$P/locations?device_name=alice" > /dev/null
assert_eq "device_name prefix" 2 "$(fake_json "$FAKE_BODY" 'j["meta"]["devices_found"]')"
fake_call GET "$P/locations?groups=vans" > /dev/null
assert_eq "groups" '["truck-7f3a9e"]' "$(fake_json "$FAKE_BODY" '[l["device_name"] for l in j["locations"]]')"
fake_call GET "$P/locations?date_range=2026-11-19T00:00:00Z,2026-11-24T23:00:00Z" > /dev/null
assert_eq "date_range: LineStrings of the points in range" \
	'[["'$A1'", "LineString", 2], ["'$B1'", "LineString", 1]]' \
	"$(fake_json "$FAKE_BODY" '[[l["device_id"], l["geometry"]["type"], len(l["geometry"]["coordinates"])] for l in j["locations"]]')"
fake_call GET "$P/locations?rect_bl=52,13&rect_tr=53,14" > /dev/null
assert_eq "rect_bl/rect_tr (latitude,longitude)" '["'$A1'"]' "$(fake_json "$FAKE_BODY" '[l["device_id"] for l in j["locations"]]')"
fake_call GET "$P/locations?per_page=1&page=2" > /dev/null
assert_eq "per_page and page" '["3a10aa0000000000000000a2"] 3' \
	"$(fake_json "$FAKE_BODY" 'json.dumps([l["device_id"] for l in j["locations"]]) + " %d" % j["meta"]["total_pages"]')"
assert_eq "a bad date_range is 400" 400 "$(fake_call GET "$P/locations?date_range=yesterday")"

assert_eq "one device 200" 200 "$(fake_call GET "$P/locations/$A1?date_range=2026-11-01T00:00:00Z,2026-11-30T00:00:00Z")"
assert_eq "one device: every point, with properties" '3 3 12.5' \
	"$(fake_json "$FAKE_BODY" '"%d %d %s" % (len(j["location"]["timestamps"]), len(j["location"]["properties"]), j["location"]["properties"][1]["speed"])')"
assert_eq "one device: meta {}" '{}' "$(fake_json "$FAKE_BODY" 'j["meta"]')"
fake_call GET "$P/locations/$A1" > /dev/null
assert_eq "one device, last known" 'Point 1' \
	"$(fake_json "$FAKE_BODY" '"%s %d" % (j["location"]["geometry"]["type"], len(j["location"]["properties"]))')"
fake_call GET "$P/locations/$C1" > /dev/null
assert_eq "a device without history: no points" '[] None' \
	"$(fake_json "$FAKE_BODY" 'json.dumps(j["location"]["timestamps"]) + " " + str(j["location"]["geometry"])')"
assert_eq "an unknown device: 404" 404 "$(fake_call GET $P/locations/000000000000000000000000)"

# Vitals.
assert_eq "vitals 200" 200 "$(fake_call GET /v1/diagnostics/$A1)"
assert_eq "all records, documented shape" '2 ["deviceID", "payload", "updated_at"]' \
	"$(fake_json "$FAKE_BODY" '"%d %s" % (len(j["diagnostics"]), json.dumps(sorted(j["diagnostics"][0])))')"
assert_eq "cell tower ids are in the payload" 20160117 \
	"$(fake_json "$FAKE_BODY" 'j["diagnostics"][0]["payload"]["device"]["network"]["cellular"]["cell_global_identity"]["cell_id"]')"
fake_call GET "$P/diagnostics/$A1?end_date=2026-11-20T00:00:00Z" > /dev/null
assert_eq "end_date is exclusive" '["2026-11-19T10:00:00.000Z"]' "$(fake_json "$FAKE_BODY" '[d["updated_at"] for d in j["diagnostics"]]')"
fake_call GET "$P/diagnostics/$A1/last" > /dev/null
assert_eq "last" '2026-11-20T10:00:00.000Z '"$A1" \
	"$(fake_json "$FAKE_BODY" 'j["diagnostics"]["updated_at"] + " " + j["diagnostics"]["deviceID"]')"
assert_eq "a bad date: the documented bad_request body, status as in the example" \
	'200 bad_request start_date and end_date must be ISO8601 formatted' \
	"$(fake_call GET "/v1/diagnostics/$A1?end_date=invalid-date") $(fake_json "$FAKE_BODY" 'j["error"] + " " + j["description"]')"
assert_eq "start_date more than 30 days ago" 'bad_request start_date must not be more than than 30 days ago' \
	"$(fake_call GET "/v1/diagnostics/$A1?start_date=2001-01-01T00:00:00Z" > /dev/null; fake_json "$FAKE_BODY" 'j["error"] + " " + j["description"]')"
assert_eq "no records: empty list" '[]' "$(fake_call GET /v1/diagnostics/$C1 > /dev/null; fake_json "$FAKE_BODY" 'j["diagnostics"]')"
assert_eq "no records: last is 404" 404 "$(fake_call GET /v1/diagnostics/$C1/last)"
assert_eq "device of another product: 404" 404 "$(fake_call GET /v1/products/3002/diagnostics/$A1)"

# Integrations.
assert_eq "integrations 200" 200 "$(fake_call GET $P/integrations)"
assert_eq "a bare array, without logs" '[["6500000000000000000000a1", "Webhook", false], ["6500000000000000000000b2", "GoogleCloudPubSub", false]]' \
	"$(fake_json "$FAKE_BODY" '[[i["id"], i["integration_type"], "logs" in i] for i in j]')"
fake_call GET $P/webhooks > /dev/null
assert_eq "webhooks lists only webhooks" '["6500000000000000000000a1"]' "$(fake_json "$FAKE_BODY" '[i["id"] for i in j]')"
assert_eq "one integration 200" 200 "$(fake_call GET $P/integrations/6500000000000000000000a1)"
assert_eq "one integration: deviceID and logs" "$A1 1 alice@example.com" \
	"$(fake_json "$FAKE_BODY" 'j["integration"]["deviceID"] + " %d " % len(j["integration"]["logs"]) + json.loads(j["integration"]["logs"][0]["event"]["data"])["owner"]')"
fake_call GET $P/integrations/6500000000000000000000b2 > /dev/null
assert_eq "logs default to []" '[]' "$(fake_json "$FAKE_BODY" 'j["integration"]["logs"]')"
assert_eq "unknown integration: 404" 404 "$(fake_call GET $P/integrations/nope)"

# Nothing deletes locations or vitals; integrations go only when deleted.
assert_eq "no DELETE for locations" 404 "$(fake_call DELETE $P/locations/$A1)"
assert_eq "no DELETE for vitals" 404 "$(fake_call DELETE /v1/diagnostics/$A1)"
assert_eq "unclaim" 200 "$(fake_call DELETE $P/devices/$A1/owner)"
assert_eq "delete the customer" 200 "$(fake_call DELETE $P/customers/alice%40example.com)"
assert_eq "remove the device" 204 "$(fake_call DELETE $P/devices/$A1)"
fake_call GET $P/locations/$A1 > /dev/null
assert_eq "locations outlive the device" '200 None 3' \
	"$(fake_call GET "$P/locations/$A1?date_range=2026-11-01T00:00:00Z,2026-11-30T00:00:00Z") $(fake_json "$FAKE_BODY" 'str(j["location"]["device_name"]) + " %d" % len(j["location"]["timestamps"])')"
fake_call GET $P/locations > /dev/null
assert_eq "... in the list too" 3 "$(fake_json "$FAKE_BODY" 'j["meta"]["devices_found"]')"
assert_eq "vitals outlive the device" '200 2' \
	"$(fake_call GET /v1/products/3001/diagnostics/$A1) $(fake_json "$FAKE_BODY" 'len(j["diagnostics"])')"
assert_eq "the integration naming it stays" 200 "$(fake_call GET $P/integrations/6500000000000000000000a1)"
fake_state > "$T/s.json"
assert_eq "state: the device is gone" '[]' "$(fake_json "$T/s.json" '[d for d in j["products"][0]["devices"] if d["id"] == "'$A1'"]')"
assert_eq "state: its locations, vitals and integration are not" '3 2 1' \
	"$(fake_json "$T/s.json" '"%d %d %d" % (len(j["products"][0]["locations"]["'$A1'"]), len(j["vitals"]["'$A1'"]), len([i for i in j["products"][0]["integrations"] if i.get("deviceID") == "'$A1'"]))')"
assert_eq "delete the integration: 204" 204 "$(fake_call DELETE $P/integrations/6500000000000000000000a1)"
assert_eq "then it is gone" 404 "$(fake_call GET $P/integrations/6500000000000000000000a1)"
assert_eq "deleting again: 404" 404 "$(fake_call DELETE $P/integrations/6500000000000000000000a1)"
