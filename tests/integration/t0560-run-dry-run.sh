#!/bin/sh
# run --dry-run: prints the plan (request ids, products, device ids and
# actions, never emails), sends only GETs and writes nothing.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 1001, 1002" \
	"[policy]" "device_ledgers = device-prefs" "sim_action = release"
init_db
printf 'request_id,email,device_id\nD-1,alice@example.com,\nD-2,nobody@example.com,\nD-3,,1b20bb0000000000000000b1\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
before=$(sq "select count(*) from ledger; select group_concat(status || attempts) from erasure_queue")
sum_before=$(sq "select hex(sha3_query('select * from erasure_queue'))" 2>/dev/null || sq "select * from erasure_queue" | md5sum)

ec run --dry-run
expect_rc 0 "dry run exits 0"
assert_grep "plan for alice: both products, 3 devices" "$T/out" '^D-1: customer found in 1001 1002; devices 3; actions 1[0-9]$'
assert_grep "plan lists a device action" "$T/out" '^  unclaim +DELETE +/v1/products/1001/devices/0a10aa0000000000000000a1/owner$'
assert_grep "plan lists the SIM release" "$T/out" '^  sim_release +DELETE +/v1/products/1002/sims/89014103211118510711$'
assert_grep "plan lists the customer delete without the email" "$T/out" '^  delete_customer +DELETE +/v1/products/1001/customers/\{subject\}$'
assert_grep "unknown subject is not found" "$T/out" '^D-2: customer not found; devices 0; actions 0$'
assert_grep "device request resolves the owner" "$T/out" '^D-3: customer found in 1002; devices 2;'
assert_grep "dry-run summary" "$T/out" '^dry run: 3 requests, [0-9]+ actions planned; API calls [0-9]+ \(GET only\)$'
assert_no_grep "no email in the plan or messages" "$T/all-output" '@'

fake_requests > "$T/requests.json"
assert_eq "only GETs were sent" 0 "$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] != "GET"])')"
assert_eq "only list calls (4 pages) and the checks of 2 products and 2 ledgers" \
	'[4, 2, 2]' "$(fake_json "$T/requests.json" "[len([r for r in j if 'page=' in (r['query'] or '')]), len([r for r in j if r['path'] in ('/v1/products/1001', '/v1/products/1002')]), len([r for r in j if r['path'].endswith('/ledgers/device-prefs')])]")"
assert_eq "nothing else" 8 "$(fake_json "$T/requests.json" 'len(j)')"
assert_eq "ledger and queue unchanged" "$before" \
	"$(sq "select count(*) from ledger; select group_concat(status || attempts) from erasure_queue")"
sum_after=$(sq "select hex(sha3_query('select * from erasure_queue'))" 2>/dev/null || sq "select * from erasure_queue" | md5sum)
assert_eq "queue rows unchanged" "$sum_before" "$sum_after"
assert_eq "no lock file taken" false "$([ -e "$DB.lock" ] && echo true || echo false)"

ec erase --email alice@example.com --dry-run
expect_rc 0 "erase --dry-run exits 0 without a terminal or --yes"
assert_grep "erase --dry-run prints the plan" "$T/out" ': customer found in 1001 1002; devices 3;'
assert_eq "erase --dry-run queues nothing" 3 "$(sq "select count(*) from erasure_queue")"
fake_requests > "$T/requests.json"
assert_eq "still only GETs" 0 "$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] != "GET"])')"
