#!/bin/sh
# enqueue --format opendsr: single object, wrapper, arrays; unsupported
# identity types, hashed identities and request types are refused.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db

ec enqueue --format opendsr "$FX/opendsr-single.json"
expect_rc 0 "single OpenDSR request"
assert_grep "single summary" "$T/out" "^queued 1, duplicates 0, skipped 0$"
assert_eq "id, time and source" "a7551968-d5d6-44b2-9831-815ac9017798|2026-11-01T10:00:00Z|opendsr" \
	"$(sq "SELECT request_id || '|' || received_at || '|' || source FROM erasure_queue")"
assert_eq "ledger detail opendsr" 1 "$(sq "SELECT count(*) FROM ledger WHERE event = 'enqueued' AND detail = 'opendsr'")"

ec_in "$FX/opendsr-wrapper.json" enqueue --format opendsr -
expect_rc 0 "{requests: [...]} from stdin"
assert_grep "wrapper summary" "$T/out" "^queued 2, duplicates 0, skipped 0$"
assert_eq "wrapper email normalized, time in UTC" "bob.fixture@example.com|2026-11-02T07:00:00Z" \
	"$(sq "SELECT subject_email || '|' || received_at FROM erasure_queue WHERE request_id LIKE '%0001'")"

sqlite3 "$DB" .dump > "$T/before.sql"
ec enqueue --format opendsr "$FX/opendsr-bad.json"
expect_rc 2 "bad requests: all-or-nothing"
assert_grep "sha256 refused with a reason" "$T/err" "opendsr-bad.json:5: identity_format 'sha256' is not supported"
assert_grep "non-email identity refused" "$T/err" "opendsr-bad.json:8: identity_type 'phone_number' is not supported"
assert_grep "non-erasure refused" "$T/err" "opendsr-bad.json:11: subject_request_type must be \"erasure\""
sqlite3 "$DB" .dump > "$T/after.sql"
if cmp -s "$T/before.sql" "$T/after.sql"; then ok "bad OpenDSR: database unchanged"; else not_ok "bad OpenDSR: database unchanged"; fi

ec enqueue --format opendsr --skip-invalid "$FX/opendsr-bad.json"
expect_rc 1 "--skip-invalid loads the good one"
assert_grep "skip summary" "$T/out" "^queued 1, duplicates 0, skipped 3$"
assert_eq "the erasure request with a raw email" 1 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE request_id = 'c0000000-0000-4000-8000-000000000001'")"

ec enqueue --format opendsr "$FX/opendsr-single.json"
expect_rc 0 "re-sent OpenDSR request"
assert_grep "is a duplicate" "$T/out" "^queued 0, duplicates 1, skipped 0$"

for e in alice.fixture bob.fixture carol.fixture dave.fixture erin.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e"
done
