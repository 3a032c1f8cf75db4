#!/bin/sh
# run: a batch of 200 subjects (190 customers with 0-5 devices in 2
# products, 10 unknown) over several pages of customers and devices, with
# 429 bursts and 5xx during the batch; everything done, nothing left.
. "$(dirname "$0")/../lib.sh"

"$FAKECLOUD" --generate --products 2 --customers 300 --devices 700 --seed 5 \
	--max-devices-per-customer 5 > "$T/fleet.json"
fake_start "$T/fleet.json"
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 16" \
	"[products]" "ids = 2001, 2002" \
	"[policy]" "device_ledgers = device-prefs" "sim_action = release"
init_db
ERASECTL_BACKOFF_BASE_MS=5
export ERASECTL_BACKOFF_BASE_MS

{
	echo "request_id,email"
	for i in $(seq 1 95) $(seq 151 245); do
		printf 'B-%03d,user%05d@example.com\n' "$i" "$i"
	done
	for i in $(seq 1 10); do printf 'G-%03d,ghost%03d@example.com\n' "$i" "$i"; done
} > "$T/req.csv"
cut -d, -f2 "$T/req.csv" | tail -n +2 > "$T/emails"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue 200 requests"

fake_faults '{"rules": [
	{"match": "/customers", "method": "GET", "action": "status", "status": 429, "retry_after": "1", "count": 2},
	{"match": "/owner", "action": "status", "status": 429, "count": 25},
	{"match": "", "action": "status", "status": 503, "probability": 0.03, "count": 60}]}'
start=$(date +%s.%N)
ec run
end=$(date +%s.%N)
expect_rc 0 "run exits 0"
assert_grep "summary" "$T/out" '^processed 200: erased 190, not found 10, failed 0; API calls [0-9]+$'
calls=$(sed -n 's/.*API calls \([0-9]*\)$/\1/p' "$T/out")
echo "# 200 subjects: $calls API calls ($(echo "scale=1; $calls / 200" | bc) per subject), $(echo "$end - $start" | bc) s"

fake_requests > "$T/requests.json"
assert_eq "429 bursts were served" true \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["status"] == 429]) >= 27')"
assert_eq "5xx were served" true \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["status"] >= 500]) > 0')"
assert_eq "customers were paged (index: 2 pages per product; final sweep: 1)" 6 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] == "GET" and r["path"].endswith("/customers") and r["status"] == 200])')"
assert_eq "devices were paged (4 pages per product)" 8 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] == "GET" and r["path"].endswith("/devices") and r["status"] == 200])')"

fake_state > "$T/state.json"
cat > "$T/check.py" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
erased = set(l.strip() for l in open(sys.argv[2]) if l.strip())
left = [c for p in j["products"] for c in p["customers"] if c["username"].lower() in erased]
owned = [d["id"] for p in j["products"] for d in p["devices"] if (d.get("owner") or "").lower() in erased]
others = sum(1 for p in j["products"] for d in p["devices"] if d.get("owner") and d["owner"].lower() not in erased)
print(len(left), len(owned), others > 0)
PY
assert_eq "no erased customer or owned device left; others kept" "0 0 True" \
	"$(python3 "$T/check.py" "$T/state.json" "$T/emails")"

assert_eq "all requests done" "done|200" "$(sq "select status, count(*) from erasure_queue group by status")"
assert_eq "no action recorded ok twice" 0 \
	"$(sq "select count(*) from (select request_id, detail, path from ledger where event = 'result' and detail like '%:ok' group by 1, 2, 3 having count(*) > 1)")"
assert_eq "every planned action has a successful result" 0 \
	"$(sq "select count(*) from ledger p where event = 'plan' and not exists (select 1 from ledger r where r.request_id = p.request_id and r.event = 'result' and r.path = p.path and (r.detail = p.detail || ':ok' or r.detail = p.detail || ':already_absent'))")"
ec verify
expect_rc 0 "ledger verifies"

hits=$(grep -aoF -f "$T/emails" "$DB" "$DB-wal" "$DB-shm" 2>/dev/null | wc -l)
assert_eq "no batch email in db, -wal or -shm" 0 "$hits"
assert_no_bytes "token in no output or database file" "$TOKEN" \
	"$T/all-output" "$DB" "$DB-wal" "$DB-shm"
