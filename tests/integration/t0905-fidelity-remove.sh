#!/bin/sh
# device_action = remove (removeDeviceFromProduct: 204, the device leaves
# the product): the device is gone from the product afterwards, the fresh
# read of it (404) counts as verified, and the request is done; the other
# subject's device is untouched.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001" \
	"[policy]" "device_action = remove"
init_db
printf 'request_id,customer\nM-1,cust-7f3a9e\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec run
expect_rc 0 "run"
assert_eq "done, erased" "done|erased" "$(sq "SELECT status, outcome FROM erasure_queue")"
assert_eq "the remove call" "remove:ok|DELETE|204" \
	"$(sq "SELECT detail, method, status FROM ledger WHERE event = 'result' AND detail LIKE 'remove:%'")"
assert_eq "the fresh read found it gone" "ok|404" \
	"$(sq "SELECT detail, status FROM ledger WHERE event = 'verify' AND target_kind = 'device'")"
fake_state > "$T/state.json"
assert_eq "the device left product 3001" 0 \
	"$(fake_json "$T/state.json" "len([d for p in j['products'] if p['id'] == 3001 for d in p['devices'] if d['id'] == '3b20bb0000000000000000b1'])")"
assert_eq "the other products' device of the same customer is untouched" cust-7f3a9e \
	"$(fake_json "$T/state.json" "[d for p in j['products'] for d in p['devices'] if d['id'] == '3f60ff0000000000000000f1'][0]['owner']")"
ec receipt M-1 --format json
assert_eq "coverage: ownership erased by removal" "removed from the product and read back not owned by the subject" \
	"$(fake_json "$T/out" "[c['reason'] for c in j['coverage'] if c['store'] == 'device_ownership'][0]")"
