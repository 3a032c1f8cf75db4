#!/bin/sh
# run: a request that failed after its devices were unclaimed resumes where
# it stopped: the next run carries over the unfinished SIM step of a device
# the subject no longer owns, repeats nothing that succeeded, and only then
# deletes the customer.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "max_attempts = 2" \
	"[products]" "ids = 1001" "[policy]" "sim_action = deactivate"
init_db
ERASECTL_BACKOFF_BASE_MS=1
export ERASECTL_BACKOFF_BASE_MS
printf 'request_id,email\nS-1,bob.smith+iot@example.org\n' > "$T/req.csv"
ec enqueue "$T/req.csv"

fake_faults '{"rules": [{"match": "/sims/89014103211118510702", "action": "status", "status": 503}]}'
ec run
expect_rc 1 "SIM step failing after retries exits 1"
assert_eq "request failed with the step named" "failed|sim_deactivate:retry_exhausted" \
	"$(sq "select q.status, l.detail from erasure_queue q join ledger l on l.request_id = q.request_id and l.event = 'failed'")"
fake_state > "$T/state1.json"
assert_eq "device unclaimed, SIM still active, customer still there" '[null, "active", 1]' \
	"$(fake_json "$T/state1.json" '[[d.get("owner") for d in j["products"][0]["devices"] if d["id"] == "0b20bb0000000000000000b1"][0], [s["status"] for s in j["products"][0]["sims"] if s["iccid"] == "89014103211118510702"][0], len([c for c in j["products"][0]["customers"] if c["username"].lower() == "bob.smith+iot@example.org"])]')"

fake_faults '{}'
fake_reset_log
ec run
expect_rc 0 "rerun exits 0"
assert_grep "rerun erases" "$T/out" '^processed 1: erased 1, not found 0, failed 0;'
fake_requests > "$T/requests.json"
assert_eq "rerun sends only the SIM step and the customer delete" \
	'[["PUT", "/v1/products/1001/sims/89014103211118510702"], ["DELETE", "/v1/products/1001/customers/Bob.Smith%2Biot%40Example.org"]]' \
	"$(fake_json "$T/requests.json" '[[r["method"], r["path"]] for r in j if r["method"] != "GET"]')"
assert_eq "rerun still verifies the device" 1 \
	"$(fake_json "$T/requests.json" 'len([r for r in j if r["method"] == "GET" and r["path"] == "/v1/products/1001/devices/0b20bb0000000000000000b1"])')"
fake_state > "$T/state2.json"
assert_eq "SIM deactivated, customer gone" '["inactive", 0]' \
	"$(fake_json "$T/state2.json" '[[s["status"] for s in j["products"][0]["sims"] if s["iccid"] == "89014103211118510702"][0], len([c for c in j["products"][0]["customers"] if c["username"].lower() == "bob.smith+iot@example.org"])]')"
assert_eq "second attempt planned only the two unfinished actions" "delete_customer sim_deactivate" \
	"$(sq "select group_concat(detail, ' ') from (select detail from ledger where event = 'plan' and seq > (select seq from ledger where event = 'failed') order by detail)")"
assert_eq "no action recorded ok twice" 0 \
	"$(sq "select count(*) from (select request_id, detail, path from ledger where event = 'result' and detail like '%:ok' group by 1, 2, 3 having count(*) > 1)")"
ec verify
expect_rc 0 "ledger verifies"
