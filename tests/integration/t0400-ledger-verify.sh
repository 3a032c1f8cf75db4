#!/bin/sh
# The ledger is append-only (triggers) and `verify` recomputes the hash
# chain: it passes on a fresh and on a written ledger, and names the first
# entry edited behind the triggers' back.
. "$(dirname "$0")/../lib.sh"

init_db
ec verify
expect_rc 0 "verify passes on a fresh database"
assert_grep "fresh ledger has 0 entries" "$T/out" '^ledger verified: 0 entries, head 0{64}$'

printf 'request_id,email\nR-1,alice@example.com\nR-2,Bob@Example.org\nR-3,carol@example.net\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue appends to the ledger"
n=$(sq "SELECT count(*) FROM ledger")
head=$(sq "SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1")
[ "$n" -ge 3 ] && ok "ledger has entries ($n)" || not_ok "ledger has entries" "count: $n"
assert_eq "seq runs 1..N" "1 $n" "$(sq "SELECT min(seq) || ' ' || max(seq) FROM ledger")"

ec verify
expect_rc 0 "verify passes on a written ledger"
assert_grep "verify reports count and head" "$T/out" "^ledger verified: $n entries, head $head\$"

sq "SELECT * FROM ledger" > "$T/ledger.txt"
for e in alice@example.com bob@example.org Bob@Example.org carol@example.net; do
	assert_no_grep "no email in the ledger ($e)" "$T/ledger.txt" "$e"
done
# subject_ref = hex HMAC-SHA256(key, trimmed lower-cased email), by openssl.
hexkey=$(od -An -tx1 "$T/erasectl.key" | tr -d ' \n')
want=$(printf '%s' bob@example.org | openssl dgst -sha256 -mac HMAC \
	-macopt "hexkey:$hexkey" | sed 's/.*= //')
assert_eq "ledger subject_ref is the HMAC of the normalized email" "$want" \
	"$(sq "SELECT subject_ref FROM ledger WHERE request_id = 'R-2' LIMIT 1")"

# The triggers: UPDATE and DELETE fail, and change nothing.
before=$(sq "SELECT detail || '|' || hash FROM ledger WHERE seq = 2")
if sq "UPDATE ledger SET detail = 'forged' WHERE seq = 2" 2> "$T/sqerr"; then
	not_ok "UPDATE on the ledger fails"
else
	ok "UPDATE on the ledger fails"
fi
assert_grep "UPDATE names the rule" "$T/sqerr" 'append-only'
assert_eq "UPDATE left the row unchanged" "$before" \
	"$(sq "SELECT detail || '|' || hash FROM ledger WHERE seq = 2")"
if sq "DELETE FROM ledger WHERE seq = $n" 2> "$T/sqerr"; then
	not_ok "DELETE on the ledger fails"
else
	ok "DELETE on the ledger fails"
fi
assert_eq "DELETE left every row" "$n" "$(sq "SELECT count(*) FROM ledger")"

# Behind the triggers' back: the chain names the edited entry.
sq "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete"
sq "UPDATE ledger SET detail = 'forged' WHERE seq = 2"
ec verify
expect_rc 3 "verify fails after an edit"
assert_grep "verify names entry 2" "$T/err" 'ledger entry 2 does not match its hash \(edited after it was written\?\)'
assert_no_grep "no success line" "$T/out" 'verified'

# Restoring the text restores the chain: the hash covers exactly the data.
sq "UPDATE ledger SET detail = '$(printf '%s' "$before" | cut -d'|' -f1)' WHERE seq = 2"
ec verify
expect_rc 0 "verify passes once the edit is undone"

# Deleting an entry in the middle breaks the sequence.
sq "DELETE FROM ledger WHERE seq = 2"
ec verify
expect_rc 3 "verify fails after a deletion"
assert_grep "verify names the missing entry" "$T/err" 'ledger entry 2 is missing'

ec verify --bogus
expect_rc 2 "unknown option is a usage error"
ec verify extra
expect_rc 2 "stray argument is a usage error"
ec verify --help
expect_rc 0 "verify --help"
assert_grep "help names --checkpoint" "$T/out" '--checkpoint FILE'
