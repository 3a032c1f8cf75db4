#!/bin/sh
# run in windows (ERASECTL_WINDOW=7): 40 requests (30 customers, 10 unknown)
# with 429 bursts go through 6 windows; each window's plans are committed
# before its results, one customers sweep verifies each window, all end
# done. A 401 in the first window of a later run fails the untried
# windows' requests (nothing stays running); the rerun completes them.
. "$(dirname "$0")/../lib.sh"

"$FAKECLOUD" --generate --products 1 --customers 60 --devices 120 --seed 9 \
	--max-devices-per-customer 3 > "$T/fleet.json"
fake_start "$T/fleet.json"
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 8" \
	"[products]" "ids = 2001"
init_db
ERASECTL_BACKOFF_BASE_MS=5 ERASECTL_WINDOW=7
export ERASECTL_BACKOFF_BASE_MS ERASECTL_WINDOW

# Unknown subjects spread over the windows (every fourth request).
{
	echo "request_id,email"
	for i in $(seq 1 40); do
		if [ $((i % 4)) -eq 0 ]; then
			printf 'W-%02d,ghost%03d@example.com\n' "$i" "$i"
		else
			printf 'W-%02d,user%05d@example.com\n' "$i" "$i"
		fi
	done
} > "$T/req.csv"
cut -d, -f2 "$T/req.csv" | tail -n +2 > "$T/emails"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue 40 requests"

fake_faults '{"rules": [
	{"match": "/customers", "method": "GET", "action": "status", "status": 429, "retry_after": "0", "count": 3},
	{"match": "/owner", "action": "status", "status": 429, "count": 10}]}'
ec run
expect_rc 0 "windowed run exits 0"
assert_grep "summary counts every window" "$T/out" \
	'^processed 40: erased 30, not found 10, failed 0; API calls [0-9]+$'
assert_eq "all requests done" "done|40" \
	"$(sq "select status, count(*) from erasure_queue group by status")"
fake_requests > "$T/requests.json"
assert_eq "429 bursts were served" true \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["status"] == 429]) >= 13')"
assert_eq "customers listed once for discovery plus one sweep per window (ceil(40/7) = 6)" 7 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] == "GET" and r["path"].endswith("/customers") and r["status"] == 200])')"
assert_eq "devices listed once per run (120 devices: 2 pages)" 2 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] == "GET" and r["path"].endswith("/devices") and r["status"] == 200])')"
assert_eq "every request's plans precede its results" 0 \
	"$(sq "select count(*) from ledger r where event = 'result' and exists (select 1 from ledger p where p.request_id = r.request_id and p.event = 'plan' and p.seq > r.seq)")"
assert_eq "plans are written per window, not all up front" true \
	"$(sq "select case when exists (select 1 from ledger p, ledger r where p.event = 'plan' and r.event = 'result' and r.seq < p.seq) then 'true' else 'false' end")"
assert_eq "every planned action has a successful result" 0 \
	"$(sq "select count(*) from ledger p where event = 'plan' and not exists (select 1 from ledger r where r.request_id = p.request_id and r.event = 'result' and r.path = p.path and (r.detail = p.detail || ':ok' or r.detail = p.detail || ':already_absent'))")"
assert_eq "one done entry per request" 40 \
	"$(sq "select count(distinct request_id) from ledger where event = 'done'")"
fake_state > "$T/state.json"
assert_eq "no erased customer left" 0 \
	"$(fake_json "$T/state.json" 'len([c for p in j["products"] for c in p["customers"] if c["username"].lower() in set(l.strip() for l in open("'"$T/emails"'"))])')"
ec verify
expect_rc 0 "ledger verifies"

# A later run: 20 more requests (3 windows); every destructive call is
# refused, so the run stops in the first window.
{
	echo "request_id,email"
	for i in $(seq 41 60); do printf 'X-%02d,user%05d@example.com\n' "$i" "$i"; done
} > "$T/req2.csv"
ec enqueue "$T/req2.csv"
expect_rc 0 "enqueue 20 more"
fake_faults '{"rules": [{"match": "", "method": "DELETE", "action": "status", "status": 401}, {"match": "", "method": "PUT", "action": "status", "status": 401}]}'
ec run
expect_rc 4 "401 in the first window exits 4"
assert_grep "summary counts the untried windows as failed" "$T/out" \
	'^processed 20: erased 0, not found 0, failed 20;'
assert_eq "nothing left running" 0 \
	"$(sq "select count(*) from erasure_queue where status = 'running'")"
assert_eq "first window failed by the 401" "API refused the token|7" \
	"$(sq "select last_error, count(*) from erasure_queue where status = 'failed' and last_error not like 'run stopped%' group by 1")"
assert_eq "later windows failed untried, with the reason" \
	"run stopped before this request was attempted: API refused the token|13|1" \
	"$(sq "select last_error, count(*), max(attempts) from erasure_queue where last_error like 'run stopped%' group by 1")"
assert_eq "their failed entries name the subject (subject_ref)" 13 \
	"$(sq "select count(*) from ledger l join erasure_queue q using (request_id) where q.last_error like 'run stopped%' and l.event = 'failed' and l.detail = 'stopped' and l.subject_ref = q.subject_ref")"
assert_eq "untried requests have no plan or result entry" 0 \
	"$(sq "select count(*) from ledger l join erasure_queue q using (request_id) where q.last_error like 'run stopped%' and l.event in ('plan', 'result')")"
ec verify
expect_rc 0 "ledger verifies after the stop"

fake_faults '{}'
ec run --dry-run
expect_rc 0 "dry run exits 0"
assert_grep "dry run pages through every window" "$T/out" '^dry run: 20 requests, '
assert_eq "dry run prints each request's plan once, in order" \
	"$(seq 41 60 | sed 's/^/X-/' | tr '\n' ' ')" \
	"$(grep -o '^X-[0-9]*' "$T/out" | tr '\n' ' ')"
ec run --dry-run --limit 9
assert_grep "dry run honours --limit across windows" "$T/out" '^dry run: 9 requests, '
assert_eq "dry run claims nothing" "failed|20" \
	"$(sq "select status, count(*) from erasure_queue where request_id like 'X-%' group by status")"

ec run --limit 9
expect_rc 0 "rerun of the first 9 exits 0"
assert_grep "--limit spans windows" "$T/out" '^processed 9: erased 9, not found 0, failed 0;'
assert_eq "the first 9 by request id are done, the rest wait as failed" \
	"X-41|X-49|done X-50|X-60|failed" \
	"$(sq "select min(request_id) || '|' || max(request_id) || '|' || status from erasure_queue where request_id like 'X-%' group by status order by 1" | tr '\n' ' ' | sed 's/ $//')"
ec run
expect_rc 0 "rerun exits 0"
assert_grep "rerun erases the rest" "$T/out" '^processed 11: erased 11, not found 0, failed 0;'
assert_eq "all 60 done" "done|60" \
	"$(sq "select status, count(*) from erasure_queue group by status")"
ec verify
expect_rc 0 "ledger verifies at the end"

hits=$(grep -aoF -f "$T/emails" "$DB" "$DB-wal" "$DB-shm" 2>/dev/null | wc -l)
assert_eq "no batch email in db, -wal or -shm" 0 "$hits"
assert_no_bytes "token in no output or database file" "$TOKEN" \
	"$T/all-output" "$DB" "$DB-wal" "$DB-shm"
