#!/bin/sh
# Global CLI behaviour: help, version, usage errors, config errors, init.
. "$(dirname "$0")/../lib.sh"

write_config "https://127.0.0.1:1"

ec --version
expect_rc 0 "--version exits 0"
assert_grep "--version prints the version" "$T/out" '^erasectl [0-9]+\.[0-9]+\.[0-9]+$'

ec --help
expect_rc 0 "--help exits 0"
for c in init enqueue run erase status hold release extend report receipt \
	lookup verify checkpoint doctor; do
	assert_grep "--help lists $c" "$T/out" "^  $c "
done

for c in init enqueue run erase status hold release extend report receipt \
	lookup verify checkpoint doctor; do
	ec "$c" --help
	if [ "$RC" = 0 ] && grep -q "^usage: erasectl $c" "$T/out"; then
		ok "$c --help prints its usage"
	else
		not_ok "$c --help prints its usage" "rc=$RC" "$(head -3 "$T/out")"
	fi
done

ec help verify
expect_rc 0 "help COMMAND works"
assert_grep "help COMMAND shows that command" "$T/out" '^usage: erasectl verify'

ec frobnicate
expect_rc 2 "unknown command is a usage error"
assert_grep "unknown command is named" "$T/err" "unknown command 'frobnicate'"

ec
expect_rc 2 "no command is a usage error"

"$ERASECTL_BIN" --bogus > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "unknown global option is a usage error"

"$ERASECTL_BIN" --log-format xml status > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "bad --log-format is a usage error"

"$ERASECTL_BIN" -c "$T/missing.conf" status > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "missing -c config file is exit 2"
assert_grep "missing config is named" "$T/err" "cannot open config '.*missing.conf'"

printf '[api]\nconcurrency = lots\n' > "$T/bad.conf"
"$ERASECTL_BIN" -c "$T/bad.conf" status > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "invalid config value is exit 2"
assert_grep "invalid config names file:line and key" "$T/err" "bad.conf:2: invalid value 'lots' for 'concurrency'"

ERASECTL_CONCURRENCY=0 "$ERASECTL_BIN" -c "$T/erasectl.conf" status > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "invalid environment override is exit 2"
assert_grep "environment variable is named" "$T/err" "ERASECTL_CONCURRENCY"

ec status
expect_rc 2 "commands need an initialized database"
assert_grep "missing database suggests init" "$T/err" "run 'erasectl init'"

ec init
expect_rc 0 "init creates the database"
assert_eq "key file is mode 0600" "600" "$(stat -c %a "$T/erasectl.key")"
assert_eq "key file holds 32 bytes" "32" "$(stat -c %s "$T/erasectl.key")"
latest=$(ls "$ROOT"/sql/[0-9][0-9][0-9]_*.sql | sed -n '$s/.*\/0*\([0-9]*\)_.*/\1/p')
assert_eq "schema version recorded" "$latest" "$(sq 'PRAGMA user_version')"
assert_eq "WAL journal mode" "wal" "$(sq 'PRAGMA journal_mode')"
key1=$(od -An -tx1 "$T/erasectl.key" | tr -d ' \n')

ec init
expect_rc 0 "init is idempotent"
key2=$(od -An -tx1 "$T/erasectl.key" | tr -d ' \n')
assert_eq "init keeps an existing key" "$key1" "$key2"
assert_eq "init keeps the schema" "$latest" "$(sq 'PRAGMA user_version')"

# --db overrides the config file.
"$ERASECTL_BIN" -c "$T/erasectl.conf" --db "$T/other.db" init > "$T/out" 2> "$T/err"; RC=$?
expect_rc 0 "init with --db"

# A database made by an older erasectl is migrated by init, not by others.
sqlite3 "$T/old.db" < "$ROOT/sql/001_init.sql"
sqlite3 "$T/old.db" 'PRAGMA user_version = 1'
"$ERASECTL_BIN" -c "$T/erasectl.conf" --db "$T/old.db" status > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "an older schema asks for init"
assert_grep "older schema names the versions" "$T/err" "schema version 1, this erasectl needs $latest"
"$ERASECTL_BIN" -c "$T/erasectl.conf" --db "$T/old.db" init > "$T/out" 2> "$T/err"; RC=$?
expect_rc 0 "init migrates an older database"
assert_eq "migrated to the latest schema" "$latest" "$(sqlite3 "$T/old.db" 'PRAGMA user_version')"
assert_eq "migration added the window index" "1" \
	"$(sqlite3 "$T/old.db" "SELECT count(*) FROM sqlite_master WHERE name = 'erasure_queue_window'")"
if [ -f "$T/other.db" ]; then ok "--db chooses the database file"; else
	not_ok "--db chooses the database file"; fi

# A database from a newer erasectl is refused, not silently used.
sqlite3 "$T/other.db" 'PRAGMA user_version = 99'
"$ERASECTL_BIN" -c "$T/erasectl.conf" --db "$T/other.db" status > "$T/out" 2> "$T/err"; RC=$?
expect_rc 2 "newer schema is refused"
assert_grep "newer schema says so" "$T/err" "newer than this erasectl"

# A lost key is not silently replaced once the ledger holds evidence.
printf 'request_id,email\nK-1,key-test@example.com\n' > "$T/k.csv"
ec enqueue "$T/k.csv"
expect_rc 0 "enqueue one request"
mv "$T/erasectl.key" "$T/erasectl.key.bak"
ec init
expect_rc 2 "init refuses a new key for a ledger with entries"
assert_grep "init says to restore the key" "$T/err" "restore the key from its backup"
if [ -e "$T/erasectl.key" ]; then not_ok "no new key was written"; else
	ok "no new key was written"; fi
assert_no_grep "the refusal names no email" "$T/err" "key-test@"
mv "$T/erasectl.key.bak" "$T/erasectl.key"
ec init
expect_rc 0 "init with the restored key works"
