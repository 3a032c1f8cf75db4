#!/bin/sh
# fakecloud --generate: deterministic synthetic fleets; 100,000 devices load
# and serve with efficient paging and O(1) id lookups.
. "$(dirname "$0")/../lib.sh"

G="$FAKECLOUD --generate --products 2 --customers 40000 --devices 100000"
$G --seed 7 > "$T/big.json"
assert_eq "generator exits 0" 0 "$?"
$G --seed 7 | cmp -s - "$T/big.json"
assert_eq "same seed, same fleet" 0 "$?"
$FAKECLOUD --generate --products 1 --customers 10 --devices 30 --seed 8 > "$T/s8.json"
$FAKECLOUD --generate --products 1 --customers 10 --devices 30 --seed 9 > "$T/s9.json"
if cmp -s "$T/s8.json" "$T/s9.json"; then not_ok "another seed, another fleet"; else
	ok "another seed, another fleet"; fi
assert_eq "small fleet shape" '10 30 1' \
	"$(fake_json "$T/s8.json" '"%d %d %d" % (len(j["products"][0]["customers"]), len(j["products"][0]["devices"]), len(j["ledgers"]))')"
$FAKECLOUD --generate --products 0 --devices 5 > /dev/null 2>&1
assert_eq "--products 0 is a usage error" 2 "$?"

fake_start "$T/big.json"

fake_call GET '/v1/products/2001/devices?perPage=100' > /dev/null
assert_eq "50,000 devices in product 2001: 500 pages of 100" '500 100' \
	"$(fake_json "$FAKE_BODY" '"%d %d" % (j["meta"]["total_pages"], len(j["devices"]))')"
fake_call GET '/v1/products/product-2/devices?per_page=100&page=500' > /dev/null
assert_eq "last page by slug" '100 device-100000' \
	"$(fake_json "$FAKE_BODY" '"%d %s" % (len(j["devices"]), j["devices"][-1]["name"])')"
id=$(fake_json "$FAKE_BODY" 'j["devices"][-1]["id"]')
assert_eq "GET one device by id" 200 "$(fake_call GET "/v1/products/2002/devices/$id")"
fake_call GET "/v1/products/2002/devices?deviceId=$id" > /dev/null
assert_eq "deviceId filter over 50,000 devices" "$id" "$(fake_json "$FAKE_BODY" 'j["devices"][0]["id"]')"
fake_call GET '/v1/products/2001/customers?perPage=100&page=200' > /dev/null
assert_eq "customers page 200 of 200" '200 100' \
	"$(fake_json "$FAKE_BODY" '"%d %d" % (j["meta"]["total_pages"], len(j["customers"]))')"
assert_eq "unique generated emails" user19901@example.com \
	"$(fake_json "$FAKE_BODY" 'j["customers"][0]["username"]')"
assert_eq "delete a generated customer" 200 "$(fake_call DELETE /v1/products/2001/customers/user00042%40example.com)"
assert_eq "ledger instances generated" 200 \
	"$(fake_call GET '/v1/ledgers/device-prefs/instances?perPage=1')"
assert_eq "about 40,000 instances" true "$(fake_json "$FAKE_BODY" '30000 < j["meta"]["total"] < 50000')"

# A page of 100 from the middle of a 50,000-device list is quick.
t=$(_fake_curl -o /dev/null -w '%{time_total}' -H @"$FAKE_DIR/auth" \
	"$FAKE_URL/v1/products/2001/devices?perPage=100&page=250")
assert_eq "mid-list page under 0.5 s" true "$(awk -v t="$t" 'BEGIN{print (t < 0.5) ? "true" : "false"}')"
