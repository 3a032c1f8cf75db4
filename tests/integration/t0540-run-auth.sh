#!/bin/sh
# run: a 401 mid-run stops the run (exit 4): no new call after it, the
# unfinished requests are failed ("API refused the token"), nothing is
# marked done unverified; the next run with a good token completes.
. "$(dirname "$0")/../lib.sh"

"$FAKECLOUD" --generate --products 2 --customers 60 --devices 120 --seed 3 \
	--max-devices-per-customer 3 > "$T/fleet.json"
fake_start "$T/fleet.json" --latency-ms 20
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 4" \
	"[products]" "ids = 2001, 2002"
init_db
{
	echo "request_id,email"
	for i in $(seq 1 40); do printf 'A-%02d,user%05d@example.com\n' "$i" "$i"; done
} > "$T/req.csv"
ec enqueue "$T/req.csv"

# Mid-run, the token stops working for every request. Any call sent after
# the first 401 arrived would be refused too, so the 401s count the calls
# in flight then (at most concurrency) plus any new ones (there must be none).
"$ERASECTL_BIN" -c "$T/erasectl.conf" run > "$T/out" 2> "$T/err" &
pid=$!
i=0
while [ $i -lt 400 ]; do
	n=$(fake_requests | fake_json /dev/stdin 'len([r for r in j if r["method"] != "GET"])')
	[ "$n" -ge 30 ] && break
	sleep 0.02; i=$((i + 1))
done
fake_faults '{"latency_ms": 20, "rules": [{"match": "", "action": "status", "status": 401}]}'
wait $pid
RC=$?
cat "$T/out" "$T/err" >> "$T/all-output"
expect_rc 4 "401 mid-run exits 4"
assert_grep "says the token was refused" "$T/err" 'API refused the token: run stopped'
fake_requests > "$T/requests.json"
n401=$(fake_json "$T/requests.json" 'len([r for r in j if r["status"] == 401])')
echo "# 401 answers: $n401 (calls in flight when the token failed; concurrency 4)"
assert_eq "no new call after the first 401 (only those in flight)" true \
	"$([ "$n401" -ge 1 ] && [ "$n401" -le 4 ] && echo true || echo false)"
assert_eq "no request done without verification" 0 \
	"$(sq "select count(*) from erasure_queue where status = 'done'")"
assert_eq "all requests failed with the reason" "failed|API refused the token|40" \
	"$(sq "select status, last_error, count(*) from erasure_queue group by 1, 2")"
assert_eq "every refused destructive call has its result entry" \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["status"] == 401 and r["method"] != "GET"])')" \
	"$(sq "select count(*) from ledger where event = 'result' and status = 401")"
ec verify
expect_rc 0 "ledger verifies after the stop"

fake_faults '{}'
ec run
expect_rc 0 "rerun with a good token exits 0"
assert_grep "rerun erases everyone" "$T/out" '^processed 40: erased 40, not found 0, failed 0;'
assert_eq "no action recorded ok twice" 0 \
	"$(sq "select count(*) from (select request_id, detail, path from ledger where event = 'result' and detail like '%:ok' group by 1, 2, 3 having count(*) > 1)")"
ec verify
expect_rc 0 "ledger verifies"
