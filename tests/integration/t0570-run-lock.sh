#!/bin/sh
# run: one run at a time per database file. A second concurrent run (or
# erase), through the same path or any alias of the file (symlink, hard
# link, relative path), exits 5 naming the holder's pid; the lock of a run
# killed with SIGKILL is taken over (flock dies with its holder) and the
# next run finishes the work.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 1" \
	"[products]" "ids = 1001"
init_db
printf 'request_id,email\nL-1,alice@example.com\nL-2,carol@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
# The first run holds the lock in its discovery (the devices list answers
# after two minutes), however slowly the others start (valgrind).
fake_faults '{"rules":[{"match":"/devices","method":"GET","action":"delay","delay_ms":120000}]}'

"$ERASECTL_BIN" -c "$T/erasectl.conf" run > "$T/first.out" 2> "$T/first.err" &
pid=$!
# The lock is an flock on the database file itself (its inode).
ino=$(stat -c %i "$DB")
i=0
while ! grep -q "FLOCK .* $pid [0-9a-f]*:[0-9a-f]*:$ino " /proc/locks && [ $i -lt 200 ]; do
	sleep 0.02; i=$((i + 1))
done
ec run
expect_rc 5 "a second run exits 5"
assert_grep "names the holder's pid" "$T/err" "another erasectl run \\(pid $pid\\) holds the lock"
ln -s "$DB" "$T/alias.db"
ln "$DB" "$T/hardlink.db"
ec --db "$T/alias.db" run
expect_rc 5 "a run through a symlink to the database exits 5"
ec --db "$T/hardlink.db" run
expect_rc 5 "a run through a hard link to the database exits 5"
(cd "$T" && "$ERASECTL_BIN" -c "$T/erasectl.conf" --db ./erasectl.db run > "$T/out" 2> "$T/err"); RC=$?
expect_rc 5 "a run through a relative path exits 5"
assert_eq "no alias run sent anything destructive" 0 \
	"$(fake_requests | fake_json /dev/stdin 'len([r for r in j if r["method"] != "GET"])')"
ec erase --email dave@example.net --yes
expect_rc 5 "erase during a run exits 5"
assert_eq "the refused erase queued nothing" 2 "$(sq "select count(*) from erasure_queue")"
assert_eq "the first run is still going" true "$(kill -0 $pid 2>/dev/null && echo true || echo false)"
kill -9 $pid
wait $pid 2>/dev/null
assert_eq "the killed run's lock is gone with it" 0 \
	"$(grep -c "FLOCK .*:$ino " /proc/locks)"

fake_faults '{}'
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 1001"
ec run
expect_rc 0 "the lock of the killed run is taken over"
assert_grep "and the run finishes the work" "$T/out" '^processed 2: erased 2'
