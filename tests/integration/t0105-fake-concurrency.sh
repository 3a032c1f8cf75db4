#!/bin/sh
# fakecloud: injected latency does not block workers (40 requests at
# 300 ms on 2 threads finish together), and concurrent mutations stay
# consistent.
. "$(dirname "$0")/../lib.sh"

fake_start fleet --threads 2 --latency-ms 300

urls=
i=0
while [ $i -lt 40 ]; do
	urls="$urls -o /dev/null $FAKE_URL/v1/access_tokens/current"
	i=$((i + 1))
done
start=$(date +%s%N)
# shellcheck disable=SC2086
_fake_curl --parallel --parallel-immediate --parallel-max 40 -H @"$FAKE_DIR/auth" $urls 2> "$T/e0"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
# Blocking the 2 workers would take 40 * 300 / 2 = 6000 ms.
assert_eq "40 delayed requests overlap (${elapsed} ms)" true \
	"$([ "$elapsed" -lt 2500 ] && echo true || echo false)"
fake_admin GET /admin/stats > "$T/st.json"
assert_eq "all 40 served" 40 "$(fake_json "$T/st.json" 'j["requests"]')"

fake_faults '{}'
fake_reset_log
# 9 devices of product 1001: unclaim and rename each twice, in parallel.
fake_state > "$T/s0.json"
fake_json "$T/s0.json" '"\n".join(d["id"] for d in j["products"][0]["devices"])' > "$T/ids"
pids=
for id in $(cat "$T/ids") $(cat "$T/ids"); do
	_fake_curl -o /dev/null -X DELETE -H @"$FAKE_DIR/auth" \
		"$FAKE_URL/v1/products/1001/devices/$id/owner" &
	pids="$pids $!"
done
for id in $(cat "$T/ids"); do
	_fake_curl -o /dev/null -X PUT -H @"$FAKE_DIR/auth" -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"n-$id\"}" "$FAKE_URL/v1/products/1001/devices/$id" &
	pids="$pids $!"
done
# Not a bare wait: the fake cloud is a background job too.
# shellcheck disable=SC2086
wait $pids
fake_requests > "$T/r.json"
assert_eq "27 requests, all 200" '27 [200]' \
	"$(fake_json "$T/r.json" '"%d %s" % (len(j), sorted(set(r["status"] for r in j)))')"
fake_state > "$T/s1.json"
assert_eq "every device unclaimed" '[null]' \
	"$(fake_json "$T/s1.json" 'list(set(d["owner"] for d in j["products"][0]["devices"]))')"
assert_eq "every device renamed" true \
	"$(fake_json "$T/s1.json" 'all(d["name"] == "n-" + d["id"] for d in j["products"][0]["devices"])')"
fake_call GET /v1/products/1001/customers > /dev/null
assert_eq "no customer lists a device any more" 0 \
	"$(fake_json "$FAKE_BODY" 'sum(len(c["devices"]) for c in j["customers"])')"

# An encoded slash stays inside its segment.
assert_eq "%2F does not split a path segment" 404 \
	"$(fake_call DELETE /v1/products/1001/customers/alice%2Fx%40example.com)"
assert_eq "... and names no customer" 'Customer not found' "$(fake_json "$FAKE_BODY" 'j["error"]')"
