#!/bin/sh
# An auditor re-implements the documented format (src/ledger.h) with
# Python's standard library alone and gets the same chain and Merkle root
# as erasectl: the documentation is the format.
. "$(dirname "$0")/../lib.sh"

init_db
{
	echo "request_id,email"
	for i in 1 2 3 4 5 6 7 8 9 10 11; do echo "R-$i,user$i@example.com"; done
} > "$T/req.csv"
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
ec checkpoint -o "$T/cp.json"
expect_rc 0 "checkpoint"

python3 - "$DB" "$T/cp.json" > "$T/py.out" 2>&1 <<'PY'
import hashlib, json, sqlite3, sys
H = lambda b: hashlib.sha256(b).digest()
db = sqlite3.connect(sys.argv[1])
cols = "seq, ts, request_id, subject_ref, event, target_kind, target_id, method, path, status, body_sha256, detail, operator"
prev = "0" * 64
leaves = []
for row in db.execute("SELECT %s, prev_hash, hash FROM ledger ORDER BY seq" % cols):
    fields = [str(v).encode() for v in row[:13]]
    enc = b"".join(str(len(f)).encode() + b":" + f + b"," for f in fields)
    h = hashlib.sha256(prev.encode() + enc).hexdigest()
    if row[13] != prev or row[14] != h:
        print("mismatch at", row[0]); sys.exit(1)
    prev = h
    leaves.append(bytes.fromhex(h))
def mth(d):
    if not d: return H(b"")
    if len(d) == 1: return H(b"\0" + d[0])
    k = 1
    while k * 2 < len(d): k *= 2
    return H(b"\1" + mth(d[:k]) + mth(d[k:]))
c = json.load(open(sys.argv[2]))
print(len(leaves), prev, mth(leaves[:c["entries"]]).hex())
PY
rc=$?
assert_eq "python recomputes the chain" 0 "$rc"
n=$(sq "SELECT count(*) FROM ledger")
root=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["entries"], c["head"], c["root"])' "$T/cp.json")
assert_eq "python's count, head and root equal the checkpoint's" "$root" "$(cat "$T/py.out")"
[ "$n" -ge 11 ] && ok "ledger has a non-power-of-two size ($n)" || not_ok "ledger size" "$n"
