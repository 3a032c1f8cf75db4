#!/bin/sh
# enqueue: CSV intake (BOM, CRLF, quoting, case-insensitive header),
# normalization, generated ids, stdin, re-import, ledger entries, no PII.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db

ec enqueue --help
expect_rc 0 "enqueue --help exits 0"
assert_grep "help names --skip-invalid" "$T/out" "--skip-invalid"

ec enqueue
expect_rc 2 "no input is a usage error"
ec enqueue --format xml "$FX/good.csv"
expect_rc 2 "unknown --format is a usage error"
ec enqueue "$T/missing.csv"
expect_rc 2 "missing file is an error"
assert_grep "missing file is named" "$T/err" "cannot open '.*missing.csv'"

ec enqueue "$FX/good.csv"
expect_rc 0 "good.csv queues"
assert_grep "summary" "$T/out" "^queued 5, duplicates 0, skipped 0$"
assert_eq "5 queue rows" 5 "$(sq 'SELECT count(*) FROM erasure_queue')"
assert_eq "email normalized (trim, lower case)" 1 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE request_id = 'R-1002' AND subject_email = 'bob.fixture@example.com'")"
assert_eq "received_at date -> midnight UTC" "2026-11-01T00:00:00Z" \
	"$(sq "SELECT received_at FROM erasure_queue WHERE request_id = 'R-1001'")"
assert_eq "received_at offset -> UTC" "2026-11-02T08:30:00Z" \
	"$(sq "SELECT received_at FROM erasure_queue WHERE request_id = 'R-1002'")"
assert_eq "quoted comma kept" "support, phone" \
	"$(sq "SELECT source FROM erasure_queue WHERE request_id = 'R-1002'")"
assert_eq "quoted newline flattened" "multi line note" \
	"$(sq "SELECT source FROM erasure_queue WHERE request_id = 'R-1004'")"
assert_eq "device id lower-cased" "89abcdef0123456789abcdef" \
	"$(sq "SELECT device_id FROM erasure_queue WHERE request_id = 'R-1004'")"
assert_eq "device-only row has no subject_ref" "|0123456789abcdef01234567" \
	"$(sq "SELECT coalesce(subject_ref, '') || '|' || device_id FROM erasure_queue WHERE request_id = 'R-1003'")"
assert_eq "empty request_id gets a UUID v4" 1 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE subject_email = 'dave.fixture@example.com' AND request_id GLOB '????????-????-4???-????-????????????'")"
assert_eq "all pending, subject_ref is 64 hex" 4 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE status = 'pending' AND length(subject_ref) = 64")"
assert_eq "one enqueued ledger entry per request" 5 \
	"$(sq "SELECT count(*) FROM ledger WHERE event = 'enqueued' AND detail = 'csv'")"
assert_eq "ledger request ids match the queue" 0 \
	"$(sq "SELECT count(*) FROM erasure_queue q WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.request_id = q.request_id)")"
assert_eq "ledger subject_ref matches the queue" 0 \
	"$(sq "SELECT count(*) FROM ledger l JOIN erasure_queue q USING (request_id) WHERE l.subject_ref <> coalesce(q.subject_ref, '')")"

# Re-importing the same file queues nothing (rows without an id too).
ec enqueue "$FX/good.csv"
expect_rc 0 "re-import succeeds"
assert_grep "re-import: all duplicates" "$T/out" "^queued 0, duplicates 5, skipped 0$"
assert_eq "still 5 rows" 5 "$(sq 'SELECT count(*) FROM erasure_queue')"
assert_eq "still 5 ledger entries" 5 "$(sq 'SELECT count(*) FROM ledger')"

# BOM, CRLF, upper-case header, blank line; from standard input.
ec_in "$FX/bom-crlf.csv" enqueue -
expect_rc 0 "stdin with BOM and CRLF"
assert_grep "stdin summary" "$T/out" "^queued 2, duplicates 0, skipped 0$"
assert_eq "BOM/CRLF rows" "R-2001|erin.fixture@example.com R-2002|frank.fixture@example.com" \
	"$(sq "SELECT request_id || '|' || subject_email FROM erasure_queue WHERE request_id LIKE 'R-2%' ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"

# Errors on stdin name it <stdin>.
printf 'email\nnope\n' > "$T/bad.csv"
ec_in "$T/bad.csv" enqueue -
expect_rc 2 "bad row on stdin"
assert_grep "stdin error is <stdin>:2:" "$T/err" "<stdin>:2: invalid email address"

# Ledger still verifies after the appends.
ec verify
expect_rc 0 "ledger verifies"

for e in alice.fixture bob.fixture carol.fixture dave.fixture erin.fixture frank.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e"
done
assert_eq "no email in the ledger" 0 "$(sq "SELECT count(*) FROM ledger WHERE (request_id || subject_ref || detail || target_id || path) LIKE '%@%'")"
