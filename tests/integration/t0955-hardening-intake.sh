#!/bin/sh
# Issue 15, items 12, 13 and 14: free text refuses emails (any script),
# the redactor catches non-ASCII addresses, OpenDSR refuses NUL and
# duplicate keys, and rows upstream systems INSERT are validated like CSV
# rows, with control characters escaped wherever they are shown.
. "$(dirname "$0")/../lib.sh"

init_db

# 12. Emails in free text, ASCII and not.
for src in 'ticket from bob@example.com' 'jörg.müller@exämple.de asked' 'zoë@straße.de'; do
	printf 'request_id,email,source\nF-1,alice@example.com,%s\n' "$src" > "$T/src.csv"
	ec enqueue "$T/src.csv"
	expect_rc 2 "source '$src' is refused"
	assert_grep "source '$src': the reason names the column" "$T/err" "src.csv:2: source .*email"
done
assert_eq "nothing was queued" 0 "$(sq "SELECT count(*) FROM erasure_queue")"
printf 'request_id,email\nF-2,alice@example.com\n' > "$T/ok.csv"
ec enqueue "$T/ok.csv"
ec hold F-2 --reason "asked by zoë@straße.de"
expect_rc 2 "a hold reason with an email is refused"
ec hold F-2 --reason "asked by legal"
expect_rc 0 "a hold reason without one is taken"
# The redactor is the ledger's safety net: an address that reaches a
# message (here in an id the validator refuses) is never printed.
printf 'request_id,email\njörg.müller@exämple.de,alice@example.com\n' > "$T/id.csv"
ec enqueue "$T/id.csv"
expect_rc 2 "an id that is an email: refused"
assert_no_bytes "the non-ASCII address is not printed" "$T/err" "jörg.müller@exämple.de"
assert_no_bytes "nor its domain part" "$T/err" "exämple.de"

# 13. OpenDSR: NUL in a value, duplicate keys.
printf '{"subject_request_id":"O-1","subject_request_type":"erasure","submitted_time":"2026-11-20T00:00:00Z","subject_identities":[{"identity_type":"email","identity_value":"alice@example.com\\u0000.evil.example","identity_format":"raw"}]}\n' > "$T/nul.json"
ec enqueue --format opendsr "$T/nul.json"
expect_rc 2 "OpenDSR with \\u0000 in a value: refused"
assert_grep "it says why" "$T/err" "NUL|\\\\u0000"
printf '{"subject_request_id":"O-2","subject_request_type":"erasure","subject_request_type":"access","submitted_time":"2026-11-20T00:00:00Z","subject_identities":[{"identity_type":"email","identity_value":"alice@example.com","identity_format":"raw"}]}\n' > "$T/dup.json"
ec enqueue --format opendsr "$T/dup.json"
expect_rc 2 "OpenDSR with a duplicate key: refused"
assert_grep "it names the key" "$T/err" "subject_request_type"
assert_eq "neither was queued" 0 "$(sq "SELECT count(*) FROM erasure_queue WHERE request_id LIKE 'O-%'")"

# 14. Upstream INSERTs: validated by the same rules when erasectl next
# records them (run; here a dry run does not, a run with no API does).
write_config "https://127.0.0.1:1" "[api]" "timeout = 1" "max_attempts = 1" "[products]" "ids = 3001"
sq "INSERT INTO erasure_queue (request_id, subject_email, received_at) VALUES ('U-F', 'f@example.com', '2099-01-01')"
sq "INSERT INTO erasure_queue (request_id, subject_email, received_at, subject_ref) VALUES ('U-R', 'r@example.com', '2026-11-20', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')"
sq "INSERT INTO erasure_queue (request_id, subject_email, received_at, source) VALUES ('U-C', 'c@example.com', '2026-11-20', 'crm' || char(27) || '[31mRED' || char(7))"
sq "INSERT INTO erasure_queue (request_id, subject_email, received_at) VALUES ('U-' || char(27) || '[31mX', 'x@example.com', '2026-11-20')"
sq "INSERT INTO erasure_queue (request_id, subject_email, received_at, source) VALUES ('U-E', 'e@example.com', '2026-11-20', 'from zoë@straße.de')"
ec run
assert_eq "a future date is rejected" "rejected|1" \
	"$(sq "SELECT status, last_error LIKE '%future%' FROM erasure_queue WHERE request_id = 'U-F'")"
assert_eq "a preset subject_ref does not skip validation and the enqueued entry" "enqueued" \
	"$(sq "SELECT group_concat(event) FROM ledger WHERE request_id = 'U-R' AND event = 'enqueued'")"
assert_eq "the preset subject_ref is replaced by the HMAC of the email" 0 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE subject_ref = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'")"
assert_eq "an email in the source is rejected, and both are removed" "rejected|1|1" \
	"$(sq "SELECT status, subject_email IS NULL, source IS NULL OR source NOT LIKE '%@%' FROM erasure_queue WHERE request_id = 'U-E'")"
ec status
assert_no_bytes "status prints no raw ESC" "$T/out" "$(printf '\033')"
assert_no_bytes "status prints no raw BEL" "$T/out" "$(printf '\007')"
assert_grep "status shows the id's escape" "$T/out" 'U-\\(x1b|e|033)\[31mX'
assert_eq "a control character in the source: rejected, the text dropped" "rejected|1" \
	"$(sq "SELECT status, source IS NULL FROM erasure_queue WHERE request_id = 'U-C'")"
ec report --format csv -o "$T/r.csv"
assert_no_bytes "the CSV report has no raw ESC" "$T/r.csv" "$(printf '\033')"
ec report --format md -o "$T/r.md"
assert_no_bytes "the Markdown report has no raw ESC" "$T/r.md" "$(printf '\033')"
assert_no_bytes "no email in any output" "$T/all-output" "alice@example.com" "zoë@straße.de" "f@example.com" "r@example.com" "c@example.com" "e@example.com" "x@example.com"
