#!/bin/sh
# Corrupted database files: garbage from the first byte, damaged pages
# behind a valid header, a truncated file. Every command refuses with
# exit 3 or a clear error naming the damage (never a crash, never a
# "verified"), and `verify` in particular never passes.
. "$(dirname "$0")/../lib.sh"

fails_cleanly() {
	case $RC in
	[1-6]) ok "$1 (exit $RC)" ;;
	*) not_ok "$1" "exit $RC" "$(head -c 600 "$T/err")" ;;
	esac
}
DAMAGE='not a database|malformed|corrupt|integrity|damaged|does not match|mismatch'

init_db
{
	echo "request_id,email"
	i=1
	while [ $i -le 400 ]; do echo "R-$i,user$i@example.org"; i=$((i + 1)); done
} > "$T/r.csv"
ec enqueue "$T/r.csv"
expect_rc 0 "enqueue 400 requests"
ec verify
expect_rc 0 "verify passes before the damage"
cp "$DB" "$T/good.db"
size=$(wc -c < "$DB")
echo "# database: $size bytes"

# restore: the good copy back, without WAL leftovers.
restore() { rm -f "$DB-wal" "$DB-shm"; cp "$T/good.db" "$DB"; }
# check NAME [all]: verify refuses the damaged file; with "all", so does
# every other command (damage limited to some pages may leave the pages
# another command reads intact).
check() {
	ec verify
	if [ "$RC" = 0 ]; then not_ok "$1: verify does not pass" "$(cat "$T/out")"; else
		fails_cleanly "$1: verify refuses"
		assert_grep "$1: verify names the damage" "$T/err" "$DAMAGE"
	fi
	ec doctor
	if [ "$RC" = 0 ]; then not_ok "$1: doctor reports the damage"; else
		ok "$1: doctor reports the damage (exit $RC)"; fi
	[ "${2:-}" = all ] || return 0
	ec status
	fails_cleanly "$1: status refuses"
	ec report --format json
	fails_cleanly "$1: report refuses"
	ec enqueue "$T/r.csv"
	fails_cleanly "$1: enqueue refuses"
}

# 1. Garbage from the first byte.
head -c "$size" /dev/urandom > "$DB"
rm -f "$DB-wal" "$DB-shm"
check "garbage file" all

# 2. A valid header, zeros over a quarter of the pages behind it (the
# ledger's and queue's b-trees).
restore
pages=$((size / 4096))
dd if=/dev/zero of="$DB" bs=4096 seek=$((pages / 2)) count=$((pages / 4 + 1)) \
	conv=notrunc 2>/dev/null
check "damaged pages"

# 3. Truncated to half its size.
restore
truncate -s $((size / 2)) "$DB"
check "truncated file" all

restore
ec verify
expect_rc 0 "the undamaged copy still verifies"
