#!/bin/sh
# Behaviours the API documents or allows that erasectl must not take for
# success: a name it refuses to clear with "" (400) is set to the neutral
# "erased-<device id>" instead, notes still cleared, both recorded; a SIM
# release answered 202 "Release pending" is pending until a read shows the
# SIM gone: the request fails (and stays queued) until then, and the next
# run confirms it with a read, not a second release.
. "$(dirname "$0")/../lib.sh"

fake_start conformance --behave reject_empty_name \
	--behave 'sim_release_pending={"gets":1}'
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001" \
	"[policy]" "sim_action = release" "clear_device_fields = name, notes, groups"
init_db
printf 'request_id,email\nN-1,alice@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"

ec run
expect_rc 1 "first run: the SIM release is pending: exit 1"
assert_grep "says the release is pending" "$T/err" "release of SIM '89014103211118510801' is still pending"
assert_eq "the request failed and stays queued" failed "$(sq "select status from erasure_queue")"
fake_state > "$T/state.json"
s() { fake_json "$T/state.json" "$1"; }
d1="[d for p in j['products'] for d in p['devices'] if d['id'] == '3a10aa0000000000000000a1'][0]"
assert_eq "the refused name became the neutral one; notes and groups cleared" \
	'[null, "erased-3a10aa0000000000000000a1", "", []]' \
	"$(s "[$d1.get(k) for k in ('owner', 'name', 'notes', 'groups')]")"
assert_eq "the ledger shows the refusal and the neutral name" \
	"clear_fields:refused|400 clear_fields:neutral_name|200" \
	"$(sq "select detail, status from ledger where event = 'result' and target_id = '3a10aa0000000000000000a1' and detail like 'clear_fields:%' order by seq" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the release answered 202 pending" "sim_release:pending|202" \
	"$(sq "select detail, status from ledger where event = 'result' and detail like 'sim_release:%'")"
assert_eq "the queue row says why" 1 \
	"$(sq "select count(*) from erasure_queue where last_error like '%SIM ''89014103211118510801'' is still pending%'")"

fake_reset_log
ec run
expect_rc 0 "second run: a read confirms the release: exit 0"
assert_eq "done" "done|erased" "$(sq "select status, outcome from erasure_queue")"
fake_requests > "$T/req2.json"
assert_eq "the second run released nothing again" 0 \
	"$(fake_json "$T/req2.json" "len([r for r in j if r['method'] == 'DELETE' and '/sims/' in r['path']])")"
assert_eq "it read the SIM" 1 \
	"$(fake_json "$T/req2.json" "len([r for r in j if r['method'] == 'GET' and r['path'].endswith('/sims/89014103211118510801')])")"
assert_eq "the confirming read is the action's ok result" "sim_release:ok|GET|404" \
	"$(sq "select detail, method, status from ledger where event = 'result' and detail = 'sim_release:ok'")"
fake_state > "$T/state.json"
assert_eq "the SIM is released" 0 \
	"$(fake_json "$T/state.json" "len([x for p in j['products'] for x in p['sims'] if x['iccid'] == '89014103211118510801'])")"
assert_eq "alice is gone" 0 \
	"$(fake_json "$T/state.json" "len([c for p in j['products'] for c in p['customers'] if c['username'] == 'alice@example.com'])")"
ec verify
expect_rc 0 "ledger verifies, the queue agrees"
ec receipt N-1
assert_grep "the receipt is a certificate" "$T/out" "^CERTIFICATE OF ERASURE"
