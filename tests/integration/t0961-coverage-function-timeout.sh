#!/bin/sh
# A device function that answers 408 although it ran (the reference's
# "Timed Out"; fake switch function_timeout): erasectl cannot tell whether
# the wipe ran, so the request fails (retried, the call repeated) until its
# deadline, and on it the store is left residual: erased_with_residue,
# never "erased".
. "$(dirname "$0")/../lib.sh"

fake_start conformance --behave function_timeout
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "max_attempts = 2" \
	"[products]" "ids = 3001" "[policy]" "device_function = wipe"
init_db
B1=3b20bb0000000000000000b1
printf 'request_id,customer\nT-1,cust-7f3a9e\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec run
expect_rc 1 "a timed-out wipe fails the request"
assert_grep "it says the call timed out and may have run" "$T/err" "function 'wipe' of device '$B1' timed out \\(HTTP 408\\): it may or may not have run"
assert_eq "the result is unavailable, not ok" "call_function:unavailable|408" \
	"$(sq "SELECT detail, status FROM ledger WHERE event = 'result'")"
fake_state > "$T/state.json"
assert_eq "the device is not released while the wipe is unconfirmed" "cust-7f3a9e" \
	"$(fake_json "$T/state.json" "[d for p in j['products'] for d in p['devices'] if d['id'] == '$B1'][0]['owner']")"

# On the deadline day the request is given up on that store.
sq "UPDATE erasure_queue SET received_at = '$(date -u -d '-1 month' +%Y-%m-%d)'"
ec run
expect_rc 0 "on its deadline the request finishes"
assert_eq "erased with residue" "done|erased_with_residue" "$(sq "SELECT status, outcome FROM erasure_queue")"
ec receipt T-1 --format json
assert_eq "on_device_data is residual" residual \
	"$(fake_json "$T/out" "[c['result'] for c in j['coverage'] if c['store'] == 'on_device_data'][0]")"
fake_state > "$T/state.json"
assert_eq "the device is released after all" null \
	"$(fake_json "$T/state.json" "[d for p in j['products'] for d in p['devices'] if d['id'] == '$B1'][0]['owner']")"
