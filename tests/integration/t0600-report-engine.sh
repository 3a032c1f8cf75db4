#!/bin/sh
# report: through the real engine against the fake cloud. Exact counts in
# every format, JSON keys of DESIGN "Machine-readable output", CSV formula
# escaping of a hostile request id, period filters, -o FILE, usage errors,
# and no email or token in any report.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 1001, acme-lock"
init_db
today=$(date -u +%Y-%m-%d)
cat > "$T/req.csv" <<CSV
request_id,email,device_id,received_at
R-1,alice@example.com,,$today
R-2, Bob.Smith+IOT@example.org ,,2023-01-31
R-5,nobody@example.com,,$today
"=HYPERLINK(""http://x"",""y"")",erin@example.com,,$today
R-9,carol@example.com,,2020-01-31
CSV
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
# R-9, 6 years past its deadline, is on legal hold: run skips it.
ec hold R-9 --reason "pending litigation"
expect_rc 0 "hold R-9"
ec run
expect_rc 0 "run"

ec report
expect_rc 0 "report exits 0"
cp "$T/out" "$T/report.json"
j() { fake_json "$T/report.json" "$1"; }
assert_eq "top-level keys" '["generated_at", "ledger", "period", "requests", "summary"]' \
	"$(j "sorted(k for k in j if k in ('generated_at','period','summary','ledger','requests'))")"
assert_eq "summary keys" '[true, true, true, true, true, true, true, true]' \
	"$(j "[k in j['summary'] for k in ('received','done','not_found','failed','pending','held','overdue','done_within_deadline')]")"
assert_eq "summary counts (received done not_found failed pending held)" \
	'[5, 4, 1, 0, 0, 1]' \
	"$(j "[j['summary'][k] for k in ('received','done','not_found','failed','pending','held')]")"
assert_eq "overdue: R-2 done late (deadline 2023-02-28)" '1' "$(j "j['summary']['overdue']")"
assert_eq "done within deadline" '3' "$(j "j['summary']['done_within_deadline']")"
assert_eq "period is all time" '{"from": null, "to": null}' "$(j "j['period']")"
assert_eq "ledger keys and verified" '[true, 64, true]' \
	"$(j "[j['ledger']['entries'] == $(sq 'select count(*) from ledger'), len(j['ledger']['head']), j['ledger']['verified']]")"
assert_eq "ledger head is the last entry's hash" "$(sq 'select hash from ledger order by seq desc limit 1')" \
	"$(j "j['ledger']['head']")"
assert_eq "request keys" '[]' \
	"$(j "[k for r in j['requests'] for k in ('request_id','subject_ref','received_at','deadline','completed_at','status','outcome','devices_released','customer_deleted','verified') if k not in r]")"
r() { j "[r['$2'] for r in j['requests'] if r['request_id'] == '$1'][0]"; }
assert_eq "R-2 deadline across Feb 2023" "2023-02-28" "$(r R-2 deadline)"
assert_eq "R-2 overdue" "true" "$(r R-2 overdue)"
assert_eq "R-1 devices released" \
	"$(sq "select count(distinct target_id) from ledger where request_id = 'R-1' and event = 'result' and detail in ('unclaim:ok', 'unclaim:already_absent')")" \
	"$(r R-1 devices_released)"
assert_eq "R-1 has devices" "true" "$(j "[r['devices_released'] > 0 for r in j['requests'] if r['request_id'] == 'R-1'][0]")"
assert_eq "R-1 customer deleted and verified" '[true, true, "erased"]' \
	"$(j "[[r['customer_deleted'], r['verified'], r['outcome']] for r in j['requests'] if r['request_id'] == 'R-1'][0]")"
assert_eq "R-5 not found, nothing deleted" '[false, 0, "not_found", true]' \
	"$(j "[[r['customer_deleted'], r['devices_released'], r['outcome'], r['verified']] for r in j['requests'] if r['request_id'] == 'R-5'][0]")"
assert_eq "R-1 ledger seq range" \
	"$(sq "select min(seq) || ' ' || max(seq) from ledger where request_id = 'R-1'")" \
	"$(j "[str(r['first_seq']) + ' ' + str(r['last_seq']) for r in j['requests'] if r['request_id'] == 'R-1'][0]")"
assert_eq "R-9 held, not overdue" '["held", false, "2020-02-29"]' \
	"$(j "[[r['status'], r['overdue'], r['deadline']] for r in j['requests'] if r['request_id'] == 'R-9'][0]")"
