# Sourced by tests/integration/t*.sh. Gives each test a scratch directory,
# TAP-style assertions, a throwaway TLS CA, and helpers to run erasectl.
# Assertions print "ok - NAME" or "not ok - NAME" (tests/run.sh counts them).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ERASECTL_BIN=$ROOT/build/erasectl
FAKECLOUD=$ROOT/build/fakecloud
T=$(mktemp -d "${TMPDIR:-/tmp}/erasectl-test.XXXXXX")
FAILED=0
_cleanups=""
at_exit() { _cleanups="$1; $_cleanups"; }
_cleanup() {
	eval "$_cleanups" 2>/dev/null
	if [ "$FAILED" = 0 ] || [ -z "${KEEP:-}" ]; then rm -rf "$T"; else
		echo "# kept $T"; fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

VG=
if [ -n "${VALGRIND:-}" ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no"
fi

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; FAILED=1; shift; for l in "$@"; do echo "#   $l"; done; }

# erasectl with the test's config; stdout/stderr to $T/out, $T/err; sets RC.
ec() {
	# shellcheck disable=SC2086
	$VG "$ERASECTL_BIN" -c "$T/erasectl.conf" "$@" > "$T/out" 2> "$T/err"
	RC=$?
	cat "$T/out" >> "$T/all-output"; cat "$T/err" >> "$T/all-output"
	return 0
}
# Same, with standard input from a file.
ec_in() { f=$1; shift; ec "$@" < "$f"; }

# expect_rc CODE NAME: asserts the last ec's exit status.
expect_rc() {
	if [ "$RC" = "$1" ]; then ok "$2"; else
		not_ok "$2" "expected exit $1, got $RC" "stderr: $(head -c 600 "$T/err")"
		if [ "$RC" = 99 ]; then echo "# valgrind reported errors"; fi
	fi
}
assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "expected: $2" "actual:   $3"; fi
}
# assert_grep NAME FILE REGEX / assert_no_grep NAME FILE REGEX
assert_grep() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else
		not_ok "$1" "no match for /$3/ in $2:" "$(head -c 800 "$2")"; fi
}
assert_no_grep() {
	if grep -Eq -- "$3" "$2"; then
		not_ok "$1" "unexpected match for /$3/ in $2:" "$(grep -E -- "$3" "$2" | head -5)"
	else ok "$1"; fi
}
# assert_no_bytes NAME STRING FILE...: the string is in none of the files
# (binary-safe, for database files).
assert_no_bytes() {
	name=$1; s=$2; shift 2
	hit=
	for f in "$@"; do
		[ -e "$f" ] || continue
		if grep -aqF -- "$s" "$f"; then hit="$hit $f"; fi
	done
	if [ -z "$hit" ]; then ok "$name"; else not_ok "$name" "found in:$hit"; fi
}

DB=$T/erasectl.db
sq() { sqlite3 -batch -noheader "$DB" "$@"; }

# A throwaway CA and a server certificate for 127.0.0.1/localhost.
make_tls() {
	d=$T/tls
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=erasectl test CA" >/dev/null 2>&1 || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" \
		-subj "/CN=localhost" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/server.pem" -days 2 -extfile "$d/ext" \
		>/dev/null 2>&1
}

TOKEN=test-token-$$-5f2c9a1b7e
# write_config BASE_URL [extra INI lines...]: writes $T/erasectl.conf.
write_config() {
	base=$1; shift
	printf '%s\n' "$TOKEN" > "$T/token"; chmod 600 "$T/token"
	{
		echo "[api]"
		echo "base_url = $base"
		echo "token_file = $T/token"
		[ -f "$T/tls/ca.pem" ] && echo "ca_file = $T/tls/ca.pem"
		echo "timeout = 5"
		echo "[store]"
		echo "db = $DB"
		echo "hmac_key_file = $T/erasectl.key"
		for l in "$@"; do echo "$l"; done
	} > "$T/erasectl.conf"
}

# init_db: config (if none yet) and database; asserts success.
init_db() {
	[ -f "$T/erasectl.conf" ] || write_config "https://127.0.0.1:1"
	ec init
	if [ "$RC" != 0 ]; then not_ok "init" "$(cat "$T/err")"; exit 1; fi
}

# Fake cloud helpers live in tests/lib-fake.sh.
if [ -f "$ROOT/tests/lib-fake.sh" ]; then . "$ROOT/tests/lib-fake.sh"; fi

# ledger_append REQUEST_ID EVENT DETAIL [TARGET_ID]: appends an entry with a
# valid chain hash (per src/ledger.h), as someone with write access to the
# database and the documented format could; prints its seq.
ledger_append() {
	"${PYTHON:-python3}" - "$DB" "$@" <<'PY'
import datetime, hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rid, event, detail = sys.argv[2:5]
target = sys.argv[5] if len(sys.argv) > 5 else rid
seq, prev, ts = db.execute(
    "SELECT seq, hash, ts FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
ref = (db.execute("SELECT subject_ref FROM ledger WHERE request_id = ? "
                  "ORDER BY seq LIMIT 1", (rid,)).fetchone() or [""])[0]
row = [seq + 1, ts, rid, ref, event, "request", target, "", "", 0, "",
       detail, "tester"]
enc = b"".join(str(len(str(f).encode())).encode() + b":" + str(f).encode()
               + b"," for f in row)
h = hashlib.sha256(prev.encode() + enc).hexdigest()
db.execute("INSERT INTO ledger (seq, ts, request_id, subject_ref, event, "
           "target_kind, target_id, method, path, status, body_sha256, "
           "detail, operator, prev_hash, hash) VALUES "
           "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row + [prev, h])
db.commit()
print(seq + 1)
PY
}
