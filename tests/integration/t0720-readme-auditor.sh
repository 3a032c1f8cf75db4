#!/bin/sh
# The auditor's recipes in README.md work as printed: the Python script
# recomputes the chain and Merkle root that a signed checkpoint states,
# the openssl commands check the checkpoint's signature and recompute a
# subject_ref that `erasectl lookup` agrees with.
. "$(dirname "$0")/../lib.sh"

# block MARKER: the README code block that contains MARKER.
block() {
	python3 - "$ROOT/README.md" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for b in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
    if sys.argv[2] in b:
        sys.stdout.write(b)
        break
PY
}

init_db
{
	echo "request_id,email"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do echo "A-$i,person$i@example.com"; done
} > "$T/req.csv"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
openssl genpkey -algorithm ed25519 -out "$T/key.pem" 2>/dev/null
openssl pkey -in "$T/key.pem" -pubout -out "$T/checkpoint-key.pub.pem" 2>/dev/null
ec checkpoint -o "$T/checkpoint.json" --sign-key "$T/key.pem"
expect_rc 0 "signed checkpoint"

block 'Recompute erasectl' > "$T/verify-ledger.py"
assert_grep "README has the ledger script" "$T/verify-ledger.py" "def mth"
sqlite3 -json "$DB" 'SELECT * FROM ledger ORDER BY seq' | python3 "$T/verify-ledger.py" > "$T/py.out" 2>&1
assert_eq "the script verifies the chain" 0 $?
want=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print("entries %d\nhead %s\nroot %s" % (c["entries"], c["head"], c["root"]))' "$T/checkpoint.json")
assert_eq "the script's count, head and root equal the checkpoint's" "$want" "$(cat "$T/py.out")"

# A rewritten entry (its trigger dropped first) is caught.
cp "$DB" "$T/forged.db"
sqlite3 "$T/forged.db" "DROP TRIGGER ledger_no_update; UPDATE ledger SET detail = 'forged' WHERE seq = 3;"
sqlite3 -json "$T/forged.db" 'SELECT * FROM ledger ORDER BY seq' | python3 "$T/verify-ledger.py" > "$T/py.out" 2>&1
assert_eq "the script rejects a rewritten entry" 1 $?
assert_grep "and names it" "$T/py.out" "entry 3 does not verify"

block 'openssl pkeyutl -verify' > "$T/sig.sh"
assert_grep "README has the signature check" "$T/sig.sh" "pkeyutl"
(cd "$T" && sh ./sig.sh) > "$T/sig.out" 2>&1
assert_eq "the signature check passes" 0 $?
sed 's/"entries": [0-9]*/"entries": 1/' "$T/checkpoint.json" > "$T/bad.json"
mv "$T/bad.json" "$T/checkpoint.json"
if ! (cd "$T" && sh ./sig.sh) > "$T/sig.out" 2>&1; then ok "a changed checkpoint fails the signature check"; else
	not_ok "a changed checkpoint fails the signature check" "$(cat "$T/sig.out")"; fi

block 'macopt hexkey' > "$T/hmac.sh"
sed -i "s#alice@example.com#person7@example.com#; s#erasectl.key#$T/erasectl.key#" "$T/hmac.sh"
ref=$(sh "$T/hmac.sh" | sed 's/.*= //')
ec lookup --email person7@example.com --format json
expect_rc 0 "lookup finds the subject"
assert_grep "openssl's HMAC is lookup's subject_ref" "$T/out" "\"subject_ref\": *\"$ref\""
