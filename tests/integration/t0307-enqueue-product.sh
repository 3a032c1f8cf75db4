#!/bin/sh
# A request's product must be one of [products] ids as configured: caught
# at enqueue, not by a request that fails on every run.
. "$(dirname "$0")/../lib.sh"

write_config "https://127.0.0.1:1" "[products]" "ids = 1001, acme-lock"
init_db

printf 'request_id,email,product\nP-1,pa@example.com,1001\nP-2,pb@example.com,acme-lock\nP-3,pc@example.com,\n' > "$T/good.csv"
ec enqueue "$T/good.csv"
expect_rc 0 "configured products (and none) are accepted"
assert_eq "three requests queued" 3 "$(sq 'SELECT count(*) FROM erasure_queue')"

printf 'request_id,email,product\nP-4,pd@example.com,1001\nP-5,pe@example.com,ACME-LOCK\n' > "$T/bad.csv"
sq .dump > "$T/before"
ec enqueue "$T/bad.csv"
expect_rc 2 "an unconfigured product rejects the file"
assert_grep "error names file, line and product" "$T/err" \
	"bad.csv:3: product 'ACME-LOCK' is not one of the configured \[products\] ids"
sq .dump > "$T/after"
if cmp -s "$T/before" "$T/after"; then ok "nothing was queued"; else
	not_ok "nothing was queued"; fi

ec enqueue --skip-invalid "$T/bad.csv"
expect_rc 1 "--skip-invalid loads the good row and reports the bad one"
assert_eq "P-4 queued, P-5 not" "P-4" \
	"$(sq "SELECT request_id FROM erasure_queue WHERE request_id IN ('P-4', 'P-5')")"
assert_no_grep "no email in the messages" "$T/all-output" "@example.com"
