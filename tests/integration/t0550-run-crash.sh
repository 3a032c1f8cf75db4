#!/bin/sh
# run: kill -9 at two moments mid-run, then run again: every request
# completes, no action is recorded ok twice, the ledger verifies, and the
# lock left by the killed run is taken over.
. "$(dirname "$0")/../lib.sh"

"$FAKECLOUD" --generate --products 2 --customers 80 --devices 200 --seed 11 \
	--max-devices-per-customer 4 > "$T/fleet.json"
fake_start "$T/fleet.json" --latency-ms 25
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 4" \
	"[products]" "ids = 2001, 2002" \
	"[policy]" "device_ledgers = device-prefs" "sim_action = deactivate"
init_db
{
	echo "request_id,email"
	for i in $(seq 1 30) $(seq 41 70); do printf 'K-%02d,user%05d@example.com\n' "$i" "$i"; done
} > "$T/req.csv"
cut -d, -f2 "$T/req.csv" | tail -n +2 > "$T/emails"
ec enqueue "$T/req.csv"

# kill_after N: starts a run and kills it (SIGKILL) once the fake cloud
# has seen N more destructive calls.
kill_after() {
	base=$(fake_requests | fake_json /dev/stdin 'len([r for r in j if r["method"] != "GET"])')
	"$ERASECTL_BIN" -c "$T/erasectl.conf" run > "$T/killed.out" 2> "$T/killed.err" &
	pid=$!
	i=0
	while [ $i -lt 300 ]; do
		n=$(fake_requests | fake_json /dev/stdin 'len([r for r in j if r["method"] != "GET"])')
		[ $((n - base)) -ge "$1" ] && break
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 $pid
	wait $pid 2>/dev/null
	echo "# killed after $((n - base)) destructive calls"
	cat "$T/killed.out" "$T/killed.err" >> "$T/all-output"
}

kill_after 40
assert_eq "killed run left requests running" true \
	"$([ "$(sq "select count(*) from erasure_queue where status = 'running'")" -gt 0 ] && echo true || echo false)"
kill_after 60

ec run
expect_rc 0 "run after two kills exits 0"
assert_grep "every request completes" "$T/out" '^processed [0-9]+: erased [0-9]+, not found 0, failed 0;'
assert_eq "queue: all 60 done, all erased" "done|erased|60" \
	"$(sq "select status, outcome, count(*) from erasure_queue group by 1, 2")"
assert_eq "no action recorded ok twice" 0 \
	"$(sq "select count(*) from (select request_id, detail, path from ledger where event = 'result' and detail like '%:ok' group by 1, 2, 3 having count(*) > 1)")"
assert_eq "every planned action has a successful result" 0 \
	"$(sq "select count(*) from ledger p where event = 'plan' and not exists (select 1 from ledger r where r.request_id = p.request_id and r.event = 'result' and r.path = p.path and (r.detail = p.detail || ':ok' or r.detail = p.detail || ':already_absent' or r.detail = p.detail || ':gone'))")"
assert_eq "one done entry per request" 60 "$(sq "select count(*) from ledger where event = 'done'")"
ec verify
expect_rc 0 "ledger verifies"

fake_state > "$T/state.json"
cat > "$T/check.py" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
erased = set(l.strip() for l in open(sys.argv[2]) if l.strip())
left = [c for p in j["products"] for c in p["customers"] if c["username"].lower() in erased]
owned = [d for p in j["products"] for d in p["devices"] if (d.get("owner") or "").lower() in erased]
print(len(left), len(owned))
PY
assert_eq "no erased customer or owned device left" "0 0" \
	"$(python3 "$T/check.py" "$T/state.json" "$T/emails")"
hits=$(grep -aoF -f "$T/emails" "$DB" "$DB-wal" "$DB-shm" 2>/dev/null | wc -l)
assert_eq "no batch email in db, -wal or -shm" 0 "$hits"
