#!/bin/sh
# jobs/erasectl-nightly against the fake cloud over HTTPS: two CSV files in
# the inbox are queued and deleted, the batch runs, the dated reports and a
# checkpoint are written; the next night a file that fails validation is
# quarantined (mode 0600), the good one beside it is still processed, the
# exit status says so, and the ledger is verified against the previous
# checkpoint.
. "$(dirname "$0")/../lib.sh"

JOB=$ROOT/jobs/erasectl-nightly
FLEET=$ROOT/tests/fixtures/demo/fleet.json

fake_start "$FLEET"
write_config "$FAKE_URL" "[products]" "ids = 20101, acme-doorbell, acme-tracker" \
	"[policy]" "clear_device_fields = name, notes, groups" \
	"device_ledgers = device-prefs, trip-history" "sim_action = deactivate"

S=$T/state
mkdir -p "$S/inbox"
printf 'request_id,email,received_at\r\nN-1,alice.berg@example.com,2026-11-02\r\nN-2,not.a.customer@example.com,2026-11-03\r\n' \
	> "$S/inbox/2026-11-24-web.csv"
printf 'request_id,email,device_id\nN-3,Carla.Pohl@Example.NET,\nN-4,,dcb676e42721576c272b011d\n' \
	> "$S/inbox/2026-11-24-support.csv"
echo "not a request" > "$S/inbox/README.txt"

# nightly [ARGS]: the job with the test's config and state directory.
nightly() {
	STATE_DIRECTORY=$S ERASECTL_CONFIG=$T/erasectl.conf ERASECTL_BIN=$ERASECTL_BIN \
		sh "$JOB" "$@" > "$T/job.out" 2> "$T/job.err"
	RC=$?
	cp "$T/job.err" "$T/err"	# expect_rc shows it on a failure
	cat "$T/job.out" "$T/job.err" >> "$T/all-output"
}

nightly
expect_rc 0 "first night exits 0"
n=$(ls "$S/inbox" | grep -c '\.csv$')
assert_eq "no CSV left in the inbox" 0 "$n"
assert_eq "other files in the inbox are left alone" "$S/inbox/README.txt" "$(ls "$S/inbox"/*)"
assert_eq "work directory is empty" "" "$(ls "$S/work")"
assert_eq "work directory is private" 700 "$(stat -c %a "$S/work")"
assert_eq "all four requests are done" "N-1 done erased,N-2 done not_found,N-3 done erased,N-4 done erased" \
	"$(sq "SELECT group_concat(request_id || ' ' || status || ' ' || coalesce(outcome, '-'), ',')
	       FROM (SELECT * FROM erasure_queue ORDER BY request_id)")"
assert_eq "no email left in the queue" 0 "$(sq "SELECT count(*) FROM erasure_queue WHERE subject_email IS NOT NULL")"
day=$(date -u +%Y-%m-%d)
for f in html json; do
	if [ -s "$S/reports/erasectl-report-$day.$f" ]; then ok "report $f written"; else
		not_ok "report $f written" "$(ls -l "$S/reports")"; fi
done
assert_eq "report file is private" 600 "$(stat -c %a "$S/reports/erasectl-report-$day.html")"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print(s["received"], s["done"], s["not_found"], r["ledger"]["verified"])' \
	"$S/reports/erasectl-report-$day.json" > "$T/summary" 2>&1
assert_eq "JSON report: 4 received, 4 done, 1 not found, ledger verified" "4 4 1 True" "$(cat "$T/summary")"
cp1=$(ls "$S/checkpoints"/erasectl-checkpoint-*.json 2>/dev/null | tail -n 1)
if [ -n "$cp1" ]; then ok "checkpoint written"; else not_ok "checkpoint written" "$(cat "$T/job.err")"; fi
assert_eq "checkpoint covers the whole ledger" "$(sq "SELECT count(*) FROM ledger")" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"])' "$cp1")"
assert_grep "job log names the imported files" "$T/job.err" "queued '2026-11-24-web.csv'"
fake_state > "$T/state.json"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
gone = ["alice.berg@example.com", "carla.pohl@example.net", "ines.gross@example.net"]
left = [c["username"] for p in s["products"] for c in p["customers"] if c["username"] in gone]
owned = [d["id"] for p in s["products"] for d in p["devices"] if d.get("owner") in gone]
print(len(left), len(owned))' "$T/state.json" > "$T/left" 2>&1
assert_eq "fake cloud: the three customers and their devices are released" "0 0" "$(cat "$T/left")"

