#!/bin/sh
# Issue 15, items 1, 6 and 7: evidence comes from the hash-chained ledger,
# not from tables anyone with the database can change.
#  1. UPDATE of a queue row to done (and an upstream INSERT with status
#     done) makes no certificate: receipt, lookup, verify, doctor and the
#     report say the ledger does not bear the row out (exit 3), and the
#     subject is still erased by the next run.
#  6. Values from the database (an entry appended with a valid chain hash,
#     carrying markup in its request id and detail) are escaped in the HTML
#     report.
#  7. A row INSERTed into checkpoints (entries 999, root deadbeef) is
#     never cited: receipts name no checkpoint, verify fails.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
init_db
printf 'request_id,email\nE-1,erin@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"

# 1. One UPDATE on a request that never ran.
sq "UPDATE erasure_queue SET status = 'done', outcome = 'erased', completed_at = '2026-11-29T00:00:00Z', subject_email = NULL WHERE request_id = 'E-1'"
ec receipt E-1
expect_rc 3 "receipt of a row the ledger does not bear out: exit 3"
assert_no_grep "no certificate" "$T/out" "^CERTIFICATE OF ERASURE"
assert_grep "the receipt says why" "$T/out" "not a certificate: the queue and the ledger disagree"
assert_grep "the status is the ledger's" "$T/out" "^status: +pending"
ec receipt E-1 --format json
expect_rc 3 "receipt JSON: exit 3"
assert_eq "JSON: no certificate, the queue does not agree" "False False pending None" \
	"$(fake_json "$T/out" "' '.join(str(x) for x in (j['certificate_of_erasure'], j['queue_agrees'], j['status'], j['outcome']))")"
ec lookup --email erin@example.com --format json
expect_rc 3 "lookup: exit 3"
ec verify
expect_rc 3 "verify: exit 3"
assert_grep "verify names the request" "$T/err" "request 'E-1': the queue says done \\(erased\\), the ledger has no done entry"
ec doctor
expect_rc 3 "doctor: exit 3"
ec report --format json -o "$T/r.json"
expect_rc 3 "report: exit 3"
assert_eq "the report counts it as the ledger has it" "0 1" \
	"$(fake_json "$T/r.json" "' '.join(str(x) for x in (j['summary']['erased'], j['summary']['ledger_disagreements']))")"

# An upstream system INSERTs a row already 'done': recorded as rejected,
# its email removed, never counted as erased.
sq "INSERT INTO erasure_queue (request_id, subject_email, received_at, status, outcome) VALUES ('U-1', 'alice@example.com', '2026-11-20', 'done', 'erased')"
# The queue row E-1 goes back to what the ledger says, so the run takes it.
sq "UPDATE erasure_queue SET status = 'pending', outcome = NULL, completed_at = NULL WHERE request_id = 'E-1'"
ec run
expect_rc 1 "run: E-1 lost its email to the UPDATE: it fails"
assert_eq "E-1 failed, never 'not found': nobody looked for it" "failed||1" \
	"$(sq "SELECT status, outcome, last_error LIKE '%names no email, customer or device%' FROM erasure_queue WHERE request_id = 'E-1'")"
assert_eq "the inserted done row is rejected, its email gone" "rejected|1" \
	"$(sq "SELECT status, subject_email IS NULL FROM erasure_queue WHERE request_id = 'U-1'")"
assert_eq "its ledger entries say so" "enqueued rejected" \
	"$(sq "SELECT event FROM ledger WHERE request_id = 'U-1' ORDER BY seq" | tr '\n' ' ' | sed 's/ $//')"
fake_state > "$T/state.json"
assert_eq "neither alice (the forged row) nor erin was touched" "1 1" \
	"$(fake_json "$T/state.json" "' '.join(str(len([c for p in j['products'] for c in p['customers'] if c['username'] == u])) for u in ('alice@example.com', 'erin@example.com'))")"

# 6. Markup from the database in the HTML report.
ledger_append '<script>alert(1)</script>' enqueued '<img src=x onerror=alert(2)>' > /dev/null
ledger_append 'E-1' hold '</td><script>alert(3)</script>' > /dev/null
ec verify
assert_no_grep "the appended entries chain" "$T/err" "hash chain"
ec report --format html -o "$T/r.html"
assert_eq "the HTML report was written" yes "$([ -s "$T/r.html" ] && echo yes)"
assert_no_grep "no <script> from the database" "$T/r.html" "<script"
assert_no_grep "no <img> from the database" "$T/r.html" "<img"
assert_grep "the request id is shown escaped" "$T/r.html" "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"

# 7. A forged checkpoint row.
ec checkpoint -o "$T/cp.json"
expect_rc 0 "a real checkpoint"
sq "INSERT INTO checkpoints (created_at, entries, root, head, signed, file) VALUES ('2026-12-01T00:00:00Z', 999, 'deadbeef', 'deadbeef', 1, '/nonexistent.json')"
ec receipt U-1 --format json
assert_eq "the receipt cites the real checkpoint, not the forged one" "True" \
	"$(fake_json "$T/out" "str(j['checkpoint'] is not None and j['checkpoint']['entries'] != 999 and j['ledger']['checkpoints_not_matching'] == 1)")"
ec receipt U-1
assert_no_grep "no text receipt cites 999 entries" "$T/out" "entries 1-999"
ec verify
expect_rc 3 "verify: a checkpoint row that does not match: exit 3"
assert_grep "verify names the forged row" "$T/err" "checkpoint"
ec report --format json -o "$T/r2.json"
expect_rc 3 "report: exit 3"
assert_eq "the report counts the forged row" 1 \
	"$(fake_json "$T/r2.json" "j['ledger']['checkpoints_not_matching']")"
assert_no_bytes "no email in any output" "$T/all-output" "erin@example.com" "alice@example.com"
