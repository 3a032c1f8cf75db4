#!/bin/sh
# A 404 is not always "already gone": the API answers 404 for a product or
# a ledger that does not exist too. Every configured product and device
# ledger is checked to exist once per run, before anything is changed: a
# misspelt one stops the run with exit 2 naming the configuration key, no
# destructive call made, no request claimed; doctor says the same. With
# them known, a 404 on a missing instance of a known ledger is
# already_absent.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001" \
	"[policy]" "device_ledgers = device_prefs"
init_db
printf 'request_id,email\nF-1,alice@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"

ec run
expect_rc 2 "a misspelt ledger: exit 2"
assert_grep "names the configuration key and the ledger" "$T/err" \
	"\\[policy\\] device_ledgers: ledger 'device_prefs' does not exist in product '3001'"
assert_eq "no destructive call" 0 \
	"$(fake_requests | fake_json /dev/stdin 'len([r for r in j if r["method"] != "GET"])')"
assert_eq "the request was not claimed: pending, no attempt" "pending|0" \
	"$(sq "select status, attempts from erasure_queue")"
assert_eq "nothing in the ledger but the enqueue" "enqueued" \
	"$(sq "select group_concat(event) from ledger")"
ec run --dry-run
expect_rc 2 "a dry run checks them too"
ec doctor
expect_rc 2 "doctor: exit 2"
assert_grep "doctor names what is missing" "$T/out" "^error: a configured product or ledger does not exist"

write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001, tracker-labs" \
	"[policy]" "device_ledgers = device-prefs"
ec run
expect_rc 2 "a misspelt product: exit 2"
assert_grep "names [products] ids and the product" "$T/err" \
	"\\[products\\] ids: product 'tracker-labs' does not exist"

# Known ledger, known products: alice-spare has no device-prefs instance.
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001" \
	"[policy]" "device_ledgers = device-prefs"
ec doctor
assert_grep "doctor: they exist" "$T/out" "^ok: every configured product and device ledger exists"
ec run
expect_rc 0 "run exits 0"
assert_eq "the missing instance of a known ledger is already_absent" 1 \
	"$(sq "select count(*) from ledger where detail = 'delete_ledger_instance:already_absent' and path like '%/3a10aa0000000000000000a2'")"
assert_eq "the existing one was deleted and read back gone" "ok|ok" \
	"$(sq "select (select substr(detail, instr(detail, ':') + 1) from ledger where event = 'result' and path like '%/device-prefs/instances/3a10aa0000000000000000a1'), (select detail from ledger where event = 'verify' and target_kind = 'ledger_instance' and path like '%/3a10aa0000000000000000a1')")"
fake_state > "$T/state.json"
assert_eq "alice's instance is gone, cust-7f3a9e's stays" '["3b20bb0000000000000000b1"]' \
	"$(fake_json "$T/state.json" "[i['scope_value'] for l in j['ledgers'] if l['name'] == 'device-prefs' for i in l['instances']]")"
