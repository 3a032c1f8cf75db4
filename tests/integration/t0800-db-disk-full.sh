#!/bin/sh
# The disk fills up under the database: enqueue fails cleanly and queues
# nothing (all-or-nothing), a run stops with a clear error, nothing is
# half-recorded (the ledger verifies), and once there is space again the
# next run finishes every request.
# The database sits on a small tmpfs when mounting is allowed (root);
# otherwise a file size limit (ulimit -f) stands in for the full disk.
. "$(dirname "$0")/../lib.sh"

# fails_cleanly NAME: erasectl refused with one of its own exit codes
# (1-6), not a crash or a signal.
fails_cleanly() {
	case $RC in
	[1-6]) ok "$1 (exit $RC)" ;;
	*) not_ok "$1" "exit $RC" "$(head -c 600 "$T/err")" ;;
	esac
}

mnt=$T/disk
mkdir -p "$mnt"
if [ -z "${T0800_ULIMIT:-}" ] && [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=2m,mode=0700 tmpfs "$mnt" 2>/dev/null; then
	at_exit "umount '$mnt'"
	mode='tmpfs'
else
	mode='ulimit'
fi
echo "# full disk simulated with $mode"
DB=$mnt/erasectl.db	# lib.sh: init_db, sq

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 1001, acme-lock"
init_db

# fill KIB: leaves only KIB of room for the database's files to grow.
# unfill: gives the room back.
fill() {
	if [ "$mode" = tmpfs ]; then
		dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
		truncate -s "-$1K" "$mnt/filler"
	fi
}
unfill() { rm -f "$mnt/filler"; }
# ec_full ARGS: erasectl with the disk full.
ec_full() {
	if [ "$mode" = tmpfs ]; then
		ec "$@"
	else
		# Files may not grow past their current size (+ a few KiB);
		# SIGXFSZ ignored, so writes fail with EFBIG instead.
		(trap '' XFSZ; ulimit -f 64; ec "$@"; echo "$RC" > "$T/rc")
		RC=$(cat "$T/rc")
	fi
}

# 1. A large enqueue onto a full disk.
{
	echo "request_id,email"
	i=1
	while [ $i -le 5000 ]; do echo "BULK-$i,user$i@example.org"; i=$((i + 1)); done
} > "$T/bulk.csv"
fill 64
ec_full enqueue "$T/bulk.csv"
unfill
fails_cleanly "enqueue on a full disk fails"
assert_grep "enqueue error says the disk is full" "$T/err" \
	'(disk|database) (is )?full|[Nn]o space|too large|I/O error'
assert_eq "enqueue queued nothing" 0 "$(sq "select count(*) from erasure_queue")"
assert_eq "enqueue left no ledger entries" 0 "$(sq "select count(*) from ledger")"
ec verify
expect_rc 0 "ledger verifies after the failed enqueue"

# 2. A run whose ledger writes hit the full disk.
cat > "$T/req.csv" <<'CSV'
request_id,email
R-1,alice@example.com
R-2,bob.smith+iot@example.org
R-3,carol@example.com
R-4,frank@example.com
R-5,dave@example.net
R-6,erin@example.com
R-7,grace.hopper@example.com
CSV
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue with room"
# Room for the run to start and record part of its work, not all of it.
fill 128
ec_full run
unfill
fails_cleanly "run on a full disk fails"
assert_grep "run error says the disk is full" "$T/err" \
	'(disk|database) (is )?full|[Nn]o space|too large|I/O error'
echo "# after the failed run: $(sq "select status || '=' || count(*) from erasure_queue group by status" | tr '\n' ' ')$(sq "select count(*) from ledger") ledger entries"
ec verify
expect_rc 0 "ledger verifies after the failed run"

# 3. With room again, the next run finishes everything.
ec run
expect_rc 0 "next run succeeds"
assert_eq "every request done" "7" \
	"$(sq "select count(*) from erasure_queue where status = 'done'")"
ec verify
expect_rc 0 "ledger verifies at the end"
fake_state > "$T/state.json"
assert_eq "erased customers are gone" "[]" \
	"$(fake_json "$T/state.json" "sorted(c['username'] for p in j['products'] for c in p['customers'] if c['username'].lower() in ('alice@example.com', 'bob.smith+iot@example.org', 'carol@example.com', 'frank@example.com', 'dave@example.net', 'erin@example.com', 'grace.hopper@example.com'))")"
assert_no_grep "no email in output" "$T/all-output" 'alice@example\.com'
