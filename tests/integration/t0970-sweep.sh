#!/bin/sh
# Issue 13: erased people stay erased. Three subjects are erased; the
# sweep of the untouched fleet finds nothing. Then one is re-created (same
# email, other case) and one of another erased subject's old devices is
# claimed by an erased customer: sweep exits 1 naming the right requests
# and products, writes "reappeared" entries; --requeue queues them again
# (linked to the original request), run erases them, and the next sweep is
# clean. The cost is the list pages only.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
conf() { write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001, 3002"; }
conf
init_db
printf 'request_id,email,customer\nS-1,alice@example.com,\nS-2,,cust-7f3a9e\nS-3,erin@example.com,\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec run
expect_rc 0 "three subjects erased"

fake_reset_log
ec sweep
expect_rc 0 "sweep of the untouched fleet: exit 0"
assert_grep "it says what it checked" "$T/out" "^sweep: 3 erased subjects, [0-9]+ usernames and [0-9]+ devices checked; reappeared 0; API calls [0-9]+$"
assert_eq "no reappeared entries" 0 "$(sq "SELECT count(*) FROM ledger WHERE event = 'reappeared'")"
fake_requests > "$T/req.json"
assert_eq "the sweep only reads lists (and the product check)" "[]" \
	"$(fake_json "$T/req.json" "sorted(set(r['path'] for r in j if r['method'] != 'GET' or not (r['path'].endswith('/customers') or r['path'].endswith('/devices') or r['path'] in ('/v1/products/3001', '/v1/products/3002'))))")"

# Erin is re-created by a CRM sync (other case); alice's old tracker is
# claimed by cust-7f3a9e, also erased.
fake_state > "$T/state.json"
"$PYTHON" - "$T/state.json" "$T/again.json" "$TOKEN" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for p in j["products"]:
    if p["id"] == 3001:
        p["customers"].append({"username": "Erin@Example.com"})
        for d in p["devices"]:
            if d["id"] == "3a10aa0000000000000000a1":
                d["owner"] = "cust-7f3a9e"
j["token"] = sys.argv[3]
json.dump(j, open(sys.argv[2], "w"))
PY
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null
fake_start "$T/again.json"
conf
ec sweep
expect_rc 1 "sweep: something re-appeared: exit 1"
assert_grep "erin's request, as a customer of 3001" "$T/out" "^reappeared: request S-3 \\(erased .*\\): customer 3001 in product 3001$"
assert_grep "cust-7f3a9e's request, owning alice's old device" "$T/out" "^reappeared: request S-2 \\(erased .*\\): device 3a10aa0000000000000000a1 in product 3001$"
assert_grep "summary" "$T/out" "reappeared 2;"
assert_eq "reappeared entries name the erasing requests" "S-2|device|3a10aa0000000000000000a1 S-3|customer|3001" \
	"$(sq "SELECT request_id, target_kind, target_id FROM ledger WHERE event = 'reappeared' ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
ec sweep --format json
assert_eq "JSON: two findings, nothing requeued" "2 2 [None, None]" \
	"$(fake_json "$T/out" "str(j['reappeared']) + ' ' + str(len(j['findings'])) + ' ' + str([f['requeued_as'] for f in j['findings']])")"

ec sweep --requeue
expect_rc 1 "sweep --requeue: exit 1 still"
assert_eq "two requests queued again, from the sweep" 2 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE source = 'sweep' AND status = 'pending'")"
assert_eq "their enqueued entries link the erasing requests" "S-2 S-3" \
	"$(sq "SELECT target_id FROM ledger WHERE event = 'enqueued' AND detail = 'sweep' ORDER BY target_id" | tr '\n' ' ' | sed 's/ $//')"
assert_grep "the output names the new requests" "$T/out" "queued again as sweep-"
ec sweep --requeue
assert_eq "a second --requeue queues nothing more" 2 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE source = 'sweep'")"
ec run
expect_rc 0 "run erases them again"
fake_state > "$T/state2.json"
assert_eq "erin is gone again; alice's old tracker has no owner" "0 null" \
	"$(fake_json "$T/state2.json" "str(len([c for p in j['products'] for c in p['customers'] if c['username'].lower() == 'erin@example.com'])) + ' ' + json.dumps([d for p in j['products'] for d in p['devices'] if d['id'] == '3a10aa0000000000000000a1'][0]['owner'])")"
ec sweep
expect_rc 0 "the next sweep is clean"
ec report --format json -o "$T/r.json"
assert_eq "the report shows the re-appearances" 2 \
	"$(fake_json "$T/r.json" "j['summary']['reappeared']")"
ec metrics
assert_grep "metrics: the last sweep found nothing" "$T/out" "^erasectl_sweep_reappeared 0$"
assert_no_bytes "no email in any output" "$T/all-output" "alice@example.com" "erin@example.com" "Erin@Example.com"
ec verify
expect_rc 0 "the ledger verifies"

# A ledger that does not verify is not swept (nor exported): exit 3.
sq "DROP TRIGGER ledger_no_update; UPDATE ledger SET detail = 'x' WHERE seq = 2"
ec sweep --requeue
expect_rc 3 "sweep over a tampered ledger: exit 3"
assert_grep "it says why" "$T/err" "the ledger does not verify at seq 2 .*: no sweep"
ec residual --all
expect_rc 3 "residual over a tampered ledger: exit 3"
