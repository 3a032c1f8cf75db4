#!/bin/sh
# fakecloud: fault rules (429 with/without Retry-After, malformed, truncated,
# drop, slow body, latency, 5xx), the rate limit and fault validation.
. "$(dirname "$0")/../lib.sh"

fake_start fleet --seed 42
C=/v1/products/1001/customers
D=/v1/products/1001/devices

# 429 burst with Retry-After, limited to GET on /customers, 2 hits.
fake_faults '{"rules":[{"match":"/customers","method":"GET","action":"status","status":429,"retry_after":"3","count":2}]}'
_fake_curl -D "$T/h1" -o "$T/b1" -H @"$FAKE_DIR/auth" "$FAKE_URL$C"
assert_grep "429 status" "$T/h1" '^HTTP/1.1 429'
assert_grep "Retry-After header" "$T/h1" '^Retry-After: 3'
assert_eq "429 body" 'Too many requests' "$(fake_json "$T/b1" 'j["error"]')"
assert_eq "DELETE is not matched by a GET rule" 404 "$(fake_call DELETE "$C/nobody%40example.com")"
assert_eq "second hit" 429 "$(fake_call GET "$C")"
assert_eq "count exhausted: served again" 200 "$(fake_call GET "$C")"
fake_admin GET /admin/faults > "$T/f.json"
assert_eq "remaining count visible" 0 "$(fake_json "$T/f.json" 'j["rules"][0]["count"]')"

# 429 without Retry-After; a status rule does not carry the request out.
fake_faults '{"rules":[{"match":"/owner","action":"status","status":429,"count":1}]}'
_fake_curl -D "$T/h2" -o /dev/null -X DELETE -H @"$FAKE_DIR/auth" "$FAKE_URL$D/0d40dd0000000000000000d1/owner"
assert_grep "429 on unclaim" "$T/h2" '^HTTP/1.1 429'
assert_no_grep "no Retry-After" "$T/h2" '^Retry-After'
fake_state > "$T/s.json"
assert_eq "a refused unclaim changed nothing" dave@example.net \
	"$(fake_json "$T/s.json" '[d["owner"] for d in j["products"][0]["devices"] if d["id"] == "0d40dd0000000000000000d1"][0]')"

# Malformed: complete reply, JSON cut.
fake_faults '{"rules":[{"match":"/devices","action":"malformed","count":1}]}'
assert_eq "malformed keeps the status" 200 "$(fake_call GET "$D")"
if fake_json "$FAKE_BODY" 'j' > /dev/null 2>&1; then
	not_ok "malformed body is not JSON"
else ok "malformed body is not JSON"; fi
assert_eq "next request is clean" 200 "$(fake_call GET "$D")"

# Truncated: Content-Length promises more than arrives.
fake_faults '{"rules":[{"match":"/devices","action":"truncated","count":1}]}'
_fake_curl -o /dev/null -H @"$FAKE_DIR/auth" "$FAKE_URL$D" 2> "$T/e3"
assert_eq "truncated body: curl error 18 (partial file)" 18 "$?"

# Drop without and with apply.
fake_faults '{"rules":[{"match":"/owner","action":"drop","count":1},{"match":"/owner","action":"drop","apply":true,"count":1}]}'
_fake_curl -o /dev/null -X DELETE -H @"$FAKE_DIR/auth" "$FAKE_URL$D/0d40dd0000000000000000d1/owner" 2> "$T/e4"
rc=$?
assert_eq "dropped connection: curl fails" true "$([ $rc != 0 ] && echo true)"
fake_state > "$T/s.json"
assert_eq "plain drop: not carried out" dave@example.net \
	"$(fake_json "$T/s.json" '[d["owner"] for d in j["products"][0]["devices"] if d["id"] == "0d40dd0000000000000000d1"][0]')"
if _fake_curl -o /dev/null -X DELETE -H @"$FAKE_DIR/auth" "$FAKE_URL$D/0d40dd0000000000000000d1/owner" 2> /dev/null; then
	not_ok "drop with apply: curl fails too"
