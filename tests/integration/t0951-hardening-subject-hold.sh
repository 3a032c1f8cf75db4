#!/bin/sh
# Issue 15, item 2: a legal hold protects the person, not only the request.
# While H-1 is held for alice, a second request for her (by email, in
# another case, or by her device) is not acted on: run skips it with a
# logged reason and leaves it queued; erase refuses with exit 2 naming
# H-1. Released, the next run erases her.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
init_db
printf 'request_id,email\nH-1,alice@example.com\n' > "$T/h1.csv"
ec enqueue "$T/h1.csv"
ec hold H-1 --reason "litigation: case 42"
expect_rc 0 "hold H-1"
printf 'request_id,email,device_id\nH-2,Alice@Example.com,\nH-3,,3a10aa0000000000000000a1\nH-4,erin@example.com,\n' > "$T/h2.csv"
ec enqueue "$T/h2.csv"
expect_rc 0 "enqueue more requests for alice, and one for erin"

fake_reset_log
ec run
expect_rc 0 "run: erin erased, alice's requests skipped (not a failure)"
assert_grep "the skip is logged with its reason" "$T/err" "request 'H-2' left queued: request 'H-1' of the same subject is on legal hold"
assert_grep "so is the request by alice's device" "$T/err" "request 'H-3' left queued: request 'H-1' of the same subject is on legal hold"
assert_eq "H-2 and H-3 stay pending; H-4 is done" "H-1|held H-2|pending H-3|pending H-4|done" \
	"$(sq "SELECT request_id, status FROM erasure_queue ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
fake_requests > "$T/req.json"
assert_eq "nothing of alice's was changed" 0 \
	"$(fake_json "$T/req.json" "len([r for r in j if r['method'] != 'GET' and ('alice' in r['path'] or '3a10aa' in r['path'])])")"
fake_state > "$T/state.json"
assert_eq "alice and her device are untouched" "1 alice@example.com" \
	"$(fake_json "$T/state.json" "str(len([c for p in j['products'] for c in p['customers'] if c['username'] == 'alice@example.com'])) + ' ' + [d for p in j['products'] for d in p['devices'] if d['id'] == '3a10aa0000000000000000a1'][0]['owner']")"

ec erase --email ALICE@example.com --request-id H-5 --yes
expect_rc 2 "erase of a held subject: exit 2"
assert_grep "erase names the held request" "$T/err" "H-1"
assert_eq "erase queued nothing that could run" 0 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE request_id = 'H-5' AND status IN ('pending', 'done')")"
fake_state > "$T/state2.json"
assert_eq "alice still exists after the refused erase" 1 \
	"$(fake_json "$T/state2.json" "len([c for p in j['products'] for c in p['customers'] if c['username'] == 'alice@example.com'])")"

ec release H-1 --reason "case closed"
expect_rc 0 "release H-1"
ec run
expect_rc 0 "run after the release"
assert_eq "every request for alice is done" "done done done done" \
	"$(sq "SELECT status FROM erasure_queue WHERE request_id IN ('H-1', 'H-2', 'H-3', 'H-4') ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
fake_state > "$T/state3.json"
assert_eq "alice is gone" 0 \
	"$(fake_json "$T/state3.json" "len([c for p in j['products'] for c in p['customers'] if c['username'] == 'alice@example.com'])")"
assert_no_bytes "no email in any output" "$T/all-output" "alice@example.com"
