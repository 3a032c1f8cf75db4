#!/bin/sh
# run: a malformed JSON body from one endpoint fails only the request that
# needed it; the others are done; the next run completes it without
# repeating the destructive calls that had succeeded.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 1001, 1002" "[policy]" "sim_action = deactivate"
init_db
printf 'request_id,email\nM-1,alice@example.com\nM-2,carol@example.com\nM-3,dave@example.net\n' > "$T/req.csv"
ec enqueue "$T/req.csv"

fake_faults '{"rules": [{"match": "/devices/0c30cc0000000000000000c1", "method": "GET", "action": "malformed", "count": 1}]}'
ec run
expect_rc 1 "run with a failed request exits 1"
assert_grep "summary counts the failure" "$T/out" '^processed 3: erased 2, not found 0, failed 1;'
assert_eq "queue: the affected request failed, the others are done" "M-1|done M-2|failed M-3|done" \
	"$(sq "select request_id, status from erasure_queue order by 1" | tr '\n' ' ' | sed 's/ $//')"
assert_grep "failure reason names the bad response" "$T/err" "request 'M-2' failed: verify failed"
assert_eq "failed ledger entry" "verify:bad_response" \
	"$(sq "select detail from ledger where request_id = 'M-2' and event = 'failed'")"
assert_eq "failed request keeps its email until done" 1 \
	"$(sq "select count(*) from erasure_queue where request_id = 'M-2' and subject_email is not null")"

fake_faults '{}'
fake_reset_log
ec run
expect_rc 0 "rerun exits 0"
assert_grep "rerun completes the failed request" "$T/out" '^processed 1: erased 1, not found 0, failed 0;'
fake_requests > "$T/requests.json"
assert_eq "rerun repeats no destructive call" 0 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] != "GET"])')"
assert_eq "rerun verifies both of carol's devices" 2 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["path"].startswith("/v1/products/1001/devices/0c30cc")])')"
assert_eq "queue: all done" "done|3" "$(sq "select status, count(*) from erasure_queue group by status")"
assert_eq "no action recorded ok twice" 0 \
	"$(sq "select count(*) from (select request_id, detail, path from ledger where event = 'result' and detail like '%:ok' group by 1, 2, 3 having count(*) > 1)")"
ec verify
expect_rc 0 "ledger verifies"
assert_no_bytes "no carol email in the database files" carol@example.com "$DB" "$DB-wal" "$DB-shm"