else ok "drop with apply: curl fails too"; fi
fake_state > "$T/s.json"
assert_eq "drop with apply: the unclaim happened" null \
	"$(fake_json "$T/s.json" '[d["owner"] for d in j["products"][0]["devices"] if d["id"] == "0d40dd0000000000000000d1"][0]')"
fake_requests > "$T/r.json"
assert_eq "dropped requests are logged with status 0" '[0, 0]' \
	"$(fake_json "$T/r.json" '[r["status"] for r in j if r["path"].endswith("/owner") and r["method"] == "DELETE"][1:]')"

# 503 from the "load balancer" is HTML.
fake_faults '{"rules":[{"match":"","action":"status","status":503,"count":1}]}'
_fake_curl -D "$T/h5" -o "$T/b5" -H @"$FAKE_DIR/auth" "$FAKE_URL$D"
assert_grep "503 is text/html" "$T/h5" '^Content-Type: text/html'
assert_grep "503 HTML body" "$T/b5" '<h1>503</h1>'

# fail_rate 1: every request fails with 500, 502 or 503.
fake_faults '{"fail_rate":1}'
codes=
for _ in 1 2 3 4 5 6; do codes="$codes $(fake_call GET "$D")"; done
assert_eq "fail_rate=1 fails all" '' "$(echo "$codes" | tr ' ' '\n' | grep -Ev '^(500|502|503|)$')"

# Latency and slow body (timed loosely: these only prove a delay exists).
fake_faults '{"latency_ms":150}'
t=$(_fake_curl -o /dev/null -w '%{time_total}' -H @"$FAKE_DIR/auth" "$FAKE_URL$D")
assert_eq "latency_ms delays the reply" true "$(awk -v t="$t" 'BEGIN{print (t >= 0.14) ? "true" : "false"}')"
fake_faults '{"rules":[{"match":"/devices","action":"slow_body","delay_ms":300,"count":1}]}'
t=$(_fake_curl -o "$T/b6" -w '%{time_starttransfer} %{time_total}' -H @"$FAKE_DIR/auth" "$FAKE_URL$D")
assert_eq "slow_body: headers first, body ~300 ms later" true \
	"$(echo "$t" | awk '{print ($2 - $1 >= 0.25) ? "true" : "false"}')"
assert_eq "slow_body: the body is complete" 9 "$(fake_json "$T/b6" 'len(j["devices"])')"

# Rate limit: 5 requests per 60 s window.
fake_faults '{"rate_limit":{"requests":5,"window_ms":60000}}'
codes=
for _ in 1 2 3 4 5 6 7 8; do codes="$codes $(fake_call GET "$D")"; done
assert_eq "rate limit: 5 pass, then 429" ' 200 200 200 200 200 429 429 429' "$codes"
assert_eq "rate limited body" 'Too many requests' "$(fake_json "$FAKE_BODY" 'j["error"]')"
fake_admin GET /admin/stats > "$T/st.json"
assert_eq "stats count the limited requests" 3 "$(fake_json "$T/st.json" 'j["limited"]')"
fake_faults '{}'
assert_eq "clearing the faults lifts the limit" 200 "$(fake_call GET "$D")"

# Invalid settings are refused and leave the old ones in place.
fake_faults '{"latency_ms":0,"rules":[{"match":"/x","action":"status","status":503}]}'
for bad in '{"rules":[{"action":"explode"}]}' '{"latency_ms":-1}' \
	'{"rules":[{"action":"status","status":99}]}' '{"rate_limit":{"requests":0}}' \
	'[1,2]' '{"rules":{}}' 'not json'; do
	out=$(fake_admin POST /admin/faults "$bad")
	case $out in
	*'invalid fault settings'*) ok "refused: $bad" ;;
	*) not_ok "refused: $bad" "$out" ;;
	esac
done
fake_admin GET /admin/faults > "$T/f.json"
assert_eq "old settings kept" 1 "$(fake_json "$T/f.json" 'len(j["rules"])')"
