#!/bin/sh
# Issue 12: coverage, residue, and the device policies, against a
# Tracker-like product (tests/fixtures/conformance.json): device
# configuration, an online and an offline device with a wipe function, a
# device without it, locations and integrations.
# - An offline device fails the request (retried) until its deadline;
#   once online, the next run calls the function, resets the
#   configuration, and the request is done, every store accounted for.
# - A request past its deadline gives up on its offline device: the
#   stores are left residual and the outcome is erased_with_residue.
# - Receipts, reports (JSON, HTML, CSV, Markdown) and `residual` say so,
#   checked against the fake's state; no email anywhere.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001" \
	"[policy]" "reset_device_config = yes" "device_function = wipe" \
	"device_function_arg = all" "device_ledgers = device-prefs" \
	"sim_action = release" "clear_device_fields = name, notes, groups"
init_db
old=$(date -u -d '-45 days' +%Y-%m-%d)
printf 'request_id,email,customer,received_at\nV-1,alice@example.com,,\nV-2,Mixed.Case@Example.COM,,%s\nV-3,,cust-0b1d2c,\nV-4,nobody@example.com,,\n' "$old" > "$T/req.csv"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
state() { fake_state > "$T/state.json"; fake_json "$T/state.json" "$1"; }
dev() { echo "[d for p in j['products'] for d in p['devices'] if d['id'] == '$1'][0]"; }
A1=3a10aa0000000000000000a1 A2=3a10aa0000000000000000a2
C1=3c30cc0000000000000000c1 D1=3d40dd0000000000000000d1
cov() {	# cov REQUEST STORE: "result" from the receipt's coverage
	ec receipt "$1" --format json
	fake_json "$T/out" "[c['result'] for c in j['coverage'] if c['store'] == '$2'][0]"
}

# First run: alice's spare device is offline, cust-0b1d2c's device does
# not expose 'wipe': both requests fail; Mixed.Case is past its deadline.
ec run
expect_rc 1 "first run: two requests fail"
assert_grep "the offline device is named" "$T/err" "device '$A2' did not run function 'wipe': it is offline \\(HTTP 404\\); retried until the deadline"
assert_grep "the device without the function is named" "$T/err" "device '$D1' did not run function 'wipe': it is online: it does not expose it"
assert_eq "V-1 and V-3 failed, V-2 and V-4 are done" "V-1|failed| V-2|done|erased_with_residue V-3|failed| V-4|done|not_found" \
	"$(sq "SELECT request_id, status, outcome FROM erasure_queue ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the online device ran the function with the configured arg" '[["wipe", "all"]]' \
	"$(state "[[c['name'], c['arg']] for c in $(dev $A1).get('function_calls', [])]")"
assert_eq "alice's online device was not released yet (the request failed first)" "alice@example.com" \
	"$(state "$(dev $A1)['owner']")"
assert_eq "the device without the function: nothing called" "[]" \
	"$(state "$(dev $D1).get('function_calls', [])")"

# V-2: given up at its deadline, the rest done.
assert_eq "V-2: the function could not run: residual" "call_function:residual" \
	"$(sq "SELECT detail FROM ledger WHERE request_id = 'V-2' AND detail LIKE 'call_function:%'")"
assert_eq "V-2: the reset is pending on the offline device: residual" "reset_config:pending residual" \
	"$(sq "SELECT group_concat(detail, ' ') FROM ledger WHERE request_id = 'V-2' AND target_kind = 'device_config' AND event IN ('result', 'verify')")"
assert_eq "V-2: Mixed.Case's device is released" "null" "$(state "$(dev $C1)['owner']")"
assert_eq "V-2: its configuration reset waits for the device" "true" \
	"$(state "bool($(dev $C1).get('config_pending'))")"
assert_eq "V-2 coverage: device_config residual" residual "$(cov V-2 device_config)"
assert_eq "V-2 coverage: on_device_data residual" residual "$(cov V-2 on_device_data)"
assert_eq "V-2 coverage: ownership erased" erased "$(cov V-2 device_ownership)"
assert_eq "V-2 coverage: customer erased" erased "$(cov V-2 customer)"
assert_eq "V-2 coverage: location history residual" residual "$(cov V-2 location_history)"
assert_eq "V-2 coverage: no SIM" not_applicable "$(cov V-2 sim)"
ec receipt V-2 --format json
assert_eq "V-2: a receipt, not a certificate" "False erased_with_residue 14" \
	"$(fake_json "$T/out" "' '.join(str(x) for x in (j['certificate_of_erasure'], j['outcome'], len(j['coverage'])))")"
ec receipt V-2
assert_grep "V-2 text receipt says so" "$T/out" "^ERASURE RECEIPT \\(erased with residue"
assert_grep "V-2 text receipt points at residual" "$T/out" "erasectl residual 'V-2'"
assert_eq "V-4 (not found): every store not applicable" '["not_applicable"]' \
	"$(ec receipt V-4 --format json; fake_json "$T/out" "sorted(set(c['result'] for c in j['coverage']))")"

# The offline device comes online; cust-0b1d2c's firmware gets the
# function. The next run finishes both.
fake_online $A2 true > /dev/null
ec run
expect_rc 1 "second run: V-1 done, V-3 still fails (its device still has no 'wipe')"
assert_eq "V-1 done, erased" "done|erased" "$(sq "SELECT status, outcome FROM erasure_queue WHERE request_id = 'V-1'")"
assert_eq "alice's spare device ran the function" '["wipe"]' \
	"$(state "[c['name'] for c in $(dev $A2).get('function_calls', [])]")"
