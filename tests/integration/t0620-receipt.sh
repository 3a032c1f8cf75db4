#!/bin/sh
# receipt: a certificate of erasure after a real run. Every hash it shows
# is the ledger row's (and `verify` passes); the checkpoint that covers
# the entries, or the note to make one; --email only when its HMAC matches
# the subject_ref; no email otherwise; usage errors and an unknown id.
. "$(dirname "$0")/../lib.sh"

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 1001, acme-lock"
init_db
cat > "$T/req.csv" <<'CSV'
request_id,email,received_at
R-1,alice@example.com,2026-01-31
R-5,nobody@example.com,2026-02-01
R-7,erin@example.com,2026-02-02
CSV
ec enqueue "$T/req.csv"
ec run
expect_rc 0 "run"

ec receipt R-1 --format json
expect_rc 0 "receipt --format json"
cp "$T/out" "$T/r1.json"
j() { fake_json "$T/r1.json" "$1"; }
assert_eq "is a certificate of erasure" '[true, "done", "erased", "R-1"]' \
	"$(j "[j['certificate_of_erasure'], j['status'], j['outcome'], j['request_id']]")"
assert_eq "subject_ref is the queue's" "$(sq "select subject_ref from erasure_queue where request_id = 'R-1'")" \
	"$(j "j['subject_ref']")"
assert_eq "deadline one calendar month (31 Jan -> 28 Feb)" "2026-02-28" "$(j "j['deadline']")"
sq "select seq || ' ' || hash from ledger where request_id = 'R-1' order by seq" > "$T/rows"
j "'\n'.join('%d %s' % (e['seq'], e['hash']) for e in j['entries'])" > "$T/shown"
if cmp -s "$T/rows" "$T/shown" && [ -s "$T/rows" ]; then ok "entries = ledger rows (seq and hash)"; else
	not_ok "entries = ledger rows (seq and hash)" "$(diff "$T/rows" "$T/shown" | head -5)"; fi
assert_eq "prev_hash chain as stored" \
	"$(sq "select group_concat(prev_hash, ' ') from (select prev_hash from ledger where request_id = 'R-1' order by seq)")" \
	"$(j "' '.join(e['prev_hash'] for e in j['entries'])")"
assert_eq "every entry's hash recomputes" '[true, true, true]' \
	"$(j "[all(e['hash_ok'] for e in j['entries']), j['ledger']['verified'], j['ledger']['request_entries_recompute']]")"
assert_eq "actions = result entries" "$(sq "select count(*) from ledger where request_id = 'R-1' and event = 'result'")" \
	"$(j "len(j['actions'])")"
assert_eq "action hashes are the result rows'" \
	"$(sq "select group_concat(hash, ' ') from (select hash from ledger where request_id = 'R-1' and event = 'result' order by seq)")" \
	"$(j "' '.join(a['hash'] for a in j['actions'])")"
assert_eq "customer deletions listed with their outcome" \
	"$(sq "select count(*) from ledger where request_id = 'R-1' and detail = 'delete_customer:ok'")" \
	"$(j "len([a for a in j['actions'] if a['action'] == 'delete_customer' and a['outcome'] == 'ok'])")"
assert_eq "verification entries all ok" '["ok"]' "$(j "sorted(set(v['result'] for v in j['verification']))")"
assert_eq "no checkpoint yet" '[null, true]' \
	"$(j "[j['checkpoint'], 'erasectl checkpoint' in j['checkpoint_note']]")"
assert_eq "how to verify lists erasectl verify" "true" "$(j "'erasectl verify' in j['how_to_verify']['commands']")"
ec verify
expect_rc 0 "erasectl verify passes"

# Independent check of one shown hash with Python's hashlib (ledger.h).
python3 - "$T/r1.json" > "$T/indep" <<'PY'
import hashlib, json, sys
j = json.load(open(sys.argv[1]))
def ns(s): b = str(s).encode(); return str(len(b)).encode() + b":" + b + b","
ok = 0
for e in j["entries"]:
    enc = b"".join(ns(x) for x in (e["seq"], e["ts"], j["request_id"], j["subject_ref"],
        e["event"], e["target_kind"], e["target_id"], e["method"], e["path"], e["status"],
        e["body_sha256"], e["detail"], e["operator"]))
    ok += hashlib.sha256(e["prev_hash"].encode() + enc).hexdigest() == e["hash"]
print(ok == len(j["entries"]) and ok > 0)
PY
assert_eq "hashes recompute independently (hashlib)" "True" "$(cat "$T/indep")"

ec receipt R-1
expect_rc 0 "receipt (text)"
assert_grep "text: certificate title" "$T/out" '^CERTIFICATE OF ERASURE$'
assert_grep "text: checkpoint note" "$T/out" "none covers these entries yet: run 'erasectl checkpoint'"
assert_grep "text: shows the last entry's hash" "$T/out" \
	"$(sq "select hash from ledger where request_id = 'R-1' order by seq desc limit 1")"
assert_grep "text: within deadline wording" "$T/out" '^completed: .*\((within the deadline|AFTER the deadline)\)'

ec checkpoint -o "$T/cp.json"
expect_rc 0 "checkpoint"
ec receipt R-1 --format json
cp "$T/out" "$T/r1b.json"
assert_eq "covering checkpoint named" "[$(sq 'select count(*) from ledger'), \"$T/cp.json\"]" \
	"$(fake_json "$T/r1b.json" "[j['checkpoint']['entries'], j['checkpoint']['file']]")"
assert_eq "verify --checkpoint command offered" "true" \
	"$(fake_json "$T/r1b.json" "any(c.startswith('erasectl verify --checkpoint') for c in j['how_to_verify']['commands'])")"
ec verify --checkpoint "$T/cp.json"
expect_rc 0 "verify --checkpoint passes"

ec receipt R-5
expect_rc 0 "receipt of a not-found subject"
assert_grep "not found: status line" "$T/out" '^status: +done \(not_found\)$'

# --email: printed only when its HMAC matches.
ec receipt R-1 --email ' Alice@Example.com '
expect_rc 0 "receipt --email with the subject's email"
assert_grep "email shown when it matches" "$T/out" '^subject: +alice@example.com \(matches subject_ref\)$'
ec receipt R-1 --email bob.smith+iot@example.org --format json
expect_rc 2 "receipt --email with another email is refused"
assert_no_bytes "refused email not printed" "bob.smith" "$T/out" "$T/err"
assert_grep "refusal explained" "$T/err" 'not the subject of request'

for f in r1.json r1b.json; do
	assert_no_bytes "$f has no email" "@example.com" "$T/$f"
done
ec receipt R-7
assert_no_bytes "text receipt has no email" "erin@" "$T/out"

ec receipt NOPE
expect_rc 1 "unknown request exits 1"
assert_grep "unknown request named" "$T/err" "no request 'NOPE'"
ec receipt
expect_rc 2 "missing id is a usage error"
ec receipt R-1 --format xml
expect_rc 2 "bad format is a usage error"

# A rewritten entry of this request: still printed, flagged, exit 3.
seq=$(sq "select min(seq) from ledger where request_id = 'R-1' and event = 'result'")
sq "drop trigger ledger_no_update; update ledger set status = 299 where seq = $seq;"
ec receipt R-1
expect_rc 3 "receipt over a tampered entry exits 3"
assert_grep "tampered entry flagged" "$T/out" "^  seq $seq +result +[0-9a-f]{64}  HASH MISMATCH$"
assert_grep "chain failure stated" "$T/out" "verifies: NO \(first bad entry: seq $seq\)"
