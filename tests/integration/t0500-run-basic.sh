#!/bin/sh
# run: the whole erasure order against the fake cloud over HTTPS, by email
# and by device id; fleet state, ledger, queue and personal-data checks.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 1001, acme-lock" \
	"[policy]" "clear_device_fields = name, notes, groups" \
	"device_ledgers = device-prefs" "sim_action = deactivate"
init_db
cat > "$T/req.csv" <<'CSV'
request_id,email,device_id
R-1,alice@example.com,
R-2, Bob.Smith+IOT@example.org ,
R-3,,1b20bb0000000000000000b1
R-4,,0e50ee0000000000000000e1
R-5,nobody@example.com,
CSV
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"

ec --log-format json run
expect_rc 0 "run exits 0"
assert_grep "summary line" "$T/out" \
	'^processed 5: erased 3, not found 2, failed 0; API calls [0-9]+$'
assert_eq "one request_done event per request" 5 \
	"$(grep -c '"event":"request_done"' "$T/err")"
assert_grep "request_done has the stable keys" "$T/err" \
	'"request_id":"R-3","subject_ref":"[0-9a-f]{64}","outcome":"erased","status":"done","calls":[0-9]+,"duration_ms":'

fake_state > "$T/state.json"
s() { fake_json "$T/state.json" "$1"; }
dev() { echo "[d for p in j['products'] for d in p['devices'] if d['id'] == '$1'][0]"; }
assert_eq "customers left in 1001" '["carol@example.com", "dave@example.net", "erin@example.com"]' \
	"$(s "sorted(c['username'] for c in j['products'][0]['customers'])")"
assert_eq "customers left in acme-lock" '["Grace.Hopper@Example.COM"]' \
	"$(s "[c['username'] for c in j['products'][1]['customers']]")"
for d in 0a10aa0000000000000000a1 0a10aa0000000000000000a2 1a10aa0000000000000000a1 \
	0b20bb0000000000000000b1 1b20bb0000000000000000b1 1b20bb0000000000000000b2; do
	assert_eq "device $d unclaimed and cleared" '[null, "", "", []]' \
		"$(s "[$(dev $d).get(k) for k in ('owner', 'name', 'notes', 'groups')]")"
done
assert_eq "other subjects' devices untouched" '["carol@example.com", "carol-office", ["us"]]' \
	"$(s "[$(dev 0c30cc0000000000000000c1).get(k) for k in ('owner', 'name', 'groups')]")"
assert_eq "developer device untouched" "dev@acme.example" \
	"$(s "$(dev 0f60ff0000000000000000f1)['owner']")"
assert_eq "SIMs of erased devices deactivated, others not" \
	'[["89014103211118510701", "inactive"], ["89014103211118510702", "inactive"], ["89014103211118510703", "active"], ["89014103211118510711", "inactive"], ["89014103211118510712", "inactive"], ["89014103211118510713", "active"]]' \
	"$(s "sorted((x['iccid'], x['status']) for p in j['products'] for x in p['sims'] if x['iccid'] != '89014103211118510799')")"
assert_eq "device ledger instances of erased devices deleted" \
	'["0c30cc0000000000000000c1", "0e50ee0000000000000000e1"]' \
	"$(s "sorted(i['scope_value'] for l in j['ledgers'] if l['name'] == 'device-prefs' for i in l['instances'])")"

assert_eq "queue: all done with outcomes" \
	"R-1|done|erased R-2|done|erased R-3|done|erased R-4|done|not_found R-5|done|not_found" \
	"$(sq "select request_id, status, outcome from erasure_queue order by request_id" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "queue: no plaintext email left" 0 \
	"$(sq "select count(*) from erasure_queue where subject_email is not null")"
assert_eq "queue: device request got its subject_ref" 1 \
	"$(sq "select count(*) from erasure_queue where request_id = 'R-3' and length(subject_ref) = 64")"
assert_eq "every plan entry precedes the first result of its request" 0 \
	"$(sq "select count(*) from erasure_queue q where (select max(seq) from ledger where request_id = q.request_id and event = 'plan') > (select min(seq) from ledger where request_id = q.request_id and event = 'result')")"
assert_eq "results recorded for every planned action" \
	"$(sq "select count(*) from ledger where event = 'plan'")" \
	"$(sq "select count(*) from ledger where event = 'result'")"
assert_eq "customer delete paths carry {subject}" 4 \
	"$(sq "select count(*) from ledger where event = 'result' and detail = 'delete_customer:ok' and path like '%/customers/{subject}'")"
assert_eq "missing ledger instance is already_absent" 1 \
	"$(sq "select count(*) from ledger where detail = 'delete_ledger_instance:already_absent' and path like '%0a10aa0000000000000000a2'")"
assert_eq "verify entries all ok" 0 \
	"$(sq "select count(*) from ledger where event = 'verify' and detail != 'ok'")"
assert_eq "done entries" 5 "$(sq "select count(*) from ledger where event = 'done'")"

fake_requests > "$T/requests.json"
assert_eq "customer delete path escapes the email" 1 \
	"$(fake_json "$T/requests.json" "len([r for r in j if r['method'] == 'DELETE' and r['path'] == '/v1/products/1001/customers/alice%40example.com'])")"
assert_eq "list calls use perPage=100" 0 \
	"$(fake_json "$T/requests.json" "len([r for r in j if r['method'] == 'GET' and r['path'].endswith(('/customers', '/devices')) and 'perPage=100' not in r['query']])")"

ec verify
expect_rc 0 "ledger verifies"

for e in alice@example.com bob.smith+iot@example.org frank@example.com nobody@example.com; do
	assert_no_bytes "no '$e' in the database files" "$e" "$DB" "$DB-wal" "$DB-shm"
done
assert_no_bytes "token in no output or database file" "$TOKEN" \
	"$T/all-output" "$DB" "$DB-wal" "$DB-shm"
assert_no_grep "no email in any output" "$T/all-output" '[a-z]@(example|acme)\.'

fake_reset_log
ec run
expect_rc 0 "second run exits 0"
assert_grep "second run has nothing to do" "$T/out" '^processed 0: erased 0, not found 0, failed 0; API calls 0$'
fake_requests > "$T/requests2.json"
assert_eq "second run sends no request" 0 "$(fake_json "$T/requests2.json" 'len(j)')"
