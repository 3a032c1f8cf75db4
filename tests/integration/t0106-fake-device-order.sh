#!/bin/sh
# fakecloud: the documented default device order (last connection, newest
# first; fixture order on ties; never-heard devices last), stable sortAttr
# orders, shifting_order (devices connect between list requests), and the
# behaviour switches' admin endpoint, file and flags.
. "$(dirname "$0")/../lib.sh"

fake_start conformance --seed 11
D=/v1/products/3001/devices
names() { fake_json "$FAKE_BODY" '[d["name"] for d in j["devices"]]'; }

assert_eq "device list 200" 200 "$(fake_call GET "$D")"
assert_eq "default order: newest last_heard first, ties in fixture order, never heard last" \
	'["truck-7f3a9e", "alice-tracker", "van-0b1d2c", "alice-spare", "mia-bike", "spare-tracker"]' "$(names)"
assert_eq "a device never heard from has last_heard null" null \
	"$(fake_json "$FAKE_BODY" '[d["last_heard"] for d in j["devices"] if d["name"] == "spare-tracker"][0]')"
fake_call GET "$D?sortAttr=lastConnection&sortDir=asc" > /dev/null
assert_eq "lastConnection asc is the exact reverse" \
	'["spare-tracker", "mia-bike", "alice-spare", "van-0b1d2c", "alice-tracker", "truck-7f3a9e"]' "$(names)"
fake_call GET "$D?sortAttr=deviceId&sortDir=asc" > /dev/null
assert_eq "deviceId asc" \
	'["alice-tracker", "alice-spare", "truck-7f3a9e", "mia-bike", "van-0b1d2c", "spare-tracker"]' "$(names)"
fake_call GET "$D?sortAttr=deviceId&sortDir=desc" > /dev/null
assert_eq "deviceId desc" \
	'["spare-tracker", "van-0b1d2c", "mia-bike", "truck-7f3a9e", "alice-spare", "alice-tracker"]' "$(names)"
fake_call GET "$D?sortAttr=deviceName" > /dev/null
assert_eq "sortAttr without sortDir is ascending" \
	'["alice-spare", "alice-tracker", "mia-bike", "spare-tracker", "truck-7f3a9e", "van-0b1d2c"]' "$(names)"
fake_call GET "$D?sortAttr=firmwareVersion&sortDir=desc" > /dev/null
assert_eq "firmwareVersion desc (ties reversed with it)" \
	'["van-0b1d2c", "truck-7f3a9e", "alice-tracker", "alice-spare", "mia-bike", "spare-tracker"]' "$(names)"
fake_call GET "$D?sortAttr=deviceId&sortDir=asc&perPage=4&page=2" > /dev/null
assert_eq "sorted pages" '["van-0b1d2c", "spare-tracker"] 2' \
	"$(fake_json "$FAKE_BODY" 'json.dumps([d["name"] for d in j["devices"]]) + " %d" % j["meta"]["total_pages"]')"
fake_call GET "$D?groups=vans&sortAttr=deviceName&sortDir=desc" > /dev/null
assert_eq "filter and sort together" '["van-0b1d2c", "truck-7f3a9e"]' "$(names)"
fake_call GET "$D?sortAttr=bogus" > /dev/null
assert_eq "an unknown sortAttr gives the default order" \
	'["truck-7f3a9e", "alice-tracker", "van-0b1d2c", "alice-spare", "mia-bike", "spare-tracker"]' "$(names)"

# Cached orders follow renames and removals.
fake_call PUT "$D/3d40dd0000000000000000d1" '{"name":"aaa-van"}' > /dev/null
fake_call GET "$D?sortAttr=deviceName&perPage=1" > /dev/null
assert_eq "a rename re-sorts deviceName" '["aaa-van"]' "$(names)"
assert_eq "remove a device" 204 "$(fake_call DELETE "$D/3c30cc0000000000000000c1")"
fake_call GET "$D?sortAttr=deviceId" > /dev/null
assert_eq "a removed device leaves every order" \
	'["alice-tracker", "alice-spare", "truck-7f3a9e", "aaa-van", "spare-tracker"]' "$(names)"
