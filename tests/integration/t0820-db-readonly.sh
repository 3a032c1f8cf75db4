#!/bin/sh
# A database the operator may not write: a read-only file (chmod 444) and a
# database on a read-only file system. Writing commands fail with a clear
# error and change nothing; the auditor's read-only commands still work on
# the read-only file.
. "$(dirname "$0")/../lib.sh"

# fails_cleanly NAME: erasectl refused with one of its own exit codes
# (1-6), not a crash or a signal.
fails_cleanly() {
	case $RC in
	[1-6]) ok "$1 (exit $RC)" ;;
	*) not_ok "$1" "exit $RC" "$(head -c 600 "$T/err")" ;;
	esac
}

# Root writes through file modes: run erasectl as nobody for the chmod case.
AS=
if [ "$(id -u)" = 0 ]; then
	if ! command -v setpriv > /dev/null; then
		ok "# SKIP no setpriv to drop root"; exit 0
	fi
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# ec_as ARGS: ec as the unprivileged user.
ec_as() {
	$AS $VG "$ERASECTL_BIN" -c "$T/erasectl.conf" "$@" > "$T/out" 2> "$T/err"
	RC=$?
	cat "$T/out" "$T/err" >> "$T/all-output"
}

init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/r.csv"
ec enqueue "$T/r.csv"
expect_rc 0 "enqueue (writable)"
printf 'request_id,email\nR-2,bob@example.com\n' > "$T/r2.csv"
if [ -n "$AS" ]; then
	chmod 755 "$T"
	chown -R 65534:65534 "$T"
	chmod 600 "$T/erasectl.key"
fi
chmod 444 "$DB"
rm -f "$DB-wal" "$DB-shm"
ec_as enqueue "$T/r2.csv"
fails_cleanly "enqueue into a read-only file fails"
assert_grep "error says the database is read-only" "$T/err" \
	'read-?only|[Pp]ermission|not writable'
ec_as hold R-1 --reason "test"
fails_cleanly "hold on a read-only file fails"
ec_as status --format json
expect_rc 0 "status works on the read-only file"
ec_as verify
expect_rc 0 "verify works on the read-only file"
assert_eq "nothing changed" "R-1|pending" \
	"$(sq "select request_id, status from erasure_queue")"

# A read-only file system (root only: remount a tmpfs read-only).
if [ "$(id -u)" = 0 ] && mkdir -p "$T/ro" &&
	mount -t tmpfs -o size=4m tmpfs "$T/ro" 2>/dev/null; then
	at_exit "umount '$T/ro'"
	chmod 644 "$DB"
	cp "$DB" "$T/ro/erasectl.db"
	mount -o remount,ro "$T/ro"
	ec --db "$T/ro/erasectl.db" enqueue "$T/r2.csv"
	fails_cleanly "enqueue on a read-only file system fails"
	assert_grep "error says why" "$T/err" \
		'read-?only|[Pp]ermission|not writable|unable to open'
	ec --db "$T/ro/erasectl.db" verify
	echo "# verify on read-only media: exit $RC: $(head -c 300 "$T/err")"
else
	ok "# SKIP read-only file system needs root and tmpfs"
fi