assert_eq "the online device was not wiped twice" 1 \
	"$(state "len($(dev $A1).get('function_calls', []))")"
assert_eq "both devices carry the product's configuration, nothing pending" "True True" \
	"$(state "' '.join(str(d.get('config') == [p for p in j['products'] if p['id'] == 3001][0]['config'] and not d.get('config_pending')) for d in [$(dev $A1), $(dev $A2)])")"
assert_eq "the ledger instance and the SIM are gone" "0 0" \
	"$(state "str(len([i for l in j['ledgers'] for i in l.get('instances', []) if i['scope_value'] in ('$A1', '$A2')])) + ' ' + str(len([x for p in j['products'] for x in p['sims'] if x['iccid'] == '89014103211118510801']))")"
for s in customer customer_credentials device_ownership device_name device_notes device_groups device_ledger_instances device_config on_device_data sim; do
	assert_eq "V-1 coverage: $s erased" erased "$(cov V-1 $s)"
done
for s in location_history device_vitals integration_logs ledger_instance_history; do
	assert_eq "V-1 coverage: $s residual" residual "$(cov V-1 $s)"
done
ec receipt V-1
expect_rc 0 "V-1 receipt"
assert_grep "V-1 is a certificate" "$T/out" "^CERTIFICATE OF ERASURE"
assert_grep "its coverage is listed" "$T/out" "^  device_config +erased +reset to the product's configuration and read back"
assert_eq "the ledger instance versions are still there (residual is true)" "true" \
	"$(state "any(v for l in j['ledgers'] for k, v in l.get('versions', {}).items() if k == '$A1')")"

# Reports.
ec report --format json -o "$T/r.json"
expect_rc 0 "report"
assert_eq "summary: 1 erased, 1 with residue, 1 not found; residual requests 2" "1 1 1 2" \
	"$(fake_json "$T/r.json" "' '.join(str(j['summary'][k]) for k in ('erased', 'erased_with_residue', 'not_found', 'requests_with_residual_stores'))")"
assert_eq "coverage counts: device_config erased 1, residual 1" "1 1" \
	"$(fake_json "$T/r.json" "str(j['coverage']['device_config']['erased']) + ' ' + str(j['coverage']['device_config']['residual'])")"
assert_eq "cannot_erase names the residual stores" "device_config device_vitals integration_logs ledger_instance_history location_history on_device_data" \
	"$(fake_json "$T/r.json" "' '.join(sorted(c['store'] for c in j['cannot_erase']))")"
assert_eq "V-2's residual stores in its request row" '["device_config", "on_device_data", "location_history", "device_vitals", "integration_logs", "ledger_instance_history"]' \
	"$(fake_json "$T/r.json" "[q['residual_stores'] for q in j['requests'] if q['request_id'] == 'V-2'][0]")"
ec report --format html -o "$T/r.html"
assert_grep "HTML: coverage table" "$T/r.html" "<h2>Coverage of done requests</h2>"
assert_grep "HTML: what erasectl cannot erase" "$T/r.html" "<h2>What erasectl cannot erase</h2>"
assert_grep "HTML: erased with residue card" "$T/r.html" "Erased with residue"
ec report --format csv -o "$T/r.csv"
assert_grep "CSV: residual_stores column" "$T/r.csv" "^request_id,.*,residual_stores"
ec report --format md -o "$T/r.md"
assert_grep "Markdown: what erasectl cannot erase" "$T/r.md" "^## What erasectl cannot erase"

# The residual export.
ec residual --all --format csv
expect_rc 0 "residual --all"
cp "$T/out" "$T/residual.csv"
assert_eq "V-2's offline device is listed for its configuration and data" "device_config on_device_data" \
	"$(grep "^V-2,.*,device,$C1," "$T/residual.csv" | cut -d, -f2 | grep -E '^(device_config|on_device_data)$' | tr '\n' ' ' | sed 's/ $//')"
assert_eq "vitals rows carry a one-month window" 31 \
	"$(grep "^V-1,device_vitals,3001,device,$A1," "$T/residual.csv" | cut -d, -f8)"
ec residual V-3
expect_rc 1 "residual of a request that is not done: exit 1"
ec residual --format json V-2
assert_eq "JSON rows of V-2" 6 \
	"$(fake_json "$T/out" "len(set(r['store'] for r in j['rows']))")"
ec residual
expect_rc 2 "residual without REQUEST_ID or --all: usage"
assert_no_bytes "no email in any output" "$T/all-output" "alice@example.com" "ALICE@example.com" "Mixed.Case@Example.COM" "mixed.case@example.com" "nobody@example.com"
assert_no_bytes "no email in the exports" "$T/residual.csv" "@"
ec verify
expect_rc 0 "the ledger verifies"

# The defaults: nothing of the new policies runs; the coverage says so.
DB=$T/defaults.db
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3002"
init_db
fake_reset_log
ec erase --customer cust-7f3a9e --request-id D-1 --yes
expect_rc 0 "erase with the default policy"
fake_requests > "$T/req.json"
assert_eq "no function call, no configuration call" 0 \
	"$(fake_json "$T/req.json" "len([r for r in j if '/config' in r['path'] or r['path'].endswith('/wipe')])")"
for s in device_groups device_ledger_instances device_config on_device_data sim; do
	assert_eq "defaults: $s skipped by policy" skipped_by_policy "$(cov D-1 $s)"
done
assert_eq "defaults: ledger instance history not applicable" not_applicable "$(cov D-1 ledger_instance_history)"
ec receipt D-1
assert_grep "defaults: a certificate" "$T/out" "^CERTIFICATE OF ERASURE"
