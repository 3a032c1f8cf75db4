#!/bin/sh
# Another process (the sqlite3 shell) holds the database's write lock with
# BEGIN EXCLUSIVE: a writing command waits at most the busy timeout and
# then fails with a clear error (no hang, nothing written); readers still
# work (WAL); once the lock is gone the same command succeeds.
. "$(dirname "$0")/../lib.sh"

# fails_cleanly NAME: erasectl refused with one of its own exit codes
# (1-6), not a crash or a signal.
fails_cleanly() {
	case $RC in
	[1-6]) ok "$1 (exit $RC)" ;;
	*) not_ok "$1" "exit $RC" "$(head -c 600 "$T/err")" ;;
	esac
}

init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/r.csv"

mkfifo "$T/sql"
sqlite3 "$DB" < "$T/sql" > "$T/sqlite.out" 2>&1 &
SP=$!
exec 3> "$T/sql"
at_exit "exec 3>&-; kill $SP"
# The probe below may hold the lock for an instant: the locker waits for
# it instead of failing its BEGIN and never holding the lock.
echo ".timeout 5000" >&3
echo "BEGIN EXCLUSIVE;" >&3
echo "INSERT INTO erasure_queue(request_id, device_id) VALUES ('LOCKER', '0123456789abcdef01234567');" >&3
i=0
while sqlite3 "$DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then not_ok "the sqlite3 shell took the lock"; exit 1; fi
	sleep 0.05
done
ok "the sqlite3 shell holds the write lock"

start=$(date +%s)
ec enqueue "$T/r.csv"
secs=$(( $(date +%s) - start ))
echo "# enqueue gave up after ${secs}s with exit $RC"
expect_rc 5 "enqueue fails while the database is locked: exit 5 (busy)"
if [ "$secs" -le 25 ]; then ok "enqueue gives up within the busy timeout"; else
	not_ok "enqueue gives up within the busy timeout" "took ${secs}s"; fi
assert_grep "error says the database is locked" "$T/err" '[Ll]ocked|[Bb]usy'

ec status --format json
expect_rc 0 "status (a reader) works meanwhile"

echo "ROLLBACK;" >&3
exec 3>&-
wait $SP
assert_eq "nothing was written by the failed enqueue" 0 \
	"$(sq "select count(*) from erasure_queue")"
ec enqueue "$T/r.csv"
expect_rc 0 "enqueue succeeds once the lock is released"
assert_eq "the request is queued" "R-1" "$(sq "select request_id from erasure_queue")"
ec verify
expect_rc 0 "ledger verifies"
