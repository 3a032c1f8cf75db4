#!/bin/sh
# The clock steps back: the ledger's last entry carries a time later than
# the clock now shows (appended, as the documented format allows, with a
# time one hour ahead, exactly as a clock set back by an hour would leave
# things). New entries never get an earlier time than the entry before
# them, the chain still verifies, and report/receipt still work.
. "$(dirname "$0")/../lib.sh"

init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/r1.csv"
ec enqueue "$T/r1.csv"
expect_rc 0 "enqueue before the clock change"

# Append one entry dated an hour ahead, hashed per src/ledger.h.
future=$(python3 - "$DB" <<'PY'
import datetime, hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
seq, prev, ref = db.execute(
    "SELECT seq, hash, subject_ref FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
ts = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
      ).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
row = [seq + 1, ts, "R-1", ref, "hold", "request", "R-1", "", "", 0, "", "clock test", "tester"]
enc = b"".join(str(len(str(f).encode())).encode() + b":" + str(f).encode() + b"," for f in row)
h = hashlib.sha256(prev.encode() + enc).hexdigest()
db.execute("INSERT INTO ledger (seq, ts, request_id, subject_ref, event, target_kind,"
           " target_id, method, path, status, body_sha256, detail, operator, prev_hash, hash)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row + [prev, h])
db.commit()
print(ts)
PY
)
[ -n "$future" ] && ok "appended an entry dated $future" || { not_ok "append future entry"; exit 1; }
ec verify
expect_rc 0 "ledger with the future-dated entry verifies"

printf 'request_id,email\nR-2,bob@example.com\nR-3,carol@example.com\n' > "$T/r2.csv"
ec enqueue "$T/r2.csv"
expect_rc 0 "enqueue after the clock went back"
assert_eq "new entries are not dated before the last one" 0 \
	"$(sq "SELECT count(*) FROM ledger a JOIN ledger b ON b.seq = a.seq + 1 WHERE b.ts < a.ts")"
assert_eq "the new entries carry the later time" 2 \
	"$(sq "SELECT count(*) FROM ledger WHERE request_id IN ('R-2', 'R-3') AND ts >= '$future'")"
ec verify
expect_rc 0 "ledger verifies after the clock went back"
ec report --format json
expect_rc 0 "report works"
ec receipt R-2 --format json
expect_rc 0 "receipt works"