assert_eq "API actions = ledger result entries" \
	"$(sq "select count(*) from ledger where event = 'result'")" \
	"$(j "sum(a['count'] for a in j['summary']['api_actions'])")"
assert_eq "delete_customer ok count" \
	"$(sq "select count(*) from ledger where detail = 'delete_customer:ok'")" \
	"$(j "sum(a['count'] for a in j['summary']['api_actions'] if a['action'] == 'delete_customer' and a['outcome'] == 'ok')")"

# Period filters (inclusive, on received_at).
ec report --from 2023-01-01 --to 2023-12-31
expect_rc 0 "report --from --to"
cp "$T/out" "$T/p.json"
assert_eq "2023 holds only R-2" '[["R-2"], {"from": "2023-01-01", "to": "2023-12-31"}]' \
	"$(fake_json "$T/p.json" "[[r['request_id'] for r in j['requests']], j['period']]")"
assert_eq "2023: API actions are R-2's result entries" \
	"$(sq "select count(*) from ledger where event = 'result' and request_id = 'R-2'")" \
	"$(fake_json "$T/p.json" "sum(a['count'] for a in j['summary']['api_actions'])")"
ec report --from "$today"
assert_eq "--from today: R-1, R-5, =HYPERLINK" 3 "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))' < "$T/out")"

# CSV: RFC 4180, formula injection escaped.
ec report --format csv -o "$T/report.csv"
expect_rc 0 "report --format csv -o"
assert_grep "csv header" "$T/report.csv" '^request_id,subject_ref,received_at,deadline,completed_at,status,outcome,'
assert_grep "hostile id quoted with a leading quote" "$T/report.csv" \
	"^\"'=HYPERLINK\(\"\"http://x\"\",\"\"y\"\"\)\",[0-9a-f]{64},"
assert_no_grep "no cell starts with =" "$T/report.csv" '(^|,)=' 
assert_eq "csv rows" 6 "$(python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$T/report.csv")"
assert_eq "csv parses back to the id with its guard" "'=HYPERLINK(\"http://x\",\"y\")" \
	"$(python3 -c 'import csv,sys; print([r[0] for r in csv.reader(open(sys.argv[1], newline="")) if "HYPERLINK" in r[0]][0])' "$T/report.csv")"
assert_eq "csv lines end in CRLF" 6 "$(grep -c "$(printf '\r')\$" "$T/report.csv")"

ec report --format md -o "$T/report.md"
expect_rc 0 "report --format md"
assert_grep "markdown summary row" "$T/report.md" '^\| Requests received \| 5 \|$'
assert_grep "markdown ledger verified" "$T/report.md" 'Hash chain verified: \*\*yes\*\*'
ec report --format html -o "$T/report.html"
expect_rc 0 "report --format html"
assert_grep "html document" "$T/report.html" '^<!DOCTYPE html>'

# No email and no token in any report.
for f in report.json p.json report.csv report.md report.html; do
	for e in alice@example.com Bob.Smith bob.smith nobody@example.com erin@example.com carol@example.com '@example'; do
		assert_no_bytes "$f has no $e" "$e" "$T/$f"
	done
	assert_no_bytes "$f has no token" "$TOKEN" "$T/$f"
done

# A request whose queue row was cleaned away is reported from the ledger
# alone, after the others, with the subject_ref of its entries; a period
# (by received date, which only the queue holds) leaves it out.
sq "DELETE FROM erasure_queue WHERE request_id = 'R-5'"
ec report
expect_rc 0 "report without R-5's row"
cp "$T/out" "$T/gone.json"
assert_eq "R-5 listed last, from the ledger" \
	"[5, \"R-5\", \"done\", \"not_found\", null, \"$(sq "select max(subject_ref) from ledger where request_id = 'R-5'")\"]" \
	"$(fake_json "$T/gone.json" "[len(j['requests'])] + [[r['request_id'], r['status'], r['outcome'], r['received_at'], r['subject_ref']] for r in j['requests']][-1]")"
ec report --from "$today"
assert_eq "--from today without R-5's row: R-1, =HYPERLINK" 2 \
	"$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))' < "$T/out")"

# Usage errors.
ec report --from 2024-02-30
expect_rc 2 "impossible date is a usage error"
ec report --from 2024-03-01 --to 2024-02-01
expect_rc 2 "--from after --to is a usage error"
ec report --format xml
expect_rc 2 "unknown format is a usage error"
ec report extra
expect_rc 2 "extra argument is a usage error"
ec report -o "$T/nodir/x.json"
expect_rc 2 "unwritable output is an error"
