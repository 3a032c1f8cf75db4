#!/bin/sh
# enqueue: a malformed-CSV corpus. Each gives a clear FILE:LINE: error,
# exits 2 and leaves the database exactly as it was.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db
ec enqueue "$FX/good.csv"
expect_rc 0 "baseline rows"

# A 1 MB field (quoted) and 1 MB unquoted.
{ printf 'email,source\nalice.fixture@example.com,"'; head -c 1048576 /dev/zero | tr '\0' x; printf '"\n'; } > "$T/bigfield.csv"
{ printf 'email,source\nalice.fixture@example.com,'; head -c 1048576 /dev/zero | tr '\0' y; printf '\n'; } > "$T/bigplain.csv"

check() {	# check NAME FILE LINE REGEX [enqueue args...]
	name=$1 file=$2 line=$3 re=$4
	shift 4
	sqlite3 "$DB" .dump > "$T/before.sql"
	ec enqueue "$@" "$file"
	expect_rc 2 "$name: exit 2"
	assert_grep "$name: FILE:LINE: reason" "$T/err" "$(basename "$file"):$line: $re"
	sqlite3 "$DB" .dump > "$T/after.sql"
	if cmp -s "$T/before.sql" "$T/after.sql"; then ok "$name: database unchanged"
	else not_ok "$name: database unchanged" "$(diff "$T/before.sql" "$T/after.sql" | head -5)"; fi
	assert_eq "$name: nothing on stdout" "" "$(cat "$T/out")"
}

check "unbalanced quote" "$FX/unbalanced-quote.csv" 3 "malformed CSV: a quoted field is never closed"
check "stray quote" "$FX/stray-quote.csv" 2 "malformed CSV: a quote inside an unquoted field"
check "wrong column count" "$FX/wrong-columns.csv" 3 "row has 2 fields, the header has 3"
check "empty file" "$FX/empty.csv" 1 "the file is empty"
check "header only" "$FX/header-only.csv" 1 "no requests after the header"
check "binary garbage" "$FX/binary.bin" 1 "unknown column"
check "1 MB quoted field" "$T/bigfield.csv" 2 "a field is longer than 65536 bytes"
check "1 MB unquoted field" "$T/bigplain.csv" 2 "a field is longer than 65536 bytes"
check "unknown column" "$FX/unknown-column.csv" 1 "unknown column 'colour'"
check "no email/device column" "$FX/no-subject-column.csv" 1 "the header needs an 'email', a 'customer' or a 'device_id' column"
check "bad email" "$FX/bad-email.csv" 3 "invalid email address"
check "bad date" "$FX/bad-date.csv" 3 "received_at is not an ISO 8601 date"
check "opendsr malformed" "$FX/opendsr-malformed.json" "[0-9]+" "malformed JSON" --format opendsr
printf 'alice.fixture@example.com,R-1\n' > "$T/noheader.csv"
check "missing header" "$T/noheader.csv" 1 "unknown column 1, which looks like an email address: is the header row missing\\?"
check "opendsr as csv" "$FX/opendsr-single.json" 1 "unknown column"
assert_grep "all-or-nothing hint" "$T/all-output" "nothing queued \\(fix it, or use --skip-invalid"

# The CSV stays streamed: a 1 MB field does not make it buffer it all.
ec enqueue "$T/bigplain.csv"
assert_no_grep "bad email value not echoed" "$T/all-output" "bob\\.fixture\\.example\\.com"
for e in alice.fixture bob.fixture carol.fixture dave.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e@"
done
