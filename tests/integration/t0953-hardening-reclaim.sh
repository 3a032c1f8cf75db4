#!/bin/sh
# Issue 15, items 4 and 9.
#  4. Discovery wins over history: the first attempt releases alice's
#     device and fails on the customer delete; before the second attempt
#     she claims it again. The second attempt releases it again (ledger
#     "rediscovered" says why) and finishes: never "still owned" forever.
#  9. run --dry-run exits 1 when discovery failed, as erase --dry-run does.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "max_attempts = 1" \
	"[products]" "ids = 3001"
init_db
printf 'request_id,email\nK-1,alice@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
fake_faults '{"rules":[{"match":"/customers/","method":"DELETE","action":"status","status":500}]}'
ec run
expect_rc 1 "first attempt: the customer delete fails"
assert_eq "the device was released by the first attempt" 2 \
	"$(sq "SELECT count(*) FROM ledger WHERE request_id = 'K-1' AND event = 'result' AND detail = 'unclaim:ok'")"

# She re-registers the devices: the fleet comes back from the state dump
# with alice as their owner again.
fake_state > "$T/state.json"
"$PYTHON" - "$T/state.json" "$T/again.json" "$TOKEN" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for p in j["products"]:
    for d in p["devices"]:
        if d["id"] in ("3a10aa0000000000000000a1", "3a10aa0000000000000000a2"):
            d["owner"] = "alice@example.com"
j["token"] = sys.argv[3]
json.dump(j, open(sys.argv[2], "w"))
PY
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null
fake_start "$T/again.json"
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "max_attempts = 1" \
	"[products]" "ids = 3001"
ec run
expect_rc 0 "second attempt: done"
assert_eq "done, erased" "done|erased" "$(sq "SELECT status, outcome FROM erasure_queue")"
assert_eq "the ledger says why the devices were released again" 2 \
	"$(sq "SELECT count(*) FROM ledger WHERE request_id = 'K-1' AND event = 'rediscovered' AND target_kind = 'device'")"
assert_eq "and released them again" 4 \
	"$(sq "SELECT count(*) FROM ledger WHERE request_id = 'K-1' AND event = 'result' AND detail = 'unclaim:ok'")"
fake_state > "$T/state2.json"
assert_eq "alice owns nothing, and is gone" "0 0" \
	"$(fake_json "$T/state2.json" "str(len([d for p in j['products'] for d in p['devices'] if (d.get('owner') or '').lower() == 'alice@example.com'])) + ' ' + str(len([c for p in j['products'] for c in p['customers'] if c['username'] == 'alice@example.com']))")"
ec verify
expect_rc 0 "verify"
ec receipt K-1
expect_rc 0 "receipt"
assert_grep "a certificate" "$T/out" "^CERTIFICATE OF ERASURE"

# 9. A dry run that could not discover.
printf 'request_id,email\nK-2,erin@example.com\n' > "$T/req2.csv"
ec enqueue "$T/req2.csv"
fake_faults '{"rules":[{"match":"/customers","method":"GET","action":"status","status":500}]}'
ec run --dry-run
expect_rc 1 "run --dry-run: discovery failed: exit 1"
assert_grep "it says why" "$T/err" "customers"
ec erase --email erin@example.com --dry-run
expect_rc 1 "erase --dry-run: exit 1 too"
fake_faults '{}'
ec run --dry-run
expect_rc 0 "run --dry-run once discovery works: exit 0"
