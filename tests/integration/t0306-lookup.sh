#!/bin/sh
# lookup: by email via the HMAC subject_ref; exit 0 with a record, 1 with
# none; finds ledger entries whose queue row is gone; never prints the email.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db

ec lookup --help
expect_rc 0 "lookup --help"
ec lookup
expect_rc 2 "lookup without --email"
ec lookup --email "  "
expect_rc 2 "lookup with an empty email"

ec lookup --email nobody.fixture@example.com
expect_rc 1 "no record: exit 1"
assert_grep "says none" "$T/out" "no erasure request found"
ec lookup --email nobody.fixture@example.com --format json
expect_rc 1 "no record (json): exit 1"
assert_grep "empty requests" "$T/out" '^\{"subject_ref":"[0-9a-f]{64}","requests":\[\]\}$'

ec enqueue "$FX/good.csv"
ref=$(sq "SELECT subject_ref FROM erasure_queue WHERE request_id = 'R-1001'")
ec lookup --email " ALICE.fixture@Example.com "
expect_rc 0 "record: exit 0"
assert_grep "text shows the ref" "$T/out" "^subject_ref: $ref$"
assert_grep "text shows the request" "$T/out" "^R-1001 pending$"

ec lookup --email alice.fixture@example.com --format json
expect_rc 0 "json: exit 0"
assert_eq "JSON per DESIGN" "{\"subject_ref\":\"$ref\",\"requests\":[{\"request_id\":\"R-1001\",\"status\":\"pending\",\"outcome\":null,\"completed_at\":null}]}" "$(cat "$T/out")"

# An UPDATE cannot make a request done: lookup answers from the ledger,
# says the queue disagrees, exit 3.
sq "UPDATE erasure_queue SET status = 'done', outcome = 'erased', subject_email = NULL, completed_at = '2026-11-20T01:02:03Z' WHERE request_id = 'R-1001'"
ec lookup --email alice.fixture@example.com --format json
expect_rc 3 "a queue row the ledger does not bear out: exit 3"
assert_grep "the status is the ledger's" "$T/out" '"request_id":"R-1001","status":"pending","outcome":null'
assert_grep "the disagreement is named" "$T/err" "request 'R-1001': the queue says done \\(erased\\), the ledger has no done entry"

# The queue row is gone; the ledger still answers.
sq "DELETE FROM erasure_queue WHERE request_id = 'R-1001'"
ec lookup --email alice.fixture@example.com --format json
expect_rc 0 "ledger-only record: exit 0"
assert_grep "ledger-only request listed" "$T/out" '"request_id":"R-1001","status":"pending"'

# Upstream rows without a subject_ref are found by email too.
sq "INSERT INTO erasure_queue (request_id, subject_email) VALUES ('U-9', ' Greta.Fixture@Example.com')"
ec lookup --email greta.fixture@example.com
expect_rc 0 "upstream row found"
assert_grep "upstream row listed" "$T/out" "^U-9 pending$"

# Missing key file: a clear error, exit 2.
mv "$T/erasectl.key" "$T/key.moved"
ec lookup --email alice.fixture@example.com
expect_rc 2 "missing key: exit 2"
mv "$T/key.moved" "$T/erasectl.key"

for e in alice.fixture greta.fixture nobody.fixture bob.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e"
done
