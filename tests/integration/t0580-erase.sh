#!/bin/sh
# erase: queue and process one subject now; confirmation on a terminal,
# refusal without one (unless --yes); by email and by device id; plus the
# configuration and reachability exits shared with run.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 1001, 1002"
init_db

ec erase --email alice@example.com < /dev/null
expect_rc 2 "refuses without a terminal and without --yes"
assert_grep "says to pass --yes" "$T/err" 'pass --yes'
assert_eq "nothing queued" 0 "$(sq "select count(*) from erasure_queue")"
fake_requests > "$T/r0.json"
assert_eq "no API call" 0 "$(fake_json "$T/r0.json" 'len(j)')"

ec erase --email alice@example.com --device 0a10aa0000000000000000a1 --yes
expect_rc 2 "--email and --device together is a usage error"
ec erase --email alice@example.com --received yesterday --yes
expect_rc 2 "bad --received is a usage error"

ec erase --email Alice@Example.com --request-id E-1 --received 2026-11-01 --yes
expect_rc 0 "erase --email --yes exits 0"
assert_grep "summary" "$T/out" '^processed 1: erased 1, not found 0, failed 0;'
assert_eq "queued with source erase and done" "E-1|erase|done|erased|2026-11-01T00:00:00Z" \
	"$(sq "select request_id, source, status, outcome, received_at from erasure_queue")"
assert_eq "enqueued ledger entry with detail erase" "enqueued|erase" \
	"$(sq "select event, detail from ledger where request_id = 'E-1' order by seq limit 1")"
fake_state > "$T/state.json"
assert_eq "alice is gone from both products" 0 \
	"$(fake_json "$T/state.json" 'len([c for p in j["products"] for c in p["customers"] if c["username"].lower() == "alice@example.com"])')"

ec erase --email alice@example.com --request-id E-1 --yes
expect_rc 0 "the same request id again is a no-op"
assert_grep "says it is already done" "$T/out" 'E-1 is already done \(erased\)'

ec erase --device 1B20BB0000000000000000B1 --request-id E-2 --yes
expect_rc 0 "erase --device exits 0"
assert_eq "device request erased its owner" "done|erased" \
	"$(sq "select status, outcome from erasure_queue where request_id = 'E-2'")"
fake_state > "$T/state.json"
assert_eq "frank's customer and devices are gone" "0 0" \
	"$(fake_json "$T/state.json" '" ".join(map(str, [len([c for p in j["products"] for c in p["customers"] if c["username"] == "frank@example.com"]), len([d for p in j["products"] for d in p["devices"] if d.get("owner") == "frank@example.com"])]))')"

ec erase --device 0e50ee0000000000000000e2 --request-id E-3 --yes
expect_rc 0 "erase of an unowned device exits 0"
assert_eq "an unowned device is not_found" "done|not_found" \
	"$(sq "select status, outcome from erasure_queue where request_id = 'E-3'")"

if command -v script > /dev/null; then
	printf 'n\n' | script -qec "'$ERASECTL_BIN' -c '$T/erasectl.conf' erase --email carol@example.com --request-id E-4" /dev/null > "$T/tty.out" 2>&1
	RC=$?
	expect_rc 1 "answering no on a terminal exits 1"
	assert_grep "the prompt shows counts, not the email" "$T/tty.out" 'erase the subject given on the command line \(customer found in 1 product, 2 devices, [0-9]+ calls\)\? \[y/N\]'
	assert_eq "declined: nothing queued" 0 "$(sq "select count(*) from erasure_queue where request_id = 'E-4'")"
	printf 'y\n' | script -qec "'$ERASECTL_BIN' -c '$T/erasectl.conf' erase --email carol@example.com --request-id E-4" /dev/null > "$T/tty.out" 2>&1
	RC=$?
	expect_rc 0 "answering yes on a terminal erases"
	assert_grep "progress line on the terminal" "$T/tty.out" "1/1 requests, [0-9]+ calls/s, ETA 0s"
	assert_eq "confirmed: done" "done|erased" \
		"$(sq "select status, outcome from erasure_queue where request_id = 'E-4'")"
fi

ec verify
expect_rc 0 "ledger verifies"
for e in alice@example.com frank@example.com carol@example.com; do
	assert_no_bytes "no '$e' in the database files" "$e" "$DB" "$DB-wal" "$DB-shm"
done
assert_no_bytes "token in no output" "$TOKEN" "$T/all-output"

# Configuration and reachability.
write_config "$FAKE_URL" "[api]" "rate_limit = 0"
ec run
expect_rc 2 "no products configured exits 2"
assert_grep "says what to configure" "$T/err" 'no products configured'
write_config "https://127.0.0.1:1" "[api]" "rate_limit = 0" "[products]" "ids = 1001"
printf 'request_id,email\nU-1,dave@example.net\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec run
expect_rc 6 "unreachable API exits 6"
assert_eq "the request was not attempted: still pending, no attempt counted" "pending|0" \
	"$(sq "select status, attempts from erasure_queue where request_id = 'U-1'")"
# A certificate the configured CA did not sign is a TLS failure: exit 6.
make_other_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/other.key" -out "$T/other.pem" -days 2 \
		-subj "/CN=other CA" > /dev/null 2>&1
}
if make_other_ca; then
	write_config "$FAKE_URL" "[api]" "rate_limit = 0" "ca_file = $T/other.pem" \
		"[products]" "ids = 1001"
	ec run
	expect_rc 6 "TLS verification failure exits 6"
	assert_eq "the request is still pending, not done" pending \
		"$(sq "select status from erasure_queue where request_id = 'U-1'")"
fi
