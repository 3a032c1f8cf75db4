#!/bin/sh
# Issue 15, item 8: enqueue writes in short transactions. While a slow
# `enqueue -` is still reading its input, run and erase work normally (not
# "cannot write the ledger", exit 3, nor a 10 s wait and exit 2); the
# enqueue keeps its all-or-nothing rule and queues every row at the end.
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
init_db
printf 'request_id,email\nS-0,erin@example.com\n' > "$T/first.csv"
ec enqueue "$T/first.csv"

mkfifo "$T/pipe"
"$ERASECTL_BIN" -c "$T/erasectl.conf" enqueue - < "$T/pipe" > "$T/enq.out" 2> "$T/enq.err" &
EP=$!
exec 4> "$T/pipe"
printf 'request_id,email\n' >&4
i=1
while [ $i -le 3000 ]; do
	printf 'S-%d,slow%05d@example.org\n' $i $i
	i=$((i + 1))
done >&4
# The enqueue has read (and staged) rows and waits for more.
sleep 1

ec run
rc_run=$RC
cp "$T/err" "$T/run.err"
ec erase --email mixed.case@example.com --request-id S-E --yes
rc_erase=$RC
cat "$T/err" >> "$T/run.err"
i=3001
while [ $i -le 3100 ]; do
	printf 'S-%d,slow%05d@example.org\n' $i $i
	i=$((i + 1))
done >&4
exec 4>&-
wait $EP
rc_enq=$?

assert_eq "run during the slow enqueue: exit 0" 0 "$rc_run"
assert_eq "erase during the slow enqueue: exit 0" 0 "$rc_erase"
assert_no_grep "neither met a busy database" "$T/run.err" "busy|locked|cannot write"

assert_eq "erin (queued before) and the erase are done" "done done" \
	"$(sq "SELECT status FROM erasure_queue WHERE request_id IN ('S-0', 'S-E') ORDER BY request_id" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the slow enqueue succeeded" 0 "$rc_enq"
assert_eq "and queued all 3100 rows" 3100 \
	"$(sq "SELECT count(*) FROM erasure_queue WHERE request_id GLOB 'S-[0-9]*' AND request_id != 'S-0'")"
assert_eq "each with its enqueued entry" 3100 \
	"$(sq "SELECT count(*) FROM ledger WHERE event = 'enqueued' AND request_id GLOB 'S-[0-9]*' AND request_id != 'S-0'")"
ec verify
expect_rc 0 "the ledger verifies"

# All or nothing: a bad row at the end of a slow input queues nothing.
mkfifo "$T/pipe2"
"$ERASECTL_BIN" -c "$T/erasectl.conf" enqueue - < "$T/pipe2" > "$T/enq2.out" 2> "$T/enq2.err" &
EP=$!
exec 5> "$T/pipe2"
printf 'request_id,email\n' >&5
i=1
while [ $i -le 2500 ]; do
	printf 'B-%d,bad%05d@example.org\n' $i $i
	i=$((i + 1))
done >&5
sleep 1
ec status
expect_rc 0 "status reads meanwhile"
printf 'B-X,not-an-email\n' >&5
exec 5>&-
wait $EP
assert_eq "the enqueue with a bad last row: exit 2" 2 "$?"
assert_eq "none of its rows was queued" 0 "$(sq "SELECT count(*) FROM erasure_queue WHERE request_id GLOB 'B-*'")"
assert_eq "nor ledgered" 0 "$(sq "SELECT count(*) FROM ledger WHERE request_id GLOB 'B-*'")"
