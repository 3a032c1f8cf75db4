#!/bin/sh
# Issue 11: one rule, one place. A held request is never overdue: not in
# status, not in the report in any format, not in lookup (civil.c is the
# only definition); an open request past its deadline is, everywhere. A
# received date in the future is refused by every way a request enters:
# CSV, OpenDSR, erase, and an upstream INSERT (t0955).
. "$(dirname "$0")/../lib.sh"

init_db
printf 'request_id,email,received_at\nO-HELD,held@example.com,2026-01-01\nO-OPEN,open@example.com,2026-01-02\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec hold O-HELD --reason "litigation"
expect_rc 0 "hold"

ec status
assert_grep "status: the open request is OVERDUE" "$T/out" "^O-OPEN .*OVERDUE$"
assert_no_grep "status: the held one is not" "$T/out" "^O-HELD .*OVERDUE"
ec status O-HELD
assert_no_grep "status REQUEST_ID: not overdue" "$T/out" "overdue"
ec status O-OPEN
assert_grep "status REQUEST_ID: overdue" "$T/out" "^status: +pending \\(overdue\\)"
ec report --format json -o "$T/r.json"
assert_eq "report JSON" "O-HELD False O-OPEN True" \
	"$(fake_json "$T/r.json" "' '.join(q['request_id'] + ' ' + str(q['overdue']) for q in j['requests'])")"
ec report --format csv -o "$T/r.csv"
assert_eq "report CSV" "O-HELD no O-OPEN yes" \
	"$(awk -F, 'NR > 1 { printf "%s %s ", $1, $8 }' "$T/r.csv" | sed 's/ $//')"
ec report --format md -o "$T/r.md"
assert_grep "report Markdown: the open one" "$T/r.md" "^\\| O-OPEN .*\\| \\*\\*yes\\*\\* \\|"
assert_no_grep "report Markdown: not the held one" "$T/r.md" "^\\| O-HELD .*\\| \\*\\*yes\\*\\* \\|"
ec report --format html -o "$T/r.html"
assert_eq "report HTML: one overdue mark, on the open request" "O-OPEN" \
	"$(grep -o '<tr><td class="mono nw">O-[A-Z]*</td>.*' "$T/r.html" | grep 'class="t">overdue<' | sed 's/.*nw">\(O-[A-Z]*\)<.*/\1/')"
assert_grep "report: one overdue in the summary" "$T/r.md" "^\\| \\*\\*Overdue\\*\\* \\| \\*\\*1\\*\\* \\|$"
ec lookup --email held@example.com
assert_no_grep "lookup: the held one is not overdue" "$T/out" "OVERDUE"
ec lookup --email open@example.com
assert_grep "lookup: the open one is" "$T/out" "OVERDUE"

# A received date in the future, by every way in.
future=$(date -u -d '+3 days' +%Y-%m-%d)
printf 'request_id,email,received_at\nF-1,f@example.com,%s\n' "$future" > "$T/f.csv"
ec enqueue "$T/f.csv"
expect_rc 2 "CSV: a future received_at is refused"
assert_grep "CSV: it says why" "$T/err" "f.csv:2: received_at is in the future"
printf '{"subject_request_id":"F-2","subject_request_type":"erasure","submitted_time":"%sT00:00:00Z","subject_identities":[{"identity_type":"email","identity_value":"f@example.com","identity_format":"raw"}]}\n' "$future" > "$T/f.json"
ec enqueue --format opendsr "$T/f.json"
expect_rc 2 "OpenDSR: a future submitted_time is refused"
write_config "https://127.0.0.1:1" "[products]" "ids = 1001"
ec erase --email f@example.com --received "$future" --request-id F-3 --yes
expect_rc 2 "erase: a future --received is refused"
assert_grep "erase: it says why" "$T/err" "received_at is in the future"
assert_eq "nothing of them was queued" 0 "$(sq "SELECT count(*) FROM erasure_queue WHERE request_id LIKE 'F-%'")"