fake_call GET "$D" > /dev/null
assert_eq "... and the default one" \
	'["truck-7f3a9e", "alice-tracker", "aaa-van", "alice-spare", "spare-tracker"]' "$(names)"

# The switches: defaults, then shifting_order.
fake_admin GET /admin/behaviour > "$T/b0.json"
assert_eq "behaviour defaults" \
	'{"shifting_order": 0, "customers_paging": "pages", "customer_case_exact": false, "sim_release_pending": false, "reject_empty_name": false, "function_timeout": false}' \
	"$(fake_json "$T/b0.json" 'j')"
fake_behaviour '{"shifting_order": 2}'
fake_state > "$T/s0.json"
walk() {	# walk QUERY: ids seen paging through the devices, 2 per page
	_ids=
	_p=1
	_pages=1
	while [ "$_p" -le "$_pages" ]; do
		fake_call GET "$D?perPage=2&page=$_p$1" > /dev/null
		_ids="$_ids $(fake_json "$FAKE_BODY" '" ".join(d["id"] for d in j["devices"])')"
		[ "$_p" = 1 ] && _pages=$(fake_json "$FAKE_BODY" 'j["meta"]["total_pages"]')
		_p=$((_p + 1))
	done
	echo "$_ids"
}
ids=$(walk "&sortAttr=deviceId&sortDir=asc")
assert_eq "sortAttr=deviceId: a consistent walk while devices connect" \
	"3a10aa0000000000000000a1 3a10aa0000000000000000a2 3b20bb0000000000000000b1 3d40dd0000000000000000d1 3e50ee0000000000000000e1" \
	"$(echo $ids)"
fake_state > "$T/s1.json"
assert_eq "... and nobody connected during it" \
	"$(fake_json "$T/s0.json" '[d.get("last_heard") for d in j["products"][0]["devices"]]')" \
	"$(fake_json "$T/s1.json" '[d.get("last_heard") for d in j["products"][0]["devices"]]')"
ids=$(walk "")
echo "$ids" | tr ' ' '\n' | sed '/^$/d' > "$T/walk"
assert_eq "without a stable sort the walk repeats or misses devices" true \
	"$(awk '{n[$0]++} END {d = 0; for (k in n) d++; print (NR != 5 || d != 5) ? "true" : "false"}' "$T/walk")"
fake_state > "$T/s2.json"
"$PYTHON" -c 'import json, sys
a, b = (json.load(open(f))["products"][0]["devices"] for f in sys.argv[1:3])
print(sum(1 for x, y in zip(a, b) if x.get("last_heard") != y.get("last_heard")))' "$T/s1.json" "$T/s2.json" > "$T/changed"
assert_eq "devices connected during the walk (last_heard = now)" true \
	"$([ "$(cat "$T/changed")" -ge 2 ] && echo true || echo false)"
fake_call GET "$D?perPage=2" > /dev/null
first=$(fake_json "$FAKE_BODY" '[d["last_heard"] for d in j["devices"]][0]')
assert_eq "devices that connected come first" true \
	"$(fake_json "$T/s2.json" '"'"$first"'" >= max(d.get("last_heard") or "" for d in j["products"][0]["devices"])')"
heard() { fake_json "$1" '[d.get("last_heard") for d in j["products"][0]["devices"]]'; }
fake_call GET "$D?sortAttr=lastConnection&perPage=1" > /dev/null
fake_state > "$T/s3.json"
assert_eq "sortAttr=lastConnection does not stop devices connecting" true \
	"$([ "$(heard "$T/s2.json")" != "$(heard "$T/s3.json")" ] && echo true || echo false)"

