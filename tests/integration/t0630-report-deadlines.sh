#!/bin/sh
# report: GDPR Art. 12(3) deadlines across month ends (one calendar month,
# or the last day of a shorter month), extensions by `erasectl extend`,
# [policy] deadline_days, and overdue flags of open requests as of now.
. "$(dirname "$0")/../lib.sh"

init_db
today=$(date -u +%Y-%m-%d)
cat > "$T/req.csv" <<CSV
request_id,email,received_at
A,a@example.com,2024-01-31
B,b@example.com,2023-01-31
C,c@example.com,2024-01-31T23:30:00Z
D,d@example.com,$today
E,e@example.com,2024-03-31
F,f@example.com,2024-12-31
CSV
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
ec extend C --months 2 --reason "complex: devices in 3 products"
expect_rc 0 "extend C by two months"

ec report
expect_rc 0 "report"
cp "$T/out" "$T/r.json"
d() { fake_json "$T/r.json" "[[r['deadline'], r['overdue']] for r in j['requests'] if r['request_id'] == '$1'][0]"; }
assert_eq "31 Jan 2024 -> 29 Feb 2024 (leap year), overdue" '["2024-02-29", true]' "$(d A)"
assert_eq "31 Jan 2023 -> 28 Feb 2023, overdue" '["2023-02-28", true]' "$(d B)"
assert_eq "extended 2 months: 31 Jan -> 30 Apr" '["2024-04-30", true]' "$(d C)"
assert_eq "received today: not overdue" false "$(fake_json "$T/r.json" "[r['overdue'] for r in j['requests'] if r['request_id'] == 'D'][0]")"
assert_eq "31 Mar -> 30 Apr" '["2024-04-30", true]' "$(d E)"
assert_eq "31 Dec -> 31 Jan next year" '["2025-01-31", true]' "$(d F)"
assert_eq "extension shown with its reason" '[2, "complex: devices in 3 products"]' \
	"$(fake_json "$T/r.json" "[[r['extension_months'], r['extension_reason']] for r in j['requests'] if r['request_id'] == 'C'][0]")"
assert_eq "summary: 5 overdue of 6 pending" '[6, 5, 0]' \
	"$(fake_json "$T/r.json" "[j['summary']['pending'], j['summary']['overdue'], j['summary']['done']]")"
ec report --format md
assert_grep "markdown shows the extension" "$T/out" '\+2 mo: complex: devices in 3 products'

# A fixed number of days instead of the calendar month.
printf '[policy]\ndeadline_days = 30\n' >> "$T/erasectl.conf"
ec report
cp "$T/out" "$T/r30.json"
d30() { fake_json "$T/r30.json" "[r['deadline'] for r in j['requests'] if r['request_id'] == '$1'][0]"; }
assert_eq "deadline_days = 30: 31 Jan 2024 -> 1 Mar" "2024-03-01" "$(d30 A)"
assert_eq "deadline_days = 30: 31 Jan 2023 -> 2 Mar" "2023-03-02" "$(d30 B)"
assert_eq "deadline_days = 30 plus 2 months" "2024-05-01" "$(d30 C)"
assert_eq "policy named in the report" "30 days from receipt" \
	"$(fake_json "$T/r30.json" "j['deadline_policy']")"
for f in r.json r30.json; do
	assert_no_bytes "$f has no email" "@example.com" "$T/$f"
done

# A rewritten ledger entry: no report comes out (it would be evidence of
# nothing), the error says why, exit 3; an -o file is not created.
sq "drop trigger ledger_no_update; update ledger set detail = 'csv!' where seq = 2;"
ec report
expect_rc 3 "report over a tampered ledger exits 3"
assert_eq "nothing on standard output" 0 "$(wc -c < "$T/out")"
assert_grep "error names the first bad entry" "$T/err" 'ledger does not verify \(first bad entry: seq 2: ledger entry 2 does not match its hash'
ec report --format html -o "$T/bad.html"
expect_rc 3 "html report over a tampered ledger exits 3"
assert_eq "no html file written" false "$([ -e "$T/bad.html" ] && echo true || echo false)"
