#!/bin/sh
# Issue 13: two people for an erasure. With [policy] approval = required,
# requests wait in awaiting_approval; the user who enqueued one (root
# here) cannot approve it; another user (nobody, via setpriv) can, and
# only then does a run erase it; a denied request ends rejected with its
# reason in the ledger. Who enqueued and who approved show in status,
# receipts and reports; a request that waited past its deadline is
# flagged; a queue row forged to pending is not acted on.
. "$(dirname "$0")/../lib.sh"

if ! command -v setpriv > /dev/null || ! id nobody > /dev/null 2>&1; then
	not_ok "setpriv and the user nobody are needed"; exit 1
fi
fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001" \
	"[policy]" "approval = required"
init_db
# The second person: nobody, with the test's files made theirs (root,
# the first person, can still use them).
as_nobody() {
	chown -R nobody "$T"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$ERASECTL_BIN" -c "$T/erasectl.conf" "$@" > "$T/out" 2> "$T/err"
	RC=$?
	cat "$T/out" "$T/err" >> "$T/all-output"
}
old=$(date -u -d '-40 days' +%Y-%m-%d)
printf 'request_id,email,customer,received_at\nA-1,alice@example.com,,\nA-2,erin@example.com,,\nA-3,,cust-7f3a9e,%s\n' "$old" > "$T/req.csv"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
assert_eq "every request awaits approval" "awaiting_approval awaiting_approval awaiting_approval" \
	"$(sq "SELECT status FROM erasure_queue ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the ledger says so" 3 "$(sq "SELECT count(*) FROM ledger WHERE event = 'awaiting_approval'")"

fake_reset_log
ec run
expect_rc 0 "run: nothing to do"
fake_requests > "$T/req.json"
assert_eq "run changed nothing" 0 "$(fake_json "$T/req.json" "len([r for r in j if r['method'] != 'GET'])")"

ec approve A-1
expect_rc 2 "the enqueuer cannot approve"
assert_grep "it says who must" "$T/err" "request 'A-1' was enqueued by 'root': another user must approve it"
assert_eq "still awaiting" awaiting_approval "$(sq "SELECT status FROM erasure_queue WHERE request_id = 'A-1'")"

as_nobody approve A-1 --reason "ticket 42 verified"
expect_rc 0 "another user approves"
assert_grep "approved by nobody" "$T/out" "request 'A-1' approved by nobody"
assert_eq "the approval is in the ledger" "nobody|ticket 42 verified" \
	"$(sq "SELECT operator, detail FROM ledger WHERE event = 'approved' AND request_id = 'A-1'")"
as_nobody deny A-2 --reason "identity not verified"
expect_rc 0 "deny"
assert_eq "denied: rejected, email removed" "rejected|1" \
	"$(sq "SELECT status, subject_email IS NULL FROM erasure_queue WHERE request_id = 'A-2'")"
assert_eq "the denial and its reason are in the ledger" "nobody|identity not verified" \
	"$(sq "SELECT operator, detail FROM ledger WHERE event = 'denied'")"
as_nobody approve A-2
expect_rc 2 "a denied request cannot be approved"
assert_grep "it says why" "$T/err" "request 'A-2' is rejected, not awaiting approval"
as_nobody approve A-404
expect_rc 2 "an unknown request"
as_nobody deny A-3
expect_rc 2 "deny needs a reason"
as_nobody approve A-3 --reason "for bob@example.com"
expect_rc 2 "a reason with an email is refused"

ec run
expect_rc 0 "run erases the approved request only"
assert_eq "A-1 done; A-3 still waits" "A-1|done A-2|rejected A-3|awaiting_approval" \
	"$(sq "SELECT request_id, status FROM erasure_queue ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
fake_state > "$T/state.json"
assert_eq "alice is gone, erin is not" "0 1" \
	"$(fake_json "$T/state.json" "' '.join(str(len([c for p in j['products'] for c in p['customers'] if c['username'] == u])) for u in ('alice@example.com', 'erin@example.com'))")"

ec receipt A-1 --format json
assert_eq "the receipt names both people" "root nobody" \
	"$(fake_json "$T/out" "j['enqueued_by'] + ' ' + j['approved_by']")"
ec receipt A-1
assert_grep "text receipt: approved by" "$T/out" "^approved by:  nobody at "
ec status A-1 --format json
assert_eq "status names both people" "root nobody" \
	"$(fake_json "$T/out" "j['requests'][0]['enqueued_by'] + ' ' + j['requests'][0]['approved_by']")"
ec report --format json -o "$T/r.json"
assert_eq "the report flags A-3 as overdue while awaiting approval" "1 A-3" \
	"$(fake_json "$T/r.json" "str(j['summary']['overdue_awaiting_approval']) + ' ' + ' '.join(q['request_id'] for q in j['requests'] if q['overdue_awaiting_approval'])")"
assert_eq "the report names who approved A-1" "root nobody" \
	"$(fake_json "$T/r.json" "' '.join([q['enqueued_by'] + ' ' + q['approved_by'] for q in j['requests'] if q['request_id'] == 'A-1'])")"

# A queue row forged to pending is not acted on: the ledger has no approval.
sq "UPDATE erasure_queue SET status = 'pending' WHERE request_id = 'A-3'"
fake_reset_log
ec run
expect_rc 1 "the forged row fails"
assert_grep "it says why" "$T/err" "the ledger shows no approval of this request"
fake_requests > "$T/req.json"
assert_eq "nothing of cust-7f3a9e was changed" 0 "$(fake_json "$T/req.json" "len([r for r in j if r['method'] != 'GET'])")"

# erase with approval required: queued, and it says how to approve it.
fake_reset_log
ec erase --customer cust-0b1d2c --request-id A-4 --yes
expect_rc 1 "erase queues and waits: exit 1"
assert_grep "erase says how to approve" "$T/out" "request A-4 is queued and awaits approval .*another user runs: erasectl approve 'A-4'"
assert_eq "A-4 awaits approval" awaiting_approval "$(sq "SELECT status FROM erasure_queue WHERE request_id = 'A-4'")"
fake_requests > "$T/req.json"
assert_eq "erase changed nothing" 0 "$(fake_json "$T/req.json" "len([r for r in j if r['method'] != 'GET'])")"
printf 'A-4\n# and the other one\n\nA-3\n' > "$T/ids"
sq "UPDATE erasure_queue SET status = 'awaiting_approval' WHERE request_id = 'A-3'"
as_nobody approve --all-from "$T/ids"
expect_rc 0 "approve --all-from"
ec run
expect_rc 0 "run erases both"
assert_eq "all finished" "A-1|done A-2|rejected A-3|done A-4|done" \
	"$(sq "SELECT request_id, status FROM erasure_queue ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
ec verify
expect_rc 0 "the ledger verifies"
for e in alice@example.com erin@example.com; do
	assert_no_bytes "no '$e' in any output" "$e" "$T/all-output"
	assert_no_bytes "no '$e' in the database files" "$e" "$DB" "$DB-wal" "$DB-shm"
done
