#!/bin/sh
# fakecloud: list endpoints, paging (perPage and per_page), filters, slugs.
. "$(dirname "$0")/../lib.sh"

fake_start fleet

st=$(fake_call GET '/v1/products/1001/devices?perPage=4')
assert_eq "device list 200" 200 "$st"
assert_eq "perPage=4: 9 devices are 3 pages" 3 "$(fake_json "$FAKE_BODY" 'j["meta"]["total_pages"]')"
assert_eq "perPage=4: 4 devices on page 1" 4 "$(fake_json "$FAKE_BODY" 'len(j["devices"])')"
assert_eq "list entries carry product_id and owner" '1001 alice@example.com' \
	"$(fake_json "$FAKE_BODY" '"%d %s" % (j["devices"][0]["product_id"], j["devices"][0]["owner"])')"
assert_eq "list entries omit notes, like Particle's list" false \
	"$(fake_json "$FAKE_BODY" '"notes" in j["devices"][0]')"
assert_eq "top-level customers of the page" '["alice@example.com", "bob.smith+iot@example.org", "carol@example.com"]' \
	"$(fake_json "$FAKE_BODY" 'sorted(c["username"].lower() for c in j["customers"])')"

fake_call GET '/v1/products/1001/devices?per_page=4&page=3' > /dev/null
assert_eq "per_page=4 page 3 has the last device" '["0f60ff0000000000000000f1"]' \
	"$(fake_json "$FAKE_BODY" '[d["id"] for d in j["devices"]]')"
fake_call GET '/v1/products/1001/devices?page=9' > /dev/null
assert_eq "a page past the end is empty" '0 1' \
	"$(fake_json "$FAKE_BODY" '"%d %d" % (len(j["devices"]), j["meta"]["total_pages"])')"
fake_call GET '/v1/products/1001/devices' > /dev/null
assert_eq "default page size is 25" '9 1' \
	"$(fake_json "$FAKE_BODY" '"%d %d" % (len(j["devices"]), j["meta"]["total_pages"])')"
fake_call GET '/v1/products/1001/devices?page=2&perPage=3' > /dev/null
assert_eq "unowned device in a list has no owner key" \
	'[true, true, true]' "$(fake_json "$FAKE_BODY" '[("owner" in d) == (d["name"] not in ("spare-1", "spare-2")) for d in j["devices"]]')"

st=$(fake_call GET '/v1/products/acme-lock/customers?perPage=2')
assert_eq "customers by product slug" 200 "$st"
assert_eq "3 customers at 2 per page: 2 pages" 2 "$(fake_json "$FAKE_BODY" 'j["meta"]["total_pages"]')"
assert_eq "customer devices derived from owner" '["1a10aa0000000000000000a1"]' \
	"$(fake_json "$FAKE_BODY" 'j["customers"][0]["devices"]')"
fake_call GET '/v1/products/acme-lock/customers?per_page=2&page=2' > /dev/null
assert_eq "mixed-case username matches a lower-case owner" \
	'Grace.Hopper@Example.COM ["1c30cc0000000000000000c1"]' \
	"$(fake_json "$FAKE_BODY" 'j["customers"][0]["username"] + " " + json.dumps(j["customers"][0]["devices"])')"
assert_eq "customers list carries its devices" '["1c30cc0000000000000000c1"]' \
	"$(fake_json "$FAKE_BODY" '[d["id"] for d in j["devices"]]')"

fake_call GET '/v1/products/1001/customers?perPage=100' > /dev/null
assert_eq "Alice owns both devices whatever the owner's case" \
	'["0a10aa0000000000000000a1", "0a10aa0000000000000000a2"]' \
	"$(fake_json "$FAKE_BODY" '[c for c in j["customers"] if c["id"] == "c1001a"][0]["devices"]')"

fake_call GET '/v1/products/1001/devices?deviceId=0C30CC' > /dev/null
assert_eq "deviceId filter is partial and case-insensitive" 2 "$(fake_json "$FAKE_BODY" 'len(j["devices"])')"
fake_call GET '/v1/products/1001/devices?deviceId=0b20bb0000000000000000b1' > /dev/null
assert_eq "full deviceId finds one" '1 1' \
	"$(fake_json "$FAKE_BODY" '"%d %d" % (len(j["devices"]), j["meta"]["total_pages"])')"
fake_call GET '/v1/products/1002/devices?deviceId=0b20bb0000000000000000b1' > /dev/null
assert_eq "full deviceId of another product's device finds none" 0 "$(fake_json "$FAKE_BODY" 'len(j["devices"])')"
fake_call GET '/v1/products/1001/devices?deviceName=ALICE&groups=beta,us' > /dev/null
assert_eq "deviceName and groups filters" '["alice-kitchen"]' \
	"$(fake_json "$FAKE_BODY" '[d["name"] for d in j["devices"]]')"
fake_call GET '/v1/products/1001/devices?sortAttr=deviceName&sortDir=desc&perPage=2' > /dev/null
assert_eq "sortAttr=deviceName desc" '["spare-2", "spare-1"]' \
	"$(fake_json "$FAKE_BODY" '[d["name"] for d in j["devices"]]')"

fake_call GET '/v1/products/1001/devices?perPage=1000' > /dev/null
assert_eq "perPage is capped at 100" 9 "$(fake_json "$FAKE_BODY" 'len(j["devices"])')"

fake_call GET '/v1/products/1001/sims?deviceId=0c30cc0000000000000000c1' > /dev/null
assert_eq "SIM list by deviceId" '["89014103211118510703"]' \
	"$(fake_json "$FAKE_BODY" '[s["_id"] for s in j["sims"]]')"
assert_eq "SIM list names the device" carol-office "$(fake_json "$FAKE_BODY" 'j["sims"][0]["last_device_name"]')"
fake_call GET '/v1/products/1001/sims?perPage=3' > /dev/null
assert_eq "SIM list pages" 2 "$(fake_json "$FAKE_BODY" 'j["meta"]["total_pages"]')"

fake_call GET '/v1/ledgers/device-prefs/instances?per_page=2' > /dev/null
assert_eq "ledger instance list meta" '{"page": 1, "per_page": 2, "total_pages": 3, "total": 5}' \
	"$(fake_json "$FAKE_BODY" 'j["meta"]')"

assert_eq "unknown product 404" 404 "$(fake_call GET /v1/products/9999/devices)"
assert_eq "unknown product body" 'False Product not found' \
	"$(fake_json "$FAKE_BODY" '"%s %s" % (j["ok"], j["error"])')"
assert_eq "unknown route 404" 404 "$(fake_call GET /v1/products/1001/bogus)"
assert_eq "device of another product is 404" 404 \
	"$(fake_call GET /v1/products/1002/devices/0a10aa0000000000000000a1)"
assert_eq "product by slug" 200 "$(fake_call GET /v1/products/acme-lock)"
assert_eq "product body" '1002 acme-lock Acme Lock' \
	"$(fake_json "$FAKE_BODY" '"%d %s %s" % (j["product"]["id"], j["product"]["slug"], j["product"]["name"])')"
