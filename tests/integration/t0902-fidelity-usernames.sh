#!/bin/sh
# Usernames are case-exact and not always emails. With a server that
# matches customer paths exactly (customer_case_exact), erasectl calls it
# with the username exactly as Particle returned it; an email request
# matches every username equal to it ignoring case, a customer request
# (CSV column `customer`, `erase --customer`, OpenDSR
# controller_customer_id) its username exactly. Asserted from the fake's
# state: the subjects' customers, devices, fields, SIMs and ledger
# instances are gone, nobody else is touched, and identities leave the
# database when the requests are done.
. "$(dirname "$0")/../lib.sh"

fake_start conformance --behave customer_case_exact
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 3001, tracker-lab" \
	"[policy]" "device_ledgers = device-prefs" "sim_action = release"
init_db
cat > "$T/req.csv" <<'CSV'
request_id,email,customer
C-1,alice@example.com,
C-2,,cust-7f3a9e
C-3,MIXED.case@example.com,
C-4,,CUST-7F3A9E
CSV
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue with a customer column"
cat > "$T/req.json" <<'JSON'
{"subject_request_id": "C-5", "subject_request_type": "erasure",
 "subject_identities": [{"identity_type": "controller_customer_id", "identity_value": "cust-0b1d2c"}]}
JSON
ec enqueue --format opendsr "$T/req.json"
expect_rc 0 "enqueue an OpenDSR controller_customer_id"
assert_eq "a customer identity is kept exactly until done" "cust-0b1d2c" \
	"$(sq "select subject_customer from erasure_queue where request_id = 'C-5'")"

ec run
expect_rc 0 "run exits 0"
assert_grep "summary" "$T/out" '^processed 5: erased 4, not found 1, failed 0;'
ec erase --customer Lab.Tech@Example.org --request-id C-6 --yes
expect_rc 0 "erase --customer exits 0"

fake_state > "$T/state.json"
s() { fake_json "$T/state.json" "$1"; }
assert_eq "customers left: only those nobody asked about" '["erin@example.com"]' \
	"$(s "sorted(c['username'] for p in j['products'] for c in p['customers'])")"
assert_eq "the subjects' devices: unowned, name and notes empty" \
	'[[null, "", ""], [null, "", ""], [null, "", ""], [null, "", ""], [null, "", ""], [null, "", ""]]' \
	"$(s "[[d.get('owner'), d.get('name'), d.get('notes')] for p in j['products'] for d in sorted(p['devices'], key=lambda d: d['id']) if d['id'] != '3e50ee0000000000000000e1']")"
assert_eq "the unowned spare is untouched" 'spare-tracker' \
	"$(s "[d.get('name') for p in j['products'] for d in p['devices'] if d['id'] == '3e50ee0000000000000000e1'][0]")"
assert_eq "the subjects' SIMs released, the other kept" '["89014103211118510809"]' \
	"$(s "sorted(x['iccid'] for p in j['products'] for x in p['sims'])")"
assert_eq "device ledger instances of the subjects deleted" '[]' \
	"$(s "[i['scope_value'] for l in j['ledgers'] if l['name'] == 'device-prefs' for i in l['instances']]")"
fake_requests > "$T/requests.json"
assert_eq "customer deletes use the exact usernames" \
	'["/v1/products/3001/customers/Mixed.Case%40Example.COM", "/v1/products/3001/customers/alice%40example.com", "/v1/products/3001/customers/cust-0b1d2c", "/v1/products/3001/customers/cust-7f3a9e", "/v1/products/3002/customers/Lab.Tech%40Example.org", "/v1/products/3002/customers/cust-7f3a9e"]' \
	"$(fake_json "$T/requests.json" "sorted(set(r['path'].replace('tracker-lab', '3002') for r in j if r['method'] == 'DELETE' and '/customers/' in r['path'] and r['status'] == 200))")"
assert_eq "no customer delete was refused" 0 \
	"$(fake_json "$T/requests.json" "len([r for r in j if r['method'] == 'DELETE' and '/customers/' in r['path'] and r['status'] != 200])")"
assert_eq "queue: outcomes" "C-1|erased C-2|erased C-3|erased C-4|not_found C-5|erased C-6|erased" \
	"$(sq "select request_id, outcome from erasure_queue order by 1" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "no identity left in the queue" 0 \
	"$(sq "select count(*) from erasure_queue where subject_email is not null or subject_customer is not null")"
for id in cust-7f3a9e cust-0b1d2c alice@example.com Lab.Tech@Example.org Mixed.Case; do
	assert_no_bytes "no '$id' in the database files" "$id" "$DB" "$DB-wal" "$DB-shm"
done
ec lookup --customer cust-7f3a9e --format json
expect_rc 0 "lookup --customer finds the request"
assert_grep "lookup --customer: done" "$T/out" '"request_id":"C-2","status":"done","outcome":"erased"'
ec lookup --customer CUST-7F3A9E
assert_grep "a customer is matched exactly: another case is another subject" "$T/out" '^C-4 done not_found'
ec verify
expect_rc 0 "ledger verifies, the queue agrees"