# Second night: one file fails validation, the other is fine.
printf 'request_id,email\nQ-1,bob.lang@example.org\nQ-2,not-an-email\n' > "$S/inbox/bad.csv"
printf 'request_id,email\nN-5,dmitri.thal@example.com\n' > "$S/inbox/good.csv"
sleep 1	# a distinct checkpoint time stamp
nightly
expect_rc 2 "second night exits 2: a file was quarantined"
q=$(ls "$S/quarantine"/*-bad.csv 2>/dev/null)
if [ -n "$q" ]; then ok "bad file quarantined"; else not_ok "bad file quarantined" "$(ls -la "$S" "$S/quarantine")"; fi
assert_eq "quarantined file is mode 0600" 600 "$(stat -c %a "$q" 2>/dev/null)"
assert_eq "nothing of the bad file was queued" 0 "$(sq "SELECT count(*) FROM erasure_queue WHERE request_id LIKE 'Q-%'")"
assert_eq "the good file was processed" "done" "$(sq "SELECT status FROM erasure_queue WHERE request_id = 'N-5'")"
assert_eq "inbox holds no CSV" "" "$(ls "$S/inbox" | grep '\.csv$')"
assert_grep "log says why, with file and line" "$T/job.err" "bad.csv:3"
n=$(ls "$S/checkpoints"/erasectl-checkpoint-*.json | wc -l)
assert_eq "a second checkpoint" 2 "$n"

# An interrupted job's file in the work dir is picked up first. The token
# comes from the systemd credential directory, as in the service unit.
printf 'request_id,email\nN-6,elena.iversen@example.org\n' > "$S/work/left.csv"
mkdir -p "$T/creds"
mv "$T/token" "$T/creds/token"
CREDENTIALS_DIRECTORY=$T/creds; export CREDENTIALS_DIRECTORY
nightly
unset CREDENTIALS_DIRECTORY
mv "$T/creds/token" "$T/token"
expect_rc 0 "third night exits 0 (token from \$CREDENTIALS_DIRECTORY)"
assert_eq "left-over work file processed" "done" "$(sq "SELECT status FROM erasure_queue WHERE request_id = 'N-6'")"
assert_eq "work directory is empty again" "" "$(ls "$S/work")"

# A configuration error leaves the inbox untouched.
printf 'request_id,email\nN-7,greta.sauer@example.com\n' > "$S/inbox/later.csv"
ERASECTL_SIM_ACTION=bogus; export ERASECTL_SIM_ACTION
nightly
unset ERASECTL_SIM_ACTION
expect_rc 2 "configuration error exits 2"
if [ -f "$S/inbox/later.csv" ]; then ok "inbox untouched on a configuration error"; else
	not_ok "inbox untouched on a configuration error"; fi

# The first night swept (nothing came back); a week later it sweeps
# again, and the metrics file is written for the textfile collector.
assert_grep "the first night swept (before its run: nobody was erased yet)" "$T/all-output" "sweep: 0 erased subjects"
assert_eq "the sweep is recorded" 1 "$(sq "SELECT count(*) FROM runs WHERE kind = 'sweep'")"
touch -d '8 days ago' "$S/work/.last-sweep"
nightly --metrics-file "$T/erasectl.prom"
expect_rc 0 "a week later: exit 0"
assert_grep "it swept again" "$T/job.err" "sweep exit 0"
assert_eq "two sweeps recorded" 2 "$(sq "SELECT count(*) FROM runs WHERE kind = 'sweep'")"
assert_grep "the metrics file is written" "$T/erasectl.prom" "^erasectl_sweep_reappeared 0$"
assert_eq "the metrics file is readable by the collector" 644 "$(stat -c %a "$T/erasectl.prom")"
assert_grep "it ends as OpenMetrics does" "$T/erasectl.prom" "^# EOF$"
nightly --sweep-days 0
assert_grep "--sweep-days 0: no sweep" "$T/job.err" "sweep exit -"
nightly --sweep-days soon
expect_rc 2 "--sweep-days must be a number"

nightly --no-such-flag
expect_rc 2 "unknown flag exits 2"
nightly --help
expect_rc 0 "--help exits 0"
assert_grep "--help documents the exit status" "$T/job.out" "Exit status"

for e in alice.berg@example.com carla.pohl@example.net not.a.customer@example.com \
	bob.lang@example.org dmitri.thal@example.com elena.iversen@example.org; do
	assert_no_bytes "no $e in reports, checkpoints or logs" "$e" \
		"$S"/reports/* "$S"/checkpoints/* "$T/all-output"
done
assert_no_bytes "no finished subject's email in the database" alice.berg@example.com \
	"$DB" "$DB-wal"
assert_no_bytes "token in no output" "$TOKEN" "$S"/reports/* "$T/all-output"
