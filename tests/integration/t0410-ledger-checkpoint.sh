#!/bin/sh
# Checkpoints: written (signed or not), indexed in the checkpoints table,
# and `verify --checkpoint` proves the prefix is intact: it catches
# truncation that the chain alone cannot see, rewritten entries, and
# altered or foreign signatures.
. "$(dirname "$0")/../lib.sh"

init_db
printf 'email,request_id\nalice@example.com,R-1\nbob@example.org,R-2\n' > "$T/a.csv"
printf 'email,request_id\ncarol@example.net,R-3\ndave@example.net,R-4\n' > "$T/b.csv"
ec enqueue "$T/a.csv"
expect_rc 0 "enqueue first batch"
m=$(sq "SELECT count(*) FROM ledger")
headm=$(sq "SELECT hash FROM ledger WHERE seq = $m")

openssl genpkey -algorithm ed25519 -out "$T/key.pem" 2>/dev/null
chmod 600 "$T/key.pem"
openssl pkey -in "$T/key.pem" -pubout -out "$T/pub.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$T/other.pem" 2>/dev/null
openssl pkey -in "$T/other.pem" -pubout -out "$T/otherpub.pem" 2>/dev/null

# Unsigned, to standard output.
ec checkpoint
expect_rc 0 "checkpoint to stdout"
cp "$T/out" "$T/plain.json"
assert_grep "stdout checkpoint has the count" "$T/plain.json" "\"entries\": $m,"
assert_grep "stdout checkpoint has the head" "$T/plain.json" "\"head\": \"$headm\""
assert_no_grep "unsigned checkpoint has no signature" "$T/plain.json" 'signature'

# Signed, to a file.
ec checkpoint -o "$T/cp.json" --sign-key "$T/key.pem"
expect_rc 0 "signed checkpoint to a file"
assert_grep "checkpoint reports the file" "$T/out" "checkpoint of $m entries .*signed.*cp.json"
assert_grep "file has an Ed25519 signature" "$T/cp.json" '"alg": "Ed25519"'
assert_eq "checkpoints table indexes both" "2 1 $m" \
	"$(sq "SELECT count(*) || ' ' || sum(signed) || ' ' || max(entries) FROM checkpoints")"
assert_eq "checkpoints row names the file" "$T/cp.json" \
	"$(sq "SELECT file FROM checkpoints WHERE signed = 1")"

# The signature is over the documented bytes: check it with openssl alone.
python3 - "$T/cp.json" "$T" <<'PY'
import base64, json, sys
c = json.load(open(sys.argv[1]))
msg = "erasectl-checkpoint-v1\n%d\n%s\n%s\n%s\n" % (c["entries"], c["root"], c["head"], c["time"])
open(sys.argv[2] + "/msg.bin", "w").write(msg)
open(sys.argv[2] + "/sig.bin", "wb").write(base64.b64decode(c["signature"]["value"]))
PY
if openssl pkeyutl -verify -rawin -pubin -inkey "$T/pub.pem" -in "$T/msg.bin" \
	-sigfile "$T/sig.bin" > /dev/null 2>&1; then
	ok "openssl verifies the signature over the documented message"
else
	not_ok "openssl verifies the signature over the documented message"
fi

ec verify --checkpoint "$T/cp.json"
expect_rc 0 "signed checkpoint verifies"
assert_grep "checkpoint success line" "$T/out" "checkpoint verified: the ledger still holds its $m entries.*signature valid"
ec verify --checkpoint "$T/cp.json" --pub-key "$T/pub.pem"
expect_rc 0 "signed checkpoint verifies with the pinned key"
ec verify --checkpoint "$T/cp.json" --pub-key "$T/otherpub.pem"
expect_rc 3 "another pinned key is refused"
assert_grep "names the key mismatch" "$T/err" 'signed by another key'
ec verify --checkpoint "$T/plain.json" --pub-key "$T/pub.pem"
expect_rc 3 "an unsigned checkpoint fails when a key is pinned"

# The ledger grows: the checkpoint is still a prefix.
ec enqueue "$T/b.csv"
expect_rc 0 "enqueue second batch"
n=$(sq "SELECT count(*) FROM ledger")
ec verify --checkpoint "$T/cp.json"
expect_rc 0 "checkpoint still verifies after appends"

# Tampered checkpoint files.
# One base64 character of the signature, one hex digit of the roots.
python3 - "$T/cp.json" "$T/badsig.json" "$T/badroot.json" "$T/plainroot.json" "$T/plain.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
v = c["signature"]["value"]
c["signature"]["value"] = ("B" if v[0] != "B" else "C") + v[1:]
json.dump(c, open(sys.argv[2], "w"))
c = json.load(open(sys.argv[1]))
c["root"] = ("0" if c["root"][0] != "0" else "1") + c["root"][1:]
json.dump(c, open(sys.argv[3], "w"))
p = json.load(open(sys.argv[5]))
p["root"] = ("0" if p["root"][0] != "0" else "1") + p["root"][1:]
json.dump(p, open(sys.argv[4], "w"))
PY
ec verify --checkpoint "$T/badsig.json"
expect_rc 3 "altered signature is caught"
assert_grep "names the signature" "$T/err" 'signature does not match'
ec verify --checkpoint "$T/badroot.json"
expect_rc 3 "altered root in a signed checkpoint is caught"
ec verify --checkpoint "$T/plainroot.json"
expect_rc 3 "root mismatch in an unsigned checkpoint is caught"
assert_grep "names the root mismatch" "$T/err" 'do not match checkpoint .*entries were rewritten'
printf '{"version": 1, "entries": "x"}' > "$T/junk.json"
ec verify --checkpoint "$T/junk.json"
expect_rc 3 "malformed checkpoint fails"
assert_grep "names what is malformed" "$T/err" 'is malformed: "entries"'
ec verify --checkpoint "$T/nonexistent.json"
expect_rc 2 "missing checkpoint file is a usage error"

# Truncation: invisible to the chain, caught by the checkpoint (the file,
# and the checkpoints table's rows, which verify checks too).
sq "DROP TRIGGER ledger_no_delete"
sq "DELETE FROM ledger WHERE seq >= $m"
ec verify
expect_rc 3 "plain verify catches truncation through the checkpoint rows"
assert_grep "names the checkpoint row" "$T/err" "checkpoint row [0-9]+ \\($m entries\\) does not match the ledger"
ec verify --checkpoint "$T/cp.json"
expect_rc 3 "verify --checkpoint catches truncation"
assert_grep "names the truncation" "$T/err" "ledger has $((m - 1)) entries, fewer than the checkpoint's $m: entries were deleted"

# Refusals.
sq "DROP TRIGGER ledger_no_update"
sq "UPDATE ledger SET target_id = 'x' WHERE seq = 1"
ec checkpoint -o "$T/never.json"
expect_rc 3 "no checkpoint of a broken ledger"
if [ -e "$T/never.json" ]; then not_ok "no file written for a broken ledger"
else ok "no file written for a broken ledger"; fi
ec checkpoint --sign-key "$T/missing.pem"
expect_rc 3 "broken ledger is refused before the key is read"
ec checkpoint --bogus
expect_rc 2 "unknown checkpoint option"
ec checkpoint --help
expect_rc 0 "checkpoint --help"
assert_no_bytes "no email in checkpoint files" alice@example.com "$T/cp.json" "$T/plain.json"
