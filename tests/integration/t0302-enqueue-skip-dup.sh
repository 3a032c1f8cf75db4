#!/bin/sh
# enqueue: --skip-invalid, duplicates (same id and subject: no-op; other
# subject: error), within a file and against the queue.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db

ec enqueue "$FX/mixed.csv"
expect_rc 2 "invalid rows without --skip-invalid: exit 2"
assert_grep "row 3 reported" "$T/err" "mixed.csv:3: invalid email address"
assert_grep "row 4 reported" "$T/err" "mixed.csv:4: device_id must be 24 hexadecimal digits"
assert_grep "row 6 reported" "$T/err" "mixed.csv:6: received_at is not an ISO 8601"
assert_grep "count of invalid rows" "$T/err" "3 invalid rows in"
assert_eq "nothing queued" 0 "$(sq 'SELECT count(*) FROM erasure_queue')"
assert_eq "nothing in the ledger" 0 "$(sq 'SELECT count(*) FROM ledger')"

ec enqueue --skip-invalid "$FX/mixed.csv"
expect_rc 1 "--skip-invalid with skipped rows: exit 1"
assert_grep "summary counts skipped rows" "$T/out" "^queued 2, duplicates 0, skipped 3$"
assert_eq "the valid rows" "R-4001 R-4004" \
	"$(sq "SELECT request_id FROM erasure_queue ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "ledger for the valid rows only" 2 "$(sq "SELECT count(*) FROM ledger WHERE event = 'enqueued'")"

# Same id, same subject (case and spaces differ) within one file.
ec enqueue "$FX/dup-same.csv"
expect_rc 0 "duplicate within the file is a no-op"
assert_grep "dup summary" "$T/out" "^queued 2, duplicates 1, skipped 0$"
assert_eq "R-5001 once" 1 "$(sq "SELECT count(*) FROM erasure_queue WHERE request_id = 'R-5001'")"
ec enqueue "$FX/dup-same.csv"
expect_rc 0 "again: all duplicates"
assert_grep "all duplicates" "$T/out" "^queued 0, duplicates 3, skipped 0$"

# Same id, another subject: an error naming file, line and id.
sqlite3 "$DB" .dump > "$T/before.sql"
printf 'request_id,email\nR-5001,zed.fixture@example.com\n' > "$T/conflict.csv"
ec enqueue "$T/conflict.csv"
expect_rc 2 "id queued for another subject: exit 2"
assert_grep "conflict message" "$T/err" "conflict.csv:2: request id 'R-5001' is already queued for another subject"
sqlite3 "$DB" .dump > "$T/after.sql"
if cmp -s "$T/before.sql" "$T/after.sql"; then ok "conflict: database unchanged"; else not_ok "conflict: database unchanged"; fi
ec enqueue "$FX/dup-conflict.csv"
expect_rc 2 "conflict within one file: exit 2"
assert_grep "within-file conflict names line 3" "$T/err" "dup-conflict.csv:3: request id 'R-5001' is already queued for another subject"

# A conflict is skippable like any bad row.
printf 'request_id,email\nR-6001,amy.fixture@example.com\nR-5001,zed.fixture@example.com\n' > "$T/conflict2.csv"
ec enqueue --skip-invalid "$T/conflict2.csv"
expect_rc 1 "--skip-invalid skips the conflict"
assert_grep "conflict skipped" "$T/out" "^queued 1, duplicates 0, skipped 1$"

# A done request keeps only its ref: re-sending it is still a duplicate.
sq "UPDATE erasure_queue SET status = 'done', outcome = 'erased', subject_email = NULL WHERE request_id = 'R-4001'"
printf 'request_id,email\nR-4001,alice.fixture@example.com\n' > "$T/again.csv"
ec enqueue "$T/again.csv"
expect_rc 0 "finished request re-sent"
assert_grep "finished request is a duplicate" "$T/out" "^queued 0, duplicates 1, skipped 0$"

for e in alice.fixture bob.fixture carol.fixture zed.fixture amy.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e@"
done
assert_no_grep "bad value not echoed" "$T/all-output" "not-an-address"
