#!/bin/sh
# A server that accepts the connection, completes TLS, reads the request and
# never answers: every attempt ends at `timeout`, the run gives up after
# max_attempts with a clear error instead of hanging, the request stays
# queued for the next run, and the ledger still verifies.
. "$(dirname "$0")/../lib.sh"

make_tls || { not_ok "make_tls"; exit 1; }
python3 "$(dirname "$0")/t0800-server.py" silent "$T/tls/server.pem" \
	"$T/tls/server.key" "$T/port" 2> "$T/server.err" &
SP=$!
at_exit "kill $SP"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
write_config "https://127.0.0.1:$(cat "$T/port")" "[api]" "timeout = 2" \
	"max_attempts = 2" "[products]" "ids = 1001"
init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/r.csv"
ec enqueue "$T/r.csv"
expect_rc 0 "enqueue"

start=$(date +%s)
ERASECTL_BACKOFF_BASE_MS=10 ec run
secs=$(( $(date +%s) - start ))
echo "# run took ${secs}s, exit $RC"
case $RC in
1 | 6) ok "run fails with exit 1 or 6 (got $RC)" ;;
*) not_ok "run fails with exit 1 or 6" "got $RC" "$(head -c 600 "$T/err")" ;;
esac
if [ "$secs" -lt 30 ]; then ok "run gives up instead of hanging"; else
	not_ok "run gives up instead of hanging" "took ${secs}s"; fi
assert_grep "error says the request timed out" "$T/err" '[Tt]ime(d)? ?out'
assert_eq "request is not done" 0 \
	"$(sq "select count(*) from erasure_queue where status = 'done'")"
ec verify
expect_rc 0 "ledger verifies"
assert_no_grep "no email in output" "$T/all-output" 'alice@example\.com'
assert_no_grep "no token in output" "$T/all-output" "$TOKEN"
