#!/bin/sh
# run: one run at a time. A second concurrent run (or erase) exits 5 naming
# the holder's pid; the lock of a run killed with SIGKILL is taken over
# (flock dies with its holder) and the next run finishes the work.
. "$(dirname "$0")/../lib.sh"

fake_start fleet --latency-ms 400
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 1" \
	"[products]" "ids = 1001"
init_db
printf 'request_id,email\nL-1,alice@example.com\nL-2,carol@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"

"$ERASECTL_BIN" -c "$T/erasectl.conf" run > "$T/first.out" 2> "$T/first.err" &
pid=$!
i=0
while [ "$(cat "$DB.lock" 2>/dev/null)" != "$pid" ] && [ $i -lt 200 ]; do
	sleep 0.02; i=$((i + 1))
done
ec run
expect_rc 5 "a second run exits 5"
assert_grep "names the holder's pid" "$T/err" "another erasectl run \\(pid $pid\\) holds the lock"
ec erase --email dave@example.net --yes
expect_rc 5 "erase during a run exits 5"
assert_eq "the refused erase queued nothing" 2 "$(sq "select count(*) from erasure_queue")"
assert_eq "the first run is still going" true "$(kill -0 $pid 2>/dev/null && echo true || echo false)"
kill -9 $pid
wait $pid 2>/dev/null
assert_eq "the killed run's pid is still in the lock file" "$pid" "$(cat "$DB.lock")"

fake_faults '{}'
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 1001"
fake_admin POST /admin/faults '{"latency_ms": 0}' > /dev/null
ec run
expect_rc 0 "the lock of the killed run is taken over"
assert_grep "and the run finishes the work" "$T/out" '^processed 2: erased 2'
assert_eq "the lock file names the last run" false "$([ "$(cat "$DB.lock")" = "$pid" ] && echo true || echo false)"