# Deterministic with --seed: the same requests connect the same devices.
seq_of() {
	fake_behaviour '{"shifting_order": 2}'
	for _ in 1 2 3; do fake_call GET "$D?perPage=1" > /dev/null; done
	fake_call GET "$D" > /dev/null
	names
}
a=$(seq_of)
b=$(seq_of)
assert_eq "the dice restart with each POST /admin/behaviour (--seed)" "$a" "$b"
fake_behaviour '{"shifting_order": true}'
fake_admin GET /admin/behaviour > "$T/b1.json"
assert_eq "shifting_order true is 3" 3 "$(fake_json "$T/b1.json" 'j["shifting_order"]')"
fake_behaviour '{}'
fake_admin GET /admin/behaviour > "$T/b2.json"
assert_eq "{} resets every switch" "$(cat "$T/b0.json")" "$(cat "$T/b2.json")"

# Invalid settings are refused, naming the key, and change nothing.
fake_behaviour '{"reject_empty_name": true}'
for bad in '{"shifting_order": -1}' '{"shifting_order": 1.5}' '{"customers_paging": "cap"}' \
	'{"customers_paging": {"cap": 0}}' '{"sim_release_pending": {"gets": 0}}' \
	'{"sim_release_pending": {"delay_ms": 5, "gets": 1}}' '{"reject_empty_name": "yes"}' \
	'{"nope": true}' '[1]' 'not json'; do
	out=$(fake_admin POST /admin/behaviour "$bad")
	case $out in
	*'invalid behaviour settings'*) ok "refused: $bad" ;;
	*) not_ok "refused: $bad" "$out" ;;
	esac
done
out=$(fake_admin POST /admin/behaviour '{"customers_paging": {"cap": 0}}')
assert_eq "the error names the key" customers_paging \
	"$(echo "$out" | sed 's/.*invalid behaviour settings: \([a-z_]*\).*/\1/')"
fake_admin GET /admin/behaviour > "$T/b3.json"
assert_eq "old settings kept" true "$(fake_json "$T/b3.json" 'j["reject_empty_name"]')"

# --behaviour FILE, then --behave NAME[=VALUE] on top.
printf '{"shifting_order": 1, "customers_paging": "whole", "customer_case_exact": true}\n' > "$T/bh.json"
fake_start conformance --behaviour "$T/bh.json" --behave reject_empty_name \
	--behave 'customers_paging={"cap":3}' --behave sim_release_pending='{"delay_ms":250}'
fake_admin GET /admin/behaviour > "$T/b4.json"
assert_eq "file and flags combine" \
	'{"shifting_order": 1, "customers_paging": {"cap": 3}, "customer_case_exact": true, "sim_release_pending": {"delay_ms": 250}, "reject_empty_name": true, "function_timeout": false}' \
	"$(fake_json "$T/b4.json" 'j')"
printf '{"shifting_order": 1}\n' > "$T/bh2.json"
"$FAKECLOUD" --fixture "$ROOT/tests/fixtures/conformance.json" --behave function_timeout \
	--behaviour "$T/bh2.json" --port 0 --port-file "$T/p2" > /dev/null 2>&1 &
pid=$!
at_exit "kill $pid 2>/dev/null"
i=0
while [ ! -s "$T/p2" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
assert_eq "--behaviour replaces the flags before it" false \
	"$(curl -s "http://127.0.0.1:$(cat "$T/p2")/admin/behaviour" | "$PYTHON" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["function_timeout"]))')"
"$FAKECLOUD" --fixture "$ROOT/tests/fixtures/conformance.json" --behave shifting_order=-2 \
	--port 0 > /dev/null 2> "$T/e1"
assert_eq "an invalid --behave value is a usage error" 2 "$?"
assert_grep "... naming the key" "$T/e1" 'invalid behaviour settings: shifting_order'
"$FAKECLOUD" --fixture "$ROOT/tests/fixtures/conformance.json" --behave =1 --port 0 > /dev/null 2>&1
assert_eq "--behave without a name is a usage error" 2 "$?"
