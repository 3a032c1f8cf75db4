#!/bin/sh
# hold / release / extend: allowed states, required reasons, the 2-month
# cap, and a ledger entry in the same transaction as each change.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db
ec enqueue "$FX/good.csv"
expect_rc 0 "queue fixtures"
sq "UPDATE erasure_queue SET status = 'done', outcome = 'erased', subject_email = NULL WHERE request_id = 'R-1003'"
sq "UPDATE erasure_queue SET status = 'failed', last_error = 'x' WHERE request_id = 'R-1002'"
sq "UPDATE erasure_queue SET status = 'running' WHERE request_id = 'R-1004'"
ledger() { sq "SELECT count(*) FROM ledger WHERE event = '$1'"; }

for c in hold release extend; do
	ec "$c" --help
	expect_rc 0 "$c --help"
done

ec hold R-1001
expect_rc 2 "hold without --reason"
assert_grep "reason required" "$T/err" "--reason is required"
ec hold R-1001 --reason ""
expect_rc 2 "hold with an empty reason"
ec hold R-1001 --reason "asked by alice.fixture@example.com"
expect_rc 2 "reason with an email is refused"
ec hold --reason "x"
expect_rc 2 "hold without id"
ec hold R-nope --reason "court order 17"
expect_rc 2 "hold unknown id"
assert_eq "no hold entries yet" 0 "$(ledger hold)"

ec hold R-1001 --reason "court order 17"
expect_rc 0 "hold pending"
assert_eq "pending -> held" "held|court order 17" "$(sq "SELECT status || '|' || hold_reason FROM erasure_queue WHERE request_id = 'R-1001'")"
assert_eq "ledger hold with reason" "R-1001|hold|court order 17|64" \
	"$(sq "SELECT request_id || '|' || event || '|' || detail || '|' || length(subject_ref) FROM ledger WHERE event = 'hold'")"
ec hold R-1002 --reason "litigation"
expect_rc 0 "hold failed"
assert_eq "failed -> held" held "$(sq "SELECT status FROM erasure_queue WHERE request_id = 'R-1002'")"
ec hold R-1001 --reason "again"
expect_rc 2 "hold held refused"
assert_grep "state named" "$T/err" "request 'R-1001' is held; only pending or failed"
ec hold R-1003 --reason "late"
expect_rc 2 "hold done refused"
ec hold R-1004 --reason "mid-run"
expect_rc 2 "hold running refused"
assert_eq "two hold entries" 2 "$(ledger hold)"

ec release R-1003
expect_rc 2 "release a done request refused"
assert_grep "not held" "$T/err" "request 'R-1003' is done, not held"
ec release R-1001
expect_rc 0 "release held"
assert_eq "held -> pending, reason cleared" "pending|" "$(sq "SELECT status || '|' || coalesce(hold_reason, '') FROM erasure_queue WHERE request_id = 'R-1001'")"
ec release R-1002 --reason "case closed"
expect_rc 0 "release with a reason"
assert_eq "release entries" "R-1001| R-1002|case closed" \
	"$(sq "SELECT request_id || '|' || detail FROM ledger WHERE event = 'release' ORDER BY seq" | tr '\n' ' ' | sed 's/ $//')"
ec release R-1001
expect_rc 2 "release twice refused"

ec extend R-1001 --reason "complex"
expect_rc 2 "extend without --months"
ec extend R-1001 --months 3 --reason "complex"
expect_rc 2 "extend by 3 refused"
ec extend R-1001 --months 1
expect_rc 2 "extend without a reason"
ec extend R-1001 --months 1 --reason "many devices"
expect_rc 0 "extend by 1"
assert_grep "new deadline" "$T/out" "deadline 2027-01-01"
ec extend R-1001 --months 2 --reason "more"
expect_rc 2 "beyond 2 months refused"
assert_grep "cap explained" "$T/err" "already extended by 1 month; the total may not exceed 2 months"
ec extend R-1001 --months 1 --reason "still more"
expect_rc 0 "extend to 2 in total"
assert_eq "extension recorded" "2|still more" "$(sq "SELECT extension_months || '|' || extension_reason FROM erasure_queue WHERE request_id = 'R-1001'")"
ec status --format json R-1001
assert_grep "status deadline extended" "$T/out" '"deadline":"2027-02-01"'
ec extend R-1001 --months 1 --reason "x"
expect_rc 2 "a third month refused"
ec extend R-1003 --months 1 --reason "x"
expect_rc 2 "extend a done request refused"
assert_grep "finished explained" "$T/err" "request 'R-1003' is done; a finished request cannot be extended"
sq "UPDATE erasure_queue SET status = 'rejected' WHERE request_id = 'R-1004'"
ec extend R-1004 --months 1 --reason "x"
expect_rc 2 "extend a rejected request refused"
assert_eq "two extend entries" "many devices|still more" \
	"$(sq "SELECT detail FROM ledger WHERE event = 'extend' ORDER BY seq" | tr '\n' '|' | sed 's/|$//')"

# The test set R-1003 done and R-1004 rejected with UPDATEs: verify sees
# that the ledger does not bear those rows out.
ec verify
expect_rc 3 "verify catches queue rows the ledger does not bear out"
assert_grep "names the row the UPDATE made done" "$T/err" \
	"request 'R-1003': the queue says done \\(erased\\), the ledger has no done entry"
assert_grep "names the row the UPDATE made rejected" "$T/err" \
	"request 'R-1004': the queue says rejected, the ledger pending"
for e in alice.fixture bob.fixture carol.fixture dave.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e"
done
assert_eq "no email in the ledger" 0 "$(sq "SELECT count(*) FROM ledger WHERE (request_id || subject_ref || detail) LIKE '%@%'")"
