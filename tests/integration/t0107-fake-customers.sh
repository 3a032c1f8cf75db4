#!/bin/sh
# fakecloud: customer usernames that are not emails, customer_case_exact,
# the customers_paging switches (the list documents no paging parameters)
# and the generator's --non-email-share.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
C=/v1/products/3001/customers
users() { fake_json "$FAKE_BODY" '[c["username"] for c in j["customers"]]'; }

fake_call GET "$C" > /dev/null
assert_eq "usernames as Particle returns them, emails or not" \
	'["alice@example.com", "cust-7f3a9e", "Mixed.Case@Example.COM", "cust-0b1d2c", "erin@example.com"]' "$(users)"
assert_eq "a non-email customer owns its devices" '["3b20bb0000000000000000b1"]' \
	"$(fake_json "$FAKE_BODY" '[c for c in j["customers"] if c["username"] == "cust-7f3a9e"][0]["devices"]')"
assert_eq "a mixed-case username owns the device whose owner differs in case" '["3c30cc0000000000000000c1"]' \
	"$(fake_json "$FAKE_BODY" '[c for c in j["customers"] if c["id"] == "c3001c"][0]["devices"]')"
assert_eq "full_name is null when the fixture has none" null \
	"$(fake_json "$FAKE_BODY" '[c for c in j["customers"] if c["id"] == "c3001b"][0]["full_name"]')"

# Delete by a username that is not an email; the other product's stays.
assert_eq "delete cust-7f3a9e" 200 "$(fake_call DELETE "$C/cust-7f3a9e")"
assert_eq "delete body" '{"ok":true}' "$(cat "$FAKE_BODY")"
fake_state > "$T/s1.json"
assert_eq "gone from product 3001, still in 3002" '[false, true]' \
	"$(fake_json "$T/s1.json" '["cust-7f3a9e" in [c["username"] for c in p["customers"]] for p in j["products"]]')"
assert_eq "its device keeps its owner (delete does not unclaim)" cust-7f3a9e \
	"$(fake_json "$T/s1.json" '[d["owner"] for d in j["products"][0]["devices"] if d["name"] == "truck-7f3a9e"][0]')"

# Case: by default any case matches; customer_case_exact wants the exact one.
fake_behaviour '{"customer_case_exact": true}'
assert_eq "exact: lower-cased mixed-case username is 404" 404 \
	"$(fake_call DELETE "$C/mixed.case%40example.com")"
assert_eq "exact: 404 body" 'Customer not found' "$(fake_json "$FAKE_BODY" 'j["error"]')"
assert_eq "exact: upper-cased non-email username is 404" 404 "$(fake_call DELETE "$C/CUST-0B1D2C")"
fake_state > "$T/s2.json"
assert_eq "exact: a wrong case deletes nothing" 4 "$(fake_json "$T/s2.json" 'len(j["products"][0]["customers"])')"
assert_eq "exact: the exact username works" 200 "$(fake_call DELETE "$C/Mixed.Case%40Example.COM")"
fake_behaviour '{}'
assert_eq "default: any case matches" 200 "$(fake_call DELETE "$C/CUST-0B1D2C")"
assert_eq "default: the second delete is 404" 404 "$(fake_call DELETE "$C/cust-0b1d2c")"

# Paging on fleet.json's product 1001 (5 customers).
fake_start fleet
C=/v1/products/1001/customers
ids() { fake_json "$FAKE_BODY" '" ".join(c["id"] for c in j["customers"])'; }
pages() { fake_json "$FAKE_BODY" 'j["meta"]["total_pages"]'; }
fake_call GET "$C?perPage=2&page=3" > /dev/null
assert_eq "pages (default): page 3 of 3" 'c1001e 3' "$(ids) $(pages)"
fake_call GET "$C?per_page=2&page=2" > /dev/null
assert_eq "pages: per_page works too" 'c1001c c1001d' "$(ids)"

fake_behaviour '{"customers_paging": "ignore_page"}'
fake_call GET "$C?perPage=2&page=2" > /dev/null
assert_eq "ignore_page: page 2 is page 1" 'c1001a c1001b 3' "$(ids) $(pages)"
fake_call GET "$C?perPage=2&page=3" > /dev/null
assert_eq "ignore_page: so is page 3" 'c1001a c1001b' "$(ids)"

fake_behaviour '{"customers_paging": {"cap": 2}}'
fake_call GET "$C?perPage=4" > /dev/null
assert_eq "cap 2: perPage=4 gets 2, total_pages from the requested 4" 'c1001a c1001b 2' "$(ids) $(pages)"
fake_call GET "$C?perPage=4&page=2" > /dev/null
assert_eq "cap 2: page 2 of 2 continues at 3, so customer 5 is never seen" 'c1001c c1001d' "$(ids)"
seen=
for p in 1 2 3; do fake_call GET "$C?perPage=2&page=$p" > /dev/null; seen="$seen $(ids)"; done
assert_eq "cap 2: asking for perPage=2 walks all five" ' c1001a c1001b c1001c c1001d c1001e' "$seen"
assert_eq "cap 2: and its total_pages agrees" 3 "$(pages)"

fake_behaviour '{"customers_paging": "whole"}'
fake_call GET "$C?perPage=2&page=2" > /dev/null
assert_eq "whole: everyone at once" 'c1001a c1001b c1001c c1001d c1001e' "$(ids)"
assert_eq "whole: no meta at all" false "$(fake_json "$FAKE_BODY" '"meta" in j')"
assert_eq "whole: devices of all customers" 6 "$(fake_json "$FAKE_BODY" 'len(j["devices"])')"

# The generator: a share of customers named "cust-...", owners to match.
G="$FAKECLOUD --generate --products 1 --customers 40 --devices 60 --seed 5"
$G > "$T/g0.json"
$G --non-email-share 0 | cmp -s - "$T/g0.json"
assert_eq "--non-email-share 0 changes nothing" 0 "$?"
$G --non-email-share 0.5 > "$T/g5.json"
assert_eq "about half are not emails" true \
	"$(fake_json "$T/g5.json" '8 < sum(1 for c in j["products"][0]["customers"] if c["username"].startswith("cust-")) < 32')"
assert_eq "the rest are emails" true \
	"$(fake_json "$T/g5.json" 'all(c["username"].startswith("cust-") != ("@" in c["username"]) for c in j["products"][0]["customers"])')"
assert_eq "owners use the same usernames" true \
	"$(fake_json "$T/g5.json" 'set(d["owner"] for d in j["products"][0]["devices"] if d["owner"]) <= set(c["username"] for c in j["products"][0]["customers"])')"
assert_eq "devices are the same as without the option" \
	"$(fake_json "$T/g0.json" '[d["id"] for d in j["products"][0]["devices"]]')" \
	"$(fake_json "$T/g5.json" '[d["id"] for d in j["products"][0]["devices"]]')"
$G --non-email-share 1.5 > /dev/null 2>&1
assert_eq "--non-email-share above 1 is a usage error" 2 "$?"
fake_start "$T/g5.json"
u=$(fake_json "$T/g5.json" '[c["username"] for c in j["products"][0]["customers"] if c["username"].startswith("cust-")][0]')
fake_call GET /v1/products/2001/customers?perPage=100 > /dev/null
assert_eq "a generated non-email customer owns its devices" true \
	"$(fake_json "$FAKE_BODY" 'len([c for c in j["customers"] if c["username"] == "'"$u"'"][0]["devices"]) > 0')"
assert_eq "and can be deleted" 200 "$(fake_call DELETE "/v1/products/2001/customers/$u")"
